/**
 * `mongodb://` and `mongodb+srv://` connection strings -> `ConnectionString`
 * (Connection String spec, URI Options spec, Initial DNS Seedlist Discovery spec
 * "Validation Before Querying DNS"). Pure: no DNS, no I/O.
 *
 * Errors throw `MongoParseError`; invalid values of known options, unknown keys,
 * repeated keys and deprecated keys are ignored with a message in `warnings`.
 */
import { keyMirror } from '../util/key-mirror.js';
import { fail } from './fail.js';
import { DEPRECATED_KEYS, URI_OPTIONS, canonicalOptionName, convertUriValue, normalizeKey, type UriOptionName } from './options.js';
import { DEFAULT_PORT } from '../connection/address.js';

const A_SRV_STRING = 'A mongodb+srv connection string';

export const ConnectionStringScheme = Object.freeze({
  mongodb: 'mongodb',
  mongodbSrv: 'mongodb+srv',
} as const);
export type ConnectionStringScheme = (typeof ConnectionStringScheme)[keyof typeof ConnectionStringScheme];

/**
 * hostname, ipv4, ipv6 (an IP literal written in brackets, e.g. `[::1]`; the spec
 * tests call it `ip_literal`), unix (a percent-encoded UNIX domain socket path
 * ending in `.sock`).
 */
export const HostType = keyMirror('hostname', 'ipv4', 'ipv6', 'unix');
export type HostType = (typeof HostType)[keyof typeof HostType];

export interface HostAddress {
  /** Hostname (lower-cased), IPv4 address, IPv6 address without brackets, or socket path. */
  readonly host: string;
  /** 27017 when the string gives none (also for unix sockets, where it is unused). */
  readonly port: number;
  readonly type: HostType;
}

export interface ConnectionStringAuth {
  /** Percent-decoded; null when the string has no userinfo. */
  readonly username: string | null;
  /** Percent-decoded; null when there is no ":" in the userinfo, "" for "user:@". */
  readonly password: string | null;
  /** The auth database (path component), percent-decoded; null if absent. */
  readonly db: string | null;
}

/** Values by canonical option name, typed loosely (see `URI_OPTIONS` for each type). */
export type ConnectionStringOptions = Readonly<Partial<Record<UriOptionName, unknown>>>;

export interface ConnectionString {
  readonly scheme: ConnectionStringScheme;
  /** For mongodb+srv: the SRV results once resolved, else the one SRV host name. */
  readonly hosts: readonly HostAddress[];
  /** The host name given in a mongodb+srv string (for SRV polling); null for mongodb://. */
  readonly srvHost: string | null;
  /** null when the string has neither userinfo nor an auth database. */
  readonly auth: ConnectionStringAuth | null;
  readonly options: ConnectionStringOptions;
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------- decoding helpers

/**
 * Percent-decodes `s`; throws MongoParseError naming `what` on a "%" that does not
 * start an escape or on escapes that are not UTF-8.
 */
export function percentDecode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch (cause) {
    return fail(`${what} contains a "%" that is not a percent-encoding (like %2F), or escapes that are not UTF-8`, cause);
  }
}

