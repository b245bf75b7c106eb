/** The Transactions spec's state machine and label rules, from tables. */
import { describe, expect, it } from 'vitest';
import {
  MongoErrorLabel,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  MongoWriteConcernError,
  type Document,
} from '../errors.js';
import {
  INITIAL_TRANSACTION,
  Transaction,
  TransactionMisuse,
  TxnState,
  isActive,
  onStartTransaction,
  onStatement,
  statementErrorOutcome,
  type TransactionSnapshot,
} from './transaction.js';
import { afterAbort, afterCommit, commitErrorOutcome, onAbortTransaction, onCommitTransaction } from './transaction-end-state.js';

const at = (state: TxnState, extra: Partial<TransactionSnapshot> = {}): TransactionSnapshot => ({ ...INITIAL_TRANSACTION, state, ...extra });
const ALL = Object.values(TxnState);

describe('startTransaction', () => {
  const rows: Array<[TxnState, string]> = [
    [TxnState.NO_TRANSACTION, 'started'],
    [TxnState.STARTING_TRANSACTION, TransactionMisuse.alreadyInProgress],
    [TxnState.TRANSACTION_IN_PROGRESS, TransactionMisuse.alreadyInProgress],
    [TxnState.TRANSACTION_COMMITTED, 'started'],
    [TxnState.TRANSACTION_COMMITTED_EMPTY, 'started'],
    [TxnState.TRANSACTION_ABORTED, 'started'],
  ];
  it.each(rows)('from %s: %s', (state, expected) => {
    const r = onStartTransaction(at(state, { pinnedServer: 'm:1', recoveryToken: { t: 1 }, commitAttempted: true }), { snapshot: false });
    if (expected === 'started') {
      expect(r).toEqual({ kind: 'started', next: at(TxnState.STARTING_TRANSACTION) });
    } else {
      expect(r).toEqual({ kind: 'refused', message: expected });
    }
  });

  it('is refused in a snapshot session, whatever the state', () => {
    for (const state of ALL) {
      expect(onStartTransaction(at(state), { snapshot: true })).toEqual({ kind: 'refused', message: TransactionMisuse.snapshotSession });
    }
  });
});

describe('a statement with the session', () => {
  const rows: Array<[TxnState, 'outside' | 'first' | 'continue', TxnState, boolean]> = [
    // from, kind, next state, keeps the pinned mongos
    [TxnState.NO_TRANSACTION, 'outside', TxnState.NO_TRANSACTION, true],
    [TxnState.STARTING_TRANSACTION, 'first', TxnState.TRANSACTION_IN_PROGRESS, true],
    [TxnState.TRANSACTION_IN_PROGRESS, 'continue', TxnState.TRANSACTION_IN_PROGRESS, true],
    [TxnState.TRANSACTION_COMMITTED, 'outside', TxnState.NO_TRANSACTION, false],
    [TxnState.TRANSACTION_COMMITTED_EMPTY, 'outside', TxnState.NO_TRANSACTION, false],
    [TxnState.TRANSACTION_ABORTED, 'outside', TxnState.NO_TRANSACTION, false],
  ];
  it.each(rows)('from %s: %s, then %s', (state, kind, next, keepsPin) => {
    const r = onStatement(at(state, { pinnedServer: 'm:1' }));
    expect(r.kind).toBe(kind);
    expect(r.next.state).toBe(next);
    expect(r.next.pinnedServer).toBe(keepsPin ? 'm:1' : undefined);
  });
});

describe('commitTransaction', () => {
  const rows: Array<[TxnState, boolean, Document]> = [
    [TxnState.NO_TRANSACTION, false, { kind: 'refused', message: 'No transaction started' }],
    [TxnState.TRANSACTION_ABORTED, false, { kind: 'refused', message: 'Cannot call commitTransaction after calling abortTransaction' }],
    [TxnState.STARTING_TRANSACTION, false, { kind: 'empty', next: at(TxnState.TRANSACTION_COMMITTED_EMPTY) }],
    [TxnState.TRANSACTION_COMMITTED_EMPTY, false, { kind: 'empty', next: at(TxnState.TRANSACTION_COMMITTED_EMPTY) }],
    [TxnState.TRANSACTION_IN_PROGRESS, false, { kind: 'send', retry: false }],
    // A first commit failed (withTransaction retries it): the next one is a retry.
    [TxnState.TRANSACTION_IN_PROGRESS, true, { kind: 'send', retry: true }],
    // Committing again after a commit: a retry, with w: majority.
    [TxnState.TRANSACTION_COMMITTED, false, { kind: 'send', retry: true }],
  ];
  it.each(rows)('from %s (commitAttempted %s)', (state, commitAttempted, expected) => {
    expect(onCommitTransaction(at(state, { commitAttempted }))).toEqual(expected);
  });

  it('after a commit: committed; failed ones remember the attempt; unpinned only when told', () => {
    const t = at(TxnState.TRANSACTION_IN_PROGRESS, { pinnedServer: 'm:1' });
    expect(afterCommit(t, { failed: false, unpin: false })).toEqual(at(TxnState.TRANSACTION_COMMITTED, { pinnedServer: 'm:1' }));
    expect(afterCommit(t, { failed: true, unpin: true })).toEqual(at(TxnState.TRANSACTION_COMMITTED, { commitAttempted: true }));
  });
});

