/**
 * ServerDescription, as the Server Discovery and Monitoring spec defines it.
 * Immutable; built by the functions in sdam/ (from a hello reply, an error, or nothing).
 */
import type { Document } from '../errors.js';

export const ServerType = Object.freeze({
  Standalone: 'Standalone',
  Mongos: 'Mongos',
  PossiblePrimary: 'PossiblePrimary',
  RSPrimary: 'RSPrimary',
  RSSecondary: 'RSSecondary',
  RSArbiter: 'RSArbiter',
  RSOther: 'RSOther',
  RSGhost: 'RSGhost',
  LoadBalancer: 'LoadBalancer',
  Unknown: 'Unknown',
} as const);
export type ServerType = (typeof ServerType)[keyof typeof ServerType];

export interface TopologyVersion {
  /** An ObjectId (bson), compared by its hex string. */
  readonly processId: { toHexString(): string };
  /** int64 counter; kept as bigint. */
  readonly counter: bigint;
}

export interface ServerDescription {
  /** Lower-cased "host:port" (IPv6 as "[::1]:27017"). */
  readonly address: string;
  readonly type: ServerType;
  /** The error that made this description Unknown, if any. */
  readonly error: Error | null;
  /** Exponentially weighted moving average of hello round trips, ms; null if unknown. */
  readonly roundTripTime: number | null;
  /** Minimum RTT over the last samples, ms; null if unknown. */
  readonly minRoundTripTime: number | null;
  /** Milliseconds since epoch of lastWrite.lastWriteDate, or null. */
  readonly lastWriteDate: number | null;
  /** lastWrite.opTime, if reported. */
  readonly opTime: Document | null;
  readonly minWireVersion: number;
  readonly maxWireVersion: number;
  /** "me" as reported (lower-cased), or null. */
  readonly me: string | null;
  /** Lower-cased member addresses. */
  readonly hosts: readonly string[];
  readonly passives: readonly string[];
  readonly arbiters: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly setName: string | null;
  /** An ObjectId or null. */
  readonly electionId: { toHexString(): string } | null;
  readonly setVersion: number | null;
  /** Lower-cased primary address as reported, or null. */
  readonly primary: string | null;
  /** Milliseconds (monotonic clock of the observer) when this description was made. */
  readonly lastUpdateTime: number;
  readonly logicalSessionTimeoutMinutes: number | null;
  readonly topologyVersion: TopologyVersion | null;
  readonly iscryptd: boolean;
  /** Limits the server announced (defaults when not announced). */
  readonly maxBsonObjectSize: number;
  readonly maxMessageSizeBytes: number;
  readonly maxWriteBatchSize: number;
  /** Whether the server reported helloOk: true. */
  readonly helloOk: boolean;
  /** The raw reply this description was built from (null for Unknown). */
  readonly hello: Document | null;
}

export const DATA_BEARING_SERVER_TYPES: ReadonlySet<ServerType> = new Set<ServerType>([
  ServerType.Standalone,
  ServerType.RSPrimary,
  ServerType.RSSecondary,
  ServerType.Mongos,
  ServerType.LoadBalancer,
]);
