import { describe, expect, it } from 'vitest';
import { OP_MSG, OP_MSG_MORE_TO_COME } from '@mongo-edge/core/internal';
import { authFrameToken, checkClientMessage, parseOpenPayload, wsErrorReason } from './protocol.js';

const text = new TextEncoder();

/** A wire message of `size` bytes declaring `declared` (default: its size). */
function message(size: number, opts: { declared?: number; opCode?: number; flags?: number } = {}): Uint8Array {
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  if (size >= 4) v.setInt32(0, opts.declared ?? size, true);
  if (size >= 16) v.setInt32(12, opts.opCode ?? OP_MSG, true);
  if (size >= 20) v.setUint32(16, opts.flags ?? 0, true);
  return bytes;
}

describe('checkClientMessage', () => {
  const MAX = 1000;
  const TABLE: Array<[string, Uint8Array, ReturnType<typeof checkClientMessage>]> = [
    ['a whole OP_MSG expects a reply', message(21), { ok: true, expectsReply: true }],
    ['OP_MSG with moreToCome does not', message(21, { flags: OP_MSG_MORE_TO_COME }), { ok: true, expectsReply: false }],
    ['moreToCome means nothing on another opcode', message(21, { opCode: 2004, flags: OP_MSG_MORE_TO_COME }), { ok: true, expectsReply: true }],
    ['exactly the limit', message(MAX), { ok: true, expectsReply: true }],
    ['declared over the limit', message(32, { declared: 60_000_000 }), { ok: false, reason: 'message-too-large', message: 'message of 60000000 bytes exceeds the bridge limit of 1000 bytes' }],
    ['bigger than the limit', message(MAX + 1), { ok: false, reason: 'message-too-large', message: 'message of 1001 bytes exceeds the bridge limit of 1000 bytes' }],
    ['shorter than a header', message(15, { declared: 15 }), { ok: false, reason: 'protocol-error', message: 'a data frame must hold exactly one whole wire message (declared 15, got 15 bytes)' }],
    ['no length at all', new Uint8Array(2), { ok: false, reason: 'protocol-error', message: 'a data frame must hold exactly one whole wire message (declared -1, got 2 bytes)' }],
    ['half a message', message(40, { declared: 80 }), { ok: false, reason: 'protocol-error', message: 'a data frame must hold exactly one whole wire message (declared 80, got 40 bytes)' }],
    ['two messages', message(40, { declared: 20 }), { ok: false, reason: 'protocol-error', message: 'a data frame must hold exactly one whole wire message (declared 20, got 40 bytes)' }],
  ];
  it.each(TABLE)('%s', (_name, payload, expected) => {
    expect(checkClientMessage(payload, MAX)).toEqual(expected);
  });

  it('reads a payload that is a view into a larger buffer', () => {
    const outer = new Uint8Array(64);
    outer.set(message(21, { flags: OP_MSG_MORE_TO_COME }), 7);
    expect(checkClientMessage(outer.subarray(7, 28), 1000)).toEqual({ ok: true, expectsReply: false });
  });
});

describe('parseOpenPayload', () => {
  const TABLE: Array<[string, string, ReturnType<typeof parseOpenPayload>]> = [
    ['host and port', '{"host":"db","port":27017}', { ok: true, open: { host: 'db', port: 27017 } }],
    ['with TLS options', '{"host":"db","port":1,"tls":{"servername":"x"}}', { ok: true, open: { host: 'db', port: 1, tls: { servername: 'x' } } }],
    ['a port that is a string', '{"host":"db","port":"x"}', { ok: false, message: expect.stringMatching(/^bad open frame: port: /) as unknown as string }],
    ['a host with a slash', '{"host":"a/b","port":1}', { ok: false, message: 'bad open frame: host: bad host' }],
    ['an unknown TLS option', '{"host":"db","port":1,"tls":{"cert":"x"}}', { ok: false, message: expect.stringMatching(/^bad open frame: tls: /) as unknown as string }],
    ['not JSON', '{', { ok: false, message: 'bad open frame: bridge control payload is not UTF-8 JSON' }],
  ];
  it.each(TABLE)('%s', (_name, json, expected) => {
    expect(parseOpenPayload(text.encode(json))).toEqual(expected);
  });
});

describe('authFrameToken and wsErrorReason', () => {
  it('reads the token of an auth frame, empty when there is none', () => {
    expect(authFrameToken(text.encode('{"token":"abc"}'))).toBe('abc');
    expect(authFrameToken(text.encode('{"token":1}'))).toBe('');
    expect(authFrameToken(text.encode('nope'))).toBe('');
  });

  it.each([
    ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'message-too-large'],
    ['WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 'message-too-large'],
    ['WS_ERR_INVALID_OPCODE', 'protocol-error'],
    ['WS_ERR_INVALID_UTF8', 'protocol-error'],
    ['ECONNRESET', undefined],
    [undefined, undefined],
  ])('%s -> %s', (code, reason) => {
    expect(wsErrorReason({ code })).toBe(reason);
  });
});
