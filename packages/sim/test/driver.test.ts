// The official `mongodb` driver against an in-process sim: results must be mongod-shaped.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Double, Int32, Long, MongoBulkWriteError, MongoClient, MongoServerError, ObjectId, type Db } from 'mongodb';
import { startSim, type SimHandle } from '../src/index.js';

let sim: SimHandle;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  sim = await startSim({ port: 0 });
  client = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
});

afterAll(async () => {
  await client?.close();
  await sim?.close();
});

let n = 0;
beforeEach(() => {
  db = client.db(`t${++n}`);
});

describe('handshake and admin', () => {
  it('hello has the fields mongod 7.0 returns', async () => {
    const r = await db.admin().command({ hello: 1 });
    expect(r).toMatchObject({
      isWritablePrimary: true,
      maxBsonObjectSize: 16777216,
      maxMessageSizeBytes: 48000000,
      maxWriteBatchSize: 100000,
      logicalSessionTimeoutMinutes: 30,
      minWireVersion: 0,
      maxWireVersion: 21,
      readOnly: false,
      ok: 1,
    });
    expect(r.localTime).toBeInstanceOf(Date);
    expect(r.topologyVersion.processId).toBeInstanceOf(ObjectId);
    expect(typeof r.connectionId).toBe('number');
    const legacy = await db.admin().command({ isMaster: 1 });
    expect(legacy.ismaster).toBe(true);
    expect(legacy.isWritablePrimary).toBeUndefined();
    const withSasl = await db.admin().command({ hello: 1, saslSupportedMechs: 'admin.u' });
    // mongod omits saslSupportedMechs for an unknown user (see test/auth.test.ts for known ones).
    expect(withSasl.saslSupportedMechs).toBeUndefined();
  });

  it('ping, buildInfo, serverStatus, hostInfo, getParameter, connectionStatus', async () => {
    expect(await db.command({ ping: 1 })).toEqual({ ok: 1 });
    const bi = await db.admin().command({ buildInfo: 1 });
    expect(bi.version).toMatch(/^7\.0\.\d+-sim$/);
    expect(bi.versionArray.slice(0, 2)).toEqual([7, 0]);
    const ss = await db.admin().command({ serverStatus: 1 });
    expect(ss.process).toBe('mongod');
    expect(ss.connections.current).toBeGreaterThan(0);
    expect(ss.opcounters).toHaveProperty('insert');
    expect((await db.admin().command({ hostInfo: 1 })).system.numCores).toBeGreaterThan(0);
    const gp = await db.admin().command({ getParameter: 1, featureCompatibilityVersion: 1 });
    expect(gp.featureCompatibilityVersion).toEqual({ version: '7.0' });
    expect((await db.admin().command({ connectionStatus: 1 })).authInfo.authenticatedUsers).toEqual([]);
    expect((await db.admin().command({ whatsmyuri: 1 })).you).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('unknown command is 59 CommandNotFound', async () => {
    const err = await db.command({ frobnicate: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 59, codeName: 'CommandNotFound', message: "no such command: 'frobnicate'" });
  });

  it("w > 1 on a standalone is BadValue, w: 'majority' is fine", async () => {
    const c = db.collection('wc');
    const err = await c.insertOne({ a: 1 }, { writeConcern: { w: 2 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 2, message: "cannot use 'w' > 1 when a host is not replicated" });
    await expect(c.insertOne({ a: 1 }, { writeConcern: { w: 'majority', j: true } })).resolves.toMatchObject({ acknowledged: true });
  });
});

describe('CRUD', () => {
  it('insertOne / insertMany generate ObjectId _id and keep BSON types', async () => {
    const c = db.collection('types');
    const r = await c.insertOne({ i: 1, d: new Double(2), l: Long.fromNumber(3), s: 'x', dt: new Date(5) });
    expect(r.insertedId).toBeInstanceOf(ObjectId);
    const m = await c.insertMany([{ _id: 1 as never, a: 1 }, { a: 2 }]);
    expect(m.insertedCount).toBe(2);
    const raw = await c.findOne({ _id: r.insertedId }, { promoteValues: false });
    expect(raw!.i).toBeInstanceOf(Int32);
    expect(raw!.d).toBeInstanceOf(Double);
    expect(raw!.l).toBeInstanceOf(Long);
    expect(raw!.dt).toEqual(new Date(5));
    expect(Object.keys(raw!)[0]).toBe('_id');
  });

  it('find with filter, sort, projection, skip, limit, batchSize + getMore', async () => {
    const c = db.collection('f');
    await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i as never, n: i, odd: i % 2 === 1, tag: `t${i % 5}` })));
    const page = await c.find({ odd: true }, { projection: { _id: 0, n: 1 } }).sort({ n: -1 }).skip(2).limit(3).toArray();
    expect(page).toEqual([{ n: 245 }, { n: 243 }, { n: 241 }]);
    const cursor = c.find({}).batchSize(40);
    const all = await cursor.toArray();
    expect(all.length).toBe(250);
    expect(all[249]!.n).toBe(249);
    expect(await c.findOne({ n: { $gt: 247 } }, { sort: { n: 1 } })).toMatchObject({ n: 248 });
    expect(await c.findOne({ n: -1 })).toBeNull();
    const compound = await c.find({ n: { $lt: 10 } }).sort({ tag: 1, n: -1 }).limit(4).toArray();
    expect(compound.map((d) => d.n)).toEqual([5, 0, 6, 1]);
  });

  it('getMore on an unknown cursor is 43 CursorNotFound; killCursors reports ids', async () => {
    const err = await db.command({ getMore: Long.fromNumber(12345), collection: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 43, codeName: 'CursorNotFound' });
    const c = db.collection('k');
    await c.insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
    const r = await db.command({ find: 'k', batchSize: 2 });
    const id = Long.fromValue(r.cursor.id as number);
    expect(id.isZero()).toBe(false);
    const k = await db.command({ killCursors: 'k', cursors: [id, Long.fromNumber(7)] });
    expect(k.cursorsKilled.map(Number)).toEqual([Number(id)]);
    expect(k.cursorsNotFound.map(Number)).toEqual([7]);
    expect(k.cursorsAlive).toEqual([]);
    expect(k.cursorsUnknown).toEqual([]);
  });

  it('updateOne / updateMany / replaceOne with upsert', async () => {
    const c = db.collection('u');
    await c.insertMany([{ _id: 1 as never, a: 1, arr: [1, 2, 3] }, { _id: 2 as never, a: 1 }, { _id: 3 as never, a: 2 }]);
    expect(await c.updateOne({ a: 1 }, { $set: { b: true } })).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect(await c.updateMany({ a: 1 }, { $set: { b: true } })).toMatchObject({ matchedCount: 2, modifiedCount: 1 });
    expect(await c.updateOne({ _id: 1 as never }, { $set: { 'arr.$[x]': 0 } }, { arrayFilters: [{ x: { $gt: 1 } }] })).toMatchObject({ modifiedCount: 1 });
    expect((await c.findOne({ _id: 1 as never }))!.arr).toEqual([1, 0, 0]);
    const up = await c.updateOne({ a: 9 }, { $set: { b: 1 }, $setOnInsert: { created: true } }, { upsert: true });
    expect(up.upsertedCount).toBe(1);
    expect(up.upsertedId).toBeInstanceOf(ObjectId);
    expect(await c.findOne({ _id: up.upsertedId! })).toMatchObject({ a: 9, b: 1, created: true });
    expect(await c.replaceOne({ _id: 3 as never }, { z: 1 })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await c.findOne({ _id: 3 as never })).toEqual({ _id: 3, z: 1 });
    const rup = await c.replaceOne({ _id: 42 as never }, { z: 2 }, { upsert: true });
    expect(rup.upsertedId).toBe(42);
    // pipeline update
    await c.updateOne({ _id: 2 as never }, [{ $set: { c: { $add: ['$a', 10] } } }]);
    expect((await c.findOne({ _id: 2 as never }))!.c).toBe(11);
  });

  it('update validation: _id is immutable (66), unknown modifier (9), conflicting paths (40)', async () => {
    const c = db.collection('uv');
    await c.insertOne({ _id: 1 as never, a: 1 });
    await expect(c.updateOne({ _id: 1 as never }, { $set: { _id: 2 } })).rejects.toMatchObject({ code: 66 });
    await expect(c.replaceOne({ _id: 1 as never }, { _id: 2 as never, a: 1 })).rejects.toMatchObject({ code: 66 });
    await expect(db.command({ update: 'uv', updates: [{ q: {}, u: { $frob: { a: 1 } } }] })).resolves.toMatchObject({
      n: 0,
      writeErrors: [{ index: 0, code: 9 }],
    });
    const r = await db.command({ update: 'uv', updates: [{ q: {}, u: { $set: { a: 1 }, $inc: { a: 1 } } }] });
    expect(r.writeErrors[0].code).toBe(40);
  });

  it('deleteOne / deleteMany', async () => {
    const c = db.collection('d');
    await c.insertMany([{ a: 1 }, { a: 1 }, { a: 1 }, { a: 2 }]);
    expect((await c.deleteOne({ a: 1 })).deletedCount).toBe(1);
    expect((await c.deleteMany({ a: 1 })).deletedCount).toBe(2);
    expect(await c.countDocuments()).toBe(1);
  });

  it('countDocuments, estimatedDocumentCount, distinct', async () => {
    const c = db.collection('cnt');
    await c.insertMany([{ a: 1, t: ['x', 'y'] }, { a: 2, t: ['y'] }, { a: 2, t: 'z' }]);
    expect(await c.countDocuments({ a: 2 })).toBe(2);
    expect(await c.countDocuments({}, { skip: 1, limit: 1 })).toBe(1);
    expect(await c.estimatedDocumentCount()).toBe(3);
    expect((await c.distinct('a')).sort()).toEqual([1, 2]);
    expect((await c.distinct('t')).sort()).toEqual(['x', 'y', 'z']);
    expect(await c.distinct('a', { t: 'z' })).toEqual([2]);
  });

  it('aggregate; the cursor option is required (9)', async () => {
    const c = db.collection('agg');
    await c.insertMany([{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'a', v: 3 }]);
    const out = await c.aggregate([{ $group: { _id: '$k', total: { $sum: '$v' } } }, { $sort: { _id: 1 } }]).toArray();
    expect(out).toEqual([{ _id: 'a', total: 4 }, { _id: 'b', total: 2 }]);
    const err = await db.command({ aggregate: 'agg', pipeline: [] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 9, message: "The 'cursor' option is required, except for aggregate with the explain argument" });
    await c.aggregate([{ $match: { k: 'a' } }, { $out: 'agg_out' }]).toArray();
    expect(await db.collection('agg_out').countDocuments()).toBe(2);
  });

  it('findOneAndUpdate / Replace / Delete', async () => {
    const c = db.collection('fam');
    await c.insertMany([{ _id: 1 as never, n: 1 }, { _id: 2 as never, n: 2 }]);
    const before = await c.findOneAndUpdate({ _id: 1 as never }, { $inc: { n: 10 } });
    expect(before).toEqual({ _id: 1, n: 1 });
    const after = await c.findOneAndUpdate({ _id: 1 as never }, { $inc: { n: 1 } }, { returnDocument: 'after', projection: { _id: 0 } });
    expect(after).toEqual({ n: 12 });
    const meta = await c.findOneAndUpdate({ _id: 7 as never }, { $set: { n: 7 } }, { upsert: true, returnDocument: 'after', includeResultMetadata: true });
    expect(meta.lastErrorObject).toEqual({ n: 1, updatedExisting: false, upserted: 7 });
    expect(meta.value).toEqual({ _id: 7, n: 7 });
    expect(await c.findOneAndReplace({ _id: 2 as never }, { r: true }, { returnDocument: 'after' })).toEqual({ _id: 2, r: true });
    expect(await c.findOneAndDelete({}, { sort: { _id: -1 } })).toEqual({ _id: 7, n: 7 });
    expect(await c.findOneAndDelete({ _id: 99 as never })).toBeNull();
  });

  it('bulkWrite ordered/unordered with a duplicate key error', async () => {
    const c = db.collection<{ _id: number; x?: number }>('bulk');
    const ordered = await c
      .bulkWrite([{ insertOne: { document: { _id: 1 } } }, { insertOne: { document: { _id: 1 } } }, { insertOne: { document: { _id: 2 } } }])
      .catch((e: unknown) => e);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    const oe = ordered as MongoBulkWriteError;
    expect(oe.code).toBe(11000);
    expect(oe.result.insertedCount).toBe(1);
    expect(oe.writeErrors).toBeDefined();
    expect(await c.countDocuments()).toBe(1);
    const unordered = (await c
      .bulkWrite(
        [{ insertOne: { document: { _id: 1 } } }, { insertOne: { document: { _id: 3 } } }, { updateOne: { filter: { _id: 3 }, update: { $set: { x: 1 } } } }, { deleteOne: { filter: { _id: 1 } } }],
        { ordered: false },
      )
      .catch((e: unknown) => e)) as MongoBulkWriteError;
    expect(unordered).toBeInstanceOf(MongoBulkWriteError);
    expect(unordered.result.insertedCount).toBe(1);
    expect(unordered.result.modifiedCount).toBe(1);
    expect(unordered.result.deletedCount).toBe(1);
    const we = Array.isArray(unordered.writeErrors) ? unordered.writeErrors[0] : unordered.writeErrors;
    expect(we!.errmsg).toMatch(/^E11000 duplicate key error collection: t\d+\.bulk index: _id_ dup key: \{ _id: 1 \}$/);
  });
});

