/**
 * A change stream survives `kill -9` of the primary (issue 17): a three-member sim set,
 * majority writes before and after the kill, and the stream (which resumes on the new
 * primary from its cached token) delivers every one exactly once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, type Collection } from '@mongo-edge/core/node';
import { startCluster, type Cluster } from '@mongo-edge/sim';

let cluster: Cluster;
const clients: MongoClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'csfo' });
  await cluster.waitForSecondaries();
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
});

function client(): MongoClient {
  const c = new MongoClient(`${cluster.uri}&serverSelectionTimeoutMS=30000&heartbeatFrequencyMS=500&w=majority`);
  clients.push(c);
  return c;
}

/** Insert `_id`, retrying until acknowledged; a duplicate key means an earlier attempt was applied. */
async function insert(coll: Collection<{ _id: number }>, id: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await coll.insertOne({ _id: id });
      return;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) return;
      if (attempt >= 50) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('change stream across a failover', () => {
  it('kill -9 of the primary: every majority write appears exactly once, in order', async () => {
    const reader = client();
    const writer = client().db('fo').collection<{ _id: number }>('events');
    const cs = reader.db('fo').collection('events').watch([{ $match: { operationType: 'insert' } }], { maxAwaitTimeMS: 200 });
    let aggregates = 0;
    cs.on('init', () => aggregates++);
    expect(await cs.tryNext()).toBeNull();
    const seen: unknown[] = [];
    const N = 30;
    const reading = (async () => {
      while (seen.length < N) seen.push(((await cs.next()) as { documentKey: { _id: unknown } }).documentKey._id);
    })();
    for (let i = 1; i <= N / 2; i++) await insert(writer, i);
    const primary = await cluster.primary();
    await cluster.kill(primary.index);
    await cluster.waitForPrimary({ exclude: primary.index });
    for (let i = N / 2 + 1; i <= N; i++) await insert(writer, i);
    await reading;
    await cs.close();
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(aggregates).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
