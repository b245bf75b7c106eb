/**
 * The URI Options table (URI Options spec, "List of specified options"), one entry
 * per canonical option name. Each entry says how a connection-string value (always
 * a string) is converted, and carries the check that validates the converted
 * value; the same check validates values passed in code to `MongoClient`.
 *
 * Pure: no I/O, no platform APIs. (The checks are hand-written: a schema library
 * cost ~21 KB of the browser bundle for these few rules.)
 */
import { keyMirror } from '../util/key-mirror.js';

/**
 * How a connection-string value is converted before its check runs: bool, int,
 * string; stringList (comma-separated, e.g. compressors=zlib,snappy); dict (key:value
 * pairs separated by commas, e.g. authMechanismProperties); dictList (a repeatable
 * key, each instance one dict, e.g. readPreferenceTags); intOrString (w).
 */
export const OptionKind = keyMirror('bool', 'int', 'string', 'stringList', 'dict', 'dictList', 'intOrString');
export type OptionKind = (typeof OptionKind)[keyof typeof OptionKind];

/** Says what is wrong with a value ("expected ..."), or returns undefined when it is valid. */
export type OptionCheck = (value: unknown) => string | undefined;

export interface UriOptionSpec {
  readonly kind: OptionKind;
  /** Validates the converted value (URI) and the value given in code (user options). */
  readonly check: OptionCheck;
}

// ---------------------------------------------------------------- checks

const INT32_MAX = 2 ** 31 - 1;

/** The first reason `check` gives for any of `values` (reasons are never empty). */
const firstReason = (values: readonly unknown[], check: OptionCheck): string | undefined => values.map(check).find((r) => r);

/** An integer in [min, max]; 64-bit options use Number.MAX_SAFE_INTEGER (JS numbers are exact up to 2^53). */
const intIn =
  (min: number, max = INT32_MAX): OptionCheck =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `expected an integer from ${min} to ${max}`;

/** A string of at least `min` and at most `max` characters. */
const strLen =
  (min: number, max = Infinity): OptionCheck =>
  (v) =>
    typeof v === 'string' && v.length >= min && v.length <= max
      ? undefined
      : `expected a string${min > 0 ? ' that is not empty' : ''}${max < Infinity ? ` of at most ${max} characters` : ''}`;

/** One of `values` (exact, case-sensitive). */
const oneOf =
  (...values: string[]): OptionCheck =>
  (v) =>
    values.includes(v as string) ? undefined : `expected one of ${values.join(', ')}`;

/** An array whose every element passes `item` (holes count as undefined). */
const listOf =
  (item: OptionCheck): OptionCheck =>
  (v) =>
    Array.isArray(v) ? firstReason([...v], item) : 'expected a list';

/** A plain object: a literal, Object.create(null), or one from another realm. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const ctor: unknown = (v as { constructor?: unknown }).constructor;
  return typeof ctor !== 'function' || Object.hasOwn(Object(ctor.prototype), 'isPrototypeOf');
}

/** Own enumerable string-keyed entries; an own "__proto__" key is ignored. */
const ownEntries = (v: Record<string, unknown>): [string, unknown][] => Object.entries(v).filter(([k]) => k !== '__proto__');

/** A plain object with string keys only (no enumerable symbol keys), each value passing `value` when given. */
const record =
  (value?: OptionCheck): OptionCheck =>
  (v) =>
    !isPlainObject(v) || Object.getOwnPropertySymbols({ ...v }).length > 0
      ? 'expected an object with string keys'
      : value && firstReason(ownEntries(v).map(([, x]) => x), value);

/**
 * The value an accepted option keeps: lists and objects given in code are copied
 * (one level for objects, elements for lists) so later changes by the caller do
 * not reach the client.
 */
export function copyOptionValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyOptionValue);
  return isPlainObject(v) ? Object.fromEntries(ownEntries(v)) : v;
}

const nonNegInt = intIn(0);
const nonEmpty = strLen(1);

