/**
 * The URI Options table (URI Options spec, "List of specified options"), one entry
 * per canonical option name. Each entry says how a connection-string value (always
 * a string) is converted, and carries the check that validates the converted
 * value; the same check validates values passed in code to `MongoClient`.
 *
 * Pure: no I/O, no platform APIs. (The checks are hand-written: a schema library
 * cost ~21 KB of the browser bundle for these few rules.)
 */

/** How a connection-string value is converted before its check runs. */
export const OptionKind = Object.freeze({
  bool: 'bool',
  int: 'int',
  string: 'string',
  /** Comma-separated list of strings, e.g. compressors=zlib,snappy. */
  stringList: 'stringList',
  /** key:value pairs separated by commas, e.g. authMechanismProperties. */
  dict: 'dict',
  /** Repeatable key; each instance is one dict, e.g. readPreferenceTags. */
  dictList: 'dictList',
  /** Non-negative integer or any other string (w). */
  intOrString: 'intOrString',
} as const);
export type OptionKind = (typeof OptionKind)[keyof typeof OptionKind];

/** Says what is wrong with a value ("expected ..."), or returns undefined when it is valid. */
export type OptionCheck = (value: unknown) => string | undefined;

export interface UriOptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  /** Validates the converted value (URI) and the value given in code (user options). */
  readonly check: OptionCheck;
}

const INT32_MAX = 2 ** 31 - 1;
/** The first reason `check` gives for any of `values`. */
const firstReason = (values: readonly unknown[], check: OptionCheck): string | undefined => {
  for (const v of values) {
    const r = check(v);
    if (r !== undefined) return r;
  }
  return undefined;
};

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

/**
 * A plain object (literal, Object.create(null) or another realm's) with string
 * keys only; each value passes `value` when given. An own "__proto__" key is ignored.
 */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const ctor: unknown = (v as { constructor?: unknown }).constructor;
  return typeof ctor !== 'function' || Object.prototype.hasOwnProperty.call(Object(ctor.prototype), 'isPrototypeOf');
}
const ownEntries = (v: Record<string, unknown>): [string, unknown][] => Object.entries(v).filter(([k]) => k !== '__proto__');
const record =
  (value?: OptionCheck): OptionCheck =>
  (v) =>
    !isPlainObject(v) || Object.getOwnPropertySymbols(v).some((s) => Object.prototype.propertyIsEnumerable.call(v, s))
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
const positiveInt = intIn(1);
const nonNegInt64 = intIn(0, Number.MAX_SAFE_INTEGER);
const bool: OptionCheck = (v) => (typeof v === 'boolean' ? undefined : 'expected true or false');
const str = strLen(0);
const nonEmptyStr = strLen(1);
const strDict = record(str);

/** RFC 6335 service name, allowing more than 15 characters (seedlist spec): 1-62 of [A-Za-z0-9-], a letter, no "--", no hyphen at either end. */
const srvServiceName: OptionCheck = (v) =>
  typeof v === 'string' && /^(?!.*--)(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,60}[A-Za-z0-9])?$/.test(v)
    ? undefined
    : 'invalid SRV service name: expected 1 to 62 letters, digits and hyphens with at least one letter, no "--" and no hyphen at either end';

/** w: a non-negative integer or a non-empty string (e.g. "majority" or a tag set name). */
const writeConcernW: OptionCheck = (v) =>
  typeof v === 'string' ? nonEmptyStr(v) : nonNegInt(v) && 'expected a non-negative integer or a non-empty string';

