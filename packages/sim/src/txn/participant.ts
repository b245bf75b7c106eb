/**
 * mongod's transaction participant rules for one session, pure (the first piece of
 * multi-document transactions in the sim; not wired into the dispatcher yet: the
 * statements still need snapshot isolation in the engine and an applyOps oplog entry at
 * commit, see docs/transactions.md). Given the session's record (its active txnNumber and
 * what that number is: a retryable write or a transaction, and the transaction's state)
 * and the transaction fields of a command, `decide` says what mongod 7.0 does: begin or
 * continue a transaction, commit (again), abort, or fail with mongod's code and message.
 */
import { ErrorCode } from '../errors.js';

/** Codes the participant returns that errors.ts does not name (yet). */
export const TxnErrorCode = Object.freeze({
  ConflictingOperationInProgress: 117,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
} as const);

export const TxnRecordState = Object.freeze({
  inProgress: 'inProgress',
  committed: 'committed',
  aborted: 'aborted',
} as const);
export type TxnRecordState = (typeof TxnRecordState)[keyof typeof TxnRecordState];

/** What the session's active txnNumber is. Undefined: the session has none yet. */
export type SessionTxnRecord =
  | { readonly txnNumber: number; readonly kind: 'retryableWrite' }
  | { readonly txnNumber: number; readonly kind: 'transaction'; readonly state: TxnRecordState };

/** The transaction fields of one command (as sent, presence-checked). */
export interface TxnCommand {
  /** The command name (first key). */
  readonly name: string;
  readonly txnNumber: number;
  /** `autocommit` as sent (undefined when absent). */
  readonly autocommit: unknown;
  /** `startTransaction` as sent (undefined when absent). */
  readonly startTransaction: unknown;
  readonly hasReadConcern: boolean;
  readonly hasWriteConcern: boolean;
}

export interface TxnFailure {
  readonly kind: 'error';
  readonly code: number;
  readonly codeName: string;
  readonly errmsg: string;
  /** Reply with `errorLabels: ['TransientTransactionError']`. */
  readonly transient: boolean;
}

export type ParticipantDecision =
  /** No `autocommit`: not part of a transaction (a retryable write or a plain command). */
  | { readonly kind: 'notTransaction' }
  /** Start a transaction at `txnNumber`; `abortsPrevious`: an older one was in progress. */
  | { readonly kind: 'begin'; readonly abortsPrevious: boolean }
  | { readonly kind: 'continue' }
  /** commitTransaction; `again`: already committed, answer ok (a retried commit). */
  | { readonly kind: 'commit'; readonly again: boolean }
  | { readonly kind: 'abort' }
  | TxnFailure;

function fail(code: number, codeName: string, errmsg: string, transient = false): TxnFailure {
  return { kind: 'error', code, codeName, errmsg, transient };
}

const INVALID = (errmsg: string): TxnFailure => fail(ErrorCode.InvalidOptions, 'InvalidOptions', errmsg);

const aborted = (n: number): TxnFailure => fail(ErrorCode.NoSuchTransaction, 'NoSuchTransaction', `Transaction with { txnNumber: ${n} } has been aborted.`, true);
const committed = (n: number): TxnFailure =>
  fail(TxnErrorCode.TransactionCommitted, 'TransactionCommitted', `Transaction with { txnNumber: ${n} } has been committed.`);
const noSuch = (n: number, active: number | undefined): TxnFailure =>
  fail(
    ErrorCode.NoSuchTransaction,
    'NoSuchTransaction',
    `Given transaction number ${n} does not match any in-progress transactions. The active transaction number is ${active ?? -1}`,
    true,
  );

