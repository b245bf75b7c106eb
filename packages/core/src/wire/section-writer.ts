/**
 * A document sequence written in place: statements' BSON appended straight into one
 * growing buffer (no buffer per document, no second copy). The common values of written
 * documents (plain objects and arrays, strings, numbers, booleans, null, undefined,
 * ObjectId, Date) are encoded here with the `bson` package's exact bytes; a document with
 * anything else (Map, toBSON, bigint, Long, Binary, RegExp, class instances, a NUL in a
 * key, nesting past 100, over 16 MiB, ...) is refused (`tryAppend` returns -1, nothing is
 * kept) and the caller encodes it with `bson` and appends those bytes.
 *
 * A speed path for Node only: the Node entry registers it as the section buffer
 * (wire/section-buffer.ts); other entries, the web bundle among them, keep the generic one.
 */
import { ObjectId } from 'bson';
import type { Document } from '../errors.js';
import type { SectionBuffer, SectionBufferFactory } from './section-buffer.js';

const VERSION_KEY = Symbol.for('@@mdb.bson.version');
/** The version mark of the `bson` library this build encodes with (bson-lite has none), read off the prototype: no ObjectId is made at load time (workerd forbids random values in global scope). */
const VERSION = (ObjectId.prototype as unknown as Record<symbol, unknown>)[VERSION_KEY];
const MAX_DEPTH = 100;
const MAX_DOCUMENT = 16 * 1024 * 1024;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const encoder = new TextEncoder();

/**
 * One scratch buffer, shared by writers one at a time, as the `bson` package's serializer
 * keeps one: a writer encodes into it and copies the result out once, at its exact size,
 * in bytes(). A fresh buffer costs a page fault per 4 KiB on its first write, which for a
 * multi-megabyte batch costs more than encoding it (and doubling a small buffer up to it
 * paid those faults twice over); the scratch, once grown, is already mapped.
 */
let scratch: Uint8Array | undefined;
/** The writer holding the scratch, if any. */
let scratchOwner: SectionWriter | undefined;
/** The largest scratch kept between writers (what `bson` keeps for its own: 17 MiB). */
const MAX_SCRATCH = 17 * 1024 * 1024;

export class SectionWriter implements SectionBuffer {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;
  #docStart = 0;
  /** undefined in a document is written as null (the driver's ignoreUndefined: false), not left out. */
  readonly #undefinedAsNull: boolean;

  /**
   * Takes the scratch. Writers are used one at a time (makeBatches seals each section
   * before it opens the next), so a writer still holding it was left by an exception;
   * it gets a copy of its bytes, should it ever be used again.
   */
  constructor(capacity = 64 * 1024, options: { undefinedAsNull?: boolean } = {}) {
    this.#undefinedAsNull = options.undefinedAsNull === true;
    let buf = scratch;
    scratch = undefined;
    if (scratchOwner) {
      buf = scratchOwner.#buf;
      scratchOwner.#leaveScratch(scratchOwner.#buf.slice(0, scratchOwner.#pos));
    }
    if (buf === undefined || buf.length < capacity) buf = new Uint8Array(Math.max(capacity, 64 * 1024));
    scratchOwner = this;
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get length(): number {
    return this.#pos;
  }

  /** The bytes written so far: a view of this writer's own buffer (copied out of the scratch, which is given back). */
  bytes(): Uint8Array {
    if (scratchOwner === this) {
      const held = this.#buf;
      this.#leaveScratch(held.slice(0, this.#pos));
      if (held.length <= MAX_SCRATCH) scratch = held;
    }
    return this.#buf.subarray(0, this.#pos);
  }

  #leaveScratch(own: Uint8Array): void {
    if (scratchOwner === this) scratchOwner = undefined;
    this.#buf = own;
    this.#view = new DataView(own.buffer, own.byteOffset, own.byteLength);
  }

  /** The bytes from `start` to the end, copied, and drops them. */
  cut(start: number): Uint8Array {
    const out = this.#buf.slice(start, this.#pos);
    this.#pos = start;
    return out;
  }

  append(bytes: Uint8Array): void {
    this.#room(bytes.byteLength);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.byteLength;
  }

  setInt32(at: number, value: number): void {
    this.#view.setInt32(at, value, true);
  }

  /** Appends `doc` as BSON and returns its length; -1 (and nothing written) if `bson` must encode it. */
  tryAppend(doc: Document): number {
    const start = (this.#docStart = this.#pos);
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !isPlain(doc) || !this.#document(doc, false, 0)) {
      this.#pos = start;
      return -1;
    }
    return this.#pos - start;
  }

  reserve(total: number): void {
    if (total > this.#buf.length) this.#grow(total);
  }

  #room(n: number): void {
    if (this.#pos + n > this.#buf.length) this.#grow(Math.max(2 * this.#buf.length, this.#pos + n));
  }

  #grow(size: number): void {
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown; // on the scratch: the grown buffer is the scratch from now on
    this.#view = new DataView(grown.buffer);
  }

