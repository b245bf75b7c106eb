/**
 * The SDAM state machine as one pure function: `applyServerDescription(td, sd)`
 * returns the next TopologyDescription (a new frozen object; the input is never
 * modified) plus what the owner of the live topology must do about it. No timers,
 * events or I/O here: sdam/topology.ts swaps the snapshot, diffs it (diff.ts) and
 * acts.
 *
 * Section names below are the spec's ("Updating the TopologyDescription").
 */
import { DriverErrorCode, MongoDriverError } from '../errors.js';
import {
  DATA_BEARING_SERVER_TYPES,
  ServerType,
  compareObjectIds,
  compareTopologyVersion,
  unknownServerDescription,
  type ServerDescription,
} from './server-description.js';
import {
  DRIVER_NAME,
  MAX_SUPPORTED_WIRE_VERSION,
  MIN_SUPPORTED_MONGODB_VERSION,
  MIN_SUPPORTED_WIRE_VERSION,
  TopologyType,
  type TopologyDescription,
} from './topology-description.js';
import { keyMirror } from '../util/key-mirror.js';
import { assertNever } from '../util/assert-never.js';

/** Why a server description was not applied. */
/**
 * - NotInTopology: the server is not (or no longer) in the topology: its outcome must be ignored.
 * - StaleTopologyVersion: its topologyVersion is older than the one already known for the server.
 */
export const IgnoredReason = keyMirror('NotInTopology', 'StaleTopologyVersion');
export type IgnoredReason = (typeof IgnoredReason)[keyof typeof IgnoredReason];

/** A former RSPrimary replaced by Unknown because a newer primary was found. */
export interface InvalidatedPrimary {
  readonly address: string;
  /** True if the old primary is MongoDB 4.0 or older (maxWireVersion <= 7): clear its pool. */
  readonly clearPool: boolean;
}

export interface ApplyServerDescriptionResult {
  /** The next description; the very same object as the input when `ignored` is set. */
  readonly topologyDescription: TopologyDescription;
  readonly ignored: IgnoredReason | null;
  /** Former primaries to re-check at once (multi-threaded clients MUST request an immediate check). */
  readonly invalidatedPrimaries: readonly InvalidatedPrimary[];
}

/** Pools of servers older than 4.2 (wire version 8) are cleared on "not primary" and stale-primary events. */
export const WIRE_VERSION_4_2 = 8;
/** From MongoDB 6.0 (wire version 17) primaries are ordered by electionId first, then setVersion. */
export const WIRE_VERSION_6_0 = 17;

/** Message substrings the spec (and its tests) expect in the error of an invalidated primary. */
export const STALE_PRIMARY_MISMATCH_MESSAGE = 'primary marked stale due to electionId/setVersion mismatch';
export const STALE_PRIMARY_NEWER_PRIMARY_MESSAGE = 'primary marked stale due to discovery of newer primary';

/**
 * Applies one check outcome (a ServerDescription) to the topology, following the
 * SDAM TopologyType table. Outcomes for servers not in the topology, and outcomes
 * whose topologyVersion is older than the known one, are ignored.
 */
