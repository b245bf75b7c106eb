/**
 * bson-lite against the real `bson` package (js-bson 7.3.4, the repository's own):
 * the same values serialize to identical bytes, the same bytes deserialize to the same
 * values under every option combination the driver and its users pass, random
 * documents round-trip identically, malformed bytes throw a BSONError wherever js-bson
 * throws (never a RangeError, TypeError or a hang), and EJSON (canonical and relaxed)
 * writes the same text and reads the same values.
 */
import * as bson from 'bson';
import { describe, expect, it } from 'vitest';
import { EJSON } from './ejson.js';
import * as lite from './index.js';
import * as web from './web.js';
import { seededRandom } from '../../test/support/seeded-random.js';

/** Both libraries through bson-lite's types (their shapes are the same for what the tests use). */
type Lib = typeof lite;
const real = bson as unknown as Lib;
type Doc = Record<string, unknown>;

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** A comparable form of a deserialized value: class identity by constructor name and _bsontype, values by content. */
export function norm(x: unknown): unknown {
  if (x === undefined) return { $undefined: true };
  if (typeof x === 'number') return Object.is(x, -0) ? { $num: '-0' } : Number.isNaN(x) ? { $num: 'NaN' } : x;
  if (typeof x === 'bigint') return { $bigint: String(x) };
  if (x === null || typeof x !== 'object') return x;
  if (x instanceof Date) return { $date: String(x.getTime()) };
  if (x instanceof RegExp) return { $regexp: x.source, flags: x.flags };
  if (x instanceof Uint8Array) return { $bytes: hex(x) };
  if (Array.isArray(x)) return Array.from(x, norm);
  const o = x as Record<string, any>;
  const t = o._bsontype as string | undefined;
  if (typeof t === 'string') {
    const cls = `${t}/${o.constructor?.name}`;
    switch (t) {
      case 'ObjectId':
        return { cls, hex: o.toHexString() };
      case 'Long':
      case 'Timestamp':
        return { cls, value: o.toString(), unsigned: o.unsigned, low: o.low, high: o.high };
      case 'Decimal128':
        // a coefficient above 10^34-1 is non-canonical: zero per IEEE 754 and the BSON spec
        // (bson-lite); js-bson prints its digits. Compared by bytes only (see values.test.ts).
        return { cls, bytes: hex(o.bytes), text: nonCanonical(o.bytes) ? 'non-canonical' : o.toString() };
      case 'Double':
      case 'Int32':
      case 'BSONSymbol':
        return { cls, value: norm(o.value) };
      case 'Binary':
        return { cls, sub: o.sub_type, bytes: hex(o.buffer.subarray(0, o.position)) };
      case 'Code':
        return { cls, code: o.code, scope: norm(o.scope) };
      case 'BSONRegExp':
        return { cls, pattern: o.pattern, options: o.options };
      case 'DBRef':
        return { cls, collection: o.collection, oid: norm(o.oid), db: norm(o.db), fields: norm(o.fields) };
      default:
        return { cls };
    }
  }
  // key order matters in BSON: compare entries
  return { $entries: Object.keys(o).map((k) => [k, norm(o[k])]), proto: Object.getPrototypeOf(o) === null ? null : 'object' };
}

function nonCanonical(b: Uint8Array): boolean {
  const v = new DataView(b.buffer, b.byteOffset, 16);
  const hi = v.getBigUint64(8, true);
  if ((hi >> 61n) % 4n === 3n) return (hi >> 59n) % 4n !== 3n;
  return (((hi & 0x1ffffffffffffn) << 64n) | v.getBigUint64(0, true)) >= 10n ** 34n;
}

const oid = (L: Lib, h = '0123456789abcdef01234567') => new L.ObjectId(h);
const jsonProto = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as Doc;
const nullProto = Object.assign(Object.create(null) as Doc, { a: 1, b: 'x' });
class Custom {
  a = 1;
  b = [2];
  method(): number {
    return 3;
  }
}

