/**
 * The Transactions spec's state machine for ending a transaction, pure: commitTransaction
 * and abortTransaction take the current snapshot and return a named result; the
 * error-label rules of commitTransaction. Beside transaction.ts (start, statements) so
 * that it loads on first use with transaction-end.ts (cold/index.ts).
 */
import { MongoError, MongoErrorLabel, MongoNetworkError, MongoServerError, MongoServerSelectionError, MongoWriteConcernError, type Document } from '../errors.js';
import { TransactionMisuse, TxnState, refused, type Refused, type TransactionSnapshot } from './transaction.js';

export type CommitResult =
  | Refused
  /** Nothing was sent to a server: nothing to commit. */
  | { readonly kind: 'empty'; readonly next: TransactionSnapshot }
  /** Send commitTransaction; `retry`: a commit was already attempted (w: majority). */
  | { readonly kind: 'send'; readonly retry: boolean };

export function onCommitTransaction(t: TransactionSnapshot): CommitResult {
  switch (t.state) {
    case TxnState.NO_TRANSACTION:
      return refused(TransactionMisuse.noTransaction);
    case TxnState.TRANSACTION_ABORTED:
      return refused(TransactionMisuse.commitAfterAbort);
    case TxnState.STARTING_TRANSACTION:
    case TxnState.TRANSACTION_COMMITTED_EMPTY:
      return { kind: 'empty', next: { ...t, state: TxnState.TRANSACTION_COMMITTED_EMPTY } };
    case TxnState.TRANSACTION_IN_PROGRESS:
      return { kind: 'send', retry: t.commitAttempted };
    case TxnState.TRANSACTION_COMMITTED:
      return { kind: 'send', retry: true };
  }
}

/** After a commit was sent, whatever its outcome. */
export function afterCommit(t: TransactionSnapshot, outcome: { readonly failed: boolean; readonly unpin: boolean }): TransactionSnapshot {
  return {
    ...t,
    state: TxnState.TRANSACTION_COMMITTED,
    commitAttempted: outcome.failed,
    pinnedServer: outcome.unpin ? undefined : t.pinnedServer,
  };
}

// ------------------------------------------------------------------ abortTransaction

export type AbortResult =
  | Refused
  /** Nothing was sent to a server: nothing to abort. */
  | { readonly kind: 'empty'; readonly next: TransactionSnapshot }
  | { readonly kind: 'send' };

export function onAbortTransaction(t: TransactionSnapshot): AbortResult {
  switch (t.state) {
    case TxnState.NO_TRANSACTION:
      return refused(TransactionMisuse.noTransaction);
    case TxnState.TRANSACTION_ABORTED:
      return refused(TransactionMisuse.abortTwice);
    case TxnState.TRANSACTION_COMMITTED:
    case TxnState.TRANSACTION_COMMITTED_EMPTY:
      return refused(TransactionMisuse.abortAfterCommit);
    case TxnState.STARTING_TRANSACTION:
      return { kind: 'empty', next: afterAbort(t) };
    case TxnState.TRANSACTION_IN_PROGRESS:
      return { kind: 'send' };
  }
}

/** After abortTransaction (sent or not, failed or not): aborted and unpinned. */
export function afterAbort(t: TransactionSnapshot): TransactionSnapshot {
  return { ...t, state: TxnState.TRANSACTION_ABORTED, pinnedServer: undefined };
}

// ------------------------------------------------------------------ error labels

const MAX_TIME_MS_EXPIRED = 50;
const UNKNOWN_REPL_WRITE_CONCERN = 79;
const UNSATISFIABLE_WRITE_CONCERN = 100;
const NON_DETERMINISTIC_WRITE_CONCERN = new Set(['CannotSatisfyWriteConcern', 'UnknownReplWriteConcern', 'UnsatisfiableWriteConcern']);

/** MaxTimeMSExpired, as the error's code or its writeConcernError's. */
export function isMaxTimeMSExpiredError(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  const wce = error.errorResponse.writeConcernError as Document | undefined;
  return error.code === MAX_TIME_MS_EXPIRED || wce?.code === MAX_TIME_MS_EXPIRED;
}

function writeConcernErrorOf(error: MongoServerError): Document | undefined {
  return error.errorResponse.writeConcernError as Document | undefined;
}

/** What a failed commitTransaction attempt means (spec: UnknownTransactionCommitResult). */
export interface CommitErrorOutcome {
  /** Retry the commit once (a retryable error on the first attempt). */
  readonly retryable: boolean;
  /** Add the UnknownTransactionCommitResult label. */
  readonly unknownCommitResult: boolean;
  /** Release the pinned mongos. */
  readonly unpin: boolean;
}

export function commitErrorOutcome(error: unknown): CommitErrorOutcome {
  if (!(error instanceof MongoError)) return { retryable: false, unknownCommitResult: false, unpin: false };
  const retryable = error.hasErrorLabel(MongoErrorLabel.RetryableWriteError);
  const candidate =
    retryable ||
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoWriteConcernError ||
    (error instanceof MongoServerError && writeConcernErrorOf(error) !== undefined) ||
    isMaxTimeMSExpiredError(error);
  let deterministic = false;
  if (error instanceof MongoServerError) {
    const codes = [error.code, writeConcernErrorOf(error)?.code];
    const names = [error.codeName, writeConcernErrorOf(error)?.codeName];
    deterministic =
      codes.some((c) => c === UNSATISFIABLE_WRITE_CONCERN || c === UNKNOWN_REPL_WRITE_CONCERN) ||
      names.some((n) => typeof n === 'string' && NON_DETERMINISTIC_WRITE_CONCERN.has(n));
  }
  const unknownCommitResult = candidate && (isMaxTimeMSExpiredError(error) || !deterministic);
  const transient = error.hasErrorLabel(MongoErrorLabel.TransientTransactionError);
  return { retryable, unknownCommitResult, unpin: unknownCommitResult || transient };
}

