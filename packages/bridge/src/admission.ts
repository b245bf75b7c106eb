/**
 * Admission: may this client have a WebSocket, may this principal open this target?
 * Pure functions of (policy, who, what, counts) -> a named result: no I/O, no clock
 * (the caller passes `nowMs`), no mutation. The socket and the server apply the result
 * (send the refusal, count it, log it); a later mode (the gateway's per-command rules)
 * uses the same shape: who asks, what for, how much they already hold.
 *
 * Checks run in a fixed order and the first failing one is the refusal, so a client
 * learns the most general reason first (shutting down before limits before targets).
 */
import { BridgeCloseCode, BridgeErrorReason } from '@mongo-edge/core/internal';
import { matchesPattern, targetKey, type TargetPattern, type TargetPolicy } from './allowlist.js';

/** Stable codes of every refusal (log and test on these, not on the message). */
export const RefusalCode = Object.freeze({
  ShuttingDown: 'shutting-down',
  SubprotocolMissing: 'subprotocol-missing',
  OriginNotAllowed: 'origin-not-allowed',
  PendingLimit: 'pending-limit',
  SocketLimit: 'socket-limit',
  TokenExpired: 'token-expired',
  ChannelLimit: 'channel-limit',
  TlsRequired: 'tls-required',
  TargetNotAllowed: 'target-not-allowed',
  TargetNotGranted: 'target-not-granted',
} as const);
export type RefusalCode = (typeof RefusalCode)[keyof typeof RefusalCode];

export interface Refusal {
  readonly code: RefusalCode;
  /** Names what was refused and why, for the client and the log (no secrets). */
  readonly message: string;
}

/** The result of every admission check: allowed (with what was granted) or refused. */
export type Admission<Granted extends object = object> =
  | ({ readonly allowed: true } & Readonly<Granted>)
  | { readonly allowed: false; readonly reason: Refusal };

const refuse = (code: RefusalCode, message: string): { allowed: false; reason: Refusal } => ({ allowed: false, reason: { code, message } });

/**
 * What each refusal is on the wire: the reason of its error frame or close
 * (docs/bridge-protocol.md §2.3) and, for a refused socket, its close code (§2.4; the
 * channel-only codes never close a socket, they map to 4000 for completeness).
 */
const ON_THE_WIRE: Readonly<Record<RefusalCode, { readonly reason: BridgeErrorReason; readonly closeCode: BridgeCloseCode }>> = Object.freeze({
  'shutting-down': { reason: BridgeErrorReason.BridgeShuttingDown, closeCode: BridgeCloseCode.GoingAway },
  'subprotocol-missing': { reason: BridgeErrorReason.ProtocolError, closeCode: BridgeCloseCode.ProtocolError },
  'origin-not-allowed': { reason: BridgeErrorReason.OriginRefused, closeCode: BridgeCloseCode.OriginRefused },
  'pending-limit': { reason: BridgeErrorReason.LimitExceeded, closeCode: BridgeCloseCode.LimitExceeded },
  'socket-limit': { reason: BridgeErrorReason.LimitExceeded, closeCode: BridgeCloseCode.LimitExceeded },
  'token-expired': { reason: BridgeErrorReason.AuthFailed, closeCode: BridgeCloseCode.AuthFailed },
  'channel-limit': { reason: BridgeErrorReason.LimitExceeded, closeCode: BridgeCloseCode.LimitExceeded },
  'tls-required': { reason: BridgeErrorReason.TargetRefused, closeCode: BridgeCloseCode.ProtocolError },
  'target-not-allowed': { reason: BridgeErrorReason.TargetRefused, closeCode: BridgeCloseCode.ProtocolError },
  'target-not-granted': { reason: BridgeErrorReason.TargetRefused, closeCode: BridgeCloseCode.ProtocolError },
});

export const refusalWireReason = (code: RefusalCode): BridgeErrorReason => ON_THE_WIRE[code].reason;
export const refusalCloseCode = (code: RefusalCode): BridgeCloseCode => ON_THE_WIRE[code].closeCode;

// ------------------------------------------------------------------ TCP connections

export interface ConnectionPolicy {
  /** TCP connections from one address that are not (or no longer) WebSocket sessions. */
  readonly maxPendingPerIp: number;
  /** The same, from all addresses together. */
  readonly maxPending: number;
}

/** Who connects: the peer address of a new TCP connection to the listener. */
export interface ConnectionClient {
  readonly ip: string;
}

export interface ConnectionCounts {
  /** Pending connections (accepted, not a session: in the HTTP/TLS/WebSocket handshake, refused, or closing) from this address. */
  readonly pendingFromIp: number;
  readonly pendingTotal: number;
}

/** May the listener keep a new TCP connection? (Checked on accept, before any byte is read.) */
export function admitConnection(policy: ConnectionPolicy, client: ConnectionClient, counts: ConnectionCounts): Admission {
  if (counts.pendingFromIp >= policy.maxPendingPerIp) {
    return refuse(RefusalCode.PendingLimit, `at most ${policy.maxPendingPerIp} connections from ${client.ip} may be opening or closing at once`);
  }
  if (counts.pendingTotal >= policy.maxPending) {
    return refuse(RefusalCode.PendingLimit, `at most ${policy.maxPending} connections may be opening or closing at once`);
  }
  return { allowed: true };
}

// ------------------------------------------------------------------ sockets

export interface SocketPolicy {
  /** The subprotocol a client must offer (and the server selected). */
  readonly subprotocol: string;
  readonly maxSocketsPerIp: number;
  /** Is this browser Origin allowed? (Requests without Origin always are.) */
  originAllowed(origin: string): boolean;
}

