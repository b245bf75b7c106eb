import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { BridgeFrameType, decodeBridgeFrame } from '@mongo-edge/core/internal';
import { DriverErrorCode } from '@mongo-edge/core';
import { DataFrameAssembler } from './frame-assembler.js';

/** A wire message of `size` bytes declaring `declared` (default: its size), body bytes numbered from `seed`. */
function message(size: number, seed = 0, declared = size): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 4; i < size; i++) b[i] = (i + seed) & 0xff;
  b.writeInt32LE(declared, 0);
  return b;
}

/** Feeds `stream` cut at `cuts` (ascending offsets); returns every frame produced. */
function feed(a: DataFrameAssembler, stream: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...cuts, stream.byteLength]) {
    out.push(...a.push(stream.subarray(from, to)));
    from = to;
  }
  return out;
}

function expectFrame(frame: Buffer, channelId: number, payload: Buffer): void {
  const decoded = decodeBridgeFrame(frame);
  expect(decoded.type).toBe(BridgeFrameType.Data);
  expect(decoded.channelId).toBe(channelId);
  expect(Buffer.from(decoded.payload).equals(payload)).toBe(true);
}

describe('DataFrameAssembler', () => {
  it('frames a message that arrives whole, header first (type, big-endian channel id)', () => {
    const a = new DataFrameAssembler(0x01020304, 1000);
    const m = message(40);
    const [frame, ...rest] = a.push(m);
    expect(rest).toEqual([]);
    expect([...frame!.subarray(0, 5)]).toEqual([BridgeFrameType.Data, 1, 2, 3, 4]);
    expectFrame(frame!, 0x01020304, m);
    expect(a.bufferedBytes).toBe(0);
  });

  it('gives the same frames wherever the stream is cut (prefix split included)', () => {
    const stream = Buffer.concat([message(16, 1), message(37, 2), message(21, 3)]);
    for (let cut1 = 1; cut1 < stream.byteLength; cut1++) {
      for (const cut2 of [cut1 + 1, cut1 + 3, stream.byteLength - 1]) {
        const cuts = cut2 > cut1 && cut2 < stream.byteLength ? [cut1, cut2] : [cut1];
        const frames = feed(new DataFrameAssembler(7, 1000), stream, cuts);
        expect(frames).toHaveLength(3);
        expectFrame(frames[0]!, 7, stream.subarray(0, 16));
        expectFrame(frames[1]!, 7, stream.subarray(16, 53));
        expectFrame(frames[2]!, 7, stream.subarray(53));
      }
    }
  });

  it('one byte at a time: holds what arrived, emits each message when its last byte comes', () => {
    const a = new DataFrameAssembler(1, 1000);
    const stream = Buffer.concat([message(20, 5), message(18, 6)]);
    const seen: number[] = [];
    for (let i = 0; i < stream.byteLength; i++) {
      const frames = a.push(stream.subarray(i, i + 1));
      if (frames.length) seen.push(i);
      expect(a.bufferedBytes).toBe(i < 20 ? (i + 1) % 20 : (i + 1 - 20) % 18);
    }
    expect(seen).toEqual([19, 37]);
  });

  it('frames do not share bytes with the chunks they came from', () => {
    const a = new DataFrameAssembler(1, 1000);
    const chunk = message(24);
    const [frame] = a.push(chunk);
    chunk.fill(0);
    expectFrame(frame!, 1, message(24));
  });

  const BAD: Array<[string, Buffer, string, string | undefined]> = [
    ['a length under the header size', message(16, 0, 15), 'invalid message length 15', undefined],
    ['a negative length', message(16, 0, -1), 'invalid message length -1', undefined],
    ['a length over the limit, refused on its prefix alone', message(8, 0, 60_000_000).subarray(0, 4), 'message length 60000000 exceeds maxMessageSizeBytes 1000', DriverErrorCode.MessageTooLarge],
  ];
  it.each(BAD)('%s is a MongoProtocolError, and the assembler stays failed', (_name, bytes, text, code) => {
    const a = new DataFrameAssembler(1, 1000);
    let thrown: unknown;
    try {
      a.push(bytes);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error).name).toBe('MongoProtocolError');
    expect((thrown as Error).message).toContain(text);
    if (code) expect((thrown as { code?: unknown }).code).toBe(code);
    expect(() => a.push(message(16))).toThrow(text);
  });

  it('accepts exactly the limit', () => {
    const a = new DataFrameAssembler(1, 64);
    expect(a.push(message(64))).toHaveLength(1);
  });

  it('refuses a channel id that does not fit the header', () => {
    expect(() => new DataFrameAssembler(2 ** 32, 1000)).toThrow(RangeError);
  });
});

describe('DataFrameAssembler with an allocator', () => {
  it('builds each frame in the buffer the allocator gives, sized header + message', () => {
    const sizes: number[] = [];
    const a = new DataFrameAssembler(3, 1000, (size) => {
      sizes.push(size);
      return Buffer.alloc(size, 0xee);
    });
    const m = message(30);
    const [frame] = a.push(Buffer.concat([m.subarray(0, 10), m.subarray(10)]));
    expect(sizes).toEqual([35]);
    expectFrame(frame!, 3, m);
  });
});
