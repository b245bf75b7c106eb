/**
 * Profiling aid for the operations section's bulk inserts (not part of `pnpm bench`):
 * the same insertMany of the driver benchmark's small or large document as
 * SmallDocBulkInsert / LargeDocBulkInsert, against a spawned sim, by one driver alone
 * (`official` or `ours`) or by both alternating iteration by iteration as the section
 * does (`both`), so that `node --cpu-prof` sees only the client's work.
 *
 *   node --conditions=source --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof \
 *     bench/profile-bulk-insert.ts official|ours|both small|large [n] [rounds]
 *
 * Prints the client CPU per document (process.cpuUsage() around each insertMany; the
 * copies are made before, as the section does) and the minor page faults per document
 * (process.resourceUsage(): first touches of fresh memory, which load does not change):
 * the median of the rounds. With
 * PROFILE_WINDOWS=1 it also prints each insertMany's window on the monotonic clock
 * the profile's timestamps use (µs), per driver, to cut everything else out of the profile.
 * CLEAN_HEAP=1 (with node --expose-gc) collects garbage before each insertMany, untimed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSim } from '@mongo-edge/sim';
import { officialClient, ourTcpClient, type AnyClient } from './lib/clients.js';

const [who = 'ours', task = 'small', nArg, roundsArg] = process.argv.slice(2);
if (who !== 'ours' && who !== 'official' && who !== 'both') throw new Error('first argument: ours, official or both');
if (task !== 'small' && task !== 'large') throw new Error('second argument: small or large');
const dataDir = process.env.MONGO_BENCH_DATA_DIR ?? '/work/shared/bench-data/driverbench';
const doc = JSON.parse(readFileSync(path.join(dataDir, `${task}_doc.json`), 'utf8')) as Record<string, unknown>;
const n = Number(nArg ?? (task === 'small' ? 5000 : 2));
const rounds = Number(roundsArg ?? (task === 'small' ? 40 : 6));
const names = who === 'both' ? (['official', 'ours'] as const) : ([who] as const);

const sim = await spawnSim(['--quiet']);
const clients = new Map<string, AnyClient>();
try {
  const uri = `mongodb://127.0.0.1:${sim.port}/?directConnection=true`;
  for (const name of names) {
    const client = name === 'official' ? officialClient(uri) : ourTcpClient(uri);
    await client.connect();
    clients.set(name, client);
  }
  const cpu = new Map<string, number[]>(names.map((name) => [name, []]));
  const faults = new Map<string, number[]>(names.map((name) => [name, []]));
  const windows = new Map<string, string[]>(names.map((name) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const db = clients.get(name)!.db(`bench_profile_${name}`);
      const coll = db.collection('bulk');
      await coll.drop().catch(() => undefined);
      await db.createCollection('bulk');
      const docs = Array.from({ length: n }, () => ({ ...doc }));
      // CLEAN_HEAP=1 (with --expose-gc): a full GC before each insertMany, as the operations section does
      if (process.env.CLEAN_HEAP) (globalThis as { gc?: () => void }).gc?.();
      const w0 = process.hrtime.bigint() / 1000n;
      const f0 = process.resourceUsage().minorPageFault;
      const c0 = process.cpuUsage();
      await coll.insertMany(docs);
      const c = process.cpuUsage(c0);
      faults.get(name)!.push((process.resourceUsage().minorPageFault - f0) / n);
      windows.get(name)!.push(`${w0}-${process.hrtime.bigint() / 1000n}`);
      cpu.get(name)!.push((c.user + c.system) / n);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  for (const name of names) {
    const xs = cpu.get(name)!;
    console.log(`${name} ${task}: ${n} docs × ${rounds} rounds, client CPU per document median ${median(xs).toFixed(1)} µs (min ${Math.min(...xs).toFixed(1)}), minor page faults per document median ${median(faults.get(name)!).toFixed(1)}`);
    if (process.env.PROFILE_WINDOWS) console.log(`windows ${name} ${windows.get(name)!.join(',')}`);
  }
  if (names.length === 2) {
    const ratios = cpu.get('ours')!.map((x, i) => x / cpu.get('official')![i]!);
    console.log(`ours/official: ratio of medians ${(median(cpu.get('ours')!) / median(cpu.get('official')!)).toFixed(2)}, median of per-round ratios ${median(ratios).toFixed(2)}`);
  }
} finally {
  for (const c of clients.values()) await c.close().catch(() => undefined);
  await sim.stop().catch(() => undefined);
}
