import { describe, expect, it } from 'vitest';
import { TRANSACTION_IDLE_MS, TransactionTable } from './transactions.js';

const txn = (session: string, caller: string, txnNumber = '1') => ({ session, lsid: { id: session }, caller, subject: caller, txnNumber, txnNumberValue: Number(txnNumber), address: 'h:1' });

describe('TransactionTable', () => {
  it('finds a transaction by session and txnNumber; a higher txnNumber on the session replaces it', () => {
    const t = new TransactionTable();
    t.started(txn('s1', 'alice'), 1, 0);
    expect(t.get('s1', '1')?.caller).toBe('alice');
    expect(t.get('s1', '2')).toBeUndefined();
    t.started(txn('s1', 'alice', '2'), 1, 0);
    expect(t.get('s1', '1')).toBeUndefined();
    expect(t.size).toBe(1);
  });

  it('a closed channel orphans only the transactions no other open channel carries', () => {
    const t = new TransactionTable();
    t.started(txn('a', 'alice'), 1, 0);
    t.started(txn('b', 'bob'), 2, 0);
    t.touched(t.get('b', '1')!, 3, 0);
    expect(t.channelClosed(2)).toEqual([]); // b still on channel 3
    expect(t.channelClosed(1).map((o) => o.session)).toEqual(['a']);
    expect(t.channelClosed(3).map((o) => o.session)).toEqual(['b']);
    expect(t.size).toBe(0);
  });

  it('counts a caller\'s open transactions, forgetting idle ones; ended and drained ones are gone', () => {
    const t = new TransactionTable();
    t.started(txn('a1', 'alice'), 1, 0);
    t.started(txn('a2', 'alice'), 1, 1_000);
    t.started(txn('b1', 'bob'), 1, 0);
    expect(t.openOf('alice', 1_000)).toBe(2);
    expect(t.openOf('alice', 1_000, 'a1')).toBe(1);
    expect(t.openOf('alice', TRANSACTION_IDLE_MS + 500)).toBe(1);
    t.ended('a2');
    expect(t.openOf('alice', 1_000)).toBe(0);
    expect(t.drain().map((o) => o.session)).toEqual([]);
  });
});
