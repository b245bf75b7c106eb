// Transactions across failovers on a three-member sim set, with the official driver:
// a step-down aborts an open transaction, a retried commit after a failover finds the
// committed record (config.transactions, replicated), and Jepsen-style: concurrent
// transfers in transactions while the primary is killed with kill -9 five times; the sum
// of balances never changes in any snapshot read or on any member, and no acknowledged
// commit is lost.
import { describe, expect, it } from 'vitest';
import { MongoServerError, type Collection } from 'mongodb';
import { sleep } from '../src/util/async.js';
import { officialDriverOnCluster } from './support/official-driver.js';

interface Account {
  _id: number;
  balance: number;
}

const ACCOUNTS = 5;
const TOTAL = ACCOUNTS * 100;

const env = officialDriverOnCluster('txnfo', 30000);

describe('transactions across failovers', () => {
  it('a step-down aborts the open transaction; its commit then fails with a transient error and nothing is written', async () => {
    const coll = env.client.db('fo').collection<{ _id: number }>('stepdown');
    await coll.insertOne({ _id: 0 }, { writeConcern: { w: 'majority' } });
    const session = env.client.startSession();
    try {
      session.startTransaction({ writeConcern: { w: 'majority' } });
      await coll.insertOne({ _id: 1 }, { session });
      const p = await env.cluster.primary();
      await env.cluster.stepDown(p.index, 10);
      await env.cluster.waitForPrimary({ exclude: p.index, timeoutMs: 30000 });
      const err = await session.commitTransaction().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MongoServerError);
      expect((err as MongoServerError).errorLabels).toContain('TransientTransactionError');
    } finally {
      await session.endSession();
    }
    expect(await coll.find({}, { readConcern: { level: 'majority' } }).toArray()).toEqual([{ _id: 0 }]);
  }, 60000);

  it('a commit retried on the new primary after a failover returns the original outcome', async () => {
    const coll = env.client.db('fo').collection<{ _id: number }>('retry');
    const session = env.client.startSession();
    try {
      session.startTransaction({ writeConcern: { w: 'majority' } });
      await coll.insertOne({ _id: 1 }, { session });
      await session.commitTransaction();
      const p = await env.cluster.primary();
      await env.cluster.stepDown(p.index, 10);
      await env.cluster.waitForPrimary({ exclude: p.index, timeoutMs: 30000 });
      // the driver sends commitTransaction again (w: majority): the new primary knows it committed
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await coll.find({}).toArray()).toEqual([{ _id: 1 }]);
  }, 60000);

  it('concurrent transfers while the primary is killed five times: the sum holds everywhere, no acknowledged commit is lost', async () => {
    const db = env.client.db('jepsen');
    const accounts: Collection<Account> = db.collection('accounts');
    const log = db.collection<{ _id: string }>('log');
    await accounts.insertMany(
      Array.from({ length: ACCOUNTS }, (_, i) => ({ _id: i, balance: 100 })),
      { writeConcern: { w: 'majority' } },
    );
    await log.insertOne({ _id: 'start' }, { writeConcern: { w: 'majority' } });
    const acknowledged: string[] = [];
    const badSums: number[] = [];
    let stop = false;
    let attempts = 0;
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; !stop; n++) {
        const from = (w + n) % ACCOUNTS;
        const to = (w + 2 * n + 1) % ACCOUNTS;
        if (from === to) continue;
        const id = `${w}-${n}`;
        const session = env.client.startSession();
        attempts++;
        try {
          session.startTransaction({ writeConcern: { w: 'majority', wtimeoutMS: 15000 }, readConcern: { level: 'snapshot' } });
          await accounts.updateOne({ _id: from }, { $inc: { balance: -1 } }, { session });
          await accounts.updateOne({ _id: to }, { $inc: { balance: 1 } }, { session });
          await log.insertOne({ _id: id }, { session });
          await session.commitTransaction();
          acknowledged.push(id);
        } catch {
          await session.abortTransaction().catch(() => undefined);
          await sleep(20);
        } finally {
          await session.endSession().catch(() => undefined);
        }
      }
    };
    const reader = async (): Promise<void> => {
      while (!stop) {
        const session = env.client.startSession();
        try {
          session.startTransaction({ readConcern: { level: 'snapshot' } });
          const docs = await accounts.find({}, { session }).toArray();
          await session.commitTransaction();
          const sum = docs.reduce((s, d) => s + d.balance, 0);
          if (sum !== TOTAL) badSums.push(sum);
        } catch {
          await session.abortTransaction().catch(() => undefined);
        } finally {
          await session.endSession().catch(() => undefined);
        }
        await sleep(10);
      }
    };
    const running = [...Array.from({ length: 3 }, (_, w) => worker(w)), reader()];
    let kills = 0;
    try {
      for (let k = 0; k < 5; k++) {
        const p = await env.cluster.primary();
        const before = acknowledged.length;
        const t = Date.now();
        while (acknowledged.length < before + 5 && Date.now() - t < 10000) await sleep(20);
        await env.cluster.kill(p.index, 'SIGKILL');
        await env.cluster.waitForPrimary({ exclude: p.index, timeoutMs: 30000 });
        await env.cluster.restart(p.index);
        await env.cluster.waitForSecondaries({ timeoutMs: 30000 });
        kills++;
      }
      const before = acknowledged.length;
      const t = Date.now();
      while (acknowledged.length < before + 5 && Date.now() - t < 10000) await sleep(20);
    } finally {
      stop = true;
      await Promise.all(running);
    }
    expect(kills).toBe(5);
    expect(acknowledged.length).toBeGreaterThan(20);
    expect(badSums).toEqual([]);
    // every member, once caught up: the sum, and every acknowledged transfer's log entry
    await log.insertOne({ _id: 'end' }, { writeConcern: { w: 3, wtimeoutMS: 30000 } });
    const logged = new Set((await log.find({}, { readConcern: { level: 'majority' } }).toArray()).map((d) => d._id));
    expect(acknowledged.filter((id) => !logged.has(id))).toEqual([]);
    for (const m of env.cluster.members) {
      const res = await env.cluster.command(m.index, { find: 'accounts', $db: 'jepsen', filter: {}, $readPreference: { mode: 'secondaryPreferred' } });
      const docs = res.cursor.firstBatch as Account[];
      expect(docs.reduce((s, d) => s + d.balance, 0)).toBe(TOTAL);
      const logRes = await env.cluster.command(m.index, { count: 'log', $db: 'jepsen', $readPreference: { mode: 'secondaryPreferred' } });
      // each logged transfer moved one unit: the log and the balances come from the same commits
      expect(logRes.n).toBe(logged.size);
    }
    expect(attempts).toBeGreaterThanOrEqual(acknowledged.length);
  }, 300000);
});