/** The parts of a connection string (Connection String spec, "General Syntax"); userinfo ends at the last "@" before the path. */
const URI_PARTS = /^(mongodb(?:\+srv)?):\/\/(?:([^/?]*)@)?([^/?]*)(?:\/([^?]*))?(?:\?([^]*))?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Characters never valid in a host name (after decoding). */
const BAD_HOSTNAME_CHARS = /[\s/\\@?#[\]%:,]/;
const BAD_DB_CHARS = /[/\\ "$]/;

function parsePort(raw: string, hostText: string): number {
  if (!/^\d+$/.test(raw)) fail(`Invalid port "${raw}" in host "${hostText}": must be an integer`);
  const port = Number(raw);
  if (port < 1 || port > 65535) fail(`Invalid port ${raw} in host "${hostText}": must be between 1 and 65535`);
  return port;
}

/** A frozen HostAddress. */
export const hostAddress = (host: string, type: HostType, port = DEFAULT_PORT): HostAddress => Object.freeze({ host, port, type });

function parseHost(text: string): HostAddress {
  if (text === '') fail('Empty host in connection string');
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) fail(`Unterminated IPv6 literal "${text}": missing "]"`);
    const host = text.slice(1, end);
    if (!/^[0-9A-Fa-f:.]+(%[^\]]+)?$/.test(host) || !host.includes(':')) fail(`Invalid IPv6 literal "${text}"`);
    const rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) fail(`Unexpected "${rest}" after IPv6 literal in host "${text}"`);
    return hostAddress(host.toLowerCase(), HostType.ipv6, rest === '' ? undefined : parsePort(rest.slice(1), text));
  }
  if (/%2f/i.test(text)) {
    const path = percentDecode(text, `Host "${text}"`);
    if (!path.endsWith('.sock')) fail(`Unsupported host "${path}": UNIX domain socket paths must end in ".sock"`);
    return hostAddress(path, HostType.unix);
  }
  const colon = text.lastIndexOf(':');
  const hostText = colon === -1 ? text : text.slice(0, colon);
  const port = colon === -1 ? undefined : parsePort(text.slice(colon + 1), text);
  if (hostText === '') fail(`Empty host name in "${text}"`);
  if (hostText.includes(':')) fail(`Invalid host "${text}": IPv6 addresses must be written in brackets, and only one port is allowed`);
  const host = percentDecode(hostText, `Host "${text}"`);
  if (BAD_HOSTNAME_CHARS.test(host)) fail(`Invalid host name "${host}"`);
  if (IPV4.test(host) && host.split('.').every((o) => Number(o) <= 255)) return hostAddress(host, HostType.ipv4, port);
  return hostAddress(host.toLowerCase(), HostType.hostname, port);
}

function parseUserInfo(raw: string): { username: string; password: string | null } {
  const unescaped = raw.includes('@') ? '"@"' : /:[^]*:/.test(raw) ? '":" after the one between username and password' : undefined;
  if (unescaped) fail(`Username and password must be URL encoded: the userinfo contains an unescaped ${unescaped}`);
  const i = raw.indexOf(':');
  const username = percentDecode(i === -1 ? raw : raw.slice(0, i), 'Username');
  const password = i === -1 ? null : percentDecode(raw.slice(i + 1), 'Password');
  if (username === '') fail('Username must not be empty when userinfo ("...@") is given');
  return { username, password };
}

// ---------------------------------------------------------------- options

interface Pair {
  readonly key: string; // as written (decoded)
  readonly value: string; // decoded
}

/** Splits and decodes "k=v&k2=v2". Throws on a pair without "=" or with an empty key. */
export function splitQuery(query: string, where = 'connection string'): Pair[] {
  const pairs: Pair[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 1) fail(`Option "${part}" in the ${where} has ${eq ? 'no "=" and no value' : 'an empty key'}`);
    const key = percentDecode(part.slice(0, eq), `Option key "${part.slice(0, eq)}"`);
    pairs.push({ key, value: percentDecode(part.slice(eq + 1), `Value of option "${key}"`) });
  }
  return pairs;
}

/**
 * TLS options of which at most one may be given (URI Options spec, "Conflicting
 * TLS options"), except that tlsAllowInvalidHostnames conflicts only with
 * tlsInsecure.
 */
export const EXCLUSIVE_TLS_OPTIONS = [
  'tlsInsecure',
  'tlsAllowInvalidCertificates',
  'tlsAllowInvalidHostnames',
  'tlsDisableOCSPEndpointCheck',
  'tlsDisableCertificateRevocationCheck',
] as const;

