/**
 * CMAP connection pool (Connection Monitoring and Pooling spec).
 *
 * States paused -> ready -> (paused on clear) -> ... -> closed. A FIFO wait queue
 * serves check-outs in order: an available non-perished connection first, else a new
 * one when totalConnectionCount < maxPoolSize and pendingConnectionCount <
 * maxConnecting, else wait (bounded by waitQueueTimeoutMS). `clear()` pauses the pool,
 * bumps the generation (stale connections close on check-in/check-out or in the
 * next background run) and fails every waiter with MongoPoolClearedError.
 *
 * The pool owns one background timer (minPoolSize population and closing perished
 * available connections), the wait-queue timers and the establishments it started;
 * `close()` stops them all. Connections come from an injected factory.
 */
import { MongoInvalidArgumentError, MongoPoolClearedError } from '../errors.js';
import type { CheckOutOptions, Connection, ConnectionPool, ConnectOptions } from '../connection/types.js';
import { abortReason } from '../util/abort.js';
import { monotonicNow } from '../util/clock.js';
import { TypedEmitter } from '../util/emitter.js';
import { keyMirror } from '../util/key-mirror.js';
import { MongoPoolClosedError, MongoWaitQueueTimeoutError } from './errors.js';
import {
  ConnectionCheckOutFailedReason,
  ConnectionClosedReason,
  type ConnectionPoolEventName,
  type ConnectionPoolEvents,
} from './events.js';

export const PoolState = keyMirror('paused', 'ready', 'closed');
export type PoolState = (typeof PoolState)[keyof typeof PoolState];

export interface ConnectionFactoryOptions {
  /** Pool-assigned connection id (1, 2, ... per pool). */
  readonly id: number;
  readonly generation: number;
  /** Aborted when the pool closes or interrupts pending connections. */
  readonly signal: AbortSignal;
}

/** Opens and establishes (handshake + auth) one connection. */
export type ConnectionFactory = (options: ConnectionFactoryOptions) => Promise<Connection>;

export interface PoolOptions {
  /** "host:port" of the server. */
  readonly address: string;
  readonly connect: ConnectionFactory;
  /** Default 100; 0 = no limit. */
  readonly maxPoolSize?: number;
  /** Default 0. */
  readonly minPoolSize?: number;
  /** Default 2. */
  readonly maxConnecting?: number;
  /** Default 0 = connections never go idle. */
  readonly maxIdleTimeMS?: number;
  /** Default 0 = wait forever (until clear/close or the caller's signal). */
  readonly waitQueueTimeoutMS?: number;
  /** Gap between background runs; default 1000; negative = never run (tests). */
  readonly backgroundIntervalMS?: number;
  /** Load-balanced mode: clear({ serviceId }) clears one service without pausing. */
  readonly loadBalanced?: boolean;
  /**
   * A connection could not be established (its handshake or authentication failed), for a
   * checkout or (`background`) to populate minPoolSize: hand it to SDAM, which usually clears
   * the pool. Called before `connectionClosed` is emitted and the checkout fails, so a clear
   * comes first (SDAM spec test "Pool is cleared before connection is closed").
   */
  readonly onEstablishError?: (error: Error, background: boolean) => void;
  /** Monotonic ms clock; default performance.now (else Date.now). */
  readonly now?: () => number;
  /** Called from the constructor before `connectionPoolCreated` is emitted (attach listeners). */
  readonly subscribe?: (pool: Pool) => void;
}

const DEFAULTS = Object.freeze({
  maxPoolSize: 100,
  minPoolSize: 0,
  maxConnecting: 2,
  maxIdleTimeMS: 0,
  waitQueueTimeoutMS: 0,
  backgroundIntervalMS: 1000,
});

interface Waiter {
  readonly startedAt: number;
  settled: boolean;
  resolve(conn: Connection): void;
  reject(error: Error): void;
  /** Removes the timer and abort listener (idempotent). */
  cleanup(): void;
}

interface Establishing {
  readonly controller: AbortController;
  done: Promise<void>;
  /** Who gets the connection; a populating establishment may be adopted by a waiter. */
  waiter: Waiter | undefined;
}

type ResolvedPoolOptions = Required<Omit<PoolOptions, 'onEstablishError' | 'loadBalanced' | 'subscribe'>> &
  Pick<PoolOptions, 'onEstablishError' | 'loadBalanced'>;