export function applyServerDescription(td: TopologyDescription, sd: ServerDescription): ApplyServerDescriptionResult {
  const current = td.servers.get(sd.address);
  const ignored =
    current === undefined
      ? IgnoredReason.NotInTopology
      : compareTopologyVersion(current.topologyVersion, sd.topologyVersion) > 0
        ? IgnoredReason.StaleTopologyVersion
        : null;
  if (ignored) return { topologyDescription: td, ignored, invalidatedPrimaries: [] };

  const d: Draft = { ...td, servers: new Map(td.servers), seedCount: td.seeds?.length ?? td.servers.size, invalidated: [] };
  d.servers.set(sd.address, sd);

  switch (td.type) {
    case TopologyType.Single:
      verifySetNameWithSingle(d, sd);
      break;
    case TopologyType.LoadBalanced:
      break;
    case TopologyType.Unknown:
      fromUnknown(d, sd);
      break;
    case TopologyType.Sharded:
      fromSharded(d, sd);
      break;
    case TopologyType.ReplicaSetNoPrimary:
      fromReplicaSetNoPrimary(d, sd);
      break;
    case TopologyType.ReplicaSetWithPrimary:
      fromReplicaSetWithPrimary(d, sd);
      break;
    default:
      return assertNever(td.type);
  }
  const { seedCount, invalidated, ...next } = d;
  const compatibilityError = checkCompatibility(d.servers);
  return {
    topologyDescription: Object.freeze({
      ...next,
      compatible: compatibilityError === null,
      compatibilityError,
      logicalSessionTimeoutMinutes: logicalSessionTimeoutMinutes(d.servers),
    }),
    ignored,
    invalidatedPrimaries: Object.freeze(invalidated),
  };
}

// ---------------------------------------------------------------- the table, by TopologyType

/** The next description while the table runs: mutable, with the bookkeeping the actions need. */
type Draft = { -readonly [K in keyof TopologyDescription]: TopologyDescription[K] } & {
  servers: Map<string, ServerDescription>;
  readonly seedCount: number;
  readonly invalidated: InvalidatedPrimary[];
};

function fromUnknown(d: Draft, sd: ServerDescription): void {
  switch (sd.type) {
    case ServerType.Unknown:
    case ServerType.PossiblePrimary:
    case ServerType.RSGhost: // TopologyType remains Unknown when an RSGhost is discovered
      return;
    case ServerType.Standalone:
      return updateUnknownWithStandalone(d, sd);
    case ServerType.Mongos:
      d.type = TopologyType.Sharded;
      return;
    case ServerType.RSPrimary:
      d.type = TopologyType.ReplicaSetWithPrimary;
      return updateRSFromPrimary(d, sd);
    case ServerType.RSSecondary:
    case ServerType.RSArbiter:
    case ServerType.RSOther:
      d.type = TopologyType.ReplicaSetNoPrimary;
      return updateRSWithoutPrimary(d, sd);
    case ServerType.LoadBalancer:
      // Only load-balanced topologies hold load balancers.
      d.servers.delete(sd.address);
      return;
    default:
      return assertNever(sd.type);
  }
}

function fromSharded(d: Draft, sd: ServerDescription): void {
  switch (sd.type) {
    case ServerType.Unknown:
    case ServerType.PossiblePrimary:
    case ServerType.Mongos:
      return;
    case ServerType.Standalone:
    case ServerType.RSPrimary:
    case ServerType.RSSecondary:
    case ServerType.RSArbiter:
    case ServerType.RSOther:
    case ServerType.RSGhost:
    case ServerType.LoadBalancer:
      d.servers.delete(sd.address);
      return;
    default:
      return assertNever(sd.type);
  }
}

function fromReplicaSetNoPrimary(d: Draft, sd: ServerDescription): void {
  switch (sd.type) {
    case ServerType.Unknown:
    case ServerType.PossiblePrimary:
    case ServerType.RSGhost:
      return;
    case ServerType.Standalone:
    case ServerType.Mongos:
    case ServerType.LoadBalancer:
      d.servers.delete(sd.address);
      return;
    case ServerType.RSPrimary:
      d.type = TopologyType.ReplicaSetWithPrimary;
      return updateRSFromPrimary(d, sd);
    case ServerType.RSSecondary:
    case ServerType.RSArbiter:
    case ServerType.RSOther:
      return updateRSWithoutPrimary(d, sd);
    default:
      return assertNever(sd.type);
  }
}

