/**
 * serialize / deserialize / calculateObjectSize with js-bson 7's semantics (type
 * mapping, options, defaults, key checks), byte-identical output, and a BSONError for
 * every malformed input.
 */
import { Decimal128 } from './decimal128.js';
import { Long, Timestamp } from './long.js';
import {
  BSONError,
  BSONRegExp,
  BSONSymbol,
  Binary,
  Code,
  DBRef,
  Double,
  Int32,
  MaxKey,
  MinKey,
  ObjectId,
  UUID,
  bytesOf,
  dbRefOf,
  encoder,
  fail,
  setField,
  str,
  typeTag,
} from './values.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Document {
  [key: string]: any;
}

export interface SerializeOptions {
  /** Refuse keys that start with '$' or contain '.' (default false). */
  checkKeys?: boolean;
  /** Write functions as BSON code (default false: skipped). */
  serializeFunctions?: boolean;
  /** Leave out undefined object fields (default true; in arrays undefined is null). */
  ignoreUndefined?: boolean;
  /** Raises the 17 MiB size limit. */
  minInternalBufferSize?: number;
  /** Ignored (js-bson: an offset for serializeWithBufferAndIndex). */
  index?: number;
}

export interface DeserializeOptions {
  /** int64 as bigint (default false). */
  useBigInt64?: boolean;
  /** int64 within ±2^53 as number (default true). */
  promoteLongs?: boolean;
  /** Binary as Uint8Array (default false). */
  promoteBuffers?: boolean;
  /** int32/double/symbol as JS values (default true); false gives Int32, Double, BSONSymbol, Long. */
  promoteValues?: boolean;
  /** Arrays under these top-level names keep their documents as raw bytes. */
  fieldsAsRaw?: Document;
  /** Regular expressions as BSONRegExp (default false: RegExp). */
  bsonRegExp?: boolean;
  /** Not supported (js-bson: bytes after the document); the buffer must be exactly the document. */
  allowObjectSmallerThanBufferSize?: false;
  /** Not supported (js-bson: where the document starts); the document starts at 0. */
  index?: 0;
  /** Embedded documents as raw bytes (default false). */
  raw?: boolean;
  /** UTF-8 validation of strings (default true). js-bson's per-key form is refused. */
  validation?: { utf8: boolean | Record<string, true> | Record<string, false> };
}

export type CalculateObjectSizeOptions = Pick<SerializeOptions, 'serializeFunctions' | 'ignoreUndefined'>;

const MAX_SIZE = 17 * 1024 * 1024;

/** A document as BSON bytes. */
export function serialize(doc: Document, options: SerializeOptions = {}): Uint8Array {
  if (doc != null && (typeof doc != 'object' || Array.isArray(doc) || typeof doc._bsontype == 'string' || /^(Date|RegExp|Uint8Array|(Shared)?ArrayBuffer)$/.test(typeTag(doc))))
    fail('a document must be an object or a Map');
  return encode(doc, options);
}

/** The size serialize() would produce (the root may also be an array). */
export function calculateObjectSize(doc: Document, options: CalculateObjectSizeOptions = {}): number {
  return encode(doc, options).length;
}

// The encoder's state lives at module level (no closures made per call); a serialize()
// nested in a toBSON() saves and restores it. The output buffer is reused between calls
// (serialize() returns an exact-size copy) unless it has grown past SCRATCH_KEEP.
const SCRATCH_KEEP = 1024 * 1024;
/** Strings at least this long go to TextEncoder.encodeInto; shorter ones (keys) are copied char by char. */
const NATIVE_UTF8_MIN = 24;
let scratch: Uint8Array | undefined = new Uint8Array(16 * 1024);
let b: Uint8Array = new Uint8Array(0);
let v = new DataView(b.buffer);
let p = 0;
let limit = 0;
let withFunctions = false;
/** The documents being written, outermost first: a cycle is looked for only past CYCLE_CHECK_DEPTH (a cycle always gets there). */
let path: object[] = [];
let depth = 0;
const CYCLE_CHECK_DEPTH = 64;
let active = false;