const entries: readonly UriOptionSpec[] = [
  { name: 'appName', kind: OptionKind.string, check: strLen(0, 128) },
  { name: 'authMechanism', kind: OptionKind.string, check: str },
  {
    name: 'authMechanismProperties',
    kind: OptionKind.dict,
    // Values given in code may be callbacks (OIDC) or arrays (ALLOWED_HOSTS).
    check: record(),
  },
  { name: 'authSource', kind: OptionKind.string, check: nonEmptyStr },
  { name: 'compressors', kind: OptionKind.stringList, check: listOf(oneOf('snappy', 'zlib', 'zstd', 'none')) },
  { name: 'connectTimeoutMS', kind: OptionKind.int, check: nonNegInt },
  { name: 'directConnection', kind: OptionKind.bool, check: bool },
  { name: 'enableOverloadRetargeting', kind: OptionKind.bool, check: bool },
  { name: 'heartbeatFrequencyMS', kind: OptionKind.int, check: intIn(500) },
  { name: 'journal', kind: OptionKind.bool, check: bool },
  { name: 'loadBalanced', kind: OptionKind.bool, check: bool },
  { name: 'localThresholdMS', kind: OptionKind.int, check: nonNegInt },
  { name: 'maxAdaptiveRetries', kind: OptionKind.int, check: nonNegInt },
  { name: 'maxConnecting', kind: OptionKind.int, check: positiveInt },
  { name: 'maxIdleTimeMS', kind: OptionKind.int, check: nonNegInt },
  { name: 'maxPoolSize', kind: OptionKind.int, check: nonNegInt },
  // -1 means "no maximum"; the >= 90 / heartbeat rule is checked at server selection.
  { name: 'maxStalenessSeconds', kind: OptionKind.int, check: intIn(-1) },
  { name: 'minPoolSize', kind: OptionKind.int, check: nonNegInt },
  { name: 'proxyHost', kind: OptionKind.string, check: nonEmptyStr },
  { name: 'proxyPassword', kind: OptionKind.string, check: str },
  { name: 'proxyPort', kind: OptionKind.int, check: intIn(0, 65535) },
  { name: 'proxyUsername', kind: OptionKind.string, check: str },
  { name: 'readConcernLevel', kind: OptionKind.string, check: str },
  {
    name: 'readPreference',
    kind: OptionKind.string,
    check: oneOf('primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'),
  },
  { name: 'readPreferenceTags', kind: OptionKind.dictList, check: listOf(strDict) },
  { name: 'replicaSet', kind: OptionKind.string, check: nonEmptyStr },
  { name: 'retryReads', kind: OptionKind.bool, check: bool },
  { name: 'retryWrites', kind: OptionKind.bool, check: bool },
  { name: 'serverMonitoringMode', kind: OptionKind.string, check: oneOf('auto', 'stream', 'poll') },
  { name: 'serverSelectionTimeoutMS', kind: OptionKind.int, check: nonNegInt },
  { name: 'serverSelectionTryOnce', kind: OptionKind.bool, check: bool },
  { name: 'socketTimeoutMS', kind: OptionKind.int, check: nonNegInt },
  { name: 'srvMaxHosts', kind: OptionKind.int, check: nonNegInt },
  { name: 'srvServiceName', kind: OptionKind.string, check: srvServiceName },
  { name: 'timeoutMS', kind: OptionKind.int, check: nonNegInt64 },
  { name: 'tls', kind: OptionKind.bool, check: bool },
  { name: 'tlsAllowInvalidCertificates', kind: OptionKind.bool, check: bool },
  { name: 'tlsAllowInvalidHostnames', kind: OptionKind.bool, check: bool },
  { name: 'tlsCAFile', kind: OptionKind.string, check: nonEmptyStr },
  { name: 'tlsCertificateKeyFile', kind: OptionKind.string, check: nonEmptyStr },
  { name: 'tlsCertificateKeyFilePassword', kind: OptionKind.string, check: str },
  { name: 'tlsDisableCertificateRevocationCheck', kind: OptionKind.bool, check: bool },
  { name: 'tlsDisableOCSPEndpointCheck', kind: OptionKind.bool, check: bool },
  { name: 'tlsInsecure', kind: OptionKind.bool, check: bool },
  { name: 'w', kind: OptionKind.intOrString, check: writeConcernW },
  { name: 'waitQueueTimeoutMS', kind: OptionKind.int, check: nonNegInt },
  { name: 'wTimeoutMS', kind: OptionKind.int, check: nonNegInt64 },
  { name: 'zlibCompressionLevel', kind: OptionKind.int, check: intIn(-1, 9) },
];

/** Canonical name -> spec. */
export const URI_OPTIONS: Readonly<Record<string, UriOptionSpec>> = Object.freeze(
  Object.fromEntries(entries.map((e) => [e.name, Object.freeze(e)])),
);

/** The canonical option names (the keys of `ConnectionString.options`). */
export type UriOptionName = (typeof entries)[number]['name'];

/**
 * Other spellings accepted in a connection string, lower-cased, and what they mean.
 * `deprecated: true` means the key was renamed: it is applied only when the new key
 * is absent, with a warning either way (Connection String spec, "Deprecated Key
 * Value Pairs"). `ssl` is a plain alias of `tls` (all instances must agree).
 */
