/**
 * The bson-lite value classes against the real `bson` package: Decimal128 string
 * conversion (the BSON corpus' decimal128 cases and random strings and bytes), Long
 * arithmetic on random 64-bit values, and the ObjectId / UUID / Binary / Timestamp /
 * Double / Int32 / Code / DBRef / BSONRegExp / BSONSymbol APIs a browser application uses.
 */
import { inspect } from 'node:util';
import * as bson from 'bson';
import { describe, expect, it } from 'vitest';
import * as lite from './index.js';
import { seededRandom } from '../../test/support/seeded-random.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** `fn` on both libraries: the same result, or both throw (ours a BSONError). */
type Lib = typeof lite;
const real = bson as unknown as Lib;

function same<T>(fn: (lib: Lib) => T, label: string): T | undefined {
  let theirs: T | undefined;
  let theirError: unknown;
  try {
    theirs = fn(real);
  } catch (e) {
    theirError = e;
  }
  if (theirError) {
    expect(() => fn(lite), `${label}: bson threw ${String(theirError)}`).toThrow(lite.BSONError);
    return undefined;
  }
  let ours: T | undefined;
  expect(() => (ours = fn(lite)), label).not.toThrow();
  expect(ours, label).toEqual(theirs);
  return ours;
}

// The BSON corpus' decimal128 strings (valid, clamped, rounded and parse errors) and more.
const DECIMAL_STRINGS = [
  'NaN', 'nan', 'nAn', '-NaN', '+NaN', 'Infinity', '-Infinity', '+Infinity', 'infinity', 'infiniTY', 'inf', 'inF', '-inf', '-infinity', '-infiniTy', '-Inf', '-inF', '+inf',
  '0', '-0', '+0', '0.0', '-0.0', '.0', '-.0', '0.00', '0E+1', '0E-1', '0E+6000', '0E-611', '0E-8000', '0E-6177', '0E+6112', '0E+6144', '0E+8000', '-0E-8000', '-0E-6177', '-0E+6112', '-0E+6144', '-0E+8000', '00000', '000.000E+3',
  '1', '-1', '2', '0.1', '-0.1', '+0.003', '0.001234', '0.00123400000', '0.1234567890123456789012345678901234', '1234567890123456789012345678901234', '+1234567890123456789012345678901234', '-1234567890123456789012345678901234',
  '9.999999999999999999999999999999999E-6143', '1E-6176', '-1E-6176', '1.234567890123456789012345678901234E-7', '-1.00E-8', '-100E-10', '1E+3', '1E3', '1e+3', '1.050E+4', '1.05E+3', '5192296858534827628530496329220095',
  '1.000000000000000000000000000000000E+6144', '9.999999999999999999999999999999999E+6144', '12345689012345789012345E+12', `.${'0'.repeat(998)}1`, '1.1', '12345678901234567', '345678.5432', '0.0000000123', '1.2345E-10', '0.000000001', '1E-9',
  '-0.0000000000001234', '1E+6144', '1E+6143', '1.23E+6144', '-1.23E+6144', '-1E+6144', '0.100000000000000000000000000000000E-6143', '1.00000000000000000000000000000000E-6144', '0.000000000000000000000000000000010E-6143', '1.0E-6175',
  '0.00000000000000000000000000000001E-6143', '1E-6175', '0.000000000000000000000000000000001E-6143', '1e-6176', '999999999999999999999999999999999e-6176', '-0.100000000000000000000000000000000E-6143', '-1e-6176', '-999999999999999999999999999999999e-6176',
  '-2147483649', '-2147483648', '2147483647', '2147483648', '4294967296', '-9223372036854775809', '18446744073709551616', '1.5', '2.5', '-0.5', '123.456E-7', '1e-6', '1e-7', '1234567e-13', '10.0', '100.00E-2', '7E+6111', '7E+6112', '123E+6109',
  // more than 34 digits, exact (trailing zeros) and inexact
  '1234567890123456789012345678901234000', '12345678901234567890123456789012340E-1', '1234567890123456789012345678901234.0', '1234567890123456789012345678901235', '12345678901234567890123456789012345', '99999999999999999999999999999999990',
  '-1.11111111111111111111111111111234650', '1.11111111111111111111111111111234549', '100000000000000000000000000000000000000000000000000000000001', '1E-6177', '7e10000', '-7e10000', '10E-6177', '1000E-6178', '0.0001E-6173',
  // parse errors
  '', ' 1', ' -1', '1 ', 'E', 'e', 'E01', '1e', '1E', '.', '..', '..3', '.13.3', '1..3', '1.3.4', '1.34.', '.e', '+-32.4', '-+32.4', '--32.4', '-32.-4', '32.0-', '32.4E--21', '32.4E-2-1', '32.4E+-21', 'invalid', 'i', 'in', '-in', 'Na', '-Na', '1.23abc', '1.23abcE+02', '1.23E+0aabs2',
  'Infi', 'Infin', 'Infini', 'Infinit', '-Infinit', '.Infinity', 'NaNq', 'NaNs', '-9Inf', '-1-', '0000..', '.0000.', '00..00', '0Inf', '-0Inf', '0sNaN', '++1', '--1', '-+1', '+-1', ' +1', ' + 1', ' - 1', 'e100', 'e+1', '.e+1', '+.e+1', 'E+1', '.E+1', '+.E+1', '-.e+', '-.e', '-.E+', '-.E',
  '+.Inf', '.NaN', '-.NaN', 'ONE', 'qNaN', '-sNa', '+.sNaN', 'ten', 'u0b65', 'x', 'xNaN', '.123.5', '1..2', '1e1.0', '1E+1.2.3', '1e123e', '1E+1.2', '1e.1', '1e1.', '1E++1', '1E--1', '1E+-1', '1E-+1', "1E'1", '1E"1', '1e-', '1ee', '1.2.1', '1.23.4', '1.34.5', '01.35.', '01.35-', '3+', '7e99999a', '9Inf', '12 ', '12-',
  '12e', '12e++', '12f4', '111e*123', '111e123-', '111e1*23', '111e+12+', '111e1-3-', '111E1e+3', '123,65', '7e12356789012x', '7e123567890x', '1_000', '0x10', '١', 'Infinity5', 'NaN0',
];

