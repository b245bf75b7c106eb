// Multi-document transactions on a three-member sim set, through the official driver:
// a transfer, isolation, write conflicts, commit retries, abort, the applyOps oplog
// entry and its replication, step-down, the lifetime limit, DDL rules.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, type ClientSession, type Collection } from 'mongodb';
import { startCluster, type Cluster } from '../src/index.js';

interface Account {
  _id: string;
  balance: number;
}

let cluster: Cluster;
let client: MongoClient;
let accounts: Collection<Account>;

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'txn' });
  client = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 20000 });
  await client.connect();
  accounts = client.db('bank').collection<Account>('accounts');
}, 60000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

beforeEach(async () => {
  await accounts.deleteMany({}, { writeConcern: { w: 'majority' } });
  await accounts.insertMany(
    [
      { _id: 'alice', balance: 100 },
      { _id: 'bob', balance: 0 },
    ],
    { writeConcern: { w: 'majority' } },
  );
});

async function transfer(session: ClientSession, from: string, to: string, amount: number): Promise<void> {
  await accounts.updateOne({ _id: from }, { $inc: { balance: -amount } }, { session });
  await accounts.updateOne({ _id: to }, { $inc: { balance: amount } }, { session });
}

async function balances(): Promise<Record<string, number>> {
  const docs = await accounts.find({}, { sort: { _id: 1 } }).toArray();
  return Object.fromEntries(docs.map((d) => [d._id, d.balance]));
}

async function expectServerError(p: Promise<unknown>, codeName: string, label?: string): Promise<MongoServerError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MongoServerError);
  const err = e as MongoServerError;
  expect(err.codeName).toBe(codeName);
  if (label) expect(err.errorLabels).toContain(label);
  return err;
}

