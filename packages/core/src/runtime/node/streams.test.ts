import { describe, expect, it } from 'vitest';
import type { DocumentSource } from '../../client/streams.js';
import { nodeCursorStream } from './streams.js';

/** A DocumentSource over `docs`, counting close() calls. */
function source(docs: unknown[]): DocumentSource<unknown> & { closes: number } {
  let i = 0;
  const s = {
    closes: 0,
    async next() {
      return i < docs.length ? docs[i++]! : null;
    },
    async close() {
      s.closes++;
    },
    async *[Symbol.asyncIterator]() {
      for (let d = await s.next(); d !== null; d = await s.next()) yield d;
    },
  };
  return s;
}

describe('cursor.stream() on Node (the official driver stream shape)', () => {
  it("emits 'end' but not 'close' when the documents run out, and is not destroyed", async () => {
    const stream = nodeCursorStream(source([1, 2, 3]), { transform: (d: number) => d * 10 }) as unknown as import('node:stream').Readable;
    const events: string[] = [];
    stream.on('data', (d) => events.push(`data ${d}`));
    stream.on('close', () => events.push('close'));
    await new Promise((resolve) => stream.on('end', resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events).toEqual(['data 10', 'data 20', 'data 30']);
    expect(stream.destroyed).toBe(false);
    expect(stream.readableHighWaterMark).toBe(1);
  });

  it('destroy closes the source and then emits close', async () => {
    const src = source([1, 2, 3]);
    const stream = nodeCursorStream(src) as unknown as import('node:stream').Readable;
    stream.destroy();
    await new Promise((resolve) => stream.on('close', resolve));
    expect(src.closes).toBe(1);
  });
});
