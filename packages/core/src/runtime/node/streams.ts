/**
 * `cursor.stream()` on Node: an object-mode `Readable` over the cursor (as the official
 * driver's). Destroying the stream closes the cursor. Registered with the core by the
 * Node entry (index.ts imports this module).
 */
import { Readable } from 'node:stream';
import { registerCursorStreamFactory, type CursorStream, type CursorStreamOptions, type DocumentSource } from '../../client/streams.js';

declare module '../../client/streams.js' {
  interface CursorStream<TSchema> extends Readable {
    [Symbol.asyncIterator](): AsyncIterableIterator<TSchema>;
  }
}

/** A Node Readable of `source`'s documents (optionally transformed). */
export function nodeCursorStream(source: DocumentSource<unknown>, options: CursorStreamOptions = {}): CursorStream {
  const transform = options.transform;
  async function* documents(): AsyncGenerator<unknown, void, void> {
    for await (const doc of source) yield transform ? transform(doc) : doc;
  }
  const readable = Readable.from(documents(), { objectMode: true });
  readable.once('close', () => {
    void source.close().catch(() => undefined);
  });
  return readable as CursorStream;
}

registerCursorStreamFactory(nodeCursorStream);
