/**
 * Server selectors: pure functions `(td, candidates) -> candidates`, each one step of
 * the Server Selection spec. `select-servers.ts` composes them in the spec's order:
 * type filter, max staleness, tag sets, (deprioritized), latency window.
 */
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import type { TopologyDescription } from '../sdam/topology-description.js';
import { descriptionIndex } from './description-index.js';
import type { TagSet } from './read-preference.js';

export type ServerSelector = (
  td: TopologyDescription,
  candidates: readonly ServerDescription[],
) => ServerDescription[];

/** How often an idle primary writes a no-op to the oplog (Max Staleness spec). */
export const IDLE_WRITE_PERIOD_MS = 10_000;
/** smallestMaxStalenessSeconds (Server Selection spec). */
export const SMALLEST_MAX_STALENESS_SECONDS = 90;
/** Servers older than this cannot report lastWriteDate, so maxStalenessSeconds cannot be used. */
export const MIN_MAX_STALENESS_WIRE_VERSION = 5;
/** localThresholdMS default. */
export const DEFAULT_LOCAL_THRESHOLD_MS = 15;

/** "Available": believed reachable. Unknown and PossiblePrimary servers are not. */
export function isAvailable(sd: ServerDescription): boolean {
  return sd.type !== ServerType.Unknown && sd.type !== ServerType.PossiblePrimary;
}

// ------------------------------------------------------------------ composition

/** Runs selectors left to right, each on the previous one's output. */
export function composeSelectors(...selectors: readonly ServerSelector[]): ServerSelector {
  return (td, candidates) => selectors.reduce<ServerDescription[]>((out, s) => s(td, out), [...candidates]);
}

/** Tries selectors in order on the same candidates; the first non-empty result wins. */
export function firstNonEmpty(...selectors: readonly ServerSelector[]): ServerSelector {
  return (td, candidates) => {
    for (const s of selectors) {
      const out = s(td, candidates);
      if (out.length > 0) return out;
    }
    return [];
  };
}

export const noServers: ServerSelector = () => [];

// ------------------------------------------------------------------ type filters

/** Keeps candidates whose type is one of `types`. */
export function serverTypeSelector(...types: readonly ServerType[]): ServerSelector {
  const set = new Set<ServerType>(types);
  return (_td, candidates) => candidates.filter((sd) => set.has(sd.type));
}

export const primarySelector: ServerSelector = serverTypeSelector(ServerType.RSPrimary);
export const secondarySelector: ServerSelector = serverTypeSelector(ServerType.RSSecondary);
/** Mode nearest: the primary and all secondaries are candidates. */
export const primaryOrSecondarySelector: ServerSelector = serverTypeSelector(ServerType.RSPrimary, ServerType.RSSecondary);
export const mongosSelector: ServerSelector = serverTypeSelector(ServerType.Mongos);
export const loadBalancerSelector: ServerSelector = serverTypeSelector(ServerType.LoadBalancer);
/** Topology Single: the server, of any type, if it is available. */
export const availableSelector: ServerSelector = (_td, candidates) => candidates.filter(isAvailable);

// ------------------------------------------------------------------ max staleness

/**
 * A secondary's estimated staleness in milliseconds (Max Staleness spec); 0 for any
 * other server type. With a known primary P:
 * `(S.lastUpdateTime - S.lastWriteDate) - (P.lastUpdateTime - P.lastWriteDate) + heartbeatFrequencyMS`;
 * without one, against the secondary SMax with the greatest lastWriteDate:
 * `SMax.lastWriteDate - S.lastWriteDate + heartbeatFrequencyMS`.
 * Reference servers come from the whole topology, not from the candidate list.
 */
export function stalenessMS(td: TopologyDescription, sd: ServerDescription): number {
  if (sd.type !== ServerType.RSSecondary) return 0;
  // The reference servers are found once per description (see description-index.ts).
  const { primary, maxSecondaryLastWriteDate } = descriptionIndex(td);
  const sLastWrite = sd.lastWriteDate ?? 0;
  if (primary) {
    return (sd.lastUpdateTime - sLastWrite) - (primary.lastUpdateTime - (primary.lastWriteDate ?? 0)) + td.heartbeatFrequencyMS;
  }
  return Math.max(maxSecondaryLastWriteDate, sLastWrite) - sLastWrite + td.heartbeatFrequencyMS;
}

/** Keeps candidates no staler than `maxStalenessSeconds`; all of them if it is unset or -1. */
export function maxStalenessSelector(maxStalenessSeconds: number | undefined): ServerSelector {
  if (maxStalenessSeconds === undefined || maxStalenessSeconds < 0) return keepAll;
  return (td, candidates) => candidates.filter((sd) => stalenessMS(td, sd) <= maxStalenessSeconds * 1000);
}

const keepAll: ServerSelector = (_td, candidates) => [...candidates];

// ------------------------------------------------------------------ tag sets

/** True if every tag of the read preference tag set `tagSet` is on the server (`tagSet ⊆ serverTags`). */
export function tagSetMatches(tagSet: TagSet, serverTags: Readonly<Record<string, string>>): boolean {
  for (const k in tagSet) {
    if (!Object.hasOwn(tagSet, k)) continue;
    if (!Object.hasOwn(serverTags, k) || serverTags[k] !== tagSet[k]) return false;
  }
  return true;
}

/**
 * Tag sets tried in order: the candidates matching the first tag set that matches any
 * candidate. An empty or absent list keeps every candidate; `{}` matches every server;
 * a list that matches nothing keeps nothing.
 */
export function tagSetsSelector(tagSets: readonly TagSet[] | undefined): ServerSelector {
  if (!tagSets || tagSets.length === 0) return keepAll;
  return firstNonEmpty(
    ...tagSets.map((tagSet): ServerSelector => (_td, candidates) => candidates.filter((sd) => tagSetMatches(tagSet, sd.tags))),
  );
}

// ------------------------------------------------------------------ deprioritized

/**
 * Deprioritized servers (retries): run `inner` on the candidates minus the deprioritized
 * ones; if that yields nothing, run it again on all candidates. This wraps the
 * suitability step rather than following it, because the spec filters addresses out
 * before finding suitable servers (so a deprioritized primary lets primaryPreferred
 * fall through to the secondaries).
 */
export function deprioritizedSelector(deprioritized: readonly string[], inner: ServerSelector): ServerSelector {
  if (deprioritized.length === 0) return inner;
  // Addresses compare case-insensitively.
  const avoid = new Set(deprioritized.map((a) => a.toLowerCase()));
  return (td, candidates) => {
    const preferred = inner(td, candidates.filter((sd) => !avoid.has(sd.address.toLowerCase())));
    return preferred.length > 0 ? preferred : inner(td, candidates);
  };
}

// ------------------------------------------------------------------ latency window

/** Average RTT used for the window; a server without one counts as 0 ms. */
export function rttOf(sd: ServerDescription): number {
  return sd.roundTripTime ?? 0;
}

/**
 * The latency window: candidates whose average RTT is within `localThresholdMS` of the
 * fastest candidate (`min <= rtt <= min + localThresholdMS`). Uses `td.localThresholdMS`
 * unless a threshold is given.
 */
export function latencyWindowSelector(localThresholdMS?: number): ServerSelector {
  return (td, candidates) => {
    if (candidates.length <= 1) return [...candidates];
    const threshold = localThresholdMS ?? td.localThresholdMS ?? DEFAULT_LOCAL_THRESHOLD_MS;
    let min = Infinity;
    for (const sd of candidates) min = Math.min(min, rttOf(sd));
    return candidates.filter((sd) => rttOf(sd) <= min + threshold);
  };
}