  #document(obj: Document, isArray: boolean, depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    const start = this.#pos;
    this.#room(5);
    this.#pos += 4;
    if (isArray) {
      const arr = obj as unknown[];
      for (let i = 0; i < arr.length; i++) if (!this.#value(String(i), arr[i], true, depth)) return false;
    } else {
      const keys = Object.keys(obj);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (!this.#value(k, obj[k], false, depth)) return false;
      }
    }
    this.#room(1);
    this.#buf[this.#pos++] = 0;
    if (this.#pos - this.#docStart > MAX_DOCUMENT) return false;
    this.#view.setInt32(start, this.#pos - start, true);
    return true;
  }

  /** Type byte and key (a cstring); false if the key holds a NUL. */
  #head(type: number, key: string): boolean {
    if (key.length > MAX_DOCUMENT) return false;
    this.#room(2 + 3 * key.length);
    const buf = this.#buf;
    buf[this.#pos++] = type;
    const n = key.length;
    let p = this.#pos;
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c === 0) return false;
      if (c >= 0x80) {
        if (key.includes('\0')) return false;
        p += encoder.encodeInto(key.slice(i), buf.subarray(p)).written!;
        break;
      }
      buf[p++] = c;
    }
    buf[p++] = 0;
    this.#pos = p;
    return true;
  }

  #value(key: string, v: unknown, inArray: boolean, depth: number): boolean {
    switch (typeof v) {
      case 'string': {
        if (v.length > MAX_DOCUMENT || !this.#head(2, key)) return false;
        this.#room(5 + 3 * v.length);
        const buf = this.#buf;
        const at = this.#pos;
        let p = at + 4;
        const n = v.length;
        if (n < 64) {
          let i = 0;
          for (; i < n; i++) {
            const c = v.charCodeAt(i);
            if (c >= 0x80) break;
            buf[p++] = c;
          }
          if (i < n) p += encoder.encodeInto(v.slice(i), buf.subarray(p)).written!;
        } else p += encoder.encodeInto(v, buf.subarray(p)).written!;
        buf[p++] = 0;
        this.#view.setInt32(at, p - at - 4, true);
        this.#pos = p;
        return true;
      }
      case 'number': {
        const int = Number.isSafeInteger(v) && v <= INT32_MAX && v >= INT32_MIN && !Object.is(v, -0);
        if (!this.#head(int ? 16 : 1, key)) return false;
        this.#room(8);
        if (int) {
          this.#view.setInt32(this.#pos, v, true);
          this.#pos += 4;
        } else {
          this.#view.setFloat64(this.#pos, v, true);
          this.#pos += 8;
        }
        return true;
      }
      case 'boolean':
        if (!this.#head(8, key)) return false;
        this.#room(1);
        this.#buf[this.#pos++] = v ? 1 : 0;
        return true;
      case 'undefined':
        // left out of a document (the bson package still refuses a NUL in its key); null in an array
        return inArray || this.#undefinedAsNull ? this.#head(10, key) : !key.includes('\0');
      case 'object': {
        if (v === null) return this.#head(10, key);
        if (Array.isArray(v)) return this.#head(4, key) && this.#document(v as Document, true, depth + 1);
        const o = v as Record<string | symbol, unknown>;
        if (typeof o.toBSON === 'function') return false;
        if (isPlain(o)) return this.#head(3, key) && this.#document(o as Document, false, depth + 1);
        if (o._bsontype === 'ObjectId' && o[VERSION_KEY] === VERSION) {
          const oid = o as unknown as ObjectId & { serializeInto?: (into: Uint8Array, at: number) => number };
          // bson 7's `serializeInto` (internal: what its own serializer calls) writes the 12 bytes in
          // place; the public `id` makes a new Buffer on every read. A result other than 12 leaves the
          // document to bson (tryAppend rewinds).
          if (typeof oid.serializeInto === 'function') {
            if (!this.#head(7, key)) return false;
            this.#room(12);
            if (oid.serializeInto(this.#buf, this.#pos) !== 12) return false;
            this.#pos += 12;
            return true;
          }
          const id = oid.id;
          if (!(id instanceof Uint8Array) || id.length !== 12 || !this.#head(7, key)) return false;
          this.#room(12);
          this.#buf.set(id, this.#pos);
          this.#pos += 12;
          return true;
        }
        if (v instanceof Date) {
          if (!this.#head(9, key)) return false;
          let t = v.getTime();
          if (Number.isNaN(t)) t = 0;
          const high = Math.floor(t / 0x100000000);
          this.#room(8);
          this.#view.setUint32(this.#pos, t - high * 0x100000000, true);
          this.#view.setInt32(this.#pos + 4, high, true);
          this.#pos += 8;
          return true;
        }
        return false;
      }
      default:
        // bigint, function, symbol: the bson package decides
        return false;
    }
  }
}

function isPlain(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return (proto === Object.prototype || proto === null) && !('_bsontype' in o);
}

/** The factory the Node entry registers (registerSectionBufferFactory). */
export const sectionWriterFactory: SectionBufferFactory = (capacity, options) => new SectionWriter(capacity, options);