/** An event payload without the `address` every pool event carries. */
type PoolEventBody<K extends ConnectionPoolEventName> = Omit<ConnectionPoolEvents[K], 'address' | 'name'>;

function serviceKey(serviceId: unknown): string {
  if (serviceId === undefined || serviceId === null) return '';
  const hex = (serviceId as { toHexString?: () => string }).toHexString;
  return typeof hex === 'function' ? hex.call(serviceId) : String(serviceId);
}

/** Builds a ConnectionFactory from connect() and fixed connect options. */
export function connectionFactory(
  connect: (options: ConnectOptions) => Promise<Connection>,
  options: ConnectOptions,
): ConnectionFactory {
  return ({ id, generation, signal }) => connect({ ...options, id, generation, signal });
}

export class Pool extends TypedEmitter<ConnectionPoolEvents> implements ConnectionPool {
  readonly address: string;
  readonly #options: ResolvedPoolOptions;
  #state: PoolState = PoolState.paused;
  #generation = 0;
  readonly #serviceGenerations = new Map<string, number>();
  /** Effective generation of each live connection (per service in LB mode). */
  readonly #connGeneration = new Map<Connection, number>();
  /** Available connections, most recently checked in last (LIFO reuse). */
  #available: Connection[] = [];
  readonly #checkedInAt = new Map<Connection, number>();
  readonly #inUse = new Set<Connection>();
  readonly #establishing = new Set<Establishing>();
  #waitQueue: Waiter[] = [];
  #total = 0;
  #pending = 0;
  #nextConnectionId = 1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDueAt = Infinity;
  #processing = false;

  constructor(options: PoolOptions) {
    super();
    this.address = options.address;
    const given = Object.entries(options).filter(([, v]) => v !== undefined);
    this.#options = { ...DEFAULTS, now: monotonicNow, ...Object.fromEntries(given) } as ResolvedPoolOptions;
    const o = this.#options;
    if (o.minPoolSize < 0 || o.maxPoolSize < 0 || (o.maxPoolSize > 0 && o.minPoolSize > o.maxPoolSize)) {
      throw new MongoInvalidArgumentError(`minPoolSize ${o.minPoolSize} must be between 0 and maxPoolSize ${o.maxPoolSize}`);
    }
    if (!(o.maxConnecting > 0)) throw new MongoInvalidArgumentError('maxConnecting must be greater than 0');
    // Emitted from the constructor: `subscribe` attaches listeners that must see it.
    options.subscribe?.(this);
    const shown = given.filter(([k, v]) => k !== 'address' && typeof v !== 'function');
    this.#emit('connectionPoolCreated', { options: Object.fromEntries(shown) });
  }

  get generation(): number {
    return this.#generation;
  }
  get state(): PoolState {
    return this.#state;
  }
  get totalConnectionCount(): number {
    return this.#total;
  }
  get availableConnectionCount(): number {
    return this.#available.length;
  }
  get pendingConnectionCount(): number {
    return this.#pending;
  }
  get waitQueueSize(): number {
    return this.#waitQueue.length;
  }
  /** Connections checked out and not yet checked in. */
  get inUseConnectionCount(): number {
    return this.#inUse.size;
  }

  // ------------------------------------------------------------------ check out / in