export function decide(record: SessionTxnRecord | undefined, cmd: TxnCommand): ParticipantDecision {
  const isCommit = cmd.name === 'commitTransaction';
  const isAbort = cmd.name === 'abortTransaction';
  if (cmd.autocommit === undefined && !isCommit && !isAbort) {
    // (message not verified against mongod 7.0)
    if (cmd.startTransaction !== undefined) return INVALID('startTransaction requires autocommit: false');
    return { kind: 'notTransaction' };
  }
  if (cmd.autocommit !== undefined && cmd.autocommit !== false) return INVALID('Specifying autocommit=true is not allowed.');
  if (cmd.startTransaction !== undefined && cmd.startTransaction !== true) return INVALID('Specifying startTransaction=false is not allowed.');
  const active = record?.txnNumber;
  if (active !== undefined && cmd.txnNumber < active) {
    // mongod's message also names the session (the caller may add it).
    return fail(
      ErrorCode.TransactionTooOld,
      'TransactionTooOld',
      `Cannot start transaction ${cmd.txnNumber} on session because a newer transaction ${active} has already started.`,
    );
  }
  if (cmd.startTransaction === true) {
    // (message not verified against mongod 7.0)
    if (isCommit || isAbort) return INVALID(`Cannot start a transaction with ${cmd.name}`);
    if (cmd.hasWriteConcern) return INVALID('Cannot set write concern after starting a transaction');
    if (cmd.txnNumber === active) {
      return fail(
        TxnErrorCode.ConflictingOperationInProgress,
        'ConflictingOperationInProgress',
        'Only servers in a sharded cluster can start a new transaction at the active transaction number',
      );
    }
    const abortsPrevious = record?.kind === 'transaction' && record.state === TxnRecordState.inProgress;
    return { kind: 'begin', abortsPrevious };
  }
  // Continuing (a statement, commit or abort) needs the active transaction.
  if (record === undefined || cmd.txnNumber !== active || record.kind !== 'transaction') return noSuch(cmd.txnNumber, active);
  if (cmd.hasReadConcern) return INVALID('Only the first command in a transaction may specify a readConcern');
  if (!isCommit && !isAbort && cmd.hasWriteConcern) return INVALID('Cannot set write concern after starting a transaction');
  switch (record.state) {
    case TxnRecordState.inProgress:
      return isCommit ? { kind: 'commit', again: false } : isAbort ? { kind: 'abort' } : { kind: 'continue' };
    case TxnRecordState.committed:
      return isCommit ? { kind: 'commit', again: true } : committed(cmd.txnNumber);
    case TxnRecordState.aborted:
      return aborted(cmd.txnNumber);
  }
}

/** The record after a decision that changes it (begin, commit, abort); the same one otherwise. */
export function nextRecord(record: SessionTxnRecord | undefined, cmd: TxnCommand, decision: ParticipantDecision): SessionTxnRecord | undefined {
  switch (decision.kind) {
    case 'begin':
      return { txnNumber: cmd.txnNumber, kind: 'transaction', state: TxnRecordState.inProgress };
    case 'commit':
      return { txnNumber: cmd.txnNumber, kind: 'transaction', state: TxnRecordState.committed };
    case 'abort':
      return { txnNumber: cmd.txnNumber, kind: 'transaction', state: TxnRecordState.aborted };
    case 'notTransaction':
    case 'continue':
    case 'error':
      return record;
  }
}

/**
 * The commands mongod 7.0 runs inside a transaction (its allow-list, less the internal
 * ones); every other command is refused. `count`, DDL other than create / createIndexes,
 * `explain`, `listCollections`... are OperationNotSupportedInTransaction.
 */
const IN_TRANSACTION = new Set([
  'find', 'getMore', 'killCursors', 'aggregate', 'distinct', 'insert', 'update', 'delete', 'findAndModify', 'findandmodify',
  'create', 'createIndexes', 'bulkWrite', 'commitTransaction', 'abortTransaction', 'coordinateCommitTransaction',
  // informational commands
  'hello', 'isMaster', 'ismaster', 'buildInfo', 'buildinfo', 'connectionStatus',
]);

/** OperationNotSupportedInTransaction for a command that cannot run in a transaction. */
export function refuseInTransaction(name: string): TxnFailure | undefined {
  if (IN_TRANSACTION.has(name)) return undefined;
  return fail(TxnErrorCode.OperationNotSupportedInTransaction, 'OperationNotSupportedInTransaction', `Cannot run '${name}' in a multi-document transaction.`);
}