/** Room for n more bytes at p. */
const room = (n: number): void => {
  if (p + n <= b.length) return;
  if (p + n > limit) fail(`document larger than ${limit} bytes`);
  const grown = new Uint8Array(Math.min(limit, Math.max(2 * b.length, p + n)));
  grown.set(b.subarray(0, p));
  v = new DataView((b = grown).buffer);
};
const byte = (x: number) => (room(1), (b[p++] = x));
const i32 = (x: number) => (room(4), v.setInt32(p, x, true), (p += 4));
const f64 = (x: number) => (room(8), v.setFloat64(p, x, true), (p += 8));
const i64 = (x: bigint) => (room(8), v.setBigInt64(p, x, true), (p += 8));
const put = (x: Uint8Array) => (room(x.length), b.set(x, p), (p += x.length));
/** s as UTF-8 and a NUL (short ASCII directly, the rest through TextEncoder); returns the bytes written. */
const cstr = (s: string): number => {
  const n = s.length;
  const start = p;
  room(Math.min(3 * n + 1, limit - p));
  let i = 0;
  if (n < NATIVE_UTF8_MIN) for (let c; i < n && (c = s.charCodeAt(i)) < 128; i++) b[p + i] = c;
  if (i < n) {
    const { read, written } = encoder.encodeInto(i ? s.slice(i) : s, b.subarray(p + i));
    if (read! < n - i) room(limit); // past the size limit: room() throws
    i += written!;
  }
  p += i;
  byte(0);
  return p - start;
};
const string = (s: string) => {
  const start = p;
  i32(0);
  const n = cstr(s); // may grow b: read v only afterwards
  v.setInt32(start, n, true);
};
const noNul = (what: string, s: string) => s.includes('\0') && fail('null byte in ' + what);
/** An element's type byte and name. */
const head = (type: number, key: string) => (byte(type), cstr(key));
const isPlain = (x: object) => {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
};

/** A document or array, length-prefixed. */
function doc(obj: any, ignoreUndefined: boolean, checkKeys: boolean): void {
  const start = p;
  i32(0);
  if (depth >= CYCLE_CHECK_DEPTH && path.lastIndexOf(obj, depth - 1) >= 0) fail('circular reference');
  path[depth++] = obj;
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) value('' + i, obj[i], true, ignoreUndefined, checkKeys);
  } else {
    const isMap = !isPlain(obj) && typeTag(obj) == 'Map';
    let target = obj;
    if (!isMap && typeof obj.toBSON == 'function') {
      target = obj.toBSON();
      if (target != null && typeof target != 'object') fail('toBSON() must return an object');
    }
    for (const key of isMap ? obj.keys() : Object.keys(target)) {
      if (typeof key != 'string') fail('Map keys must be strings');
      noNul('a key', key);
      if (checkKeys && !/^\$(db|ref|id|clusterTime)$/.test(key) && /^\$|\./.test(key)) fail('invalid key ' + key);
      value(key, isMap ? obj.get(key) : target[key], !ignoreUndefined, ignoreUndefined, checkKeys);
    }
  }
  byte(0);
  path[--depth] = undefined!;
  v.setInt32(start, p - start, true);
}

