/**
 * Test fixtures for selection: ServerDescription / TopologyDescription objects with every
 * required field filled, and converters from the server-selection and max-staleness spec
 * JSON. Used by the spec runners and the unit tests; not part of the public API.
 */
import { ServerType, type ServerDescription } from '../../src/sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../../src/sdam/topology-description.js';
import { ReadPreference, type ReadPreferenceMode, type TagSet } from '../../src/selection/read-preference.js';

/** Wire version used when a spec file does not give one (a current server). */
export const FIXTURE_MAX_WIRE_VERSION = 21;

export function makeServerDescription(
  fields: Partial<ServerDescription> & { address: string; type: ServerType },
): ServerDescription {
  const known = fields.type !== ServerType.Unknown;
  const base: ServerDescription = {
    address: fields.address.toLowerCase(),
    type: fields.type,
    error: null,
    roundTripTime: known ? 0 : null,
    minRoundTripTime: known ? 0 : null,
    lastWriteDate: null,
    opTime: null,
    minWireVersion: 0,
    maxWireVersion: known ? FIXTURE_MAX_WIRE_VERSION : 0,
    me: null,
    hosts: [],
    passives: [],
    arbiters: [],
    tags: {},
    setName: null,
    electionId: null,
    setVersion: null,
    primary: null,
    lastUpdateTime: 0,
    logicalSessionTimeoutMinutes: known ? 30 : null,
    topologyVersion: null,
    iscryptd: false,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    helloOk: known,
    hello: null,
  };
  return Object.freeze({ ...base, ...fields, address: base.address });
}

export function makeTopologyDescription(
  type: TopologyType,
  servers: readonly ServerDescription[],
  settings: { heartbeatFrequencyMS?: number; localThresholdMS?: number; setName?: string | null } = {},
): TopologyDescription {
  const isRS = type === TopologyType.ReplicaSetWithPrimary || type === TopologyType.ReplicaSetNoPrimary;
  return Object.freeze({
    type,
    setName: settings.setName !== undefined ? settings.setName : isRS ? 'rs' : null,
    maxSetVersion: null,
    maxElectionId: null,
    servers: new Map(servers.map((sd) => [sd.address, sd])),
    stale: false,
    compatible: true,
    compatibilityError: null,
    logicalSessionTimeoutMinutes: 30,
    heartbeatFrequencyMS: settings.heartbeatFrequencyMS ?? 10_000,
    localThresholdMS: settings.localThresholdMS ?? 15,
  });
}

// ------------------------------------------------------------------ spec JSON

type Json = Record<string, unknown>;

const SERVER_TYPES = new Set<string>(Object.values(ServerType));
const TOPOLOGY_TYPES = new Set<string>(Object.values(TopologyType));

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && typeof (v as Json).$numberLong === 'string') return Number((v as Json).$numberLong);
  if (v && typeof v === 'object' && typeof (v as Json).$numberInt === 'string') return Number((v as Json).$numberInt);
  return undefined;
}

/** A ServerDescription from a spec `servers[]` entry (address, type, avg_rtt_ms, tags, lastUpdateTime, lastWrite, maxWireVersion). */
export function serverDescriptionFromSpec(json: Json): ServerDescription {
  const type = String(json.type);
  if (!SERVER_TYPES.has(type)) throw new Error(`unknown server type in spec file: ${type}`);
  const lastWrite = json.lastWrite as Json | undefined;
  const fields: { -readonly [K in keyof ServerDescription]?: ServerDescription[K] } & { address: string; type: ServerType } = {
    address: String(json.address),
    type: type as ServerType,
  };
  const rtt = asNumber(json.avg_rtt_ms);
  if (rtt !== undefined) fields.roundTripTime = rtt;
  if (json.tags && typeof json.tags === 'object') fields.tags = { ...(json.tags as Record<string, string>) };
  const lastUpdateTime = asNumber(json.lastUpdateTime);
  if (lastUpdateTime !== undefined) fields.lastUpdateTime = lastUpdateTime;
  const lastWriteDate = lastWrite ? asNumber(lastWrite.lastWriteDate) : undefined;
  if (lastWriteDate !== undefined) fields.lastWriteDate = lastWriteDate;
  const maxWireVersion = asNumber(json.maxWireVersion);
  if (maxWireVersion !== undefined) fields.maxWireVersion = maxWireVersion;
  return makeServerDescription(fields);
}

/** A TopologyDescription from a spec `topology_description` (plus the file's heartbeatFrequencyMS, if any). */
export function topologyDescriptionFromSpec(json: Json, heartbeatFrequencyMS?: number): TopologyDescription {
  const type = String(json.type);
  if (!TOPOLOGY_TYPES.has(type)) throw new Error(`unknown topology type in spec file: ${type}`);
  const servers = ((json.servers as Json[] | undefined) ?? []).map(serverDescriptionFromSpec);
  return makeTopologyDescription(type as TopologyType, servers, heartbeatFrequencyMS === undefined ? {} : { heartbeatFrequencyMS });
}

/** A ReadPreference from a spec `read_preference` ("SecondaryPreferred" -> secondaryPreferred; tag_sets -> tags). */
export function readPreferenceFromSpec(json: Json | undefined): ReadPreference {
  if (!json) return ReadPreference.primary;
  const rawMode = typeof json.mode === 'string' ? json.mode : 'primary';
  const mode = (rawMode.charAt(0).toLowerCase() + rawMode.slice(1)) as ReadPreferenceMode;
  const options: { maxStalenessSeconds?: number } = {};
  const mss = asNumber(json.maxStalenessSeconds);
  if (mss !== undefined) options.maxStalenessSeconds = mss;
  return new ReadPreference(mode, json.tag_sets as TagSet[] | undefined, options);
}
