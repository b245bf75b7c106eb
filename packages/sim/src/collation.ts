/**
 * Collation (mongod's ICU collation, in small): parsing and validating a `collation`
 * document as mongod does, and the two things the query layer needs from it:
 *
 * - `key(s)`: a string whose equality is the collation's equality (strength 1: case and
 *   diacritics ignored; strength 2: case ignored; numericOrdering: digit runs compare as
 *   numbers). Filters are matched on documents and operands with every string replaced
 *   by its key, so `{x: 'PING'}` with `{locale: 'en', strength: 2}` finds `'ping'`.
 * - `compare(a, b)`: the order of two strings (Intl.Collator), for sorts.
 *
 * `locale: 'simple'` is the binary comparison (no collation at all).
 */
import { CommandError, ErrorCode } from './errors.js';
import { isPlainObject, type Doc } from './storage/values.js';

/** The fields mongod fills in when it echoes a collation (listIndexes, listCollections). */
export interface CollationSpec {
  locale: string;
  caseLevel: boolean;
  caseFirst: 'upper' | 'lower' | 'off';
  strength: number;
  numericOrdering: boolean;
  alternate: 'non-ignorable' | 'shifted';
  maxVariable: 'punct' | 'space';
  normalization: boolean;
  backwards: boolean;
  version: string;
}

const FIELDS = new Set(['locale', 'caseLevel', 'caseFirst', 'strength', 'numericOrdering', 'alternate', 'maxVariable', 'normalization', 'backwards', 'version']);

function fieldError(name: string, expected: string): CommandError {
  return new CommandError(ErrorCode.TypeMismatch, `BSON field 'collation.${name}' is the wrong type, expected type '${expected}'`);
}

function supportedLocale(locale: string): boolean {
  try {
    return Intl.Collator.supportedLocalesOf([locale.replace(/_/g, '-')]).length > 0;
  } catch {
    return false;
  }
}

export class Collation {
  readonly #collator: Intl.Collator;
  readonly #keyCache = new Map<string, string>();

