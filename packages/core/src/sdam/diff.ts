/**
 * What changed between two TopologyDescriptions, and the SDAM monitoring events
 * (server-discovery-and-monitoring-logging-and-monitoring) that the owner of the live
 * topology publishes for it. Pure: it only compares snapshots.
 */
import { ServerType, objectIdEquals, serverDescriptionEquals, type ServerDescription } from './server-description.js';
import { NOTHING_KNOWN, type TopologyDescription } from './topology-description.js';
import { keyMirror } from '../util/key-mirror.js';

export interface ServerDescriptionChange {
  readonly address: string;
  readonly previousDescription: ServerDescription;
  readonly newDescription: ServerDescription;
}

/** The SDAM monitoring event names, as the spec spells them. */
export const SdamEventType = keyMirror('serverOpening', 'serverClosed', 'serverDescriptionChanged', 'topologyDescriptionChanged');
export type SdamEventType = (typeof SdamEventType)[keyof typeof SdamEventType];

/** One SDAM event payload, without the topologyId (the owner adds it). */
export type SdamEvent =
  | { readonly type: typeof SdamEventType.serverOpening; readonly address: string }
  | { readonly type: typeof SdamEventType.serverClosed; readonly address: string }
  | ({ readonly type: typeof SdamEventType.serverDescriptionChanged } & ServerDescriptionChange)
  | {
      readonly type: typeof SdamEventType.topologyDescriptionChanged;
      readonly previousDescription: TopologyDescription;
      readonly newDescription: TopologyDescription;
    };

export interface TopologyDescriptionDiff {
  /** Addresses in `next` only: start monitoring them (serverOpening). */
  readonly added: readonly string[];
  /** Addresses in `previous` only: stop monitoring them (serverClosed). */
  readonly removed: readonly string[];
  /**
   * Servers in both whose descriptions differ per Server Description Equality. A change
   * between Unknown and PossiblePrimary alone is not listed: PossiblePrimary is only a
   * scanning hint, synonymous with Unknown for asynchronous clients.
   */
  readonly changed: readonly ServerDescriptionChange[];
  /** True if the topology as a whole differs (type, set fields, compatibility, servers). */
  readonly topologyChanged: boolean;
  /**
   * The events to publish, in order: serverDescriptionChanged for each changed server,
   * serverClosed for each removed one, topologyDescriptionChanged (if changed), then
   * serverOpening for each added one (after the snapshot that holds it is public).
   */
  readonly events: readonly SdamEvent[];
}

/** Compares two snapshots (typically the one before and after applyServerDescription). */
export function diffTopologyDescriptions(
  previous: TopologyDescription,
  next: TopologyDescription,
): TopologyDescriptionDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: ServerDescriptionChange[] = [];
  let serversDiffer = false;
  for (const [address, prev] of previous.servers) {
    const now = next.servers.get(address);
    if (now === undefined) {
      removed.push(address);
      continue;
    }
    if (!serverDescriptionEquals(prev, now)) {
      serversDiffer = true;
      if (!onlyPossiblePrimaryHint(prev, now)) {
        changed.push({ address, previousDescription: prev, newDescription: now });
      }
    }
  }
  for (const address of next.servers.keys()) if (!previous.servers.has(address)) added.push(address);

  const topologyChanged =
    serversDiffer ||
    added.length + removed.length > 0 ||
    COMPARED_FIELDS.some((field) => previous[field] !== next[field]) ||
    !objectIdEquals(previous.maxElectionId, next.maxElectionId);

  const events: SdamEvent[] = [
    ...changed.map((c) => ({ type: SdamEventType.serverDescriptionChanged, ...c })),
    ...removed.map((address) => ({ type: SdamEventType.serverClosed, address })),
    ...(topologyChanged
      ? [{ type: SdamEventType.topologyDescriptionChanged, previousDescription: previous, newDescription: next }]
      : []),
    ...added.map((address) => ({ type: SdamEventType.serverOpening, address })),
  ];
  return {
    added: Object.freeze(added),
    removed: Object.freeze(removed),
    changed: Object.freeze(changed),
    topologyChanged,
    events: Object.freeze(events),
  };
}

/**
 * The description a new topology is announced from: the spec's first
 * topologyDescriptionChanged goes from an Unknown description without servers.
 * `diffTopologyDescriptions(emptyTopologyDescription(td), td).events` gives the
 * construction events (topologyDescriptionChanged, then serverOpening per seed).
 */
export function emptyTopologyDescription(td: TopologyDescription): TopologyDescription {
  return Object.freeze({ ...td, ...NOTHING_KNOWN, servers: new Map<string, ServerDescription>() });
}

/** The topology's own fields compared with `===` (maxElectionId is compared by value). */
const COMPARED_FIELDS = ['type', 'setName', 'maxSetVersion', 'compatible', 'logicalSessionTimeoutMinutes'] as const;

/** For two descriptions that differ: true if only their type does, between Unknown and PossiblePrimary. */
function onlyPossiblePrimaryHint(a: ServerDescription, b: ServerDescription): boolean {
  const hint = (t: ServerType): boolean => t === ServerType.Unknown || t === ServerType.PossiblePrimary;
  return hint(a.type) && hint(b.type) && serverDescriptionEquals({ ...a, type: b.type }, b);
}
