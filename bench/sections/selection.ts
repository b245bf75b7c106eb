/**
 * Section "selection": server selections per second on a 50-member replica set with
 * tags and lastWrite dates, ours (`selectServers`) against the official driver's
 * selector (`readPreferenceServerSelector` from mongodb/lib/sdam/server_selection.js).
 * Both descriptions are built from the same hello replies, each driver its own way.
 */
import { createRequire } from 'node:module';
import { ObjectId } from 'bson';
import { ReadPreference as OurReadPreference, type TagSet } from '@mongo-edge/core';
import { applyServerDescription } from '../../packages/core/src/sdam/apply.js';
import { newServerDescription } from '../../packages/core/src/sdam/server-description.js';
import { newTopologyDescription, TopologyType, type TopologyDescription } from '../../packages/core/src/sdam/topology-description.js';
import { selectServers, SelectionOperation } from '../../packages/core/src/selection/select-servers.js';
import {
  interleave,
  metricFromTimes,
  NotRunError,
  nowMs,
  type Metric,
  type Section,
  type SectionContext,
  type SectionOutput,
} from '../lib/harness.js';

export const MEMBERS = 50;
const HEARTBEAT_MS = 10_000;
const LOCAL_THRESHOLD_MS = 15;
const DCS = ['east', 'west', 'north', 'south', 'central'] as const;

type Hello = Record<string, unknown>;

/** The hello replies and RTTs of a 50-member set: member 0 is primary, some secondaries lag. */
export function replicaSetReplies(now: number): Array<{ address: string; hello: Hello; rttMs: number }> {
  const hosts = Array.from({ length: MEMBERS }, (_, i) => `db${i}.example.net:27017`);
  const electionId = new ObjectId('7fffffff0000000000000001');
  return hosts.map((address, i) => {
    const lagMs = i === 0 ? 0 : (i % 9) * 20_000; // 0..160 s behind the primary
    const hello: Hello = {
      ok: 1,
      helloOk: true,
      isWritablePrimary: i === 0,
      secondary: i !== 0,
      setName: 'rs',
      setVersion: 1,
      hosts,
      me: address,
      primary: hosts[0],
      tags: { dc: DCS[i % DCS.length]!, rack: `r${i % 10}`, use: i % 3 === 0 ? 'reporting' : 'ops' },
      lastWrite: { lastWriteDate: new Date(now - lagMs) },
      maxWireVersion: 21,
      minWireVersion: 0,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      logicalSessionTimeoutMinutes: 30,
      localTime: new Date(now),
      ...(i === 0 ? { electionId } : {}),
    };
    return { address, hello, rttMs: 2 + ((i * 7) % 40) };
  });
}

interface Scenario {
  readonly key: string;
  readonly title: string;
  readonly mode: 'primary' | 'nearest' | 'secondary' | 'secondaryPreferred';
  readonly tags?: TagSet[];
  readonly maxStalenessSeconds?: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    key: 'secondary_tags_staleness',
    title: 'secondary, 3 tag sets (first two match nothing / some), maxStalenessSeconds 120',
    mode: 'secondary',
    tags: [{ dc: 'east', use: 'analytics' }, { dc: 'east', use: 'reporting' }, {}],
    maxStalenessSeconds: 120,
  },
  {
    key: 'secondary_tags',
    title: 'secondary, the same 3 tag sets, no maxStalenessSeconds',
    mode: 'secondary',
    tags: [{ dc: 'east', use: 'analytics' }, { dc: 'east', use: 'reporting' }, {}],
  },
  { key: 'secondary_staleness', title: 'secondary, maxStalenessSeconds 120, no tags', mode: 'secondary', maxStalenessSeconds: 120 },
  { key: 'nearest', title: 'nearest, no tags', mode: 'nearest' },
  { key: 'primary', title: 'primary', mode: 'primary' },
];

/** The official driver's pieces, loaded from its lib/ (not public API). */
interface Official {
  ReadPreference: new (mode: string, tags?: TagSet[], options?: { maxStalenessSeconds?: number }) => unknown;
  readPreferenceServerSelector(rp: unknown): (td: unknown, servers: unknown[], deprioritized: unknown) => Array<{ address: string }>;
  DeprioritizedServers: new () => unknown;
  ServerDescription: new (address: string, hello: Hello, options: { roundTripTime: number; minRoundTripTime: number }) => unknown;
  TopologyDescription: new (
    type: string,
    servers: Map<string, unknown>,
    setName: string,
    maxSetVersion: number,
    maxElectionId: unknown,
    commonWireVersion: number,
    options: { heartbeatFrequencyMS: number; localThresholdMS: number },
  ) => { servers: Map<string, unknown> };
}

function loadOfficial(): Official | string {
  try {
    const require = createRequire(import.meta.url);
    const sel = require('mongodb/lib/sdam/server_selection.js') as Record<string, unknown>;
    const sd = require('mongodb/lib/sdam/server_description.js') as Record<string, unknown>;
    const td = require('mongodb/lib/sdam/topology_description.js') as Record<string, unknown>;
    const main = require('mongodb') as Record<string, unknown>;
    const o = {
      ReadPreference: main.ReadPreference,
      readPreferenceServerSelector: sel.readPreferenceServerSelector,
      DeprioritizedServers: sel.DeprioritizedServers,
      ServerDescription: sd.ServerDescription,
      TopologyDescription: td.TopologyDescription,
    };
    for (const [k, v] of Object.entries(o)) if (typeof v !== 'function') return `official selector not reachable: mongodb does not expose ${k}`;
    return o as unknown as Official;
  } catch (e) {
    return `official selector not reachable: ${(e as Error).message.split('\n')[0]}`;
  }
}