  constructor(readonly spec: CollationSpec) {
    this.#collator = new Intl.Collator(spec.locale.replace(/_/g, '-'), {
      sensitivity: spec.strength === 1 ? (spec.caseLevel ? 'case' : 'base') : spec.strength === 2 ? (spec.caseLevel ? 'variant' : 'accent') : 'variant',
      numeric: spec.numericOrdering,
      caseFirst: spec.caseFirst === 'off' ? 'false' : spec.caseFirst,
      ignorePunctuation: spec.alternate === 'shifted',
      usage: 'sort',
    });
  }

  /** Parses a `collation` argument; undefined for none or `{locale: 'simple'}`. Throws mongod's errors. */
  static parse(raw: unknown): Collation | undefined {
    if (raw === undefined) return undefined;
    if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'collation' is the wrong type, expected type 'object'");
    for (const k of Object.keys(raw)) {
      if (!FIELDS.has(k)) throw new CommandError(40415, `BSON field 'collation.${k}' is an unknown field.`);
    }
    const locale = raw.locale;
    if (locale === undefined) throw new CommandError(40414, "BSON field 'collation.locale' is missing but a required field");
    if (typeof locale !== 'string') throw fieldError('locale', 'string');
    if (locale === 'simple') {
      if (Object.keys(raw).length > 1) throw new CommandError(ErrorCode.BadValue, 'Collation options cannot be specified with the simple locale');
      return undefined;
    }
    if (locale === '' || !supportedLocale(locale)) throw new CommandError(ErrorCode.BadValue, `Field 'locale' is invalid in: ${JSON.stringify(raw)}`);
    const bool = (name: string, dflt: boolean): boolean => {
      const v = raw[name];
      if (v === undefined) return dflt;
      if (typeof v !== 'boolean') throw fieldError(name, 'bool');
      return v;
    };
    const strengthRaw = raw.strength ?? 3;
    if (typeof strengthRaw !== 'number') throw fieldError('strength', 'int');
    if (!Number.isInteger(strengthRaw) || strengthRaw < 1 || strengthRaw > 5) {
      throw new CommandError(ErrorCode.BadValue, `Enumeration value '${strengthRaw}' for field 'strength' is not a valid value.`);
    }
    const caseFirst = raw.caseFirst ?? 'off';
    if (caseFirst !== 'upper' && caseFirst !== 'lower' && caseFirst !== 'off') {
      throw new CommandError(ErrorCode.BadValue, `Enumeration value '${String(caseFirst)}' for field 'caseFirst' is not a valid value.`);
    }
    const alternate = raw.alternate ?? 'non-ignorable';
    if (alternate !== 'non-ignorable' && alternate !== 'shifted') {
      throw new CommandError(ErrorCode.BadValue, `Enumeration value '${String(alternate)}' for field 'alternate' is not a valid value.`);
    }
    const maxVariable = raw.maxVariable ?? 'punct';
    if (maxVariable !== 'punct' && maxVariable !== 'space') {
      throw new CommandError(ErrorCode.BadValue, `Enumeration value '${String(maxVariable)}' for field 'maxVariable' is not a valid value.`);
    }
    return new Collation({
      locale,
      caseLevel: bool('caseLevel', false),
      caseFirst,
      strength: strengthRaw,
      numericOrdering: bool('numericOrdering', false),
      alternate,
      maxVariable,
      normalization: bool('normalization', false),
      backwards: bool('backwards', false),
      version: '57.1',
    });
  }

  /** The spec as mongod echoes it (every field). */
  toDoc(): Doc {
    return { ...this.spec };
  }

  /** Whether string equality differs from binary equality (otherwise filters match as without a collation). */
  get affectsEquality(): boolean {
    return this.spec.strength < 3 || this.spec.numericOrdering || this.spec.alternate === 'shifted';
  }

  compare(a: string, b: string): number {
    return this.#collator.compare(a, b);
  }

  /** A comparison key: equal keys <=> equal under this collation. */
  key(s: string): string {
    let k = this.#keyCache.get(s);
    if (k !== undefined) return k;
    k = s;
    if (this.spec.alternate === 'shifted') k = k.replace(/[\p{P}\p{Zs}]/gu, '');
    if (this.spec.strength <= 2 && !this.spec.caseLevel) k = k.toLowerCase();
    if (this.spec.strength === 1) k = k.normalize('NFD').replace(/\p{M}/gu, '');
    else k = k.normalize('NFC');
    if (this.spec.numericOrdering) k = k.replace(/\d+/g, (d) => {
      const t = d.replace(/^0+(?=\d)/, '');
      return `${String(t.length).padStart(6, '0')}${t}`;
    });
    if (this.#keyCache.size > 10000) this.#keyCache.clear();
    this.#keyCache.set(s, k);
    return k;
  }

  /** A view value with every string replaced by its key (field names untouched). */
  keyValue(v: unknown): unknown {
    if (typeof v === 'string') return this.key(v);
    if (Array.isArray(v)) return v.map((x) => this.keyValue(x));
    if (isPlainObject(v)) {
      const out: Doc = {};
      for (const k of Object.keys(v)) out[k] = this.keyValue(v[k]);
      return out;
    }
    return v;
  }

  /**
   * A filter with its string operands replaced by keys. Field paths (`'$x'` in
   * expressions) and the operands of $regex, $type, $options, $jsonSchema, $text,
   * $where are left alone: collation does not apply to them.
   */
  keyFilter(v: unknown, skip = false): unknown {
    if (typeof v === 'string') return skip || v.startsWith('$') ? v : this.key(v);
    if (Array.isArray(v)) return v.map((x) => this.keyFilter(x, skip));
    if (isPlainObject(v)) {
      const out: Doc = {};
      for (const k of Object.keys(v)) out[k] = this.keyFilter(v[k], skip || UNCOLLATED.has(k));
      return out;
    }
    return v;
  }
}

const UNCOLLATED = new Set(['$regex', '$options', '$type', '$jsonSchema', '$text', '$where', '$exists', '$mod', '$size', '$bitsAllSet', '$bitsAnySet', '$bitsAllClear', '$bitsAnyClear']);

/** The collation of an operation: its own, else the collection's default. */
export function effectiveCollation(raw: unknown, collectionDefault: unknown): Collation | undefined {
  if (raw !== undefined) return Collation.parse(raw);
  return collectionDefault !== undefined ? Collation.parse(collectionDefault) : undefined;
}
