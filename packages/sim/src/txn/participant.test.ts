/** mongod's transaction participant rules, from a table. */
import { describe, expect, it } from 'vitest';
import { TxnRecordState, decide, nextRecord, refuseInTransaction, type SessionTxnRecord, type TxnCommand } from './participant.js';

const stmt = (txnNumber: number, extra: Partial<TxnCommand> = {}): TxnCommand => ({
  name: 'insert',
  txnNumber,
  autocommit: false,
  startTransaction: undefined,
  hasReadConcern: false,
  hasWriteConcern: false,
  ...extra,
});
const start = (txnNumber: number, extra: Partial<TxnCommand> = {}): TxnCommand => stmt(txnNumber, { startTransaction: true, ...extra });
const commit = (txnNumber: number, extra: Partial<TxnCommand> = {}): TxnCommand => stmt(txnNumber, { name: 'commitTransaction', ...extra });
const abort = (txnNumber: number): TxnCommand => stmt(txnNumber, { name: 'abortTransaction' });
const txn = (txnNumber: number, state: TxnRecordState): SessionTxnRecord => ({ txnNumber, kind: 'transaction', state });
const retryable = (txnNumber: number): SessionTxnRecord => ({ txnNumber, kind: 'retryableWrite' });

type Expect = string | { code: number; transient?: boolean; errmsg?: string };

const rows: Array<[string, SessionTxnRecord | undefined, TxnCommand, Expect]> = [
  ['a retryable write (no autocommit)', retryable(3), stmt(4, { autocommit: undefined }), 'notTransaction'],
  ['startTransaction on a new session', undefined, start(1), 'begin'],
  ['startTransaction after a retryable write', retryable(1), start(2), 'begin'],
  ['startTransaction while an older one is in progress: it is aborted', txn(1, 'inProgress'), start(2), 'begin abortsPrevious'],
  ['continue the active transaction', txn(2, 'inProgress'), stmt(2), 'continue'],
  ['commit', txn(2, 'inProgress'), commit(2), 'commit'],
  ['commit again (a retried commit) answers ok', txn(2, 'committed'), commit(2), 'commit again'],
  ['abort', txn(2, 'inProgress'), abort(2), 'abort'],
  ['autocommit: true', undefined, stmt(1, { autocommit: true, startTransaction: true }), { code: 72, errmsg: 'Specifying autocommit=true is not allowed.' }],
  ['startTransaction: false', undefined, stmt(1, { startTransaction: false }), { code: 72, errmsg: 'Specifying startTransaction=false is not allowed.' }],
  ['startTransaction without autocommit', undefined, start(1, { autocommit: undefined }), { code: 72 }],
  ['an older txnNumber', txn(5, 'inProgress'), stmt(4), { code: 225 }],
  ['startTransaction at the active number', txn(2, 'committed'), start(2), { code: 117, errmsg: 'Only servers in a sharded cluster can start a new transaction at the active transaction number' }],
  // mongod's message differs here (it names the retryable write); the code is the same.
  ['startTransaction at the number of a retryable write', retryable(2), start(2), { code: 117 }],
  ['continue without a started transaction', undefined, stmt(1), { code: 251, transient: true }],
  ['continue a newer number than the active one', txn(1, 'inProgress'), stmt(2), { code: 251, transient: true, errmsg: 'Given transaction number 2 does not match any in-progress transactions. The active transaction number is 1' }],
  ['continue on a retryable write number', retryable(2), stmt(2), { code: 251, transient: true }],
  ['readConcern on a later statement', txn(1, 'inProgress'), stmt(1, { hasReadConcern: true }), { code: 72, errmsg: 'Only the first command in a transaction may specify a readConcern' }],
  ['writeConcern on the first statement', undefined, start(1, { hasWriteConcern: true }), { code: 72, errmsg: 'Cannot set write concern after starting a transaction' }],
  ['writeConcern on a later statement', txn(1, 'inProgress'), stmt(1, { hasWriteConcern: true }), { code: 72 }],
  ['writeConcern on commit is fine', txn(1, 'inProgress'), commit(1, { hasWriteConcern: true }), 'commit'],
  ['a statement after commit', txn(1, 'committed'), stmt(1), { code: 256, errmsg: 'Transaction with { txnNumber: 1 } has been committed.' }],
  ['abort after commit', txn(1, 'committed'), abort(1), { code: 256 }],
  ['commit after abort', txn(1, 'aborted'), commit(1), { code: 251, transient: true, errmsg: 'Transaction with { txnNumber: 1 } has been aborted.' }],
  ['abort after abort', txn(1, 'aborted'), abort(1), { code: 251, transient: true }],
  ['a statement after abort', txn(1, 'aborted'), stmt(1), { code: 251, transient: true }],
  ['commit of an unknown transaction', undefined, commit(1), { code: 251, transient: true }],
];

describe('decide', () => {
  it.each(rows)('%s', (_name, record, cmd, expected) => {
    const d = decide(record, cmd);
    if (typeof expected === 'string') {
      const [kind, flag] = expected.split(' ');
      expect(d.kind).toBe(kind);
      if (d.kind === 'begin') expect(d.abortsPrevious).toBe(flag === 'abortsPrevious');
      if (d.kind === 'commit') expect(d.again).toBe(flag === 'again');
      return;
    }
    expect(d.kind).toBe('error');
    if (d.kind !== 'error') return;
    expect(d.code).toBe(expected.code);
    expect(d.transient).toBe(expected.transient ?? false);
    if (expected.errmsg) expect(d.errmsg).toBe(expected.errmsg);
  });
});

describe('nextRecord', () => {
  it('begin, commit and abort move the record; the others keep it', () => {
    const begun = nextRecord(retryable(1), start(2), decide(retryable(1), start(2)));
    expect(begun).toEqual(txn(2, 'inProgress'));
    expect(nextRecord(begun, stmt(2), decide(begun, stmt(2)))).toBe(begun);
    const done = nextRecord(begun, commit(2), decide(begun, commit(2)));
    expect(done).toEqual(txn(2, 'committed'));
    expect(nextRecord(done, abort(2), decide(done, abort(2)))).toBe(done);
    expect(nextRecord(begun, abort(2), decide(begun, abort(2)))).toEqual(txn(2, 'aborted'));
  });
});

describe('refuseInTransaction', () => {
  it('count and DDL other than create / createIndexes', () => {
    expect(refuseInTransaction('count')).toMatchObject({ code: 263, codeName: 'OperationNotSupportedInTransaction', transient: false });
    expect(refuseInTransaction('drop')?.code).toBe(263);
    expect(refuseInTransaction('insert')).toBeUndefined();
    expect(refuseInTransaction('create')).toBeUndefined();
    expect(refuseInTransaction('createIndexes')).toBeUndefined();
    expect(refuseInTransaction('listCollections')?.code).toBe(263);
    expect(refuseInTransaction('explain')?.code).toBe(263);
    expect(refuseInTransaction('getMore')).toBeUndefined();
  });
});