/** Hand-written documents covering every BSON type and its edge values; built with each library's own classes. */
export function corpus(L: Lib): [string, Doc][] {
  const numbers = [0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), -(2 ** 53) - 2, 0.1, 1.5, -1.5, 1e308, -1e308, 5e-324, Number.MAX_VALUE, Number.EPSILON, NaN, Infinity, -Infinity, 1e21, 123456789.125];
  const strings = ['', 'a', 'héllo wörld', '日本語テキスト', '😀 astral 𝄞', '\u{10FFFF}', '\uD800', '\uDC00', 'a\uD800b', 'x\uDBFF\uDFFFy', '\uFEFFbom first', 'nul\u0000inside', '\t\n\r\u0001\u001f\u007f', 'x'.repeat(10_000), 'é'.repeat(3000)];
  const bigints = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, 2n ** 64n + 5n, -(2n ** 64n) - 1n, 9007199254740993n];
  const decimals = ['0', '-0', '1', '-1', '0.1', '1.23E+5', '1E-6176', '-1E-6176', '9.999999999999999999999999999999999E+6144', '1E+6144', 'NaN', 'Infinity', '-Infinity', '0E-6176', '0E+6111', '1234567890123456789012345678901234', '0.000001', '1E-7', '-0.00', '100', '1.0E+3', '12345678901234567890E-6176'];
  const longs = [L.Long.ZERO, L.Long.ONE, L.Long.NEG_ONE, L.Long.MAX_VALUE, L.Long.MIN_VALUE, L.Long.fromString('9007199254740993'), L.Long.fromString('-9007199254740993'), L.Long.fromNumber(2 ** 53), L.Long.fromNumber(-(2 ** 53)), L.Long.fromString('18446744073709551615', true), L.Long.fromBits(5, 6, true)];
  const bins = [
    new L.Binary(new Uint8Array(0)),
    new L.Binary(new Uint8Array([1, 2, 3])),
    new L.Binary(new Uint8Array(300).fill(7), 1),
    new L.Binary(new Uint8Array([9, 8, 7]), 2),
    new L.Binary(new Uint8Array(16).fill(1), 3),
    new L.Binary(new Uint8Array(16).fill(2), 4),
    new L.Binary(new Uint8Array(5).fill(3), 4),
    new L.Binary(new Uint8Array(16).fill(4), 5),
    new L.Binary(new Uint8Array([1]), 6),
    new L.Binary(new Uint8Array([1, 2]), 7),
    new L.Binary(new Uint8Array([1, 2, 3]), 8),
    new L.Binary(new Uint8Array([3, 0, 1, 2, 255]), 9),
    new L.Binary(new Uint8Array([1, 2, 3]), 128),
    new L.Binary(new Uint8Array([1, 2, 3]), 255),
    new L.UUID('00112233-4455-6677-8899-aabbccddeeff'),
  ];
  return [
    ['empty', {}],
    ['numbers', Object.fromEntries(numbers.map((n, i) => [`n${i}`, n]))],
    ['numbers in array', { a: numbers }],
    ['strings', Object.fromEntries(strings.map((s, i) => [`s${i}`, s]))],
    ['string keys', Object.fromEntries(strings.filter((s) => !s.includes('\0')).map((s, i) => [s, i]))],
    ['key order', { b: 1, a: 2, 10: 'ten', 2: 'two', '-1': 'neg', '01': 'zero-one', '': 'empty' }],
    ['bigints', Object.fromEntries(bigints.map((n, i) => [`b${i}`, n]))],
    ['booleans and nulls', { t: true, f: false, n: null, u: undefined, arr: [undefined, null, true] }],
    ['sparse array', { a: [1, , 3] as unknown[] }],
    ['nested', { a: { b: { c: [1, [2, [3, { d: 'e' }]]] } } }],
    ['deep', { d: Array.from({ length: 60 }).reduce<Doc>((acc) => ({ x: acc }), { end: 1 }) }],
    ['dates', { a: new Date(0), b: new Date(-1), c: new Date(8.64e15), d: new Date(-8.64e15), e: new Date(NaN), f: new Date(1_700_000_000_123) }],
    ['regexps', { a: /abc/, b: /a.b/gimsuy, c: /x/m, d: /[\u00e9]+/i, e: new RegExp('é|😀', 'g') }],
    ['bytes', { a: new Uint8Array(0), b: new Uint8Array([0, 255, 1]), c: new Uint8Array(1000).map((_, i) => i), d: Buffer.from('buffer') }],
    ['other typed arrays and buffers', { a: new Int16Array([1, -2]), b: new ArrayBuffer(4), c: new DataView(new ArrayBuffer(2)), d: new Float64Array([1.5]), e: new Uint8Array([5, 6]).subarray(1) }],
    ['map', { m: new Map<string, unknown>([['z', 1], ['a', new Map([['b', [1, 2]]])], ['u', undefined]]) }],
    ['toBSON', { a: { toBSON: () => ({ x: 1 }) }, b: { toBSON: () => 'as string' }, c: [{ toBSON: () => 42 }], d: { toBSON: () => undefined } }],
    ['functions and symbols are skipped', { f: () => 1, s: Symbol('x'), k: 1 }],
    ['class instance', { c: new Custom() }],
    ['boxed primitives', { s: new String('ab'), n: new Number(5), b: new Boolean(true) }],
    ['prototype-less object', { o: nullProto }],
    ['__proto__ key', jsonProto],
    ['dbref-shaped', { r: { $ref: 'coll', $id: 5 }, r2: { $ref: 'c', $id: oid(L), $db: 'db', extra: 1 }, notRef: { $ref: 'c', $id: null }, notRef2: { $ref: 5, $id: 1 }, notRef3: { $ref: 'c', $id: 1, $db: 5 }, notRef4: { $ref: 'c', $id: 1, $other: 2 }, plain: { a: 1, $ref: 'x', $id: 1 } }],
    ['dollar keys', { $clusterTime: { clusterTime: new L.Timestamp({ t: 1, i: 2 }) }, $db: 'admin', 'a.b': 1, $x: 2 }],
    ['object ids', { a: oid(L), b: oid(L, 'FFFFFFFFFFFFFFFFFFFFFFFF'), c: new L.ObjectId(new Uint8Array(12)) }],
    ['longs', Object.fromEntries(longs.map((l, i) => [`l${i}`, l]))],
    ['timestamps', { a: new L.Timestamp({ t: 0, i: 0 }), b: new L.Timestamp({ t: 4294967295, i: 4294967295 }), c: new L.Timestamp({ t: 1700000000, i: 3 }), d: new L.Timestamp(0x7fffffff_00000001n) }],
    ['decimal128', Object.fromEntries(decimals.map((d, i) => [`d${i}`, L.Decimal128.fromString(d)]))],
    ['doubles', { a: new L.Double(1), b: new L.Double(-0), c: new L.Double(NaN), d: new L.Double(Infinity), e: new L.Double(0.5), f: new L.Double(2 ** 40) }],
    ['int32s', { a: new L.Int32(0), b: new L.Int32(-1), c: new L.Int32(2 ** 31 - 1), d: new L.Int32(-(2 ** 31)), e: new L.Int32(2 ** 31), f: new L.Int32(1.9) }],
    ['min/max keys', { min: new L.MinKey(), max: new L.MaxKey() }],
    ['code', { a: new L.Code('function () { return 1; }'), b: new L.Code('x', { a: 1, nested: { b: [1] } }), c: new L.Code('y', {}), d: new L.Code('z', null) }],
    ['bson regexps', { a: new L.BSONRegExp('a+b', 'xsmi'), b: new L.BSONRegExp('é', ''), c: new L.BSONRegExp('^x$', 'lu') }],
    ['symbols', { a: new L.BSONSymbol('sym'), b: new L.BSONSymbol('') }],
    ['dbrefs', { a: new L.DBRef('coll', oid(L)), b: new L.DBRef('db.coll', oid(L)), c: new L.DBRef('coll', oid(L), 'db', { x: 1, y: 'z' }), d: new L.DBRef('coll', 5 as never) }],
    ['binaries', Object.fromEntries(bins.map((b, i) => [`b${i}`, b]))],
    ['everything in an array', { a: [oid(L), L.Long.ONE, new L.Timestamp({ t: 1, i: 1 }), L.Decimal128.fromString('1.5'), new L.MinKey(), new L.Code('c'), bins[3], new Date(5), /r/i, 1n, 'é', null] }],
    ['lsid-shaped command', { find: 'c', filter: { _id: oid(L) }, lsid: { id: new L.UUID('0123456789abcdef0123456789abcdef') }, txnNumber: L.Long.fromNumber(3), $db: 'test' }],
  ];
}

const DESERIALIZE_OPTIONS: [string, lite.DeserializeOptions][] = [
  ['defaults', {}],
  ['promoteLongs false', { promoteLongs: false }],
  ['promoteValues false', { promoteValues: false }],
  ['useBigInt64', { useBigInt64: true }],
  ['promoteBuffers', { promoteBuffers: true }],
  ['promoteBuffers without promoteValues', { promoteBuffers: true, promoteValues: false }],
  ['bsonRegExp', { bsonRegExp: true }],
  ['utf8 validation off', { validation: { utf8: false } }],
  ['raw', { raw: true }],
  ['fieldsAsRaw', { fieldsAsRaw: { a: true } }],
];

