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
import { MongoInvalidArgumentError, MongoPoolClearedError, type Document } from '../errors.js';
import type { CheckOutOptions, Connection, ConnectionPool, ConnectOptions } from '../connection/types.js';
import { TypedEmitter } from '../util/emitter.js';
import { MongoPoolClosedError, MongoWaitQueueTimeoutError } from './errors.js';
import {
  ConnectionCheckOutFailedReason,
  ConnectionClosedReason,
  type ConnectionPoolEvents,
} from './events.js';

export const PoolState = Object.freeze({
  paused: 'paused',
  ready: 'ready',
  closed: 'closed',
} as const);
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
  /** Errors while populating minPoolSize (hand them to SDAM: it usually clears the pool). */
  readonly onBackgroundError?: (error: Error) => void;
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
  /** Removes the timer and abort listener. */
  cleanup(): void;
}

interface Establishing {
  readonly controller: AbortController;
  done: Promise<void>;
  /** Who gets the connection; a populating establishment may be adopted by a waiter. */
  waiter: Waiter | undefined;
}

function defaultNow(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf ? perf.now() : Date.now();
}

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
  private readonly options: Required<Omit<PoolOptions, 'onBackgroundError' | 'loadBalanced' | 'subscribe'>> &
    Pick<PoolOptions, 'onBackgroundError' | 'loadBalanced'>;
  private _state: PoolState = PoolState.paused;
  private _generation = 0;
  private readonly serviceGenerations = new Map<string, number>();
  /** Effective generation of each live connection (per service in LB mode). */
  private readonly connGeneration = new Map<Connection, number>();
  /** Available connections, most recently checked in last (LIFO reuse). */
  private available: Connection[] = [];
  private readonly checkedInAt = new Map<Connection, number>();
  private readonly inUse = new Set<Connection>();
  private readonly establishing = new Set<Establishing>();
  private waitQueue: Waiter[] = [];
  private total = 0;
  private pending = 0;
  private nextConnectionId = 1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDueAt = Infinity;
  private processing = false;

  constructor(options: PoolOptions) {
    super();
    this.address = options.address;
    this.options = {
      ...DEFAULTS,
      now: defaultNow,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as Pool['options'];
    const o = this.options;
    if (o.minPoolSize < 0 || o.maxPoolSize < 0 || (o.maxPoolSize > 0 && o.minPoolSize > o.maxPoolSize)) {
      throw new MongoInvalidArgumentError(`minPoolSize ${o.minPoolSize} must be between 0 and maxPoolSize ${o.maxPoolSize}`);
    }
    if (!(o.maxConnecting > 0)) throw new MongoInvalidArgumentError('maxConnecting must be greater than 0');
    const shown: Document = {};
    for (const [k, v] of Object.entries(options)) {
      if (k !== 'address' && typeof v !== 'function' && v !== undefined) shown[k] = v;
    }
    // Emitted from the constructor: `subscribe` attaches listeners that must see it.
    options.subscribe?.(this);
    this.emit('connectionPoolCreated', { address: this.address, options: shown });
  }

  get generation(): number {
    return this._generation;
  }
  get state(): PoolState {
    return this._state;
  }
  get totalConnectionCount(): number {
    return this.total;
  }
  get availableConnectionCount(): number {
    return this.available.length;
  }
  get pendingConnectionCount(): number {
    return this.pending;
  }
  get waitQueueSize(): number {
    return this.waitQueue.length;
  }
  /** Connections checked out and not yet checked in. */
  get inUseConnectionCount(): number {
    return this.inUse.size;
  }

  // ------------------------------------------------------------------ check out / in

  checkOut(options: CheckOutOptions = {}): Promise<Connection> {
    const now = this.options.now;
    const startedAt = now();
    this.emit('connectionCheckOutStarted', { address: this.address });
    const failNow = (reason: ConnectionCheckOutFailedReason, error: Error): Promise<Connection> => {
      this.emit('connectionCheckOutFailed', { address: this.address, reason, error, durationMS: now() - startedAt });
      return Promise.reject(error);
    };
    switch (this._state) {
      case PoolState.closed:
        return failNow(ConnectionCheckOutFailedReason.poolClosed, new MongoPoolClosedError(this.address));
      case PoolState.paused:
        return failNow(ConnectionCheckOutFailedReason.connectionError, this.clearedError());
      case PoolState.ready:
        break;
      default: {
        const never: never = this._state;
        throw new Error(`unknown pool state ${String(never)}`);
      }
    }
    const { signal } = options;
    if (signal?.aborted) return failNow(ConnectionCheckOutFailedReason.connectionError, abortReason(signal));
    const timeoutMS = options.timeoutMS ?? this.options.waitQueueTimeoutMS;
    return new Promise<Connection>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = (reason: ConnectionCheckOutFailedReason, error: Error): void => {
        if (waiter.settled) return;
        waiter.settled = true;
        waiter.cleanup();
        this.waitQueue = this.waitQueue.filter((w) => w !== waiter);
        this.emit('connectionCheckOutFailed', { address: this.address, reason, error, durationMS: now() - startedAt });
        reject(error);
        // The head of the queue may have changed.
        this.processWaitQueue();
      };
      const onAbort = (): void => leave(ConnectionCheckOutFailedReason.connectionError, abortReason(signal!));
      const waiter: Waiter = {
        startedAt,
        settled: false,
        resolve,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          timer = undefined;
          signal?.removeEventListener('abort', onAbort);
        },
      };
      if (timeoutMS > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          leave(ConnectionCheckOutFailedReason.timeout, new MongoWaitQueueTimeoutError(this.address, timeoutMS));
        }, timeoutMS);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waitQueue.push(waiter);
      this.processWaitQueue();
    });
  }

  checkIn(connection: Connection): void {
    if (!this.inUse.has(connection)) {
      throw new MongoInvalidArgumentError(`connection ${connection.id} is not checked out of the pool for ${this.address}`);
    }
    this.inUse.delete(connection);
    this.emit('connectionCheckedIn', { address: this.address, connectionId: connection.id });
    if (this._state === PoolState.closed) {
      this.destroy(connection, ConnectionClosedReason.poolClosed);
      return;
    }
    const reason = this.perishedReason(connection, false);
    if (reason) {
      this.destroy(connection, reason);
    } else {
      this.makeAvailable(connection);
    }
    this.processWaitQueue();
  }

  /** Check out, run `fn`, check in (also when `fn` throws). */
  async withConnection<T>(fn: (conn: Connection) => Promise<T>, options?: CheckOutOptions): Promise<T> {
    const conn = await this.checkOut(options);
    try {
      return await fn(conn);
    } finally {
      this.checkIn(conn);
    }
  }

  // ------------------------------------------------------------------ state changes

  ready(): void {
    if (this._state !== PoolState.paused) return;
    this._state = PoolState.ready;
    this.emit('connectionPoolReady', { address: this.address });
    this.schedule(0);
    this.processWaitQueue();
  }

  clear(options: { interruptInUseConnections?: boolean; serviceId?: unknown } = {}): void {
    if (this._state === PoolState.closed) return;
    const interrupt = options.interruptInUseConnections === true;
    if (this.options.loadBalanced && options.serviceId !== undefined) {
      const key = serviceKey(options.serviceId);
      this.serviceGenerations.set(key, (this.serviceGenerations.get(key) ?? 0) + 1);
      this.emit('connectionPoolCleared', { address: this.address, serviceId: options.serviceId, interruptInUseConnections: interrupt });
      this.schedule(0);
      return;
    }
    const oldGeneration = this._generation;
    this._generation++;
    const wasPaused = this._state === PoolState.paused;
    this._state = PoolState.paused;
    if (!wasPaused) {
      this.emit('connectionPoolCleared', { address: this.address, interruptInUseConnections: interrupt });
    }
    this.failWaiters(ConnectionCheckOutFailedReason.connectionError, () => this.clearedError());
    if (interrupt) {
      const error = new MongoPoolClearedError(`Connection to ${this.address} interrupted due to server monitor timeout`);
      for (const conn of this.inUse) {
        if ((this.connGeneration.get(conn) ?? conn.generation) <= oldGeneration) interruptConnection(conn, error);
      }
      for (const e of this.establishing) e.controller.abort(error);
    }
    this.schedule(0);
  }

  async close(): Promise<void> {
    if (this._state === PoolState.closed) return;
    this._state = PoolState.closed;
    this.stopTimer();
    const available = this.available;
    this.available = [];
    for (const conn of available) this.destroy(conn, ConnectionClosedReason.poolClosed);
    this.failWaiters(ConnectionCheckOutFailedReason.poolClosed, () => new MongoPoolClosedError(this.address));
    const establishing = [...this.establishing];
    for (const e of establishing) e.controller.abort(new MongoPoolClosedError(this.address));
    this.emit('connectionPoolClosed', { address: this.address });
    await Promise.allSettled(establishing.map((e) => e.done));
  }

  // ------------------------------------------------------------------ internals

  private clearedError(): MongoPoolClearedError {
    return new MongoPoolClearedError(`Connection pool for ${this.address} was cleared because another operation failed`);
  }

  private failWaiters(reason: ConnectionCheckOutFailedReason, makeError: () => Error): void {
    const waiters = this.waitQueue;
    this.waitQueue = [];
    const now = this.options.now;
    for (const w of waiters) {
      if (w.settled) continue;
      w.settled = true;
      w.cleanup();
      const error = makeError();
      this.emit('connectionCheckOutFailed', { address: this.address, reason, error, durationMS: now() - w.startedAt });
      w.reject(error);
    }
  }

  private generationOf(conn: Connection): number {
    if (this.options.loadBalanced) return this.serviceGenerations.get(serviceKey(conn.serviceId)) ?? 0;
    return this._generation;
  }

  private perishedReason(conn: Connection, checkIdle: boolean): ConnectionClosedReason | undefined {
    const gen = this.connGeneration.get(conn) ?? conn.generation;
    if (gen < this.generationOf(conn)) return ConnectionClosedReason.stale;
    if (conn.closed) return ConnectionClosedReason.error;
    const idle = this.options.maxIdleTimeMS;
    if (checkIdle && idle > 0) {
      const since = this.checkedInAt.get(conn);
      if (since !== undefined && this.options.now() - since >= idle) return ConnectionClosedReason.idle;
    }
    return undefined;
  }

  private destroy(conn: Connection, reason: ConnectionClosedReason, error?: Error): void {
    this.total--;
    this.connGeneration.delete(conn);
    this.checkedInAt.delete(conn);
    this.emit('connectionClosed', { address: this.address, connectionId: conn.id, reason, ...(error ? { error } : {}) });
    conn.close();
    // Below minPoolSize again: let the background run repopulate.
    this.schedule();
  }

  private makeAvailable(conn: Connection): void {
    this.checkedInAt.set(conn, this.options.now());
    this.available.push(conn);
    if (this.options.maxIdleTimeMS > 0) this.schedule();
  }

  /** Most recently used non-perished available connection; closes perished ones found. */
  private takeAvailable(): Connection | undefined {
    for (;;) {
      const conn = this.available.pop();
      if (!conn) return undefined;
      const reason = this.perishedReason(conn, true);
      if (!reason) {
        this.checkedInAt.delete(conn);
        return conn;
      }
      this.destroy(conn, reason);
    }
  }

  private canCreate(): boolean {
    const { maxPoolSize, maxConnecting } = this.options;
    return (maxPoolSize === 0 || this.total < maxPoolSize) && this.pending < maxConnecting;
  }

  private processWaitQueue(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this._state === PoolState.ready && this.waitQueue.length > 0) {
        const waiter = this.waitQueue[0]!;
        if (waiter.settled) {
          this.waitQueue.shift();
          continue;
        }
        const conn = this.takeAvailable();
        if (conn) {
          this.waitQueue.shift();
          this.handOut(waiter, conn);
          continue;
        }
        // A connection being established to populate minPoolSize is nearly ready: take
        // it rather than opening one more (CMAP: blocked threads get minPoolSize connections).
        const populating = [...this.establishing].find((e) => e.waiter === undefined);
        if (populating) {
          this.waitQueue.shift();
          waiter.cleanup();
          populating.waiter = waiter;
          continue;
        }
        if (this.canCreate()) {
          this.waitQueue.shift();
          // Leaving the wait queue: the wait-queue timeout no longer applies.
          waiter.cleanup();
          this.create(waiter);
          continue;
        }
        break;
      }
    } finally {
      this.processing = false;
    }
  }

  private handOut(waiter: Waiter, conn: Connection): void {
    if (waiter.settled) {
      this.makeAvailable(conn);
      return;
    }
    waiter.settled = true;
    waiter.cleanup();
    this.inUse.add(conn);
    this.emit('connectionCheckedOut', {
      address: this.address,
      connectionId: conn.id,
      durationMS: this.options.now() - waiter.startedAt,
    });
    waiter.resolve(conn);
    // Keep minPoolSize (spec: checkOut ensures it asynchronously).
    if (this.total < this.options.minPoolSize) this.schedule(0);
  }

  /** Creates and establishes a connection, for `waiter` or (undefined) to populate the pool. */
  private create(waiter: Waiter | undefined): void {
    const id = this.nextConnectionId++;
    const generation = this._generation;
    this.total++;
    this.pending++;
    const createdAt = this.options.now();
    this.emit('connectionCreated', { address: this.address, connectionId: id });
    const controller = new AbortController();
    const entry: Establishing = { controller, done: Promise.resolve(), waiter };
    this.establishing.add(entry);
    entry.done = this.establish(id, generation, createdAt, entry);
  }

  /** Never rejects: every outcome is reported through events and the waiter. */
  private async establish(
    id: number,
    generation: number,
    createdAt: number,
    entry: Establishing,
  ): Promise<void> {
    const { controller } = entry;
    let conn: Connection | undefined;
    let failure: Error | undefined;
    try {
      conn = await this.options.connect({ id, generation, signal: controller.signal });
      if (controller.signal.aborted) {
        conn.close();
        conn = undefined;
        failure = abortReason(controller.signal);
      }
    } catch (e) {
      failure = controller.signal.aborted ? abortReason(controller.signal) : e instanceof Error ? e : new Error(String(e));
    }
    this.establishing.delete(entry);
    this.pending--;
    const waiter = entry.waiter;
    const now = this.options.now;
    const closed = this._state === PoolState.closed;
    if (!conn) {
      const error = failure!;
      this.total--;
      if (!waiter && !closed) this.options.onBackgroundError?.(error);
      this.emit('connectionClosed', {
        address: this.address,
        connectionId: id,
        reason: closed ? ConnectionClosedReason.poolClosed : ConnectionClosedReason.error,
        error,
      });
      if (waiter && !waiter.settled) {
        waiter.settled = true;
        this.emit('connectionCheckOutFailed', {
          address: this.address,
          reason: closed ? ConnectionCheckOutFailedReason.poolClosed : ConnectionCheckOutFailedReason.connectionError,
          error,
          durationMS: now() - waiter.startedAt,
        });
        waiter.reject(error);
      }
      this.schedule();
      this.processWaitQueue();
      return;
    }
    this.connGeneration.set(conn, this.options.loadBalanced ? this.generationOf(conn) : generation);
    this.emit('connectionReady', { address: this.address, connectionId: id, durationMS: now() - createdAt });
    if (closed) {
      if (waiter && !waiter.settled) {
        waiter.settled = true;
        const error = new MongoPoolClosedError(this.address);
        this.emit('connectionCheckOutFailed', {
          address: this.address,
          reason: ConnectionCheckOutFailedReason.poolClosed,
          error,
          durationMS: now() - waiter.startedAt,
        });
        waiter.reject(error);
      }
      this.destroy(conn, ConnectionClosedReason.poolClosed);
      return;
    }
    if (waiter) this.handOut(waiter, conn);
    else this.makeAvailable(conn);
    this.processWaitQueue();
    if (this.total < this.options.minPoolSize) this.schedule(0);
  }

  // ------------------------------------------------------------------ background run

  /** Whether a background run has work to do now or later. */
  private needsRun(): boolean {
    if (this._state === PoolState.closed) return false;
    if (this._state === PoolState.ready && this.total < this.options.minPoolSize) return true;
    if (this.available.length === 0) return false;
    if (this.options.maxIdleTimeMS > 0) return true;
    return this.available.some((c) => this.perishedReason(c, false) !== undefined);
  }

  /** (Re)arm the single background timer, at most `delay` ms from now. */
  private schedule(delay = this.options.backgroundIntervalMS): void {
    if (this.options.backgroundIntervalMS < 0 || this._state === PoolState.closed) return;
    if (!this.needsRun()) return;
    const due = this.options.now() + delay;
    if (this.timer !== undefined) {
      if (due >= this.timerDueAt) return;
      clearTimeout(this.timer);
    }
    this.timerDueAt = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDueAt = Infinity;
      this.backgroundRun();
    }, Math.max(0, delay));
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }

  private backgroundRun(): void {
    if (this._state === PoolState.closed) return;
    const keep: Connection[] = [];
    const perished: Array<{ conn: Connection; reason: ConnectionClosedReason }> = [];
    for (const conn of this.available) {
      const reason = this.perishedReason(conn, true);
      if (reason) perished.push({ conn, reason });
      else keep.push(conn);
    }
    this.available = keep;
    for (const p of perished) this.destroy(p.conn, p.reason);
    if (this._state === PoolState.ready) {
      // Waiters come first: only populate what check-outs are not about to create.
      while (this.total < this.options.minPoolSize && this.canCreate() && this.waitQueue.length === 0) {
        this.create(undefined);
      }
    }
    this.schedule();
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** Interrupt an in-use connection: prefer destroy(error) so its pending request sees why. */
function interruptConnection(conn: Connection, error: MongoPoolClearedError): void {
  const destroyable = conn as Connection & { destroy?: (e: MongoPoolClearedError) => void };
  if (typeof destroyable.destroy === 'function') destroyable.destroy(error);
  else conn.close();
}
