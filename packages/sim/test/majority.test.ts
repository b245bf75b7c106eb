// No acknowledged w:'majority' write is lost across ten kill -9s of the primary.
import { describe, expect, it } from 'vitest';
import { sleep } from '../src/util/async.js';
import { officialDriverOnCluster } from './support/official-driver.js';

const env = officialDriverOnCluster('maj', 20000);

describe('w:majority durability across failovers', () => {
  it('every acknowledged _id survives ten primary kills', async () => {
    const coll = env.client.db('dur').collection<{ _id: number; at: number }>('writes');
    const acknowledged: number[] = [];
    let failed = 0;
    let stop = false;
    const writers = Array.from({ length: 2 }, (_, w) =>
      (async () => {
        for (let n = w; !stop; n += 2) {
          try {
            await coll.insertOne({ _id: n, at: Date.now() }, { writeConcern: { w: 'majority', wtimeoutMS: 15000 } });
            acknowledged.push(n);
          } catch {
            failed++;
          }
        }
      })(),
    );
    const kills: Array<{ killed: number; newPrimary: number }> = [];
    try {
      for (let k = 0; k < 10; k++) {
        const p = await env.cluster.primary();
        const before = acknowledged.length;
        // let some writes through on this primary
        const t = Date.now();
        while (acknowledged.length < before + 10 && Date.now() - t < 5000) await sleep(20);
        await env.cluster.kill(p.index, 'SIGKILL');
        const np = await env.cluster.waitForPrimary({ exclude: p.index, timeoutMs: 20000 });
        kills.push({ killed: p.index, newPrimary: np.index });
        await env.cluster.restart(p.index);
        await env.cluster.waitForSecondaries({ timeoutMs: 30000 });
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(kills).toHaveLength(10);
    const primary = await env.cluster.primary();
    const stored = new Set((await coll.find({}, { projection: { _id: 1 }, readConcern: { level: 'majority' } }).toArray()).map((d) => d._id));
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(200);
    // every member ends up with the same documents
    await env.cluster.waitForSecondaries();
    const want = [...stored].sort((a, b) => a - b);
    for (const m of env.cluster.members) {
      const deadline = Date.now() + 20000;
      for (;;) {
        const r = await env.cluster.command(m.index, { find: 'writes', $db: 'dur', projection: { _id: 1 }, batchSize: 1000000, $readPreference: { mode: 'secondaryPreferred' } });
        const ids = (r.cursor.firstBatch as Array<{ _id: number }>).map((d) => d._id).sort((a, b) => a - b);
        if (JSON.stringify(ids) === JSON.stringify(want) || Date.now() > deadline) {
          expect(ids).toEqual(want);
          break;
        }
        await sleep(200);
      }
    }
    console.log(`majority test: ${acknowledged.length} acknowledged, ${failed} failed, primary now ${primary.host}, kills ${JSON.stringify(kills)}`);
  }, 150000);
});
