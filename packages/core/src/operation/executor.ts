/**
 * The seam between the client API (MongoClient, Db, Collection, cursors) and the
 * machinery that actually runs a command (SDAM topology + server selection + pool
 * + retryability). The client layer builds complete commands; the executor
 * decorates, routes and sends them.
 *
 * Contract for implementers:
 * - `execute(db, command, options)` sends `command` to database `db`. It adds
 *   `$db`; `lsid: options.session.id` when a session is given and the deployment
 *   supports sessions (reading `session.id` lazily checks out a server session, so
 *   do not touch it otherwise); `$clusterTime` (the highest known of the client's
 *   and the session's); `$readPreference` where the wire protocol needs it; and for
 *   `retryable: 'write'` on a deployment that supports retryable writes, calls
 *   `session.incrementTransactionNumber()` once per operation and sends
 *   `txnNumber: session.txnNumber` on the first attempt and the retry alike.
 * - Routing: `pinnedServer` wins (getMore / killCursors go to the cursor's
 *   server); otherwise select by `readPreference` (default primary).
 * - Replies: an `ok: 0` reply rejects with `MongoServerError` (the whole reply as
 *   `errorResponse`); network failures reject with `MongoNetworkError`. An `ok: 1`
 *   reply resolves, even if it carries `writeErrors` / `writeConcernError`: the
 *   client layer turns those into the right error. The executor should still
 *   inspect `writeConcernError` for the retryable-writes rules.
 * - `moreToCome: true` (unacknowledged w:0 writes): send with the OP_MSG
 *   moreToCome flag and resolve with `{ reply: { ok: 1 }, address }` once written.
 * - Sessions/cluster time: the client layer advances the session's `clusterTime` and
 *   `operationTime` from replies (and from `MongoServerError.errorResponse`) and
 *   marks the server session dirty on network errors; the executor keeps the
 *   client-wide `$clusterTime` gossip (from every reply, monitors included).
 */
import type { Document } from '../errors.js';
import type { ReadPreference } from '../selection/read-preference.js';
import type { ClientSession } from './sessions.js';
import type { MongoClientOptions } from './options.js';
import type { MongoOptions } from '../uri/client-options.js';

export interface ExecuteOptions {
  /** For reads; commands go to the primary when absent. */
  readPreference?: ReadPreference;
  /** Explicit or implicit session; absent for unacknowledged writes and endSessions. */
  session?: ClientSession;
  /** Retryable reads / writes as in the retryability specs; false or absent = no retry. */
  retryable?: 'read' | 'write' | false;
  /** "host:port": getMore and killCursors go to the server that owns the cursor. */
  pinnedServer?: string;
  /** OP_MSG kind-1 document sequences, e.g. `{ documents: [...] }` for insert. */
  sequences?: Record<string, Document[]>;
  /** Unacknowledged (w:0) write: send with moreToCome, do not wait for a reply. */
  moreToCome?: boolean;
  signal?: AbortSignal;
}

export interface ExecuteResult {
  /** The decoded reply (ok: 1). */
  reply: Document;
  /** "host:port" of the server that answered. */
  address: string;
}

/** Size limits from the (primary's) hello reply, or the defaults before one is known. */
export interface WireLimits {
  maxBsonObjectSize: number;
  maxMessageSizeBytes: number;
  maxWriteBatchSize: number;
}

export const DEFAULT_WIRE_LIMITS: WireLimits = Object.freeze({
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
});

export interface OperationExecutor {
  execute(db: string, command: Document, options?: ExecuteOptions): Promise<ExecuteResult>;
  /** Current size limits (used to split insertMany / bulkWrite into batches). */
  limits(): WireLimits;
  /**
   * The topology's logicalSessionTimeoutMinutes, or null when the deployment does
   * not support sessions. Used by the server session pool to discard sessions
   * that are about to expire.
   */
  logicalSessionTimeoutMinutes(): number | null;
}

/** What MongoClient owns: an executor it can start and stop. */
export interface ManagedOperationExecutor extends OperationExecutor {
  /** Start monitoring and wait until the deployment is usable (or fail). */
  connect(): Promise<void>;
  /** Stop everything it started: monitors, pools, timers. */
  close(): Promise<void>;
}

export interface ExecutorFactoryContext {
  /** The connection string given to `new MongoClient(url)`. */
  readonly url: string;
  /** The options given to `new MongoClient(url, options)` (minus `executorFactory`). */
  readonly options: Readonly<MongoClientOptions>;
  /** The same, parsed and validated by uri/ (SRV not yet resolved: do that in connect()). */
  readonly mongoOptions: MongoOptions;
  /** Emit a client event (commandStarted, serverHeartbeatSucceeded, topologyDescriptionChanged, ...). */
  emit(event: string, payload: unknown): void;
}

/** Supplied by the integrator (topology wiring); called on the first connect(). */
export type ExecutorFactory = (context: ExecutorFactoryContext) => ManagedOperationExecutor;