describe('abortTransaction', () => {
  const rows: Array<[TxnState, Document]> = [
    [TxnState.NO_TRANSACTION, { kind: 'refused', message: 'No transaction started' }],
    [TxnState.TRANSACTION_ABORTED, { kind: 'refused', message: 'Cannot call abortTransaction twice' }],
    [TxnState.TRANSACTION_COMMITTED, { kind: 'refused', message: 'Cannot call abortTransaction after calling commitTransaction' }],
    [TxnState.TRANSACTION_COMMITTED_EMPTY, { kind: 'refused', message: 'Cannot call abortTransaction after calling commitTransaction' }],
    [TxnState.STARTING_TRANSACTION, { kind: 'empty', next: at(TxnState.TRANSACTION_ABORTED) }],
    [TxnState.TRANSACTION_IN_PROGRESS, { kind: 'send' }],
  ];
  it.each(rows)('from %s', (state, expected) => {
    expect(onAbortTransaction(at(state))).toEqual(expected);
  });

  it('after an abort: aborted and unpinned', () => {
    expect(afterAbort(at(TxnState.TRANSACTION_IN_PROGRESS, { pinnedServer: 'm:1' }))).toEqual(at(TxnState.TRANSACTION_ABORTED));
  });
});

describe('active states', () => {
  it.each(ALL)('%s', (state) => {
    expect(isActive(at(state))).toBe(state === TxnState.STARTING_TRANSACTION || state === TxnState.TRANSACTION_IN_PROGRESS);
  });
});

const serverError = (reply: Document): MongoServerError => new MongoServerError({ ok: 0, errmsg: 'x', ...reply });
const labelled = <E extends { addErrorLabel(l: string): void }>(e: E, label: string): E => {
  e.addErrorLabel(label);
  return e;
};
const wceError = (wce: Document): MongoWriteConcernError => new MongoWriteConcernError({ ...wce, writeConcernError: wce, result: { ok: 1, writeConcernError: wce } });

describe('commitTransaction errors (UnknownTransactionCommitResult)', () => {
  const rows: Array<[string, unknown, { retryable: boolean; unknownCommitResult: boolean; unpin: boolean }]> = [
    ['a network error labelled retryable', labelled(new MongoNetworkError('x'), MongoErrorLabel.RetryableWriteError), { retryable: true, unknownCommitResult: true, unpin: true }],
    ['a retryable server error', serverError({ code: 91, codeName: 'ShutdownInProgress', errorLabels: ['RetryableWriteError'] }), { retryable: true, unknownCommitResult: true, unpin: true }],
    ['a server selection error', new MongoServerSelectionError('no server', undefined), { retryable: false, unknownCommitResult: true, unpin: true }],
    ['MaxTimeMSExpired', serverError({ code: 50, codeName: 'MaxTimeMSExpired' }), { retryable: false, unknownCommitResult: true, unpin: true }],
    ['a writeConcernError with MaxTimeMSExpired', wceError({ code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'x' }), { retryable: false, unknownCommitResult: true, unpin: true }],
    ['WriteConcernFailed', wceError({ code: 64, codeName: 'WriteConcernFailed', errmsg: 'x' }), { retryable: false, unknownCommitResult: true, unpin: true }],
    ['UnsatisfiableWriteConcern', wceError({ code: 100, codeName: 'UnsatisfiableWriteConcern', errmsg: 'x' }), { retryable: false, unknownCommitResult: false, unpin: false }],
    ['UnknownReplWriteConcern', wceError({ code: 79, codeName: 'UnknownReplWriteConcern', errmsg: 'x' }), { retryable: false, unknownCommitResult: false, unpin: false }],
    ['NoSuchTransaction with TransientTransactionError', serverError({ code: 251, codeName: 'NoSuchTransaction', errorLabels: ['TransientTransactionError'] }), { retryable: false, unknownCommitResult: false, unpin: true }],
    ['a plain command error', serverError({ code: 2, codeName: 'BadValue' }), { retryable: false, unknownCommitResult: false, unpin: false }],
    ['not a MongoError', new TypeError('x'), { retryable: false, unknownCommitResult: false, unpin: false }],
  ];
  it.each(rows)('%s', (_name, error, expected) => {
    expect(commitErrorOutcome(error)).toEqual(expected);
  });
});

describe('statement errors (TransientTransactionError)', () => {
  const rows: Array<[string, unknown, boolean]> = [
    ['a network error', new MongoNetworkError('x'), true],
    ['a server selection error', new MongoServerSelectionError('x', undefined), true],
    ['a server error labelled by the server', serverError({ code: 112, codeName: 'WriteConflict', errorLabels: ['TransientTransactionError'] }), true],
    ['a duplicate key error', serverError({ code: 11000, codeName: 'DuplicateKey' }), false],
  ];
  it.each(rows)('%s', (_name, error, transient) => {
    expect(statementErrorOutcome(error)).toEqual({ transient, unpin: transient });
  });
});

describe('Transaction (the session holder)', () => {
  it('pins only while active, keeps recovery tokens only while active', () => {
    const t = new Transaction();
    t.pin('m:1');
    t.observeRecoveryToken({ recoveryToken: { a: 1 } });
    expect(t.isPinned).toBe(false);
    expect(t.recoveryToken).toBeUndefined();
    t.apply(at(TxnState.TRANSACTION_IN_PROGRESS));
    t.pin('m:1');
    t.observeRecoveryToken({ recoveryToken: { a: 1 } });
    expect(t.pinnedServer).toBe('m:1');
    expect(t.recoveryToken).toEqual({ a: 1 });
    t.unpin();
    expect(t.isPinned).toBe(false);
    expect(t.recoveryToken).toEqual({ a: 1 });
  });
});