/** Deserialize with each library: both succeed with the same value, or both throw (ours a BSONError). */
function sameDecode(bytes: Uint8Array, options: lite.DeserializeOptions, label: string): void {
  let expected: unknown;
  let theirError: unknown;
  try {
    expected = norm(bson.deserialize(bytes, options as bson.DeserializeOptions));
  } catch (e) {
    theirError = e;
  }
  let actual: unknown;
  let ourError: unknown;
  try {
    actual = norm(lite.deserialize(bytes, options));
  } catch (e) {
    ourError = e;
  }
  if (theirError) {
    expect(ourError, `${label}: bson threw ${String(theirError)}, bson-lite did not`).toBeInstanceOf(lite.BSONError);
  } else {
    expect(ourError, `${label}: bson-lite threw`).toBeUndefined();
    expect(actual, label).toEqual(expected);
  }
}

describe('bson-lite serialize, differential against bson', () => {
  const theirs = corpus(real);
  const ours = corpus(lite);

  it.each(theirs.map(([name], i) => [name, i] as const))('%s: identical bytes', (name, i) => {
    const expected = hex(bson.serialize(theirs[i]![1]));
    expect(hex(lite.serialize(ours[i]![1])), `${name} (bson-lite classes)`).toBe(expected);
    // instances of the real bson classes are accepted too (duck typing on _bsontype)
    expect(hex(lite.serialize(theirs[i]![1])), `${name} (bson classes)`).toBe(expected);
    expect(lite.calculateObjectSize(ours[i]![1])).toBe(expected.length / 2);
  });

  it.each(theirs.map(([name], i) => [name, i] as const))('%s: identical bytes under serialize options', (_name, i) => {
    for (const options of [{ ignoreUndefined: false }, { ignoreUndefined: true }, { serializeFunctions: true }]) {
      expect(hex(lite.serialize(ours[i]![1], options))).toBe(hex(bson.serialize(theirs[i]![1], options)));
    }
  });

  it('checkKeys refuses $-prefixed and dotted keys, but not $db/$ref/$id/$clusterTime', () => {
    for (const doc of [{ $x: 1 }, { 'a.b': 1 }, { a: { $set: 1 } }]) {
      expect(() => bson.serialize(doc, { checkKeys: true })).toThrow();
      expect(() => lite.serialize(doc, { checkKeys: true })).toThrow(lite.BSONError);
    }
    const ok = { $db: 'a', $clusterTime: 1, a: { $ref: 'c', $id: 1 }, b: new lite.DBRef('c', 1 as never, 'd', { 'x.y': 1 }) };
    expect(hex(lite.serialize(ok, { checkKeys: true }))).toBe(hex(bson.serialize({ ...ok, b: new bson.DBRef('c', 1 as never, 'd', { 'x.y': 1 }) }, { checkKeys: true })));
  });

  it('null and undefined roots are an empty document; other roots are refused like bson', () => {
    expect(hex(lite.serialize(null as never))).toBe(hex(bson.serialize(null as never)));
    expect(hex(lite.serialize(undefined as never))).toBe('0500000000');
    expect(hex(lite.serialize(new Map([['a', 1]]) as never))).toBe(hex(bson.serialize(new Map([['a', 1]]) as never)));
    expect(hex(lite.serialize({ toBSON: () => ({ a: 1 }) }))).toBe(hex(bson.serialize({ toBSON: () => ({ a: 1 }) })));
    for (const root of [[1], 'str', 5, true, new Date(0), /x/, new Uint8Array(2), new ArrayBuffer(2), new lite.ObjectId(), lite.Long.ONE, { toBSON: () => 5 }]) {
      expect(() => lite.serialize(root as never), String(root)).toThrow(lite.BSONError);
      const theirRoot = root instanceof lite.ObjectId ? new bson.ObjectId() : root === lite.Long.ONE ? bson.Long.ONE : root;
      expect(() => bson.serialize(theirRoot as never), String(root)).toThrow();
    }
  });

  it('keys with a null byte, and regexps with one, are a BSONError (as in bson)', () => {
    for (const doc of [{ 'a\0b': 1 }, { x: new Map([['k\0', 1]]) }, { r: new RegExp('a\0b') }, { r: { pattern: 'a\0', options: '', _bsontype: 'BSONRegExp' } }]) {
      expect(() => lite.serialize(doc)).toThrow(lite.BSONError);
    }
    expect(() => bson.serialize({ 'a\0b': 1 })).toThrow(bson.BSONError);
    expect(() => bson.serialize({ r: new RegExp('a\0b') })).toThrow(bson.BSONError);
  });

  it('cyclic structures are a BSONError, not a hang or a stack overflow', () => {
    const a: Doc = { x: 1 };
    a.self = a;
    const arr: unknown[] = [1];
    arr.push({ arr });
    const m = new Map<string, unknown>();
    m.set('m', m);
    const scoped: Doc = {};
    scoped.code = new lite.Code('f', scoped);
    for (const doc of [a, { arr }, { m }, scoped, { d: new lite.DBRef('c', 1 as never, undefined, a) }]) {
      expect(() => lite.serialize(doc)).toThrow(/circular/);
      expect(() => lite.calculateObjectSize(doc)).toThrow(lite.BSONError);
    }
    expect(() => bson.serialize(a)).toThrow(/circular/);
    // the same object twice (not a cycle) is fine
    const shared = { s: 1 };
    expect(hex(lite.serialize({ a: shared, b: [shared, shared] }))).toBe(hex(bson.serialize({ a: shared, b: [shared, shared] })));
  });

  it('cycles are found past the depth where the encoder starts looking; deep sharing is not a cycle', () => {
    // 300 levels deep, each level holding the same leaf object twice (shared, not cyclic)
    const leaf = { s: 'x' };
    let deep: Doc = { leaf };
    for (let i = 0; i < 300; i++) deep = { d: deep, leaf, again: leaf };
    expect(hex(lite.serialize(deep))).toBe(hex(bson.serialize(deep)));
    // a cycle that closes 200 levels down, back to a document 150 levels down
    let bottom: Doc = {};
    const top: Doc = { d: bottom };
    let target: Doc = top;
    for (let i = 0; i < 200; i++) {
      const next: Doc = {};
      bottom.d = next;
      if (i === 150) target = next;
      bottom = next;
    }
    bottom.back = target;
    expect(() => lite.serialize(top)).toThrow(/circular/);
    // and the encoder is usable afterwards, with no state left from the failed call
    expect(hex(lite.serialize({ a: 1 }))).toBe(hex(bson.serialize({ a: 1 })));
  });

  it('a toBSON that returns a new object each time (unbounded depth) is a BSONError', () => {
    const endless = { toBSON: (): Doc => ({ next: endless }) };
    expect(() => lite.serialize({ endless })).toThrow(lite.BSONError);
  });

  it('documents over 17 MiB are a BSONError; minInternalBufferSize raises the limit', () => {
    const big = { s: 'x'.repeat(17 * 1024 * 1024) };
    expect(() => lite.serialize(big)).toThrow(lite.BSONError);
    expect(() => lite.serialize({ b: new Uint8Array(17 * 1024 * 1024 + 1) })).toThrow(/larger than/);
    expect(lite.serialize(big, { minInternalBufferSize: 18 * 1024 * 1024 }).length).toBe(17 * 1024 * 1024 + 13);
    const under = { s: 'x'.repeat(16 * 1024 * 1024) };
    expect(hex(lite.serialize(under).subarray(0, 32))).toBe(hex(bson.serialize(under).subarray(0, 32)));
  });

  it('unknown _bsontype values are refused', () => {
    expect(() => lite.serialize({ a: { _bsontype: 'Nope' } })).toThrow(/_bsontype/);
  });

  it('a non-string Map key is refused', () => {
    expect(() => lite.serialize({ m: new Map([[1, 1]]) })).toThrow(lite.BSONError);
  });
});

