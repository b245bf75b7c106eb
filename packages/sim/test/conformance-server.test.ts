// mongod 7.0 server-level behaviour through the official driver: the Stable API checks,
// the logical session cache ($listLocalSessions, endSessions), source stages
// ($documents, $collStats, $indexStats, $currentOp), currentOp/killOp, validate, explain.
import { beforeEach, describe, expect, it } from 'vitest';
import { MongoClient, ServerApiVersion, type Db } from 'mongodb';
import { startSim } from '../src/index.js';
import { officialDriverOnSim, serverFailure } from './support/official-driver.js';

const env = officialDriverOnSim();
let db: Db;
let n = 0;

beforeEach(() => {
  db = env.client.db(`s${++n}`);
});

const failure = serverFailure;

describe('Stable API', () => {
  it('apiStrict refuses commands and stages outside API Version 1 (323); in-API commands work', async () => {
    const strict = new MongoClient(env.sim.uri, { serverApi: { version: ServerApiVersion.v1, strict: true, deprecationErrors: true } });
    try {
      const c = strict.db('api').collection('t');
      await c.insertMany([{ _id: 1, x: 1 }, { _id: 2, x: 2 }] as never[]);
      expect(await c.find({}, { sort: { _id: 1 }, batchSize: 1 }).toArray()).toHaveLength(2);
      expect(await c.countDocuments({ x: { $gt: 1 } })).toBe(1);
      expect(await c.estimatedDocumentCount()).toBe(2);
      const d = await failure(c.distinct('x'));
      expect(d.codeName).toBe('APIStrictError');
      expect(d.code).toBe(323);
      expect(d.message).toContain('command distinct is not in API Version 1');
      const s = await failure(strict.db('admin').aggregate([{ $listLocalSessions: {} }, { $limit: 1 }]).toArray());
      expect(s.codeName).toBe('APIStrictError');
      const t = await failure(strict.db('api').command({ testVersion2: 1 }));
      expect(t.message).toContain('command testVersion2 is not in API Version 1');
      const dep = await failure(strict.db('api').command({ testDeprecation: 1 }));
      expect(dep.codeName).toBe('APIDeprecationError');
    } finally {
      await strict.close();
    }
  });

  it('without apiStrict everything runs; a bad version is APIVersionError (322)', async () => {
    const v1 = new MongoClient(env.sim.uri, { serverApi: { version: ServerApiVersion.v1 } });
    try {
      const c = v1.db('api1').collection('t');
      await c.insertOne({ x: 1 });
      expect(await c.distinct('x')).toEqual([1]);
      expect(await v1.db('admin').aggregate([{ $listLocalSessions: {} }, { $limit: 1 }]).toArray()).toHaveLength(1);
    } finally {
      await v1.close();
    }
    const e = await failure(db.command({ ping: 1, apiVersion: '2' }));
    expect(e.code).toBe(322);
    expect(e.codeName).toBe('APIVersionError');
    expect((await failure(db.command({ ping: 1, apiStrict: true }))).code).toBe(322);
  });
});

describe('logical sessions', () => {
  it('$listLocalSessions lists sessions used by commands; endSessions removes them', async () => {
    const session = env.client.startSession();
    await db.collection('x').insertOne({ a: 1 }, { session });
    const id = session.id!.id;
    const listed = await env.client.db('admin').aggregate([{ $listLocalSessions: {} }, { $match: { '_id.id': id } }]).toArray();
    expect(listed).toHaveLength(1);
    expect(listed[0]!.lastUse).toBeInstanceOf(Date);
    expect(listed[0]!._id.uid.buffer.length).toBe(32);
    await db.admin().command({ endSessions: [{ id }] });
    expect(await env.client.db('admin').aggregate([{ $listLocalSessions: { allUsers: true } }, { $match: { '_id.id': id } }]).toArray()).toEqual([]);
    await session.endSession();
    // Any database, as mongod: the CSOT spec runs `aggregate: 1` with $listLocalSessions on
    // "test" and expects it to succeed (client-side-operations-timeout/global-timeoutMS.json).
    expect(Array.isArray(await db.aggregate([{ $listLocalSessions: {} }, { $limit: 1 }]).toArray())).toBe(true);
    const onCollection = await failure(db.collection('x').aggregate([{ $listLocalSessions: {} }]).toArray());
    expect(onCollection.code).toBe(73);
  });
});

