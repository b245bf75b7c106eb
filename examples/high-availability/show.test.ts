import { Long, ObjectId, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { show } from './walkthrough.js';

describe('the walkthrough prints values as mongosh does', () => {
  it.each([
    [new ObjectId('65a1b2c3d4e5f60718293a4b'), "ObjectId('65a1b2c3d4e5f60718293a4b')"],
    [new Timestamp({ t: 1700000000, i: 3 }), 'Timestamp({ t: 1700000000, i: 3 })'],
    [Long.fromString('9007199254740993'), "Long('9007199254740993')"],
    [new Date('2026-12-05T08:00:00.000Z'), "ISODate('2026-12-05T08:00:00.000Z')"],
    [{ ok: 1, 'a-b': [1, 'x'], nested: {} }, "{ ok: 1, 'a-b': [1, 'x'], nested: {} }"],
    [{ $clusterTime: { clusterTime: new Timestamp({ t: 5, i: 1 }) } }, '{ $clusterTime: { clusterTime: Timestamp({ t: 5, i: 1 }) } }'],
  ])('%s', (value, printed) => {
    expect(show(value)).toBe(printed);
  });
});
