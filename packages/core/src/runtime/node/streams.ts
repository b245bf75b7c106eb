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

/**
 * The official driver's stream shape: object mode, a high-water mark of one document, and no
 * auto-destroy, so the stream emits 'end' but not 'close' when the documents run out (the
 * cursor is exhausted, hence closed, by then); destroying it closes the cursor.
 */
class CursorReadable extends Readable {
  readonly #source: DocumentSource<unknown>;
  readonly #transform: ((doc: any) => any) | undefined;
  #reading = false;

  constructor(source: DocumentSource<unknown>, transform: ((doc: any) => any) | undefined) {
    super({ objectMode: true, autoDestroy: false, highWaterMark: 1 });
    this.#source = source;
    this.#transform = transform;
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    void this.#pull();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#source.close().then(
      () => callback(error),
      (closeError: Error) => callback(closeError),
    );
  }

  /** Push documents until the consumer has enough, the cursor ends, or it fails. */
  async #pull(): Promise<void> {
    try {
      for (;;) {
        const doc = await this.#source.next();
        if (doc === null) {
          this.push(null);
          return;
        }
        if (this.destroyed) return void (await this.#source.close().catch(() => undefined));
        if (!this.push(this.#transform ? this.#transform(doc) : doc)) {
          this.#reading = false;
          return;
        }
      }
    } catch (error) {
      this.#reading = false;
      this.destroy(error as Error);
    }
  }
}

/** A Node Readable of `source`'s documents (optionally transformed). */
export function nodeCursorStream(source: DocumentSource<unknown>, options: CursorStreamOptions = {}): CursorStream {
  return new CursorReadable(source, options.transform) as unknown as CursorStream;
}

registerCursorStreamFactory(nodeCursorStream);
