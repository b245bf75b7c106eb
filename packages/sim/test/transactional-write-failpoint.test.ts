// The onPrimaryTransactionalWrite fail point (retryable writes on a primary), through the
// official driver: closeConnection keeps the write and its retry record, so the driver's
// retry is answered from the record (the write is made once); failBeforeCommitExceptionCode
// fails the statement without writing it; writes without a txnNumber are not affected.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, type Collection } from 'mongodb';
import { startCluster, type Cluster } from '../src/index.js';

let cluster: Cluster;
let client: MongoClient;
let plain: MongoClient;
let coll: Collection<{ _id: number; x: number }>;
const events: string[] = [];

beforeAll(async () => {
  cluster = await startCluster({ members: 1, replSet: 'fpw' });
  client = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 20000, monitorCommands: true });
  client.on('commandStarted', (e) => {
    if (e.commandName === 'update' || e.commandName === 'insert') events.push(e.commandName);
  });
  await client.connect();
  plain = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 20000, retryWrites: false });
  await plain.connect();
  coll = client.db('fpw').collection('c');
}, 60000);

afterAll(async () => {
  await client?.close();
  await plain?.close();
  await cluster?.stop();
});

beforeEach(async () => {
  await client.db('admin').command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: 'off' });
  await coll.deleteMany({});
  await coll.insertOne({ _id: 1, x: 0 });
  events.length = 0;
});

const failPoint = (mode: unknown, data?: object) => client.db('admin').command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode, ...(data ? { data } : {}) });

describe('onPrimaryTransactionalWrite', () => {
  it('closeConnection (the default): the write stands, the retry is answered from its record', async () => {
    await failPoint({ times: 1 });
    const r = await coll.updateOne({ _id: 1 }, { $inc: { x: 1 } });
    expect(r).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(events).toEqual(['update', 'update']);
    // made once, not twice
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, x: 1 });
  });

  it('failBeforeCommitExceptionCode without closeConnection: the statement fails with the code, unwritten', async () => {
    await failPoint({ times: 1 }, { failBeforeCommitExceptionCode: 2, closeConnection: false });
    const err = await coll.insertOne({ _id: 2, x: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(2);
    expect(events).toEqual(['insert']);
    expect(await coll.countDocuments({ _id: 2 })).toBe(0);
  });

  it('skip counts statements: the second statement of an ordered insert fails, the first stands', async () => {
    await failPoint({ skip: 1 }, { failBeforeCommitExceptionCode: 2, closeConnection: false });
    const err = await coll.insertMany([{ _id: 3, x: 3 }, { _id: 4, x: 4 }, { _id: 5, x: 5 }]).catch((e: unknown) => e);
    expect((err as MongoServerError).code).toBe(2);
    expect(await coll.find({ _id: { $gt: 1 } }).toArray()).toEqual([{ _id: 3, x: 3 }]);
  });

  it('a write without a txnNumber is not affected', async () => {
    await failPoint('alwaysOn', { failBeforeCommitExceptionCode: 2 });
    await plain.db('fpw').collection<{ _id: number; x: number }>('c').updateOne({ _id: 1 }, { $set: { x: 7 } });
    await failPoint('off');
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, x: 7 });
  });
});