describe('bson-lite deserialize, differential against bson', () => {
  const docs = corpus(real);
  for (const [label, options] of DESERIALIZE_OPTIONS) {
    it(`every corpus document under ${label}`, () => {
      for (const [name, doc] of docs) sameDecode(bson.serialize(doc), options, `${name} / ${label}`);
    });
  }

  it('reads every BSON type, including the deprecated ones js serializers never write', () => {
    // undefined (0x06), DBPointer (0x0C), symbol (0x0E), code_w_scope (0x0F), binary subtype 2 (old)
    const i32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer);
    const cstr = (t: string) => Buffer.from(`${t}\0`);
    const str = (t: string) => Buffer.concat([i32(Buffer.byteLength(t) + 1), cstr(t)]);
    const el = (type: number, key: string, ...payload: Buffer[]) => Buffer.concat([Buffer.from([type]), cstr(key), ...payload]);
    const document = (...els: Buffer[]) => {
      const body = Buffer.concat(els);
      return Buffer.concat([i32(body.length + 5), body, Buffer.from([0])]);
    };
    const scope = document(el(0x10, 'a', i32(1)));
    const bytes = Uint8Array.from(
      document(
        el(0x06, 'u'),
        el(0x0c, 'pt', str('a.b'), Buffer.from('0123456789abcdef01234567', 'hex')),
        el(0x0e, 'sy', str('sy')),
        el(0x0f, 'cs', i32(4 + 4 + 2 + scope.length), str('x'), scope),
        el(0x05, 'b2', i32(7), Buffer.from([2]), i32(3), Buffer.from([1, 2, 3])),
        el(0x7f, 'ma'),
        el(0xff, 'mi'),
      ),
    );
    expect(() => bson.deserialize(bytes)).not.toThrow();
    for (const [label, options] of DESERIALIZE_OPTIONS) sameDecode(bytes, options, label);
    const doc = lite.deserialize(bytes);
    expect(doc.u).toBeUndefined();
    expect('u' in doc).toBe(true);
    expect(doc.pt).toBeInstanceOf(lite.DBRef);
    expect(doc.pt.db).toBe('a');
    expect(doc.cs).toBeInstanceOf(lite.Code);
    expect(doc.cs.scope).toEqual({ a: 1 });
  });

  it('accepts any ArrayBufferView or an ArrayBuffer; refuses bytes around the document (index / allowObjectSmallerThanBufferSize are not supported)', () => {
    const bytes = bson.serialize({ a: 1, s: 'x' });
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    expect(lite.deserialize(padded.buffer.slice(3, 3 + bytes.length))).toEqual({ a: 1, s: 'x' });
    expect(lite.deserialize(new DataView(padded.buffer, 3, bytes.length))).toEqual({ a: 1, s: 'x' });
    expect(bson.deserialize(padded, { index: 3, allowObjectSmallerThanBufferSize: true })).toEqual({ a: 1, s: 'x' });
    expect(() => lite.deserialize(padded, { index: 3, allowObjectSmallerThanBufferSize: true } as never)).toThrow(lite.BSONError);
    expect(() => lite.deserialize(padded)).toThrow(lite.BSONError);
    expect(lite.deserialize(padded.subarray(3, 3 + bytes.length))).toEqual({ a: 1, s: 'x' });
  });

  it('refuses useBigInt64 with promoteLongs or promoteValues off, and bad validation options, as bson does', () => {
    const bytes = bson.serialize({ a: 1 });
    for (const options of [{ useBigInt64: true, promoteLongs: false }, { useBigInt64: true, promoteValues: false }, { validation: { utf8: {} } }, { validation: { utf8: { a: true, b: false } } }, { validation: { utf8: { a: 1 } } }, { validation: { utf8: 'yes' } }]) {
      expect(() => bson.deserialize(bytes, options as never), JSON.stringify(options)).toThrow(bson.BSONError);
      expect(() => lite.deserialize(bytes, options as never), JSON.stringify(options)).toThrow(lite.BSONError);
    }
  });

  it('per-key UTF-8 validation (validation.utf8 as an object) is refused with a BSONError', () => {
    const bytes = bson.serialize({ a: 'x' });
    expect(bson.deserialize(bytes, { validation: { utf8: { a: true } } })).toEqual({ a: 'x' });
    expect(() => lite.deserialize(bytes, { validation: { utf8: { a: true } } })).toThrow(/validation.utf8 must be a boolean/);
  });

  it('int64 at the edges of ±2^53 (number inside, Long outside, under every option) as bson', () => {
    const edges = [2n ** 53n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 53n + 2n, -(2n ** 53n), -(2n ** 53n) + 1n, -(2n ** 53n) - 1n, -(2n ** 53n) - 2n];
    const more = [0n, -1n, 2n ** 32n, 2n ** 32n - 1n, -(2n ** 32n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 52n + 12345n];
    const doc = Object.fromEntries([...edges, ...more].map((n, i) => [`n${i}`, bson.Long.fromBigInt(n)]));
    const bytes = Uint8Array.from(bson.serialize(doc));
    for (const [label, options] of DESERIALIZE_OPTIONS) sameDecode(bytes, options, label);
    const out = lite.deserialize(bytes);
    expect([out.n0, out.n4]).toEqual([2 ** 53, -(2 ** 53)]);
    expect([out.n2, out.n6].map((l) => l instanceof lite.Long && l.toBigInt())).toEqual([2n ** 53n + 1n, -(2n ** 53n) - 1n]);
  });

  it('field names decode the same after many documents (the name cache: collisions, prefixes, non-ASCII and invalid UTF-8 names)', () => {
    const random = seededRandom(19);
    const names = new Set<string>(['a', 'ab', 'abc', 'b', 'ba', 'é', 'e\u0301', '\u{1F600}', 'x'.repeat(64), 'x'.repeat(65), 'y'.repeat(200), '$ref']);
    while (names.size < 2000) {
      const n = 1 + Math.floor(random() * 12);
      names.add(Array.from({ length: n }, () => 'abcdefgh01_$é'[Math.floor(random() * 13)]).join(''));
    }
    const all = [...names];
    const docs = [0, 1, 2].map((k) => bson.serialize(Object.fromEntries(all.map((name, i) => [name, (i + k) % 7]))));
    // names whose bytes are not UTF-8: U+FFFD each, unless validated (names never are)
    const raw = (type: number, name: number[], value: number[]) => [type, ...name, 0, ...value];
    const els = [
      raw(0x10, [0xe9], [1, 0, 0, 0]),
      raw(0x10, [0xc3, 0xa9], [2, 0, 0, 0]),
      raw(0x10, [0xff, 0x61], [3, 0, 0, 0]),
      raw(0x10, [0x61, 0xc3], [4, 0, 0, 0]),
    ].flat();
    const odd = Uint8Array.from([els.length + 5, 0, 0, 0, ...els, 0]);
    for (let pass = 0; pass < 2; pass++) {
      for (const bytes of docs) sameDecode(Uint8Array.from(bytes), {}, `pass ${pass}`);
      sameDecode(odd, {}, `invalid UTF-8 names, pass ${pass}`);
    }
    // a Latin-1 name as UTF-8 (two bytes a char), then its Latin-1 bytes as a name (invalid UTF-8: U+FFFD a byte)
    const one = (el: number[]) => Uint8Array.from([el.length + 5, 0, 0, 0, ...el, 0]);
    for (let i = 0; i < 16 * 64; i++) {
      const name = String.fromCharCode(0xa0 + (i >> 6), 0x80 + (i & 63));
      sameDecode(Uint8Array.from(bson.serialize({ [name]: 1 })), {}, `Latin-1 name ${i}`);
      sameDecode(one(raw(0x10, Array.from(name, (c) => c.charCodeAt(0)), [2, 0, 0, 0])), {}, `Latin-1 bytes as a name ${i}`);
    }
    expect(Object.keys(lite.deserialize(odd))).toEqual(['\ufffd', 'é', '\ufffda', 'a\ufffd']);
  });

  it('invalid UTF-8 is a BSONError when validated and U+FFFD when not, like bson', () => {
    for (const bad of ['ff', 'c0af', 'e28228', 'eda080', 'f4908080', '61c3']) {
      const s = Buffer.from(bad, 'hex');
      const body = Buffer.concat([Buffer.from('02730000', 'hex').subarray(0, 3), Buffer.from([s.length + 1, 0, 0, 0]), s, Buffer.from([0])]);
      const doc = Buffer.concat([Buffer.from([body.length + 5, 0, 0, 0]), body, Buffer.from([0])]);
      const bytes = Uint8Array.from(doc);
      expect(() => lite.deserialize(bytes), bad).toThrow(/UTF-8/);
      for (const [label, options] of DESERIALIZE_OPTIONS) sameDecode(bytes, options, `${bad} ${label}`);
    }
  });
});