function fromReplicaSetWithPrimary(d: Draft, sd: ServerDescription): void {
  switch (sd.type) {
    case ServerType.Unknown:
    case ServerType.PossiblePrimary:
    case ServerType.RSGhost:
      return checkIfHasPrimary(d);
    case ServerType.Standalone:
    case ServerType.Mongos:
    case ServerType.LoadBalancer:
      d.servers.delete(sd.address);
      return checkIfHasPrimary(d);
    case ServerType.RSPrimary:
      return updateRSFromPrimary(d, sd);
    case ServerType.RSSecondary:
    case ServerType.RSArbiter:
    case ServerType.RSOther:
      return updateRSWithPrimaryFromMember(d, sd);
    default:
      return assertNever(sd.type);
  }
}

// ---------------------------------------------------------------- actions

/** "Verifying setName with TopologyType Single". */
function verifySetNameWithSingle(d: Draft, sd: ServerDescription): void {
  if (d.setName !== null && sd.type !== ServerType.Unknown && sd.setName !== d.setName) {
    const actual = sd.setName === null ? 'reports no replica set name' : `is in replica set ${sd.setName}`;
    markUnknown(d, sd, sd.address, `Server ${sd.address} ${actual}, but replicaSet=${d.setName} was requested`);
  }
}

function updateUnknownWithStandalone(d: Draft, sd: ServerDescription): void {
  if (d.seedCount === 1) d.type = TopologyType.Single;
  else d.servers.delete(sd.address);
}

function updateRSWithoutPrimary(d: Draft, sd: ServerDescription): void {
  d.setName ??= sd.setName;
  if (d.setName !== sd.setName) {
    d.servers.delete(sd.address);
    return;
  }
  addMembers(d, sd);
  if (sd.primary !== null) markPossiblePrimary(d, sd.primary);
  if (sd.me !== null && sd.address !== sd.me) d.servers.delete(sd.address);
}

function updateRSWithPrimaryFromMember(d: Draft, sd: ServerDescription): void {
  if (d.setName !== sd.setName || (sd.me !== null && sd.address !== sd.me)) {
    d.servers.delete(sd.address);
    checkIfHasPrimary(d);
  } else if (!hasPrimary(d)) {
    d.type = TopologyType.ReplicaSetNoPrimary;
    if (sd.primary !== null) markPossiblePrimary(d, sd.primary);
  }
}

function updateRSFromPrimary(d: Draft, sd: ServerDescription): void {
  d.setName ??= sd.setName;
  if (d.setName !== sd.setName) {
    d.servers.delete(sd.address);
  } else if (isStalePrimary(d, sd)) {
    markUnknown(d, sd, sd.address, STALE_PRIMARY_MISMATCH_MESSAGE);
  } else {
    for (const [address, server] of d.servers) {
      if (address !== sd.address && server.type === ServerType.RSPrimary) {
        markUnknown(d, sd, address, STALE_PRIMARY_NEWER_PRIMARY_MESSAGE);
        d.invalidated.push({ address, clearPool: server.maxWireVersion < WIRE_VERSION_4_2 });
      }
    }
    const members = addMembers(d, sd);
    for (const address of d.servers.keys()) if (!members.has(address)) d.servers.delete(address);
  }
  checkIfHasPrimary(d);
}

/** Replaces the server at `address` by Unknown with an error (as of the check that showed the problem). */
function markUnknown(d: Draft, sd: ServerDescription, address: string, message: string): void {
  const error = new MongoDriverError(message, DriverErrorCode.Runtime);
  d.servers.set(address, unknownServerDescription(address, error, { now: sd.lastUpdateTime }));
}

/**
 * "Using electionId and setVersion to detect stale primaries". Records the new
 * maxElectionId / maxSetVersion when the primary is not stale.
 */
