/**
 * BSON value helpers. Two representations of a document exist in the sim:
 *
 * - typed: what is stored, journaled and returned. Decoded with `promoteValues: false`,
 *   so Int32, Double, Long and Decimal128 keep their BSON type across a round trip
 *   (a double 1.0 goes back to the driver as a double, a Long as a Long).
 * - view: what `mingo` evaluates. Numeric wrappers become JS numbers (a Long outside
 *   the safe-integer range stays a Long), so comparisons, `$inc`, `$sum`... work.
 *
 * `retype()` maps an updated view back to typed values, using the old typed document
 * (and the typed update operand) as hints for the numeric type of each path.
 */
import { Binary, BSON, Decimal128, Double, Int32, Long, ObjectId, Timestamp, MinKey, MaxKey, BSONSymbol, BSONRegExp, Code, UUID } from 'bson';

export type Doc = Record<string, unknown>;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Typed value -> view value (deep copy of containers, leaves shared). */
export function toView(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Int32 || v instanceof Double) return v.value;
  // A Timestamp is a Long underneath, but it is its own BSON type: never a number.
  if (v instanceof Long && !(v instanceof Timestamp)) {
    const b = v.toBigInt();
    return b <= SAFE && b >= -SAFE ? Number(b) : v;
  }
  if (v instanceof Decimal128) return Number.parseFloat(v.toString());
  if (Array.isArray(v)) return v.map(toView);
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = toView(v[k]);
    return out;
  }
  return v;
}

export function toViewDoc(d: Doc): Doc {
  return toView(d) as Doc;
}

/** The typed value to store for a new view value `v`, given a typed hint at the same path. */
export function retype(v: unknown, hint: unknown): unknown {
  if (typeof v === 'number') {
    if (hint instanceof Long && Number.isInteger(v)) return Long.fromNumber(v);
    if (hint instanceof Double) return new Double(v);
    if (hint instanceof Decimal128) return Decimal128.fromString(String(v));
    if (hint instanceof Int32 && Number.isInteger(v) && (v | 0) === v) return new Int32(v);
    if (Number.isInteger(v) && (v | 0) !== v && Number.isSafeInteger(v) && hint instanceof Int32) return Long.fromNumber(v);
    return v;
  }
  if (Array.isArray(v)) {
    const h = Array.isArray(hint) ? hint : [];
    return v.map((x, i) => retype(x, h[i]));
  }
  if (isPlainObject(v)) {
    const h = isPlainObject(hint) ? hint : {};
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = retype(v[k], h[k]);
    return out;
  }
  return v;
}

/** Merges typed hints: the first hint that has a value at a path wins. */
export function retypeDoc(view: Doc, ...hints: unknown[]): Doc {
  if (hints.length <= 1) return retype(view, hints[0]) as Doc;
  return retype(view, mergeHints(hints)) as Doc;
}

function mergeHints(hints: unknown[]): unknown {
  const objs = hints.filter((h) => h !== undefined);
  if (objs.length === 0) return undefined;
  if (!objs.every(isPlainObject)) return objs[0];
  const out: Doc = {};
  for (const h of objs as Doc[]) {
    for (const k of Object.keys(h)) {
      if (!(k in out)) out[k] = mergeHints(objs.map((o) => (o as Doc)[k]));
    }
  }
  return out;
}

/** Builds a nested hint document from dotted paths (e.g. a `$set` operand). */
export function hintFromPaths(ops: Doc | undefined): Doc {
  const out: Doc = {};
  if (!ops) return out;
  for (const [path, value] of Object.entries(ops)) {
    const parts = path.split('.');
    let cur: Doc = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      if (!isPlainObject(cur[p])) cur[p] = {};
      cur = cur[p] as Doc;
    }
    cur[parts[parts.length - 1]!] = value;
  }
  return out;
}

/** BSON canonical type order (mongod's comparison order across types). */
export function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 2;
  if (v instanceof MinKey) return 1;
  if (v instanceof MaxKey) return 13;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    case 'boolean':
      return 9;
    default:
      break;
  }
  if (v instanceof Int32 || v instanceof Double || v instanceof Long || v instanceof Decimal128) return 3;
  if (v instanceof BSONSymbol) return 4;
  if (Array.isArray(v)) return 6;
  if (v instanceof Binary || v instanceof Uint8Array) return 7;
  if (v instanceof ObjectId) return 8;
  if (v instanceof Date) return 10;
  if (v instanceof Timestamp) return 11;
  if (v instanceof RegExp || v instanceof BSONRegExp) return 12;
  if (v instanceof Code) return 14;
  return 5;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Long) return v.toNumber();
  if (v instanceof Int32 || v instanceof Double) return v.value;
  if (v instanceof Decimal128) return Number.parseFloat(v.toString());
  return Number.NaN;
}

function cmpPrim<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Binary) return v.buffer.subarray(0, v.position);
  return v as Uint8Array;
}