type Spec = [string, ...unknown[]];

/** A random value description, materialized per library by `build`. */
function randomSpec(r: () => number, depth: number): Spec {
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chars = ['a', 'Z', '0', ' ', 'é', 'ß', '日', '😀', '\u0000', '\uD800', '\uDFFF', '\n', '"', '$', '.', '\uFEFF'];
  const str = (n = int(12)) => Array.from({ length: n }, () => pick(chars)).join('');
  const key = () => str(1 + int(6)).replace(/\0/g, 'n');
  const bytes = (n = int(40)) => Array.from({ length: n }, () => int(256));
  const hexStr = (n: number) => Array.from({ length: n }, () => int(16).toString(16)).join('');
  const kinds = depth > 3 ? 22 : 26;
  switch (int(kinds)) {
    case 0:
      return ['num', pick([0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, NaN, Infinity, -Infinity, 0.5])];
    case 1:
      return ['num', (r() - 0.5) * 10 ** int(20)];
    case 2:
      return ['num', int(2 ** 32) - 2 ** 31];
    case 3:
      return ['str', str()];
    case 4:
      return ['big', String(BigInt(int(2 ** 32)) * BigInt(int(2 ** 32)) * (r() < 0.5 ? -1n : 1n))];
    case 5:
      return ['bool', r() < 0.5];
    case 6:
      return [pick(['null', 'undef'])];
    case 7:
      return ['date', pick([0, -1, 8.64e15, NaN, int(2 ** 45) - 2 ** 44])];
    case 8:
      return ['bytes', bytes()];
    case 9:
      return ['regexp', pick(['a', 'b+c', '^x$', 'é']), pick(['', 'i', 'gm', 'imsuy'])];
    case 10:
      return ['oid', hexStr(24)];
    case 11:
      return ['long', String(BigInt.asIntN(64, BigInt(int(2 ** 32)) * BigInt(int(2 ** 32)) - BigInt(int(2 ** 32)))), r() < 0.2];
    case 12:
      return ['ts', int(2 ** 32), int(2 ** 32)];
    case 13:
      return ['dec', pick(['0', '-0', 'NaN', '-Infinity', `${int(1e9)}E${int(200) - 100}`, `-${int(1e6)}.${int(1e6)}`, `${'9'.repeat(1 + int(34))}E-${int(6176)}`])];
    case 14:
      return ['double', pick([0, -0, NaN, 1.25, 2 ** 60, -7])];
    case 15:
      return ['int32', int(2 ** 32) - 2 ** 31];
    case 16:
      return [pick(['min', 'max'])];
    case 17:
      return ['code', str()];
    case 18:
      return ['bsonregexp', pick(['a', 'x*']), pick(['', 'i', 'ilmsux', 'xm'])];
    case 19:
      return ['symbol', str()];
    case 20:
      return ['binary', bytes(), pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 128])];
    case 21:
      return ['uuid', hexStr(32)];
    case 22:
      return ['array', Array.from({ length: int(5) }, () => randomSpec(r, depth + 1))];
    case 23:
      return ['doc', Array.from({ length: int(5) }, () => [key(), randomSpec(r, depth + 1)])];
    case 24:
      return ['codeScope', str(), Array.from({ length: int(3) }, () => [key(), randomSpec(r, depth + 1)])];
    default:
      return ['dbref', key(), hexStr(24), r() < 0.5 ? key() : undefined, Array.from({ length: int(2) }, () => [key(), randomSpec(r, depth + 1)])];
  }
}

