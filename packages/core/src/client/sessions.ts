/**
 * Driver sessions (spec: sessions/driver-sessions): ClientSession over a pooled
 * ServerSession. Server sessions are created lazily (only when a command actually
 * carries an lsid), reused most-recently-used first, and discarded when dirty or
 * within a minute of logicalSessionTimeoutMinutes.
 */
import { Long, UUID, type Binary, type Timestamp } from 'bson';
import { MongoInvalidArgumentError, MongoTransactionError, type Document } from '../errors.js';
import { MongoExpiredSessionError } from '../errors.js';
import { asClusterTime, compareTimestamps, laterClusterTime, type ClusterTime } from '../operation/cluster-time.js';
import type { ExecutorSession } from '../operation/executor.js';
import { validateTimeoutMS, type DeadlineOptions } from '../operation/timeout.js';
import { Transaction } from './transaction.js';
import { loadCold } from '../cold/load.js';
import { startTransaction, type TransactionOptions, type TransactionOwner } from './transaction-commands.js';

/** `{ id: UUID }`, the session id sent as `lsid` (Binary subtype 4). */
export interface ServerSessionId {
  id: Binary;
}

export class ServerSession {
  readonly id: ServerSessionId = { id: new UUID() };
  /** ms since epoch of the last use (set when the session is returned to the pool). */
  lastUse: number;
  txnNumber = 0;
  /** A network error happened while in use: discard instead of reusing. */
  isDirty = false;

  constructor(now: number) {
    this.lastUse = now;
  }

  /** True if the session would expire within a minute (spec: "about to expire"). */
  hasTimedOut(sessionTimeoutMinutes: number | null, now: number): boolean {
    if (sessionTimeoutMinutes === null) return false;
    const idleMinutes = (now - this.lastUse) / 60_000;
    return idleMinutes > sessionTimeoutMinutes - 1;
  }
}

export interface SessionPoolClock {
  now(): number;
}

const systemClock: SessionPoolClock = { now: () => Date.now() };

export class ServerSessionPool {
  /** Most recently used first. */
  #sessions: ServerSession[] = [];
  readonly #clock: SessionPoolClock;

  constructor(clock: SessionPoolClock = systemClock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#sessions.length;
  }

  /** Reuse the most recently used session that is not about to expire, else a new one. */
  acquire(sessionTimeoutMinutes: number | null): ServerSession {
    const now = this.#clock.now();
    while (this.#sessions.length > 0) {
      const s = this.#sessions.shift()!;
      if (!s.hasTimedOut(sessionTimeoutMinutes, now)) return s;
    }
    return new ServerSession(now);
  }