function value(key: string, x: any, undefinedAsNull: boolean, ignoreUndefined: boolean, checkKeys: boolean): void {
  if (x != null && typeof x.toBSON == 'function') x = x.toBSON();
  switch (typeof x) {
    case 'string':
      head(2, key);
      string(x);
      return;
    case 'number': {
      const int = !Object.is(x, -0) && Number.isSafeInteger(x) && x == (x | 0);
      head(int ? 16 : 1, key);
      int ? i32(x) : f64(x);
      return;
    }
    case 'boolean':
      head(8, key);
      byte(+x);
      return;
    case 'bigint':
      head(18, key);
      i64(x);
      return;
    case 'undefined':
      if (undefinedAsNull) head(10, key);
      return;
    case 'function':
      if (withFunctions) head(13, key), string(x.toString());
      return;
    case 'symbol':
      return;
  }
  if (x === null) return void head(10, key);
  const bsontype = x._bsontype;
  if (bsontype == null) {
    switch (Array.isArray(x) ? 'Array' : isPlain(x) ? 'Object' : typeTag(x)) {
      case 'Date':
        head(9, key);
        i64(BigInt(x.getTime() || 0));
        return;
      case 'Uint8Array':
        head(5, key);
        i32(x.length);
        byte(0);
        put(x);
        return;
      case 'RegExp':
        noNul('a regex', x.source);
        head(11, key);
        cstr(x.source);
        cstr((x.ignoreCase ? 'i' : '') + (x.global ? 's' : '') + (x.multiline ? 'm' : ''));
        return;
      default:
        head(Array.isArray(x) ? 4 : 3, key);
        doc(x, ignoreUndefined, checkKeys);
        return;
    }
  }
  switch (bsontype) {
    case 'BSONRegExp':
      noNul('a regex', x.pattern);
      head(11, key);
      cstr(x.pattern);
      cstr(BSONRegExp.parseOptions(x.options));
      return;
    case 'ObjectId':
      head(7, key);
      put(x.id);
      return;
    case 'Decimal128':
      head(19, key);
      put(x.bytes);
      return;
    case 'Long':
    case 'Timestamp':
      head(bsontype == 'Long' ? 18 : 17, key);
      i32(x.low);
      i32(x.high);
      return;
    case 'Double':
      head(1, key);
      f64(x.value);
      return;
    case 'Int32':
      head(16, key);
      i32(x.valueOf());
      return;
    case 'Code':
      if (x.scope && typeof x.scope == 'object') {
        head(15, key);
        const start = p;
        i32(0);
        string(x.code);
        doc(x.scope, ignoreUndefined, checkKeys);
        v.setInt32(start, p - start, true);
      } else head(13, key), string(x.code.toString());
      return;
    case 'Binary': {
      const n: number = x.position;
      const sub: number = x.sub_type;
      head(5, key);
      i32(sub == 2 ? n + 4 : n);
      byte(sub);
      if (sub == 2) i32(n);
      put(x.buffer.subarray(0, n));
      return;
    }
    case 'BSONSymbol':
      head(14, key);
      string(x.value);
      return;
    case 'DBRef':
      head(3, key);
      doc({ $ref: x.collection, $id: x.oid, ...(x.db != null && { $db: x.db }), ...x.fields }, true, false);
      return;
    case 'MinKey':
      return void head(255, key);
    case 'MaxKey':
      return void head(127, key);
    default:
      fail('unknown _bsontype ' + bsontype);
  }
}

function encode(root: Document | null | undefined, o: SerializeOptions): Uint8Array {
  // A serialize() inside a toBSON(): keep the outer document's state to put back.
  const outer = active ? ([b, v, p, limit, withFunctions, path, depth] as const) : undefined;
  active = true;
  limit = Math.max(MAX_SIZE, o.minInternalBufferSize || 0);
  withFunctions = o.serializeFunctions === true;
  b = (!outer && scratch) || new Uint8Array(256);
  v = new DataView(b.buffer);
  p = 0;
  if (outer) path = [];
  depth = 0;
  try {
    if (root == null) i32(5), byte(0);
    else doc(root, o.ignoreUndefined !== false, o.checkKeys === true);
    return b.slice(0, p);
  } catch (e) {
    // a stack overflow (nesting too deep for recursion) is reported as a BSONError too
    throw e instanceof RangeError ? new BSONError(e.message, { cause: e }) : e;
  } finally {
    while (depth) path[--depth] = undefined!; // after a throw: drop the references
    if (outer) [b, v, p, limit, withFunctions, path, depth] = outer;
    else {
      if (b.length <= SCRATCH_KEEP) scratch = b;
      active = false;
    }
  }
}

