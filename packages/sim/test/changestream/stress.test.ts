// Change stream under load and failovers: two writers insert w:majority while one stream
// (official driver) reads and the primary is killed (kill -9) three times. Every acknowledged
// write appears exactly once, nothing appears that was never attempted, and events come
// in oplog (clusterTime) order.
import { describe, expect, it } from 'vitest';
import type { Document } from 'mongodb';
import { sleep } from '../../src/util/async.js';
import { officialDriverOnCluster } from '../support/official-driver.js';

const WRITES = 10_000;
const KILLS = 3;

const env = officialDriverOnCluster('csstress', 30000);

describe('a change stream under writes and primary kills', () => {
  it(`${WRITES} writes, ${KILLS} kill -9s: each acknowledged write once, in order`, async () => {
    const coll = env.client.db('stress').collection<{ _id: number }>('w');
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
      const p = await env.cluster.primary();
      await env.cluster.kill(p.index, 'SIGKILL');
      await env.cluster.waitForPrimary({ exclude: p.index, timeoutMs: 30000 });
      await env.cluster.restart(p.index);
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
