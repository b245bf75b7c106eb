/**
 * The BSON value classes of bson-lite: the same names, fields and `_bsontype` tags as
 * the `bson` package (js-bson 7), written small. Platform-neutral: Uint8Array,
 * TextEncoder/TextDecoder, atob/btoa, crypto.getRandomValues only.
 */

import { INSPECT_HOOKS } from '../runtime/inspect-hooks.js';
import { inspectBSONValue } from './inspect.js';

export class BSONError extends Error {
  override get name(): string {
    return 'BSONError';
  }
  get bsonError(): true {
    return true;
  }
  static isBSONError(value: unknown): value is BSONError {
    return (value as { bsonError?: unknown } | null)?.bsonError === true;
  }
}

export const fail = (message: string): never => {
  throw new BSONError(message);
};

/** The root of every bson-lite value class (js-bson's BSONValue). */
export class BSONValue {
  declare readonly _bsontype: string;
}
// The runtimes' inspectors print the constructor call, as js-bson does.
for (const hook of INSPECT_HOOKS)
  Object.defineProperty(BSONValue.prototype, hook, {
    value(this: BSONValue) {
      return inspectBSONValue(this);
    },
  });

export const encoder = new TextEncoder();
const decoders = [false, true].map((fatal) => new TextDecoder('utf-8', { fatal, ignoreBOM: true }));

/**
 * UTF-8 decode of b[start, end); `fatal` makes invalid UTF-8 a BSONError. ASCII under 12 bytes
 * without TextDecoder: by hand is faster only there (a decode() call is ~80 ns in Node 20).
 */
export const str = (b: Uint8Array, start = 0, end = b.length, fatal = false): string => {
  let s = '';
  let i = start;
  if (end - start < 12) while (i < end && b[i]! < 128) s += String.fromCharCode(b[i++]!);
  if (i == end) return s;
  try {
    return decoders[+fatal]!.decode(b.subarray(start, end));
  } catch {
    return fail('invalid UTF-8');
  }
};

export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
/** Bytes from hex digits that the caller has checked. */
export const fromHex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
export const toBase64 = (b: Uint8Array): string => {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
};
export const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
/** Object.prototype.toString's tag ('Date', 'Map', 'Uint8Array', ...): right across realms too. */
export const typeTag = (x: unknown): string => Object.prototype.toString.call(x).slice(8, -1);
/** o[key] = value, also for '__proto__' (then an own field, as JSON.parse makes it). */
export const setField = (o: Record<string, unknown>, key: string, value: unknown): unknown =>
  key == '__proto__' ? Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true }) : (o[key] = value);
const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
/** A Uint8Array over the same memory as any ArrayBufferView / ArrayBuffer. */
export const bytesOf = (x: ArrayBufferView | ArrayBufferLike): Uint8Array =>
  ArrayBuffer.isView(x) ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : new Uint8Array(x);

const HEX24 = /^[\da-f]{24}$/i;
let oidCounter = Math.floor(Math.random() * 0x1000000);
let oidUnique: Uint8Array | undefined;

export class ObjectId extends BSONValue {
  declare readonly _bsontype: 'ObjectId';
  /** The 12 bytes. */
  id: Uint8Array;

  /** From a 24-character hex string, 12 bytes, another ObjectId, or nothing (a new id). */
  constructor(input?: string | Uint8Array | ObjectId | { id: string | Uint8Array; toHexString?(): string } | null) {
    super();
    let v: unknown = input;
    if (v && typeof v == 'object' && 'id' in v) {
      const o = v as { id: unknown; toHexString?: () => string };
      v = typeof o.toHexString == 'function' ? o.toHexString() : o.id;
    }
    this.id =
      v == null
        ? ObjectId.generate()
        : ArrayBuffer.isView(v) && v.byteLength == 12
          ? bytesOf(v).slice()
          : typeof v == 'string' && HEX24.test(v)
            ? fromHex(v)
            : fail('ObjectId needs 24 hex digits or 12 bytes');
  }
  /** 4-byte big-endian seconds, 5 random bytes per process, 3-byte counter. */
  static generate(time?: number): Uint8Array {
    const b = new Uint8Array(12);
    const v = new DataView(b.buffer);
    v.setUint32(0, typeof time == 'number' ? time : Date.now() / 1000);
    b.set((oidUnique ??= random(5)), 4);
    oidCounter = (oidCounter + 1) % 0x1000000;
    v.setUint32(8, oidCounter | (b[8]! << 24));
    return b;
  }
  toHexString(): string {
    return toHex(this.id);
  }
  override toString(encoding?: 'hex' | 'base64'): string {
    return encoding == 'base64' ? toBase64(this.id) : this.toHexString();
  }
  toJSON(): string {
    return this.toHexString();
  }
  equals(other: unknown): boolean {
    const o = other as { toHexString?: () => unknown } | string | null | undefined;
    const hex = typeof o == 'string' ? o : typeof o?.toHexString == 'function' ? o.toHexString() : 0;
    return typeof hex == 'string' && hex.toLowerCase() == this.toHexString();
  }
  getTimestamp(): Date {
    return new Date(new DataView(this.id.buffer, this.id.byteOffset).getUint32(0) * 1000);
  }
  static createFromTime(seconds: number): ObjectId {
    const b = new Uint8Array(12);
    new DataView(b.buffer).setUint32(0, seconds);
    return new ObjectId(b);
  }
  static createFromHexString(hex: string): ObjectId {
    return new ObjectId(hex);
  }
  static isValid(id: unknown): boolean {
    if (id == null) return false;
    if (typeof id == 'string') return HEX24.test(id);
    try {
      new ObjectId(id as ObjectId);
      return true;
    } catch {
      return false;
    }
  }
}

