// The pure parts of the sim's change streams: resume token order and round trip, the
// update description of a write, stage validation, and events from oplog entries.
import { describe, expect, it } from 'vitest';
import { Int32, Timestamp, UUID } from 'bson';
import { comparePositions, decodeToken, encodeToken, highWaterMark, HWM_INDEX } from '../../src/changestream/resume-token.js';
import { describeOperatorUpdate, describeUpdate, updateDescriptionDoc } from '../../src/changestream/update-description.js';
import { parseChangeStream, type ChangeStreamSpec } from '../../src/changestream/spec.js';
import { eventsOf } from '../../src/changestream/events.js';
import { CommandError } from '../../src/errors.js';

const ts = (t: number, i: number): Timestamp => new Timestamp({ t, i });

function code(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof CommandError ? e.code : -1;
  }
  return undefined;
}

describe('resume tokens', () => {
  const positions = [
    { ts: ts(5, 1), index: -1, sub: 0 },
    { ts: ts(5, 1), index: 0, sub: 0 },
    { ts: ts(5, 1), index: 0, sub: 1 },
    { ts: ts(5, 1), index: 2, sub: 0 },
    { ts: ts(5, 1), index: HWM_INDEX, sub: 0xff },
    { ts: ts(5, 2), index: 0, sub: 0 },
    { ts: ts(6, 0), index: 0, sub: 0 },
  ];
  it('sort as strings in event order and decode to their position', () => {
    const tokens = positions.map((p) => encodeToken(p, { _id: 1 })._data as string);
    expect([...tokens].sort()).toEqual(tokens);
    for (let i = 1; i < positions.length; i++) expect(comparePositions(positions[i - 1]!, positions[i]!)).toBe(-1);
    for (const p of positions) {
      const d = decodeToken(encodeToken(p), 'resumeAfter');
      expect({ ts: d.ts.toString(), index: d.index, sub: d.sub }).toEqual({ ts: p.ts.toString(), index: p.index, sub: p.sub });
    }
    expect(decodeToken(highWaterMark(ts(5, 1)), 'x')).toMatchObject({ highWaterMark: true, fromInvalidate: false });
    expect(decodeToken(encodeToken({ ts: ts(5, 1), index: 0, sub: 1 }), 'x').fromInvalidate).toBe(true);
  });
  it('refuses what is not a token', () => {
    for (const bad of [undefined, {}, { _data: 1 }, { _data: 'zz' }, { _data: '83' + '0'.repeat(30) }]) expect(code(() => decodeToken(bad, 'resumeAfter'))).toBe(2);
  });
});

describe('update descriptions', () => {
  it('updated, removed, truncated arrays, ambiguous paths', () => {
    const d = describeUpdate({ _id: 1, a: 1, b: { c: 1, d: 2 }, arr: [1, 2, 3], x: { '1': 1 }, gone: 1 }, { _id: 1, a: 2, b: { c: 1 }, arr: [1, 5], x: { '1': 2 }, add: [1] });
    expect(d.updatedFields).toEqual({ a: 2, 'arr.1': 5, 'x.1': 2, add: [1] });
    expect(d.removedFields).toEqual(['gone', 'b.d']);
    expect(d.truncatedArrays).toEqual([{ field: 'arr', newSize: 2 }]);
    expect(updateDescriptionDoc(d as never, true).disambiguatedPaths).toEqual({ 'x.1': ['x', '1'] });
    expect(updateDescriptionDoc(d as never, false)).not.toHaveProperty('disambiguatedPaths');
    const arr = describeUpdate({ _id: 1, a: [{ '1': 1 }] }, { _id: 1, a: [{ '1': 2 }] });
    expect(updateDescriptionDoc(arr as never, true).disambiguatedPaths).toEqual({ 'a.0.1': ['a', new Int32(0), '1'] });
  });
});