/** Compares two values in mongod's order (used for sort and for $min/$max-like checks). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 1:
    case 2:
    case 13:
      return 0;
    case 3: {
      const x = num(a);
      const y = num(b);
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
      if (Number.isNaN(y)) return 1;
      if (a instanceof Long && b instanceof Long) return a.compare(b);
      return cmpPrim(x, y);
    }
    case 4:
      return cmpPrim(String(a instanceof BSONSymbol ? a.value : a), String(b instanceof BSONSymbol ? b.value : b));
    case 5: {
      const ka = Object.keys(a as Doc);
      const kb = Object.keys(b as Doc);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const va = (a as Doc)[ka[i]!];
        const vb = (b as Doc)[kb[i]!];
        const t = typeRank(va) - typeRank(vb);
        if (t !== 0) return t;
        const k = cmpPrim(ka[i]!, kb[i]!);
        if (k !== 0) return k;
        const c = compareValues(va, vb);
        if (c !== 0) return c;
      }
      return ka.length - kb.length;
    }
    case 6: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
        const c = compareValues(xa[i], xb[i]);
        if (c !== 0) return c;
      }
      return xa.length - xb.length;
    }
    case 7: {
      const ba = bytesOf(a);
      const bb = bytesOf(b);
      if (ba.length !== bb.length) return ba.length - bb.length;
      const sa = a instanceof Binary ? a.sub_type : 0;
      const sb = b instanceof Binary ? b.sub_type : 0;
      if (sa !== sb) return sa - sb;
      for (let i = 0; i < ba.length; i++) if (ba[i] !== bb[i]) return ba[i]! - bb[i]!;
      return 0;
    }
    case 8:
      return cmpPrim((a as ObjectId).toHexString(), (b as ObjectId).toHexString());
    case 9:
      return cmpPrim(Number(a), Number(b));
    case 10:
      return cmpPrim((a as Date).getTime(), (b as Date).getTime());
    case 11:
      return (a as Timestamp).compare(b as Timestamp);
    case 12:
      return cmpPrim(String(a), String(b));
    default:
      return cmpPrim(String(a), String(b));
  }
}

/**
 * A canonical string for equality of values as mongod's indexes see them:
 * 1, 1.0 and NumberLong(1) are the same key; embedded field order matters.
 */
export function keyOf(v: unknown): string {
  if (v === undefined || v === null) return 'z';
  switch (typeof v) {
    case 'number':
      return `n${Object.is(v, -0) ? 0 : v}`;
    case 'bigint':
      return `n${v}`;
    case 'string':
      return `s${JSON.stringify(v)}`;
    case 'boolean':
      return v ? 'bt' : 'bf';
    default:
      break;
  }
  if (v instanceof Int32 || v instanceof Double) return keyOf(v.value);
  // A Timestamp is a Long underneath, but it is its own BSON type: never a number.
  if (v instanceof Long && !(v instanceof Timestamp)) {
    const b = v.toBigInt();
    return b <= SAFE && b >= -SAFE ? keyOf(Number(b)) : `n${b}`;
  }
  if (v instanceof Decimal128) return keyOf(Number.parseFloat(v.toString()));
  if (v instanceof ObjectId) return `o${v.toHexString()}`;
  if (v instanceof Date) return `d${v.getTime()}`;
  if (Array.isArray(v)) return `[${v.map(keyOf).join(',')}]`;
  if (v instanceof Binary) return `x${v.sub_type}:${Buffer.from(bytesOf(v)).toString('base64')}`;
  if (v instanceof Uint8Array) return `x0:${Buffer.from(v).toString('base64')}`;
  if (v instanceof Timestamp) return `t${v.toString()}`;
  if (v instanceof RegExp) return `r${v.source}/${v.flags}`;
  if (v instanceof MinKey) return 'min';
  if (v instanceof MaxKey) return 'max';
  if (isPlainObject(v)) return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${keyOf(v[k])}`).join(',')}}`;
  return `?${String(v)}`;
}

/** Resolves a dotted path the way an index key does (arrays of subdocuments are traversed). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) {
      if (/^\d+$/.test(part)) cur = cur[Number(part)];
      else {
        const vals = cur.map((x) => (isPlainObject(x) ? x[part] : undefined)).filter((x) => x !== undefined);
        cur = vals.length ? vals : undefined;
      }
    } else if (typeof cur === 'object' && isPlainObject(cur)) {
      cur = cur[part];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** mongod-style rendering of a value inside an error message: `{ a: 1, b: "x" }`. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Int32) return String(v.value);
  if (v instanceof Double) return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  if (v instanceof Long) return v.toString();
  if (v instanceof Decimal128) return v.toString();
  if (v instanceof ObjectId) return `ObjectId('${v.toHexString()}')`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (v instanceof UUID) return `UUID("${v.toHexString(true)}")`;
  if (v instanceof Binary) return `BinData(${v.sub_type}, ${Buffer.from(bytesOf(v)).toString('hex').toUpperCase()})`;
  if (Array.isArray(v)) return `[ ${v.map(formatValue).join(', ')} ]`;
  if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
  if (isPlainObject(v)) return formatDoc(v);
  return String(v);
}

export function formatDoc(d: Doc): string {
  const keys = Object.keys(d);
  if (keys.length === 0) return '{}';
  return `{ ${keys.map((k) => `${k}: ${formatValue(d[k])}`).join(', ')} }`;
}

export function bsonSize(d: Doc): number {
  return BSON.calculateObjectSize(d);
}

/** Deep copy of a typed document (leaves that are immutable BSON values are shared). */
export function cloneDoc<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneDoc) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = cloneDoc(v[k]);
    return out as T;
  }
  return v;
}

/** Same BSON bytes (types included). */
export function sameDocument(a: Doc, b: Doc): boolean {
  return Buffer.from(BSON.serialize(a)).equals(Buffer.from(BSON.serialize(b)));
}
