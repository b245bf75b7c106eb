/**
 * Server Selection spec runner. Runs every .json file found below
 * `$MONGO_SPECS_DIR/server-selection`, recognising each by its shape:
 * - selection logic (`topology_description` + `suitable_servers`/`in_latency_window` or `error`)
 * - RTT calculation (`avg_rtt_ms`, `new_rtt_ms`, `new_avg_rtt`)
 * - selection within the latency window (`mocked_topology_state`, `iterations`, `outcome`)
 * Anything else (e.g. unified-format logging tests) is shown as skipped with its reason.
 */
import { describe, expect, it } from 'vitest';
import { MongoDriverError } from '../../src/errors.js';
import { nextAverageRoundTripTime, RoundTripTimeStats } from '../../src/sdam/round-trip-time.js';
import type { ServerDescription } from '../../src/sdam/server-description.js';
import { ReadPreference } from '../../src/selection/read-preference.js';
import { findSuitableServers, pickServer, selectServers, type SelectionOperation } from '../../src/selection/select-servers.js';
import { readPreferenceFromSpec, topologyDescriptionFromSpec } from '../support/selection-fixtures.js';
import { findSpecFiles, skipReason, type SkipList } from './spec-files.js';
import { seededRandom } from '../support/seeded-random.js';

type Json = Record<string, unknown>;

const SUITE = 'server-selection';

/** Whole folders not run, by path prefix relative to the suite. */
const SKIP_FOLDERS: Readonly<Record<string, string>> = {
  'logging/':
    'Server selection logging tests are unified-format tests that need a MongoClient, command/log observers and a live (or simulated) server; they belong to the unified test runner.',
};

/** Individual files or tests not run ("<file>" or "<file>#<description>"). */
const SKIPS: SkipList = {};

const UNIFIED_REASON = 'Unified test format file: needs the unified test runner, not the pure selection functions.';

function folderSkip(name: string): string | undefined {
  for (const [prefix, reason] of Object.entries(SKIP_FOLDERS)) if (name.startsWith(prefix)) return reason;
  return undefined;
}

const addresses = (servers: readonly { address: string }[] | readonly ServerDescription[]): string[] =>
  servers.map((s) => s.address.toLowerCase()).sort();

function runSelectionTest(json: Json): void {
  const td = topologyDescriptionFromSpec(json.topology_description as Json, json.heartbeatFrequencyMS as number | undefined);
  const operation = ((json.operation as string | undefined) ?? 'read') as SelectionOperation;
  const deprioritized = ((json.deprioritized_servers as Json[] | undefined) ?? []).map((s) => String(s.address));
  const select = (): { suitable: ServerDescription[]; inWindow: ServerDescription[] } => {
    const readPreference = readPreferenceFromSpec(json.read_preference as Json | undefined);
    const criteria = { readPreference, operation, deprioritized };
    return { suitable: findSuitableServers(td, criteria), inWindow: selectServers(td, criteria) };
  };
  if (json.error === true) {
    let thrown: unknown;
    try {
      select();
    } catch (e) {
      thrown = e;
    }
    expect(thrown, 'expected server selection to raise an error').toBeInstanceOf(MongoDriverError);
    return;
  }
  const { suitable, inWindow } = select();
  if (Array.isArray(json.suitable_servers)) expect(addresses(suitable)).toEqual(addresses(json.suitable_servers as Json[] as never));
  if (Array.isArray(json.in_latency_window)) expect(addresses(inWindow)).toEqual(addresses(json.in_latency_window as Json[] as never));
  // Types as well as addresses.
  for (const expected of (json.in_latency_window as Json[] | undefined) ?? []) {
    const got = inWindow.find((sd) => sd.address === String(expected.address).toLowerCase());
    expect(got?.type).toBe(expected.type);
  }
}

function runRttTest(json: Json): void {
  const previous = json.avg_rtt_ms === 'NULL' || json.avg_rtt_ms === null ? null : Number(json.avg_rtt_ms);
  const sample = Number(json.new_rtt_ms);
  const expected = Number(json.new_avg_rtt);
  expect(nextAverageRoundTripTime(previous, sample)).toBeCloseTo(expected, 8);
  // The same through the stats object: seed it with the previous average as its first sample.
  const stats = new RoundTripTimeStats();
  if (previous !== null) stats.addSample(previous);
  stats.addSample(sample);
  expect(stats.average).toBeCloseTo(expected, 8);
}

function runInWindowTest(json: Json): void {
  const td = topologyDescriptionFromSpec(json.topology_description as Json);
  const counts = new Map<string, number>();
  for (const s of (json.mocked_topology_state as Json[] | undefined) ?? []) {
    counts.set(String(s.address).toLowerCase(), Number(s.operation_count));
  }
  const inFlight = (address: string): number => counts.get(address) ?? 0;
  const iterations = Number(json.iterations);
  const outcome = json.outcome as { tolerance: number; expected_frequencies: Record<string, number> };
  const window = selectServers(td, { readPreference: ReadPreference.nearest, operation: 'read' });
  const random = seededRandom(0x5eed);
  const chosen = new Map<string, number>();
  for (let i = 0; i < iterations; i++) {
    const sd = pickServer(window, inFlight, random);
    expect(sd).toBeDefined();
    chosen.set(sd!.address, (chosen.get(sd!.address) ?? 0) + 1);
  }
  for (const [address, expected] of Object.entries(outcome.expected_frequencies)) {
    const observed = (chosen.get(address.toLowerCase()) ?? 0) / iterations;
    if (expected === 0 || expected === 1) expect(observed, address).toBe(expected);
    else expect(Math.abs(observed - expected), `${address}: observed ${observed}, expected ${expected}`).toBeLessThanOrEqual(outcome.tolerance);
  }
}

type Kind = 'selection' | 'rtt' | 'in_window' | 'unified' | 'unknown';

function kindOf(json: unknown): Kind {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return 'unknown';
  const j = json as Json;
  if ('mocked_topology_state' in j && 'outcome' in j) return 'in_window';
  if ('new_rtt_ms' in j && 'new_avg_rtt' in j) return 'rtt';
  if ('topology_description' in j && ('suitable_servers' in j || 'in_latency_window' in j || 'error' in j)) return 'selection';
  if ('schemaVersion' in j && 'tests' in j) return 'unified';
  return 'unknown';
}

const files = findSpecFiles(SUITE);

describe('server selection spec', () => {
  if (files.length === 0) it.skip(`no spec files under ${SUITE}/ in $MONGO_SPECS_DIR`, () => {});

  for (const file of files) {
    const kind = kindOf(file.json);
    const title = `${file.name} (${kind})`;
    const reason = folderSkip(file.name) ?? skipReason(SKIPS, file.name)
      ?? (kind === 'unified' ? UNIFIED_REASON : kind === 'unknown' ? 'Unrecognised test file shape for this runner.' : undefined);
    if (reason) {
      it.skip(`${title} — skipped: ${reason}`, () => {});
      continue;
    }
    const json = file.json as Json;
    it(title, () => {
      switch (kind) {
        case 'selection':
          return runSelectionTest(json);
        case 'rtt':
          return runRttTest(json);
        case 'in_window':
          return runInWindowTest(json);
        case 'unified':
        case 'unknown':
          throw new Error(`not runnable: ${kind}`);
        default: {
          const never: never = kind;
          throw new Error(`unexpected kind ${String(never)}`);
        }
      }
    });
  }
});