describe('transactions on a replica set', () => {
  it('commits a transfer as one applyOps oplog entry that every member applies', async () => {
    const session = client.startSession();
    try {
      session.startTransaction({ writeConcern: { w: 3 } });
      await transfer(session, 'alice', 'bob', 30);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await balances()).toEqual({ alice: 70, bob: 30 });
    const oplog = client.db('local').collection('oplog.rs');
    const [entry] = await oplog.find({ 'o.applyOps.ns': 'bank.accounts' }).sort({ $natural: -1 }).limit(1).toArray();
    expect(entry).toMatchObject({ op: 'c', ns: 'admin.$cmd', prevOpTime: { t: -1 } });
    expect(entry!.lsid).toBeDefined();
    expect(entry!.txnNumber).toBeDefined();
    const ops = entry!.o.applyOps as Array<{ op: string; ns: string; o: Account }>;
    expect(ops.map((o) => [o.op, o.ns, o.o._id, o.o.balance])).toEqual([
      ['u', 'bank.accounts', 'alice', 70],
      ['u', 'bank.accounts', 'bob', 30],
    ]);
    // w: 3 acknowledged: every member has both writes
    for (const m of cluster.members) {
      const res = await cluster.command(m.index, { find: 'accounts', $db: 'bank', filter: {}, sort: { _id: 1 }, $readPreference: { mode: 'secondaryPreferred' } });
      expect((res.cursor.firstBatch as Account[]).map((d) => d.balance)).toEqual([70, 30]);
    }
    const record = await client.db('config').collection('transactions').findOne({ 'txnNumber': entry!.txnNumber });
    expect(record?.state).toBe('committed');
  });

  it('reads its own writes and a snapshot as of its start; others see nothing before commit', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      await accounts.updateOne({ _id: 'alice' }, { $inc: { balance: -10 } }, { session });
      expect((await accounts.findOne({ _id: 'alice' }, { session }))?.balance).toBe(90);
      expect((await accounts.findOne({ _id: 'alice' }))?.balance).toBe(100);
      // a write outside after the transaction started is not in its snapshot
      await accounts.insertOne({ _id: 'carol', balance: 5 });
      expect(await accounts.findOne({ _id: 'carol' }, { session })).toBeNull();
      expect(await accounts.countDocuments({}, { session })).toBe(2);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await balances()).toEqual({ alice: 90, bob: 0, carol: 5 });
  });

  it('a second writer of the same document gets WriteConflict with TransientTransactionError at once', async () => {
    const s1 = client.startSession();
    const s2 = client.startSession();
    try {
      s1.startTransaction();
      s2.startTransaction();
      await accounts.updateOne({ _id: 'alice' }, { $inc: { balance: -1 } }, { session: s1 });
      await expectServerError(accounts.updateOne({ _id: 'alice' }, { $inc: { balance: -2 } }, { session: s2 }), 'WriteConflict', 'TransientTransactionError');
      // the failed statement aborted s2's transaction on the server
      await expectServerError(accounts.updateOne({ _id: 'bob' }, { $inc: { balance: 2 } }, { session: s2 }), 'NoSuchTransaction', 'TransientTransactionError');
      await s2.abortTransaction();
      await s1.commitTransaction();
    } finally {
      await s1.endSession();
      await s2.endSession();
    }
    expect(await balances()).toEqual({ alice: 99, bob: 0 });
  });

  it('withTransaction retries the transient conflict and the sum holds', async () => {
    const sessions = Array.from({ length: 4 }, () => client.startSession());
    try {
      await Promise.all(
        sessions.map((s, i) =>
          s.withTransaction(async () => {
            await transfer(s, i % 2 ? 'alice' : 'bob', i % 2 ? 'bob' : 'alice', 1 + i);
          }),
        ),
      );
    } finally {
      await Promise.all(sessions.map((s) => s.endSession()));
    }
    const b = await balances();
    expect(b.alice! + b.bob!).toBe(100);
    expect(b).toEqual({ alice: 100 - 2 - 4 + 1 + 3, bob: 2 + 4 - 1 - 3 });
  });

  it('commit again returns the original outcome; abort after commit is TransactionCommitted; commit after abort is NoSuchTransaction', async () => {
    // raw commands (the driver would put its own session on them)
    const p = (await cluster.primary()).index;
    const { Long, UUID } = await import('bson');
    const lsid = { id: new UUID() };
    const run = (db: string, cmd: Record<string, unknown>, txnNumber: number) =>
      cluster.command(p, { ...cmd, $db: db, lsid, txnNumber: Long.fromNumber(txnNumber), autocommit: false }).catch((e: Error & { reply?: Record<string, unknown> }) => {
        throw new MongoServerError(e.reply as never);
      });
    await run('bank', { insert: 'accounts', documents: [{ _id: 'dave', balance: 1 }], startTransaction: true }, 1);
    expect((await run('admin', { commitTransaction: 1 }, 1)).ok).toBe(1);
    expect((await run('admin', { commitTransaction: 1 }, 1)).ok).toBe(1);
    await expectServerError(run('admin', { abortTransaction: 1 }, 1), 'TransactionCommitted');
    await run('bank', { insert: 'accounts', documents: [{ _id: 'erin', balance: 1 }], startTransaction: true }, 2);
    expect((await run('admin', { abortTransaction: 1 }, 2)).ok).toBe(1);
    await expectServerError(run('admin', { commitTransaction: 1 }, 2), 'NoSuchTransaction', 'TransientTransactionError');
    await expectServerError(run('admin', { commitTransaction: 1 }, 1), 'TransactionTooOld');
    await expectServerError(run('bank', { find: 'accounts' }, 7), 'NoSuchTransaction', 'TransientTransactionError');
    await expectServerError(run('bank', { find: 'accounts', startTransaction: true, readConcern: { level: 'available' } }, 8), 'InvalidOptions');
    await expectServerError(run('bank', { find: 'accounts', startTransaction: true, writeConcern: { w: 1 } }, 9), 'InvalidOptions');
    expect(await accounts.findOne({ _id: 'dave' })).toEqual({ _id: 'dave', balance: 1 });
    expect(await accounts.findOne({ _id: 'erin' })).toBeNull();
  });

  it('an aborted transaction leaves nothing behind', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      await transfer(session, 'alice', 'bob', 50);
      await accounts.insertOne({ _id: 'frank', balance: 1 }, { session });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await balances()).toEqual({ alice: 100, bob: 0 });
  });

  it('allows create collection and createIndexes, refuses count and drop with OperationNotSupportedInTransaction', async () => {
    await client.db('ddl').dropDatabase();
    const session = client.startSession();
    try {
      session.startTransaction();
      await client.db('ddl').createCollection('fresh', { session });
      await client.db('ddl').collection('fresh').createIndex({ a: 1 }, { session });
      await client.db('ddl').collection('fresh').insertOne({ a: 1 }, { session });
      expect(await client.db('ddl').listCollections({ name: 'fresh' }).toArray()).toEqual([]);
      await session.commitTransaction();
      session.startTransaction();
      await expectServerError(client.db('ddl').command({ count: 'fresh' }, { session }), 'OperationNotSupportedInTransaction');
      await session.abortTransaction();
      session.startTransaction();
      await expectServerError(client.db('ddl').command({ drop: 'fresh' }, { session }), 'OperationNotSupportedInTransaction');
      await session.abortTransaction();
      session.startTransaction();
      await expectServerError(client.db('ddl').collection('fresh').createIndex({ b: 1 }, { session }), 'OperationNotSupportedInTransaction');
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    const indexes = await client.db('ddl').collection('fresh').indexes();
    expect(indexes.map((i) => i.name)).toContain('a_1');
    expect(await client.db('ddl').collection('fresh').countDocuments()).toBe(1);
  });

  it('transactionLifetimeLimitSeconds aborts a stale transaction', async () => {
    await client.db('admin').command({ setParameter: 1, transactionLifetimeLimitSeconds: 1 });
    const session = client.startSession();
    try {
      session.startTransaction();
      await accounts.updateOne({ _id: 'alice' }, { $inc: { balance: -1 } }, { session });
      await new Promise((r) => setTimeout(r, 1500));
      await expectServerError(session.commitTransaction(), 'NoSuchTransaction', 'TransientTransactionError');
    } finally {
      await session.endSession();
      await client.db('admin').command({ setParameter: 1, transactionLifetimeLimitSeconds: 60 });
    }
    expect(await balances()).toEqual({ alice: 100, bob: 0 });
  });
});
