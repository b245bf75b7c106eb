/**
 * Extended JSON v2 (canonical and relaxed) for bson-lite values, as js-bson 7's EJSON:
 * stringify / parse / serialize / deserialize. Kept out of bson-lite's index (the codec
 * alone stays within its size budget); `web.ts` adds it to the browser bundle's BSON.
 */
import { Decimal128 } from './decimal128.js';
import { Long, Timestamp } from './long.js';
import { BSONRegExp, BSONSymbol, Binary, Code, DBRef, Double, Int32, MaxKey, MinKey, ObjectId, UUID, dbRefOf, fail, fromBase64, setField, toBase64, typeTag } from './values.js';

export interface EJSONOptions {
  /** Numbers, Int32, Double, Long and dates in range as plain JSON values (default true). */
  relaxed?: boolean;
  /** With parse: int64 as bigint (default false). */
  useBigInt64?: boolean;
  /** undefined fields left out instead of null (default false). */
  ignoreUndefined?: boolean;
}

const INT64 = 2 ** 63;
const isInt = (x: number, max: number) => Number.isInteger(x) && !Object.is(x, -0) && x >= -max && x <= max;
const isInt32 = (x: number) => isInt(x, 2 ** 31) && x != 2 ** 31;

/** A value as its Extended JSON object tree. */
function toEJSON(x: any, o: EJSONOptions, seen: unknown[]): unknown {
  const relaxed = o.relaxed !== false;
  if (x === undefined) return o.ignoreUndefined ? undefined : null;
  if (typeof x == 'number')
    return relaxed && isFinite(x)
      ? x
      : isInt32(x)
        ? { $numberInt: '' + x }
        : isInt(x, INT64)
          ? { $numberLong: '' + x }
          : { $numberDouble: Object.is(x, -0) ? '-0.0' : '' + x };
  if (typeof x == 'bigint') return relaxed ? Number(BigInt.asIntN(64, x)) : { $numberLong: '' + BigInt.asIntN(64, x) };
  if (x === null || typeof x != 'object') return x;
  if (seen.includes(x)) fail('Converting circular structure to EJSON');
  seen = [...seen, x];
  const t = typeTag(x);
  const bsontype = x._bsontype;
  const sub = (v: unknown) => toEJSON(v, o, seen);
  if (Array.isArray(x)) return x.map(sub);
  if (t == 'Date') {
    const ms = x.getTime();
    // whole seconds without '.000', as js-bson writes them
    return { $date: relaxed && ms >= 0 && ms < 253402300800000 ? x.toISOString().replace('.000Z', 'Z') : { $numberLong: '' + ms } };
  }
  if (t == 'RegExp') return toEJSON(new BSONRegExp(x.source, x.flags), o, seen);
  if (t == 'Map') {
    const doc: Record<string, unknown> = {};
    for (const [k, v] of x) typeof k == 'string' ? setField(doc, k, v) : fail('Can only serialize maps with string keys');
    return sub(doc);
  }
  switch (bsontype) {
    case undefined:
    case null: {
      const doc: Record<string, unknown> = {};
      for (const k of Object.keys(x)) setField(doc, k, sub(x[k]));
      return doc;
    }
    case 'ObjectId':
      return { $oid: x.toHexString() };
    case 'Long':
      return relaxed ? x.toNumber() : { $numberLong: x.toString() };
    case 'Timestamp':
      return { $timestamp: { t: x.high >>> 0, i: x.low >>> 0 } };
    case 'Decimal128':
      return { $numberDecimal: x.toString() };
    case 'Double': {
      const v = x.value;
      return relaxed && isFinite(v) ? v : { $numberDouble: Object.is(v, -0) ? '-0.0' : Number.isInteger(v) ? v.toFixed(1) : '' + v };
    }
    case 'Int32':
      return relaxed ? x.value : { $numberInt: '' + x.value };
    case 'Binary':
      return { $binary: { base64: toBase64(x.buffer), subType: x.sub_type.toString(16).padStart(2, '0') } };
    case 'Code':
      return x.scope ? { $code: x.code, $scope: sub(x.scope) } : { $code: x.code };
    case 'DBRef':
      return { $ref: sub(x.collection), $id: sub(x.oid), ...(x.db && { $db: sub(x.db) }), ...(sub(x.fields) as object) };
    case 'BSONRegExp':
      return { $regularExpression: { pattern: x.pattern, options: x.options } };
    case 'BSONSymbol':
      return { $symbol: x.value };
    case 'MinKey':
      return { $minKey: 1 };
    case 'MaxKey':
      return { $maxKey: 1 };
  }
  return fail('Unrecognized or invalid _bsontype: ' + bsontype);
}