export class Binary extends BSONValue {
  declare readonly _bsontype: 'Binary';
  static readonly BSON_BINARY_SUBTYPE_DEFAULT = 0;
  static readonly SUBTYPE_DEFAULT = 0;
  static readonly SUBTYPE_FUNCTION = 1;
  static readonly SUBTYPE_BYTE_ARRAY = 2;
  static readonly SUBTYPE_UUID_OLD = 3;
  static readonly SUBTYPE_UUID = 4;
  static readonly SUBTYPE_MD5 = 5;
  static readonly SUBTYPE_ENCRYPTED = 6;
  static readonly SUBTYPE_COLUMN = 7;
  static readonly SUBTYPE_SENSITIVE = 8;
  static readonly SUBTYPE_VECTOR = 9;
  static readonly SUBTYPE_USER_DEFINED = 128;
  /** The bytes (exactly `position` long in bson-lite). */
  buffer: Uint8Array;
  sub_type: number;
  position: number;

  /** Shares the memory of a Uint8Array / ArrayBuffer(View); copies a number[]. */
  constructor(buffer?: Uint8Array | ArrayBufferView | ArrayBufferLike | number[] | null, subType = 0) {
    super();
    if (typeof buffer == 'string') fail('Binary needs bytes');
    this.buffer = buffer == null ? new Uint8Array(0) : Array.isArray(buffer) ? Uint8Array.from(buffer) : bytesOf(buffer);
    this.sub_type = subType & 255;
    this.position = this.buffer.length;
  }
  /** The bytes. */
  value(): Uint8Array {
    return this.buffer.subarray(0, this.position);
  }
  length(): number {
    return this.position;
  }
  toJSON(): string {
    return toBase64(this.value());
  }
  override toString(encoding?: 'hex' | 'base64' | 'utf8' | 'utf-8'): string {
    const v = this.value();
    return encoding == 'hex' ? toHex(v) : encoding == 'base64' ? toBase64(v) : str(v);
  }
  toUUID(): UUID {
    return this.sub_type == 4 ? new UUID(this.value()) : fail('not a UUID subtype');
  }
  static createFromBase64(base64: string, subType?: number): Binary {
    return new Binary(fromBase64(base64), subType);
  }
}

const UUID_ARG = 'UUID needs 16 bytes or 32 hex digits';
const UUID_STRING = /^[\da-f]{8}(-?)[\da-f]{4}\1[\da-f]{4}\1[\da-f]{4}\1[\da-f]{12}$/i;

/** Binary subtype 4 with 16 bytes; `new UUID()` is a random (version 4) UUID. */
export class UUID extends Binary {
  constructor(input?: string | Uint8Array | UUID | null) {
    super(
      input == null
        ? UUID.generate()
        : typeof input == 'string'
          ? UUID_STRING.test(input) ? fromHex(input.replace(/-/g, '')) : fail(UUID_ARG)
          : ArrayBuffer.isView(input) && input.byteLength == 16
            ? bytesOf(input)
            : input instanceof UUID
              ? input.value().slice()
              : fail(UUID_ARG),
      4,
    );
  }
  get id(): Uint8Array {
    return this.buffer;
  }
  toHexString(includeDashes = true): string {
    const h = toHex(this.buffer);
    return includeDashes ? h.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-') : h;
  }
  override toString(encoding?: 'hex' | 'base64' | 'utf8' | 'utf-8'): string {
    return encoding == 'hex' || encoding == 'base64' ? super.toString(encoding) : this.toHexString();
  }
  override toJSON(): string {
    return this.toHexString();
  }
  equals(other: unknown): boolean {
    try {
      return !!other && new UUID(other as UUID).toHexString() == this.toHexString();
    } catch {
      return false;
    }
  }
  static generate(): Uint8Array {
    const b = random(16);
    b[6] = (b[6]! & 15) | 64;
    b[8] = (b[8]! & 63) | 128;
    return b;
  }
  static isValid(input: unknown): boolean {
    const o = input as Binary | null;
    return typeof o == 'string'
      ? UUID_STRING.test(o)
      : o instanceof Uint8Array
        ? o.length == 16
        : o?._bsontype == 'Binary' && o.sub_type == 4 && o.buffer.length == 16;
  }
}

