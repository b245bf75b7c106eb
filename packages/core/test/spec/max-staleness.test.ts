/**
 * Max Staleness spec runner. Runs every .json file found below `$MONGO_SPECS_DIR/max-staleness`:
 * each gives a topology (with lastUpdateTime, lastWrite.lastWriteDate, maxWireVersion), an
 * optional heartbeatFrequencyMS (default 10000) and a read preference, and expects either
 * `error: true` (invalid read preference for selection) or the suitable servers and the ones
 * in the 15 ms latency window. The operation is a read unless the file says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { MongoDriverError } from '../../src/errors.js';
import type { ServerDescription } from '../../src/sdam/server-description.js';
import { findSuitableServers, selectServers, type SelectionOperation } from '../../src/selection/select-servers.js';
import { readPreferenceFromSpec, topologyDescriptionFromSpec } from '../support/selection-fixtures.js';
import { findSpecFiles, skipReason, type SkipList } from './spec-files.js';

type Json = Record<string, unknown>;

const SUITE = 'max-staleness';

/** Files or tests not run ("<file>" or "<file>#<description>"), with the reason. */
const SKIPS: SkipList = {};

const addresses = (servers: readonly { address: string }[]): string[] => servers.map((s) => s.address.toLowerCase()).sort();

function isSelectionFile(json: unknown): json is Json {
  return !!json && typeof json === 'object' && !Array.isArray(json) && 'topology_description' in json;
}

function run(json: Json): void {
  const heartbeat = typeof json.heartbeatFrequencyMS === 'number' ? json.heartbeatFrequencyMS : undefined;
  const td = topologyDescriptionFromSpec(json.topology_description as Json, heartbeat);
  const operation = ((json.operation as string | undefined) ?? 'read') as SelectionOperation;
  const deprioritized = ((json.deprioritized_servers as Json[] | undefined) ?? []).map((s) => String(s.address));
  const select = (): { suitable: ServerDescription[]; inWindow: ServerDescription[] } => {
    // Building the read preference is part of what may fail (e.g. primary + maxStalenessSeconds).
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
    expect(thrown, 'expected an invalid read preference error').toBeInstanceOf(MongoDriverError);
    return;
  }
  const { suitable, inWindow } = select();
  if (Array.isArray(json.suitable_servers)) expect(addresses(suitable)).toEqual(addresses(json.suitable_servers as never));
  if (Array.isArray(json.in_latency_window)) expect(addresses(inWindow)).toEqual(addresses(json.in_latency_window as never));
}

const files = findSpecFiles(SUITE);

describe('max staleness spec', () => {
  if (files.length === 0) it.skip(`no spec files under ${SUITE}/ in $MONGO_SPECS_DIR`, () => {});

  for (const file of files) {
    const reason = skipReason(SKIPS, file.name)
      ?? (isSelectionFile(file.json) ? undefined : 'Not a server-selection-shaped max staleness test (no topology_description).');
    if (reason) {
      it.skip(`${file.name} — skipped: ${reason}`, () => {});
      continue;
    }
    const json = file.json as Json;
    it(file.name, () => run(json));
  }
});
