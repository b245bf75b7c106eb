/**
 * Server Discovery and Monitoring spec runner (source/server-discovery-and-monitoring/tests).
 * Runs every JSON file below `<specs>/server-discovery-and-monitoring/` by calling the
 * pure SDAM functions directly: each response goes through newServerDescription +
 * applyServerDescription, each application error through handleApplicationError, and
 * the outcome (or, in monitoring tests, the SDAM events built from
 * diffTopologyDescriptions) is checked after each phase. Pools are simulated by a
 * generation counter per address, as the runner README allows.
 */
import { EJSON } from 'bson';
import { describe, expect, it } from 'vitest';
import {
  MongoErrorLabel,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoServerError,
  MongoWriteConcernError,
  type Document,
} from '../../src/errors.js';
import { applyServerDescription } from '../../src/sdam/apply.js';
import { handleApplicationError, handleCheckFailure } from '../../src/sdam/application-errors.js';
import { diffTopologyDescriptions, emptyTopologyDescription, type SdamEvent } from '../../src/sdam/diff.js';
import {
  newServerDescription,
  normalizeAddress,
  objectIdEquals,
  type ServerDescription,
} from '../../src/sdam/server-description.js';
import {
  TopologyType,
  newTopologyDescription,
  type TopologyDescription,
} from '../../src/sdam/topology-description.js';
import { findSpecFiles, skipReason, type SkipList, type SpecFile } from './spec-files.js';

const SUITE = 'server-discovery-and-monitoring';

/** Folders (prefixes of file names) not run here, and why. */
const SKIPPED_FOLDERS: Readonly<Record<string, string>> = {
  'unified/':
    'Unified Test Format integration tests: they need a live deployment with failpoints (run by the unified runner, not the pure SDAM runner)',
};

const files = findSpecFiles(SUITE);

/** Every file not run, by name, with its reason (folders expanded to their files). */
const SKIPS: SkipList = Object.fromEntries(
  files.flatMap((f) => {
    const folder = Object.keys(SKIPPED_FOLDERS).find((p) => f.name.startsWith(p));
    if (folder !== undefined) return [[f.name, SKIPPED_FOLDERS[folder]!]];
    if (isObject(f.json) && 'schemaVersion' in f.json) {
      return [[f.name, 'Unified Test Format file: needs a live deployment']];
    }
    return [];
  }),
);

// ---------------------------------------------------------------- test file shapes

interface SpecTest {
  description: string;
  uri: string;
  phases: Phase[];
}
interface Phase {
  description?: string;
  responses?: [string, Document][];
  applicationErrors?: ApplicationErrorSpec[];
  outcome: Outcome;
}
interface ApplicationErrorSpec {
  address: string;
  generation?: number;
  maxWireVersion: number;
  when: 'beforeHandshakeCompletes' | 'afterHandshakeCompletes';
  type: 'command' | 'network' | 'timeout';
  response?: Document;
}
interface Outcome {
  events?: Document[];
  servers?: Record<string, Document>;
  topologyType?: string;
  setName?: string | null;
  logicalSessionTimeoutMinutes?: number | null;
  maxSetVersion?: number | null;
  maxElectionId?: unknown;
  compatible?: boolean;
}

// ---------------------------------------------------------------- the simulated client

const HEARTBEAT_FREQUENCY_MS = 10_000;
const LOCAL_THRESHOLD_MS = 15;

class SimulatedClient {
  td: TopologyDescription;
  /** Pool generation per server address (a pool is dropped with its server). */
  readonly generations = new Map<string, number>();
  readonly events: SdamEvent[] = [];
  private clock = 1;

  constructor(uri: string) {
    const parsed = parseUri(uri);
    const initial = newTopologyDescription({
      seeds: parsed.hosts,
      setName: parsed.replicaSet,
      directConnection: parsed.directConnection,
      loadBalanced: parsed.loadBalanced,
      heartbeatFrequencyMS: HEARTBEAT_FREQUENCY_MS,
      localThresholdMS: LOCAL_THRESHOLD_MS,
    });
    this.td = emptyTopologyDescription(initial);
    this.commit(initial);
    if (initial.type === TopologyType.LoadBalanced) {
      // Load Balancer spec: no monitoring; each server is a LoadBalancer from the start.
      for (const address of initial.servers.keys()) {
        this.commit(
          applyServerDescription(this.td, newServerDescription(address, null, { now: this.tick(), loadBalancer: true }))
            .topologyDescription,
        );
      }
    }
  }

  respond(address: string, hello: Document): void {
    if (Object.keys(hello).length === 0) {
      // `{}`: the check failed with a network error.
      const r = handleCheckFailure(this.td, { address, error: new MongoNetworkError('connection closed'), now: this.tick() });
      if (r.clearPool) this.clearPool(normalizeAddress(address));
      this.commit(r.topologyDescription);
      return;
    }
    const sd = newServerDescription(address, hello, { now: this.tick(), roundTripTime: 1, minRoundTripTime: 1 });
    const r = applyServerDescription(this.td, sd);
    for (const p of r.invalidatedPrimaries) if (p.clearPool) this.clearPool(p.address);
    this.commit(r.topologyDescription);
  }