/** sign, coefficient and exponent of a finite decimal string (the test's own reading). */
function decimalValue(s: string): { neg: boolean; c: bigint; e: number } {
  const m = /^([-+])?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(s)!;
  const frac = m[3] ?? '';
  return { neg: m[1] === '-', c: BigInt(`${m[2]}${frac}` || '0'), e: Number(m[4] ?? 0) - frac.length };
}

/** sign, coefficient and exponent of canonical finite Decimal128 bytes. */
function bytesValue(b: Uint8Array): { neg: boolean; c: bigint; e: number } {
  const v = new DataView(b.buffer, b.byteOffset, 16);
  const hi = v.getBigUint64(8, true);
  return { neg: hi >> 63n === 1n, c: ((hi & 0x1ffffffffffffn) << 64n) | v.getBigUint64(0, true), e: Number((hi >> 49n) & 0x3fffn) - 6176 };
}

/** Compares |a| and |b| (signs must match unless both are zero). */
function compareScaled(a: { neg: boolean; c: bigint; e: number }, b: { neg: boolean; c: bigint; e: number }): number {
  if (a.c !== 0n && b.c !== 0n && a.neg !== b.neg) return NaN;
  const e = Math.min(a.e, b.e);
  const x = a.c * 10n ** BigInt(a.e - e);
  const y = b.c * 10n ** BigInt(b.e - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Decimal128.fromString(s) with both libraries: the same bytes and string, or the same
 * refusal. Where they differ, js-bson 7.3.4 must be the one in error (it mishandles more
 * than 34 digits after leading zeros), and bson-lite's value must be exact.
 * Returns whether they differed.
 */
function checkDecimal(s: string): boolean {
  const parse = (L: Lib) => L.Decimal128.fromString(s).bytes;
  let theirs: Uint8Array | undefined;
  try {
    theirs = parse(real);
  } catch {
    theirs = undefined;
  }
  let ours: Uint8Array | undefined;
  try {
    ours = parse(lite);
  } catch (e) {
    expect(e, s).toBeInstanceOf(lite.BSONError);
  }
  if (ours && theirs && hex(theirs) === hex(ours)) {
    expect(new lite.Decimal128(ours).toString(), s).toBe(new bson.Decimal128(ours).toString());
    return false;
  }
  if (!ours && !theirs) return false;
  const exact = decimalValue(s);
  if (theirs) {
    // js-bson read a value: it must be wrong for us to differ
    expect(compareScaled(bytesValue(theirs), exact), `${s}: bson-lite differs from a correct bson result ${new bson.Decimal128(theirs).toString()}`).not.toBe(0);
  }
  expect(/^[-+]?0\d/.test(s), `${s}: unexpected divergence from bson`).toBe(true);
  if (ours) expect(compareScaled(bytesValue(ours), exact), `${s} is not read exactly`).toBe(0);
  return true;
}

describe('Decimal128', () => {
  it.each(DECIMAL_STRINGS.map((s) => [JSON.stringify(s).slice(0, 60), s]))('fromString(%s) matches bson', (_label, s) => {
    checkDecimal(s);
  });

  it('random decimal strings: the same bytes and string as bson, or a provably exact value where js-bson errs', () => {
    const r = seededRandom(128);
    const int = (n: number) => Math.floor(r() * n);
    let diverged = 0;
    for (let n = 0; n < 5000; n++) {
      const digits = Array.from({ length: 1 + int(40) }, () => (r() < 0.3 ? '0' : String(int(10)))).join('');
      const point = r() < 0.5 ? int(digits.length + 1) : -1;
      const body = point < 0 ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`;
      const exponent = r() < 0.5 ? '' : `${r() < 0.5 ? 'e' : 'E'}${['', '+', '-'][int(3)]}${int(r() < 0.8 ? 60 : 7000)}`;
      const s = `${['', '-', '+'][int(3)]}${body}${exponent}`;
      if (/^[-+]?\.?$/.test(body) && !exponent) continue; // "+" / "-" / "." alone: see the divergence test below
      diverged += +checkDecimal(s);
    }
    // the known js-bson errors do occur in this sample (so the checks above ran)
    expect(diverged).toBeGreaterThan(0);
  });

  it('random canonical bytes print as bson prints them, and parse back to the same bytes', () => {
    const r = seededRandom(9);
    for (let n = 0; n < 5000; n++) {
      const b = Uint8Array.from({ length: 16 }, () => Math.floor(r() * 256));
      // a canonical finite value: coefficient below 10^34, exponent 0..12287
      b[15] = (b[15]! & 0x80) | (r() < 0.5 ? 0x30 : b[15]! & 0x5f);
      b[14]! &= 0xff;
      const v = new DataView(b.buffer);
      const coef = ((v.getBigUint64(8, true) & 0x1ffffffffffffn) << 64n) | v.getBigUint64(0, true);
      if (coef >= 10n ** 34n || (b[15]! & 0x60) === 0x60) continue;
      const text = same((L) => new L.Decimal128(b).toString(), hex(b));
      expect(hex(lite.Decimal128.fromString(text!).bytes), text).toBe(hex(bson.Decimal128.fromString(text!).bytes));
    }
  });

  it('special and 11-form bytes', () => {
    for (const high of [0x7c, 0xfc, 0x7e, 0xfe, 0x78, 0xf8, 0x7a, 0x60, 0x6f, 0x77, 0xe0]) {
      const b = new Uint8Array(16);
      b[15] = high;
      b[14] = 0x40;
      if ((high & 0x78) === 0x78) same((L) => new L.Decimal128(b).toString(), hex(b));
    }
  });

  // Where bson-lite follows the spec instead of js-bson 7.3.4:
  it('a non-canonical coefficient (> 10^34-1) reads as zero, as IEEE 754 and the BSON spec say', () => {
    const b = Uint8Array.from(Buffer.from('000000000000000000000000fdff3f30', 'hex')); // coefficient ~1.04e34, exponent -1
    expect(new lite.Decimal128(b).toString()).toBe('0.0');
    expect(new bson.Decimal128(b).toString()).toBe('1038435603258211246404821202658918.4');
    const elevenForm = Uint8Array.from(Buffer.from('0000000000000000000000000000e07f', 'hex').reverse().reverse()); // 11-form, exponent 0x3fc0
    elevenForm[15] = 0x6c;
    expect(new lite.Decimal128(elevenForm).toString()).toMatch(/^0(E[-+]\d+)?$/);
  });

  it('"+", "-" and an exponent beyond 2^14 below the digits are refused (js-bson reads 0, -0 and 1.0E-6175)', () => {
    for (const s of ['+', '-', '1.0e-20000', '1e-20000']) expect(() => lite.Decimal128.fromString(s), s).toThrow(lite.BSONError);
    expect(bson.Decimal128.fromString('+').toString()).toBe('0');
    expect(bson.Decimal128.fromString('1.0e-20000').toString()).toBe('1.0E-6175');
    expect('fromStringWithRounding' in lite.Decimal128).toBe(false);
  });

  it('construction from bytes or a string, and toJSON', () => {
    const d = new lite.Decimal128('1.50');
    expect(d.toString()).toBe('1.50');
    expect(new lite.Decimal128(d.bytes).toString()).toBe('1.50');
    expect(JSON.stringify({ d })).toBe(JSON.stringify({ d: new bson.Decimal128('1.50') }));
    expect(() => new lite.Decimal128(new Uint8Array(15))).toThrow(lite.BSONError);
    expect(() => new lite.Decimal128(5 as never)).toThrow(lite.BSONError);
    expect(d._bsontype).toBe('Decimal128');
  });
});

describe('Long', () => {
  const r = seededRandom(64);
  const rand64 = (): bigint => {
    const kind = Math.floor(r() * 6);
    const edges = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 32n, 2n ** 31n, -(2n ** 31n), 2n ** 53n + 1n, 5n, -7n, 2n ** 64n - 1n];
    if (kind === 0) return edges[Math.floor(r() * edges.length)]!;
    const v = (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
    return kind === 1 ? v >> BigInt(Math.floor(r() * 64)) : v;
  };
  const state = (l: { low: number; high: number; unsigned: boolean; toString(): string }) => [l.low, l.high, l.unsigned, l.toString()];

  it('arithmetic, bitwise, shifts and comparisons on random values match bson', () => {
    const binary = ['add', 'subtract', 'multiply', 'divide', 'modulo', 'and', 'or', 'xor'] as const;
    const shifts = ['shiftLeft', 'shiftRight', 'shiftRightUnsigned'] as const;
    const tests = ['equals', 'notEquals', 'lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual', 'compare'] as const;
    for (let n = 0; n < 3000; n++) {
      const [a, b] = [rand64(), rand64()];
      const unsigned = r() < 0.3;
      const make = (L: Lib, x: bigint) => L.Long.fromBigInt(x, unsigned);
      for (const op of binary) {
        same((L) => {
          const result = (make(L, a) as any)[op](make(L, b));
          // js-bson's multiply returns the signed Long.ZERO when either side is zero
          return op.startsWith('mul') && result.isZero() ? [result.low, result.high] : state(result);
        }, `${a} ${op} ${b} unsigned=${unsigned}`);
      }
      // a plain number operand too
      same((L) => state((make(L, a) as any).add(Number(b % 1000n))), `${a} add number`);
      for (const op of shifts) {
        const bits = Math.floor(r() * 70);
        same((L) => state((make(L, a) as any)[op](bits)), `${a} ${op} ${bits}`);
      }
      for (const op of tests) same((L) => (make(L, a) as any)[op](make(L, b)), `${a} ${op} ${b}`);
      same((L) => {
        const l = make(L, a);
        return [state(l.negate()), state(l.not()), l.toNumber(), String(l.toBigInt()), l.toString(16), l.toString(36), l.toInt(), l.isZero(), l.isNegative(), state(l.toSigned()), state(l.toUnsigned())];
      }, `${a} unary`);
    }
  });

  it('construction: fromNumber, fromString, fromBigInt, fromBits, fromInt, fromValue and the constructor', () => {
    const numbers = [0, -0, 1, -1, 0.5, -0.5, 1.9, -1.9, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, -(2 ** 63), 2 ** 63 - 1024, 2 ** 64, 2 ** 64 - 2048, 1e30, -1e30, NaN, Infinity, -Infinity];
    for (const x of numbers) {
      for (const unsigned of [false, true]) same((L) => state(L.Long.fromNumber(x, unsigned)), `fromNumber(${x}, ${unsigned})`);
      same((L) => state(L.Long.fromInt(x)), `fromInt(${x})`);
      same((L) => state(L.Long.fromValue(x)), `fromValue(${x})`);
    }
    const strings = ['0', '1', '-1', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '18446744073709551615', '18446744073709551616', '123456789012', '+5', '007', 'NaN', 'Infinity', '-Infinity', '', '-', '--5', '1-2', '12a', 'abc', 'ff', '7fffffffffffffff', 'zz', ' 5'];
    for (const s of strings) {
      for (const args of [[], [true], [16], [false, 16], [true, 36], [2], [37], [1]] as const) {
        same((L) => state((L.Long.fromString as any)(s, ...args)), `fromString(${JSON.stringify(s)}, ${args.join()})`);
      }
      same((L) => state(new L.Long(s)), `new Long(${JSON.stringify(s)})`);
    }
    for (const x of [0n, -1n, 2n ** 63n, 2n ** 64n + 3n, -(2n ** 70n) - 5n, 12345678901234567890n]) {
      same((L) => state(L.Long.fromBigInt(x)), `fromBigInt(${x})`);
      same((L) => state(L.Long.fromBigInt(x, true)), `fromBigInt(${x}, true)`);
      same((L) => state(new L.Long(x)), `new Long(${x}n)`);
    }
    for (const [low, high] of [[0, 0], [-1, -1], [2 ** 32 + 5, 7], [1.5, -2.5], [0x7fffffff, 0x80000000]] as const) {
      same((L) => state(L.Long.fromBits(low, high)), `fromBits(${low}, ${high})`);
      same((L) => state(new L.Long(low, high, true)), `new Long(${low}, ${high}, true)`);
      same((L) => state(L.Long.fromValue({ low, high, unsigned: true })), `fromValue({${low}, ${high}})`);
    }
    same((L) => state(new L.Long(5, true)), 'new Long(5, true)');
    same((L) => state(new L.Long()), 'new Long()');
  });

  it('constants, isLong, division by zero, getters, JSON', () => {
    for (const k of ['ZERO', 'ONE', 'NEG_ONE', 'UZERO', 'MAX_VALUE', 'MIN_VALUE', 'MAX_UNSIGNED_VALUE'] as const) same((L) => state(L.Long[k]), k);
    expect(lite.Long.isLong(lite.Long.ONE)).toBe(true);
    expect(lite.Long.isLong(bson.Long.ONE)).toBe(true);
    expect(lite.Long.isLong({ low: 1, high: 0 })).toBe(false);
    expect(lite.Long.isLong(null)).toBe(false);
    expect(() => lite.Long.ONE.divide(0)).toThrow(lite.BSONError);
    expect(() => lite.Long.ONE.modulo(lite.Long.ZERO)).toThrow(lite.BSONError);
    const l = lite.Long.fromString('-123456789012345');
    expect([l.getLowBits(), l.getHighBits()]).toEqual([l.low, l.high]);
    expect(JSON.stringify(l)).toBe(JSON.stringify(bson.Long.fromString('-123456789012345')));
    expect(l._bsontype).toBe('Long');
    expect(Object.keys(l)).toEqual(Object.keys(bson.Long.fromString('-123456789012345')));
  });

  // Where bson-lite compares numerically and js-bson does not:
  it('compare() across signedness compares the numbers (js-bson: the 64-bit difference)', () => {
    const one = lite.Long.fromInt(1);
    const max = lite.Long.MAX_UNSIGNED_VALUE;
    expect(one.compare(max)).toBe(-1);
    expect(bson.Long.fromInt(1).compare(bson.Long.MAX_UNSIGNED_VALUE)).toBe(1);
  });
});

describe('Timestamp', () => {
  it('construction, t/i, high/low, toString, toJSON as bson', () => {
    const inputs: unknown[] = [{ t: 0, i: 0 }, { t: 1, i: 2 }, { t: 4294967295, i: 4294967295 }, 0n, 5n, 2n ** 64n - 1n, 2n ** 65n + 3n, undefined, null];
    for (const x of inputs) {
      same((L) => {
        const ts = new L.Timestamp(x as never);
        return [ts.t, ts.i, ts.high, ts.low, ts.unsigned, ts.toString(), JSON.stringify(ts), ts._bsontype];
      }, String(x && typeof x === 'object' ? JSON.stringify(x) : x));
    }
    same((L) => new L.Timestamp(L.Long.fromString('123456789012')).toString(), 'from Long');
    same((L) => L.Timestamp.MAX_VALUE.toString(), 'MAX_VALUE');
    same((L) => new L.Timestamp({ t: new L.Int32(5), i: 1 } as never).t, 'Int32 t');
    for (const bad of [{ t: -1, i: 0 }, { t: 0, i: 2 ** 32 }, { t: '1', i: 0 }, { t: NaN, i: 0 }, 'x', 5, { t: 1 }]) {
      same((L) => new L.Timestamp(bad as never).toString(), JSON.stringify(bad));
    }
    expect(new lite.Timestamp({ t: 3, i: 7 }).add(1)).toBeInstanceOf(lite.Long);
  });
});

describe('ObjectId', () => {
  it('from hex, bytes, another id; toHexString, toString, toJSON, equals, getTimestamp as bson', () => {
    const h = '65a1b2c3d4e5f60718293a4b';
    same((L) => {
      const id = new L.ObjectId(h);
      const fromBytes = new L.ObjectId(Uint8Array.from(Buffer.from(h, 'hex')));
      const fromId = new L.ObjectId(id);
      const fromUpper = new L.ObjectId(h.toUpperCase());
      return [id.toHexString(), id.toString(), id.toString('hex'), id.toString('base64'), JSON.stringify({ id }), fromBytes.toHexString(), fromId.toHexString(), fromUpper.toHexString(), id.getTimestamp().toISOString(), id.equals(fromBytes), id.equals(h), id.equals(h.toUpperCase()), id.equals('x'), id.equals(null), id.equals(undefined), id.equals(new L.ObjectId()), hex(id.id)];
    }, 'ObjectId');
    expect(new lite.ObjectId(h).equals(new bson.ObjectId(h))).toBe(true);
    expect(new lite.ObjectId(new bson.ObjectId(h)).toHexString()).toBe(h);
    expect(new lite.ObjectId({ id: Uint8Array.from(Buffer.from(h, 'hex')) }).toHexString()).toBe(h);
    for (const bad of ['xyz', 'g'.repeat(24), '1'.repeat(23), 12345, new Uint8Array(11), {}, true]) {
      same((L) => new L.ObjectId(bad as never).toHexString(), String(bad));
      same((L) => L.ObjectId.isValid(bad as never), `isValid ${String(bad)}`);
    }
    for (const good of [h, h.toUpperCase(), new Uint8Array(12)]) same((L) => L.ObjectId.isValid(good), `isValid ${String(good)}`);
    expect(lite.ObjectId.isValid(new lite.ObjectId())).toBe(true);
    same((L) => [L.ObjectId.createFromHexString(h).toHexString(), L.ObjectId.createFromTime(1_700_000_000).toHexString(), hex(L.ObjectId.generate(5)).slice(0, 8)], 'statics');
    expect(() => lite.ObjectId.createFromHexString('12')).toThrow(lite.BSONError);
  });

  it('new ids: 4-byte time, 5 random bytes fixed per process, a 3-byte counter that increments', () => {
    const before = Math.floor(Date.now() / 1000);
    const ids = Array.from({ length: 5 }, () => new lite.ObjectId());
    const after = Math.floor(Date.now() / 1000);
    for (const id of ids) {
      const seconds = id.getTimestamp().getTime() / 1000;
      expect(seconds).toBeGreaterThanOrEqual(before);
      expect(seconds).toBeLessThanOrEqual(after);
      expect(hex(id.id).slice(8, 18)).toBe(hex(ids[0]!.id).slice(8, 18));
      expect(lite.ObjectId.isValid(id.toHexString())).toBe(true);
    }
    const counters = ids.map((id) => parseInt(hex(id.id).slice(18), 16));
    for (let i = 1; i < counters.length; i++) expect(counters[i]).toBe((counters[i - 1]! + 1) % 0x1000000);
    expect(new Set(ids.map((id) => id.toHexString())).size).toBe(5);
    expect(ids[0]!._bsontype).toBe('ObjectId');
  });
});

describe('Binary and UUID', () => {
  it('Binary: constants, buffer, sub_type, value(), length(), toString, toJSON, toUUID as bson', () => {
    for (const k of ['SUBTYPE_DEFAULT', 'SUBTYPE_FUNCTION', 'SUBTYPE_BYTE_ARRAY', 'SUBTYPE_UUID_OLD', 'SUBTYPE_UUID', 'SUBTYPE_MD5', 'SUBTYPE_ENCRYPTED', 'SUBTYPE_COLUMN', 'SUBTYPE_SENSITIVE', 'SUBTYPE_VECTOR', 'SUBTYPE_USER_DEFINED', 'BSON_BINARY_SUBTYPE_DEFAULT'] as const) {
      expect(lite.Binary[k], k).toBe((bson.Binary as unknown as Record<string, number>)[k]);
    }
    const bytes = Uint8Array.from(Buffer.from('héllo wörld, 0123456789abcdef', 'utf8'));
    for (const sub of [undefined, 0, 2, 4, 5, 128, 300]) {
      same((L) => {
        const b = new L.Binary(bytes, sub);
        return [b.sub_type, b.length(), b.position, hex(b.value()), b.toString('hex'), b.toString('base64'), b.toString('utf8'), b.toString('utf-8'), b.toString(), JSON.stringify({ b }), b._bsontype];
      }, `subtype ${sub}`);
    }
    same((L) => hex(new L.Binary([1, 2, 255]).value()), 'number[]');
    same((L) => [hex(L.Binary.createFromBase64('AQID', 5).value()), L.Binary.createFromBase64('AQID', 5).sub_type, hex(L.Binary.createFromBase64('').value())], 'statics');
    same((L) => new L.Binary(new Uint8Array(16).fill(9), 4).toUUID().toHexString(), 'toUUID');
    same((L) => new L.Binary(new Uint8Array(16), 0).toUUID().toHexString(), 'toUUID of subtype 0');
    same((L) => new L.Binary('str' as never).length(), 'string');
    const shared = new Uint8Array([1, 2, 3]);
    const b = new lite.Binary(shared);
    shared[0] = 9;
    expect(b.value()[0]).toBe(9);
  });

  it('UUID: random v4, hex with dashes, equals, toHexString as bson', () => {
    const u = new lite.UUID();
    expect(u.toHexString()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(u.sub_type).toBe(4);
    expect(u.length()).toBe(16);
    expect(u).toBeInstanceOf(lite.Binary);
    expect(new lite.UUID().equals(u)).toBe(false);
    const s = '0123456789ABCDEF0123456789abcdef';
    same((L) => {
      const x = new L.UUID(s);
      const dashed = new L.UUID(x.toHexString());
      return [x.toHexString(), x.toHexString(false), x.toString(), x.toString('hex'), x.toString('base64'), JSON.stringify({ x }), x.equals(dashed), x.equals(s), x.equals(x.toHexString().toUpperCase()), x.equals(new L.UUID()), x.equals('nope'), x.equals(null), hex(new L.UUID(x.id).id), new L.UUID(x).toHexString(), x._bsontype];
    }, 'UUID');
    for (const bad of ['0123', '0123456789abcdef0123456789abcdeg', '01234567-89ab-cdef0123-456789abcdef', new Uint8Array(15), 5]) {
      same((L) => new L.UUID(bad as never).toHexString(), String(bad));
    }
    for (const x of ['00112233-4455-6677-8899-aabbccddeeff', 'x', new Uint8Array(16), new Uint8Array(3), null, new bson.Binary(new Uint8Array(16), 4), new bson.Binary(new Uint8Array(16), 3), 5]) {
      same((L) => L.UUID.isValid(x as never), `isValid ${String(x)}`);
    }
    expect(hex(lite.UUID.generate()).slice(12, 13)).toBe('4');
  });
});

describe('the other value classes', () => {
  it('Double, Int32, Code, DBRef, BSONRegExp, BSONSymbol, MinKey, MaxKey as bson', () => {
    for (const x of [1, -0, 1.5, NaN, 2 ** 40, '3.5', new Number(2)]) {
      same((L) => {
        const d = new L.Double(x as number);
        const i = new L.Int32(x as number);
        return [Object.is(d.value, -0) ? '-0' : d.value, d.valueOf(), JSON.stringify({ d }), d.toString(), i.value, i.valueOf(), JSON.stringify({ i }), i.toString(), +d + +i, d._bsontype, i._bsontype];
      }, String(x));
    }
    same((L) => new L.Int32(255).toString(16), 'Int32 radix');
    same((L) => {
      const c = new L.Code('function () {}');
      const s = new L.Code(() => 1, { a: 1 });
      return [c.code, c.scope, JSON.stringify({ c }), s.code, s.scope, JSON.stringify({ s }), c._bsontype];
    }, 'Code');
    const id = '65a1b2c3d4e5f60718293a4b';
    same((L) => {
      const refs = [new L.DBRef('coll', new L.ObjectId(id)), new L.DBRef('db.coll', new L.ObjectId(id)), new L.DBRef('a.b.c', new L.ObjectId(id), 'x'), new L.DBRef('coll', new L.ObjectId(id), 'db', { extra: 1 })];
      return refs.map((r) => [r.collection, r.db, r.fields, r.oid.toHexString(), JSON.stringify(r), r._bsontype]);
    }, 'DBRef');
    for (const [p, o] of [['a', 'mix'], ['b', undefined], ['c', 'xsmilu'], ['d', 'g'], ['e\0', ''], ['f', 'i\0']] as const) {
      same((L) => {
        const x = new L.BSONRegExp(p, o);
        return [x.pattern, x.options, x._bsontype];
      }, `${p}/${o}`);
    }
    same((L) => {
      const s = new L.BSONSymbol('sym');
      return [s.value, s.valueOf(), s.toString(), JSON.stringify({ s }), `${s}`, s._bsontype];
    }, 'BSONSymbol');
    same((L) => [new L.MinKey()._bsontype, new L.MaxKey()._bsontype, JSON.stringify({ a: new L.MinKey() })], 'keys');
  });

  it('BSONError: name, instanceof Error, isBSONError', () => {
    const e = new lite.BSONError('boom');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('BSONError');
    expect(e.message).toBe('boom');
    expect(lite.BSONError.isBSONError(e)).toBe(true);
    expect(lite.BSONError.isBSONError(new bson.BSONError('x'))).toBe(true);
    expect(lite.BSONError.isBSONError(new Error('x'))).toBe(false);
    try {
      lite.deserialize(new Uint8Array(3));
    } catch (err) {
      expect(err).toBeInstanceOf(lite.BSONError);
    }
  });

  it('the BSON namespace carries the codec and the classes', () => {
    const doc = { a: new lite.BSON.ObjectId(), n: lite.BSON.Long.fromNumber(2 ** 60) };
    const back = lite.BSON.deserialize(lite.BSON.serialize(doc));
    expect(back.a.equals(doc.a)).toBe(true);
    expect(back.n.equals(doc.n)).toBe(true);
    expect(lite.BSON.calculateObjectSize(doc)).toBe(lite.BSON.serialize(doc).length);
    for (const name of ['Binary', 'BSONError', 'BSONRegExp', 'BSONSymbol', 'Code', 'DBRef', 'Decimal128', 'Double', 'Int32', 'Long', 'MaxKey', 'MinKey', 'ObjectId', 'Timestamp', 'UUID', 'serialize', 'deserialize', 'calculateObjectSize']) {
      expect(lite.BSON, name).toHaveProperty(name);
      expect(bson.BSON, name).toHaveProperty(name);
    }
  });
});

describe('values print in Node as js-bson 7 prints them', () => {
  const oid = '65a1b2c3d4e5f60718293a4b';
  const cases: [string, (b: typeof bson | typeof lite) => unknown][] = [
    ['ObjectId', (b) => new b.ObjectId(oid)],
    ['Timestamp', (b) => new b.Timestamp({ t: 1700000000, i: 7 })],
    ['Long', (b) => b.Long.fromString('-9007199254740993')],
    ['unsigned Long', (b) => b.Long.fromString('18446744073709551615', true)],
    ['Decimal128', (b) => b.Decimal128.fromString('1.50')],
    ['Double', (b) => new b.Double(1.5)],
    ['Int32', (b) => new b.Int32(42)],
    ['UUID', (b) => new b.UUID('0e8a1a2c-4d3e-4f5a-8b6c-7d8e9fa0b1c2')],
    ['Binary', (b) => new b.Binary(new Uint8Array([1, 2, 3]), 0)],
    ['MinKey', (b) => new b.MinKey()],
    ['MaxKey', (b) => new b.MaxKey()],
    ['BSONRegExp', (b) => new b.BSONRegExp('a.c', 'i')],
    ['BSONSymbol', (b) => new b.BSONSymbol('s')],
    ['Code', (b) => new b.Code('x = 1')],
  ];
  it.each(cases)('%s', (_name, make) => {
    const ours = inspect({ v: make(lite) });
    expect(ours).not.toMatch(/\[Uint8Array\]|\bt \{/);
    expect(ours.replace(/"/g, "'")).toBe(inspect({ v: make(bson) }).replace(/"/g, "'"));
  });
});
