// SnapshotHistory over a live StorageEngine (no processes): reads as of a time undo every
// later change (documents and catalog), and history older than the window or the change
// bound is refused with SnapshotTooOld, unless pinned (the majority commit point); one
// document as of a time (documentAt, change streams' updateLookup) agrees with readAt.
import { Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { CommandError } from '../errors.js';
import { StorageEngine } from '../storage/engine.js';
import { keyOf, type Doc } from '../storage/values.js';
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

  it('documentAt: one document as of a time, agreeing with readAt; the oldest known value when history is gone', () => {
    const e = new StorageEngine();
    const h = new SnapshotHistory(e, 10, 1000);
    e.ensureCollection('db', 'c');
    e.write({ op: 'i', ns: 'db.c', o: { _id: 1, n: 0 } });
    h.stamp(ts(100));
    e.write({ op: 'u', ns: 'db.c', o2: { _id: 1 }, o: { _id: 1, n: 1 } });
    e.write({ op: 'i', ns: 'db.c', o: { _id: 2 } });
    h.stamp(ts(101));
    e.write({ op: 'u', ns: 'db.c', o2: { _id: 1 }, o: { _id: 1, n: 2 } });
    h.stamp(ts(102));
    e.write({ op: 'c', ns: 'db.$cmd', o: { drop: 'c' } });
    h.stamp(ts(103));
    // written, not yet stamped
    e.ensureCollection('db', 'c');
    e.write({ op: 'i', ns: 'db.c', o: { _id: 1, n: 9 } });
    const at = (t: Timestamp, id: number) => h.documentAt(t, 'db', 'c', keyOf(id))?.doc;
    for (const t of [ts(100), ts(101), ts(102), ts(103)]) {
      for (const id of [1, 2]) expect(at(t, id)).toEqual(h.readAt(t).getCollection('db', 'c')?.docs.get(keyOf(id))?.doc);
    }
    expect([at(ts(100), 1), at(ts(101), 1), at(ts(102), 1), at(ts(103), 1)]).toEqual([{ _id: 1, n: 0 }, { _id: 1, n: 1 }, { _id: 1, n: 2 }, undefined]);
    expect(at(ts(100), 2)).toBeUndefined();
    expect(at(ts(104), 1)).toBeUndefined();
    h.stamp(ts(104));
    expect(at(ts(104), 1)).toEqual({ _id: 1, n: 9 });
    // 20 s later the window forgets 100..104: a time before the history gives the oldest value it knows, no error
    e.write({ op: 'u', ns: 'db.c', o2: { _id: 1 }, o: { _id: 1, n: 10 } });
    h.stamp(ts(125));
    expect(code(() => h.readAt(ts(100)))).toBe(239);
    expect(at(ts(100), 1)).toEqual({ _id: 1, n: 9 });
    expect(at(ts(125), 1)).toEqual({ _id: 1, n: 10 });
  });

  it('pin: changes after the pinned time outlive the window and the change bound', () => {
    const e = new StorageEngine();
    const h = new SnapshotHistory(e, 10, 2);
    e.ensureCollection('db', 'c');
    e.write({ op: 'i', ns: 'db.c', o: { _id: 1, n: 0 } });
    h.stamp(ts(100));
    h.pin(ts(100));
    for (let n = 1; n <= 5; n++) {
      e.write({ op: 'u', ns: 'db.c', o2: { _id: 1 }, o: { _id: 1, n } });
      h.stamp(ts(100 + 20 * n));
    }
    // everything after 100 is kept: a read there still works, 60 s and 5 changes later
    expect(docsOf(h.readAt(ts(100)))).toEqual([{ _id: 1, n: 0 }]);
    expect(h.documentAt(ts(100), 'db', 'c', keyOf(1))?.doc).toEqual({ _id: 1, n: 0 });
    // the pin moves on: the next stamp forgets what the window and the bound allow
    h.pin(ts(160));
    e.write({ op: 'u', ns: 'db.c', o2: { _id: 1 }, o: { _id: 1, n: 6 } });
    h.stamp(ts(221));
    expect(code(() => h.readAt(ts(159)))).toBe(239);
    expect(docsOf(h.readAt(ts(160)))).toEqual([{ _id: 1, n: 3 }]);
    expect(docsOf(h.readAt(ts(200)))).toEqual([{ _id: 1, n: 5 }]);
  });
});
