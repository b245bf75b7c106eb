/**
 * Human-readable reasons why server selection found nothing, for MongoServerSelectionError
 * messages, e.g.
 *   "no secondary matches tag sets [{dc:'ny'},{dc:'sf'}]; members: a:27017 RSPrimary {dc:'ny'} 5ms, ..."
 * Pure and total: it never throws (it explains validation errors instead).
 */
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import { ReadPreference, ReadPreferenceMode, type TagSet } from './read-preference.js';
import { assertNever } from '../util/assert-never.js';
import { findSuitableServers, SelectionOperation, type SelectionCriteria } from './select-servers.js';
import {
  maxStalenessSelector,
  primaryOrSecondarySelector,
  secondarySelector,
  stalenessMS,
  tagSetsSelector,
  type ServerSelector,
} from './selectors.js';

const IDENT = /^[A-Za-z_$][\w$]*$/;

function quote(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

/** `{dc:'ny',rack:'2'}`; `{}` for no tags. */
export function formatTags(tags: Readonly<Record<string, string>>): string {
  const parts = Object.entries(tags).map(([k, v]) => `${IDENT.test(k) ? k : quote(k)}:${quote(String(v))}`);
  return `{${parts.join(',')}}`;
}

/** `[{dc:'ny'},{dc:'sf'}]`. */
export function formatTagSets(tagSets: readonly TagSet[]): string {
  return `[${tagSets.map(formatTags).join(',')}]`;
}

/** One member: `a:27017 RSSecondary {dc:'ny'} 5ms`, or `c:27017 Unknown (connection refused)`. */
export function describeServer(sd: ServerDescription): string {
  let s = `${sd.address} ${sd.type}`;
  if (Object.keys(sd.tags).length) s += ` ${formatTags(sd.tags)}`;
  if (sd.roundTripTime !== null && sd.type !== ServerType.Unknown) s += ` ${Math.round(sd.roundTripTime * 10) / 10}ms`;
  if (sd.error) s += ` (${sd.error.message})`;
  return s;
}

/** Members an explanation lists; a set may have thousands (the message would run to megabytes). */
export const MAX_LISTED_MEMBERS = 20;

function membersText(td: TopologyDescription): string {
  if (td.servers.size === 0) return 'no servers known';
  const listed: string[] = [];
  for (const sd of td.servers.values()) {
    if (listed.length === MAX_LISTED_MEMBERS) break;
    listed.push(describeServer(sd));
  }
  const more = td.servers.size - listed.length;
  return `members: ${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

function replicaSetName(td: TopologyDescription): string {
  return td.setName ? `replica set '${td.setName}'` : 'the replica set';
}

/** Why a secondary-style selection (candidates, max staleness, tag sets) found nothing. */
function eligibilityReason(td: TopologyDescription, rp: ReadPreference, noun: string, candidatesOf: ServerSelector): string {
  const candidates = candidatesOf(td, [...td.servers.values()]);
  if (candidates.length === 0) return `no ${noun} is available`;
  const fresh = maxStalenessSelector(rp.maxStalenessSeconds)(td, candidates);
  if (fresh.length === 0) {
    const estimates = candidates.map((sd) => `${sd.address} ${Math.round(stalenessMS(td, sd) / 1000)}s`).join(', ');
    return `no ${noun} is within maxStalenessSeconds=${rp.maxStalenessSeconds} (estimated staleness: ${estimates})`;
  }
  const tagged = tagSetsSelector(rp.tags)(td, fresh);
  if (tagged.length === 0 && rp.tags) {
    const scope = fresh.length < candidates.length ? ` within maxStalenessSeconds=${rp.maxStalenessSeconds}` : '';
    return `no ${noun}${scope} matches tag sets ${formatTagSets(rp.tags)}`;
  }
  return `no ${noun} is eligible`;
}

function replicaSetReadReason(td: TopologyDescription, rp = ReadPreference.primary): string {
  const noPrimary = `${replicaSetName(td)} has no primary`;
  const secondaries = (): string => eligibilityReason(td, rp, 'secondary', secondarySelector);
  const mode = rp.mode;
  switch (mode) {
    case ReadPreferenceMode.primary:
      return `read preference primary needs a primary, but ${noPrimary}`;
    case ReadPreferenceMode.secondary:
      return secondaries();
    case ReadPreferenceMode.nearest:
      return eligibilityReason(td, rp, 'primary or secondary', primaryOrSecondarySelector);
    case ReadPreferenceMode.primaryPreferred:
      return `${noPrimary}, and ${secondaries()}`;
    case ReadPreferenceMode.secondaryPreferred:
      return `${secondaries()}, and ${noPrimary}`;
    default:
      return assertNever(mode);
  }
}

function reason(td: TopologyDescription, criteria: SelectionCriteria): string {
  const topologyType = td.type;
  switch (topologyType) {
    case TopologyType.Unknown:
      return 'topology type is Unknown: no server is suitable until the deployment type is discovered';
    case TopologyType.Single: {
      const sd = [...td.servers.values()][0];
      if (!sd) return 'topology type Single has no server';
      return `the single server ${sd.address} is not available (${sd.type}${sd.error ? `: ${sd.error.message}` : ''})`;
    }
    case TopologyType.LoadBalanced:
      return 'no load balancer is available';
    case TopologyType.Sharded:
      return `no mongos is available for a ${criteria.operation}`;
    case TopologyType.ReplicaSetWithPrimary:
    case TopologyType.ReplicaSetNoPrimary:
      if (criteria.operation === SelectionOperation.write) return `a write needs a primary, but ${replicaSetName(td)} has no primary`;
      return replicaSetReadReason(td, criteria.readPreference);
    default:
      return assertNever(topologyType);
  }
}

/**
 * Explains why `selectServers(td, criteria)` finds no server: the first selection step
 * that left nothing (topology type, server types, max staleness, tag sets), followed by
 * every member with its type, tags, RTT and error. If servers are in fact suitable, says so.
 */
export function explainNoSuitableServer(td: TopologyDescription, criteria: SelectionCriteria): string {
  const members = membersText(td);
  let suitable: ServerDescription[];
  try {
    suitable = findSuitableServers(td, criteria); // validates first
  } catch (e) {
    // Only the validation errors (MongoError subclasses) can be thrown here.
    return `${(e as Error).message}; ${members}`;
  }
  if (suitable.length > 0) {
    return `${suitable.length} suitable server(s): ${suitable.map((sd) => sd.address).join(', ')}; ${members}`;
  }
  return `${reason(td, criteria)}; ${members}`;
}