function build(L: Lib, s: Spec): unknown {
  const [kind, a, b, c, d] = s as [string, any, any, any, any];
  const entries = (xs: [string, Spec][]) => Object.fromEntries(xs.map(([k, v]) => [k, build(L, v)]));
  switch (kind) {
    case 'num':
    case 'str':
    case 'bool':
      return a;
    case 'big':
      return BigInt(a);
    case 'null':
      return null;
    case 'undef':
      return undefined;
    case 'date':
      return new Date(a);
    case 'bytes':
      return Uint8Array.from(a);
    case 'regexp':
      return new RegExp(a, b);
    case 'oid':
      return new L.ObjectId(a);
    case 'long':
      return L.Long.fromString(a, b);
    case 'ts':
      return new L.Timestamp({ t: a, i: b });
    case 'dec':
      return L.Decimal128.fromString(a);
    case 'double':
      return new L.Double(a);
    case 'int32':
      return new L.Int32(a);
    case 'min':
      return new L.MinKey();
    case 'max':
      return new L.MaxKey();
    case 'code':
      return new L.Code(a);
    case 'codeScope':
      return new L.Code(a, entries(b));
    case 'bsonregexp':
      return new L.BSONRegExp(a, b);
    case 'symbol':
      return new L.BSONSymbol(a);
    case 'binary':
      return new L.Binary(Uint8Array.from(a), b);
    case 'uuid':
      return new L.UUID(a);
    case 'array':
      return (a as Spec[]).map((x) => build(L, x));
    case 'doc':
      return entries(a);
    case 'dbref':
      return new L.DBRef(a, new L.ObjectId(b), c, entries(d));
    default:
      throw new Error(kind);
  }
}

describe('bson-lite seeded fuzz, differential against bson', () => {
  const DOCS = 3000;

  it(`${DOCS} random documents: identical bytes and identical decoded values`, () => {
    const r = seededRandom(20240917);
    for (let n = 0; n < DOCS; n++) {
      const spec: [string, Spec][] = Array.from({ length: 1 + Math.floor(r() * 6) }, (_, i) => [`k${i}`, randomSpec(r, 0)]);
      const theirs = Object.fromEntries(spec.map(([k, v]) => [k, build(real, v)]));
      const ours = Object.fromEntries(spec.map(([k, v]) => [k, build(lite, v)]));
      const bytes = bson.serialize(theirs);
      const label = `doc ${n}: ${JSON.stringify(spec, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)).slice(0, 300)}`;
      expect(hex(lite.serialize(ours)), label).toBe(hex(bytes));
      const [optLabel, options] = DESERIALIZE_OPTIONS[n % DESERIALIZE_OPTIONS.length]!;
      sameDecode(bytes, options, `${label} / ${optLabel}`);
      // and our own round trip: deserialize(serialize(x)) re-serializes to the same bytes
      expect(hex(lite.serialize(lite.deserialize(bytes, { promoteValues: false, bsonRegExp: true })))).toBe(hex(bson.serialize(bson.deserialize(bytes, { promoteValues: false, bsonRegExp: true }))));
    }
  });

  it('mutated bytes: bson-lite throws a BSONError wherever bson throws, and otherwise decodes the same', () => {
    const r = seededRandom(77);
    const int = (n: number) => Math.floor(r() * n);
    let theyThrew = 0;
    for (let n = 0; n < 4000; n++) {
      const spec: [string, Spec][] = Array.from({ length: 1 + int(4) }, (_, i) => [`k${i}`, randomSpec(r, 1)]);
      const bytes = Uint8Array.from(bson.serialize(Object.fromEntries(spec.map(([k, v]) => [k, build(real, v)]))));
      const m = bytes.slice();
      const view = new DataView(m.buffer);
      switch (n % 6) {
        case 0: // flip one byte
          m[int(m.length)] = int(256);
          break;
        case 1: // a random int32 somewhere (lengths)
          if (m.length >= 4) view.setInt32(int(m.length - 3), int(2 ** 32) - 2 ** 31, true);
          break;
        case 2: // a small length change somewhere
          if (m.length >= 4) {
            const at = int(m.length - 3);
            view.setInt32(at, view.getInt32(at, true) + int(9) - 4, true);
          }
          break;
        case 3: // truncated, with the outer length fixed up
          view.setInt32(0, Math.max(5, int(m.length)), true);
          break;
        case 4: // two flips
          {
            const at = int(m.length);
            m[at] = m[at]! ^ (1 << int(8));
            m[int(m.length)] = int(256);
          }
          break;
        default: // an unknown or deprecated type byte at a random element start
          m[4] = pick(r, [0x00, 0x06, 0x0c, 0x0e, 0x0f, 0x14, 0x20, 0x7f, 0x80, 0xff]);
      }
      const input = n % 6 === 3 ? m.subarray(0, view.getInt32(0, true)) : m;
      let threw = false;
      try {
        bson.deserialize(input);
      } catch {
        threw = true;
      }
      theyThrew += +threw;
      sameDecode(input, n % 2 ? {} : { promoteValues: false, bsonRegExp: true }, `mutation ${n}`);
    }
    // the mutations do produce a good share of invalid documents
    expect(theyThrew).toBeGreaterThan(1000);
  });
});

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