  applicationError(spec: ApplicationErrorSpec): void {
    const address = normalizeAddress(spec.address);
    const poolGeneration = this.generations.get(address) ?? 0;
    const beforeHandshake = spec.when === 'beforeHandshakeCompletes';
    const r = handleApplicationError(this.td, {
      address,
      error: makeError(spec, beforeHandshake),
      generation: spec.generation ?? poolGeneration,
      poolGeneration,
      maxWireVersion: spec.maxWireVersion,
      beforeHandshake,
      now: this.tick(),
    });
    if (r.clearPool) this.clearPool(address);
    this.commit(r.topologyDescription);
  }

  private clearPool(address: string): void {
    this.generations.set(address, (this.generations.get(address) ?? 0) + 1);
  }

  private commit(next: TopologyDescription): void {
    const diff = diffTopologyDescriptions(this.td, next);
    this.td = next;
    this.events.push(...diff.events);
    for (const address of diff.removed) this.generations.delete(address);
    for (const address of diff.added) this.generations.set(address, 0);
  }

  private tick(): number {
    return this.clock++;
  }
}

/**
 * The error an application operation would see. Connection establishment labels
 * network errors and timeouts SystemOverloadedError + RetryableError (CMAP / Client
 * Backpressure), which SDAM must not treat as a dead server.
 */
function makeError(spec: ApplicationErrorSpec, beforeHandshake: boolean): Error {
  const labels = beforeHandshake ? [MongoErrorLabel.SystemOverloadedError, 'RetryableError'] : [];
  switch (spec.type) {
    case 'network':
      return new MongoNetworkError('connection reset', { beforeHandshake, labels });
    case 'timeout':
      return new MongoNetworkTimeoutError('operation timed out', { beforeHandshake, labels });
    case 'command': {
      const response = spec.response ?? {};
      if (isObject(response.writeConcernError)) {
        return new MongoWriteConcernError({ ...response.writeConcernError, topologyVersion: response.topologyVersion });
      }
      return new MongoServerError(response);
    }
    default:
      throw new Error(`unknown applicationError type ${String((spec as { type: unknown }).type)}`);
  }
}

// ---------------------------------------------------------------- checks

function checkOutcome(client: SimulatedClient, outcome: Outcome): void {
  const td = client.td;
  if (outcome.topologyType !== undefined) expect(td.type, 'topologyType').toBe(outcome.topologyType);
  if ('setName' in outcome) expect(td.setName, 'setName').toBe(outcome.setName ?? null);
  if ('logicalSessionTimeoutMinutes' in outcome) {
    expect(td.logicalSessionTimeoutMinutes, 'logicalSessionTimeoutMinutes').toBe(outcome.logicalSessionTimeoutMinutes ?? null);
  }
  if ('maxSetVersion' in outcome) expect(td.maxSetVersion, 'maxSetVersion').toBe(outcome.maxSetVersion ?? null);
  if ('maxElectionId' in outcome) {
    expect(objectIdEquals(td.maxElectionId, asObjectId(outcome.maxElectionId)), `maxElectionId ${hex(td.maxElectionId)}`).toBe(true);
  }
  if (outcome.compatible !== undefined) expect(td.compatible, 'compatible').toBe(outcome.compatible);
  if (outcome.servers !== undefined) {
    expect([...td.servers.keys()].sort(), 'server addresses').toEqual(Object.keys(outcome.servers).map(normalizeAddress).sort());
    for (const [address, expected] of Object.entries(outcome.servers)) {
      const sd = td.servers.get(normalizeAddress(address))!;
      checkServer(sd, expected, client.generations.get(sd.address) ?? 0);
    }
  }
}

function checkServer(sd: ServerDescription, expected: Document, generation: number): void {
  const at = sd.address;
  if (expected.type !== undefined) expect(sd.type, `${at} type`).toBe(expected.type);
  if ('setName' in expected) expect(sd.setName, `${at} setName`).toBe(expected.setName ?? null);
  if ('setVersion' in expected) expect(sd.setVersion, `${at} setVersion`).toBe(expected.setVersion ?? null);
  if ('electionId' in expected) {
    expect(objectIdEquals(sd.electionId, asObjectId(expected.electionId)), `${at} electionId ${hex(sd.electionId)}`).toBe(true);
  }
  if ('logicalSessionTimeoutMinutes' in expected) {
    expect(sd.logicalSessionTimeoutMinutes, `${at} logicalSessionTimeoutMinutes`).toBe(expected.logicalSessionTimeoutMinutes ?? null);
  }
  // Wire versions default to 0 (SDAM "ServerDescription"); the tests write null for "not reported".
  if ('minWireVersion' in expected) expect(sd.minWireVersion, `${at} minWireVersion`).toBe(expected.minWireVersion ?? 0);
  if ('maxWireVersion' in expected) expect(sd.maxWireVersion, `${at} maxWireVersion`).toBe(expected.maxWireVersion ?? 0);
  if ('topologyVersion' in expected) {
    const tv = expected.topologyVersion as Document | null;
    if (tv === null || tv === undefined) {
      expect(sd.topologyVersion, `${at} topologyVersion`).toBeNull();
    } else {
      expect(sd.topologyVersion, `${at} topologyVersion`).not.toBeNull();
      expect(sd.topologyVersion!.processId.toHexString(), `${at} topologyVersion.processId`).toBe(hex(asObjectId(tv.processId)));
      expect(sd.topologyVersion!.counter, `${at} topologyVersion.counter`).toBe(BigInt(Number(tv.counter)));
    }
  }
  if (typeof expected.error === 'string') {
    expect(sd.error, `${at} error`).not.toBeNull();
    expect(sd.error!.message, `${at} error message`).toContain(expected.error);
  }
  if (isObject(expected.pool) && typeof expected.pool.generation === 'number') {
    expect(generation, `${at} pool generation`).toBe(expected.pool.generation);
  }
}