export function ourTopology(now: number): TopologyDescription {
  const replies = replicaSetReplies(now);
  let td = newTopologyDescription({
    seeds: replies.map((r) => r.address),
    setName: 'rs',
    heartbeatFrequencyMS: HEARTBEAT_MS,
    localThresholdMS: LOCAL_THRESHOLD_MS,
  });
  for (const r of replies) {
    const sd = newServerDescription(r.address, r.hello, { now, roundTripTime: r.rttMs, minRoundTripTime: r.rttMs });
    td = applyServerDescription(td, sd).topologyDescription;
  }
  if (td.type !== TopologyType.ReplicaSetWithPrimary || td.servers.size !== MEMBERS) {
    throw new Error(`setup: our description is ${td.type} with ${td.servers.size} servers`);
  }
  return td;
}

export const selectionSection: Section = {
  name: 'selection',
  title: 'Server selection on a 50-member replica set',
  description:
    `Selections per second (each sample times a batch of selections) on a ${MEMBERS}-member replica set ` +
    '(1 primary, 49 secondaries with dc/rack/use tags, lastWrite up to 160 s behind, RTTs 2–41 ms, localThresholdMS 15), ' +
    'built from the same hello replies by each driver: ours with `newServerDescription` + `applyServerDescription`, ' +
    "the official one with its `ServerDescription` and `TopologyDescription` classes. Ours: `selectServers(td, criteria)` " +
    '(validation, read preference, max staleness, tag sets, latency window); official: ' +
    '`readPreferenceServerSelector(rp)(td, servers, deprioritized)` from `mongodb/lib/sdam/server_selection.js`, the call its ' +
    "`Topology.selectServer` makes. Ours computes a result once per description object and criteria " +
    '(selection/description-index.ts), which is what this loop on one description measures; the first selection on a new ' +
    'description pays for the index (see the notes in docs/benchmarks.md). Reference contender: `official`.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const official = loadOfficial();
    if (typeof official === 'string') throw new NotRunError(official);
    const now = Date.now();
    const ours = ourTopology(now);
    const officialServers = new Map<string, unknown>();
    for (const r of replicaSetReplies(now)) {
      officialServers.set(r.address, new official.ServerDescription(r.address, r.hello, { roundTripTime: r.rttMs, minRoundTripTime: r.rttMs }));
    }
    const officialTd = new official.TopologyDescription('ReplicaSetWithPrimary', officialServers, 'rs', 1, null, 21, {
      heartbeatFrequencyMS: HEARTBEAT_MS,
      localThresholdMS: LOCAL_THRESHOLD_MS,
    });
    const metrics: Record<string, Metric> = {};
    const notes: string[] = [];
    let sink = 0;
    const batches: string[] = [];
    for (const sc of SCENARIOS) {
      ctx.log(`selection: ${sc.key}`);
      const options = sc.maxStalenessSeconds !== undefined ? { maxStalenessSeconds: sc.maxStalenessSeconds } : {};
      const ourRp = new OurReadPreference(sc.mode, sc.tags, options);
      const theirRp = new official.ReadPreference(sc.mode, sc.tags, options);
      const criteria = { operation: SelectionOperation.read, readPreference: ourRp };
      const ourPick = selectServers(ours, criteria).map((s) => s.address).sort();
      const theirPick = official
        .readPreferenceServerSelector(theirRp)(officialTd, [...officialTd.servers.values()], new official.DeprioritizedServers())
        .map((s) => s.address)
        .sort();
      const same = ourPick.join() === theirPick.join();
      const runOfficial = () =>
        official.readPreferenceServerSelector(theirRp)(officialTd, [...officialTd.servers.values()], new official.DeprioritizedServers()).length;
      // Calibrate: a sample times enough selections to take about 10 ms (the timer's noise stays small).
      let batch = 50;
      if (!ctx.quick) {
        for (let i = 0; i < 1000; i++) sink += runOfficial();
        const t0 = nowMs();
        for (let i = 0; i < 500; i++) sink += runOfficial();
        const perOp = (nowMs() - t0) / 500;
        batch = Math.max(200, Math.min(50_000, Math.ceil(10 / perOp)));
      }
      batches.push(`${sc.key} ${batch}`);
      notes.push(
        `${sc.key}: ours selects ${ourPick.length} server(s), official ${theirPick.length}${same ? ' (the same set)' : ` (DIFFERENT: ours ${ourPick.join(' ')}; official ${theirPick.join(' ')})`}.`,
      );
      const times = await interleave(
        {
          official: () => {
            const t0 = nowMs();
            for (let i = 0; i < batch; i++) sink += runOfficial();
            return nowMs() - t0;
          },
          ours: () => {
            const t0 = nowMs();
            for (let i = 0; i < batch; i++) sink += selectServers(ours, criteria).length;
            return nowMs() - t0;
          },
        },
        { warmup: ctx.quick ? 1 : 10, rounds: ctx.quick ? 3 : 60 },
      );
      metrics[`selection.${sc.key}`] = metricFromTimes(
        { title: `Selections/s: ${sc.title}`, unit: 'selections/s', better: 'higher', reference: 'official' },
        times,
        (ms) => batch / (ms / 1000),
      );
    }
    notes.push(`Selections per sample (calibrated to ~10 ms): ${batches.join(', ')}; ${ctx.quick ? 3 : 60} samples per contender after warm-up, interleaved.`);
    if (sink < 0) notes.push('unreachable');
    return { metrics, notes };
  },
};
