// mongoose (9.x, over the official driver) against a three-member sim set: the
// `connection.transaction()` helper and manual sessions, as applications written for
// mongod use them. Evidence that the sim's transactions hold for an ODM's retry loop
// and document state handling, not only for the spec suites.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import mongoose, { type Connection, type Model } from 'mongoose';
import { startCluster, type Cluster } from '../src/index.js';

interface Account {
  _id: string;
  balance: number;
}

let cluster: Cluster;
let conn: Connection;
let Accounts: Model<Account>;

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'goose' });
  conn = await mongoose.createConnection(cluster.uri, { serverSelectionTimeoutMS: 20000, dbName: 'bank' }).asPromise();
  Accounts = conn.model<Account>('Account', new mongoose.Schema<Account>({ _id: String, balance: Number }, { versionKey: false }), 'accounts');
}, 60000);

afterAll(async () => {
  await conn?.close();
  await cluster?.stop();
});

beforeEach(async () => {
  await Accounts.deleteMany({});
  await Accounts.insertMany([
    { _id: 'alice', balance: 100 },
    { _id: 'bob', balance: 0 },
  ]);
});

async function balances(): Promise<Record<string, number>> {
  const docs = await Accounts.find({}).sort({ _id: 1 }).lean();
  return Object.fromEntries(docs.map((d) => [d._id, d.balance]));
}

async function transfer(session: mongoose.ClientSession, from: string, to: string, amount: number): Promise<void> {
  const src = await Accounts.findById(from).session(session);
  if (!src || src.balance < amount) throw new Error(`insufficient funds in ${from}`);
  src.balance -= amount;
  await src.save({ session });
  await Accounts.updateOne({ _id: to }, { $inc: { balance: amount } }, { session });
}

describe('mongoose transactions on mongod-sim', () => {
  it('connection.transaction() commits a transfer made with documents and queries', async () => {
    await conn.transaction((session) => transfer(session, 'alice', 'bob', 30));
    expect(await balances()).toEqual({ alice: 70, bob: 30 });
  });

  it('an error thrown inside connection.transaction() aborts every write and reaches the caller', async () => {
    const failed = conn.transaction(async (session) => {
      await transfer(session, 'alice', 'bob', 30);
      await Accounts.create([{ _id: 'carol', balance: 5 }], { session });
      throw new Error('business rule refused');
    });
    await expect(failed).rejects.toThrow('business rule refused');
    expect(await balances()).toEqual({ alice: 100, bob: 0 });
  });

  it('writes inside an open transaction are invisible outside it until commit', async () => {
    const session = await conn.startSession();
    try {
      session.startTransaction();
      await transfer(session, 'alice', 'bob', 40);
      expect(await balances()).toEqual({ alice: 100, bob: 0 });
      const inside = await Accounts.find({}).sort({ _id: 1 }).session(session).lean();
      expect(inside.map((d) => d.balance)).toEqual([60, 40]);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await balances()).toEqual({ alice: 60, bob: 40 });
  });

  it('concurrent transfers on the same account all apply exactly once (write conflicts are retried)', async () => {
    const n = 6;
    await Promise.all(Array.from({ length: n }, () => conn.transaction((session) => transfer(session, 'alice', 'bob', 10))));
    expect(await balances()).toEqual({ alice: 100 - 10 * n, bob: 10 * n });
  });

  it('abortTransaction() on a manual session discards the writes', async () => {
    const session = await conn.startSession();
    try {
      session.startTransaction();
      await transfer(session, 'alice', 'bob', 50);
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await balances()).toEqual({ alice: 100, bob: 0 });
  });
});
