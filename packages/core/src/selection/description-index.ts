/**
 * What server selection derives from one TopologyDescription, computed once per
 * description. A description is immutable (SDAM apply() returns a new one), so the
 * index is keyed by its identity in a WeakMap: the next description gets a new index
 * and the old one is collected with it. Built lazily, on the first selection that
 * asks for it. Nothing here depends on the clock or on anything outside `td`, so the
 * memo is invisible to callers: the selectors stay pure functions of their input.
 */
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import type { ReadPreference } from './read-preference.js';

/** Distinct selection results kept per description (one per read preference an application uses, typically a few). */
export const MAX_MEMOIZED_SELECTIONS = 64;

export interface DescriptionIndex {
  /** `td.servers` in map order (the order selection returns servers in). */
  readonly servers: readonly ServerDescription[];
  /** The RSPrimary of a ReplicaSetWithPrimary description; undefined otherwise. */
  readonly primary: ServerDescription | undefined;
  /** The greatest lastWriteDate among the secondaries (0 if none), for staleness without a primary. */
  readonly maxSecondaryLastWriteDate: number;
  /** The smallest maxWireVersion among available servers (Infinity if none). */
  readonly minAvailableMaxWireVersion: number;
  /** Selection results by criteria key (see `selectionKey`); filled by select-servers.ts. */
  readonly selections: Map<string, readonly ServerDescription[]>;
}

const indexes = new WeakMap<TopologyDescription, DescriptionIndex>();

/** The index of `td`, built on first use. */
export function descriptionIndex(td: TopologyDescription): DescriptionIndex {
  let index = indexes.get(td);
  if (!index) {
    index = buildIndex(td);
    indexes.set(td, index);
  }
  return index;
}

function buildIndex(td: TopologyDescription): DescriptionIndex {
  const servers = [...td.servers.values()];
  let primary: ServerDescription | undefined;
  let maxSecondaryLastWriteDate = 0;
  let minAvailableMaxWireVersion = Infinity;
  for (const sd of servers) {
    if (sd.type === ServerType.RSPrimary && primary === undefined && td.type === TopologyType.ReplicaSetWithPrimary) primary = sd;
    if (sd.type === ServerType.RSSecondary && (sd.lastWriteDate ?? 0) > maxSecondaryLastWriteDate) {
      maxSecondaryLastWriteDate = sd.lastWriteDate ?? 0;
    }
    if (sd.type !== ServerType.Unknown && sd.type !== ServerType.PossiblePrimary && sd.maxWireVersion < minAvailableMaxWireVersion) {
      minAvailableMaxWireVersion = sd.maxWireVersion;
    }
  }
  return { servers, primary, maxSecondaryLastWriteDate, minAvailableMaxWireVersion, selections: new Map() };
}

const readPreferenceKeys = new WeakMap<ReadPreference, string>();

/**
 * A string that is equal for two read preferences exactly when selection treats them
 * the same (mode, maxStalenessSeconds, tag sets in order). ReadPreference instances are
 * frozen, so the key is computed once per instance.
 */
export function readPreferenceKey(rp: ReadPreference): string {
  let key = readPreferenceKeys.get(rp);
  if (key === undefined) {
    // Entries, not the objects: `{ a: undefined }` must not collide with `{}`.
    key = JSON.stringify([rp.mode, rp.maxStalenessSeconds ?? null, (rp.tags ?? []).map((t) => Object.entries(t))]);
    readPreferenceKeys.set(rp, key);
  }
  return key;
}