  checkOut(options: CheckOutOptions = {}): Promise<Connection> {
    const startedAt = this.#options.now();
    this.#emit('connectionCheckOutStarted', {});
    const failNow = (reason: ConnectionCheckOutFailedReason, error: Error): Promise<Connection> => {
      this.#emit('connectionCheckOutFailed', { reason, error, durationMS: this.#options.now() - startedAt });
      return Promise.reject(error);
    };
    if (this.#state === PoolState.closed) {
      return failNow(ConnectionCheckOutFailedReason.poolClosed, new MongoPoolClosedError(this.address));
    }
    if (this.#state === PoolState.paused) return failNow(ConnectionCheckOutFailedReason.connectionError, this.#clearedError());
    const { signal } = options;
    if (signal?.aborted) return failNow(ConnectionCheckOutFailedReason.connectionError, abortReason(signal));
    const timeoutMS = options.timeoutMS ?? this.#options.waitQueueTimeoutMS;
    return new Promise<Connection>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = (reason: ConnectionCheckOutFailedReason, error: Error): void => {
        if (waiter.settled) return;
        this.#waitQueue = this.#waitQueue.filter((w) => w !== waiter);
        this.#failWaiter(waiter, reason, error);
        // The head of the queue may have changed.
        this.#processWaitQueue();
      };
      const onAbort = (): void => leave(ConnectionCheckOutFailedReason.connectionError, abortReason(signal!));
      const waiter: Waiter = {
        startedAt,
        settled: false,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      if (timeoutMS > 0) {
        timer = setTimeout(
          () => leave(ConnectionCheckOutFailedReason.timeout, new MongoWaitQueueTimeoutError(this.address, timeoutMS)),
          timeoutMS,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waitQueue.push(waiter);
      this.#processWaitQueue();
    });
  }

  checkIn(connection: Connection): void {
    if (!this.#inUse.delete(connection)) {
      throw new MongoInvalidArgumentError(`connection ${connection.id} is not checked out of the pool for ${this.address}`);
    }
    this.#emit('connectionCheckedIn', { connectionId: connection.id });
    if (this.#state === PoolState.closed) {
      this.#destroy(connection, ConnectionClosedReason.poolClosed);
      return;
    }
    const reason = this.#perishedReason(connection, false);
    if (reason) {
      this.#destroy(connection, reason);
    } else {
      this.#makeAvailable(connection);
    }
    this.#processWaitQueue();
  }

  // ------------------------------------------------------------------ state changes

  ready(): void {
    if (this.#state !== PoolState.paused) return;
    this.#state = PoolState.ready;
    this.#emit('connectionPoolReady', {});
    this.#schedule(0);
    this.#processWaitQueue();
  }

  clear(options: { interruptInUseConnections?: boolean; serviceId?: unknown } = {}): void {
    if (this.#state === PoolState.closed) return;
    const interrupt = options.interruptInUseConnections === true;
    const { serviceId } = options;
    if (this.#options.loadBalanced && serviceId !== undefined) {
      const key = serviceKey(serviceId);
      this.#serviceGenerations.set(key, (this.#serviceGenerations.get(key) ?? 0) + 1);
      this.#emit('connectionPoolCleared', { serviceId, interruptInUseConnections: interrupt });
      this.#schedule(0);
      return;
    }
    const oldGeneration = this.#generation++;
    if (this.#state !== PoolState.paused) {
      this.#state = PoolState.paused;
      this.#emit('connectionPoolCleared', { interruptInUseConnections: interrupt });
    }
    this.#failWaiters(ConnectionCheckOutFailedReason.connectionError, () => this.#clearedError());
    if (interrupt) {
      const error = new MongoPoolClearedError(`Connection to ${this.address} interrupted due to server monitor timeout`);
      for (const conn of this.#inUse) {
        if (this.#generationOfConnection(conn) <= oldGeneration) conn.destroy(error); // its pending request sees why
      }
      for (const e of this.#establishing) e.controller.abort(error);
    }
    this.#schedule(0);
  }

  async close(): Promise<void> {
    if (this.#state === PoolState.closed) return;
    this.#state = PoolState.closed;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDueAt = Infinity;
    const available = this.#available;
    this.#available = [];
    for (const conn of available) this.#destroy(conn, ConnectionClosedReason.poolClosed);
    this.#failWaiters(ConnectionCheckOutFailedReason.poolClosed, () => new MongoPoolClosedError(this.address));
    const establishing = [...this.#establishing];
    for (const e of establishing) e.controller.abort(new MongoPoolClosedError(this.address));
    this.#emit('connectionPoolClosed', {});
    await Promise.allSettled(establishing.map((e) => e.done));
  }

  // ------------------------------------------------------------------ internals

  /** Emits a pool event; every pool event starts with the pool's `address`. */
  #emit<K extends ConnectionPoolEventName>(event: K, body: PoolEventBody<K>): void {
    // `name`: the official driver's events carry their own name (ConnectionCheckedOutEvent.name)
    (this.emit as (event: K, payload: unknown) => boolean)(event, { address: this.address, ...body, name: event });
  }

  #clearedError(): MongoPoolClearedError {
    return new MongoPoolClearedError(`Connection pool for ${this.address} was cleared because another operation failed`);
  }

  /** Fails a waiter's check-out once: ConnectionCheckOutFailed, then its promise rejects. */
  #failWaiter(waiter: Waiter, reason: ConnectionCheckOutFailedReason, error: Error): void {
    if (waiter.settled) return;
    waiter.settled = true;
    waiter.cleanup();
    this.#emit('connectionCheckOutFailed', { reason, error, durationMS: this.#options.now() - waiter.startedAt });
    waiter.reject(error);
  }

  #failWaiters(reason: ConnectionCheckOutFailedReason, makeError: () => Error): void {
    const waiters = this.#waitQueue;
    this.#waitQueue = [];
    for (const w of waiters) {
      if (!w.settled) this.#failWaiter(w, reason, makeError());
    }
  }

  /** The generation a connection belongs to (fixed when it became ready). */
  #generationOfConnection(conn: Connection): number {
    // Load-balanced mode: recorded once the serviceId is known (a pipelined handshake tells it after readiness).
    if (!this.#connGeneration.has(conn) && conn.serviceId !== undefined) this.#connGeneration.set(conn, this.#currentGenerationFor(conn));
    return this.#connGeneration.get(conn) ?? conn.generation;
  }

  /** The pool's current generation for `conn` (its service's in load-balanced mode). */
  #currentGenerationFor(conn: Connection): number {
    if (this.#options.loadBalanced) return this.#serviceGenerations.get(serviceKey(conn.serviceId)) ?? 0;
    return this.#generation;
  }

  #perishedReason(conn: Connection, checkIdle: boolean): ConnectionClosedReason | undefined {
    if (this.#generationOfConnection(conn) < this.#currentGenerationFor(conn)) return ConnectionClosedReason.stale;
    if (conn.closed) return ConnectionClosedReason.error;
    const idle = this.#options.maxIdleTimeMS;
    if (checkIdle && idle > 0) {
      const since = this.#checkedInAt.get(conn);
      if (since !== undefined && this.#options.now() - since >= idle) return ConnectionClosedReason.idle;
    }
    return undefined;
  }

  #destroy(conn: Connection, reason: ConnectionClosedReason): void {
    this.#total--;
    this.#connGeneration.delete(conn);
    this.#checkedInAt.delete(conn);
    this.#emit('connectionClosed', { connectionId: conn.id, reason });
    conn.close();
    // Below minPoolSize again: let the background run repopulate.
    this.#schedule();
  }

  #makeAvailable(conn: Connection): void {
    this.#checkedInAt.set(conn, this.#options.now());
    this.#available.push(conn);
    if (this.#options.maxIdleTimeMS > 0) this.#schedule();
  }

  /** Most recently used non-perished available connection; closes perished ones found. */
  #takeAvailable(): Connection | undefined {
    for (let conn = this.#available.pop(); conn; conn = this.#available.pop()) {
      const reason = this.#perishedReason(conn, true);
      if (!reason) {
        this.#checkedInAt.delete(conn);
        return conn;
      }
      this.#destroy(conn, reason);
    }
    return undefined;
  }

  #canCreate(): boolean {
    const { maxPoolSize, maxConnecting } = this.#options;
    return (maxPoolSize === 0 || this.#total < maxPoolSize) && this.#pending < maxConnecting;
  }

  #processWaitQueue(): void {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (this.#state === PoolState.ready && this.#waitQueue.length > 0) {
        const waiter = this.#waitQueue[0]!;
        if (waiter.settled) {
          this.#waitQueue.shift();
          continue;
        }
        const conn = this.#takeAvailable();
        // A connection being established to populate minPoolSize is nearly ready: take
        // it rather than opening one more (CMAP: blocked threads get minPoolSize connections).
        const populating = conn ? undefined : [...this.#establishing].find((e) => e.waiter === undefined);
        if (!conn && !populating && !this.#canCreate()) break;
        this.#waitQueue.shift();
        if (conn) {
          this.#handOut(waiter, conn);
          continue;
        }
        // Leaving the wait queue: the wait-queue timeout no longer applies.
        waiter.cleanup();
        if (populating) populating.waiter = waiter;
        else this.#create(waiter);
      }
    } finally {
      this.#processing = false;
    }
  }

  #handOut(waiter: Waiter, conn: Connection): void {
    if (waiter.settled) {
      this.#makeAvailable(conn);
      return;
    }
    waiter.settled = true;
    waiter.cleanup();
    this.#inUse.add(conn);
    this.#emit('connectionCheckedOut', { connectionId: conn.id, durationMS: this.#options.now() - waiter.startedAt });
    waiter.resolve(conn);
    // Keep minPoolSize (spec: checkOut ensures it asynchronously).
    this.#scheduleIfBelowMin();
  }

  #scheduleIfBelowMin(): void {
    if (this.#total < this.#options.minPoolSize) this.#schedule(0);
  }

  /** Creates and establishes a connection, for `waiter` or (undefined) to populate the pool. */
  #create(waiter: Waiter | undefined): void {
    const id = this.#nextConnectionId++;
    this.#total++;
    this.#pending++;
    this.#emit('connectionCreated', { connectionId: id });
    const entry: Establishing = { controller: new AbortController(), done: Promise.resolve(), waiter };
    this.#establishing.add(entry);
    entry.done = this.#establish(id, this.#generation, this.#options.now(), entry);
  }

