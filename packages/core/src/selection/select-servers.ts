/**
 * Server selection (Server Selection spec, "Rules for server selection"), pure:
 * a TopologyDescription and criteria in, the suitable servers in the latency window
 * out. `pickServer` then chooses one by "power of two random choices". Waiting for a
 * topology change, timeouts and operationCount bookkeeping belong to the topology.
 */
import { MongoCompatibilityError, MongoInvalidArgumentError } from '../errors.js';
import { assertNever } from '../util/assert-never.js';
import { keyMirror } from '../util/key-mirror.js';
import type { ServerDescription } from '../sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import { descriptionIndex, MAX_MEMOIZED_SELECTIONS, readPreferenceKey } from './description-index.js';
import { ReadPreference, ReadPreferenceMode } from './read-preference.js';
import {
  availableSelector,
  composeSelectors,
  deprioritizedSelector,
  firstNonEmpty,
  IDLE_WRITE_PERIOD_MS,
  isAvailable,
  latencyWindowSelector,
  loadBalancerSelector,
  maxStalenessSelector,
  MIN_MAX_STALENESS_WIRE_VERSION,
  mongosSelector,
  noServers,
  primaryOrSecondarySelector,
  primarySelector,
  secondarySelector,
  SMALLEST_MAX_STALENESS_SECONDS,
  tagSetsSelector,
  type ServerSelector,
} from './selectors.js';

export const SelectionOperation = keyMirror('read', 'write');
export type SelectionOperation = (typeof SelectionOperation)[keyof typeof SelectionOperation];

export interface SelectionCriteria {
  /** Reads only; defaults to primary. Ignored for writes and for Single, Sharded, LoadBalanced. */
  readonly readPreference?: ReadPreference | undefined;
  readonly operation: SelectionOperation;
  /** Addresses to avoid if anything else is suitable (servers that just failed, on retry). */
  readonly deprioritized?: readonly string[] | undefined;
}

/**
 * Checks what the spec requires before selecting. Throws:
 * - MongoCompatibilityError if the topology is incompatible (wire versions), or a read uses
 *   maxStalenessSeconds while an available server is older than wire version 5;
 * - MongoInvalidArgumentError if, on a replica set, maxStalenessSeconds is below 90 or below
 *   (heartbeatFrequencyMS + idleWritePeriodMS) / 1000.
 */
export function validateSelection(td: TopologyDescription, criteria: SelectionCriteria): void {
  if (!td.compatible) {
    throw new MongoCompatibilityError(td.compatibilityError ?? 'Topology is not compatible with this driver');
  }
  const maxStalenessSeconds = criteria.readPreference?.maxStalenessSeconds;
  if (criteria.operation !== SelectionOperation.read || maxStalenessSeconds === undefined) return;
  if (descriptionIndex(td).minAvailableMaxWireVersion < MIN_MAX_STALENESS_WIRE_VERSION) {
    for (const sd of td.servers.values()) {
      if (isAvailable(sd) && sd.maxWireVersion < MIN_MAX_STALENESS_WIRE_VERSION) {
        throw new MongoCompatibilityError(
          `maxStalenessSeconds requires maxWireVersion >= ${MIN_MAX_STALENESS_WIRE_VERSION}, but ${sd.address} has ${sd.maxWireVersion}`,
        );
      }
    }
  }
  const floorMS = td.heartbeatFrequencyMS + IDLE_WRITE_PERIOD_MS;
  if (
    (td.type === TopologyType.ReplicaSetWithPrimary || td.type === TopologyType.ReplicaSetNoPrimary) &&
    (maxStalenessSeconds * 1000 < floorMS || maxStalenessSeconds < SMALLEST_MAX_STALENESS_SECONDS)
  ) {
    throw new MongoInvalidArgumentError(
      `maxStalenessSeconds must be at least ${Math.max(SMALLEST_MAX_STALENESS_SECONDS, floorMS / 1000)} seconds ` +
        `(90, or heartbeatFrequencyMS + 10 s), got ${maxStalenessSeconds}`,
    );
  }
}

/** The candidates of `typeSelector` that are eligible for `rp`: max staleness, then tag sets. */
export function eligibleSelector(typeSelector: ServerSelector, rp: ReadPreference): ServerSelector {
  return composeSelectors(typeSelector, maxStalenessSelector(rp.maxStalenessSeconds), tagSetsSelector(rp.tags));
}