// The decoder's state lives at module level too (no closures made per call). No user
// code runs while a document is read (no hooks; the value classes' constructors only),
// so a deserialize() never starts inside another.
/** The bytes, a view over them, the read position, and the terminator's position in the document being read. */
let db: Uint8Array;
let dv: DataView;
let dp: number;
let dend: number;
let promoteValues: boolean;
let promoteLongs: boolean;
let useBigInt64: boolean;
let validate: boolean;
let opts: DeserializeOptions;

/**
 * Decoded field names by a hash of their bytes (direct-mapped): names repeat across the
 * documents of a reply, and one met before is already a property name V8 has interned,
 * so neither decoding it nor storing the field under it looks it up again. Names up to
 * KEY_MAX bytes are kept (1,024 short strings at most).
 */
const KEY_SLOTS = 1024;
const KEY_MAX = 64;
const keyCache: string[] = Array(KEY_SLOTS).fill('');

/** Little-endian int32 at `at`, which the caller has checked to be inside the document. */
const int32 = (at: number): number => dv.getInt32(at, true);
/** The position of the next n bytes of a value inside the current document. */
const take = (len: number): number => ((dp += len) > dend ? fail('value past end of document') : dp - len);
/** The next n bytes (a view): take() moves dp past them before dp is read. */
const bytes = (n: number): Uint8Array => db.subarray(take(n), dp);
/**
 * A cstring (a field name, a regex): one seen before comes from keyCache. Only strings
 * of one char per byte are kept (short ASCII: invalid UTF-8 decodes to U+FFFD, which
 * never equals a byte), so equal chars mean equal bytes.
 */
const cstring = (): string => {
  const s = dp;
  let h = 0;
  let c;
  while ((c = db[dp++])) h = (h * 31 + c) | 0;
  // dp is past the NUL, which must be inside the document
  if (dp > dend) fail('unterminated cstring');
  const n = dp - 1 - s;
  const slot = h & (KEY_SLOTS - 1);
  let k = keyCache[slot]!;
  let i = 0;
  // past k's end charCodeAt is NaN: no match
  while (i < n && k.charCodeAt(i) == db[s + i]) i++;
  return i == n && k.length == n ? k : (k = str(db, s, dp - 1)).length == n && n <= KEY_MAX ? (keyCache[slot] = k) : k;
};
/** The length of the embedded document at dp (checked to fit the current one). */
const sized = (what: string): number => {
  const size = int32(take(4));
  dp -= 4;
  return size < 5 || size > dend - dp ? fail(`bad ${what} length`) : size;
};
const readString = (): string => {
  const len = int32(take(4));
  if (len <= 0 || len > dend - dp || db[dp + len - 1]) fail('bad string length');
  return str(db, take(len), dp - 1, validate);
};

