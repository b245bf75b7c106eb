/**
 * Cursors as streams. Platform-neutral: `toReadableStream()` (a WHATWG ReadableStream,
 * pulled one document at a time, cancel closes the cursor). The Node `Readable` of
 * `cursor.stream()` comes from the Node entry, which registers its factory here
 * (runtime/node/streams.ts) so that no Node module is imported by the core.
 */
import { MongoAPIError } from '../errors.js';

/**
 * What `cursor.stream()` returns. On the Node entry this interface is augmented to
 * extend Node's `Readable` (runtime/node/streams.ts), as the official driver's
 * `Readable & AsyncIterable<TSchema>`.
 */
export interface CursorStream<TSchema = any> {
  [Symbol.asyncIterator](): AsyncIterator<TSchema>;
}

export interface CursorStreamOptions {
  /** Applied to every document the stream emits. */
  transform?: (doc: any) => any;
}

/** A source of documents that can be closed (any cursor). */
export interface DocumentSource<T> {
  next(): Promise<T | null>;
  close(): Promise<void>;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

type StreamFactory = (source: DocumentSource<unknown>, options: CursorStreamOptions) => CursorStream;
let streamFactory: StreamFactory | undefined;

/** Called once by the Node entry. */
export function registerCursorStreamFactory(factory: StreamFactory): void {
  streamFactory = factory;
}

export function cursorStream<T>(source: DocumentSource<T>, options: CursorStreamOptions = {}): CursorStream<T> {
  if (!streamFactory) {
    throw new MongoAPIError("cursor.stream() returns a Node.js Readable: import MongoClient from '@mongo-edge/core/node', or use cursor.toReadableStream()");
  }
  return streamFactory(source as DocumentSource<unknown>, options) as CursorStream<T>;
}

/** A WHATWG ReadableStream of the cursor's documents; cancelling it closes the cursor. */
export function cursorToReadableStream<T>(source: DocumentSource<T>, options: CursorStreamOptions = {}): ReadableStream<T> {
  const transform = options.transform;
  return new ReadableStream<T>(
    {
      async pull(controller) {
        try {
          const doc = await source.next();
          if (doc === null) {
            controller.close();
            await source.close();
          } else controller.enqueue(transform ? transform(doc) : doc);
        } catch (error) {
          await source.close().catch(() => undefined);
          controller.error(error);
        }
      },
      async cancel() {
        await source.close();
      },
    },
    { highWaterMark: 0 },
  );
}