describe('bson-lite malformed input', () => {
  const valid = Uint8Array.from(bson.serialize({ a: 1, s: 'str', d: { x: [1, 2] }, b: new bson.Binary(new Uint8Array([1, 2])) }));
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['4 bytes', new Uint8Array([5, 0, 0, 0])],
    ['length below 5', Uint8Array.from([4, 0, 0, 0, 0])],
    ['negative length', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0])],
    ['length beyond the buffer', Uint8Array.from([6, 0, 0, 0, 0])],
    ['no terminator', Uint8Array.from([5, 0, 0, 0, 1])],
    ['truncated', valid.subarray(0, valid.length - 3)],
    ['unterminated key', Uint8Array.from([8, 0, 0, 0, 0x0a, 0x61, 0x62, 0])],
    ['unknown type', Uint8Array.from([8, 0, 0, 0, 0x42, 0x61, 0, 0])],
    ['int32 cut short', Uint8Array.from([9, 0, 0, 0, 0x10, 0x61, 0, 1, 0])],
    ['bad boolean', Uint8Array.from([9, 0, 0, 0, 0x08, 0x61, 0, 2, 0])],
    ['string length 0', Uint8Array.from([13, 0, 0, 0, 0x02, 0x61, 0, 0, 0, 0, 0, 0, 0])],
    ['string length too long', Uint8Array.from([14, 0, 0, 0, 0x02, 0x61, 0, 9, 0, 0, 0, 0x62, 0, 0])],
    ['string not NUL-terminated', Uint8Array.from([14, 0, 0, 0, 0x02, 0x61, 0, 2, 0, 0, 0, 0x62, 0x62, 0])],
    ['negative string length', Uint8Array.from([14, 0, 0, 0, 0x02, 0x61, 0, 0xfe, 0xff, 0xff, 0xff, 0x62, 0, 0])],
    ['embedded document too long', Uint8Array.from([13, 0, 0, 0, 0x03, 0x61, 0, 9, 0, 0, 0, 0, 0])],
    ['embedded document too short', Uint8Array.from([13, 0, 0, 0, 0x03, 0x61, 0, 4, 0, 0, 0, 0, 0])],
    ['embedded document not terminated', Uint8Array.from([14, 0, 0, 0, 0x03, 0x61, 0, 6, 0, 0, 0, 1, 0, 0])],
    ['array length beyond parent', Uint8Array.from([13, 0, 0, 0, 0x04, 0x61, 0, 7, 0, 0, 0, 0, 0])],
    ['negative binary length', Uint8Array.from([14, 0, 0, 0, 0x05, 0x61, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0])],
    ['binary longer than the document', Uint8Array.from([14, 0, 0, 0, 0x05, 0x61, 0, 9, 0, 0, 0, 0, 1, 0])],
    ['binary subtype 2 with a wrong inner length', Uint8Array.from([20, 0, 0, 0, 0x05, 0x61, 0, 6, 0, 0, 0, 2, 5, 0, 0, 0, 1, 2, 0, 0])],
    ['binary subtype 2 with a negative inner length', Uint8Array.from([16, 0, 0, 0, 0x05, 0x61, 0, 0, 0, 0, 0, 2, 0xfc, 0xff, 0xff, 0xff, 0])],
    ['object id cut short', Uint8Array.from([12, 0, 0, 0, 0x07, 0x61, 0, 1, 2, 3, 4, 0])],
    ['decimal cut short', Uint8Array.from([12, 0, 0, 0, 0x13, 0x61, 0, 1, 2, 3, 4, 0])],
    ['code_w_scope with a wrong total', Uint8Array.from(Buffer.from('170000000f6300' + '10000000' + '020000007800' + '0500000000' + '00', 'hex'))],
    ['regex without its options cstring', Uint8Array.from([10, 0, 0, 0, 0x0b, 0x61, 0, 0x62, 0, 0])],
    ['invalid utf-8 in a string', Uint8Array.from([14, 0, 0, 0, 0x02, 0x61, 0, 2, 0, 0, 0, 0xff, 0, 0])],
    ['a key that eats the terminator', Uint8Array.from([7, 0, 0, 0, 0x0a, 0x61, 0])],
    ['extra bytes after the document', Uint8Array.from([5, 0, 0, 0, 0, 0])],
    ['deeply nested past the stack', deepDocument(200_000)],
  ];

  it.each(cases)('%s: a BSONError, where bson throws too', (name, bytes) => {
    let threw: unknown;
    try {
      bson.deserialize(bytes);
    } catch (e) {
      threw = e;
    }
    if (name !== 'deeply nested past the stack') expect(threw, `bson accepted ${name}`).toBeDefined();
    expect(() => lite.deserialize(bytes)).toThrow(lite.BSONError);
  });

  it('error messages say what is wrong', () => {
    expect(() => lite.deserialize(Uint8Array.from([8, 0, 0, 0, 0x42, 0x61, 0, 0]))).toThrow(/unknown BSON type 66 in "a"/);
    expect(() => lite.deserialize(Uint8Array.from([6, 0, 0, 0, 0]))).toThrow(/bad document length 6 in 5 bytes/);
    expect(() => lite.deserialize(Uint8Array.from([14, 0, 0, 0, 0x02, 0x61, 0, 9, 0, 0, 0, 0x62, 0, 0]))).toThrow(/bad string length/);
  });
});

/** { a: { a: { ... } } } nested `depth` times, as bytes. */
function deepDocument(depth: number): Uint8Array {
  const out = new Uint8Array(depth * 8 + 5);
  const v = new DataView(out.buffer);
  // level i: its length, then the element header (0x03 'a' 0) of level i + 1
  for (let i = 0; i < depth; i++) {
    v.setInt32(i * 7, 8 * (depth - i) + 5, true);
    out[i * 7 + 4] = 0x03;
    out[i * 7 + 5] = 0x61;
  }
  // the innermost empty document; the zero bytes after it are every level's terminator
  v.setInt32(depth * 7, 5, true);
  return out;
}

/** EJSON.stringify / parse with each library: the same text or values, or both throw (ours a BSONError). */
function sameEJSON<T>(fn: (E: typeof EJSON, L: Lib) => T, label: string, normalize = (x: T): unknown => x): void {
  let theirs: unknown;
  let theirError: unknown;
  try {
    theirs = normalize(fn(bson.EJSON as unknown as typeof EJSON, real));
  } catch (e) {
    theirError = e;
  }
  if (theirError) {
    // invalid JSON text is a SyntaxError from JSON.parse in both
    if (theirError instanceof SyntaxError) expect(() => fn(EJSON, lite), label).toThrow(SyntaxError);
    // js-bson 7.3.4 crashes on a DBRef whose $ref is "" (it reads $dbPointer instead); bson-lite reads a DBRef
    else if (String(theirError).includes('Cannot convert undefined or null to object')) {
      try {
        fn(EJSON, lite);
      } catch (e) {
        expect(e, label).toBeInstanceOf(lite.BSONError);
      }
    }
    else expect(() => fn(EJSON, lite), `${label}: bson threw ${String(theirError)}`).toThrow(lite.BSONError);
    return;
  }
  let ours: unknown;
  expect(() => (ours = normalize(fn(EJSON, lite))), label).not.toThrow();
  expect(ours, label).toEqual(theirs);
}

const EJSON_OPTIONS = [{}, { relaxed: true }, { relaxed: false }, { relaxed: false, useBigInt64: true }, { useBigInt64: true }];

