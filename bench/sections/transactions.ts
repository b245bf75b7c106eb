/**
 * Section "transactions": two-document transfer transactions per second against one
 * one-member sim replica set (its own process): `withTransaction` moving 1 from
 * account a to account b, two updates and a commit per transaction, one session per
 * iteration. Contenders interleaved: the official driver (reference), ours over TCP,
 * ours through the bridge (bridge in a child process), each on its own database. The
 * balances are checked at the end (a failed check fails the section).
 */
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { interleave, metricFromTimes, nowMs, type Section, type SectionContext, type SectionOutput } from '../lib/harness.js';
import { CONTENDERS, officialClient, ourBridgeClient, ourTcpClient, startBridgeChild, type AnyClient, type ContenderName } from '../lib/clients.js';

type Doc = Record<string, unknown>;

/** The session and collection surface used here; both drivers fit it. */
interface AnySession {
  withTransaction(fn: () => Promise<unknown>): Promise<unknown>;
  endSession(): Promise<void>;
}
interface Accounts {
  updateOne(filter: Doc, update: Doc, options: { session: AnySession }): Promise<unknown>;
  insertMany(docs: Doc[]): Promise<unknown>;
  find(filter: Doc): { toArray(): Promise<Doc[]> };
  drop(): Promise<unknown>;
}
interface SessionClient {
  startSession(): AnySession;
}

const START = 1_000_000;

export const transactionsSection: Section = {
  name: 'transactions',
  title: 'Transactions: two-document transfers per second',
  description:
    'Transfer transactions against a one-member sim replica set (its own process): `session.withTransaction()` with two ' +
    '`updateOne` (`$inc` -1 on account a, +1 on account b) and the commit, sequentially, one session per iteration. One sample ' +
    'is an iteration of N transactions, scored as transactions per second. Contenders interleaved: `official` (the `mongodb` ' +
    'driver, the reference), `ours_tcp`, `ours_bridge` (through the bridge in its own child process); each on its own database, ' +
    'so they never conflict. The balances are checked at the end.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const scale = ctx.quick ? { n: 10, warmup: 0, rounds: 1 } : { n: 100, warmup: 1, rounds: 8 };
    let cluster: Cluster | undefined;
    let bridge: Awaited<ReturnType<typeof startBridgeChild>> | undefined;
    const clients = new Map<ContenderName, AnyClient>();
    try {
      cluster = await startCluster({ members: 1, replSet: 'bench_txn' });
      bridge = await startBridgeChild();
      clients.set('official', officialClient(cluster.uri));
      clients.set('ours_tcp', ourTcpClient(cluster.uri));
      clients.set('ours_bridge', ourBridgeClient(cluster.uri, bridge.url, bridge.token));
      for (const c of clients.values()) await c.connect();

      ctx.log(`transactions: ${scale.n} transfers × ${scale.rounds} rounds per contender`);
      const calls: Record<string, () => Promise<number>> = {};
      const accounts = new Map<ContenderName, Accounts>();
      let perContender = 0;
      for (const name of CONTENDERS) {
        const client = clients.get(name)!;
        const acc = client.db(`bench_txn_${name}`).collection('accounts') as unknown as Accounts;
        await acc.drop().catch(() => undefined);
        await acc.insertMany([
          { _id: 'a', balance: START },
          { _id: 'b', balance: 0 },
        ]);
        accounts.set(name, acc);
        calls[name] = async () => {
          const session = (client as unknown as SessionClient).startSession();
          try {
            const t0 = nowMs();
            for (let i = 0; i < scale.n; i++) {
              await session.withTransaction(async () => {
                await acc.updateOne({ _id: 'a' }, { $inc: { balance: -1 } }, { session });
                await acc.updateOne({ _id: 'b' }, { $inc: { balance: 1 } }, { session });
              });
            }
            return nowMs() - t0;
          } finally {
            await session.endSession();
          }
        };
      }
      const times = await interleave(calls, { warmup: scale.warmup, rounds: scale.rounds });
      perContender = scale.n * (scale.warmup + scale.rounds);
      for (const [name, acc] of accounts) {
        const docs = await acc.find({}).toArray();
        const balance = Object.fromEntries(docs.map((d) => [d._id as string, d.balance as number]));
        if (balance.a !== START - perContender || balance.b !== perContender) {
          throw new Error(`transactions: ${name} balances a=${balance.a} b=${balance.b}, expected ${START - perContender} and ${perContender}`);
        }
      }
      return {
        metrics: {
          'transactions.transfers_per_s': metricFromTimes(
            { title: 'Two-document transfer transactions', unit: 'txn/s', better: 'higher', reference: 'official' },
            times,
            (ms) => scale.n / (ms / 1000),
          ),
        },
        notes: [
          `Scale: ${scale.n} transactions × ${scale.rounds} rounds (+${scale.warmup} warm-up) per contender; balances checked after: ${perContender} transfers each, none lost.`,
          'Each transaction is three round trips (two updates, the first with startTransaction and readConcern afterClusterTime, ' +
            'then commitTransaction); both drivers send the same three commands. `ours_bridge` adds the relay hop to each.',
        ],
      };
    } finally {
      for (const c of clients.values()) await c.close().catch(() => undefined);
      await bridge?.stop().catch(() => undefined);
      await cluster?.stop().catch(() => undefined);
    }
  },
};
