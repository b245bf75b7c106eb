/**
 * The BSON corpus spec (bson-corpus/*.json) against the two codecs the driver ships
 * with: bson-lite (the browser bundle's `bson`, packages/core/src/bson-lite) and the
 * `bson` package (Node builds). Per valid case: canonical bytes round-trip natively,
 * decode to the canonical (and relaxed) Extended JSON, canonical Extended JSON encodes
 * to the canonical bytes, degenerate forms normalize; decode errors throw; parse
 * errors throw. A case a codec is known to get wrong is listed below with the reason
 * and runs as `it.fails` (it must keep failing until fixed and removed from the list).
 */
import * as real from 'bson';
import { describe, expect, it } from 'vitest';
import * as liteCodec from '../../src/bson-lite/index.js';
import { EJSON as liteEJSON } from '../../src/bson-lite/ejson.js';
import { findSpecFiles } from './spec-files.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
interface Codec {
  serialize(doc: any): Uint8Array;
  deserialize(bytes: Uint8Array, options?: any): any;
  EJSON: { parse(text: string, options?: any): any; stringify(value: any, options?: any): string };
  Decimal128: { fromString(s: string): unknown };
}

const CODECS: Record<string, Codec> = {
  'bson-lite': { serialize: liteCodec.serialize, deserialize: liteCodec.deserialize, EJSON: liteEJSON as Codec['EJSON'], Decimal128: liteCodec.Decimal128 },
  bson: { serialize: real.serialize, deserialize: real.deserialize, EJSON: real.EJSON as Codec['EJSON'], Decimal128: real.Decimal128 },
};

/**
 * "<codec>:<file>#<description>" -> why the codec fails it today (both codecs share js-bson's
 * behaviour here; bson-lite copies it on purpose, see src/bson-lite/index.ts).
 */
