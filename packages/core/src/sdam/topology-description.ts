/**
 * TopologyDescription, as the SDAM spec defines it. Immutable: updates produce a new
 * object (see apply.ts); only sdam/topology.ts holds "the current" one.
 */
import type { ServerDescription } from './server-description.js';

export const TopologyType = Object.freeze({
  Single: 'Single',
  ReplicaSetNoPrimary: 'ReplicaSetNoPrimary',
  ReplicaSetWithPrimary: 'ReplicaSetWithPrimary',
  Sharded: 'Sharded',
  LoadBalanced: 'LoadBalanced',
  Unknown: 'Unknown',
} as const);
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
}
