/**
 * The mongo-edge bridge protocol, version 1 (docs/bridge-protocol.md): the frame codec
 * and the constants both ends share. Platform-neutral (Uint8Array, DataView,
 * TextEncoder, btoa/atob only) so the browser transport and the Node bridge use the
 * same bytes.
 *
 * Every WebSocket message is binary: 1 byte frame type, 4 bytes channel id (uint32,
 * big-endian), then the payload. Control payloads are UTF-8 JSON; a data payload is
 * exactly one whole wire-protocol message.
 */
import { MongoProtocolError } from '../errors.js';
import { concatChunks } from '../wire/op-msg.js';

export const BRIDGE_PROTOCOL_VERSION = 1;
/** The subprotocol both ends must agree on. */
export const BRIDGE_SUBPROTOCOL = 'mongo-edge.v1';
/** A second offered subprotocol may carry the bearer token: this prefix + base64url(UTF-8 token). */
export const BRIDGE_TOKEN_PROTOCOL_PREFIX = 'mongo-edge.token.';
export const BRIDGE_FRAME_HEADER_SIZE = 5;
/** Channel 0 addresses the whole WebSocket (auth frame, socket-level errors/notices). */
export const BRIDGE_SOCKET_CHANNEL = 0;
export const BRIDGE_MAX_CHANNEL_ID = 0xffffffff;

export const BridgeFrameType = Object.freeze({
  /** client -> bridge, channel 0: `{ token }`. Only when the token is not in the subprotocol. */
  Auth: 0x01,
  /** client -> bridge: `{ host, port, tls? }`. */
  Open: 0x02,
  /** bridge -> client: `{ maxMessageSizeBytes }`. */
  Opened: 0x03,
  /** both ways: one whole wire message. */
  Data: 0x04,
  /** both ways: the channel is closed; empty payload. */
  Close: 0x05,
  /** bridge -> client: `{ reason, message }`; the channel is closed (channel 0: notice about the socket). */
  Error: 0x06,
} as const);
export type BridgeFrameType = (typeof BridgeFrameType)[keyof typeof BridgeFrameType];

/** Typed reasons carried by error frames and mapped from close codes. */
export const BridgeErrorReason = Object.freeze({
  TargetRefused: 'target-refused',
  TargetUnreachable: 'target-unreachable',
  AuthFailed: 'auth-failed',
  OriginRefused: 'origin-refused',
  LimitExceeded: 'limit-exceeded',
  MessageTooLarge: 'message-too-large',
  BridgeShuttingDown: 'bridge-shutting-down',
  ProtocolError: 'protocol-error',
  IdleTimeout: 'idle-timeout',
  /** Client side only: the WebSocket dropped without a bridge-supplied reason. */
  ConnectionLost: 'connection-lost',
} as const);
export type BridgeErrorReason = (typeof BridgeErrorReason)[keyof typeof BridgeErrorReason];

const REASONS: ReadonlySet<string> = new Set(Object.values(BridgeErrorReason));
export function isBridgeErrorReason(value: unknown): value is BridgeErrorReason {
  return typeof value === 'string' && REASONS.has(value);
}

/** WebSocket close codes for whole-socket outcomes. */
export const BridgeCloseCode = Object.freeze({
  Normal: 1000,
  GoingAway: 1001,
  MessageTooBig: 1009,
  ProtocolError: 4000,
  AuthFailed: 4001,
  OriginRefused: 4003,
  LimitExceeded: 4008,
  IdleTimeout: 4010,
} as const);
export type BridgeCloseCode = (typeof BridgeCloseCode)[keyof typeof BridgeCloseCode];

/**
 * The close codes that carry a reason (the table in docs/bridge-protocol.md §2.4, plus
 * the standard 1002 protocol error, 1003 unsupported data and 1007 invalid payload).
 */
const REASON_BY_CLOSE_CODE: Readonly<Record<number, BridgeErrorReason>> = {
  1001: 'bridge-shutting-down',
  1002: 'protocol-error',
  1003: 'protocol-error',
  1007: 'protocol-error',
  1009: 'message-too-large',
  4000: 'protocol-error',
  4001: 'auth-failed',
  4003: 'origin-refused',
  4008: 'limit-exceeded',
  4010: 'idle-timeout',
};

/** The reason a WebSocket close code stands for (undefined for a normal close). */
export function bridgeReasonForCloseCode(code: number): BridgeErrorReason | undefined {
  if (code === BridgeCloseCode.Normal) return undefined;
  return REASON_BY_CLOSE_CODE[code] ?? BridgeErrorReason.ConnectionLost;
}