const KNOWN_FAILURES: Record<string, string> = {
  "bson-lite:dbpointer.json#DBpointer": "DBPointer (deprecated 0x0C) decodes to a DBRef document and re-encodes as an embedded document",
  "bson-lite:dbpointer.json#DBpointer with opposite key order": "DBPointer (deprecated 0x0C) decodes to a DBRef document and re-encodes as an embedded document",
  "bson-lite:dbpointer.json#With two-byte UTF-8": "DBPointer (deprecated 0x0C) decodes to a DBRef document and re-encodes as an embedded document",
  "bson-lite:multi-type-deprecated.json#All BSON types": "DBPointer (deprecated 0x0C) decodes to a DBRef document and re-encodes as an embedded document",
  "bson-lite:top.json#parse error: Bad $regularExpression (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $regularExpression (missing options field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $oid (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $numberInt (number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $numberInt (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $numberLong (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $numberDouble (number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $numberDouble (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $numberDecimal (number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $numberDecimal (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $binary (type is number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $binary (missing $type)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $binary (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $code (type is number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $code (type is number, not string) when $scope is also present": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $code (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $code with $scope (scope is number, not doc)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $date (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $minKey (boolean, not integer)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $minKey (wrong integer)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $minKey (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $maxKey (boolean, not integer)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $maxKey (wrong integer)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad $maxKey (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:top.json#parse error: Bad DBpointer (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson-lite:undefined.json#Undefined": "undefined (deprecated 0x06) is dropped on encode (ignoreUndefined behaviour of js-bson)",
  "bson:dbpointer.json#DBpointer": "DBPointer (deprecated 0x0C) decodes to a DBRef document and re-encodes as an embedded document",
  "bson:dbpointer.json#DBpointer with opposite key order": "DBPointer (deprecated 0x0C) decodes to a DBRef document and re-encodes as an embedded document",
  "bson:dbpointer.json#With two-byte UTF-8": "DBPointer (deprecated 0x0C) decodes to a DBRef document and re-encodes as an embedded document",
  "bson:multi-type-deprecated.json#All BSON types": "DBPointer (deprecated 0x0C) decodes to a DBRef document and re-encodes as an embedded document",
  "bson:top.json#parse error: Bad $regularExpression (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $regularExpression (missing options field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $oid (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $numberInt (number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $numberInt (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $numberLong (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $numberDouble (number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $numberDouble (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $numberDecimal (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $binary (type is number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $binary (missing $type)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $binary (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $code (type is number, not string)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $code (type is number, not string) when $scope is also present": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $code (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $code with $scope (scope is number, not doc)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $date (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $minKey (boolean, not integer)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $minKey (wrong integer)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $minKey (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $maxKey (boolean, not integer)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $maxKey (wrong integer)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad $maxKey (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:top.json#parse error: Bad DBpointer (extra field)": "EJSON.parse is lenient (js-bson behaviour): accepts this malformed wrapper",
  "bson:undefined.json#Undefined": "undefined (deprecated 0x06) is dropped on encode (ignoreUndefined behaviour of js-bson)",
};

/** Decode keeping every BSON type (no promotion to JS numbers/RegExp). */
const RAW = { promoteLongs: false, promoteValues: false, promoteBuffers: false, bsonRegExp: true };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** JSON text normalized for comparison: key order kept, `$numberDouble` strings compared as numbers. */
function normalJson(text: string): string {
  return JSON.stringify(JSON.parse(text), (k, v) => (k === '$numberDouble' && typeof v === 'string' && Number.isFinite(Number(v)) ? `double:${Number(v)}` : v));
}

interface ValidCase {
  description: string;
  canonical_bson: string;
  canonical_extjson: string;
  relaxed_extjson?: string;
  degenerate_bson?: string;
  degenerate_extjson?: string;
  converted_bson?: string;
  lossy?: boolean;
}

const files = findSpecFiles('bson-corpus');

describe.each(Object.entries(CODECS))('bson-corpus with %s', (codecName, codec) => {
  for (const file of files) {
    const spec = file.json as { description: string; bson_type: string; valid?: ValidCase[]; decodeErrors?: { description: string; bson: string }[]; parseErrors?: { description: string; string: string }[] };
    describe(file.name, () => {
      const test = (description: string, fn: () => void): void => {
        const known = KNOWN_FAILURES[`${codecName}:${file.name}#${description}`];
        if (known) it.fails(`${description} [known failure: ${known}]`, fn);
        else it(description, fn);
      };
      for (const v of spec.valid ?? []) {
        test(v.description, () => {
          const cB = v.canonical_bson.toUpperCase();
          const decoded = codec.deserialize(bytes(cB), RAW);
          expect(hex(codec.serialize(decoded)), 'native round trip of canonical_bson').toBe(cB);
          expect(normalJson(codec.EJSON.stringify(decoded, { relaxed: false })), 'canonical_bson -> canonical_extjson').toBe(normalJson(v.canonical_extjson));
          if (v.relaxed_extjson !== undefined) {
            expect(normalJson(codec.EJSON.stringify(codec.deserialize(bytes(cB), RAW), { relaxed: true })), 'canonical_bson -> relaxed_extjson').toBe(normalJson(v.relaxed_extjson));
          }
          if (!v.lossy) {
            expect(hex(codec.serialize(codec.EJSON.parse(v.canonical_extjson, { relaxed: false }))), 'canonical_extjson -> canonical_bson').toBe(cB);
          }
          if (v.degenerate_bson !== undefined) {
            expect(hex(codec.serialize(codec.deserialize(bytes(v.degenerate_bson), RAW))), 'degenerate_bson -> canonical_bson').toBe(cB);
          }
          if (v.degenerate_extjson !== undefined && !v.lossy) {
            expect(hex(codec.serialize(codec.EJSON.parse(v.degenerate_extjson, { relaxed: false }))), 'degenerate_extjson -> canonical_bson').toBe(cB);
          }
        });
      }
      for (const d of spec.decodeErrors ?? []) {
        test(`decode error: ${d.description}`, () => {
          expect(() => codec.deserialize(bytes(d.bson), RAW)).toThrow();
        });
      }
      for (const p of spec.parseErrors ?? []) {
        test(`parse error: ${p.description}`, () => {
          if (spec.bson_type === '0x13') expect(() => codec.Decimal128.fromString(p.string)).toThrow();
          else expect(() => codec.EJSON.parse(p.string, { relaxed: false })).toThrow();
        });
      }
    });
  }
});
