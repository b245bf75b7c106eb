import { describe, expect, it } from 'vitest';
import { Double, Long } from 'bson';
import { decodeRecords, encodeRecord } from '../src/storage/journal.js';
import { StorageEngine } from '../src/storage/engine.js';
import { keyOf, compareValues } from '../src/storage/values.js';

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe('journal records', () => {
  it('round-trip with BSON types intact; torn or corrupt tails are dropped', () => {
    const a = encodeRecord({ op: 'i', ns: 'a.b', o: { _id: 1, l: Long.fromNumber(2), d: new Double(1) } });
    const b = encodeRecord({ op: 'd', ns: 'a.b', o: { _id: 1 } });
    const all = concat([a, b]);
    const r = decodeRecords(all);
    expect(r.entries).toHaveLength(2);
    expect((r.entries[0]!.o as Record<string, unknown>).l).toBeInstanceOf(Long);
    expect((r.entries[0]!.o as Record<string, unknown>).d).toBeInstanceOf(Double);
    expect(decodeRecords(all.subarray(0, all.length - 3))).toMatchObject({ validBytes: a.length, discardedBytes: b.length - 3 });
    const corrupt = all.slice();
    corrupt[a.length + 12]! ^= 0xff;
    expect(decodeRecords(corrupt).entries).toHaveLength(1);
  });
});

describe('storage engine', () => {
  it('every write goes through write() and reaches onCommit listeners (the oplog hook)', () => {
    const e = new StorageEngine();
    const seen: string[] = [];
    e.onCommit((entry) => seen.push(entry.op));
    e.ensureCollection('d', 'c');
    e.write({ op: 'i', ns: 'd.c', o: { _id: 1 } });
    e.write({ op: 'u', ns: 'd.c', o2: { _id: 1 }, o: { _id: 1, a: 1 } });
    e.write({ op: 'd', ns: 'd.c', o: { _id: 1 } });
    expect(seen).toEqual(['c', 'i', 'u', 'd']);
    expect(() => {
      e.write({ op: 'i', ns: 'd.c', o: { _id: 2 } });
      e.write({ op: 'i', ns: 'd.c', o: { _id: 2.0 } });
    }).toThrow(/E11000/);
  });

  it('keys treat 1, 1.0 and NumberLong(1) as equal; comparison follows BSON type order', () => {
    expect(keyOf(1)).toBe(keyOf(new Double(1)));
    expect(keyOf(1)).toBe(keyOf(Long.fromNumber(1)));
    expect(compareValues(null, 0)).toBeLessThan(0);
    expect(compareValues(5, 'a')).toBeLessThan(0);
    expect(compareValues({}, [])).toBeLessThan(0);
    expect(compareValues(true, new Date(0))).toBeLessThan(0);
  });
});