describe('update descriptions of updates with operators (what each operator touched)', () => {
  const pre = { _id: 1, x: { y: 1, z: 2 }, arr: [1, 2, 3], n: 1, a: { '1': 1 }, list: [{ v: 1 }, { v: 2 }] };
  it.each([
    ['$set of an embedded document replaces it', { $set: { x: { y: 1 } } }, { _id: 1, x: { y: 1 }, arr: [1, 2, 3], n: 1, a: { '1': 1 }, list: [{ v: 1 }, { v: 2 }] }, { x: { y: 1 } }, [], []],
    ['$set of a shorter array replaces it', { $set: { arr: [1] } }, { ...pre, arr: [1] }, { arr: [1] }, [], []],
    ['$push appends elements', { $push: { arr: 4 } }, { ...pre, arr: [1, 2, 3, 4] }, { 'arr.3': 4 }, [], []],
    ['$pull logs the whole array', { $pull: { arr: 2 } }, { ...pre, arr: [1, 3] }, { arr: [1, 3] }, [], []],
    ['$set under a missing parent logs the new parent', { $set: { 'q.r': 1 } }, { ...pre, q: { r: 1 } }, { q: { r: 1 } }, [], []],
    ['$unset and $inc', { $unset: { n: '' }, $inc: { 'x.z': 1 } }, { _id: 1, x: { y: 1, z: 3 }, arr: [1, 2, 3], a: { '1': 1 }, list: [{ v: 1 }, { v: 2 }] }, { 'x.z': 3 }, ['n'], []],
    ['$rename', { $rename: { n: 'm' } }, { _id: 1, x: { y: 1, z: 2 }, arr: [1, 2, 3], a: { '1': 1 }, list: [{ v: 1 }, { v: 2 }], m: 1 }, { m: 1 }, ['n'], []],
    ['a positional path is diffed below its array', { $set: { 'list.$[].v': 0 } }, { ...pre, list: [{ v: 0 }, { v: 0 }] }, { 'list.0.v': 0, 'list.1.v': 0 }, [], []],
    ['a no-op $set logs nothing', { $set: { n: 1 }, $inc: { 'x.y': 1 } }, { ...pre, x: { y: 2, z: 2 } }, { 'x.y': 2 }, [], []],
  ])('%s', (_name, update, post, updated, removed, truncated) => {
    const d = describeOperatorUpdate(pre, post as never, update);
    expect(d.updatedFields).toEqual(updated);
    expect(d.removedFields).toEqual(removed);
    expect(d.truncatedArrays).toEqual(truncated);
  });
  it('numeric field names are ambiguous, array indexes are ints', () => {
    const d = describeOperatorUpdate(pre, { ...pre, a: { '1': 2 } }, { $set: { 'a.1': 2 } });
    expect(updateDescriptionDoc(d as never, true).disambiguatedPaths).toEqual({ 'a.1': ['a', '1'] });
    const doc = { _id: 1, a: [{ '1': 1 }] };
    const e = describeOperatorUpdate(doc, { _id: 1, a: [{ '1': 2 }] }, { $set: { 'a.0.1': 2 } });
    expect(updateDescriptionDoc(e as never, true).disambiguatedPaths).toEqual({ 'a.0.1': ['a', new Int32(0), '1'] });
  });
});

describe('$changeStream stage', () => {
  it.each([
    ['a later $group', 'db', 'c', [{ $changeStream: {} }, { $group: { _id: null } }], 20],
    ['an unknown option', 'db', 'c', [{ $changeStream: { nope: 1 } }], 40415],
    ['two resume options', 'db', 'c', [{ $changeStream: { resumeAfter: highWaterMark(ts(1, 1)), startAtOperationTime: ts(1, 1) } }], 2],
    ['resumeAfter an invalidate', 'db', 'c', [{ $changeStream: { resumeAfter: encodeToken({ ts: ts(1, 1), index: 0, sub: 1 }) } }], 260],
    ['cluster-wide off admin', 'db', undefined, [{ $changeStream: { allChangesForCluster: true } }], 73],
    ['a stream on admin', 'admin', 'c', [{ $changeStream: {} }], 73],
    ['a system collection', 'db', 'system.views', [{ $changeStream: {} }], 73],
    ['a bad fullDocument', 'db', 'c', [{ $changeStream: { fullDocument: 'sometimes' } }], 2],
  ])('refuses %s', (_name, db, coll, pipeline, want) => {
    expect(code(() => parseChangeStream(db, coll, pipeline))).toBe(want);
  });
  it('accepts mongod\'s allowlist after it', () => {
    const p = [{ $changeStream: {} }, { $match: {} }, { $project: { _id: 1 } }, { $addFields: { a: 1 } }, { $set: { b: 1 } }, { $unset: 'b' }, { $replaceRoot: { newRoot: { _id: '$_id' } } }, { $replaceWith: { _id: '$_id' } }, { $redact: '$$DESCEND' }];
    expect(parseChangeStream('db', 'c', p).scope).toEqual({ kind: 'collection', db: 'db', coll: 'c' });
  });
});