/** Spec event name -> our event, as a plain payload to compare with the expected subset. */
function toSpecEvent(e: SdamEvent): Document {
  switch (e.type) {
    case 'serverOpening':
      return { server_opening_event: { address: e.address } };
    case 'serverClosed':
      return { server_closed_event: { address: e.address } };
    case 'serverDescriptionChanged':
      return {
        server_description_changed_event: {
          address: e.address,
          previousDescription: serverPayload(e.previousDescription),
          newDescription: serverPayload(e.newDescription),
        },
      };
    case 'topologyDescriptionChanged':
      return {
        topology_description_changed_event: {
          previousDescription: topologyPayload(e.previousDescription),
          newDescription: topologyPayload(e.newDescription),
        },
      };
    default: {
      const never: never = e;
      throw new Error(`unexpected event ${String(never)}`);
    }
  }
}

function serverPayload(sd: ServerDescription): Document {
  return {
    address: sd.address,
    arbiters: [...sd.arbiters],
    hosts: [...sd.hosts],
    passives: [...sd.passives],
    primary: sd.primary ?? undefined,
    setName: sd.setName ?? undefined,
    type: sd.type,
  };
}

function topologyPayload(td: TopologyDescription): Document {
  return {
    topologyType: td.type,
    setName: td.setName ?? undefined,
    servers: [...td.servers.values()].map(serverPayload),
  };
}

/** Drops fields a spec payload omits (undefined) so toEqual compares like with like. */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (isObject(v)) {
    const out: Document = {};
    for (const [k, val] of Object.entries(v)) if (val !== undefined && k !== 'topologyId') out[k] = clean(val);
    return out;
  }
  return v;
}

function checkEvents(client: SimulatedClient, expected: Document[], construction: boolean): void {
  const actual: Document[] = [];
  if (construction) actual.push({ topology_opening_event: {} });
  actual.push(...client.events.map(toSpecEvent));
  expect(clean(actual)).toEqual(clean(expected));
  client.events.length = 0;
}

// ---------------------------------------------------------------- helpers

interface ParsedUri {
  hosts: string[];
  replicaSet: string | null;
  directConnection: boolean;
  loadBalanced: boolean;
}

/** Just enough of a connection string for these tests: hosts and three options. */
function parseUri(uri: string): ParsedUri {
  const m = /^mongodb:\/\/([^/?]*)\/?(?:\?(.*))?$/.exec(uri);
  if (m === null) throw new Error(`unsupported URI in test: ${uri}`);
  const params = new URLSearchParams(m[2] ?? '');
  return {
    hosts: m[1]!.split(',').filter((h) => h.length > 0),
    replicaSet: params.get('replicaSet'),
    directConnection: params.get('directConnection') === 'true',
    loadBalanced: params.get('loadBalanced') === 'true',
  };
}

function isObject(v: unknown): v is Document {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObjectId(v: unknown): { toHexString(): string } | null {
  if (isObject(v) && typeof (v as { toHexString?: unknown }).toHexString === 'function') {
    return v as unknown as { toHexString(): string };
  }
  return null;
}

function hex(v: { toHexString(): string } | null): string | null {
  return v === null ? null : v.toHexString();
}

function load(file: SpecFile): SpecTest {
  return EJSON.deserialize(file.json as Document, { relaxed: true }) as unknown as SpecTest;
}

// ---------------------------------------------------------------- the suite

describe('SDAM spec', () => {
  // A specs directory without this suite is valid input: say so visibly, do not fail.
  if (files.length === 0) it.skip(`no spec files under ${SUITE}/ in $MONGO_SPECS_DIR`, () => {});

  for (const file of files) {
    const reason = skipReason(SKIPS, file.name);
    if (reason !== undefined) {
      it.skip(`${file.name} (skipped: ${reason})`, () => {});
      continue;
    }
    const test = load(file);
    it(`${file.name}: ${test.description}`, () => {
      const client = new SimulatedClient(test.uri);
      test.phases.forEach((phase, i) => {
        for (const [address, hello] of phase.responses ?? []) client.respond(address, hello);
        for (const error of phase.applicationErrors ?? []) client.applicationError(error);
        if (phase.outcome.events !== undefined) checkEvents(client, phase.outcome.events, i === 0);
        else checkOutcome(client, phase.outcome);
      });
    });
  }
});
