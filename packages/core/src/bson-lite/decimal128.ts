/**
 * Decimal128 (IEEE 754-2008 BID): string conversion per the BSON spec's decimal128
 * rules, on BigInt. fromString is exact (an inexact value is a BSONError), as
 * js-bson's; js-bson's fromStringWithRounding is not provided.
 */
import { BSONValue, bytesOf, fail, tag } from './values.js';

const EXP_MAX = 6111;
const EXP_MIN = -6176;
const BIAS = 6176;

export class Decimal128 extends BSONValue {
  declare readonly _bsontype: 'Decimal128';
  /** The 16 bytes, little-endian. */
  bytes: Uint8Array;

  constructor(bytes: Uint8Array | string) {
    super();
    this.bytes =
      typeof bytes == 'string'
        ? Decimal128.fromString(bytes).bytes
        : ArrayBuffer.isView(bytes) && bytes.byteLength == 16
          ? bytesOf(bytes)
          : fail('Decimal128 needs 16 bytes or a string');
  }

  /** Exact: a string that would need rounding is a BSONError. */
  static fromString(s: string): Decimal128 {
    return parse(s);
  }

  override toString(): string {
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset, 16);
    const n = (v.getBigUint64(8, true) << 64n) | v.getBigUint64(0, true);
    const sign = n >> 127n ? '-' : '';
    let exp: number;
    let coef = 0n;
    if ((n >> 125n) % 4n == 3n) {
      // 11-form: NaN, Infinity, or a coefficient >= 2^113 (non-canonical: zero)
      const c = Number(n >> 122n) & 31;
      if (c == 31) return 'NaN';
      if (c == 30) return sign + 'Infinity';
      exp = Number(n >> 111n) & 0x3fff;
    } else {
      exp = Number(n >> 113n) & 0x3fff;
      coef = BigInt.asUintN(113, n);
      if (coef >= 10n ** 34n) coef = 0n;
    }
    exp -= BIAS;
    const d = coef + '';
    const sci = d.length - 1 + exp;
    // scientific: a point after the first digit (\B: between two digits)
    if (exp > 0 || sci < -6) return `${sign}${d.replace(/\B/, '.')}E${sci > 0 ? '+' : ''}${sci}`;
    // plain: -exp digits after the point, at least one before it
    const digits = d.padStart(1 - exp, '0');
    return sign + (exp ? digits.slice(0, exp) + '.' + digits.slice(exp) : digits);
  }
  toJSON(): { $numberDecimal: string } {
    return { $numberDecimal: this.toString() };
  }
}
tag([[Decimal128, 'Decimal128']]);

function parse(s: string): Decimal128 {
  const bad = (why = '') => fail(`invalid Decimal128 string ${JSON.stringify(s)}${why}`);
  const m = /^([-+])?(?:(inf(?:inity)?|nan)|(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?)$/i.exec(s);
  if (!m || s.length >= 7000) return bad();
  const [, sign, special, int, frac = '', e = 0] = m;
  const neg = BigInt(sign == '-');
  /** The 128 bits: sign, then the 14-bit biased exponent and the 113-bit coefficient (or a special). */
  let n: bigint;
  if (special) n = special[0]!.toLowerCase() == 'n' ? 0x7cn << 120n : ((neg << 7n) | 0x78n) << 120n;
  else {
    let coef = BigInt(int! + frac || bad());
    let exp = +e - frac.length;
    // zero: the exponent clamps silently
    if (!coef) exp = Math.min(Math.max(exp, EXP_MIN), EXP_MAX);
    // drop trailing digits beyond 34, or below the smallest exponent: only zeros may go
    for (; exp < EXP_MIN || coef >= 10n ** 34n; exp++, coef /= 10n) if (coef % 10n) bad(': inexact');
    // pad with zeros to bring a large exponent into range
    for (; exp > EXP_MAX && coef < 10n ** 33n; exp--) coef *= 10n;
    if (exp > EXP_MAX) bad(': overflow');
    n = (neg << 127n) | (BigInt(exp + BIAS) << 113n) | coef;
  }
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt.asUintN(64, n), true);
  v.setBigUint64(8, n >> 64n, true);
  return new Decimal128(b);
}
