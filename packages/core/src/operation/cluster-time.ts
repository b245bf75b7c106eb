/**
 * `$clusterTime` values and their order (Driver Sessions spec, "Gossipping the
 * cluster time"): the type of the document, the BSON Timestamp comparison, and
 * the "keep the highest" rule that both the client-wide gossip
 * (operation/topology-executor.ts) and each ClientSession (client/sessions.ts) apply.
 * Pure; no I/O.
 */
import type { Binary, Long, Timestamp } from 'bson';
import type { Document } from '../errors.js';

export interface ClusterTime {
  clusterTime: Timestamp;
  signature?: { hash: Binary; keyId: Long | number };
  [key: string]: unknown;
}

function tsParts(t: unknown): { high: number; low: number } | undefined {
  if (t === null || typeof t !== 'object') return undefined;
  const o = t as { t?: number; i?: number; high?: number; low?: number };
  if (typeof o.t === 'number' && typeof o.i === 'number') return { high: o.t, low: o.i };
  if (typeof o.high === 'number' && typeof o.low === 'number') return { high: o.high >>> 0, low: o.low >>> 0 };
  return undefined;
}

/** Compare two BSON Timestamps: <0, 0, >0. Unknown shapes compare equal. */
export function compareTimestamps(a: unknown, b: unknown): number {
  const pa = tsParts(a);
  const pb = tsParts(b);
  if (!pa || !pb) return 0;
  return pa.high - pb.high || pa.low - pb.low;
}

/** The later of two $clusterTime documents (either may be absent); `a` on a tie. */
export function laterClusterTime(a: ClusterTime | undefined, b: ClusterTime | undefined): ClusterTime | undefined {
  return !a || (b && compareTimestamps(b.clusterTime, a.clusterTime) > 0) ? b : a;
}

/** `value` if it has the shape of a `$clusterTime` document (as a reply carries it), else undefined. */
export function asClusterTime(value: unknown): ClusterTime | undefined {
  const ct = value as Partial<ClusterTime> | null | undefined;
  return ct !== null && typeof ct === 'object' && ct.clusterTime !== undefined ? (ct as ClusterTime) : undefined;
}

/** The client-wide gossip: the highest `$clusterTime` seen in any reply, monitors' included. */
export class ClusterTimeGossip {
  #current: ClusterTime | undefined;

  get current(): ClusterTime | undefined {
    return this.#current;
  }

  observe(reply: Document | undefined): void {
    this.#current = laterClusterTime(this.#current, asClusterTime(reply?.$clusterTime));
  }
}
