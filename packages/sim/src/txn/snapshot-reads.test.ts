// SnapshotHistory over a live StorageEngine (no processes): reads as of a time undo every
// later change (documents and catalog), and history older than the window or the change
// bound is refused with SnapshotTooOld.
import { Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { CommandError } from '../errors.js';
import { StorageEngine } from '../storage/engine.js';
import type { Doc } from '../storage/values.js';
import { SnapshotHistory } from './snapshot-reads.js';

const ts = (t: number, i = 1) => new Timestamp({ t, i });
const docsOf = (e: StorageEngine, coll = 'c'): Doc[] => [...(e.getCollection('db', coll)?.docs.values() ?? [])].map((d) => d.doc);

function code(f: () => void): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof CommandError ? e.code : -1;
  }
}

describe('SnapshotHistory', () => {
  it('reads as of a time: later updates, deletes, inserts and collection creations undone', () => {
    const e = new StorageEngine();
    const h = new SnapshotHistory(e);
    e.ensureCollection('db', 'c');
    e.write({ op: 'i', ns: 'db.c', o: { _id: 1, x: 1 } });
    e.write({ op: 'i', ns: 'db.c', o: { _id: 2, x: 2 } });
    h.stamp(ts(100));
    e.write({ op: 'u', ns: 'db.c', o2: { _id: 1 }, o: { _id: 1, x: 10 } });
    h.stamp(ts(101));
    e.write({ op: 'd', ns: 'db.c', o: { _id: 2 } });
    e.write({ op: 'i', ns: 'db.c', o: { _id: 3, x: 3 } });
    e.ensureCollection('db', 'later');
    h.stamp(ts(102));
    // written, not yet stamped: after any readable time
    e.write({ op: 'u', ns: 'db.c', o2: { _id: 3 }, o: { _id: 3, x: 30 } });

    const at100 = h.readAt(ts(100));
    expect(docsOf(at100)).toEqual([{ _id: 1, x: 1 }, { _id: 2, x: 2 }]);
    expect(at100.getCollection('db', 'later')).toBeUndefined();
    expect(docsOf(h.readAt(ts(101)))).toEqual([{ _id: 1, x: 10 }, { _id: 2, x: 2 }]);
    expect(docsOf(h.readAt(ts(102)))).toEqual([{ _id: 1, x: 10 }, { _id: 3, x: 3 }]);
    expect(h.readAt(ts(102)).getCollection('db', 'later')).toBeDefined();
    // the live engine is untouched, and a read view refuses writes
    expect(docsOf(e)).toEqual([{ _id: 1, x: 10 }, { _id: 3, x: 30 }]);
    expect(code(() => at100.write({ op: 'i', ns: 'db.c', o: { _id: 9 } }))).toBe(72);
  });

  it('SnapshotTooOld before the first stamped time and once history is forgotten', () => {
    const e = new StorageEngine();
    const h = new SnapshotHistory(e, 10, 1000);
    e.ensureCollection('db', 'c');
    expect(code(() => h.readAt(ts(50)))).toBe(239);
    e.write({ op: 'i', ns: 'db.c', o: { _id: 1, n: 0 } });
    h.stamp(ts(100));
    expect(code(() => h.readAt(ts(99)))).toBe(239);
    e.write({ op: 'u', ns: 'db.c', o2: { _id: 1 }, o: { _id: 1, n: 1 } });
    h.stamp(ts(105));
    expect(docsOf(h.readAt(ts(100)))).toEqual([{ _id: 1, n: 0 }]);
    // 20 s later: the window (10 s) forgets the changes stamped at 100 and 105
    e.write({ op: 'u', ns: 'db.c', o2: { _id: 1 }, o: { _id: 1, n: 2 } });
    h.stamp(ts(125));
    expect(code(() => h.readAt(ts(100)))).toBe(239);
    expect(docsOf(h.readAt(ts(105)))).toEqual([{ _id: 1, n: 1 }]);
    expect(h.oldest).toEqual(ts(105));
  });

  it('at most maxChanges changes are kept', () => {
    const e = new StorageEngine();
    const h = new SnapshotHistory(e, 300, 2);
    e.ensureCollection('db', 'c');
    h.stamp(ts(1));
    for (let n = 1; n <= 4; n++) {
      e.write({ op: 'i', ns: 'db.c', o: { _id: n } });
      h.stamp(ts(1, n + 1));
    }
    expect(code(() => h.readAt(ts(1, 2)))).toBe(239);
    expect(docsOf(h.readAt(ts(1, 3))).map((d) => d._id)).toEqual([1, 2]);
  });
});
