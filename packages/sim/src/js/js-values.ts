/**
 * Stored (typed) documents as the JavaScript sandbox receives them: a JSON text in which
 * every container and every BSON type is tagged, so that the sandbox rebuilds them as its
 * own objects (its ObjectId, NumberLong, Date... see js/worker-source.ts) and nothing but a
 * string crosses from the host into the script's realm.
 *
 * Tags: {t:'o', v:[[key, value]...]} object, {t:'a', v:[...]} array, {t:'n', v:'NaN'} a
 * number JSON cannot carry, {t:'l'} NumberLong, {t:'d'} NumberDecimal, {t:'oid'},
 * {t:'date'}, {t:'re'}, {t:'bin'}, {t:'ts'}, {t:'min'}, {t:'max'}, {t:'code'}, {t:'u'}
 * undefined. Strings, booleans, null and finite numbers are themselves.
 */
import { Binary, BSONRegExp, BSONSymbol, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';

type Encoded = null | boolean | string | number | { readonly t: string; readonly [k: string]: unknown };

function number(n: number): Encoded {
  if (Number.isFinite(n) && !Object.is(n, -0)) return n;
  return { t: 'n', v: Object.is(n, -0) ? '-0' : String(n) };
}

function encode(v: unknown, depth: number): Encoded {
  // BSON nests at most 100 levels on mongod; deeper input is cut, never a host stack overflow
  if (depth > 200) return null;
  if (v === null) return null;
  if (v === undefined) return { t: 'u' };
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return number(v);
    case 'bigint':
      return { t: 'l', v: v.toString() };
    case 'object':
      break;
    default:
      return null;
  }
  if (v instanceof Int32 || v instanceof Double) return number(v.value);
  if (v instanceof Timestamp) return { t: 'ts', s: v.t, i: v.i };
  if (v instanceof Long) return { t: 'l', v: v.toString() };
  if (v instanceof Decimal128) return { t: 'd', v: v.toString() };
  if (v instanceof ObjectId) return { t: 'oid', v: v.toHexString() };
  if (v instanceof Date) return { t: 'date', v: Number.isNaN(v.getTime()) ? 'NaN' : v.getTime() };
  if (v instanceof RegExp) return { t: 're', p: v.source, f: v.flags };
  if (v instanceof BSONRegExp) return { t: 're', p: v.pattern, f: v.options };
  if (v instanceof Binary) return { t: 'bin', s: v.sub_type, v: Buffer.from(v.value()).toString('base64') };
  if (v instanceof Uint8Array) return { t: 'bin', s: 0, v: Buffer.from(v).toString('base64') };
  if (v instanceof MinKey) return { t: 'min' };
  if (v instanceof MaxKey) return { t: 'max' };
  if (v instanceof Code) return { t: 'code', v: v.code };
  if (v instanceof BSONSymbol) return v.valueOf();
  if (Array.isArray(v)) return { t: 'a', v: v.map((x) => encode(x, depth + 1)) };
  return { t: 'o', v: Object.keys(v).map((k) => [k, encode((v as Record<string, unknown>)[k], depth + 1)]) };
}

/** The documents, as one JSON text for the sandbox. */
export function encodeDocs(docs: readonly unknown[]): string {
  return JSON.stringify(docs.map((d) => encode(d, 0)));
}
