/**
 * SDAM "Error handling" as pure functions: what an error seen by an application
 * operation (or by a monitor's check) does to the topology. They return the next
 * TopologyDescription and flags; the owner of the live topology clears pools,
 * cancels or requests checks. Pool clearing must happen together with the swap of
 * the description (the spec's "synchronize clearing a server's pool with updating
 * the topology"): in JavaScript, in the same synchronous turn.
 */
import {
  MongoAuthError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoPoolClearedError,
  MongoServerError,
  SHUTDOWN_CODES,
  isMongoError,
  isNetworkTimeoutError,
  isStateChangeError,
} from '../errors.js';
import { WIRE_VERSION_4_2, applyServerDescription } from './apply.js';
import {
  compareTopologyVersion,
  normalizeAddress,
  parseTopologyVersion,
  unknownServerDescription,
  type TopologyVersion,
  type UnknownServerDescriptionOptions,
} from './server-description.js';
import { TopologyType, type TopologyDescription } from './topology-description.js';
import { keyMirror } from '../util/key-mirror.js';

/**
 * What handleApplicationError decided:
 * - NotInTopology: the server is not in the topology.
 * - StaleGeneration: the error's generation is older than the pool's: the pool was cleared since.
 * - StaleTopologyVersion: the error's topologyVersion is not newer than the server's.
 * - StateChange: "not writable primary" / "node is recovering".
 * - NetworkError: a network error, or any error before the handshake completed: server marked
 *   Unknown, pool cleared.
 * - IgnoredTimeout: a network timeout after the handshake: a slow operation, not a dead server.
 * - IgnoredOverloaded: a connection-establishment error labelled SystemOverloadedError (Client
 *   Backpressure / CMAP): the server is overloaded, not gone; keep its description and its pool.
 * - NoEffect: any other error (e.g. a plain command error or write error): no SDAM effect.
 */
export const ApplicationErrorOutcome = keyMirror(
  'NotInTopology',
  'StaleGeneration',
  'StaleTopologyVersion',
  'StateChange',
  'NetworkError',
  'IgnoredTimeout',
  'IgnoredOverloaded',
  'NoEffect',
);
export type ApplicationErrorOutcome = (typeof ApplicationErrorOutcome)[keyof typeof ApplicationErrorOutcome];

export interface ApplicationErrorContext {
  /** The server the operation ran on. */
  readonly address: string;
  readonly error: unknown;
  /**
   * The error's generation number: the generation of the connection the error
   * happened on, or of the pool when the connection attempt started.
   */
  readonly generation: number;
  /** The pool's current generation. */
  readonly poolGeneration: number;
  /** maxWireVersion of the connection; defaults to the server description's. */
  readonly maxWireVersion?: number;
  /** True if the error happened before the connection's handshake completed. Defaults to `error.beforeHandshake`. */
  readonly beforeHandshake?: boolean;
  /** The error reply's topologyVersion; defaults to the one in the error (MongoServerError). */
  readonly topologyVersion?: TopologyVersion | null;
  /** Observer clock for lastUpdateTime of the Unknown description. */
  readonly now?: number;
}

export interface ApplicationErrorResult {
  /** The next description; the same object as the input when nothing changed. */
  readonly topologyDescription: TopologyDescription;
  readonly outcome: ApplicationErrorOutcome;
  /** Clear the server's pool (in load-balanced mode: the pool of the error's serviceId). */
  readonly clearPool: boolean;
  /** Also close connections in use when clearing (only monitor timeouts ask for this). */
  readonly interruptInUseConnections: boolean;
  /** Ask the server's monitor to check now (state change errors). */
  readonly requestImmediateCheck: boolean;
  /** Cancel the monitor's in-progress check (network errors). */
  readonly cancelCheck: boolean;
}

/**
 * Handles an error from an application operation (SDAM "Application errors"):
 * - a stale error (older generation, or topologyVersion not newer) changes nothing;
 * - a state change error marks the server Unknown (unless load-balanced), stores the
 *   error's topologyVersion, clears the pool if the node is shutting down or older than
 *   4.2, and requests an immediate check;
 * - a network error (not a timeout), or any error before the handshake completed
 *   (timeouts, auth errors), marks the server Unknown (unless load-balanced) and clears
 *   the pool; a timeout after the handshake changes nothing;
 * - a connection-establishment error labelled SystemOverloadedError changes nothing.
 */
