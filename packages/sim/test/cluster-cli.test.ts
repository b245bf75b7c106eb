// mongod-sim-cluster (from source): prints the connection string, runs until SIGTERM, stops every member.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { parseClusterArgs } from '../src/cluster-cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs')).href;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('mongod-sim-cluster', () => {
  it('parses per-member flags', () => {
    const o = parseClusterArgs(['--members', '3', '--replSet', 'x', '--latency-ms', '0,5,10', '--tags', 'dc=east,rack=1;dc=west;', '--priority', '2,1,0', '--hidden', '2']);
    expect(o.replSet).toBe('x');
    expect(o.memberOptions).toEqual([
      { latencyMs: 0, tags: { dc: 'east', rack: '1' }, priority: 2 },
      { latencyMs: 5, tags: { dc: 'west' }, priority: 1 },
      { latencyMs: 10, priority: 0, hidden: true },
    ]);
    expect(() => parseClusterArgs(['--bogus', '1'])).toThrow(/unrecognised/);
  });

  it('starts a set, prints its URI, and SIGTERM stops every member', async () => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', tsxLoader, path.join(here, '../src/cluster-cli-run.ts'), '--members', '3', '--replSet', 'clitest', '--tags', 'dc=a;dc=b;dc=c', '--latency-ms', '0,0,5'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const uri = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URI printed: ${stderr}`)), 60000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const line = stdout.split('\n').find((l) => l.startsWith('mongodb://'));
        if (line) {
          clearTimeout(t);
          resolve(line.trim());
        }
      });
      void exited.then((code) => reject(new Error(`exited ${String(code)}: ${stderr}`)));
    });
    expect(uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/\?replicaSet=clitest$/);
    const pids = [...stderr.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
    try {
      await client.db('t').collection('c').insertOne({ _id: 1 as never });
      const h = await client.db('admin').command({ hello: 1 });
      expect(h.setName).toBe('clitest');
      expect(['a', 'b', 'c']).toContain(h.tags.dc);
    } finally {
      await client.close();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  }, 90000);
});
