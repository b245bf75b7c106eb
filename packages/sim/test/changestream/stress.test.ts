// Change stream under load and failovers: two writers insert w:majority while one stream
// (official driver) reads and the primary is killed (kill -9) three times. Every acknowledged
// write appears exactly once, nothing appears that was never attempted, and events come
// in oplog (clusterTime) order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type Document } from 'mongodb';
import { startCluster, type Cluster } from '../../src/index.js';

const WRITES = 10_000;
const KILLS = 3;

let cluster: Cluster;
let client: MongoClient;

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'csstress' });
  client = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 30000, heartbeatFrequencyMS: 500 });
  await client.connect();
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a change stream under writes and primary kills', () => {
  it(`${WRITES} writes, ${KILLS} kill -9s: each acknowledged write once, in order`, async () => {
    const coll = client.db('stress').collection<{ _id: number }>('w');
    const cs = coll.watch([], { maxAwaitTimeMS: 300 });
    await cs.tryNext();
    const acknowledged = new Set<number>();
    let next = 0;
    const writers = Array.from({ length: 2 }, async () => {
      while (next < WRITES) {
        const n = next++;
        try {
          await coll.insertOne({ _id: n }, { writeConcern: { w: 'majority', wtimeoutMS: 30000 } });
          acknowledged.add(n);
        } catch {
          // outcome unknown: it may or may not appear, but never twice
        }
      }
    });
    const events: Document[] = [];
    const seen = new Set<number>();
    let reading = true;
    const reader = (async () => {
      while (reading || [...acknowledged].some((n) => !seen.has(n))) {
        const e = (await cs.tryNext()) as Document | null;
        if (!e) continue;
        events.push(e);
        seen.add(e.documentKey._id as number);
      }
    })();
    for (let k = 0; k < KILLS; k++) {
      while (acknowledged.size < ((k + 1) * WRITES) / (KILLS + 1)) await sleep(50);
      const p = await cluster.primary();
      await cluster.kill(p.index, 'SIGKILL');
      await cluster.waitForPrimary({ exclude: p.index, timeoutMs: 30000 });
      await cluster.restart(p.index);
    }
    await Promise.all(writers);
    reading = false;
    await reader;
    await cs.close();
    const ids = events.map((e) => e.documentKey._id as number);
    expect(new Set(ids).size).toBe(ids.length);
    for (const n of acknowledged) expect(ids).toContain(n);
    for (const n of ids) expect(n).toBeLessThan(WRITES);
    for (let i = 1; i < events.length; i++) expect(events[i - 1]!.clusterTime.compare(events[i]!.clusterTime)).toBeLessThan(0);
    expect(acknowledged.size).toBeGreaterThan(WRITES / 2);
  }, 300_000);
});