export function handleApplicationError(td: TopologyDescription, ctx: ApplicationErrorContext): ApplicationErrorResult {
  const address = normalizeAddress(ctx.address);
  const server = td.servers.get(address);
  if (server === undefined) return noChange(td, ApplicationErrorOutcome.NotInTopology);
  if (ctx.generation < ctx.poolGeneration) return noChange(td, ApplicationErrorOutcome.StaleGeneration);

  const error = ctx.error;
  // Defaults to the topologyVersion of the server's error reply.
  const topologyVersion =
    ctx.topologyVersion !== undefined
      ? ctx.topologyVersion
      : parseTopologyVersion(error instanceof MongoServerError ? (error.errorResponse.topologyVersion ?? error.topologyVersion) : null);
  if (compareTopologyVersion(server.topologyVersion, topologyVersion) >= 0) {
    return noChange(td, ApplicationErrorOutcome.StaleTopologyVersion);
  }
  const loadBalanced = td.type === TopologyType.LoadBalanced;
  const beforeHandshake = ctx.beforeHandshake ?? (error instanceof MongoNetworkError && error.beforeHandshake);
  /** The next description with the server Unknown (load-balanced mode keeps its LoadBalancer). */
  const markUnknown = (options: UnknownServerDescriptionOptions): TopologyDescription =>
    loadBalanced
      ? td
      : applyServerDescription(td, unknownServerDescription(address, error instanceof Error ? error : new Error(String(error)), options))
          .topologyDescription;

  if (error instanceof MongoServerError && isStateChangeError(error)) {
    return {
      ...noChange(markUnknown({ topologyVersion, now: ctx.now }), ApplicationErrorOutcome.StateChange),
      clearPool: SHUTDOWN_CODES.has(error.code) || (ctx.maxWireVersion ?? server.maxWireVersion) < WIRE_VERSION_4_2,
      requestImmediateCheck: true,
    };
  }

  if (isMongoError(error) && error.hasErrorLabel(MongoErrorLabel.SystemOverloadedError)) {
    return noChange(td, ApplicationErrorOutcome.IgnoredOverloaded);
  }
  if (error instanceof MongoPoolClearedError) {
    // The pool was already cleared by whoever made the server Unknown.
    return noChange(td, ApplicationErrorOutcome.NoEffect);
  }
  const isNetwork = error instanceof MongoNetworkError;
  if (isNetwork && isNetworkTimeoutError(error) && !beforeHandshake) {
    return noChange(td, ApplicationErrorOutcome.IgnoredTimeout);
  }
  if (isNetwork || (beforeHandshake && (error instanceof MongoAuthError || error instanceof MongoServerError))) {
    return {
      ...noChange(markUnknown({ now: ctx.now }), ApplicationErrorOutcome.NetworkError),
      clearPool: true,
      cancelCheck: !loadBalanced,
    };
  }
  return noChange(td, ApplicationErrorOutcome.NoEffect);
}

export interface CheckFailureContext {
  readonly address: string;
  /** The error of the failed check (after the monitor's one retry, if it retried). */
  readonly error: Error;
  readonly now?: number;
}

export interface CheckFailureResult {
  readonly topologyDescription: TopologyDescription;
  readonly clearPool: boolean;
  readonly interruptInUseConnections: boolean;
}

/**
 * A monitor's check failed (Server Monitoring "Network or command error during
 * server check"): the server becomes Unknown and its pool is cleared; after a
 * network timeout the pool's in-use connections are interrupted too.
 */
export function handleCheckFailure(td: TopologyDescription, ctx: CheckFailureContext): CheckFailureResult {
  const address = normalizeAddress(ctx.address);
  if (!td.servers.has(address)) {
    return { topologyDescription: td, clearPool: false, interruptInUseConnections: false };
  }
  const next = applyServerDescription(td, unknownServerDescription(address, ctx.error, { now: ctx.now }));
  if (next.ignored !== null) return { topologyDescription: td, clearPool: false, interruptInUseConnections: false };
  return {
    topologyDescription: next.topologyDescription,
    clearPool: true,
    interruptInUseConnections: isNetworkTimeoutError(ctx.error),
  };
}

function noChange(td: TopologyDescription, outcome: ApplicationErrorOutcome): ApplicationErrorResult {
  return {
    topologyDescription: td,
    outcome,
    clearPool: false,
    interruptInUseConnections: false,
    requestImmediateCheck: false,
    cancelCheck: false,
  };
}
