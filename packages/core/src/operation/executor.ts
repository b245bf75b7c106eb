/**
 * The seam between the client API (MongoClient, Db, Collection, cursors in client/)
 * and the machinery that runs a command (SDAM topology + server selection + pool +
 * retryability, here in operation/). The client layer builds complete commands; an
 * executor decorates, routes and sends them. Dependencies go one way: client/
 * imports this contract and its default implementation (topology-executor.ts);
 * nothing in operation/ imports client/.
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
 * - Transactions: with `options.transaction` the command is decorated by
 *   `decorateTransactionStatement` (txnNumber, autocommit, startTransaction, readConcern;
 *   no statement writeConcern), sent once (never retried: the client layer retries
 *   commit and abort), to `transaction.pinnedServer` when set; on a sharded cluster the
 *   mongos selected for an unpinned one is reported to `transaction.pin`.
 * - Sessions and cluster time: after every attempt the executor hands the reply (or
 *   the error reply) to `session.observeReply` and marks the session dirty after a
 *   network error, so a retried operation still reports what its first attempt saw;
 *   the client layer does the same with the final result (client/operation.ts), which
 *   keeps sessions right under executors that do not (test fakes). The executor also
 *   keeps the client-wide `$clusterTime` gossip (from every reply, monitors included).
 */
import type { BsonDeserializeOptions } from '../wire/bson-io.js';
import type { Binary, Long } from 'bson';
import type { Document } from '../errors.js';
import type { ReadPreference } from '../selection/read-preference.js';
import type { TopologyDescription } from '../sdam/topology-description.js';
import type { DriverInfo } from '../connection/metadata.js';
import type { MongoClientOptions, MongoOptions } from '../uri/client-options.js';
import type { ClusterTime } from './cluster-time.js';
import type { Timeout } from './timeout.js';

/** What an executor needs of a session (client/sessions.ts ClientSession is one). */
export interface ExecutorSession {
  /** The lsid `{ id: UUID }`; reading it checks a server session out of the pool. */
  readonly id: { readonly id: Binary };
  /** The transaction number of the current retryable write, as sent. */
  readonly txnNumber: Long;
  /** Called once per retryable write, before its first attempt. */
  incrementTransactionNumber(): void;
  /** The highest `$clusterTime` this session has seen. */
  readonly clusterTime: ClusterTime | undefined;
  /** Advance the session's `$clusterTime` and operationTime from a reply or an error reply. */
  observeReply(reply: Document | undefined): void;
  /** A network error happened while in use: the server session is discarded, not reused. */
  markDirty(): void;
}

export interface ExecuteOptions {
  /** For reads; commands go to the primary when absent. */
  readPreference?: ReadPreference;
  /** Explicit or implicit session; absent for unacknowledged writes and endSessions. */
  session?: ExecutorSession;
  /** Retryable reads / writes as in the retryability specs; false or absent = no retry. */
  retryable?: 'read' | 'write' | false;
  /** The official driver's `rawData`: added to the command for servers 8.2+ (wire version 27), ignored before. */
  rawData?: boolean;
  /** "host:port": getMore and killCursors go to the server that owns the cursor. */
  pinnedServer?: string;
  /** OP_MSG kind-1 document sequences, e.g. `{ documents: [...] }` for insert. */
  sequences?: Record<string, Document[]>;
  /** Unacknowledged (w:0) write: send with moreToCome, do not wait for a reply. */
  moreToCome?: boolean;
  /** The BSON option: undefined values in user documents are left out (true) or sent as null (false). */
  ignoreUndefined?: boolean;
  /** Decode the reply a second time with these options for the application (wire/application-view.ts). */
  deserialize?: BsonDeserializeOptions;
  signal?: AbortSignal;
  /**
   * Client Side Operations Timeout: the operation's deadline (operation/timeout.ts), shared
   * by every command of the operation. Bounds server selection (with
   * serverSelectionTimeoutMS), connection checkout and the wait for the reply, sets each
   * command's maxTimeMS (remaining time minus the server's minRoundTripTime) and lets
   * retryable operations retry while time remains. Its expiry is a MongoOperationTimeoutError.
   */
  timeout?: Timeout;
  /**
   * `timeoutMS` is set at some level (0 included): the legacy socketTimeoutMS and
   * waitQueueTimeoutMS no longer apply.
   */
  csot?: boolean;
  /**
   * A getMore of a tailable awaitData cursor (or change stream): its maxTimeMS (the
   * cursor's maxAwaitTimeMS) is capped by the deadline's. Other getMores never get one.
   */
  awaitData?: boolean;
  /** The command gets no maxTimeMS from the deadline (a cursor's initial command in timeoutMode 'iteration'). */
  omitMaxTimeMS?: boolean;
  /**
   * A command of a multi-document transaction (Transactions spec): decorated by
   * `decorateTransactionStatement`, never retried here, routed to `pinnedServer` when
   * set; on a sharded cluster the mongos selected for an unpinned one is reported to
   * `pin`. The client layer owns the transaction's state and its commit/abort retries.
   */
  transaction?: TransactionStatement;
}

/** What the executor needs to send one command of a transaction. */
export interface TransactionStatement {
  /**
   * 'start': the first statement (`startTransaction: true`, `readConcern` below);
   * 'continue': a later statement; 'end': commitTransaction / abortTransaction (keeps
   * its own writeConcern).
   */
  readonly kind: 'start' | 'continue' | 'end';
  /** The transaction's number, sent as `txnNumber` by every command of it. */
  readonly txnNumber: Long;
  /** The first statement's readConcern (the transaction's, plus afterClusterTime); undefined: none. */
  readonly readConcern?: Document | undefined;
  /** "host:port" of the mongos the transaction is pinned to. */
  readonly pinnedServer?: string | undefined;
  /** Called with the mongos selected for an unpinned command on a sharded cluster. */
  pin?(address: string): void;
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
  /** The deployment as the executor sees it, if it tracks one (MongoClient.topologyDescription). */
  readonly description?: TopologyDescription | undefined;
  /** "host:port" of the server that answered the most recent operation, if tracked (MongoClient.address). */
  readonly lastAddress?: string | undefined;
  /** MongoClient.appendMetadata: connections opened from now on carry `info` in their handshake too. */
  appendMetadata?(info: DriverInfo): void;
  /**
   * True where I/O is request-scoped (Workers) and connect() serves each request on that
   * request's own I/O: MongoClient then lets a request that finds another request's connect()
   * in flight call connect() itself, instead of waiting on the other request's I/O.
   */
  readonly connectsPerRequest?: boolean;
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

/**
 * Builds the executor on a MongoClient's first connect(). MongoClient uses
 * `topologyExecutorFactory` (topology-executor.ts) unless `options.executorFactory`
 * is given (tests inject fakes this way).
 */
export type ExecutorFactory = (context: ExecutorFactoryContext) => ManagedOperationExecutor;