/** A document, array (kind 1) or code scope (kind 2) at `start`; the caller has checked its length. */
function read(start: number, kind: number, rawArray: boolean): Document {
  const outer = dend;
  const end = (dend = start + int32(start) - 1);
  if (db[end]) fail('document not terminated');
  const out: Document = kind == 1 ? [] : {};
  let n = 0;
  let dbref = kind ? false : null;
  dp = start + 4;
  while (dp < end) {
    const type = db[dp++]!;
    const name = cstring();
    const key = kind == 1 ? n++ : name;
    if (dbref !== false && name[0] == '$') dbref = /^\$(ref|id|db)$/.test(name);
    let x: unknown;
    if (type == 2) {
      x = readString();
    } else if (type == 16) {
      x = int32(take(4));
      if (!promoteValues) x = new Int32(x as number);
    } else if (type == 1) {
      x = dv.getFloat64(take(8), true);
      if (!promoteValues) x = new Double(x as number);
    } else if (type == 3) {
      // read() leaves dp after the document it read
      const size = sized('document');
      x = opts.raw || rawArray ? bytes(size) : read(dp, 0, false);
    } else if (type == 4) {
      sized('array');
      x = read(dp, 1, rawArray || !!opts.fieldsAsRaw?.[key]);
    } else if (type == 8) {
      x = db[take(1)];
      x = x == 1 || (x ? fail('bad boolean') : false);
    } else if (type == 18) {
      const at = take(8);
      const low = int32(at);
      const high = int32(at + 4);
      // high * 2^32 + low is exact within ±2^53; 2^53 + 1 rounds to 2^53 (so low is checked there)
      const w = high * 2 ** 32 + (low >>> 0);
      x = useBigInt64 ? dv.getBigInt64(at, true) : promoteLongs && promoteValues && (Number.isSafeInteger(w) || (!low && Math.abs(w) == 2 ** 53)) ? w : new Long(low, high);
    } else if (type == 9) {
      x = new Date(Number(dv.getBigInt64(take(8), true)));
    } else if (type == 7) {
      x = new ObjectId(bytes(12));
    } else if (type == 10) {
      x = null;
    } else if (type == 5) {
      let len = int32(take(4));
      const sub = db[take(1)]!;
      if ((sub == 2 && int32(take(4)) != (len -= 4)) || len < 0) fail('bad binary length');
      const data = bytes(len);
      x = opts.promoteBuffers && promoteValues ? data : sub == 4 && len == 16 ? new UUID(data) : new Binary(data, sub);
    } else if (type == 11) {
      const source = cstring();
      const flags = cstring();
      // BSON 's' (dotAll) becomes 'g', as js-bson does; flags JS lacks are dropped
      x = opts.bsonRegExp ? new BSONRegExp(source, flags) : new RegExp(source, flags.replace(/[^ims]/g, '').replace(/s/g, 'g'));
    } else if (type == 12) {
      const ns = readString();
      x = new DBRef(ns, new ObjectId(bytes(12)));
    } else if (type == 13) {
      x = new Code(readString());
    } else if (type == 14) {
      x = readString();
      if (!promoteValues) x = new BSONSymbol(x as string);
    } else if (type == 15) {
      const total = int32(take(4));
      const codeStart = dp;
      const code = readString();
      const size = sized('code scope');
      if (total != 4 + size + dp - codeStart) fail('bad code_w_scope length');
      x = new Code(code, read(dp, 2, false));
    } else if (type == 17) {
      x = new Timestamp(dv.getBigUint64(take(8), true));
    } else if (type == 19) {
      x = new Decimal128(bytes(16).slice());
    } else if (type == 255) {
      x = new MinKey();
    } else if (type == 127) {
      x = new MaxKey();
    } else if (type != 6) {
      // 6 (undefined) leaves x undefined
      fail(`unknown BSON type ${type} in "${name}"`);
    }
    setField(out, key as string, x);
  }
  dp = end + 1;
  dend = outer;
  return (dbref && dbRefOf(out)) || out;
}

/** A document from BSON bytes (a Uint8Array, any ArrayBufferView, or an ArrayBuffer). */
export function deserialize(buffer: Uint8Array | ArrayBufferView | ArrayBuffer, options: DeserializeOptions = {}): Document {
  const o = options ?? {};
  db = bytesOf(buffer);
  try {
    dv = new DataView(db.buffer, db.byteOffset, db.length);
    promoteValues = o.promoteValues ?? true;
    promoteLongs = o.promoteLongs ?? true;
    useBigInt64 = o.useBigInt64 ?? false;
    validate = (o.validation ?? { utf8: true }).utf8 as boolean;
    opts = o;
    if (useBigInt64 && !(promoteValues && promoteLongs)) fail('useBigInt64 needs promoteLongs and promoteValues');
    if (typeof validate != 'boolean') fail('validation.utf8 must be a boolean');
    const size = db.length < 5 ? 0 : int32(0);
    if (size < 5 || size != db.length) fail(`bad document length ${size} in ${db.length} bytes`);
    return read(0, 0, false);
  } catch (e) {
    // never a RangeError/TypeError from a malformed input (or a stack overflow on deep nesting)
    throw e instanceof BSONError ? e : new BSONError((e as Error).message, { cause: e });
  } finally {
    // no reference kept to the caller's bytes
    db = dv = undefined!;
  }
}
