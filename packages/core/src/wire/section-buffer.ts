/**
 * The buffer a bulk write builds a kind-1 document sequence in (client/bulk.ts): one
 * growing byte buffer that the statements' BSON is appended to. `tryAppend` may encode
 * a document in place; when it returns -1 the caller encodes the document with the BSON
 * codec and `append`s those bytes. Either way the bytes are the codec's, so the command
 * sent is the same byte for byte.
 *
 * The default buffer never encodes in place (the generic path, and all the web bundle
 * carries). The Node entry registers the in-place writer (wire/section-writer.ts), a
 * speed path only: it saves a buffer per document and a copy.
 */
import type { Document } from '../errors.js';

export interface SectionBuffer {
  readonly length: number;
  /** The bytes written so far (a view, not a copy). */
  bytes(): Uint8Array;
  /** The bytes from `start` to the end, copied, and drops them. */
  cut(start: number): Uint8Array;
  append(bytes: Uint8Array): void;
  /** Makes room for `total` bytes in all (one allocation instead of doubling up to it). */
  reserve(total: number): void;
  setInt32(at: number, value: number): void;
  /** Appends `doc` as BSON and returns its length; -1 (and nothing written) if the caller must encode it. */
  tryAppend(doc: Document): number;
}

export interface SectionBufferOptions {
  /** undefined in a document is written as null (ignoreUndefined: false), not left out. */
  readonly undefinedAsNull?: boolean;
}

export type SectionBufferFactory = (capacity: number, options: SectionBufferOptions) => SectionBuffer;

/** A growing byte buffer that leaves all encoding to the caller. */
export class GenericSectionBuffer implements SectionBuffer {
  #buf: Uint8Array;
  #pos = 0;

  constructor(capacity = 64 * 1024) {
    this.#buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.#pos;
  }

  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  cut(start: number): Uint8Array {
    const out = this.#buf.slice(start, this.#pos);
    this.#pos = start;
    return out;
  }

  append(bytes: Uint8Array): void {
    if (this.#pos + bytes.byteLength > this.#buf.length) this.#grow(Math.max(2 * this.#buf.length, this.#pos + bytes.byteLength));
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.byteLength;
  }

  reserve(total: number): void {
    if (total > this.#buf.length) this.#grow(total);
  }

  #grow(size: number): void {
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }

  setInt32(at: number, value: number): void {
    new DataView(this.#buf.buffer, this.#buf.byteOffset).setInt32(at, value, true);
  }

  tryAppend(): number {
    return -1;
  }
}

const generic: SectionBufferFactory = (capacity) => new GenericSectionBuffer(capacity);
let factory: SectionBufferFactory = generic;

/** Called by the Node entry with the in-place writer; `undefined` restores the generic path. */
export function registerSectionBufferFactory(f: SectionBufferFactory | undefined): void {
  factory = f ?? generic;
}

export function newSectionBuffer(capacity: number, options: SectionBufferOptions = {}): SectionBuffer {
  return factory(capacity, options);
}