function isStalePrimary(d: Draft, sd: ServerDescription): boolean {
  if (sd.maxWireVersion >= WIRE_VERSION_6_0) {
    // (electionId, setVersion) ordered as a tuple, electionId first; null sorts lowest.
    const byElection = compareObjectIds(sd.electionId, d.maxElectionId);
    const olderSetVersion = d.maxSetVersion !== null && (sd.setVersion === null || sd.setVersion < d.maxSetVersion);
    if (byElection < 0 || (byElection === 0 && olderSetVersion)) return true;
    d.maxElectionId = sd.electionId;
    d.maxSetVersion = sd.setVersion;
    return false;
  }
  // Before 6.0: setVersion first, then electionId; only when both sides have both.
  if (sd.setVersion !== null && sd.electionId !== null) {
    if (
      d.maxSetVersion !== null &&
      d.maxElectionId !== null &&
      (d.maxSetVersion > sd.setVersion ||
        (d.maxSetVersion === sd.setVersion && compareObjectIds(d.maxElectionId, sd.electionId) > 0))
    ) {
      return true;
    }
    d.maxElectionId = sd.electionId;
  }
  if (sd.setVersion !== null && (d.maxSetVersion === null || sd.setVersion > d.maxSetVersion)) {
    d.maxSetVersion = sd.setVersion;
  }
  return false;
}

/**
 * Adds the members `sd` lists that the topology does not know yet; returns all it
 * lists, as a set (a hello may list thousands: membership tests stay O(1)).
 */
function addMembers(d: Draft, sd: ServerDescription): ReadonlySet<string> {
  const members = new Set<string>();
  for (const list of [sd.hosts, sd.passives, sd.arbiters]) {
    for (const address of list) {
      members.add(address);
      if (!d.servers.has(address)) d.servers.set(address, unknownServerDescription(address, null, { now: sd.lastUpdateTime }));
    }
  }
  return members;
}

/** Single-threaded clients scan a PossiblePrimary first; for others it is a hint, like Unknown. */
function markPossiblePrimary(d: Draft, address: string): void {
  const server = d.servers.get(address);
  if (server !== undefined && server.type === ServerType.Unknown) {
    d.servers.set(address, Object.freeze({ ...server, type: ServerType.PossiblePrimary }));
  }
}

function hasPrimary(d: Draft): boolean {
  for (const s of d.servers.values()) if (s.type === ServerType.RSPrimary) return true;
  return false;
}

function checkIfHasPrimary(d: Draft): void {
  d.type = hasPrimary(d) ? TopologyType.ReplicaSetWithPrimary : TopologyType.ReplicaSetNoPrimary;
}

// ---------------------------------------------------------------- derived fields

/** "Checking wire protocol compatibility": the first incompatible server's message, or null. */
export function checkCompatibility(servers: ReadonlyMap<string, ServerDescription>): string | null {
  for (const sd of servers.values()) {
    if (sd.type === ServerType.Unknown || sd.type === ServerType.PossiblePrimary || sd.type === ServerType.LoadBalancer) {
      continue;
    }
    // The spec's two messages.
    const problem =
      sd.minWireVersion > MAX_SUPPORTED_WIRE_VERSION
        ? `requires wire version ${sd.minWireVersion}, but this version of ${DRIVER_NAME} only supports up to ${MAX_SUPPORTED_WIRE_VERSION}`
        : sd.maxWireVersion < MIN_SUPPORTED_WIRE_VERSION
          ? `reports wire version ${sd.maxWireVersion}, but this version of ${DRIVER_NAME} requires at least ${MIN_SUPPORTED_WIRE_VERSION} (MongoDB ${MIN_SUPPORTED_MONGODB_VERSION})`
          : null;
    if (problem) return `Server at ${sd.address} ${problem}.`;
  }
  return null;
}

/** "Logical Session Timeout": the minimum over data-bearing servers; null if any of them has none. */
export function logicalSessionTimeoutMinutes(servers: ReadonlyMap<string, ServerDescription>): number | null {
  // One pass, no spread into Math.min: a set may have thousands of members.
  let min: number | null = null;
  for (const sd of servers.values()) {
    if (!DATA_BEARING_SERVER_TYPES.has(sd.type)) continue;
    if (sd.logicalSessionTimeoutMinutes === null) return null;
    min = min === null ? sd.logicalSessionTimeoutMinutes : Math.min(min, sd.logicalSessionTimeoutMinutes);
  }
  return min;
}

// ---------------------------------------------------------------- helpers