/** Who asks for a WebSocket. */
export interface SocketClient {
  readonly ip: string;
  /** The Origin header (browsers), undefined for other clients. */
  readonly origin: string | undefined;
  /** The subprotocol the upgrade selected (empty when the client offered none we speak). */
  readonly subprotocol: string;
}

export interface SocketCounts {
  /** Admitted WebSockets from this client's address right now. */
  readonly socketsFromIp: number;
  readonly shuttingDown: boolean;
}

export function admitSocket(policy: SocketPolicy, client: SocketClient, counts: SocketCounts): Admission {
  if (counts.shuttingDown) return refuse(RefusalCode.ShuttingDown, 'bridge shutting down');
  if (client.subprotocol !== policy.subprotocol) return refuse(RefusalCode.SubprotocolMissing, `subprotocol ${policy.subprotocol} required`);
  if (client.origin !== undefined && !policy.originAllowed(client.origin)) {
    return refuse(RefusalCode.OriginNotAllowed, `origin ${client.origin.slice(0, 80)} is not allowed`);
  }
  if (counts.socketsFromIp >= policy.maxSocketsPerIp) {
    return refuse(RefusalCode.SocketLimit, `at most ${policy.maxSocketsPerIp} WebSockets per client address`);
  }
  return { allowed: true };
}

/** `--origin` list -> matcher: exact origins, `scheme://*.domain` (one or more labels), `*`. */
export function originMatcher(origins: readonly string[]): (origin: string) => boolean {
  if (origins.includes('*')) return () => true;
  const exact = new Set<string>();
  const wild: RegExp[] = [];
  for (const o of origins) {
    const lower = o.toLowerCase();
    if (lower.includes('*.')) {
      const [scheme, rest] = lower.split('://*.') as [string, string];
      wild.push(new RegExp(`^${scheme}://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.${rest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    } else exact.add(lower);
  }
  return (origin) => {
    const o = origin.toLowerCase();
    return exact.has(o) || wild.some((re) => re.test(o));
  };
}

// ------------------------------------------------------------------ channels

export interface ChannelPolicy {
  readonly maxChannelsPerSocket: number;
  readonly requireTargetTls: boolean;
  /** The bridge's targets (allowlist and seeds). Read, never changed. */
  readonly targets: TargetPolicy;
}

/** Who holds the socket: what its token granted. */
export interface Principal {
  /** Safe to log (JWT `sub`, "static-token", "anonymous"). */
  readonly subject: string;
  /** Unix seconds; undefined: never expires. */
  readonly expiresAt: number | undefined;
  /** The token's own target restriction (JWT `allow`), undefined: none. */
  readonly allow: readonly TargetPattern[] | undefined;
  /** The verified token's claims (gateway mode), undefined otherwise. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
}

/** What is asked for: one TCP (or TLS) connection to host:port. */
export interface ChannelRequest {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface ChannelCounts {
  /** Channels open on this WebSocket right now. */
  readonly channelsOnSocket: number;
  /** The socket is draining or the whole bridge is shutting down. */
  readonly shuttingDown: boolean;
  readonly nowMs: number;
}

export function admitChannel(
  policy: ChannelPolicy,
  principal: Principal,
  request: ChannelRequest,
  counts: ChannelCounts,
): Admission<{ target: string }> {
  const target = targetKey(request.host, request.port);
  if (counts.shuttingDown) return refuse(RefusalCode.ShuttingDown, 'the bridge is shutting down');
  if (principal.expiresAt !== undefined && principal.expiresAt * 1000 <= counts.nowMs) {
    return refuse(RefusalCode.TokenExpired, 'the token has expired; reconnect with a fresh token');
  }
  if (counts.channelsOnSocket >= policy.maxChannelsPerSocket) {
    return refuse(RefusalCode.ChannelLimit, `at most ${policy.maxChannelsPerSocket} channels per WebSocket`);
  }
  if (policy.requireTargetTls && !request.tls) {
    return refuse(RefusalCode.TlsRequired, `${target}: this bridge only opens TLS connections to targets (set tls=true)`);
  }
  if (!policy.targets.allows(request.host, request.port)) {
    return refuse(RefusalCode.TargetNotAllowed, `${target} is not in the bridge allowlist`);
  }
  if (principal.allow !== undefined && !principal.allow.some((p) => matchesPattern(p, request.host, request.port))) {
    return refuse(RefusalCode.TargetNotGranted, `${target} is not in the bridge allowlist of this token (its allow claim)`);
  }
  return { allowed: true, target };
}

// ------------------------------------------------------------------ gateway channels

export interface GatewayChannelPolicy {
  readonly maxChannelsPerSocket: number;
}

/**
 * May this principal open one more gateway channel (a virtual connection to the
 * gateway's mongos face)? The open's host:port is not a target: a gateway never
 * connects anywhere a client names.
 */
export function admitGatewayChannel(policy: GatewayChannelPolicy, principal: Principal, counts: ChannelCounts): Admission {
  if (counts.shuttingDown) return refuse(RefusalCode.ShuttingDown, 'the gateway is shutting down');
  if (principal.expiresAt !== undefined && principal.expiresAt * 1000 <= counts.nowMs) {
    return refuse(RefusalCode.TokenExpired, 'the token has expired; reconnect with a fresh token');
  }
  if (counts.channelsOnSocket >= policy.maxChannelsPerSocket) {
    return refuse(RefusalCode.ChannelLimit, `at most ${policy.maxChannelsPerSocket} channels per WebSocket`);
  }
  return { allowed: true };
}
