// Change streams on a three-member sim set (separate processes) and through a sim
// mongos, read with the official driver: the stream survives kill -9 of the primary
// (every majority-committed write once, in order) and a token from one member resumes
// on another; the router passes $changeStream and postBatchResumeToken through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type Document, type ResumeToken } from 'mongodb';
import { startCluster, startMongos, type Cluster, type MongosProcess } from '../../src/index.js';

let cluster: Cluster;
let router: MongosProcess;
let client: MongoClient;

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'csfo' });
  router = await startMongos({ configdb: `${cluster.replSet}/${cluster.members.map((m) => m.host).join(',')}` });
  client = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 20000, heartbeatFrequencyMS: 500 });
  await client.connect();
}, 60_000);

afterAll(async () => {
  await client?.close();
  await router?.stop();
  await cluster?.stop();
});

describe('change streams across a failover', () => {
  it('keeps reading after kill -9 of the primary, nothing lost or repeated; a token resumes on another member', async () => {
    const coll = client.db('fo').collection<{ n: number }>('events');
    const cs = coll.watch([], { maxAwaitTimeMS: 500 });
    await cs.tryNext();
    const write = async (from: number, to: number): Promise<void> => {
      for (let n = from; n < to; n++) await coll.insertOne({ n }, { writeConcern: { w: 'majority', wtimeoutMS: 20000 } });
    };
    await write(0, 5);
    const seen: Document[] = [];
    for (let i = 0; i < 5; i++) seen.push(await cs.next());
    const old = await cluster.primary();
    await cluster.kill(old.index, 'SIGKILL');
    await cluster.waitForPrimary({ exclude: old.index, timeoutMs: 30000 });
    // the driver's retryable write finds the new primary; the stream resumes on its own
    await write(5, 10);
    for (let i = 0; i < 5; i++) seen.push(await cs.next());
    expect(seen.map((e) => e.fullDocument.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await cs.close();

    // the token of event 6, read on a secondary: the next events are 7, 8, 9
    await cluster.restart(old.index);
    await cluster.waitForSecondaries({ timeoutMs: 30000 });
    const primary = await cluster.primary();
    const secondary = cluster.members.find((m) => m.index !== primary.index)!;
    const direct = new MongoClient(`mongodb://${secondary.host}/?directConnection=true`, { serverSelectionTimeoutMS: 10000 });
    try {
      const onSecondary = direct.db('fo').collection('events').watch([], { resumeAfter: seen[6]!._id as ResumeToken, readPreference: 'secondary' });
      const next: Document[] = [];
      for (let i = 0; i < 3; i++) next.push(await onSecondary.next());
      expect(next.map((e) => e.fullDocument.n)).toEqual([7, 8, 9]);
      expect(next.map((e) => e._id._data)).toEqual(seen.slice(7).map((e) => e._id._data));
      await onSecondary.close();
    } finally {
      await direct.close();
    }
  }, 120_000);
});

describe('change streams through mongos', () => {
  it('passes $changeStream through and keeps postBatchResumeToken', async () => {
    const viaRouter = new MongoClient(router.uri, { serverSelectionTimeoutMS: 10000 });
    try {
      const db = viaRouter.db('ms');
      const first = await db.command({ aggregate: 'c', pipeline: [{ $changeStream: {} }], cursor: {} });
      expect(first.cursor.postBatchResumeToken._data).toMatch(/^82/);
      await db.command({ killCursors: 'c', cursors: [first.cursor.id] });
      const cs = db.collection('c').watch();
      await cs.tryNext();
      await db.collection('c').insertOne({ via: 'mongos' }, { writeConcern: { w: 'majority' } });
      const e = await cs.next();
      expect(e).toMatchObject({ operationType: 'insert', ns: { db: 'ms', coll: 'c' }, fullDocument: { via: 'mongos' } });
      await cs.close();
    } finally {
      await viaRouter.close();
    }
  }, 60_000);
});
