// A transaction's SnapshotEngine over a live StorageEngine (no processes): the snapshot
// as of its start, its own writes, first-writer-wins conflicts; and the applyOps oplog
// entry a commit becomes, applied on a secondary.
import { describe, expect, it } from 'vitest';
import { CommandError } from '../src/errors.js';
import { applyOplogEntry } from '../src/repl/oplog-apply.js';
import { applyOpsEntry } from '../src/repl/oplog.js';
import { StorageEngine } from '../src/storage/engine.js';
import { SnapshotEngine, type ConflictOracle } from '../src/txn/snapshot-engine.js';
import type { Doc } from '../src/storage/values.js';

function live(docs: Doc[] = []): StorageEngine {
  const e = new StorageEngine();
  e.ensureCollection('bank', 'acct');
  for (const d of docs) e.write({ op: 'i', ns: 'bank.acct', o: d });
  return e;
}

const docsOf = (e: StorageEngine, coll = 'acct'): Doc[] => [...(e.getCollection('bank', coll)?.docs.values() ?? [])].map((d) => d.doc);

/** The open transactions of a test: a view conflicts with another that wrote the document. */
function oracle(views: SnapshotEngine[]): ConflictOracle {
  return { writtenByOther: (view, key) => views.some((v) => v !== view && v.hasWritten(key)) };
}

function code(f: () => void): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof CommandError ? e.code : -1;
  }
}

describe('SnapshotEngine', () => {
  it('sees the state as of its start, its own writes, and leaves the live engine alone', () => {
    const e = live([{ _id: 'a', n: 1 }]);
    const views: SnapshotEngine[] = [];
    const v = new SnapshotEngine(e, oracle(views));
    views.push(v);
    // live changes after the start, to a collection the view has not read yet
    e.write({ op: 'u', ns: 'bank.acct', o2: { _id: 'a' }, o: { _id: 'a', n: 2 } });
    e.write({ op: 'i', ns: 'bank.acct', o: { _id: 'b', n: 1 } });
    e.ensureCollection('bank', 'later');
    expect(docsOf(v)).toEqual([{ _id: 'a', n: 1 }]);
    expect(v.getCollection('bank', 'later')).toBeUndefined();
    v.write({ op: 'i', ns: 'bank.acct', o: { _id: 'c', n: 3 } });
    expect(docsOf(v)).toEqual([{ _id: 'a', n: 1 }, { _id: 'c', n: 3 }]);
    expect(docsOf(e)).toEqual([{ _id: 'a', n: 2 }, { _id: 'b', n: 1 }]);
    expect(v.ops).toEqual([{ op: 'i', ns: 'bank.acct', o: { _id: 'c', n: 3 } }]);
    v.release();
  });

  it('first writer wins: a second open transaction, or a document changed since the snapshot, is WriteConflict', () => {
    const e = live([{ _id: 'a', n: 1 }, { _id: 'b', n: 1 }]);
    const views: SnapshotEngine[] = [];
    const v1 = new SnapshotEngine(e, oracle(views));
    const v2 = new SnapshotEngine(e, oracle(views));
    views.push(v1, v2);
    v1.write({ op: 'u', ns: 'bank.acct', o2: { _id: 'a' }, o: { _id: 'a', n: 0 } });
    expect(code(() => v2.write({ op: 'u', ns: 'bank.acct', o2: { _id: 'a' }, o: { _id: 'a', n: 9 } }))).toBe(112);
    // a write outside after v2 started
    e.write({ op: 'u', ns: 'bank.acct', o2: { _id: 'b' }, o: { _id: 'b', n: 5 } });
    expect(code(() => v2.write({ op: 'd', ns: 'bank.acct', o: { _id: 'b' } }))).toBe(112);
    expect(docsOf(v2)).toEqual([{ _id: 'a', n: 1 }, { _id: 'b', n: 1 }]);
    expect(v1.unchangedSinceSnapshot()).toBe(true);
    // an outside write to a document v1 wrote: its commit check fails
    e.write({ op: 'u', ns: 'bank.acct', o2: { _id: 'a' }, o: { _id: 'a', n: 7 } });
    expect(v1.unchangedSinceSnapshot()).toBe(false);
  });

  it('a commit is one applyOps entry a secondary applies in order', () => {
    const e = live([{ _id: 'a', n: 10 }, { _id: 'b', n: 0 }]);
    const v = new SnapshotEngine(e, oracle([]));
    v.write({ op: 'u', ns: 'bank.acct', o2: { _id: 'a' }, o: { _id: 'a', n: 7 } });
    v.write({ op: 'u', ns: 'bank.acct', o2: { _id: 'b' }, o: { _id: 'b', n: 3 } });
    v.ensureCollection('bank', 'log');
    v.write({ op: 'i', ns: 'bank.log', o: { _id: 1 } });
    const uuid = e.getCollection('bank', 'acct')!.uuid;
    for (const op of v.ops) e.write(op);
    const entry = applyOpsEntry({ id: 'session' }, 4, v.ops, (ns) => (ns === 'bank.acct' ? uuid : e.getCollection('bank', ns.slice(5))?.uuid));
    expect(entry).toMatchObject({ lsid: { id: 'session' }, op: 'c', ns: 'admin.$cmd' });
    expect(Number(entry.txnNumber)).toBe(4);
    const inner = (entry.o as Doc).applyOps as Doc[];
    expect(inner.map((o) => [o.op, o.ns])).toEqual([
      ['u', 'bank.acct'],
      ['u', 'bank.acct'],
      ['c', 'bank.$cmd'],
      ['i', 'bank.log'],
    ]);
    expect(inner[0]!.ui).toBe(uuid);
    const secondary = live([{ _id: 'a', n: 10 }, { _id: 'b', n: 0 }]);
    const logged: string[] = [];
    applyOplogEntry(secondary, entry, (_id, msg) => logged.push(msg));
    expect(logged).toEqual([]);
    expect(docsOf(secondary)).toEqual([{ _id: 'a', n: 7 }, { _id: 'b', n: 3 }]);
    expect(docsOf(secondary, 'log')).toEqual([{ _id: 1 }]);
  });
});
