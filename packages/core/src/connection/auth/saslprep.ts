/**
 * SASLprep (RFC 4013): the stringprep (RFC 3454) profile for user names and passwords.
 * Platform-neutral: the RFC 3454 tables live in ./saslprep-tables.ts; normalization uses
 * String.prototype.normalize('NFKC').
 *
 * Error messages name the rule that failed, never the input or the offending code point,
 * because the input is usually a password.
 */
import { MongoInvalidArgumentError } from '../../errors.js';
import {
  FINAL_DIGITS,
  L_CAT_D2,
  MAPPED_TO_NOTHING_B1,
  NON_ASCII_SPACE_C12,
  PROHIBITED_C,
  RAND_AL_CAT_D1,
  TABLE_DIGITS,
  UNASSIGNED_A1,
} from './saslprep-tables.js';

/** Sorted, non-overlapping inclusive ranges: [start0, end0, start1, end1, ...]. */
type RangeTable = Uint32Array;

function decodeTable(encoded: string): RangeTable {
  const numbers: number[] = [];
  let leading = 0;
  for (const ch of encoded) {
    const digit = TABLE_DIGITS.indexOf(ch);
    if (digit < FINAL_DIGITS) {
      numbers.push(leading * FINAL_DIGITS + digit);
      leading = 0;
    } else {
      leading = leading * (TABLE_DIGITS.length - FINAL_DIGITS) + digit - FINAL_DIGITS;
    }
  }
  // numbers: gap0, span0, gap1, span1, ...
  const out = new Uint32Array(numbers.length);
  let next = 0;
  for (let i = 0; i < numbers.length; i += 2) {
    out[i] = next + numbers[i]!;
    out[i + 1] = out[i]! + numbers[i + 1]!;
    next = out[i + 1]! + 1;
  }
  return out;
}

function inTable(table: RangeTable, cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cp < table[2 * mid]!) hi = mid - 1;
    else if (cp > table[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Membership in one encoded table, decoded on first use. */
function tableTest(encoded: string): (cp: number) => boolean {
  let table: RangeTable | undefined;
  return (cp) => inTable((table ??= decodeTable(encoded)), cp);
}

const isUnassigned = tableTest(UNASSIGNED_A1);
const isMappedToNothing = tableTest(MAPPED_TO_NOTHING_B1);
const isNonAsciiSpace = tableTest(NON_ASCII_SPACE_C12);
const isProhibited = tableTest(PROHIBITED_C);
const isRandALCat = tableTest(RAND_AL_CAT_D1);
const isLCat = tableTest(L_CAT_D2);

export interface SaslprepOptions {
  /**
   * RFC 3454 §7: "queries" may contain code points unassigned in Unicode 3.2, "stored
   * strings" may not. Default false (stored-string rules), as the official drivers use.
   */
  allowUnassigned?: boolean;
}

/** Test hooks: membership in the RFC 3454 tables. */
export const saslprepTables = /* @__PURE__ */ Object.freeze({
  isUnassigned,
  isMappedToNothing,
  isNonAsciiSpace,
  isProhibited,
  isRandALCat,
  isLCat,
});

function codePoints(s: string): number[] {
  // Array.from iterates by code point; lone surrogates come through as themselves (C.5).
  return Array.from(s, (ch) => ch.codePointAt(0)!);
}

/** Prepare `input` with SASLprep; throws MongoInvalidArgumentError if it is not allowed. */
export function saslprep(input: string, options: SaslprepOptions = {}): string {
  // 1. Map: non-ASCII space (C.1.2) -> U+0020; "commonly mapped to nothing" (B.1) -> removed.
  let mapped = '';
  for (const ch of input) {
    const cp = ch.codePointAt(0)!;
    if (isNonAsciiSpace(cp)) mapped += ' ';
    else if (!isMappedToNothing(cp)) mapped += ch;
  }

  // 2. Normalize: Unicode normalization form KC.
  const normalized = mapped.normalize('NFKC');
  const cps = codePoints(normalized);

  // 3. Prohibit: C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9.
  if (cps.some(isProhibited)) {
    throw new MongoInvalidArgumentError('SASLprep: string contains a prohibited character');
  }
  // Unassigned code points (A.1), for stored strings.
  if (!options.allowUnassigned && cps.some(isUnassigned)) {
    throw new MongoInvalidArgumentError('SASLprep: string contains a code point unassigned in Unicode 3.2');
  }

  // 4. Bidirectional characters (RFC 3454 §6).
  if (cps.some(isRandALCat)) {
    if (cps.some(isLCat)) {
      throw new MongoInvalidArgumentError('SASLprep: string mixes left-to-right and right-to-left characters');
    }
    if (!isRandALCat(cps[0]!) || !isRandALCat(cps[cps.length - 1]!)) {
      throw new MongoInvalidArgumentError('SASLprep: right-to-left string must start and end with a right-to-left character');
    }
  }
  return normalized;
}
