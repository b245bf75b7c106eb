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

function encode(root: Document | null | undefined, o: SerializeOptions): Uint8Array {
  const limit = Math.max(MAX_SIZE, o.minInternalBufferSize || 0);
  let b = new Uint8Array(256);
  let v = new DataView(b.buffer);
  let p = 0;
  const seen = new Set<object>();
  /** The DataView, with room for n more bytes at p. */
  const at = (n: number): DataView => {
    if (p + n > b.length) {
      if (p + n > limit) fail(`document larger than ${limit} bytes`);
      const grown = new Uint8Array(Math.min(limit, Math.max(2 * b.length, p + n)));
      grown.set(b);
      v = new DataView((b = grown).buffer);
    }
    return v;
  };
  const byte = (x: number) => at(1).setUint8(p++, x);
  const i32 = (x: number) => (at(4).setInt32(p, x, true), (p += 4));
  const f64 = (x: number) => (at(8).setFloat64(p, x, true), (p += 8));
  const i64 = (x: bigint) => (at(8).setBigInt64(p, x, true), (p += 8));
  const put = (x: Uint8Array) => (at(x.length), b.set(x, p), (p += x.length));
  /** s as UTF-8 and a NUL (ASCII directly, the rest through TextEncoder); returns the bytes written. */
  const cstr = (s: string): number => {
    const n = s.length;
    const start = p;
    at(Math.min(3 * n, limit - p));
    let i = 0;
    for (let c; i < n && (c = s.charCodeAt(i)) < 128; i++) b[p + i] = c;
    if (i < n) {
      const { read, written } = encoder.encodeInto(s.slice(i), b.subarray(p + i));
      if (read! < n - i) at(limit); // past the size limit: at() throws
      i += written!;
    }
    p += i;
    byte(0);
    return p - start;
  };
  const string = (s: string) => {
    const start = p;
    i32(0);
    const n = cstr(s);
    v.setInt32(start, n, true);
  };
  const noNul = (what: string, s: string) => s.includes('\0') && fail('null byte in ' + what);
  /** A length-prefixed document (or code_w_scope): writes the int32 length at the start when `body` is done. */
  const sized = (body: () => void) => {
    const start = p;
    i32(0);
    body();
    v.setInt32(start, p - start, true);
  };

  const doc = (obj: any, ignoreUndefined: boolean, checkKeys: boolean): void =>
    sized(() => {
      if (seen.has(obj)) fail('circular reference');
      seen.add(obj);
      const isArray = Array.isArray(obj);
      const isMap = typeTag(obj) == 'Map';
      let target = obj;
      if (!isArray && !isMap && typeof obj.toBSON == 'function') {
        target = obj.toBSON();
        if (target != null && typeof target != 'object') fail('toBSON() must return an object');
      }
      for (let key of isArray || isMap ? obj.keys() : Object.keys(target)) {
        const x = isMap ? obj.get(key) : target[key];
        if (isArray) key += '';
        else {
          if (typeof key != 'string') fail('Map keys must be strings');
          noNul('a key', key);
          if (checkKeys && !/^\$(db|ref|id|clusterTime)$/.test(key) && /^\$|\./.test(key)) fail('invalid key ' + key);
        }
        value(key, x, isArray || !ignoreUndefined, ignoreUndefined, checkKeys);
      }
      byte(0);
      seen.delete(obj);
    });

  const value = (key: string, x: any, undefinedAsNull: boolean, ignoreUndefined: boolean, checkKeys: boolean): void => {
    const head = (type: number) => (byte(type), cstr(key));
    if (typeof x?.toBSON == 'function') x = x.toBSON();
    const type = x === null ? 'null' : typeof x;
    const bsontype = x?._bsontype;
    switch (type == 'object' ? (bsontype ?? typeTag(x)) : type) {
      case 'undefined':
      case 'null':
        if (x === null || undefinedAsNull) head(10);
        break;
      case 'string':
        head(2);
        string(x);
        break;
      case 'number': {
        const int = !Object.is(x, -0) && Number.isSafeInteger(x) && x == (x | 0);
        head(int ? 16 : 1);
        int ? i32(x) : f64(x);
        break;
      }
      case 'bigint':
        head(18);
        i64(x);
        break;
      case 'boolean':
        head(8);
        byte(+x);
        break;
      case 'function':
        if (o.serializeFunctions === true) head(13), string(x.toString());
        break;
      case 'symbol':
        break;
      case 'Date':
        head(9);
        i64(BigInt(x.getTime() || 0));
        break;
      case 'Uint8Array':
        head(5);
        i32(x.length);
        byte(0);
        put(x);
        break;
      case 'RegExp':
        noNul('a regex', x.source);
        head(11);
        cstr(x.source);
        cstr((x.ignoreCase ? 'i' : '') + (x.global ? 's' : '') + (x.multiline ? 'm' : ''));
        break;
      case 'BSONRegExp':
        noNul('a regex', x.pattern);
        head(11);
        cstr(x.pattern);
        cstr(BSONRegExp.parseOptions(x.options));
        break;
      case 'ObjectId':
        head(7);
        put(x.id);
        break;
      case 'Decimal128':
        head(19);
        put(x.bytes);
        break;
      case 'Long':
      case 'Timestamp':
        head(bsontype == 'Long' ? 18 : 17);
        i32(x.low);
        i32(x.high);
        break;
      case 'Double':
        head(1);
        f64(x.value);
        break;
      case 'Int32':
        head(16);
        i32(x.valueOf());
        break;
      case 'Code':
        if (x.scope && typeof x.scope == 'object') {
          head(15);
          sized(() => (string(x.code), doc(x.scope, ignoreUndefined, checkKeys)));
        } else head(13), string(x.code.toString());
        break;
      case 'Binary': {
        const n: number = x.position;
        const sub: number = x.sub_type;
        head(5);
        i32(sub == 2 ? n + 4 : n);
        byte(sub);
        if (sub == 2) i32(n);
        put(x.buffer.subarray(0, n));
        break;
      }
      case 'BSONSymbol':
        head(14);
        string(x.value);
        break;
      case 'DBRef':
        head(3);
        doc({ $ref: x.collection, $id: x.oid, ...(x.db != null && { $db: x.db }), ...x.fields }, true, false);
        break;
      case 'MinKey':
        head(255);
        break;
      case 'MaxKey':
        head(127);
        break;
      default:
        if (bsontype != null) fail('unknown _bsontype ' + bsontype);
        head(Array.isArray(x) ? 4 : 3);
        doc(x, ignoreUndefined, checkKeys);
    }
  };

  try {
    if (root == null) i32(5), byte(0);
    else doc(root, o.ignoreUndefined !== false, o.checkKeys === true);
  } catch (e) {
    // a stack overflow (nesting too deep for recursion) is reported as a BSONError too
    throw e instanceof RangeError ? new BSONError(e.message, { cause: e }) : e;
  }
  return b.slice(0, p);
}

