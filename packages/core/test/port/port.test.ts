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

/** Options a program asks of the sim, from its `// sim:` header line (e.g. `// sim: --wire-version 25`). */
function simOptionsOf(source: string): { wireVersion?: number } {
  const m = /^\/\/ sim: --wire-version (\d+)$/m.exec(source);
  return m ? { wireVersion: Number(m[1]) } : {};
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
  const sims = new Map<number | undefined, SimHandle>();

  async function simFor(wireVersion: number | undefined): Promise<string> {
    let sim = sims.get(wireVersion);
    if (!sim) {
      sim = await startSim({ port: 0, bindIp: '127.0.0.1', ...(wireVersion === undefined ? {} : { maxWireVersion: wireVersion }) });
      sims.set(wireVersion, sim);
    }
    return `mongodb://127.0.0.1:${sim.port}/`;
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
    const uri = await simFor(simOptionsOf(source).wireVersion);
    await emptyDeployment(uri);
    const expected = await runProgram(official, uri);
    await emptyDeployment(uri);
    const actual = await runProgram(ours, uri);
    expect(expected, 'the official driver ran the program to its end').toMatch(/\ndone$/);
    expect(actual).toBe(expected);
  });
});
