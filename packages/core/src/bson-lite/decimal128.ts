/**
 * Decimal128 (IEEE 754-2008 BID): string conversion per the BSON spec's decimal128
 * rules, on BigInt. fromString is exact (an inexact value is a BSONError), as
 * js-bson's; js-bson's fromStringWithRounding is not provided.
 */
import { BSONValue, bytesOf, fail, tag } from './values.js';

const EXP_MAX = 6111;
const EXP_MIN = -6176;
const BIAS = 6176;
const MASK64 = (1n << 64n) - 1n;

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
    const hi = v.getBigUint64(8, true);
    const sign = hi >> 63n ? '-' : '';
    let exp: number;
    let coef = 0n;
    if ((hi >> 61n) % 4n == 3n) {
      // 11-form: NaN, Infinity, or a coefficient >= 2^113 (non-canonical: zero)
      const c = Number(hi >> 58n) & 31;
      if (c == 31) return 'NaN';
      if (c == 30) return sign + 'Infinity';
      exp = Number(hi >> 47n) & 0x3fff;
    } else {
      exp = Number(hi >> 49n) & 0x3fff;
      coef = ((hi & 0x1ffffffffffffn) << 64n) | v.getBigUint64(0, true);
      if (coef >= 10n ** 34n) coef = 0n;
    }
    exp -= BIAS;
    const d = coef + '';
    const sci = d.length - 1 + exp;
    if (exp > 0 || sci < -6) return `${sign}${d[0]}${d.length > 1 ? '.' + d.slice(1) : ''}E${sci > 0 ? '+' : ''}${sci}`;
    const point = d.length + exp;
    return sign + (exp == 0 ? d : point > 0 ? d.slice(0, point) + '.' + d.slice(point) : '0.' + '0'.repeat(-point) + d);
  }
  toJSON(): { $numberDecimal: string } {
    return { $numberDecimal: this.toString() };
  }
}
tag([[Decimal128, 'Decimal128']]);

const special = (high: number): Decimal128 => {
  const b = new Uint8Array(16);
  b[15] = high;
  return new Decimal128(b);
};

function parse(s: string): Decimal128 {
  const bad = (why = '') => fail(`invalid Decimal128 string ${JSON.stringify(s)}${why}`);
  const m = /^([-+])?(?:(inf(?:inity)?|nan)|(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?)$/i.exec(s);
  if (!m || s.length >= 7000) return bad();
  const neg = m[1] == '-';
  if (m[2]) return special(m[2][0]!.toLowerCase() == 'n' ? 0x7c : neg ? 0xf8 : 0x78);
  const frac = m[4] ?? '';
  let digits = (m[3]! + frac).replace(/^0+/, '');
  if (!(m[3]! + frac)) bad();
  let exp = +(m[5] ?? 0) - frac.length;
  if (!digits) {
    // zero: the exponent clamps silently
    digits = '0';
    exp = Math.min(Math.max(exp, EXP_MIN), EXP_MAX);
  } else {
    // pad with zeros to bring a large exponent into range
    while (exp > EXP_MAX && digits.length < 34) (digits += '0'), exp--;
    // drop the trailing digits beyond 34, or below the smallest exponent
    const len = digits.length;
    const drop = Math.max(len - 34, EXP_MIN - exp, 0);
    const gone = drop > len ? '0' + digits : digits.slice(len - drop);
    digits = digits.slice(0, Math.max(len - drop, 0));
    exp = Math.max(exp + Math.max(len - 34, 0), EXP_MIN);
    if (exp > EXP_MAX) bad(': overflow');
    if (/[1-9]/.test(gone)) bad(': inexact');
  }
  const coef = BigInt(digits || 0);
  const hi = (BigInt(neg) << 63n) | (BigInt(exp + BIAS) << 49n) | (coef >> 64n);
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, coef & MASK64, true);
  v.setBigUint64(8, hi, true);
  return new Decimal128(b);
}