  /** Never rejects: every outcome is reported through events and the waiter. */
  async #establish(id: number, generation: number, createdAt: number, entry: Establishing): Promise<void> {
    const { signal } = entry.controller;
    let conn: Connection | undefined;
    let failure: unknown;
    try {
      conn = await this.#options.connect({ id, generation, signal });
    } catch (e) {
      failure = e;
    }
    if (signal.aborted) {
      // Interrupted or closed meanwhile: the signal's reason is the outcome either way.
      conn?.close();
      conn = undefined;
      failure = abortReason(signal);
    }
    this.#establishing.delete(entry);
    this.#pending--;
    const waiter = entry.waiter;
    const closed = this.#state === PoolState.closed;
    if (!conn) {
      const error = failure instanceof Error ? failure : new Error(String(failure));
      this.#total--;
      if (!closed) this.#options.onEstablishError?.(error, !waiter);
      this.#emit('connectionClosed', {
        connectionId: id,
        reason: closed ? ConnectionClosedReason.poolClosed : ConnectionClosedReason.error,
        error,
      });
      if (waiter) {
        this.#failWaiter(
          waiter,
          closed ? ConnectionCheckOutFailedReason.poolClosed : ConnectionCheckOutFailedReason.connectionError,
          error,
        );
      }
      this.#schedule();
      this.#processWaitQueue();
      return;
    }
    if (this.#options.loadBalanced) this.#generationOfConnection(conn);
    else this.#connGeneration.set(conn, generation);
    this.#emit('connectionReady', { connectionId: id, durationMS: this.#options.now() - createdAt });
    if (closed) {
      if (waiter && !waiter.settled) {
        this.#failWaiter(waiter, ConnectionCheckOutFailedReason.poolClosed, new MongoPoolClosedError(this.address));
      }
      this.#destroy(conn, ConnectionClosedReason.poolClosed);
      return;
    }
    if (waiter) this.#handOut(waiter, conn);
    else this.#makeAvailable(conn);
    this.#processWaitQueue();
    this.#scheduleIfBelowMin();
  }

  // ------------------------------------------------------------------ background run

  /** Whether a background run has work to do now or later. */
  #needsRun(): boolean {
    if (this.#state === PoolState.ready && this.#total < this.#options.minPoolSize) return true;
    if (this.#options.maxIdleTimeMS > 0) return this.#available.length > 0;
    return this.#available.some((c) => this.#perishedReason(c, false) !== undefined);
  }

  /** (Re)arm the single background timer, at most `delay` ms from now. */
  #schedule(delay = this.#options.backgroundIntervalMS): void {
    if (this.#options.backgroundIntervalMS < 0 || this.#state === PoolState.closed || !this.#needsRun()) return;
    const due = this.#options.now() + delay;
    if (this.#timer !== undefined) {
      if (due >= this.#timerDueAt) return;
      clearTimeout(this.#timer);
    }
    this.#timerDueAt = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDueAt = Infinity;
      this.#backgroundRun();
    }, Math.max(0, delay));
  }

  #backgroundRun(): void {
    if (this.#state === PoolState.closed) return;
    const perished: Array<{ conn: Connection; reason: ConnectionClosedReason }> = [];
    this.#available = this.#available.filter((conn) => {
      const reason = this.#perishedReason(conn, true);
      if (reason) perished.push({ conn, reason });
      return !reason;
    });
    for (const p of perished) this.#destroy(p.conn, p.reason);
    if (this.#state === PoolState.ready) {
      // Waiters come first: only populate what check-outs are not about to create.
      while (this.#total < this.#options.minPoolSize && this.#canCreate() && this.#waitQueue.length === 0) {
        this.#create(undefined);
      }
    }
    this.#schedule();
  }
}