const TWO53 = 2n ** 53n;

/** A document from BSON bytes (a Uint8Array, any ArrayBufferView, or an ArrayBuffer). */
export function deserialize(buffer: Uint8Array | ArrayBufferView | ArrayBuffer, options: DeserializeOptions = {}): Document {
  const o = options ?? {};
  const b = bytesOf(buffer);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const promoteValues = o.promoteValues ?? true;
  const promoteLongs = o.promoteLongs ?? true;
  const useBigInt64 = o.useBigInt64 ?? false;
  if (useBigInt64 && !(promoteValues && promoteLongs)) fail('useBigInt64 needs promoteLongs and promoteValues');
  const validate = (o.validation ?? { utf8: true }).utf8;
  if (typeof validate != 'boolean') fail('validation.utf8 must be a boolean');

  /** The read position, and the terminator's position in the document being read. */
  let p = 0;
  let end = 0;
  const i32 = (at: number) => v.getInt32(at, true);
  /** The position of the next n bytes of a value inside the current document. */
  const take = (len: number): number => ((p += len) > end ? fail('value past end of document') : p - len);
  /** The next n bytes (a view): take() moves p past them before p is read. */
  const bytes = (n: number): Uint8Array => b.subarray(take(n), p);
  const cstring = (): string => {
    const s = p;
    while (b[p]) p++;
    return p++ >= end ? fail('unterminated cstring') : str(b, s, p - 1);
  };
  /** The length of the embedded document at p (checked to fit the current one). */
  const sized = (what: string): number => {
    const size = i32(take(4));
    p -= 4;
    return size < 5 || size > end - p ? fail(`bad ${what} length`) : size;
  };
  const string = (): string => {
    const len = i32(take(4));
    if (len <= 0 || len > end - p || b[p + len - 1]) fail('bad string length');
    return str(b, take(len), p - 1, validate as boolean);
  };

  /** A document, array (kind 1) or code scope (kind 2) at `start`; the caller has checked its length. */
  const read = (start: number, kind: number, rawArray: boolean): Document => {
    const outer = end;
    end = start + i32(start) - 1;
    if (b[end]) fail('document not terminated');
    const out: Document = kind == 1 ? [] : {};
    let n = 0;
    let dbref = kind ? false : null;
    p = start + 4;
    while (p < end) {
      const type = b[p++]!;
      const name = cstring();
      const key = kind == 1 ? n++ + '' : name;
      if (dbref !== false && key[0] == '$') dbref = /^\$(ref|id|db)$/.test(key);
      let x: unknown;
      if (type == 1) {
        x = v.getFloat64(take(8), true);
        if (!promoteValues) x = new Double(x as number);
      } else if (type == 2) {
        x = string();
      } else if (type == 3) {
        // read() leaves p after the document it read
        const size = sized('document');
        x = o.raw || rawArray ? bytes(size) : read(p, 0, false);
      } else if (type == 4) {
        sized('array');
        x = read(p, 1, rawArray || !!o.fieldsAsRaw?.[key]);
      } else if (type == 5) {
        let len = i32(take(4));
        const sub = b[take(1)]!;
        if ((sub == 2 && i32(take(4)) != (len -= 4)) || len < 0) fail('bad binary length');
        const data = bytes(len);
        x = o.promoteBuffers && promoteValues ? data : sub == 4 && len == 16 ? new UUID(data) : new Binary(data, sub);
      } else if (type == 6) {
        x = undefined;
      } else if (type == 7) {
        x = new ObjectId(bytes(12));
      } else if (type == 8) {
        x = b[take(1)];
        x = x == 1 || (x ? fail('bad boolean') : false);
      } else if (type == 9) {
        x = new Date(Number(v.getBigInt64(take(8), true)));
      } else if (type == 10) {
        x = null;
      } else if (type == 11) {
        const source = cstring();
        const flags = cstring();
        // BSON 's' (dotAll) becomes 'g', as js-bson does; flags JS lacks are dropped
        x = o.bsonRegExp ? new BSONRegExp(source, flags) : new RegExp(source, flags.replace(/[^ims]/g, '').replace(/s/g, 'g'));
      } else if (type == 12) {
        const ns = string();
        x = new DBRef(ns, new ObjectId(bytes(12)));
      } else if (type == 13) {
        x = new Code(string());
      } else if (type == 14) {
        x = string();
        if (!promoteValues) x = new BSONSymbol(x as string);
      } else if (type == 15) {
        const total = i32(take(4));
        const codeStart = p;
        const code = string();
        const size = sized('code scope');
        if (total != 4 + size + p - codeStart) fail('bad code_w_scope length');
        x = new Code(code, read(p, 2, false));
      } else if (type == 16) {
        x = i32(take(4));
        if (!promoteValues) x = new Int32(x as number);
      } else if (type == 17) {
        x = new Timestamp(v.getBigUint64(take(8), true));
      } else if (type == 18) {
        const w = v.getBigInt64(take(8), true);
        x = useBigInt64 ? w : promoteLongs && promoteValues && w <= TWO53 && w >= -TWO53 ? Number(w) : Long.fromBigInt(w);
      } else if (type == 19) {
        x = new Decimal128(bytes(16).slice());
      } else if (type == 255) {
        x = new MinKey();
      } else if (type == 127) {
        x = new MaxKey();
      } else {
        fail(`unknown BSON type ${type} in "${name}"`);
      }
      setField(out, key, x);
    }
    p = end + 1;
    end = outer;
    return (dbref && dbRefOf(out)) || out;
  };

  try {
    const size = b.length < 5 ? 0 : i32(0);
    if (size < 5 || size != b.length) fail(`bad document length ${size} in ${b.length} bytes`);
    return read(0, 0, false);
  } catch (e) {
    // never a RangeError/TypeError from a malformed input (or a stack overflow on deep nesting)
    throw e instanceof BSONError ? e : new BSONError((e as Error).message, { cause: e });
  }
}