/** RFC 6335 service name, allowing more than 15 characters (seedlist spec). */
const srvServiceName: OptionCheck = (v) =>
  typeof v === 'string' && /^(?!.*--)(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,60}[A-Za-z0-9])?$/.test(v)
    ? undefined
    : 'invalid SRV service name: expected 1 to 62 letters, digits and single inner hyphens, with a letter';

/** w: a non-negative integer or a non-empty string (e.g. "majority" or a tag set name). */
const writeConcernW: OptionCheck = (v) =>
  typeof v === 'string' ? nonEmpty(v) : nonNegInt(v) && 'expected a non-negative integer or a non-empty string';

// ---------------------------------------------------------------- the table

const spec = (kind: OptionKind, check: OptionCheck): UriOptionSpec => Object.freeze({ kind, check });
const BOOL = spec(OptionKind.bool, (v) => (typeof v === 'boolean' ? undefined : 'expected true or false'));
const STRING = spec(OptionKind.string, strLen(0));
const NON_EMPTY_STRING = spec(OptionKind.string, nonEmpty);
const int = (min: number, max?: number): UriOptionSpec => spec(OptionKind.int, intIn(min, max));
/** A non-negative int32: counts, sizes and most durations in ms. */
const NON_NEG_INT = spec(OptionKind.int, nonNegInt);
/** 64-bit per spec; JS numbers are exact up to 2^53. */
const NON_NEG_INT64 = int(0, Number.MAX_SAFE_INTEGER);

/** Canonical name -> spec. */
export const URI_OPTIONS = Object.freeze({
  appName: spec(OptionKind.string, strLen(0, 128)),
  authMechanism: STRING,
  // Values given in code may be callbacks (OIDC) or arrays (ALLOWED_HOSTS).
  authMechanismProperties: spec(OptionKind.dict, record()),
  authSource: NON_EMPTY_STRING,
  compressors: spec(OptionKind.stringList, listOf(oneOf('snappy', 'zlib', 'zstd', 'none'))),
  connectTimeoutMS: NON_NEG_INT,
  directConnection: BOOL,
  enableOverloadRetargeting: BOOL,
  forceServerObjectId: BOOL,
  heartbeatFrequencyMS: int(500),
  journal: BOOL,
  loadBalanced: BOOL,
  localThresholdMS: NON_NEG_INT,
  maxAdaptiveRetries: NON_NEG_INT,
  maxConnecting: int(1),
  maxIdleTimeMS: NON_NEG_INT,
  maxPoolSize: NON_NEG_INT,
  // -1 means "no maximum"; the >= 90 / heartbeat rule is checked at server selection.
  maxStalenessSeconds: int(-1),
  minPoolSize: NON_NEG_INT,
  proxyHost: NON_EMPTY_STRING,
  proxyPassword: STRING,
  proxyPort: int(0, 65535),
  proxyUsername: STRING,
  readConcernLevel: STRING,
  readPreference: spec(OptionKind.string, oneOf('primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest')),
  readPreferenceTags: spec(OptionKind.dictList, listOf(record(strLen(0)))),
  replicaSet: NON_EMPTY_STRING,
  retryReads: BOOL,
  retryWrites: BOOL,
  serverMonitoringMode: spec(OptionKind.string, oneOf('auto', 'stream', 'poll')),
  serverSelectionTimeoutMS: NON_NEG_INT,
  serverSelectionTryOnce: BOOL,
  socketTimeoutMS: NON_NEG_INT,
  srvMaxHosts: NON_NEG_INT,
  srvServiceName: spec(OptionKind.string, srvServiceName),
  timeoutMS: NON_NEG_INT64,
  tls: BOOL,
  tlsAllowInvalidCertificates: BOOL,
  tlsAllowInvalidHostnames: BOOL,
  tlsCAFile: NON_EMPTY_STRING,
  tlsCertificateKeyFile: NON_EMPTY_STRING,
  tlsCertificateKeyFilePassword: STRING,
  tlsDisableCertificateRevocationCheck: BOOL,
  tlsDisableOCSPEndpointCheck: BOOL,
  tlsInsecure: BOOL,
  w: spec(OptionKind.intOrString, writeConcernW),
  waitQueueTimeoutMS: NON_NEG_INT,
  wTimeoutMS: NON_NEG_INT64,
  zlibCompressionLevel: int(-1, 9),
});