export const URI_OPTION_ALIASES: Readonly<Record<string, { readonly name: UriOptionName; readonly deprecated: boolean }>> =
  Object.freeze({
    ssl: { name: 'tls', deprecated: false },
    j: { name: 'journal', deprecated: true },
    wtimeout: { name: 'wTimeoutMS', deprecated: true },
  });

/** Keys of the SOCKS5 proxy options, which must not be repeated (SOCKS5 spec). */
export const PROXY_OPTIONS: readonly UriOptionName[] = ['proxyHost', 'proxyPort', 'proxyUsername', 'proxyPassword'];

/** Pairs that must not both appear (URI Options spec, "Conflicting TLS options"). */
export const CONFLICTING_TLS_OPTIONS: readonly (readonly [UriOptionName, UriOptionName])[] = [
  ['tlsInsecure', 'tlsAllowInvalidCertificates'],
  ['tlsInsecure', 'tlsAllowInvalidHostnames'],
  ['tlsInsecure', 'tlsDisableOCSPEndpointCheck'],
  ['tlsInsecure', 'tlsDisableCertificateRevocationCheck'],
  ['tlsAllowInvalidCertificates', 'tlsDisableOCSPEndpointCheck'],
  ['tlsAllowInvalidCertificates', 'tlsDisableCertificateRevocationCheck'],
  ['tlsDisableOCSPEndpointCheck', 'tlsDisableCertificateRevocationCheck'],
];

const BY_LOWER: ReadonlyMap<string, string> = new Map(entries.map((e) => [e.name.toLowerCase(), e.name]));

/** Lower-cases ASCII A-Z only (Connection String spec, "Keys"). */
export function normalizeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Canonical name for a key in any case, or undefined if it is not in the table. */
export function canonicalOptionName(key: string): UriOptionName | undefined {
  return BY_LOWER.get(normalizeKey(key));
}

// ---------------------------------------------------------------- value conversion

/** Result of converting one connection-string value. */
export type ConvertResult =
  | { readonly ok: true; readonly value: unknown; readonly warning?: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Only "true" and "false". The legacy spellings ("1", "yes", "t", ...) the
 * Connection String spec mentions are deprecated and the URI Options tests treat
 * them as invalid values (loadBalanced=1 warns and is ignored), so they are too.
 */
function parseBool(raw: string): ConvertResult {
  if (raw === 'true') return { ok: true, value: true };
  if (raw === 'false') return { ok: true, value: false };
  return { ok: false, reason: 'expected "true" or "false"' };
}

function parseInt10(raw: string): number | undefined {
  if (!/^[+-]?\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

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

/** Converts a decoded connection-string value for `spec` and validates it with the spec's check. */
export function convertUriValue(spec: UriOptionSpec, raw: string): ConvertResult {
  let value: unknown;
  switch (spec.kind) {
    case OptionKind.bool: {
      if (raw === '') return { ok: false, reason: 'empty value' };
      const r = parseBool(raw);
      if (!r.ok) return r;
      value = r.value;
      break;
    }
    case OptionKind.int: {
      if (raw === '') return { ok: false, reason: 'empty value' };
      value = parseInt10(raw);
      if (value === undefined) return { ok: false, reason: 'expected an integer' };
      break;
    }
    case OptionKind.string:
      value = raw;
      break;
    case OptionKind.stringList:
      value = raw === '' ? [] : raw.split(',');
      break;
    case OptionKind.dict: {
      value = parseKeyValuePairs(raw);
      if (value === undefined) return { ok: false, reason: 'expected comma-separated key:value pairs' };
      break;
    }
    case OptionKind.dictList: {
      const d = parseKeyValuePairs(raw);
      if (d === undefined) return { ok: false, reason: 'expected comma-separated key:value pairs' };
      value = [d];
      break;
    }
    case OptionKind.intOrString: {
      if (raw === '') return { ok: false, reason: 'empty value' };
      value = /^[+-]?\d+$/.test(raw) ? parseInt10(raw) : raw;
      if (value === undefined) return { ok: false, reason: 'integer out of range' };
      break;
    }
    default: {
      const never: never = spec.kind;
      throw new Error(`unknown option kind ${String(never)}`);
    }
  }
  const reason = spec.check(value);
  return reason === undefined ? { ok: true, value } : { ok: false, reason };
}
