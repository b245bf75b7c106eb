/**
 * TopologyDescription, as the SDAM spec defines it. Immutable: updates produce a new
 * object (see apply.ts); only sdam/topology.ts holds "the current" one.
 */
import { MongoInvalidArgumentError } from '../errors.js';
import type { ServerDescription } from './server-description.js';
import { normalizeAddress, unknownServerDescription } from './server-description.js';
import { keyMirror } from '../util/key-mirror.js';

export const TopologyType = keyMirror(
  'Single',
  'ReplicaSetNoPrimary',
  'ReplicaSetWithPrimary',
  'Sharded',
  'LoadBalanced',
  'Unknown',
);
export type TopologyType = (typeof TopologyType)[keyof typeof TopologyType];

export interface TopologyDescription {
  readonly type: TopologyType;
  readonly setName: string | null;
  readonly maxSetVersion: number | null;
  /** An ObjectId or null. */
  readonly maxElectionId: { toHexString(): string } | null;
  /** Keyed by lower-cased address. */
  readonly servers: ReadonlyMap<string, ServerDescription>;
  readonly stale: boolean;
  readonly compatible: boolean;
  readonly compatibilityError: string | null;
  readonly logicalSessionTimeoutMinutes: number | null;
  /** Settings that selection needs (copied from client options). */
  readonly heartbeatFrequencyMS: number;
  readonly localThresholdMS: number;
  /**
   * The normalized seed list the topology was configured with (updateUnknownWithStandalone
   * needs to know whether there was exactly one). Absent on descriptions built by hand;
   * the number of servers is then used instead.
   */
  readonly seeds?: readonly string[];
}

/** The wire protocol range this driver speaks (SDAM clientMinWireVersion / clientMaxWireVersion). */
export const MIN_SUPPORTED_WIRE_VERSION = 6; // MongoDB 3.6
export const MAX_SUPPORTED_WIRE_VERSION = 25; // MongoDB 8.0
/** The MongoDB release that introduced MIN_SUPPORTED_WIRE_VERSION, for the compatibility error. */
export const MIN_SUPPORTED_MONGODB_VERSION = '3.6';
/** Name used in compatibility error messages. */
export const DRIVER_NAME = 'mongo-edge';

/** The fields of a description before any server was heard from (the Unknown type, no set, compatible). */
export const NOTHING_KNOWN = Object.freeze({
  type: TopologyType.Unknown,
  setName: null,
  maxSetVersion: null,
  maxElectionId: null,
  compatible: true,
  compatibilityError: null,
  logicalSessionTimeoutMinutes: null,
});

export interface NewTopologyDescriptionOptions {
  /** Seed addresses; normalized (lower-cased, default port) here. */
  readonly seeds: readonly string[];
  /** The replicaSet option, if given. */
  readonly setName?: string | null;
  readonly directConnection?: boolean;
  readonly loadBalanced?: boolean;
  readonly heartbeatFrequencyMS: number;
  readonly localThresholdMS: number;
}

/**
 * The initial TopologyDescription (SDAM "Initial TopologyDescription"): one Unknown
 * server per seed; type LoadBalanced if loadBalanced, else Single if directConnection,
 * else ReplicaSetNoPrimary if a setName is given, else Unknown.
 * Throws MongoInvalidArgumentError for combinations the spec forbids.
 */
export function newTopologyDescription(options: NewTopologyDescriptionOptions): TopologyDescription {
  const seeds = Object.freeze([...new Set(options.seeds.map(normalizeAddress))]);
  const setName = options.setName ?? null;
  const directConnection = options.directConnection === true;
  const loadBalanced = options.loadBalanced === true;
  const conflict =
    directConnection && seeds.length > 1
      ? 'directConnection=true with multiple seeds'
      : loadBalanced && (directConnection || setName !== null)
        ? 'loadBalanced=true with directConnection=true or replicaSet'
        : loadBalanced && seeds.length > 1
          ? 'loadBalanced=true with multiple seeds'
          : null;
  if (conflict) throw new MongoInvalidArgumentError(`Cannot use ${conflict}`);
  return Object.freeze({
    ...NOTHING_KNOWN,
    type: loadBalanced
      ? TopologyType.LoadBalanced
      : directConnection
        ? TopologyType.Single
        : setName !== null
          ? TopologyType.ReplicaSetNoPrimary
          : TopologyType.Unknown,
    setName,
    servers: new Map(seeds.map((seed) => [seed, unknownServerDescription(seed)])),
    stale: false,
    heartbeatFrequencyMS: options.heartbeatFrequencyMS,
    localThresholdMS: options.localThresholdMS,
    seeds,
  });
}
