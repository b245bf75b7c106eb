/**
 * The URI Options table (URI Options spec, "List of specified options"), one entry
 * per canonical option name. Each entry says how a connection-string value (always
 * a string) is converted, and carries the zod schema that validates the converted
 * value; the same schema validates values passed in code to `MongoClient`.
 *
 * Pure: no I/O, no platform APIs.
 */
// zod/mini: the tree-shakable build (the full zod adds ~100 KB gzip to the browser bundle).
import * as z from 'zod/mini';

/** How a connection-string value is converted before its schema checks it. */
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

export interface UriOptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  /** Validates the converted value (URI) and the value given in code (user options). */
  readonly schema: z.ZodMiniType;
}

const INT32_MAX = 2 ** 31 - 1;
/** An int32 in [min, max]. */
const intIn = (min: number, max = INT32_MAX) => z.int().check(z.minimum(min), z.maximum(max));
/** A string of at least `min` characters. */
const strMin = (min: number, message?: string) => z.string().check(z.minLength(min, message));
const nonNegInt = intIn(0);
const positiveInt = intIn(1);
/** 64-bit per spec; JS numbers are exact up to 2^53. */
const nonNegInt64 = z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));
const bool = z.boolean();
const str = z.string();
const strDict = z.record(z.string(), z.string());

/** RFC 6335 service name, allowing more than 15 characters (seedlist spec). */
const srvServiceName = z.string().check(
  z.minLength(1),
  z.maxLength(62),
  z.regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, 'invalid SRV service name'),
  z.refine((s: string) => /[A-Za-z]/.test(s) && !s.includes('--'), 'invalid SRV service name'),
);

const entries: readonly UriOptionSpec[] = [
  { name: 'appName', kind: OptionKind.string, schema: z.string().check(z.maxLength(128)) },
  { name: 'authMechanism', kind: OptionKind.string, schema: str },
  {
    name: 'authMechanismProperties',
    kind: OptionKind.dict,
    // Values given in code may be callbacks (OIDC) or arrays (ALLOWED_HOSTS).
    schema: z.record(z.string(), z.unknown()),
  },
  { name: 'authSource', kind: OptionKind.string, schema: strMin(1, 'authSource must not be empty') },
  { name: 'compressors', kind: OptionKind.stringList, schema: z.array(z.enum(['snappy', 'zlib', 'zstd', 'none'])) },
  { name: 'connectTimeoutMS', kind: OptionKind.int, schema: nonNegInt },
  { name: 'directConnection', kind: OptionKind.bool, schema: bool },
  { name: 'enableOverloadRetargeting', kind: OptionKind.bool, schema: bool },
  { name: 'heartbeatFrequencyMS', kind: OptionKind.int, schema: intIn(500) },
  { name: 'journal', kind: OptionKind.bool, schema: bool },
  { name: 'loadBalanced', kind: OptionKind.bool, schema: bool },
  { name: 'localThresholdMS', kind: OptionKind.int, schema: nonNegInt },
  { name: 'maxAdaptiveRetries', kind: OptionKind.int, schema: nonNegInt },
  { name: 'maxConnecting', kind: OptionKind.int, schema: positiveInt },
  { name: 'maxIdleTimeMS', kind: OptionKind.int, schema: nonNegInt },
  { name: 'maxPoolSize', kind: OptionKind.int, schema: nonNegInt },
  // -1 means "no maximum"; the >= 90 / heartbeat rule is checked at server selection.
  { name: 'maxStalenessSeconds', kind: OptionKind.int, schema: intIn(-1) },
  { name: 'minPoolSize', kind: OptionKind.int, schema: nonNegInt },
  { name: 'proxyHost', kind: OptionKind.string, schema: strMin(1) },
  { name: 'proxyPassword', kind: OptionKind.string, schema: str },
  { name: 'proxyPort', kind: OptionKind.int, schema: intIn(0, 65535) },
  { name: 'proxyUsername', kind: OptionKind.string, schema: str },
  { name: 'readConcernLevel', kind: OptionKind.string, schema: str },
  {
    name: 'readPreference',
    kind: OptionKind.string,
    schema: z.enum(['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest']),
  },
  { name: 'readPreferenceTags', kind: OptionKind.dictList, schema: z.array(strDict) },
  { name: 'replicaSet', kind: OptionKind.string, schema: strMin(1) },
  { name: 'retryReads', kind: OptionKind.bool, schema: bool },
  { name: 'retryWrites', kind: OptionKind.bool, schema: bool },
  { name: 'serverMonitoringMode', kind: OptionKind.string, schema: z.enum(['auto', 'stream', 'poll']) },
  { name: 'serverSelectionTimeoutMS', kind: OptionKind.int, schema: nonNegInt },
  { name: 'serverSelectionTryOnce', kind: OptionKind.bool, schema: bool },
  { name: 'socketTimeoutMS', kind: OptionKind.int, schema: nonNegInt },
  { name: 'srvMaxHosts', kind: OptionKind.int, schema: nonNegInt },
  { name: 'srvServiceName', kind: OptionKind.string, schema: srvServiceName },
  { name: 'timeoutMS', kind: OptionKind.int, schema: nonNegInt64 },
  { name: 'tls', kind: OptionKind.bool, schema: bool },
  { name: 'tlsAllowInvalidCertificates', kind: OptionKind.bool, schema: bool },
  { name: 'tlsAllowInvalidHostnames', kind: OptionKind.bool, schema: bool },
  { name: 'tlsCAFile', kind: OptionKind.string, schema: strMin(1) },
  { name: 'tlsCertificateKeyFile', kind: OptionKind.string, schema: strMin(1) },
  { name: 'tlsCertificateKeyFilePassword', kind: OptionKind.string, schema: str },
  { name: 'tlsDisableCertificateRevocationCheck', kind: OptionKind.bool, schema: bool },
  { name: 'tlsDisableOCSPEndpointCheck', kind: OptionKind.bool, schema: bool },
  { name: 'tlsInsecure', kind: OptionKind.bool, schema: bool },
  { name: 'w', kind: OptionKind.intOrString, schema: z.union([nonNegInt, z.string().check(z.minLength(1))]) },
  { name: 'waitQueueTimeoutMS', kind: OptionKind.int, schema: nonNegInt },
  { name: 'wTimeoutMS', kind: OptionKind.int, schema: nonNegInt64 },
  { name: 'zlibCompressionLevel', kind: OptionKind.int, schema: intIn(-1, 9) },
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

/** Converts a decoded connection-string value for `spec` and validates it with the spec's schema. */
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
  const checked = spec.schema.safeParse(value);
  if (!checked.success) return { ok: false, reason: checked.error.issues[0]?.message ?? 'invalid value' };
  return { ok: true, value: checked.data };
}