export class Code extends BSONValue {
  declare readonly _bsontype: 'Code';
  code: string;
  scope: Record<string, unknown> | null;
  constructor(code: string | { toString(): string }, scope?: Record<string, unknown> | null) {
    super();
    this.code = code.toString();
    this.scope = scope ?? null;
  }
  toJSON(): { code: string; scope?: Record<string, unknown> } {
    return this.scope == null ? { code: this.code } : { code: this.code, scope: this.scope };
  }
}

export class DBRef extends BSONValue {
  declare readonly _bsontype: 'DBRef';
  collection: string;
  oid: ObjectId;
  db: string | undefined;
  fields: Record<string, unknown>;
  /** `collection` may be 'db.collection'. */
  constructor(collection: string, oid: ObjectId, db?: string, fields?: Record<string, unknown>) {
    super();
    const parts = collection.split('.');
    if (parts.length == 2) [db, collection] = parts as [string, string];
    this.collection = collection;
    this.oid = oid;
    this.db = db;
    this.fields = fields || {};
  }
  toJSON(): Record<string, unknown> {
    return { $ref: this.collection, $id: this.oid, ...this.fields, ...(this.db != null && { $db: this.db }) };
  }
}

/** A DBRef for a document shaped as one (a string $ref, an $id, no $db or a string one); else undefined. */
export const dbRefOf = (doc: Record<string, any>): DBRef | undefined => {
  const { $ref, $id, $db, ...fields } = doc;
  return typeof $ref == 'string' && $id != null && (!('$db' in doc) || typeof $db == 'string') ? new DBRef($ref, $id, $db, fields) : undefined;
};

export class BSONRegExp extends BSONValue {
  declare readonly _bsontype: 'BSONRegExp';
  pattern: string;
  options: string;
  /** Options are sorted; only i, l, m, s, u, x are allowed. */
  constructor(pattern: string, options?: string) {
    super();
    this.pattern = pattern;
    this.options = BSONRegExp.parseOptions(options);
    if (pattern.includes('\0')) fail('null byte in a regex');
    for (const o of this.options) if (!'ilmsux'.includes(o)) fail('invalid regex option ' + o);
  }
  static parseOptions(options?: string): string {
    return options ? [...options].sort().join('') : '';
  }
}

/** A wrapped primitive: Double, Int32 and BSONSymbol. */
abstract class Boxed<T extends number | string> extends BSONValue {
  value: T;
  constructor(value: T) {
    super();
    this.value = value;
  }
  override valueOf(): T {
    return this.value;
  }
  toJSON(): T {
    return this.value;
  }
  override toString(radix?: number): string {
    return this.value.toString(radix);
  }
}

export class BSONSymbol extends Boxed<string> {
  declare readonly _bsontype: 'BSONSymbol';
}

export class Double extends Boxed<number> {
  declare readonly _bsontype: 'Double';
  constructor(value: number | Number | string) {
    super(+value);
  }
}

export class Int32 extends Boxed<number> {
  declare readonly _bsontype: 'Int32';
  constructor(value: number | Number | string) {
    super(+value | 0);
  }
}

export class MinKey extends BSONValue {
  declare readonly _bsontype: 'MinKey';
}

export class MaxKey extends BSONValue {
  declare readonly _bsontype: 'MaxKey';
}

/** `_bsontype` lives on each prototype (as js-bson's getter does), not on instances. */
export const tag = (pairs: [{ prototype: object }, string][]): void => {
  for (const [c, name] of pairs) Object.defineProperty(c.prototype, '_bsontype', { get: () => name });
};
tag([
  [ObjectId, 'ObjectId'],
  [Binary, 'Binary'],
  [Code, 'Code'],
  [DBRef, 'DBRef'],
  [BSONRegExp, 'BSONRegExp'],
  [BSONSymbol, 'BSONSymbol'],
  [Double, 'Double'],
  [Int32, 'Int32'],
  [MinKey, 'MinKey'],
  [MaxKey, 'MaxKey'],
]);
