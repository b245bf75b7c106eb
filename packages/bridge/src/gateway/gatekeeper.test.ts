import { describe, expect, it } from 'vitest';
import { Long } from 'bson';
import { gate } from './gatekeeper.js';

const lsid = { id: 'session-1' };

describe('gate: a transaction\'s fields, as mongod checks them', () => {
  it.each([
    ['first statement', { insert: 'c', $db: 'app', lsid, txnNumber: new Long(1), autocommit: false, startTransaction: true }, { kind: 'rules', transaction: { start: true } }],
    ['later statement', { find: 'c', $db: 'app', lsid, txnNumber: 1, autocommit: false }, { kind: 'rules', transaction: { start: false } }],
    ['getMore in a transaction', { getMore: new Long(5), collection: 'c', $db: 'app', lsid, txnNumber: 1, autocommit: false }, { kind: 'getMore', transaction: { start: false } }],
    ['commit', { commitTransaction: 1, $db: 'admin', lsid, txnNumber: new Long(1), autocommit: false }, { kind: 'endTransaction', transaction: { start: false } }],
    ['abort', { abortTransaction: 1, $db: 'admin', lsid, txnNumber: new Long(1), autocommit: false }, { kind: 'endTransaction', transaction: { start: false } }],
    ['retryable write (no transaction)', { insert: 'c', $db: 'app', lsid, txnNumber: new Long(1) }, { kind: 'rules', transaction: undefined }],
    ['killSessions', { killSessions: [lsid], $db: 'admin' }, { kind: 'killSessions', transaction: undefined }],
  ] as const)('%s', (_name, body, expected) => {
    const g = gate(body);
    expect(g.ok).toBe(true);
    if (!g.ok) return;
    expect(g.kind).toBe(expected.kind);
    expect(g.envelope.transaction).toEqual(expected.transaction);
    // the transaction's fields are the envelope's, never passed on from the client's body
    for (const k of ['lsid', 'txnNumber', 'autocommit', 'startTransaction', '$db']) expect(g.body[k]).toBeUndefined();
  });

  it.each([
    ['autocommit true', { find: 'c', $db: 'app', lsid, txnNumber: 1, autocommit: true }, /autocommit may only be false/],
    ['startTransaction without autocommit', { find: 'c', $db: 'app', lsid, txnNumber: 1, startTransaction: true }, /startTransaction needs autocommit: false/],
    ['startTransaction false', { find: 'c', $db: 'app', lsid, txnNumber: 1, autocommit: false, startTransaction: false }, /startTransaction may only be true/],
    ['no lsid', { find: 'c', $db: 'app', txnNumber: 1, autocommit: false, startTransaction: true }, /lsid/],
    ['no txnNumber', { find: 'c', $db: 'app', lsid, autocommit: false }, /txnNumber/],
    ['a negative txnNumber', { find: 'c', $db: 'app', lsid, txnNumber: -1, autocommit: false }, /txnNumber/],
    ['a string txnNumber', { find: 'c', $db: 'app', lsid, txnNumber: '1', autocommit: false }, /txnNumber/],
    ['commit outside a transaction', { commitTransaction: 1, $db: 'admin', lsid, txnNumber: 1 }, /must be run within a transaction/],
    ['commit that starts one', { commitTransaction: 1, $db: 'admin', lsid, txnNumber: 1, autocommit: false, startTransaction: true }, /cannot start a transaction/],
  ] as const)('refuses %s with InvalidOptions (72)', (_name, body, message) => {
    const g = gate(body);
    expect(g).toMatchObject({ ok: false, code: 72, codeName: 'InvalidOptions' });
    if (!g.ok) expect(g.message).toMatch(message);
  });
});
