/**
 * The Transactions spec's state machine, pure: each action (startTransaction, a
 * statement, commitTransaction, abortTransaction) takes the transaction's current
 * snapshot and returns a named result (what to do, the next snapshot, or why the
 * action is refused). Committing and aborting are transaction-end-state.ts's (loaded on
 * first use with transaction-end.ts, which owns their effects); transaction-commands.ts owns
 * the effects of starting and of statements.
 *
 * States use the official driver's names (`session.transaction.state`).
 */
import { MongoError, MongoErrorLabel, MongoNetworkError, MongoServerSelectionError, type Document } from '../errors.js';
import type { ReadConcern } from '../concern/read-concern.js';
import type { WriteConcern } from '../concern/write-concern.js';
import type { ReadPreference } from '../selection/read-preference.js';
import { keyMirror } from '../util/key-mirror.js';

export const TxnState = keyMirror(
  'NO_TRANSACTION',
  'STARTING_TRANSACTION',
  'TRANSACTION_IN_PROGRESS',
  'TRANSACTION_COMMITTED',
  'TRANSACTION_COMMITTED_EMPTY',
  'TRANSACTION_ABORTED',
);
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

/** The options of one transaction, resolved (call > session defaults > client). */
export interface ResolvedTransactionOptions {
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;
  readonly readPreference: ReadPreference;
  readonly maxCommitTimeMS: number | undefined;
}

/** Everything the state machine knows of a session's current (or last) transaction. */
export interface TransactionSnapshot {
  readonly state: TxnState;
  /** A commit was sent and failed: the next commit is a retry (w: majority). */
  readonly commitAttempted: boolean;
  /** The mongos the transaction is pinned to (sharded clusters only). */
  readonly pinnedServer: string | undefined;
  /** The last `recoveryToken` a mongos returned; sent with commit and abort. */
  readonly recoveryToken: Document | undefined;
}

export const INITIAL_TRANSACTION: TransactionSnapshot = Object.freeze({
  state: TxnState.NO_TRANSACTION,
  commitAttempted: false,
  pinnedServer: undefined,
  recoveryToken: undefined,
});

const ACTIVE: ReadonlySet<TxnState> = new Set([TxnState.STARTING_TRANSACTION, TxnState.TRANSACTION_IN_PROGRESS]);
const FINISHED: ReadonlySet<TxnState> = new Set([TxnState.TRANSACTION_COMMITTED, TxnState.TRANSACTION_COMMITTED_EMPTY, TxnState.TRANSACTION_ABORTED]);

/** "starting" or "in progress": operations with the session belong to the transaction. */
export function isActive(t: TransactionSnapshot): boolean {
  return ACTIVE.has(t.state);
}

/** Committed (possibly empty) or aborted. */
export function isFinished(t: TransactionSnapshot): boolean {
  return FINISHED.has(t.state);
}

/** The official driver's messages for each refusal. */
export const TransactionMisuse = Object.freeze({
  snapshotSession: 'Transactions are not supported in snapshot sessions',
  alreadyInProgress: 'Transaction already in progress',
  noTransaction: 'No transaction started',
  commitAfterAbort: 'Cannot call commitTransaction after calling abortTransaction',
  abortTwice: 'Cannot call abortTransaction twice',
  abortAfterCommit: 'Cannot call abortTransaction after calling commitTransaction',
  unacknowledged: 'Transactions do not support unacknowledged write concern',
} as const);
export type TransactionMisuse = (typeof TransactionMisuse)[keyof typeof TransactionMisuse];

export interface Refused {
  readonly kind: 'refused';
  readonly message: TransactionMisuse;
}

export function refused(message: TransactionMisuse): Refused {
  return { kind: 'refused', message };
}

// ------------------------------------------------------------------ startTransaction

export type StartResult =
  | Refused
  /** A new transaction: the caller increments the txnNumber; any pinned mongos is released. */
  | { readonly kind: 'started'; readonly next: TransactionSnapshot };

export function onStartTransaction(t: TransactionSnapshot, session: { readonly snapshot: boolean }): StartResult {
  if (session.snapshot) return refused(TransactionMisuse.snapshotSession);
  if (isActive(t)) return refused(TransactionMisuse.alreadyInProgress);
  return { kind: 'started', next: { ...INITIAL_TRANSACTION, state: TxnState.STARTING_TRANSACTION } };
}

