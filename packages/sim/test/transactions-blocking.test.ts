// A write outside any transaction to a document an open transaction has written waits
// until that transaction commits or aborts (mongod 7.0 retries the write conflict
// internally), then runs on the outcome; maxTimeMS bounds the wait. Official driver,
// three-member sim set. Waiting is proven by the order of events: the outside write is
// seen in progress on the primary (currentOp) and has not completed when the
// transaction ends; it completes afterwards with the transaction's outcome in its result.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, type Collection } from 'mongodb';
import { startCluster, type Cluster } from '../src/index.js';
import { until } from './until.js';

interface Account {
  _id: string;
  balance: number;
}

let cluster: Cluster;
let client: MongoClient;
let outside: MongoClient;
let accounts: Collection<Account>;
let outsideAccounts: Collection<Account>;

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'txnblock' });
  client = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 20000 });
  outside = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 20000, appName: 'outside-writer' });
  await Promise.all([client.connect(), outside.connect()]);
  accounts = client.db('bank').collection<Account>('accounts');
  outsideAccounts = outside.db('bank').collection<Account>('accounts');
}, 60000);

afterAll(async () => {
  await outside?.close();
  await client?.close();
  await cluster?.stop();
});

beforeEach(async () => {
  await accounts.deleteMany({}, { writeConcern: { w: 'majority' } });
  await accounts.insertMany([{ _id: 'bob', balance: 0 }], { writeConcern: { w: 'majority' } });
});

/** Resolves once the outside writer's `command` is in progress on the primary. */
async function inProgress(command: string): Promise<void> {
  await until(
    async () => {
      const r = await client.db('admin').command({ currentOp: 1 });
      return (r.inprog as Array<{ appName?: string; command?: Record<string, unknown> }>).some((op) => op.appName === 'outside-writer' && op.command?.[command] === 'accounts');
    },
    20000,
    `the outside ${command} to be in progress`,
  );
}

describe('a write outside a transaction to a document the transaction wrote', () => {
  it('waits for the commit, then applies on the committed value', async () => {
    const events: string[] = [];
    const session = client.startSession();
    try {
      session.startTransaction();
      await accounts.updateOne({ _id: 'bob' }, { $inc: { balance: 5 } }, { session });
      const write = outsideAccounts.updateOne({ _id: 'bob' }, { $inc: { balance: 1 } }).then((r) => {
        events.push('outside write done');
        return r;
      });
      await inProgress('update');
      events.push('commit');
      await session.commitTransaction();
      const r = await write;
      expect(r).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    } finally {
      await session.endSession();
    }
    expect(events).toEqual(['commit', 'outside write done']);
    // both happened: the transaction's +5 then the outside +1 (no lost update, no conflict)
    expect(await accounts.findOne({ _id: 'bob' })).toEqual({ _id: 'bob', balance: 6 });
  });

  it('waits for the abort, then applies on the restored value (findAndModify and insert too)', async () => {
    const events: string[] = [];
    const session = client.startSession();
    try {
      session.startTransaction();
      await accounts.updateOne({ _id: 'bob' }, { $set: { balance: 50 } }, { session });
      await accounts.insertOne({ _id: 'carol', balance: 7 }, { session });
      const fam = outsideAccounts.findOneAndUpdate({ _id: 'bob' }, { $inc: { balance: 1 } }, { returnDocument: 'after' }).then((r) => {
        events.push('outside findAndModify done');
        return r;
      });
      // an insert of the _id the transaction inserted waits too
      const insert = outsideAccounts.insertOne({ _id: 'carol', balance: 1 }).then(() => events.push('outside insert done'));
      await inProgress('findAndModify');
      await inProgress('insert');
      events.push('abort');
      await session.abortTransaction();
      expect(await fam).toEqual({ _id: 'bob', balance: 1 });
      await insert;
    } finally {
      await session.endSession();
    }
    expect(events.slice(0, 1)).toEqual(['abort']);
    expect(events.sort()).toEqual(['abort', 'outside findAndModify done', 'outside insert done']);
    expect(await accounts.find({}, { sort: { _id: 1 } }).toArray()).toEqual([
      { _id: 'bob', balance: 1 },
      { _id: 'carol', balance: 1 },
    ]);
  });

  it('gives up with MaxTimeMSExpired after maxTimeMS while the transaction stays open', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      await accounts.updateOne({ _id: 'bob' }, { $inc: { balance: 5 } }, { session });
      const err = await outsideAccounts.updateOne({ _id: 'bob' }, { $inc: { balance: 1 } }, { maxTimeMS: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MongoServerError);
      expect((err as MongoServerError).codeName).toBe('MaxTimeMSExpired');
      // the transaction was not disturbed by the outside write
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await accounts.findOne({ _id: 'bob' })).toEqual({ _id: 'bob', balance: 5 });
  });

  it('a write to a document the transaction only read does not wait', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      expect(await accounts.findOne({ _id: 'bob' }, { session })).toEqual({ _id: 'bob', balance: 0 });
      await outsideAccounts.updateOne({ _id: 'bob' }, { $inc: { balance: 1 } });
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await accounts.findOne({ _id: 'bob' })).toEqual({ _id: 'bob', balance: 1 });
  });
});