describe('source stages', () => {
  it('$documents, $collStats, $indexStats; source stages must come first', async () => {
    expect(await db.aggregate([{ $documents: [{ a: 1 }, { a: 2 }] }, { $match: { a: 2 } }]).toArray()).toEqual([{ a: 2 }]);
    const c = db.collection('cs');
    await c.insertMany([{ a: 1 }, { a: 2 }]);
    await c.createIndex({ a: 1 });
    const [stats] = await c.aggregate([{ $collStats: { storageStats: {}, count: {} } }]).toArray();
    expect(stats).toMatchObject({ ns: `${db.databaseName}.cs`, count: 2, storageStats: { count: 2, nindexes: 2 } });
    const idx = await c.aggregate([{ $indexStats: {} }]).toArray();
    expect(idx.map((i) => i.name).sort()).toEqual(['_id_', 'a_1']);
    expect(idx[0]!.accesses.since).toBeInstanceOf(Date);
    expect((await failure(c.aggregate([{ $match: {} }, { $collStats: {} }]).toArray())).code).toBe(40602);
    expect((await failure(db.aggregate([{ $match: {} }]).toArray())).code).toBe(73);
  });

  it('a capped collection reports its limits in collStats and $collStats (max documents, maxSize bytes)', async () => {
    await db.createCollection('capped1', { capped: true, size: 8192, max: 10 });
    await db.createCollection('capped2', { capped: true, size: 4096 });
    const [one] = await db.collection('capped1').aggregate([{ $collStats: { storageStats: {} } }]).toArray();
    expect(one!.storageStats).toMatchObject({ capped: true, max: 10, maxSize: 8192 });
    const [two] = await db.collection('capped2').aggregate([{ $collStats: { storageStats: {} } }]).toArray();
    expect(two!.storageStats).toMatchObject({ capped: true, max: 0, maxSize: 4096 });
    expect(await db.command({ collStats: 'capped1' })).toMatchObject({ capped: true, max: 10, maxSize: 8192 });
    const [plain] = await db.collection('cs').aggregate([{ $collStats: { storageStats: {} } }]).toArray();
    expect(plain!.storageStats.capped).toBe(false);
    expect(plain!.storageStats).not.toHaveProperty('maxSize');
  });

  it('$currentOp and currentOp show the running command; killOp answers as mongod', async () => {
    const ops = await env.client.db('admin').aggregate([{ $currentOp: {} }, { $match: { 'command.aggregate': 1 } }]).toArray();
    expect(ops.length).toBeGreaterThanOrEqual(1);
    expect(typeof ops[0]!.opid).toBe('number');
    const r = await db.admin().command({ currentOp: 1, 'command.currentOp': 1 });
    expect(r.inprog).toHaveLength(1);
    expect(r.inprog[0]).toMatchObject({ type: 'op', active: true, op: 'command' });
    expect(await db.admin().command({ killOp: 1, op: 123456 })).toEqual({ info: 'attempting to kill op', ok: 1 });
  });
});

describe('validate and explain', () => {
  it('validate reports counts; a missing collection is 26', async () => {
    const c = db.collection('v');
    await c.insertMany([{ a: 1 }, { a: 2 }]);
    await c.createIndex({ a: 1 });
    const r = await db.command({ validate: 'v' });
    expect(r).toMatchObject({ ns: `${db.databaseName}.v`, valid: true, nrecords: 2, nIndexes: 2, keysPerIndex: { _id_: 2, a_1: 2 }, errors: [], ok: 1 });
    expect((await failure(db.command({ validate: 'nope' }))).code).toBe(26);
  });

  it('explain answers with queryPlanner and executionStats', async () => {
    const c = db.collection('e');
    await c.insertMany([{ a: 1 }, { a: 2 }, { a: 2 }]);
    const r = await c.find({ a: 2 }).explain('executionStats');
    expect(r.queryPlanner.namespace).toBe(`${db.databaseName}.e`);
    expect(r.executionStats.nReturned).toBe(2);
    expect(r.executionStats.totalDocsExamined).toBe(3);
  });
});

describe('serverStatus', () => {
  it('has no repl section on a standalone; a replica set member reports its hello fields under repl', async () => {
    expect((await db.admin().command({ serverStatus: 1 })).repl).toBeUndefined();
    expect((await failure(db.command({ find: 'x', readConcern: { level: 'snapshot' } }))).code).toBe(20);
    const member = await startSim({ port: 0, replSet: 'ssrs' });
    const c = new MongoClient(member.uri, { directConnection: true, serverSelectionTimeoutMS: 5000 });
    try {
      await c.db('admin').command({ replSetInitiate: 1 });
      // waits for the single member's election (no timing asserted)
      while (!(await c.db('admin').command({ hello: 1 })).isWritablePrimary) await new Promise((r) => setTimeout(r, 50));
      const hello = await c.db('admin').command({ hello: 1 });
      const ss = await c.db('admin').command({ serverStatus: 1 });
      expect(ss.repl).toMatchObject({ setName: 'ssrs', isWritablePrimary: true, secondary: false, me: hello.me, primary: hello.me });
      expect(ss.repl.hosts).toEqual(hello.hosts);
      expect(ss.repl.topologyVersion.counter).toBeDefined();
      // snapshot reads outside a transaction: reads yes, writes and other commands no (72)
      const m = c.db('snap');
      await m.collection('t').insertOne({ _id: 1 } as never);
      expect((await m.command({ find: 't', readConcern: { level: 'snapshot' } })).cursor.firstBatch).toEqual([{ _id: 1 }]);
      expect((await failure(m.command({ insert: 't', documents: [{ _id: 2 }], readConcern: { level: 'snapshot' } }))).code).toBe(72);
      expect((await failure(m.command({ listCollections: 1, readConcern: { level: 'snapshot' } }))).code).toBe(72);
    } finally {
      await c.close();
      await member.close();
    }
  });
});