// ------------------------------------------------------------------ an operation with the session

export type StatementResult =
  /** Not in a transaction: a plain operation (a finished transaction is left, its pin released). */
  | { readonly kind: 'outside'; readonly next: TransactionSnapshot }
  /** The first statement: startTransaction: true and the transaction's readConcern. */
  | { readonly kind: 'first'; readonly next: TransactionSnapshot }
  /** A later statement. */
  | { readonly kind: 'continue'; readonly next: TransactionSnapshot };

export function onStatement(t: TransactionSnapshot): StatementResult {
  switch (t.state) {
    case TxnState.NO_TRANSACTION:
      return { kind: 'outside', next: t };
    case TxnState.TRANSACTION_COMMITTED:
    case TxnState.TRANSACTION_COMMITTED_EMPTY:
    case TxnState.TRANSACTION_ABORTED:
      return { kind: 'outside', next: { ...t, state: TxnState.NO_TRANSACTION, pinnedServer: undefined } };
    case TxnState.STARTING_TRANSACTION:
      return { kind: 'first', next: { ...t, state: TxnState.TRANSACTION_IN_PROGRESS } };
    case TxnState.TRANSACTION_IN_PROGRESS:
      return { kind: 'continue', next: t };
  }
}

// ------------------------------------------------------------------ commitTransaction

/**
 * A statement of an active transaction failed: network and server-selection errors
 * get TransientTransactionError; an error with that label releases the pinned mongos.
 */
export function statementErrorOutcome(error: unknown): { readonly transient: boolean; readonly unpin: boolean } {
  if (!(error instanceof MongoError)) return { transient: false, unpin: false };
  const transient =
    error instanceof MongoNetworkError || error instanceof MongoServerSelectionError || error.hasErrorLabel(MongoErrorLabel.TransientTransactionError);
  return { transient, unpin: transient };
}

// ------------------------------------------------------------------ the session's holder

/**
 * `session.transaction`: the current snapshot and options, read-only to users (the
 * official driver's `state`, `options`, `recoveryToken`, `isPinned`, `isActive`,
 * `isCommitted`). transaction-commands.ts moves it with the functions above.
 */
export class Transaction {
  #snapshot: TransactionSnapshot = INITIAL_TRANSACTION;
  #options: ResolvedTransactionOptions | undefined;

  get state(): TxnState {
    return this.#snapshot.state;
  }

  /** The options of the current (or last) transaction; undefined before the first. */
  get options(): ResolvedTransactionOptions | undefined {
    return this.#options;
  }

  get recoveryToken(): Document | undefined {
    return this.#snapshot.recoveryToken;
  }

  /** "host:port" of the mongos the transaction is pinned to. */
  get pinnedServer(): string | undefined {
    return this.#snapshot.pinnedServer;
  }

  get isPinned(): boolean {
    return this.#snapshot.pinnedServer !== undefined;
  }

  get isActive(): boolean {
    return isActive(this.#snapshot);
  }

  get isCommitted(): boolean {
    return isFinished(this.#snapshot);
  }

  /** @internal */
  get snapshot(): TransactionSnapshot {
    return this.#snapshot;
  }

  /** @internal a new transaction with its options. */
  begin(options: ResolvedTransactionOptions, next: TransactionSnapshot): void {
    this.#options = options;
    this.#snapshot = next;
  }

  /** @internal */
  apply(next: TransactionSnapshot): void {
    this.#snapshot = next;
  }

  /** @internal the mongos of the first command of an active transaction. */
  pin(address: string): void {
    if (this.isActive) this.#snapshot = { ...this.#snapshot, pinnedServer: address };
  }

  /** @internal */
  unpin(): void {
    if (this.isPinned) this.#snapshot = { ...this.#snapshot, pinnedServer: undefined };
  }

  /** @internal a mongos' recoveryToken, kept while the transaction is active. */
  observeRecoveryToken(reply: Document): void {
    const token = reply.recoveryToken as Document | undefined;
    if (token && this.isActive) this.#snapshot = { ...this.#snapshot, recoveryToken: token };
  }
}