  /** Return a session to the front of the pool; prune expired ones from the back. */
  release(session: ServerSession, sessionTimeoutMinutes: number | null): void {
    const now = this.#clock.now();
    session.lastUse = now;
    while (this.#sessions.at(-1)?.hasTimedOut(sessionTimeoutMinutes, now)) this.#sessions.pop();
    if (session.isDirty) return;
    if (session.hasTimedOut(sessionTimeoutMinutes, now)) return;
    if (this.#sessions.includes(session)) return;
    this.#sessions.unshift(session);
  }

  /** Empty the pool, returning the ids for the endSessions command. */
  drain(): ServerSessionId[] {
    const ids = this.#sessions.map((s) => s.id);
    this.#sessions = [];
    return ids;
  }
}

/** endSessions accepts at most 10,000 ids per command. */
export const END_SESSIONS_BATCH_SIZE = 10_000;

export function endSessionsCommands(ids: readonly ServerSessionId[]): Document[] {
  const out: Document[] = [];
  for (let i = 0; i < ids.length; i += END_SESSIONS_BATCH_SIZE) {
    out.push({ endSessions: ids.slice(i, i + END_SESSIONS_BATCH_SIZE) });
  }
  return out;
}

export interface ClientSessionOptions {
  /** Default true for explicit sessions. */
  causalConsistency?: boolean;
  snapshot?: boolean;
  /** A snapshot session's read time: every read reads at this cluster time (needs `snapshot: true`). */
  snapshotTime?: Timestamp;
  defaultTransactionOptions?: TransactionOptions;
  /** Client Side Operations Timeout: the timeoutMS of operations in this session that set none. */
  defaultTimeoutMS?: number;
}

/** What a session needs from its client. */
export interface SessionOwner {
  readonly sessionPool: ServerSessionPool;
  logicalSessionTimeoutMinutes(): number | null;
  /** Called once when an explicit session ends. */
  onSessionEnded?(session: ClientSession): void;
}

let sessionCounter = 0;

export class ClientSession implements ExecutorSession {
  readonly explicit: boolean;
  readonly supports: { causalConsistency: boolean };
  readonly snapshotEnabled: boolean;
  readonly defaultTransactionOptions: TransactionOptions;
  /** CSOT: the timeoutMS of the session's operations that set none (before the collection's). */
  readonly defaultTimeoutMS: number | undefined;
  /** CSOT: while withTransaction runs with a timeoutMS, the deadline every operation of the session shares. */
  withTransactionDeadline: DeadlineOptions | undefined;
  /** The current (or last) transaction (Transactions spec). */
  readonly transaction = new Transaction();
  clusterTime: ClusterTime | undefined;
  operationTime: Timestamp | undefined;
  /** Snapshot Reads spec: the atClusterTime of a snapshot session's first read; its later reads read at it. */
  snapshotTime: Timestamp | undefined;
  /** An internal identity for equality before a server session exists. */
  readonly #localId = ++sessionCounter;
  readonly #owner: SessionOwner;
  #server: ServerSession | undefined;
  #ended = false;
  #endedId: ServerSessionId | undefined;

  constructor(owner: SessionOwner, options: ClientSessionOptions = {}, explicit = true) {
    if (options.snapshot && options.causalConsistency) {
      throw new MongoInvalidArgumentError('Properties "causalConsistency" and "snapshot" are mutually exclusive');
    }
    this.#owner = owner;
    this.explicit = explicit;
    if (options.snapshotTime !== undefined && options.snapshot !== true) {
      throw new MongoInvalidArgumentError('snapshotTime can only be set on a snapshot session (snapshot: true)');
    }
    this.snapshotEnabled = options.snapshot === true;
    this.snapshotTime = options.snapshotTime;
    this.supports = { causalConsistency: options.snapshot ? false : (options.causalConsistency ?? explicit) };
    this.defaultTransactionOptions = { ...options.defaultTransactionOptions };
    this.defaultTimeoutMS = validateTimeoutMS(options.defaultTimeoutMS, 'defaultTimeoutMS');
  }

  /** True if this session was started by `owner` (a MongoClient). */
  belongsTo(owner: SessionOwner): boolean {
    return this.#owner === owner;
  }

  /** The lsid `{ id: UUID }`. Reading it checks a server session out of the pool. */
  /** The lsid; after the session ended, still the one it used (as the official driver keeps it). */
  get id(): ServerSessionId {
    if (this.#ended && this.#endedId) return this.#endedId;
    return this.serverSession.id;
  }

  get serverSession(): ServerSession {
    if (this.#ended) throw new MongoExpiredSessionError();
    this.#server ??= this.#owner.sessionPool.acquire(this.#owner.logicalSessionTimeoutMinutes());
    return this.#server;
  }

  /** True once a server session was checked out (an lsid was sent). */
  get hasServerSession(): boolean {
    return this.#server !== undefined;
  }

  get hasEnded(): boolean {
    return this.#ended;
  }

  /** The transaction number of the current retryable write (Long, as sent). */
  get txnNumber(): Long {
    return Long.fromNumber(this.serverSession.txnNumber);
  }

  /** Called by the executor once per retryable write, before the first attempt. */
  incrementTransactionNumber(): void {
    this.serverSession.txnNumber += 1;
  }

  /** Mark the server session so it is discarded instead of reused (network error). */
  markDirty(): void {
    if (this.#server) this.#server.isDirty = true;
  }

  advanceClusterTime(clusterTime: ClusterTime | undefined): void {
    this.clusterTime = laterClusterTime(this.clusterTime, asClusterTime(clusterTime));
  }

  advanceOperationTime(operationTime: Timestamp | undefined): void {
    if (!operationTime) return;
    if (!this.operationTime || compareTimestamps(operationTime, this.operationTime) > 0) {
      this.operationTime = operationTime;
    }
  }

  /** Track $clusterTime / operationTime from a reply (or an error reply). */
  observeReply(reply: Document | undefined): void {
    if (!reply) return;
    this.advanceClusterTime(asClusterTime(reply.$clusterTime));
    this.advanceOperationTime(reply.operationTime as Timestamp | undefined);
    if (this.snapshotEnabled && this.snapshotTime === undefined) {
      // find / aggregate answer it in the cursor, distinct at the top level
      const at = (reply.cursor as Document | undefined)?.atClusterTime ?? reply.atClusterTime;
      if (at !== undefined) this.snapshotTime = at as Timestamp;
    }
    this.transaction.observeRecoveryToken(reply);
  }

  /** True in a started transaction that is not yet committed or aborted. */
  inTransaction(): boolean {
    return this.transaction.isActive;
  }

  startTransaction(options?: TransactionOptions): void {
    startTransaction(this, this.#transactionOwner(), options);
  }

  async commitTransaction(options: { timeoutMS?: number } = {}): Promise<void> {
    await (await loadCold()).commitTransaction(this, this.#transactionOwner(), options.timeoutMS);
  }

  async abortTransaction(options: { timeoutMS?: number } = {}): Promise<void> {
    await (await loadCold()).abortTransaction(this, this.#transactionOwner(), options.timeoutMS);
  }

  /** Runs `fn` in a transaction and commits it, retrying as the Convenient Transaction API says. */
  async withTransaction<T>(fn: (session: ClientSession) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const owner = this.#transactionOwner();
    return await (await loadCold()).withTransaction(this, owner, fn, options);
  }

  #transactionOwner(): TransactionOwner {
    const owner = this.#owner as SessionOwner & Partial<TransactionOwner>;
    if (!owner.getExecutor || !owner.resolvedOptions) throw new MongoTransactionError('Transactions need a session started by a MongoClient');
    return owner as SessionOwner & TransactionOwner;
  }

  equals(other: ClientSession): boolean {
    if (this === other) return true;
    if (!this.#server || !other.#server) return false;
    const a = this.#server.id.id.buffer;
    const b = other.#server.id.id.buffer;
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  /** Aborts a transaction in progress (best effort), returns the server session to the pool. Idempotent. */
  async endSession(): Promise<void> {
    if (!this.#ended && this.inTransaction()) await this.abortTransaction().catch(() => undefined);
    this.endSync();
  }

  /** @internal synchronous end used by cursors and implicit sessions. */
  endSync(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#server) {
      this.#endedId = this.#server.id;
      this.#owner.sessionPool.release(this.#server, this.#owner.logicalSessionTimeoutMinutes());
      this.#server = undefined;
    }
    if (this.explicit) this.#owner.onSessionEnded?.(this);
  }


  toString(): string {
    return `ClientSession(${this.explicit ? 'explicit' : 'implicit'} #${this.#localId})`;
  }
}
