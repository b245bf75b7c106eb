// Change streams served by mongod-sim, read with the official `mongodb` driver's watch():
// a one-member in-process replica set (majority = that member).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, Timestamp, type ChangeStreamDocument, type Document, type ResumeToken } from 'mongodb';
import { startSim, type SimHandle } from '../../src/index.js';
import { ReplicaSetRole } from '../../src/repl/coordinator.js';

let sim: SimHandle;
let client: MongoClient;

beforeAll(async () => {
  sim = await startSim({ port: 0, replSet: 'csrs' });
  client = new MongoClient(sim.uri, { directConnection: true, serverSelectionTimeoutMS: 10000 });
  await client.db('admin').command({ replSetInitiate: 1 });
  const deadline = Date.now() + 15000;
  while (!(await client.db('admin').command({ hello: 1 })).isWritablePrimary) {
    if (Date.now() > deadline) throw new Error('no primary');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30000);

afterAll(async () => {
  await client?.close();
  await sim?.close();
});

async function take<T extends Document>(cs: { next(): Promise<T> }, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await cs.next());
  return out;
}

describe('collection change streams', () => {
  it('insert, update, replace, delete, in order, with mongod fields', async () => {
    const coll = client.db('cs').collection('crud');
    await coll.insertOne({ _id: 0 as never });
    const cs = coll.watch();
    try {
      await cs.tryNext();
      await coll.insertOne({ _id: 1 as never, a: 1, arr: [1, 2, 3] });
      await coll.updateOne({ _id: 1 as never }, { $set: { a: 2, 'b.c': 1 }, $unset: { zz: '' } });
      await coll.updateOne({ _id: 1 as never }, [{ $set: { arr: [1] } }]);
      await coll.replaceOne({ _id: 1 as never }, { x: 1 });
      await coll.deleteOne({ _id: 1 as never });
      const evs = (await take(cs, 5)) as Array<ChangeStreamDocument & Document>;
      expect(evs.map((e) => e.operationType)).toEqual(['insert', 'update', 'update', 'replace', 'delete']);
      expect(evs[0]).toMatchObject({ ns: { db: 'cs', coll: 'crud' }, documentKey: { _id: 1 }, fullDocument: { _id: 1, a: 1 } });
      expect(evs[0]!.clusterTime).toBeInstanceOf(Timestamp);
      expect(evs[0]!.wallTime).toBeInstanceOf(Date);
      expect(evs[1]!.updateDescription).toEqual({ updatedFields: { a: 2, b: { c: 1 } }, removedFields: [], truncatedArrays: [] });
      expect(evs[2]!.updateDescription).toEqual({ updatedFields: {}, removedFields: [], truncatedArrays: [{ field: 'arr', newSize: 1 }] });
      expect(evs[1]).not.toHaveProperty('fullDocument');
      expect(evs[3]).toMatchObject({ fullDocument: { _id: 1, x: 1 }, documentKey: { _id: 1 } });
      expect(evs[4]).toMatchObject({ documentKey: { _id: 1 } });
      const tokens = evs.map((e) => (e._id as { _data: string })._data);
      expect([...tokens].sort()).toEqual(tokens);
      expect(new Set(tokens).size).toBe(5);
    } finally {
      await cs.close();
    }
  });

  it('resumeAfter continues right after the token; startAtOperationTime includes its time', async () => {
    const coll = client.db('cs').collection('resume');
    const cs = coll.watch();
    await cs.tryNext();
    const r1 = await coll.insertOne({ n: 1 });
    await coll.insertOne({ n: 2 });
    await coll.insertOne({ n: 3 });
    const [first] = await take(cs, 1);
    await cs.close();
    const again = coll.watch([], { resumeAfter: first!._id as ResumeToken });
    const rest = (await take(again, 2)) as Array<Document>;
    expect(rest.map((e) => e.fullDocument.n)).toEqual([2, 3]);
    await again.close();
    const at = coll.watch([], { startAtOperationTime: first!.clusterTime });
    const all = (await take(at, 3)) as Array<Document>;
    expect(all.map((e) => e.fullDocument.n)).toEqual([1, 2, 3]);
    expect(all[0]!.documentKey._id).toEqual(r1.insertedId);
    await at.close();
  });

  it('update lookup, later stages, and a stage mongod refuses', async () => {
    const coll = client.db('cs').collection('lookup');
    await coll.insertOne({ _id: 7 as never, v: 1 });
    const cs = coll.watch([{ $match: { operationType: 'update' } }, { $project: { 'fullDocument.v': 1, operationType: 1 } }, { $changeStreamSplitLargeEvent: {} }], { fullDocument: 'updateLookup' });
    await cs.tryNext();
    await coll.insertOne({ _id: 8 as never });
    await coll.updateOne({ _id: 7 as never }, { $inc: { v: 1 } });
    const [e] = (await take(cs, 1)) as Array<Document>;
    expect(e).toMatchObject({ operationType: 'update', fullDocument: { v: 2 } });
    expect(Object.keys(e!).sort()).toEqual(['_id', 'fullDocument', 'operationType']);
    await cs.close();
    const bad = coll.watch([{ $group: { _id: null } }]);
    const err = await bad.tryNext().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(20);
    await bad.close();
  });

  it('modifying _id fails the next batch with ChangeStreamFatalError', async () => {
    const coll = client.db('cs').collection('idmod');
    const cs = coll.watch([{ $project: { _id: 0 } }]);
    await cs.tryNext();
    await coll.insertOne({ a: 1 });
    const err = await cs.next().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(280);
    expect((err as MongoServerError).hasErrorLabel('NonResumableChangeStreamError')).toBe(true);
    await cs.close();
  });

  it('drop then invalidate; startAfter the invalidate sees the recreated collection', async () => {
    const db = client.db('cs');
    const coll = db.collection('dropme');
    await coll.insertOne({ a: 1 });
    const cs = coll.watch();
    await cs.tryNext();
    await coll.drop();
    const [drop, inv] = (await take(cs, 2)) as Array<Document>;
    expect(drop).toMatchObject({ operationType: 'drop', ns: { db: 'cs', coll: 'dropme' } });
    expect(inv!.operationType).toBe('invalidate');
    await cs.close();
    await expect(coll.watch([], { resumeAfter: inv!._id }).tryNext()).rejects.toMatchObject({ code: 260 });
    const after = coll.watch([], { startAfter: inv!._id });
    await coll.insertOne({ b: 2 });
    const [ins] = (await take(after, 1)) as Array<Document>;
    expect(ins).toMatchObject({ operationType: 'insert', fullDocument: { b: 2 } });
    await after.close();
  });

  it('rename gives rename + invalidate with `to`', async () => {
    const db = client.db('cs');
    await db.collection('from').insertOne({ a: 1 });
    const cs = db.collection('from').watch();
    await cs.tryNext();
    await db.collection('from').rename('to');
    const [ren, inv] = (await take(cs, 2)) as Array<Document>;
    expect(ren).toMatchObject({ operationType: 'rename', ns: { db: 'cs', coll: 'from' }, to: { db: 'cs', coll: 'to' } });
    expect(inv!.operationType).toBe('invalidate');
    await cs.close();
  });
});

describe('database and cluster streams', () => {
  it('a database stream sees every collection, then dropDatabase and invalidate', async () => {
    const db = client.db('csdb');
    await db.collection('a').insertOne({ x: 0 });
    const cs = db.watch();
    await cs.tryNext();
    await db.collection('a').insertOne({ x: 1 });
    await db.collection('b').insertOne({ x: 2 });
    await db.dropDatabase();
    const evs = (await take(cs, 6)) as Array<Document>;
    expect(evs.map((e) => e.operationType)).toEqual(['insert', 'insert', 'drop', 'drop', 'dropDatabase', 'invalidate']);
    expect(evs[4]!.ns).toEqual({ db: 'csdb' });
    await cs.close();
  });

  it('a cluster stream sees other databases', async () => {
    const cs = client.watch();
    await cs.tryNext();
    await client.db('csx').collection('one').insertOne({ x: 1 });
    await client.db('csy').collection('two').insertOne({ x: 2 });
    const evs = (await take(cs, 2)) as Array<Document>;
    expect(evs.map((e) => `${e.ns.db}.${e.ns.coll}`)).toEqual(['csx.one', 'csy.two']);
    await cs.close();
  });

  it('showExpandedEvents: create, createIndexes, modify, disambiguatedPaths', async () => {
    const db = client.db('csexp');
    const cs = db.watch([], { showExpandedEvents: true });
    await cs.tryNext();
    await db.createCollection('c1');
    await db.collection('c1').createIndex({ k: 1 });
    await db.command({ collMod: 'c1', changeStreamPreAndPostImages: { enabled: true } });
    await db.collection('c1').insertOne({ _id: 1 as never, a: { '1': 1 } });
    await db.collection('c1').updateOne({ _id: 1 as never }, { $set: { 'a.1': 2 } });
    const evs = (await take(cs, 5)) as Array<Document>;
    expect(evs.map((e) => e.operationType)).toEqual(['create', 'createIndexes', 'modify', 'insert', 'update']);
    expect(evs[1]!.operationDescription.indexes[0]).toMatchObject({ key: { k: 1 }, name: 'k_1' });
    expect(evs[4]!.updateDescription.disambiguatedPaths).toEqual({ 'a.1': ['a', '1'] });
    await cs.close();
  });
});

describe('pre- and post-images', () => {
  it('whenAvailable / required with changeStreamPreAndPostImages enabled', async () => {
    const db = client.db('csimg');
    await db.createCollection('on', { changeStreamPreAndPostImages: { enabled: true } });
    const coll = db.collection('on');
    await coll.insertOne({ _id: 1 as never, v: 1 });
    const cs = coll.watch([], { fullDocument: 'required', fullDocumentBeforeChange: 'required' });
    await cs.tryNext();
    await coll.updateOne({ _id: 1 as never }, { $set: { v: 2 } });
    await coll.deleteOne({ _id: 1 as never });
    const [u, d] = (await take(cs, 2)) as Array<Document>;
    expect(u).toMatchObject({ fullDocument: { _id: 1, v: 2 }, fullDocumentBeforeChange: { _id: 1, v: 1 } });
    expect(d).toMatchObject({ operationType: 'delete', fullDocumentBeforeChange: { _id: 1, v: 2 } });
    await cs.close();
  });

  it('required without the option fails with NoMatchingDocument; whenAvailable gives null', async () => {
    const coll = client.db('csimg').collection('off');
    await coll.insertOne({ _id: 1 as never, v: 1 });
    const soft = coll.watch([], { fullDocument: 'whenAvailable', fullDocumentBeforeChange: 'whenAvailable' });
    const hard = coll.watch([], { fullDocumentBeforeChange: 'required' });
    await soft.tryNext();
    await hard.tryNext();
    await coll.updateOne({ _id: 1 as never }, { $set: { v: 2 } });
    const [u] = (await take(soft, 1)) as Array<Document>;
    expect(u).toMatchObject({ fullDocument: null, fullDocumentBeforeChange: null });
    await expect(hard.next()).rejects.toMatchObject({ code: 47 });
    await soft.close();
    await hard.close();
  });
});

describe('the wire', () => {
  it('postBatchResumeToken on every batch; an awaitData getMore waits for maxTimeMS then returns empty', async () => {
    const db = client.db('cswire');
    const first = await db.command({ aggregate: 'w', pipeline: [{ $changeStream: {} }], cursor: {} });
    expect(first.cursor.postBatchResumeToken._data).toMatch(/^82[0-9A-F]+$/);
    const id = first.cursor.id;
    const started = Date.now();
    const more = await db.command({ getMore: id, collection: 'w', maxTimeMS: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(more.cursor.nextBatch).toEqual([]);
    expect(more.cursor.postBatchResumeToken._data >= first.cursor.postBatchResumeToken._data).toBe(true);
    const waiting = db.command({ getMore: id, collection: 'w', maxTimeMS: 20000 });
    await db.collection('w').insertOne({ woke: true });
    const woke = await waiting;
    expect(woke.cursor.nextBatch[0]).toMatchObject({ operationType: 'insert', fullDocument: { woke: true } });
    expect(woke.cursor.postBatchResumeToken).toBeDefined();
    await db.command({ killCursors: 'w', cursors: [id] });
  });

  it('a standalone refuses $changeStream (40573)', async () => {
    const standalone = await startSim({ port: 0 });
    const c = new MongoClient(standalone.uri, { directConnection: true, serverSelectionTimeoutMS: 5000 });
    try {
      await expect(c.db('s').collection('c').watch().tryNext()).rejects.toMatchObject({ code: 40573 });
    } finally {
      await c.close();
      await standalone.close();
    }
  });

  it('a resume point older than the oplog is ChangeStreamHistoryLost; namespaces are checked', async () => {
    const db = client.db('cswire');
    const err = await db.command({ aggregate: 'w', pipeline: [{ $changeStream: { startAtOperationTime: new Timestamp({ t: 1, i: 1 }) } }], cursor: {} }).catch((x: unknown) => x);
    expect((err as MongoServerError).code).toBe(286);
    // an event token for a time this member passed but never logged
    const last = (await client.db('local').collection('oplog.rs').find().sort({ ts: -1 }).limit(1).toArray())[0]!.ts as Timestamp;
    // (last second - 1, increment 0xFFFFFFF0): after the oplog's start, no entry has it
    const fake = { _data: `82${(last.high - 1).toString(16).toUpperCase().padStart(8, '0')}FFFFFFF00000000100` };
    const missing = await db.command({ aggregate: 'w', pipeline: [{ $changeStream: { resumeAfter: fake } }], cursor: {} }).catch((x: unknown) => x);
    expect((missing as MongoServerError).code).toBe(280);
    await expect(db.command({ aggregate: 1, pipeline: [{ $changeStream: { allChangesForCluster: true } }], cursor: {} })).rejects.toMatchObject({ code: 73 });
    await expect(db.command({ aggregate: 'w', pipeline: [{ $match: {} }, { $changeStream: {} }], cursor: {} })).rejects.toMatchObject({ code: 40602 });
    await expect(db.command({ aggregate: 'w', pipeline: [{ $changeStream: { bogus: 1 } }], cursor: {} })).rejects.toMatchObject({ code: 40415 });
    await db.createCollection('aview', { viewOn: 'w', pipeline: [] });
    await expect(db.command({ aggregate: 'aview', pipeline: [{ $changeStream: {} }], cursor: {} })).rejects.toMatchObject({ code: 166 });
  });

  it('a committed transaction: one event per write, with its lsid and txnNumber, in statement order', async () => {
    const coll = client.db('cstxn').collection('real');
    await coll.insertOne({ _id: 1 as never, v: 0 });
    const cs = coll.watch();
    await cs.tryNext();
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await coll.insertOne({ _id: 2 as never }, { session });
        await coll.updateOne({ _id: 1 as never }, { $set: { v: 1 } }, { session });
        await coll.deleteOne({ _id: 2 as never }, { session });
      });
    } finally {
      await session.endSession();
    }
    const evs = (await take(cs, 3)) as Array<Document>;
    expect(evs.map((e) => e.operationType)).toEqual(['insert', 'update', 'delete']);
    expect(evs[1]!.updateDescription).toEqual({ updatedFields: { v: 1 }, removedFields: [], truncatedArrays: [] });
    for (const e of evs) {
      expect(e.lsid.id.toString('hex')).toBe(session.id!.id.toString('hex'));
      expect(e.txnNumber).toBeDefined();
      expect(e.clusterTime).toEqual(evs[0]!.clusterTime);
    }
    await cs.close();
  });

  it('expands a transaction applyOps entry into one event per op with lsid and txnNumber', async () => {
    const coll = client.db('cstxn').collection('t');
    await coll.insertOne({ _id: 0 as never });
    const cs = coll.watch();
    await cs.tryNext();
    const role = sim.node.role as ReplicaSetRole;
    const ui = sim.node.engine.getCollection('cstxn', 't')!.uuid;
    const lsid = { id: new (await import('bson')).UUID() };
    // what a committed unprepared transaction logs: one applyOps command entry
    const entry = { lsid, txnNumber: (await import('bson')).Long.fromNumber(3), op: 'c', ns: 'admin.$cmd', o: { applyOps: [
      { op: 'i', ns: 'cstxn.t', ui, o: { _id: 10 } },
      { op: 'i', ns: 'cstxn.other', o: { _id: 11 } },
      { op: 'd', ns: 'cstxn.t', ui, o: { _id: 0 } },
    ] } };
    // stamped and appended as a no-op, then given the transaction's shape in memory (the
    // in-memory oplog is what change streams read)
    Object.assign(role.writeNoop({ msg: 'txn' }), entry);
    const evs = (await take(cs, 2)) as Array<Document>;
    expect(evs.map((e) => e.operationType)).toEqual(['insert', 'delete']);
    expect(evs[0]!.lsid).toEqual(lsid);
    expect(Number(evs[0]!.txnNumber)).toBe(3);
    expect(evs[0]!.clusterTime).toEqual(evs[1]!.clusterTime);
    expect(evs[0]!._id._data < evs[1]!._id._data).toBe(true);
    await cs.close();
  });
});