describe('indexes and catalog', () => {
  it('createIndex unique, duplicate -> 11000 with keyPattern/keyValue, listIndexes, dropIndex', async () => {
    const c = db.collection('idx');
    expect(await c.createIndex({ a: 1 }, { unique: true })).toBe('a_1');
    await c.insertOne({ a: 1 });
    const err = await c.insertOne({ a: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 11000, keyPattern: { a: 1 }, keyValue: { a: 1 } });
    expect((err as Error).message).toBe(`E11000 duplicate key error collection: ${db.databaseName}.idx index: a_1 dup key: { a: 1 }`);
    const idx = await c.listIndexes().toArray();
    expect(idx).toEqual([{ v: 2, key: { _id: 1 }, name: '_id_' }, { v: 2, key: { a: 1 }, name: 'a_1', unique: true }]);
    expect(await c.indexExists('a_1')).toBe(true);
    await c.createIndex({ b: 1, c: -1 });
    await c.dropIndex('a_1');
    expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'b_1_c_-1']);
    await c.insertOne({ a: 1 });
    await expect(c.dropIndex('nope')).rejects.toMatchObject({ code: 27, codeName: 'IndexNotFound' });
    // a unique index over duplicate data fails
    await expect(c.createIndex({ a: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
    const r = await db.command({ dropIndexes: 'idx', index: '*' });
    expect(r).toMatchObject({ nIndexesWas: 2, ok: 1 });
  });

  it('createCollection, listCollections, drop, dropDatabase, listDatabases, renameCollection', async () => {
    await db.createCollection('made');
    await expect(db.createCollection('made', { capped: true, size: 1000 })).rejects.toMatchObject({ code: 48, codeName: 'NamespaceExists' });
    const cols = await db.listCollections().toArray();
    expect(cols).toHaveLength(1);
    expect(cols[0]).toMatchObject({ name: 'made', type: 'collection', options: {}, info: { readOnly: false }, idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } });
    expect(await db.listCollections({}, { nameOnly: true }).toArray()).toEqual([{ name: 'made', type: 'collection' }]);
    await db.collection('other').insertOne({ x: 1 });
    expect((await db.listCollections({ name: 'other' }).toArray()).map((c) => c.name)).toEqual(['other']);
    await client.db('admin').command({ renameCollection: `${db.databaseName}.other`, to: `${db.databaseName}.renamed` });
    expect(await db.collection('renamed').countDocuments()).toBe(1);
    expect(await db.collection('made').drop()).toBe(true);
    expect(await db.collection('never-existed').drop()).toBe(true); // mongod 7.0: no NamespaceNotFound
    const dbs = await client.db().admin().listDatabases();
    expect(dbs.databases.map((d) => d.name)).toContain(db.databaseName);
    expect(dbs.totalSize).toBeGreaterThan(0);
    expect(await db.dropDatabase()).toBe(true);
    const after = await client.db().admin().listDatabases({ nameOnly: true });
    expect(after.databases.map((d) => d.name)).not.toContain(db.databaseName);
  });

  it('dbStats and collStats', async () => {
    await db.collection('s').insertMany([{ a: 1 }, { a: 2 }]);
    const cs = await db.command({ collStats: 's' });
    expect(cs).toMatchObject({ ns: `${db.databaseName}.s`, count: 2, nindexes: 1, ok: 1 });
    expect(cs.size).toBeGreaterThan(0);
    const ds = await db.stats();
    expect(ds).toMatchObject({ db: db.databaseName, collections: 1, objects: 2, indexes: 1, ok: 1 });
  });

  it('documents over 16MB are rejected with 10334', async () => {
    const big = 'x'.repeat(16 * 1024 * 1024);
    const r = await db.command({ insert: 'big', documents: [{ s: big.slice(0, 8 * 1024 * 1024) }] });
    expect(r.n).toBe(1);
    // two 8MB strings: the document is > 16MB but the message is < 48MB
    const err = await db
      .command({ insert: 'big', documents: [{ s: big.slice(0, 8.5 * 1024 * 1024), t: big.slice(0, 8 * 1024 * 1024) }] })
      .catch((e: unknown) => e);
    // the driver may refuse to serialize it itself; if it reaches the server, it is 10334
    if (err instanceof MongoServerError) expect(err.code).toBe(10334);
    else if (!(err instanceof Error)) expect((err as { writeErrors: Array<{ code: number }> }).writeErrors[0]!.code).toBe(10334);
  });
});