/** TLS intent of an open frame: the subset of TLS options a browser may ask for. */
export interface BridgeOpenTls {
  servername?: string;
  allowInvalidCertificates?: boolean;
  allowInvalidHostnames?: boolean;
}

export interface BridgeOpenPayload {
  host: string;
  port: number;
  /** Present: connect to the target with TLS. */
  tls?: BridgeOpenTls;
}

export interface BridgeOpenedPayload {
  /** Largest wire message the bridge relays on this channel, either way. */
  maxMessageSizeBytes: number;
}

export interface BridgeErrorPayload {
  reason: BridgeErrorReason;
  message: string;
}

export interface BridgeAuthPayload {
  token: string;
}

export interface BridgeFrame {
  readonly type: BridgeFrameType;
  readonly channelId: number;
  /** A view into the received bytes (no copy). */
  readonly payload: Uint8Array;
}

/** One frame whose payload is `chunks` back to back (one allocation, one copy). */
function encodeFrame(type: BridgeFrameType, channelId: number, chunks: readonly Uint8Array[]): Uint8Array {
  // x >>> 0 === x holds exactly for the integers 0 .. BRIDGE_MAX_CHANNEL_ID.
  if (channelId >>> 0 !== channelId) throw new RangeError(`invalid bridge channel id ${channelId}`);
  const header = new Uint8Array(BRIDGE_FRAME_HEADER_SIZE);
  header[0] = type;
  new DataView(header.buffer).setUint32(1, channelId); // big-endian
  return concatChunks([header, ...chunks]);
}

/** One frame holding `payload` (copied once behind the header). */
export function encodeBridgeFrame(type: BridgeFrameType, channelId: number, payload?: Uint8Array): Uint8Array {
  return encodeFrame(type, channelId, payload ? [payload] : []);
}

/** One data frame whose payload is the chunks back to back (one allocation, one copy). */
export function encodeBridgeDataFrame(channelId: number, chunks: readonly Uint8Array[]): Uint8Array {
  return encodeFrame(BridgeFrameType.Data, channelId, chunks);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeBridgeControlFrame(type: BridgeFrameType, channelId: number, body: object): Uint8Array {
  return encodeBridgeFrame(type, channelId, encoder.encode(JSON.stringify(body)));
}

/** Splits a received message into header and payload. Throws MongoProtocolError. */
export function decodeBridgeFrame(bytes: Uint8Array): BridgeFrame {
  if (bytes.byteLength < BRIDGE_FRAME_HEADER_SIZE) {
    throw new MongoProtocolError(`bridge frame of ${bytes.byteLength} bytes is shorter than its 5-byte header`);
  }
  const type = bytes[0]!;
  if (type < BridgeFrameType.Auth || type > BridgeFrameType.Error) {
    throw new MongoProtocolError(`unknown bridge frame type 0x${type.toString(16)}`);
  }
  const channelId = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1); // big-endian
  return { type: type as BridgeFrameType, channelId, payload: bytes.subarray(BRIDGE_FRAME_HEADER_SIZE) };
}

/** Parses a control payload as a JSON object. Throws MongoProtocolError. */
export function decodeBridgeControlPayload(payload: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = payload.byteLength === 0 ? {} : JSON.parse(decoder.decode(payload));
  } catch (cause) {
    throw new MongoProtocolError('bridge control payload is not UTF-8 JSON', undefined, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MongoProtocolError('bridge control payload is not a JSON object');
  }
  return value as Record<string, unknown>;
}

// ---------------------------------------------------------------- base64url tokens

export function base64UrlEncode(bytes: Uint8Array): string {
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''))
    .replace(/=+$/, '')
    .replace(/[+/]/g, (c) => (c === '+' ? '-' : '_'));
}

/** Returns undefined for text that is not base64url. */
export function base64UrlDecode(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The subprotocol carrying `token`. */
export function encodeTokenProtocol(token: string): string {
  return BRIDGE_TOKEN_PROTOCOL_PREFIX + base64UrlEncode(encoder.encode(token));
}

/** The token inside a `mongo-edge.token.*` subprotocol, or undefined if malformed. */
export function decodeTokenProtocol(protocol: string): string | undefined {
  if (!protocol.startsWith(BRIDGE_TOKEN_PROTOCOL_PREFIX)) return undefined;
  const bytes = base64UrlDecode(protocol.slice(BRIDGE_TOKEN_PROTOCOL_PREFIX.length));
  if (!bytes) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
