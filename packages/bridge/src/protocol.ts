/**
 * What the bridge checks in client frames (docs/bridge-protocol.md §2), as pure
 * functions: the `open` payload, a `data` payload (one whole wire message within the
 * limit), and the reason a `ws` receiver error stands for. The frame codec itself is
 * core's (`@mongo-edge/core/internal`, shared with the client).
 */
import { z } from 'zod';
import {
  BridgeErrorReason,
  MESSAGE_HEADER_SIZE,
  OP_MSG,
  OP_MSG_MORE_TO_COME,
  decodeBridgeControlPayload,
} from '@mongo-edge/core/internal';

const openPayloadSchema = z.object({
  host: z.string().min(1).max(255).regex(/^[A-Za-z0-9._:-]+$/, 'bad host'),
  port: z.number().int().min(1).max(65535),
  tls: z
    .object({
      servername: z.string().min(1).max(255).optional(),
      allowInvalidCertificates: z.boolean().optional(),
      allowInvalidHostnames: z.boolean().optional(),
    })
    .strict()
    .optional(),
});
export type OpenPayload = z.infer<typeof openPayloadSchema>;

export type OpenParse = { readonly ok: true; readonly open: OpenPayload } | { readonly ok: false; readonly message: string };

/** An `open` frame's payload -> the request, or what is wrong with it. */
export function parseOpenPayload(payload: Uint8Array): OpenParse {
  let json: Record<string, unknown>;
  try {
    json = decodeBridgeControlPayload(payload);
  } catch (e) {
    return { ok: false, message: `bad open frame: ${(e as Error).message}` };
  }
  const parsed = openPayloadSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, message: `bad open frame: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'open'}: ${i.message}`).join('; ')}` };
  }
  return { ok: true, open: parsed.data };
}

/** The token of an `auth` frame ('' when the payload has none). */
export function authFrameToken(payload: Uint8Array): string {
  try {
    const token = decodeBridgeControlPayload(payload).token;
    return typeof token === 'string' ? token : '';
  } catch {
    return '';
  }
}

export type ClientMessageCheck =
  | { readonly ok: true; readonly expectsReply: boolean }
  | { readonly ok: false; readonly reason: typeof BridgeErrorReason.MessageTooLarge | typeof BridgeErrorReason.ProtocolError; readonly message: string };

/**
 * A `data` payload from the client: exactly one whole wire message of at most `max`
 * bytes. `expectsReply` is false only for OP_MSG with moreToCome (no reply follows).
 */
export function checkClientMessage(payload: Uint8Array, max: number): ClientMessageCheck {
  const declared = payload.byteLength >= 4 ? new DataView(payload.buffer, payload.byteOffset, 4).getInt32(0, true) : -1;
  if (declared > max || payload.byteLength > max) {
    return {
      ok: false,
      reason: BridgeErrorReason.MessageTooLarge,
      message: `message of ${Math.max(declared, payload.byteLength)} bytes exceeds the bridge limit of ${max} bytes`,
    };
  }
  if (payload.byteLength < MESSAGE_HEADER_SIZE || declared !== payload.byteLength) {
    return {
      ok: false,
      reason: BridgeErrorReason.ProtocolError,
      message: `a data frame must hold exactly one whole wire message (declared ${declared}, got ${payload.byteLength} bytes)`,
    };
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const moreToCome = view.getInt32(12, true) === OP_MSG && payload.byteLength >= 20 && (view.getUint32(16, true) & OP_MSG_MORE_TO_COME) !== 0;
  return { ok: true, expectsReply: !moreToCome };
}

/**
 * The reason a `ws` receiver error stands for (`ws` closes the socket itself: 1009 for
 * a message over maxPayload, 1002/1007 for a malformed frame); undefined for errors that
 * are not the client's protocol (the socket failing underneath).
 */
export function wsErrorReason(error: { code?: unknown }): BridgeErrorReason | undefined {
  const code = typeof error.code === 'string' ? error.code : '';
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || code === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH') return BridgeErrorReason.MessageTooLarge;
  if (code.startsWith('WS_ERR_')) return BridgeErrorReason.ProtocolError;
  return undefined;
}

/** WebSocket close reasons must fit in 123 bytes. */
export const closeReasonText = (s: string): string => (s.length > 120 ? s.slice(0, 117) + '...' : s);
