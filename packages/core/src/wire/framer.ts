/**
 * Splits a byte stream into whole wire messages. The declared length is checked as
 * soon as the 4-byte length prefix arrives, before any body is buffered: a length
 * under 16 or over maxMessageSizeBytes is a MongoProtocolError and the stream is
 * unusable afterwards.
 *
 * By default a message is a view of the chunk that holds it whole, else one copy. With a
 * `FrameOutput` every message is copied once into `alloc(headroom + length)`, at offset
 * `headroom`, so a caller that wraps each message in a header of its own (the bridge's
 * data frames) writes that header in front without a second copy. Until a message is
 * complete only the chunks that arrived are held, never a buffer sized by what the peer
 * declared.
 */
import { DriverErrorCode, MongoProtocolError } from '../errors.js';
import { DEFAULT_MAX_MESSAGE_SIZE_BYTES, MESSAGE_HEADER_SIZE } from './constants.js';

/** Where complete messages go: `alloc(size)` returns `size` writable bytes (not necessarily zeroed). */
export interface FrameOutput<T extends Uint8Array> {
  readonly headroom: number;
  alloc(size: number): T;
}

export class MessageFramer<T extends Uint8Array = Uint8Array> {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #expected = -1;
  #failed: MongoProtocolError | undefined;
  readonly #output: FrameOutput<T> | undefined;

  constructor(
    public maxMessageSizeBytes: number = DEFAULT_MAX_MESSAGE_SIZE_BYTES,
    output?: FrameOutput<T>,
  ) {
    this.#output = output;
  }

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Feed bytes; returns the complete messages they finish (possibly none). */
  push(chunk: Uint8Array): T[] {
    if (this.#failed) throw this.#failed;
    const out: T[] = [];
    if (chunk.byteLength === 0) return out;
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    for (;;) {
      if (this.#expected < 0) {
        if (this.#buffered < 4) break;
        const prefix = this.#front(4);
        const length = new DataView(prefix.buffer, prefix.byteOffset).getInt32(0, true);
        if (length < MESSAGE_HEADER_SIZE) {
          throw (this.#failed = new MongoProtocolError(`invalid message length ${length}: smaller than the 16-byte header`));
        }
        if (length > this.maxMessageSizeBytes) {
          throw (this.#failed = new MongoProtocolError(
            `message length ${length} exceeds maxMessageSizeBytes ${this.maxMessageSizeBytes}`,
            DriverErrorCode.MessageTooLarge,
          ));
        }
        this.#expected = length;
      }
      if (this.#buffered < this.#expected) break;
      out.push(this.#take(this.#expected));
      this.#expected = -1;
    }
    return out;
  }

  /** The first n buffered bytes (n <= buffered): a view when one chunk holds them, else a copy. */
  #front(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.byteLength >= n) return first.subarray(0, n);
    return this.#copyFront(new Uint8Array(n), 0, n);
  }

  /** Copies the first n buffered bytes into `into` at `offset`, without consuming them. */
  #copyFront<U extends Uint8Array>(into: U, offset: number, n: number): U {
    let o = 0;
    for (const c of this.#chunks) {
      if (o === n) break;
      const part = c.subarray(0, n - o);
      into.set(part, offset + o);
      o += part.byteLength;
    }
    return into;
  }

  /** Removes and returns the first n buffered bytes (into the output's buffer when there is one). */
  #take(n: number): T {
    const output = this.#output;
    const out = output
      ? this.#copyFront(output.alloc(output.headroom + n), output.headroom, n)
      : (this.#front(n) as T);
    this.#buffered -= n;
    while (n > 0) {
      const c = this.#chunks[0]!;
      if (c.byteLength > n) {
        this.#chunks[0] = c.subarray(n);
        break;
      }
      this.#chunks.shift();
      n -= c.byteLength;
    }
    return out;
  }
}
