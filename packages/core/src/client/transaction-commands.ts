/**
 * The effects of the Transactions spec that every operation may need: options
 * resolution, startTransaction, and the decoration of an operation run in a transaction
 * (`transactionStatement`, called by executeCommand). Ending a transaction (commit, abort,
 * withTransaction) is transaction-end.ts, loaded on first use. The decisions are
 * transaction.ts's.
 *
 * Imports from sessions.ts and operation.ts are types only (both import this file).
 */
import { MongoCompatibilityError, MongoError, MongoErrorLabel, MongoTransactionError, type Document } from '../errors.js';
import type { ReadConcernLike } from '../concern/read-concern.js';
import type { ExecuteOptions, OperationExecutor, TransactionStatement } from '../operation/executor.js';
import { ReadPreference, ReadPreferenceMode, type ReadPreferenceLike } from '../selection/read-preference.js';
import { isUnacknowledged, readConcernDocument, resolveReadConcern, resolveReadPreference, resolveWriteConcern, type WriteConcernLike } from './concerns.js';
import type { ClientLayerOptions } from './options.js';
import type { ClientSession } from './sessions.js';
import { TransactionMisuse, onStartTransaction, onStatement, statementErrorOutcome, type ResolvedTransactionOptions, type Transaction } from './transaction.js';

/** `startTransaction(options)` / `withTransaction(fn, options)` / `defaultTransactionOptions`. */
export interface TransactionOptions {
  readConcern?: ReadConcernLike;
  writeConcern?: WriteConcernLike;
  readPreference?: ReadPreferenceLike;
  maxCommitTimeMS?: number;
  /** withTransaction only (CSOT): one deadline for the whole call, replacing its 120 s limit. */
  timeoutMS?: number;
}

/** What a session's transactions need of its client (MongoClient is one). */
export interface TransactionOwner {
  readonly resolvedOptions: ClientLayerOptions;
  getExecutor(): Promise<OperationExecutor>;
}

// ------------------------------------------------------------------ startTransaction

/** The transaction's options: the call's, else the session's defaults, else the client's. */
export function resolveTransactionOptions(
  options: TransactionOptions | undefined,
  defaults: TransactionOptions,
  client: Pick<ClientLayerOptions, 'readConcern' | 'writeConcern' | 'readPreference'>,
): ResolvedTransactionOptions {
  return {
    readConcern: resolveReadConcern(options?.readConcern, resolveReadConcern(defaults.readConcern, client.readConcern)),
    writeConcern: resolveWriteConcern(options?.writeConcern, resolveWriteConcern(defaults.writeConcern, client.writeConcern)),
    readPreference: resolveReadPreference(options?.readPreference, resolveReadPreference(defaults.readPreference, client.readPreference)),
    maxCommitTimeMS: options?.maxCommitTimeMS ?? defaults.maxCommitTimeMS,
  };
}

export function startTransaction(session: ClientSession, owner: TransactionOwner, options?: TransactionOptions): void {
  const result = onStartTransaction(session.transaction.snapshot, { snapshot: session.snapshotEnabled });
  if (result.kind === 'refused') {
    if (result.message === TransactionMisuse.snapshotSession) throw new MongoCompatibilityError(result.message);
    throw new MongoTransactionError(result.message);
  }
  const resolved = resolveTransactionOptions(options, session.defaultTransactionOptions as TransactionOptions, owner.resolvedOptions);
  if (isUnacknowledged(resolved.writeConcern)) throw new MongoTransactionError(TransactionMisuse.unacknowledged);
  session.incrementTransactionNumber();
  session.transaction.begin(resolved, result.next);
}

// ------------------------------------------------------------------ a statement

/**
 * Called for every command sent with a session (client/operation.ts executeCommand).
 * Outside a transaction: leaves a finished one (and its mongos). In one: refuses a read
 * whose transaction read preference is not primary, routes reads by the transaction's
 * read preference, and sets `options.transaction` (never retried as a retryable write).
 */
export function transactionStatement(session: ClientSession, options: ExecuteOptions, generic = false): void {
  const txn = session.transaction;
  const result = onStatement(txn.snapshot);
  if (result.kind === 'outside') {
    txn.apply(result.next);
    return;
  }
  // As the official driver: a read, or a generic command (db.command, its runCommand),
  // uses the transaction's read preference, or the one given to db.command explicitly
  // (a read's own may be inherited from its collection, which a transaction overrides).
  // Cursors' getMore and killCursors follow their cursor.
  const readLike = options.pinnedServer === undefined && (options.retryable === 'read' || generic);
  const rp = (generic ? options.readPreference : undefined) ?? txn.options?.readPreference ?? ReadPreference.primary;
  if (readLike && rp.mode !== ReadPreferenceMode.primary) {
    throw new MongoTransactionError(`Read preference in a transaction must be primary, not: ${rp.mode}`);
  }
  if (readLike) options.readPreference = rp;
  txn.apply(result.next);
  options.transaction = statementOf(session, txn, result.kind === 'first' ? 'start' : 'continue', options.pinnedServer);
}

export function statementOf(session: ClientSession, txn: Transaction, kind: TransactionStatement['kind'], cursorServer?: string): TransactionStatement {
  let readConcern: Document | undefined;
  if (kind === 'start') {
    readConcern = readConcernDocument(txn.options?.readConcern);
    if (session.supports.causalConsistency && session.operationTime) readConcern = { ...readConcern, afterClusterTime: session.operationTime };
  }
  return {
    kind,
    txnNumber: session.txnNumber,
    readConcern,
    // A getMore goes to its cursor's server, which on a sharded cluster is the pinned mongos.
    pinnedServer: txn.pinnedServer ?? cursorServer,
    // Only a statement pins; a commit retried after unpinning goes to any mongos.
    pin: kind === 'end' ? undefined : (address) => txn.pin(address),
  };
}

/** A statement of an active transaction failed: labels and unpinning. */
export function transactionStatementFailed(session: ClientSession, error: unknown): void {
  const outcome = statementErrorOutcome(error);
  if (outcome.transient) (error as MongoError).addErrorLabel(MongoErrorLabel.TransientTransactionError);
  if (outcome.unpin) session.transaction.unpin();
}
