import { describe, expect, it } from 'vitest';
import { DriverErrorCode, MongoProtocolError } from '../errors.js';
import {
  concatChunks,
  decodeOpMsg,
  decodeOpQuery,
  decodeOpReply,
  encodeOpMsg,
  encodeOpQuery,
  encodeOpReply,
  MessageFramer,
  OP_QUERY_SECONDARY_OK,
} from './index.js';
import { crc32c } from './crc32c.js';

const bytes = (chunks: Uint8Array[]) => concatChunks(chunks);

describe('OP_MSG', () => {
  it('round-trips a body and document sequences', () => {
    const msg = bytes(
      encodeOpMsg({ requestId: 7, body: { insert: 'c', $db: 'test' }, sequences: { documents: [{ _id: 1 }, { _id: 2, a: 'x' }] } }),
    );
    const d = decodeOpMsg(msg);
    expect(d.requestId).toBe(7);
    expect(d.body).toEqual({ insert: 'c', $db: 'test' });
    expect(d.sequences.documents).toEqual([{ _id: 1 }, { _id: 2, a: 'x' }]);
    expect(d.moreToCome).toBe(false);
  });

  it('sets and reads moreToCome / exhaustAllowed', () => {
    const d = decodeOpMsg(bytes(encodeOpMsg({ requestId: 1, body: { ping: 1 }, moreToCome: true, exhaustAllowed: true })));
    expect(d.moreToCome).toBe(true);
    expect(d.exhaustAllowed).toBe(true);
  });

  it('verifies the CRC-32C checksum, or skips it when asked', () => {
    const msg = bytes(encodeOpMsg({ requestId: 1, body: { ping: 1 }, checksum: true }));
    expect(decodeOpMsg(msg).checksumPresent).toBe(true);
    msg[msg.length - 1]! ^= 0xff;
    expect(() => decodeOpMsg(msg)).toThrow(/checksum mismatch/);
    expect(decodeOpMsg(msg, { verifyChecksum: false }).body).toEqual({ ping: 1 });
  });

  it('computes the CRC-32C check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('rejects invalid BSON with a typed error', () => {
    const msg = bytes(encodeOpMsg({ requestId: 1, body: { ping: 1 } }));
    // corrupt the BSON length of the body (offset 21)
    new DataView(msg.buffer).setInt32(21, 9999, true);
    const err = (() => {
      try {
        decodeOpMsg(msg);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MongoProtocolError);
    expect((err as MongoProtocolError).code).toBe(DriverErrorCode.InvalidBSON);
  });

  it('rejects unknown required flag bits', () => {
    const msg = bytes(encodeOpMsg({ requestId: 1, body: { ping: 1 } }));
    new DataView(msg.buffer).setUint32(16, 1 << 4, true);
    expect(() => decodeOpMsg(msg)).toThrow(/unknown required flag/);
  });
});

describe('OP_QUERY / OP_REPLY', () => {
  it('round-trips', () => {
    const q = decodeOpQuery(
      bytes(encodeOpQuery({ requestId: 3, flags: OP_QUERY_SECONDARY_OK, fullCollectionName: 'admin.$cmd', numberToSkip: 0, numberToReturn: -1, query: { isMaster: 1 } })),
    );
    expect(q.fullCollectionName).toBe('admin.$cmd');
    expect(q.query).toEqual({ isMaster: 1 });
    expect(q.flags & OP_QUERY_SECONDARY_OK).toBeTruthy();
    const r = decodeOpReply(bytes(encodeOpReply({ requestId: 4, responseTo: 3, responseFlags: 8, cursorId: 0n, startingFrom: 0, documents: [{ ok: 1 }] })));
    expect(r.responseTo).toBe(3);
    expect(r.documents).toEqual([{ ok: 1 }]);
  });
});

describe('MessageFramer', () => {
  const msg = bytes(encodeOpMsg({ requestId: 1, body: { hello: 1, pad: 'x'.repeat(100) } }));

  it('reassembles messages split across arbitrary chunks', () => {
    const f = new MessageFramer();
    const two = new Uint8Array(msg.length * 2);
    two.set(msg, 0);
    two.set(msg, msg.length);
    const out: Uint8Array[] = [];
    for (let i = 0; i < two.length; i += 7) out.push(...f.push(two.subarray(i, i + 7)));
    expect(out.length).toBe(2);
    expect(decodeOpMsg(out[1]!).body.hello).toBe(1);
    expect(f.bufferedBytes).toBe(0);
  });

  it('rejects a declared length under 16 as soon as the prefix arrives', () => {
    const f = new MessageFramer();
    const bad = new Uint8Array(4);
    new DataView(bad.buffer).setInt32(0, 8, true);
    expect(() => f.push(bad)).toThrow(MongoProtocolError);
  });

  it('rejects an oversize declared length before buffering the body', () => {
    const f = new MessageFramer(1000);
    const head = new Uint8Array(16);
    new DataView(head.buffer).setInt32(0, 5000, true);
    try {
      f.push(head);
      expect.unreachable();
    } catch (e) {
      expect((e as MongoProtocolError).code).toBe(DriverErrorCode.MessageTooLarge);
    }
    expect(() => f.push(new Uint8Array(1))).toThrow(/exceeds maxMessageSizeBytes/);
  });

  it('with a FrameOutput, copies each message once behind the headroom, even when one chunk holds it', () => {
    const sizes: number[] = [];
    const f = new MessageFramer(undefined, {
      headroom: 3,
      alloc: (size) => {
        sizes.push(size);
        return new Uint8Array(size).fill(0xee);
      },
    });
    const whole = f.push(msg);
    const cut = [...f.push(msg.subarray(0, 2)), ...f.push(msg.subarray(2, 50)), ...f.push(msg.subarray(50))];
    expect(sizes).toEqual([msg.length + 3, msg.length + 3]);
    for (const out of [whole[0]!, cut[0]!]) {
      expect(out.subarray(0, 3)).toEqual(new Uint8Array([0xee, 0xee, 0xee]));
      expect(out.subarray(3)).toEqual(msg);
      expect(out.buffer).not.toBe(msg.buffer);
    }
    expect(f.bufferedBytes).toBe(0);
  });
});
