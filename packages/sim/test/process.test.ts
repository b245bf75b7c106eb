// mongod-sim as a child process: readiness line, flags, signals, persistence across restart and kill -9.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { parseReadyLine, spawnSim, type SpawnedSim } from '../src/index.js';
import { JOURNAL_FILE } from '../src/storage/journal.js';

const dirs: string[] = [];
const running: SpawnedSim[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mongod-sim-'));
  dirs.push(d);
  return d;
}

async function start(args: string[]): Promise<SpawnedSim> {
  const s = await spawnSim(args);
  running.push(s);
  return s;
}

async function withClient<T>(s: SpawnedSim, fn: (c: MongoClient) => Promise<T>): Promise<T> {
  // directConnection: an uninitiated --replSet member is an RSGhost, like mongod's.
  const c = new MongoClient(s.uri, { serverSelectionTimeoutMS: 5000, directConnection: true });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

const cliRun = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli-run.ts');
function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', cliRun, ...args], { encoding: 'utf8', timeout: 20000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI', () => {
  it('prints the readiness line with the chosen port and exits 0 on SIGTERM and SIGINT', async () => {
    const lines: string[] = [];
    const s = await spawnSim(['--bind_ip', '127.0.0.1', '--quiet'], { onLine: (l) => lines.push(l) });
    running.push(s);
    expect(s.port).toBeGreaterThan(0);
    const ready = lines.find((l) => parseReadyLine(l));
    expect(JSON.parse(ready!)).toMatchObject({ s: 'I', c: 'NETWORK', id: 23016, msg: 'Waiting for connections', attr: { port: s.port, ssl: 'off', host: '127.0.0.1' } });
    await withClient(s, async (c) => expect(await c.db('admin').command({ ping: 1 })).toEqual({ ok: 1 }));
    expect(await s.stop()).toBe(0);
    const s2 = await start([]);
    s2.kill('SIGINT');
    expect(await s2.exited).toBe(0);
  });

  it('bad flags exit 2 with a clear message', () => {
    const r = runCli(['--no-such-flag']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unrecognised option '--no-such-flag'");
    const p = runCli(['--port', 'abc']);
    expect(p.status).toBe(2);
    expect(p.stderr).toContain('--port');
    const m = runCli(['--dbpath']);
    expect(m.status).toBe(2);
  });

  it('--help describes replication as it is (no "not yet implemented")', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--replSet');
    expect(r.stdout).not.toMatch(/not yet implemented/i);
  });

  it('a missing --dbpath directory exits 100 like mongod', () => {
    const r = runCli(['--port', '0', '--dbpath', path.join(tempDir(), 'missing')]);
    expect(r.status).toBe(100);
    expect(r.stderr).toContain('Data directory');
  });

  it('--logpath sends log lines to the file; --replSet is accepted; getCmdLineOpts echoes argv', async () => {
    const dir = tempDir();
    const logpath = path.join(dir, 'mongod.log');
    const s = await start(['--logpath', logpath, '--replSet', 'rs0', '--setParameter', 'enableTestCommands=1']);
    const opts = await withClient(s, (c) => c.db('admin').command({ getCmdLineOpts: 1 }));
    expect(opts.parsed.replication).toEqual({ replSet: 'rs0' });
    expect(await s.stop()).toBe(0);
    const log = readFileSync(logpath, 'utf8');
    expect(log).toContain('"msg":"Waiting for connections"');
    expect(log).toContain('"msg":"client metadata"');
  });

  it('the shutdown command stops the process with code 0', async () => {
    const s = await start([]);
    await withClient(s, (c) => c.db('admin').command({ shutdown: 1 }).catch(() => undefined));
    expect(await s.exited).toBe(0);
  });
});

describe('--dbpath persistence', () => {
  it('acknowledged writes survive a clean restart', async () => {
    const dbpath = tempDir();
    const a = await start(['--dbpath', dbpath]);
    await withClient(a, async (c) => {
      const col = c.db('p').collection('c');
      await col.insertMany([{ _id: 1 as never, v: 'a' }, { _id: 2 as never, v: 'b' }, { _id: 3 as never, v: 'c' }]);
      await col.updateOne({ _id: 2 as never }, { $set: { v: 'B' } });
      await col.deleteOne({ _id: 3 as never });
      await col.createIndex({ v: 1 }, { unique: true });
      await c.db('p').createCollection('empty');
    });
    expect(await a.stop()).toBe(0);
    const b = await start(['--dbpath', dbpath]);
    await withClient(b, async (c) => {
      const col = c.db('p').collection('c');
      expect(await col.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 1, v: 'a' }, { _id: 2, v: 'B' }]);
      expect((await col.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'v_1']);
      await expect(col.insertOne({ v: 'a' })).rejects.toMatchObject({ code: 11000 });
      expect((await c.db('p').listCollections().toArray()).map((x) => x.name).sort()).toEqual(['c', 'empty']);
    });
  });

  it('acknowledged writes survive kill -9; a torn journal tail is ignored', async () => {
    const dbpath = tempDir();
    const a = await start(['--dbpath', dbpath]);
    await withClient(a, async (c) => {
      const col = c.db('k').collection('c');
      for (let i = 0; i < 50; i++) await col.insertOne({ _id: i as never, i });
      await col.updateMany({ i: { $lt: 10 } }, { $set: { low: true } });
    });
    a.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    // simulate a crash mid-append: half a record at the end
    appendFileSync(path.join(dbpath, JOURNAL_FILE), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const b = await start(['--dbpath', dbpath]);
    await withClient(b, async (c) => {
      const col = c.db('k').collection('c');
      expect(await col.countDocuments()).toBe(50);
      expect(await col.countDocuments({ low: true })).toBe(10);
      await col.insertOne({ _id: 50 as never });
    });
    b.kill('SIGKILL');
    await b.exited;
    const c2 = await start(['--dbpath', dbpath]);
    await withClient(c2, async (c) => expect(await c.db('k').collection('c').countDocuments()).toBe(51));
  });
});
