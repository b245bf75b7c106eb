// Snapshot reads outside transactions (readConcern level 'snapshot', mongod 5.0+), through
// the official driver on a one-member sim set: the data as of atClusterTime, the majority
// commit point when none is given (the reply's atClusterTime), and mongod's refusals.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, Timestamp, type Db } from 'mongodb';
import { startCluster, type Cluster } from '../src/index.js';

let cluster: Cluster;
let client: MongoClient;
let db: Db;

interface Row {
  _id: number;
  x?: number;
}

beforeAll(async () => {
  cluster = await startCluster({ members: 1, replSet: 'snap' });
  client = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 20000 });
  await client.connect();
  db = client.db('snap');
}, 60000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

beforeEach(async () => {
  await db.collection<Row>('c').deleteMany({}, { writeConcern: { w: 'majority' } });
});

/** The member's last applied time (a reply's operationTime): after a write, that write's cluster time. */
async function lastApplied(): Promise<Timestamp> {
  const r = await db.command({ ping: 1 });
  expect(r.operationTime).toBeInstanceOf(Timestamp);
  return r.operationTime as Timestamp;
}

const snapshotFind = (atClusterTime?: Timestamp, filter = {}) =>
  db.command({ find: 'c', filter, sort: { _id: 1 }, readConcern: { level: 'snapshot', ...(atClusterTime ? { atClusterTime } : {}) } });

describe('snapshot reads outside transactions', () => {
  it('find, aggregate and distinct read the data as of atClusterTime', async () => {
    const c = db.collection<Row>('c');
    await c.insertMany([{ _id: 1, x: 1 }, { _id: 2, x: 2 }], { writeConcern: { w: 'majority' } });
    const t1 = await lastApplied();
    await c.updateOne({ _id: 1 }, { $set: { x: 10 } }, { writeConcern: { w: 'majority' } });
    await c.deleteOne({ _id: 2 }, { writeConcern: { w: 'majority' } });
    await c.insertOne({ _id: 3, x: 3 }, { writeConcern: { w: 'majority' } });

    const found = await snapshotFind(t1);
    expect(found.cursor.firstBatch).toEqual([{ _id: 1, x: 1 }, { _id: 2, x: 2 }]);
    expect(found.cursor.atClusterTime).toEqual(t1);
    const agg = await db.command({ aggregate: 'c', pipeline: [{ $sort: { _id: 1 } }], cursor: {}, readConcern: { level: 'snapshot', atClusterTime: t1 } });
    expect(agg.cursor.firstBatch).toEqual([{ _id: 1, x: 1 }, { _id: 2, x: 2 }]);
    const distinct = await db.command({ distinct: 'c', key: 'x', readConcern: { level: 'snapshot', atClusterTime: t1 } });
    expect(distinct.values).toEqual([1, 2]);
    expect(distinct.atClusterTime).toEqual(t1);
    // the present is unchanged
    expect(await c.find({}, { sort: { _id: 1 } }).toArray()).toEqual([{ _id: 1, x: 10 }, { _id: 3, x: 3 }]);
  });

  it('a collection created after atClusterTime does not exist at it', async () => {
    await db.collection<Row>('c').insertOne({ _id: 0 }, { writeConcern: { w: 'majority' } });
    const t0 = await lastApplied();
    await db.collection<Row>('later').drop().catch(() => undefined);
    await db.collection<Row>('later').insertOne({ _id: 1 }, { writeConcern: { w: 'majority' } });
    const r = await db.command({ find: 'later', filter: {}, readConcern: { level: 'snapshot', atClusterTime: t0 } });
    expect(r.cursor.firstBatch).toEqual([]);
  });

  it('without atClusterTime: reads at the majority commit point and the cursor carries it', async () => {
    const c = db.collection<Row>('c');
    await c.insertOne({ _id: 1, x: 1 }, { writeConcern: { w: 'majority' } });
    const t1 = await lastApplied();
    const r = await snapshotFind();
    expect(r.cursor.firstBatch).toEqual([{ _id: 1, x: 1 }]);
    const at = r.cursor.atClusterTime as Timestamp;
    expect(at).toBeInstanceOf(Timestamp);
    expect(at.greaterThanOrEqual(t1)).toBe(true);
    // the session API: later reads of a snapshot session use the first read's time
    const session = client.startSession({ snapshot: true });
    try {
      expect(await c.findOne({ _id: 1 }, { session })).toEqual({ _id: 1, x: 1 });
      await c.updateOne({ _id: 1 }, { $set: { x: 2 } }, { writeConcern: { w: 'majority' } });
      expect(await c.findOne({ _id: 1 }, { session })).toEqual({ _id: 1, x: 1 });
    } finally {
      await session.endSession();
    }
    expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, x: 2 });
  });

  it("refuses what mongod refuses: a future time, a time before the history kept, writes, atClusterTime without level 'snapshot'", async () => {
    const now = await lastApplied();
    const future = new Timestamp({ t: now.high + 1000, i: 1 });
    await expect(snapshotFind(future)).rejects.toMatchObject({ code: 72, codeName: 'InvalidOptions' });
    await expect(snapshotFind(new Timestamp({ t: 1, i: 1 }))).rejects.toMatchObject({ code: 239, codeName: 'SnapshotTooOld' });
    const insert = db.command({ insert: 'c', documents: [{ _id: 9 }], readConcern: { level: 'snapshot' } });
    await expect(insert).rejects.toBeInstanceOf(MongoServerError);
    await expect(insert).rejects.toMatchObject({ code: 72 });
    await expect(db.command({ find: 'c', readConcern: { level: 'majority', atClusterTime: now } })).rejects.toMatchObject({ code: 72 });
    await expect(db.command({ find: 'c', readConcern: { level: 'snapshot', atClusterTime: 'bad' } })).rejects.toMatchObject({ code: 14 });
    expect(await db.collection<Row>('c').countDocuments({ _id: 9 })).toBe(0);
  });
});