/** The canonical option names (the keys of `ConnectionString.options`). */
export type UriOptionName = keyof typeof URI_OPTIONS;

/**
 * Renamed keys, lower-cased (Connection String spec, "Deprecated Key Value Pairs"):
 * one is applied only when the new key is absent, with a warning either way.
 */
export const DEPRECATED_KEYS: ReadonlyMap<string, UriOptionName> = new Map([
  ['j', 'journal'],
  ['wtimeout', 'wTimeoutMS'],
]);

/** Every accepted spelling, lower-cased -> canonical name. `ssl` is a plain alias of `tls` (all instances must agree). */
const BY_LOWER: ReadonlyMap<string, UriOptionName> = new Map([
  ...(Object.keys(URI_OPTIONS) as UriOptionName[]).map((name) => [name.toLowerCase(), name] as const),
  ['ssl', 'tls'],
  ...DEPRECATED_KEYS,
]);

/** Lower-cases ASCII A-Z only (Connection String spec, "Keys"). */
export function normalizeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Canonical name for a key in any case (aliases and deprecated keys included), or undefined if unknown. */
export function canonicalOptionName(key: string): UriOptionName | undefined {
  return BY_LOWER.get(normalizeKey(key));
}

// ---------------------------------------------------------------- value conversion

/** Result of converting one connection-string value. */
export type ConvertResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

const INTEGER = /^[+-]?\d+$/;
const KEY_VALUE_PAIRS = 'expected comma-separated key:value pairs';
const toInt = (raw: string): number | undefined => (INTEGER.test(raw) && Number.isSafeInteger(+raw) ? +raw : undefined);

/** Splits "k1:v1,k2:v2" (already percent-decoded); the value is everything after the first colon. */
export function parseKeyValuePairs(raw: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (raw === '') return out;
  for (const part of raw.split(',')) {
    const i = part.indexOf(':');
    if (i <= 0) return undefined;
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/**
 * Per kind: the conversion of a connection-string value (undefined when it does
 * not convert) and what was expected. Booleans are only "true" and "false": the
 * legacy spellings ("1", "yes", "t", ...) the Connection String spec mentions are
 * deprecated and the URI Options tests treat them as invalid (loadBalanced=1 warns
 * and is ignored).
 */
const CONVERSIONS: { readonly [K in OptionKind]: readonly [(raw: string) => unknown, string] } = {
  bool: [(raw) => raw === 'true' || (raw === 'false' ? false : undefined), 'expected "true" or "false"'],
  int: [toInt, 'expected an integer'],
  string: [(raw) => raw, ''],
  stringList: [(raw) => (raw === '' ? [] : raw.split(',')), ''],
  dict: [parseKeyValuePairs, KEY_VALUE_PAIRS],
  dictList: [
    (raw) => {
      const d = parseKeyValuePairs(raw);
      return d && [d];
    },
    KEY_VALUE_PAIRS,
  ],
  intOrString: [(raw) => (INTEGER.test(raw) ? toInt(raw) : raw || undefined), 'integer out of range'],
};

/** Converts a decoded connection-string value for `spec` and validates it with the spec's check. */
export function convertUriValue(spec: UriOptionSpec, raw: string): ConvertResult {
  const [convert, expected] = CONVERSIONS[spec.kind];
  const value = convert(raw);
  const reason = value === undefined ? (raw === '' ? 'empty value' : expected) : spec.check(value);
  return reason === undefined ? { ok: true, value } : { ok: false, reason };
}
