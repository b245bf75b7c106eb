/**
 * Port check (issue 13): programs written for the official `mongodb` driver, in the
 * style of its documentation's usage examples (programs/*.ts, each importing from
 * 'mongodb'), run once as written and once with only the import changed to
 * '@mongo-edge/core/node', against the same sim, each on an emptied deployment.
 * Everything a program prints (console.log, formatted as Node formats it) must be
 * identical. Programs are discovered, never listed. The typecheck half (both ways,
 * under strict) is port-types.test.ts.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROGRAMS = path.join(HERE, 'programs');
/** Generated copies live in the package's (git-ignored) .tmp so '@mongo-edge/core/node' resolves as for any file of the package. */
const OUT = path.resolve(HERE, '../../.tmp/port');

export const programs = readdirSync(PROGRAMS).filter((f) => f.endsWith('.ts')).sort();

/** The one change a user makes: the module the driver is imported from. */
export function toMongoEdge(source: string): string {
  return source.replace(/from 'mongodb';/g, "from '@mongo-edge/core/node';");
}

interface SimWish {
  wireVersion?: number;
  /** A one-member replica set of this name (transactions need one). */
  replSet?: string;
}

/** Options a program asks of the sim, from its `// sim:` header line (`// sim: --wire-version 25`, `// sim: --replSet rs0`). */
function simOptionsOf(source: string): SimWish {
  const wire = /^\/\/ sim: --wire-version (\d+)$/m.exec(source);
  const repl = /^\/\/ sim: --replSet (\w+)$/m.exec(source);
  return { ...(wire ? { wireVersion: Number(wire[1]) } : {}), ...(repl ? { replSet: repl[1]! } : {}) };
}

/** Initiates a one-member set and waits until the member is writable primary. */
async function initiate(port: number, setName: string): Promise<void> {
  const direct = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`);
  try {
    await direct.db('admin').command({ replSetInitiate: { _id: setName, members: [{ _id: 0, host: `127.0.0.1:${port}` }] } });
    for (let i = 0; i < 600; i++) {
      if ((await direct.db('admin').command({ hello: 1 })).isWritablePrimary) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the one-member set ${setName} elected no primary`);
  } finally {
    await direct.close();
  }
}

async function emptyDeployment(uri: string): Promise<void> {
  const admin = new MongoClient(uri);
  try {
    const { databases } = await admin.db('admin').admin().listDatabases();
    for (const { name } of databases) if (!['admin', 'config', 'local'].includes(name)) await admin.db(name).dropDatabase();
  } finally {
    await admin.close();
  }
}

/** Import (run) `file` with MONGODB_URI set; what it printed, line by line. */
async function runProgram(file: string, uri: string): Promise<string> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(format(...args));
  });
  process.env.MONGODB_URI = uri;
  try {
    await import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
  } catch (error) {
    lines.push(`UNCAUGHT ${format(error)}`);
  } finally {
    log.mockRestore();
    delete process.env.MONGODB_URI;
  }
  return lines.join('\n');
}

describe('port check: official driver programs run unchanged but for the import', () => {
  const sims = new Map<string, SimHandle>();

  async function simFor(wish: SimWish): Promise<string> {
    const key = JSON.stringify(wish);
    let sim = sims.get(key);
    if (!sim) {
      sim = await startSim({
        port: 0,
        bindIp: '127.0.0.1',
        ...(wish.wireVersion === undefined ? {} : { maxWireVersion: wish.wireVersion }),
        ...(wish.replSet === undefined ? {} : { replSet: wish.replSet }),
      });
      sims.set(key, sim);
      if (wish.replSet) await initiate(sim.port, wish.replSet);
    }
    return `mongodb://127.0.0.1:${sim.port}/${wish.replSet ? `?replicaSet=${wish.replSet}` : ''}`;
  }

  beforeAll(() => {
    mkdirSync(path.join(OUT, 'official'), { recursive: true });
    mkdirSync(path.join(OUT, 'ours'), { recursive: true });
  });

  afterAll(async () => {
    for (const sim of sims.values()) await sim.close();
  });

  it('finds the programs', () => {
    expect(programs.length).toBeGreaterThanOrEqual(12);
  });

  it.each(programs)('%s prints the same with both drivers', async (name) => {
    const source = readFileSync(path.join(PROGRAMS, name), 'utf8');
    const official = path.join(OUT, 'official', name);
    const ours = path.join(OUT, 'ours', name);
    writeFileSync(official, source);
    writeFileSync(ours, toMongoEdge(source));
    expect(readFileSync(ours, 'utf8'), 'the program imports from mongodb').not.toBe(source);
    const uri = await simFor(simOptionsOf(source));
    await emptyDeployment(uri);
    const expected = await runProgram(official, uri);
    await emptyDeployment(uri);
    const actual = await runProgram(ours, uri);
    expect(expected, 'the official driver ran the program to its end').toMatch(/\ndone$/);
    expect(actual).toBe(expected);
  });
});
