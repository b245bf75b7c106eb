/**
 * Long (64-bit integer as `low`/`high` 32-bit halves, like js-bson's) and Timestamp,
 * with the arithmetic done on BigInt: every result wraps to 64 bits exactly as
 * js-bson's 16-bit-limb arithmetic does.
 */
import { BSONValue, fail, tag } from './values.js';

export type LongLike = Long | number | string | bigint | { low: number; high: number; unsigned?: boolean };

/** The value of a Long as a BigInt (signed or unsigned per its `unsigned` flag). */
const big = (l: { low: number; high: number; unsigned?: boolean }, unsigned = l.unsigned): bigint =>
  BigInt[unsigned ? 'asUintN' : 'asIntN'](64, (BigInt(l.high | 0) << 32n) | BigInt(l.low >>> 0));
const TWO64 = 2 ** 64;
/** A number (or Int32) from 0 to 2^32-1. */
const uint32 = (x: unknown): boolean => (typeof x == 'number' || (x as { _bsontype?: string })?._bsontype == 'Int32') && +(x as number) >= 0 && +(x as number) <= 0xffffffff;

export class Long extends BSONValue {
  declare readonly _bsontype: 'Long' | 'Timestamp';
  declare readonly __isLong__: true;
  high: number;
  low: number;
  unsigned: boolean;

  static ZERO = new Long();
  static ONE = new Long(1);
  static NEG_ONE = new Long(-1, -1);
  static UZERO = new Long(0, 0, true);
  static MAX_VALUE = new Long(-1, 0x7fffffff);
  static MIN_VALUE = new Long(0, -0x80000000);
  static MAX_UNSIGNED_VALUE = new Long(-1, -1, true);

  /** `new Long(low, high, unsigned?)`, `new Long(bigint, unsigned?)` or `new Long(string, unsigned?)`. */
  constructor(low: number | bigint | string = 0, high?: number | boolean, unsigned?: boolean) {
    super();
    const u = typeof high == 'boolean' ? high : !!unsigned;
    const r =
      typeof low == 'string'
        ? Long.fromString(low, u)
        : typeof low == 'bigint'
          ? Long.fromBigInt(low, u)
          : { low: low | 0, high: typeof high == 'number' ? high | 0 : 0 };
    this.low = r.low;
    this.high = r.high;
    this.unsigned = u;
  }

  static fromBits(low: number, high: number, unsigned?: boolean): Long {
    return new Long(low, high, unsigned);
  }
  static fromInt(value: number, unsigned?: boolean): Long {
    return new Long(value, (value | 0) < 0 ? -1 : 0, unsigned);
  }
  /** Truncates; NaN is 0; saturates at the 64-bit bounds. */
  static fromNumber(value: number, unsigned?: boolean): Long {
    const x = BigInt(Math.trunc(Math.min(Math.max(value || 0, -TWO64), TWO64)));
    const [min, max] = unsigned ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
    return Long.fromBigInt(x < min ? min : x > max ? max : x, unsigned);
  }
  /** The low 64 bits of `value`. */
  static fromBigInt(value: bigint, unsigned?: boolean): Long {
    return new Long(Number(BigInt.asIntN(32, value)), Number(BigInt.asIntN(32, value >> 32n)), unsigned);
  }
  /** Parses like js-bson: 8-digit chunks through parseInt, wrapping at 64 bits. */
  static fromString(s: string, unsigned?: boolean | number, radix?: number): Long {
    if (typeof unsigned == 'number') [radix, unsigned] = [unsigned, false];
    const R = radix || 10;
    if ((s == 'NaN' && R < 24) || (/^[-+]?Infinity$/.test(s) && R < 35)) return Long.ZERO;
    let neg = false;
    for (; s[0] == '-'; s = s.slice(1)) neg = !neg;
    if (!s || R < 2 || R > 36 || s.includes('-')) fail('invalid Long string or radix');
    let r = 0n;
    for (let i = 0; i < s.length; i += 8) {
      const chunk = s.slice(i, i + 8);
      r = r * BigInt(R) ** BigInt(chunk.length) + BigInt(parseInt(chunk, R) || 0);
    }
    return Long.fromBigInt(neg ? -r : r, !!unsigned);
  }
  static fromValue(v: LongLike, unsigned?: boolean): Long {
    // the constructor reads strings and bigints as fromString and fromBigInt do
    return typeof v == 'number' ? Long.fromNumber(v, unsigned) : typeof v == 'object' ? new Long(v.low, v.high, unsigned ?? v.unsigned) : new Long(v, unsigned);
  }
  static isLong(value: unknown): value is Long {
    return (value as Long | null)?.__isLong__ === true;
  }