/**
 * Applies the option pairs in order. Returns the options by canonical name and
 * pushes warnings. Throws for the error cases of the URI Options spec that are
 * decided by the keys alone (conflicting TLS keys, tls/ssl disagreement, repeated
 * proxy keys).
 */
export function parseOptionPairs(pairs: readonly Pair[], warnings: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const counts = new Map<UriOptionName, number>(); // times each option was written, aliases included
  const current = new Set<UriOptionName>(); // options written under a key that is not deprecated
  const deprecatedNames = new Set<UriOptionName>(); // options written under a deprecated key
  const tls: Pair[] = []; // valid tls / ssl pairs
  const isDeprecated = (p: Pair): boolean => DEPRECATED_KEYS.has(normalizeKey(p.key));

  // In order, except that deprecated keys come last: they apply only when their replacement is absent.
  for (const p of [...pairs.filter((p) => !isDeprecated(p)), ...pairs.filter(isDeprecated)]) {
    const name = canonicalOptionName(p.key);
    if (name === undefined) {
      warnings.push(`Unsupported option '${p.key}'`);
      continue;
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (!isDeprecated(p)) {
      current.add(name);
    } else {
      deprecatedNames.add(name);
      if (current.has(name)) {
        warnings.push(`Deprecated key "${p.key}" present and ignored as found replacement "${name}" value`);
        continue;
      }
      warnings.push(`Deprecated key "${p.key}" has been replaced with "${name}"`);
    }
    if (name === 'authSource' && p.value === '') fail('authSource must not be empty');
    const spec = URI_OPTIONS[name];
    const r = convertUriValue(spec, p.value);
    if (!r.ok) {
      warnings.push(`Unsupported value for "${p.key}": "${p.value}" (${r.reason}); option ignored`);
    } else if (spec.kind === 'dictList') {
      out[name] = [...((out[name] as unknown[] | undefined) ?? []), ...(r.value as unknown[])];
    } else {
      if (name === 'tls') tls.push(p);
      out[name] = r.value;
    }
  }

  // Repeated keys: the last value wins (except lists, which accumulate), with a warning.
  for (const [name, n] of counts) {
    if (n < 2) continue;
    if (name.startsWith('proxy')) fail(`Proxy option "${name}" must not be given more than once`);
    if (name !== 'tls' && URI_OPTIONS[name].kind !== 'dictList' && !deprecatedNames.has(name)) {
      warnings.push(`Option "${name}" was given ${n} times; the last value is used`);
    }
  }

  // tls and ssl: every instance must agree.
  if (new Set(tls.map((p) => p.value)).size > 1) {
    fail(`All instances of "tls" and "ssl" must have the same value (got ${tls.map((p) => `${p.key}=${p.value}`).join(', ')})`);
  }

  const given = EXCLUSIVE_TLS_OPTIONS.filter((name) => counts.has(name));
  const [a, b] = given[0] === 'tlsInsecure' ? given : given.filter((name) => name !== 'tlsAllowInvalidHostnames');
  if (b) fail(`Options "${a}" and "${b}" must not both be specified`);
  return out;
}

// ---------------------------------------------------------------- cross-option rules

/**
 * Rules that depend on hosts and several options (URI Options spec, Load Balancer
 * spec, Seedlist Discovery spec "URI Validation", SOCKS5 spec). Run on the parsed
 * string and again after SRV/TXT resolution and after merging options given in code.
 */
export function validateOptionCombination(
  scheme: ConnectionStringScheme,
  hosts: readonly HostAddress[],
  options: ConnectionStringOptions,
): void {
  const isSrv = scheme === ConnectionStringScheme.mongodbSrv;
  const direct = options.directConnection === true;
  const loadBalanced = options.loadBalanced === true;
  const replicaSet = options.replicaSet !== undefined;
  const notAllowed = (what: string, withWhat: string): never => fail(`${what} is not allowed with ${withWhat}`);
  if (direct && isSrv) notAllowed('directConnection=true', A_SRV_STRING.toLowerCase());
  if (direct && hosts.length > 1) fail('directConnection=true requires exactly one host');
  if (!isSrv) {
    for (const o of ['srvServiceName', 'srvMaxHosts'] as const) {
      if (options[o] !== undefined) fail(`Option "${o}" is only allowed with ${A_SRV_STRING.toLowerCase()}`);
    }
  }
  if (loadBalanced) {
    if (hosts.length > 1) fail('loadBalanced=true requires exactly one host');
    if (direct) notAllowed('loadBalanced=true', 'directConnection=true');
    if (replicaSet) notAllowed('loadBalanced=true', 'replicaSet');
  }
  if ((options.srvMaxHosts as number) > 0) {
    if (replicaSet) notAllowed('srvMaxHosts > 0', 'replicaSet');
    if (loadBalanced) notAllowed('srvMaxHosts > 0', 'loadBalanced=true');
  }
  if (options.proxyHost === undefined) {
    for (const o of ['proxyPort', 'proxyUsername', 'proxyPassword'] as const) {
      if (options[o] !== undefined) fail(`Option "${o}" requires proxyHost`);
    }
  }
  if ((options.proxyUsername === undefined) !== (options.proxyPassword === undefined)) {
    fail('proxyUsername and proxyPassword must be given together');
  }
}

// ---------------------------------------------------------------- parse

/**
 * Parses a connection string. Throws MongoParseError (naming the offending part)
 * for invalid strings; see `ConnectionString.warnings` for ignored parts.
 */
export function parseConnectionString(uri: string): ConnectionString {
  if (typeof uri !== 'string' || uri === '') fail('Connection string must be a non-empty string');
  const parts = URI_PARTS.exec(uri);
  if (!parts) fail(`Invalid scheme in "${uri.slice(0, 20)}...": expected "mongodb://" or "mongodb+srv://"`);
  const [, schemeText, userInfo, hostList = '', dbText = '', query = ''] = parts;
  const scheme = schemeText as ConnectionStringScheme;

  if (hostList === '') {
    fail(
      dbText === ''
        ? 'Connection string has no host'
        : 'Missing host, or host contains an unescaped "/": UNIX domain socket paths must be URL encoded',
    );
  }
  let db: string | null = null;
  if (dbText !== '') {
    db = percentDecode(dbText, 'Auth database');
    if (BAD_DB_CHARS.test(db)) {
      fail(`Invalid database name "${db}" (a "/" in the host list must be URL encoded; database names must not contain / \\ space " $)`);
    }
  }

  const hosts = hostList.split(',').map(parseHost);
  const warnings: string[] = [];
  const options = parseOptionPairs(splitQuery(query), warnings);

  let srvHost: string | null = null;
  if (scheme === ConnectionStringScheme.mongodbSrv) {
    const [h, more] = hosts;
    if (more) fail(`${A_SRV_STRING} must have exactly one host name`);
    if (h!.type !== HostType.hostname) fail(`${A_SRV_STRING} needs a host name, not "${h!.host}"`);
    // A host name has no ":" but the one before a port.
    if (hostList.includes(':')) fail(`${A_SRV_STRING} must not give a port ("${hostList}")`);
    srvHost = h!.host;
  }

  validateOptionCombination(scheme, hosts, options);

  const user = userInfo === undefined ? null : parseUserInfo(userInfo);
  return frozenConnectionString({
    scheme,
    hosts,
    srvHost,
    auth: user === null && db === null ? null : Object.freeze({ username: null, password: null, ...user, db }),
    options,
    warnings,
  });
}

/** `cs` frozen, with its hosts, options and warnings. */
export function frozenConnectionString(cs: ConnectionString): ConnectionString {
  return Object.freeze({ ...cs, hosts: Object.freeze(cs.hosts), options: Object.freeze(cs.options), warnings: Object.freeze(cs.warnings) });
}
