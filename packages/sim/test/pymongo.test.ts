// The PyMongo walkthrough (Debian's pymongo 3.11 under /usr/bin/python3) against three mongod-sim processes.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSim, type SpawnedSim } from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/pymongo_walkthrough.py');

function hasPymongo(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    return execFileSync(PYTHON, ['-c', 'import pymongo']).length >= 0;
  } catch {
    return false;
  }
}

function run(args: string[], timeoutMs = 90000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new Error(`bad output: ${stdout}\n${stderr}`));
      }
    });
  });
}

const root = mkdtempSync(path.join(os.tmpdir(), 'sim-pymongo-'));
const members: Array<SpawnedSim | undefined> = [];
const ports: number[] = [];

afterAll(async () => {
  await Promise.all(members.map((m) => m?.stop()));
  rmSync(root, { recursive: true, force: true });
});

const start = async (i: number, port = 0): Promise<SpawnedSim> => {
  const dbpath = path.join(root, `db${i}`);
  mkdirSync(dbpath, { recursive: true });
  return spawnSim(['--port', String(port), '--dbpath', dbpath, '--replSet', 'foo']);
};

// .ci/run installs python3-pymongo: in CI a missing pymongo must fail, not skip.
describe.skipIf(!hasPymongo() && !process.env.CI)('pymongo 3.11 walkthrough', () => {
  it('initiate, connect by seed, insert/find, failover with AutoReconnect, secondary reads', async () => {
    for (let i = 0; i < 3; i++) {
      const s = await start(i);
      members.push(s);
      ports.push(s.port);
    }
    const r = await run(['initiate', ...ports.map(String), ...members.map((m) => String(m!.process.pid))]);
    expect(r.initiate).toEqual({ ok: 1 });
    expect(r.find_one).toEqual({ x: 1, same_id: true });
    expect(r.discovered).toEqual(ports.map((p) => `localhost:${p}`).sort());
    const f = r.failover as { first_error: string | null; found_after: boolean; new_primary: [string, number]; killed_index: number };
    expect(f.first_error).toBe('AutoReconnect');
    expect(f.found_after).toBe(true);
    expect(f.new_primary[1]).not.toBe(ports[f.killed_index]);
    expect(r.count_after).toBe(2);
    // bring the former primary back: it rejoins as a secondary
    const k = f.killed_index;
    await members[k]!.exited;
    members[k] = await start(k, ports[k]);
    const s = await run(['secondary-reads', String(ports[0]), '2']);
    expect(s.read_preference).toBe('secondaryPreferred');
    expect(s.secondary_count).toBe(2);
    expect(s.secondary_docs).toEqual([1, 2]);
    expect((s.read_from as [string, number])[0]).toBe('localhost');
    expect(s.secondaries as string[]).not.toContain(s.primary);
    expect(s.dbstats_nearest).toBe(1);
  }, 120000);
});
