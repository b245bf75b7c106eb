/**
 * Vitest generation: one describe per file, one `it` per test. A test the plan skips
 * is `it.skip` with its reason in the title; a test listed in
 * expectations/<driver>.json runs as `it.fails` (it must still fail: a test that starts
 * passing breaks the run until the list is regenerated, see scripts/unified-baseline.mjs);
 * every other test must pass.
 *
 * Env: UNIFIED_FILTER=<substring of "file#description"> runs a subset;
 * UNIFIED_RECORD=<dir> appends every outcome to <dir>/<driver>.jsonl (the baseline script).
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { ADAPTERS, type DriverName } from './drivers.js';
import { decide, discoverFiles, neededTopologies, planTests, type PlannedTest } from './plan.js';
import { runUnifiedTest } from './runner.js';
import { specsDir } from '../spec/spec-files.js';
import { Deployments, type DeploymentKind, type ServerInfo } from './topologies.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Expectations {
  /** "<file>#<description>" -> why it fails today (the first line of its error). */
  failing: Record<string, string>;
}

export function loadExpectations(driver: DriverName): Expectations {
  try {
    return JSON.parse(readFileSync(path.join(here, 'expectations', `${driver}.json`), 'utf8')) as Expectations;
  } catch {
    return { failing: {} };
  }
}

const TEST_TIMEOUT_MS = 60_000;

function record(driver: DriverName, t: PlannedTest, ms: number, ok: boolean, error?: unknown): void {
  const dir = process.env.UNIFIED_RECORD;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const message = error instanceof Error ? `${error.name}: ${error.message}` : error === undefined ? undefined : String(error);
  appendFileSync(path.join(dir, `${driver}.jsonl`), `${JSON.stringify({ key: t.key, ms, ok, error: message?.split('\n')[0]?.slice(0, 300) })}\n`);
}

export async function defineUnifiedSuite(driverName: DriverName): Promise<void> {
  const driver = ADAPTERS[driverName];
  const tests = planTests(discoverFiles());
  const expectations = loadExpectations(driverName);
  const deployments = new Deployments();
  afterAll(() => deployments.stop(), 60_000);
  const infos: Partial<Record<DeploymentKind, ServerInfo>> = {};
  if (tests.length) {
    const rs = await deployments.get('replicaset');
    infos.replicaset = rs.info;
    for (const t of neededTopologies(tests, rs.info)) {
      if (t !== 'replicaset') infos[t] = (await deployments.get(t)).info;
    }
  }
  const byFile = new Map<string, PlannedTest[]>();
  for (const t of tests) byFile.set(t.file.name, [...(byFile.get(t.file.name) ?? []), t]);
  describe(`unified (${driverName})`, () => {
    if (tests.length === 0) it.skip(`no unified test files found under ${specsDir()}${process.env.UNIFIED_FILTER ? ` matching UNIFIED_FILTER=${process.env.UNIFIED_FILTER}` : ''}`, () => undefined);
    for (const [file, list] of byFile) {
      describe(file, () => {
        for (const t of list) {
          const d = decide(t, infos, driverName);
          if (!d.run) {
            it.skip(`${t.description} [skipped: ${d.reason}]`, () => undefined);
            continue;
          }
          const expectedFailure = expectations.failing[t.key];
          const body = async (): Promise<void> => {
            const deployment = await deployments.get(d.topology);
            const start = Date.now();
            let timer: ReturnType<typeof setTimeout> | undefined;
            try {
              // A test that hangs (an operation waiting on the server without a timeout) fails,
              // and is recorded, a little before vitest's own timeout, which records nothing.
              const hung = new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`Test timed out in ${TEST_TIMEOUT_MS}ms.`)), TEST_TIMEOUT_MS - 2_000);
              });
              await Promise.race([runUnifiedTest(t.file.json, t.test, driver, deployment), hung]);
            } catch (e) {
              record(driverName, t, Date.now() - start, false, e);
              throw e;
            } finally {
              clearTimeout(timer);
            }
            record(driverName, t, Date.now() - start, true);
          };
          if (expectedFailure !== undefined) it.fails(`${t.description} [known failure: ${expectedFailure.slice(0, 120)}]`, body, TEST_TIMEOUT_MS);
          else it(t.description, body, TEST_TIMEOUT_MS);
        }
      });
    }
  });
}
