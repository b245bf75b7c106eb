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

const FRAME_TYPES: ReadonlySet<number> = new Set(Object.values(BridgeFrameType));

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

/** The reason a WebSocket close code stands for (undefined for a normal close). */
export function bridgeReasonForCloseCode(code: number): BridgeErrorReason | undefined {
  switch (code) {
    case BridgeCloseCode.Normal:
      return undefined;
    case BridgeCloseCode.GoingAway:
      return BridgeErrorReason.BridgeShuttingDown;
    case BridgeCloseCode.MessageTooBig:
      return BridgeErrorReason.MessageTooLarge;
    case BridgeCloseCode.ProtocolError:
    case 1002:
    case 1003:
    case 1007:
      return BridgeErrorReason.ProtocolError;
    case BridgeCloseCode.AuthFailed:
      return BridgeErrorReason.AuthFailed;
    case BridgeCloseCode.OriginRefused:
      return BridgeErrorReason.OriginRefused;
    case BridgeCloseCode.LimitExceeded:
      return BridgeErrorReason.LimitExceeded;
    case BridgeCloseCode.IdleTimeout:
      return BridgeErrorReason.IdleTimeout;
    default:
      return BridgeErrorReason.ConnectionLost;
  }
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

function writeFrameHeader(out: Uint8Array, type: BridgeFrameType, channelId: number): void {
  if (!Number.isInteger(channelId) || channelId < 0 || channelId > BRIDGE_MAX_CHANNEL_ID) {
    throw new RangeError(`invalid bridge channel id ${channelId}`);
  }
  out[0] = type;
  new DataView(out.buffer, out.byteOffset, BRIDGE_FRAME_HEADER_SIZE).setUint32(1, channelId, false);
}

/** One frame holding `payload` (copied once behind the header). */
export function encodeBridgeFrame(type: BridgeFrameType, channelId: number, payload?: Uint8Array): Uint8Array {
  const out = new Uint8Array(BRIDGE_FRAME_HEADER_SIZE + (payload?.byteLength ?? 0));
  writeFrameHeader(out, type, channelId);
  if (payload) out.set(payload, BRIDGE_FRAME_HEADER_SIZE);
  return out;
}

/** One data frame whose payload is the chunks back to back (one allocation, one copy). */
export function encodeBridgeDataFrame(channelId: number, chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.byteLength;
  const out = new Uint8Array(BRIDGE_FRAME_HEADER_SIZE + length);
  writeFrameHeader(out, BridgeFrameType.Data, channelId);
  let o = BRIDGE_FRAME_HEADER_SIZE;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
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
  if (!FRAME_TYPES.has(type)) throw new MongoProtocolError(`unknown bridge frame type 0x${type.toString(16)}`);
  const channelId = new DataView(bytes.buffer, bytes.byteOffset, BRIDGE_FRAME_HEADER_SIZE).getUint32(1, false);
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
  let binary = '';
  for (let i = 0; i < bytes.byteLength; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
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