describe('events from oplog entries', () => {
  const spec = (over: Partial<ChangeStreamSpec> = {}): ChangeStreamSpec => ({ scope: { kind: 'collection', db: 'd', coll: 'c' }, fullDocument: 'default', fullDocumentBeforeChange: 'off', showExpandedEvents: false, start: { kind: 'now' }, ...over });
  const src = (s: ChangeStreamSpec) => ({ spec: s, lookup: () => null });
  const wall = new Date(0);
  it('a drop of the watched collection is drop + invalidate; other namespaces give nothing', () => {
    const drop = { ts: ts(9, 1), wall, op: 'c', ns: 'd.$cmd', o: { drop: 'c' } };
    expect(eventsOf(drop, src(spec())).map((e) => e.event.operationType)).toEqual(['drop', 'invalidate']);
    expect(eventsOf({ ...drop, o: { drop: 'other' } }, src(spec()))).toEqual([]);
    expect(eventsOf({ ts: ts(9, 2), wall, op: 'i', ns: 'e.c', o: { _id: 1 } }, src(spec()))).toEqual([]);
    expect(eventsOf({ ts: ts(9, 3), wall, op: 'n', ns: '', o: { msg: 'x' } }, src(spec()))).toEqual([]);
  });
  it('an applyOps is one event per op in scope, with lsid and txnNumber; a partial one waits for its commit', () => {
    const lsid = { id: new UUID() };
    const entry = { ts: ts(9, 4), wall, op: 'c', ns: 'admin.$cmd', lsid, txnNumber: 1, o: { applyOps: [{ op: 'i', ns: 'd.c', o: { _id: 1 } }, { op: 'i', ns: 'd.x', o: { _id: 2 } }, { op: 'u', ns: 'd.c', o2: { _id: 1 }, o: { _id: 1, v: 1 } }] } };
    const evs = eventsOf(entry, src(spec()));
    expect(evs.map((e) => [e.event.operationType, e.position.index, e.event.txnNumber])).toEqual([['insert', 0, 1], ['replace', 2, 1]]);
    expect(evs[0]!.event.lsid).toBe(lsid);
    expect(eventsOf({ ...entry, o: { ...entry.o, partialTxn: true } }, src(spec()))).toEqual([]);
  });
  it('a transaction split over partialTxn entries: all its ops at the commit entry, indexes across the chain', () => {
    const lsid = { id: new UUID() };
    const p1 = { ts: ts(10, 1), wall, op: 'c', ns: 'admin.$cmd', lsid, txnNumber: 2, prevOpTime: { ts: ts(0, 0), t: 1 }, o: { applyOps: [{ op: 'i', ns: 'd.c', o: { _id: 1 } }], partialTxn: true } };
    const last = { ts: ts(10, 2), wall, op: 'c', ns: 'admin.$cmd', lsid, txnNumber: 2, prevOpTime: { ts: ts(10, 1), t: 1 }, o: { applyOps: [{ op: 'i', ns: 'd.c', o: { _id: 2 } }] } };
    const s = { ...src(spec()), entryAt: (t: Timestamp) => (t.equals(p1.ts) ? p1 : undefined) };
    expect(eventsOf(p1, s)).toEqual([]);
    const evs = eventsOf(last, s);
    expect(evs.map((e) => [(e.event.documentKey as { _id: number })._id, e.position.index, e.position.ts.toString()])).toEqual([[1, 0, ts(10, 2).toString()], [2, 1, ts(10, 2).toString()]]);
  });
  it('a retryable write (lsid on a plain entry) carries no lsid in its event', () => {
    const [e] = eventsOf({ ts: ts(9, 5), wall, op: 'i', ns: 'd.c', lsid: { id: 1 }, txnNumber: 1, o: { _id: 1 } }, src(spec()));
    expect(e!.event).not.toHaveProperty('lsid');
  });
});