describe('EJSON, differential against bson', () => {
  it.each(corpus(real).map(([name], i) => [name, i] as const))('%s: the same text, canonical and relaxed', (name, i) => {
    for (const options of [undefined, { relaxed: true }, { relaxed: false }, { relaxed: false, ignoreUndefined: true }]) {
      sameEJSON((E, L) => E.stringify(corpus(L)[i]![1], options), `${name} ${JSON.stringify(options)}`);
      sameEJSON((E, L) => E.stringify(corpus(L)[i]![1], null, 2, options), `${name} indented`);
      sameEJSON((E, L) => E.serialize(corpus(L)[i]![1], options), `${name} serialize`);
    }
  });

  it.each(corpus(real).map(([name], i) => [name, i] as const))('%s: its EJSON text reads back the same', (name, i) => {
    for (const relaxed of [true, false]) {
      let text: string;
      try {
        text = bson.EJSON.stringify(corpus(real)[i]![1], { relaxed });
      } catch {
        continue; // e.g. a RegExp with the g flag: refused by both (checked above)
      }
      for (const options of EJSON_OPTIONS) {
        sameEJSON((E) => E.parse(text, options), `${name} relaxed=${relaxed} ${JSON.stringify(options)}`, norm);
        sameEJSON((E) => E.deserialize(JSON.parse(text), options), `${name} deserialize`, norm);
      }
    }
  });

  it('reads every Extended JSON form (legacy $regex, $uuid, $date forms, $dbPointer, $undefined, bad input) as bson does', () => {
    const inputs = [
      '{"a": {"$regex": "ab+c", "$options": "im"}}',
      '{"name": {"$regex": "^x", "$options": ""}, "n": {"$in": [1, 2]}}',
      '{"a": {"$regularExpression": {"pattern": "a", "options": "xsmi"}}}',
      '{"a": {"$regularExpression": {"pattern": "a", "options": "g"}}}',
      '{"u": {"$uuid": "00112233-4455-6677-8899-aabbccddeeff"}}',
      '{"u": {"$uuid": "nope"}}',
      '{"b": {"$binary": {"base64": "AQID", "subType": "80"}}, "c": {"$binary": {"base64": "", "subType": "0"}}, "d": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "4"}}}',
      '{"b": {"$binary": {"base64": "AQID", "subType": "04"}}}',
      '{"b": {"$binary": "AQID", "$type": "00"}}',
      '{"d1": {"$date": "2024-01-02T03:04:05.678Z"}, "d2": {"$date": {"$numberLong": "-1"}}, "d3": {"$date": 5}, "d4": {"$date": "not a date"}}',
      '{"d": {"$date": true}}',
      '{"p": {"$dbPointer": {"$ref": "db.coll", "$id": {"$oid": "0123456789abcdef01234567"}}}}',
      '{"r": {"$ref": "c", "$id": 1, "$db": "d", "x": 1}, "notRef": {"$ref": "c", "$id": 1, "$other": 1}, "notRef2": {"$ref": "c", "$id": 1, "$db": null}}',
      '{"u": {"$undefined": true}, "n": {"$numberInt": "-5"}, "l": {"$numberLong": "9223372036854775807"}, "x": {"$numberDouble": "-0.0"}, "i": {"$numberDouble": "Infinity"}}',
      '{"l": {"$numberLong": "1e5"}}',
      '{"l": {"$numberLong": "123456789012345678901"}}',
      '{"t": {"$timestamp": {"t": 4294967295, "i": 1}}, "mn": {"$minKey": 1}, "mx": {"$maxKey": 1}, "s": {"$symbol": "sym"}}',
      '{"c": {"$code": "f()"}, "cs": {"$code": "g()", "$scope": {"a": {"$numberInt": "1"}}}}',
      '{"dec": {"$numberDecimal": "1.5E+3"}, "bad": 1}',
      '{"dec": {"$numberDecimal": "1.2.3"}}',
      '{"o": {"$oid": "0123456789ABCDEF01234567"}, "first": {"$numberInt": "1", "$oid": "0123456789abcdef01234567"}}',
      '{"a\\u0000b": 1}',
      '{"a": 1',
      '{"$oid": null, "x": {"$foo": 1}}',
      '[1, 2.5, {"$numberLong": "3"}, 4294967296, 1e300, -0]',
      '"just a string"',
      '{"deep": {"a": [{"b": {"$date": {"$numberLong": "0"}}}]}}',
    ];
    for (const text of inputs) for (const options of EJSON_OPTIONS) sameEJSON((E) => E.parse(text, options), `${text} ${JSON.stringify(options)}`, norm);
  });

  it('stringify: argument forms, Map keys, circular structures, unknown _bsontype', () => {
    sameEJSON((E) => E.stringify({ a: 1, b: [2] }, ['a'], 1), 'replacer array');
    sameEJSON((E) => E.stringify({ a: 1, b: 2 }, (k, v) => (k === 'b' ? undefined : v), '\t', { relaxed: false }), 'replacer function');
    sameEJSON((E) => E.stringify(new Map<string, unknown>([['a', 1]]), { relaxed: false }), 'map');
    sameEJSON((E) => E.stringify({ m: new Map([[1, 1]]) }), 'map with a number key');
    sameEJSON((E) => E.stringify([1, new Date(0), 2n ** 70n], { relaxed: false }), 'array root');
    sameEJSON((E) => E.stringify(5), 'number root');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => EJSON.stringify(cyclic)).toThrow(/circular/);
    expect(() => bson.EJSON.stringify(cyclic)).toThrow(/circular/);
    expect(() => EJSON.stringify({ a: { _bsontype: 'Nope' } })).toThrow(lite.BSONError);
    const shared = { s: 1 };
    sameEJSON((E) => E.stringify({ a: shared, b: shared }), 'shared, not cyclic');
  });

  it('1500 random documents: the same text both ways, and the same values read back', () => {
    const r = seededRandom(4242);
    for (let n = 0; n < 1500; n++) {
      const spec: [string, Spec][] = Array.from({ length: 1 + Math.floor(r() * 5) }, (_, i) => [`k${i}`, randomSpec(r, 0)]);
      const make = (L: Lib) => Object.fromEntries(spec.map(([k, v]) => [k, build(L, v)]));
      const relaxed = n % 2 === 0;
      sameEJSON((E, L) => E.stringify(make(L), { relaxed }), `doc ${n} relaxed=${relaxed}`);
      let text: string;
      try {
        text = bson.EJSON.stringify(make(real), { relaxed });
      } catch {
        continue;
      }
      const options = EJSON_OPTIONS[n % EJSON_OPTIONS.length]!;
      sameEJSON((E) => E.parse(text, options), `doc ${n}: ${text.slice(0, 200)} ${JSON.stringify(options)}`, norm);
    }
  });

  it('is in the browser entry (web.ts) BSON namespace, not in the codec index', () => {
    expect(web.BSON.EJSON).toBe(EJSON);
    expect(web.EJSON).toBe(EJSON);
    expect('EJSON' in lite.BSON).toBe(false);
    expect(web.BSON.serialize).toBe(lite.serialize);
    expect(web.BSON.ObjectId).toBe(lite.ObjectId);
  });
});