  /** -1, 0 or 1, comparing the numeric values. */
  compare(other: LongLike): -1 | 0 | 1 {
    const a = big(this);
    const b = big(toLong(other));
    return a < b ? -1 : a > b ? 1 : 0;
  }
  negate(): Long {
    return Long.fromBigInt(-big(this), this.unsigned);
  }
  not(): Long {
    return new Long(~this.low, ~this.high, this.unsigned);
  }
  isZero(): boolean {
    return !(this.low | this.high);
  }
  isNegative(): boolean {
    return !this.unsigned && this.high < 0;
  }
  toSigned(): Long {
    return new Long(this.low, this.high);
  }
  toUnsigned(): Long {
    return new Long(this.low, this.high, true);
  }
  getLowBits(): number {
    return this.low;
  }
  getHighBits(): number {
    return this.high;
  }
  toInt(): number {
    return this.unsigned ? this.low >>> 0 : this.low;
  }
  toNumber(): number {
    return Number(big(this));
  }
  toBigInt(): bigint {
    return big(this);
  }
  override toString(radix = 10): string {
    return big(this).toString(radix);
  }
}

type Op = (other: LongLike) => Long;
type Test = (other: LongLike) => boolean;
type Shift = (bits: number | Long) => Long;
export interface Long {
  add: Op;
  subtract: Op;
  multiply: Op;
  /** Truncating; `other` is read with this Long's signedness. */
  divide: Op;
  modulo: Op;
  and: Op;
  or: Op;
  xor: Op;
  shiftLeft: Shift;
  /** Arithmetic shift of the 64 bits (also when unsigned, as js-bson). */
  shiftRight: Shift;
  shiftRightUnsigned: Shift;
  equals: Test;
  notEquals: Test;
  lessThan: Test;
  lessThanOrEqual: Test;
  greaterThan: Test;
  greaterThanOrEqual: Test;
}

const toLong = (x: LongLike): Long => (Long.isLong(x) ? x : Long.fromValue(x));
const proto = Long.prototype as unknown as Record<string, unknown>;
/** Binary operations on the 64-bit values; the result keeps this Long's signedness and wraps. */
const ops: Record<string, (a: bigint, b: bigint) => bigint> = {
  add: (a, b) => a + b,
  subtract: (a, b) => a - b,
  multiply: (a, b) => a * b,
  divide: (a, b) => (b ? a / b : fail('division by zero')),
  modulo: (a, b) => (b ? a % b : fail('division by zero')),
  and: (a, b) => a & b,
  or: (a, b) => a | b,
  xor: (a, b) => a ^ b,
  shiftLeft: (a, b) => a << (b & 63n),
  shiftRight: (a, b) => BigInt.asIntN(64, a) >> (b & 63n),
  shiftRightUnsigned: (a, b) => BigInt.asUintN(64, a) >> (b & 63n),
};
for (const k in ops)
  proto[k] = function (this: Long, other: LongLike) {
    return Long.fromBigInt(ops[k]!(big(this), big(toLong(other), this.unsigned)), this.unsigned);
  };
const tests: Record<string, (c: number) => boolean> = {
  equals: (c) => !c,
  notEquals: (c) => !!c,
  lessThan: (c) => c < 0,
  lessThanOrEqual: (c) => c <= 0,
  greaterThan: (c) => c > 0,
  greaterThanOrEqual: (c) => c >= 0,
};
for (const k in tests)
  proto[k] = function (this: Long, other: LongLike) {
    return tests[k]!(this.compare(other));
  };
Object.defineProperty(Long.prototype, '__isLong__', { value: true });

/** A BSON timestamp: `t` (seconds) in the high half, `i` (ordinal) in the low half. */
export class Timestamp extends Long {
  declare readonly _bsontype: 'Timestamp';
  static override MAX_VALUE = Long.MAX_UNSIGNED_VALUE;

  constructor(value?: { t: number; i: number } | Long | bigint | null) {
    const v = value as { t: number; i: number } | Long | bigint | null | undefined;
    const l =
      v == null
        ? Long.ZERO
        : typeof v == 'bigint'
          ? Long.fromBigInt(v)
          : Long.isLong(v)
            ? v
            : typeof v == 'object' && uint32(v.t) && uint32(v.i)
              ? new Long(+v.i, +v.t)
              : fail('Timestamp needs a bigint, a Long or { t, i } of uint32s');
    super(l.low, l.high, true);
  }
  get t(): number {
    return this.high >>> 0;
  }
  get i(): number {
    return this.low >>> 0;
  }
  toJSON(): { $timestamp: string } {
    return { $timestamp: this.toString() };
  }
}
tag([
  [Long, 'Long'],
  [Timestamp, 'Timestamp'],
]);