/** The Extended JSON keys whose value is the one argument of a class's constructor. */
const WRAPPERS: Record<string, new (value: any) => unknown> = { $oid: ObjectId, $uuid: UUID, $symbol: BSONSymbol, $minKey: MinKey, $maxKey: MaxKey };

/** An Extended JSON object tree node as its BSON value (JSON.parse reviver: children first). */
function fromEJSON(v: any, o: EJSONOptions): unknown {
  const relaxed = o.relaxed !== false;
  if (typeof v == 'number') {
    if (relaxed) return v;
    if (isInt32(v)) return new Int32(v);
    if (isInt(v, INT64)) return o.useBigInt64 ? BigInt(v) : Long.fromNumber(v);
    return new Double(v);
  }
  if (v == null || typeof v != 'object') return v;
  if (v.$undefined) return null;
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (k[0] != '$' || x == null) continue;
    const wrapper = WRAPPERS[k];
    if (wrapper) return new wrapper(x);
    switch (k) {
      case '$binary': {
        const bytes = typeof x == 'object' ? fromBase64(x.base64) : fail('Unexpected Binary Extended JSON format');
        const subtype = parseInt(x.subType || '0', 16);
        return subtype == 4 ? new UUID(bytes) : new Binary(bytes, subtype);
      }
      case '$numberInt':
        return relaxed ? parseInt(x, 10) : new Int32(x);
      case '$numberDecimal':
        return Decimal128.fromString(x);
      case '$numberDouble':
        return relaxed ? parseFloat(x) : new Double(parseFloat(x));
      case '$numberLong': {
        if (!/^(\+?0|[-+]?[1-9]\d*)$/.test(x) || x.length > 20) fail(`$numberLong string "${x}" is in an invalid format`);
        if (o.useBigInt64) return BigInt.asIntN(64, BigInt(x));
        const l = Long.fromString(x);
        return relaxed ? l.toNumber() : l;
      }
      case '$regex':
      case '$regularExpression': {
        // the legacy { $regex, $options } form too (as js-bson reads it: also in queries)
        if (k == '$regex' && x._bsontype == 'BSONRegExp') return v;
        const r = k == '$regex' && typeof x == 'string' ? { pattern: x, options: v.$options } : v.$regularExpression;
        return r ? new BSONRegExp(r.pattern, BSONRegExp.parseOptions(r.options)) : fail('Unexpected BSONRegExp EJSON object form');
      }
      case '$timestamp':
        return new Timestamp({ t: Long.isLong(x.t) ? x.t.low >>> 0 : x.t, i: Long.isLong(x.i) ? x.i.low >>> 0 : x.i });
    }
  }
  const d = v.$date;
  if (d != null)
    return new Date(
      typeof d == 'string'
        ? Date.parse(d)
        : Long.isLong(d)
          ? d.toNumber()
          : typeof d == 'bigint' || (typeof d == 'number' && relaxed)
            ? Number(d)
            : fail(`Unrecognized type for EJSON date: ${typeof d}`),
    );
  if (v.$code != null) return new Code(v.$code, v.$scope);
  const ref = v.$ref != null ? v : v.$dbPointer;
  if (ref instanceof DBRef) return ref;
  const dbref = ref && dbRefOf(ref);
  return dbref && Object.keys(dbref.fields).every((k) => k[0] != '$') ? dbref : v;
}

type Replacer = ((this: unknown, key: string, value: unknown) => unknown) | (number | string)[] | null;

function stringify(value: unknown, replacer?: Replacer | EJSONOptions, space?: string | number | EJSONOptions, options?: EJSONOptions): string {
  if (space != null && typeof space == 'object') [options, space] = [space, undefined];
  if (replacer != null && typeof replacer == 'object' && !Array.isArray(replacer)) [options, replacer] = [replacer, undefined];
  return JSON.stringify(toEJSON(value, options ?? {}, []), replacer as (number | string)[] | null, space as string | number);
}

function parse(text: string, options: EJSONOptions = {}): any {
  return JSON.parse(text, (key, value) => (key.includes('\0') ? fail('BSON Document field names cannot contain null bytes') : fromEJSON(value, options)));
}

/** Extended JSON, as js-bson's EJSON namespace. */
export const EJSON = {
  stringify,
  parse,
  /** A value as an Extended JSON object tree (not a string). */
  serialize: (value: unknown, options?: EJSONOptions): any => JSON.parse(stringify(value, options)),
  /** An Extended JSON object tree as values. */
  deserialize: (ejson: unknown, options?: EJSONOptions): any => parse(JSON.stringify(ejson), options),
};