/** Replica-set reads by mode (same rules for ReplicaSetWithPrimary and ReplicaSetNoPrimary); primary by default. */
export function replicaSetReadSelector(rp = ReadPreference.primary): ServerSelector {
  const mode = rp.mode;
  switch (mode) {
    case ReadPreferenceMode.primary:
      return primarySelector;
    case ReadPreferenceMode.secondary:
      return eligibleSelector(secondarySelector, rp);
    case ReadPreferenceMode.nearest:
      return eligibleSelector(primaryOrSecondarySelector, rp);
    case ReadPreferenceMode.primaryPreferred:
      return firstNonEmpty(primarySelector, eligibleSelector(secondarySelector, rp));
    case ReadPreferenceMode.secondaryPreferred:
      return firstNonEmpty(eligibleSelector(secondarySelector, rp), primarySelector);
    default:
      return assertNever(mode);
  }
}

/** The type filter and read-preference steps for this topology type and operation (no deprioritizing, no window). */
export function suitableServersSelector(topologyType: TopologyType, criteria: SelectionCriteria): ServerSelector {
  switch (topologyType) {
    case TopologyType.Unknown:
      return noServers;
    case TopologyType.Single:
      return availableSelector;
    case TopologyType.LoadBalanced:
      return loadBalancerSelector;
    case TopologyType.Sharded:
      return mongosSelector;
    case TopologyType.ReplicaSetWithPrimary:
    case TopologyType.ReplicaSetNoPrimary:
      if (criteria.operation === SelectionOperation.write) return primarySelector;
      return replicaSetReadSelector(criteria.readPreference);
    default:
      return assertNever(topologyType);
  }
}

/**
 * The suitable servers, before the latency window: deprioritized servers are left out
 * if anything else is suitable. Validates first (see `validateSelection`).
 */
export function findSuitableServers(td: TopologyDescription, criteria: SelectionCriteria): ServerDescription[] {
  validateSelection(td, criteria);
  const suitable = deprioritizedSelector(criteria.deprioritized ?? [], suitableServersSelector(td.type, criteria));
  return suitable(td, descriptionIndex(td).servers);
}

/**
 * The suitable servers within the latency window (`min RTT + td.localThresholdMS`);
 * empty if none. Throws on invalid criteria (see `validateSelection`).
 */
export function selectServers(td: TopologyDescription, criteria: SelectionCriteria): ServerDescription[] {
  if (criteria.deprioritized?.length) return latencyWindowSelector()(td, findSuitableServers(td, criteria));
  // Without deprioritized servers the result is a function of the description and the
  // criteria alone, so it is computed once per description (see description-index.ts).
  validateSelection(td, criteria);
  const { selections } = descriptionIndex(td);
  const key = selectionKey(criteria);
  let window = selections.get(key);
  if (!window) {
    window = latencyWindowSelector()(td, suitableServersSelector(td.type, criteria)(td, descriptionIndex(td).servers));
    if (selections.size >= MAX_MEMOIZED_SELECTIONS) selections.clear();
    selections.set(key, window);
  }
  return window.slice();
}

/** Equal for two criteria exactly when selection treats them the same (deprioritized aside). */
function selectionKey(criteria: SelectionCriteria): string {
  if (criteria.operation === SelectionOperation.write) return 'write';
  return `read ${readPreferenceKey(criteria.readPreference ?? ReadPreference.primary)}`;
}

/**
 * "Power of two random choices": two distinct servers chosen at random from the
 * window, the one with fewer operations in flight wins (ties: the first chosen).
 * `random` returns numbers in [0, 1), like Math.random. Undefined if `candidates` is empty.
 */
export function pickServer(
  candidates: readonly ServerDescription[],
  inFlight: (address: string) => number,
  random: () => number,
): ServerDescription | undefined {
  const n = candidates.length;
  if (n < 2) return candidates[0];
  const i = Math.min(n - 1, Math.floor(random() * n));
  let j = Math.min(n - 2, Math.floor(random() * (n - 1)));
  if (j >= i) j += 1;
  const a = candidates[i]!;
  const b = candidates[j]!;
  return inFlight(b.address) < inFlight(a.address) ? b : a;
}
