/**
 * `mongodb://` and `mongodb+srv://` connection strings -> `ConnectionString`
 * (Connection String spec, URI Options spec, Initial DNS Seedlist Discovery spec
 * "Validation Before Querying DNS"). Pure: no DNS, no I/O.
 *
 * Errors throw `MongoParseError`; invalid values of known options, unknown keys,
 * repeated keys and deprecated keys are ignored with a message in `warnings`.
 */
import { MongoParseError } from '../errors.js';
import {
  CONFLICTING_TLS_OPTIONS,
  PROXY_OPTIONS,
  URI_OPTIONS,
  URI_OPTION_ALIASES,
  canonicalOptionName,
  convertUriValue,
  normalizeKey,
  type UriOptionName,
} from './options.js';

export const DEFAULT_PORT = 27017;

export const ConnectionStringScheme = Object.freeze({
  mongodb: 'mongodb',
  mongodbSrv: 'mongodb+srv',
} as const);
export type ConnectionStringScheme = (typeof ConnectionStringScheme)[keyof typeof ConnectionStringScheme];

export const HostType = Object.freeze({
  hostname: 'hostname',
  ipv4: 'ipv4',
  /** An IP literal written in brackets, e.g. `[::1]` (the spec tests call it `ip_literal`). */
  ipv6: 'ipv6',
  /** A percent-encoded UNIX domain socket path ending in `.sock`. */
  unix: 'unix',
} as const);
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

const PCT_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/** Percent-decodes `s`; throws MongoParseError naming `what` on a malformed escape. */
export function percentDecode(s: string, what: string): string {
  if (!s.includes('%')) return s;
  if (PCT_ESCAPE.test(s)) throw new MongoParseError(`${what} contains a "%" that is not a valid percent-encoding`);
  try {
    return decodeURIComponent(s);
  } catch (cause) {
    throw new MongoParseError(`${what} is not valid percent-encoded UTF-8`, { cause });
  }
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** Characters never valid in a host name (after decoding). */
const BAD_HOSTNAME_CHARS = /[\s/\\@?#[\]%:,]/;

function parsePort(raw: string, hostText: string): number {
  if (!/^\d+$/.test(raw)) throw new MongoParseError(`Invalid port "${raw}" in host "${hostText}": must be an integer`);
  const port = Number(raw);
  if (port < 1 || port > 65535) {
    throw new MongoParseError(`Invalid port ${raw} in host "${hostText}": must be between 1 and 65535`);
  }
  return port;
}

interface ParsedHost extends HostAddress {
  readonly explicitPort: boolean;
}

function parseHost(text: string): ParsedHost {
  if (text === '') throw new MongoParseError('Empty host in connection string');
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) throw new MongoParseError(`Unterminated IPv6 literal "${text}": missing "]"`);
    const host = text.slice(1, end);
    if (host === '' || !/^[0-9A-Fa-f:.]+(%[^\]]+)?$/.test(host) || !host.includes(':')) {
      throw new MongoParseError(`Invalid IPv6 literal "${text}"`);
    }
    const rest = text.slice(end + 1);
    if (rest === '') return { host: host.toLowerCase(), port: DEFAULT_PORT, type: HostType.ipv6, explicitPort: false };
    if (!rest.startsWith(':')) throw new MongoParseError(`Unexpected "${rest}" after IPv6 literal in host "${text}"`);
    return { host: host.toLowerCase(), port: parsePort(rest.slice(1), text), type: HostType.ipv6, explicitPort: true };
  }
  if (/%2f/i.test(text)) {
    const path = percentDecode(text, `Host "${text}"`);
    if (!path.endsWith('.sock')) {
      throw new MongoParseError(`Unsupported host "${path}": UNIX domain socket paths must end in ".sock"`);
    }
    return { host: path, port: DEFAULT_PORT, type: HostType.unix, explicitPort: false };
  }
  let hostText = text;
  let port = DEFAULT_PORT;
  let explicitPort = false;
  const colon = text.lastIndexOf(':');
  if (colon !== -1) {
    hostText = text.slice(0, colon);
    port = parsePort(text.slice(colon + 1), text);
    explicitPort = true;
  }
  if (hostText === '') throw new MongoParseError(`Empty host name in "${text}"`);
  if (hostText.includes(':')) {
    throw new MongoParseError(`Invalid host "${text}": IPv6 addresses must be written in brackets, and only one port is allowed`);
  }
  const host = percentDecode(hostText, `Host "${text}"`);
  if (BAD_HOSTNAME_CHARS.test(host)) throw new MongoParseError(`Invalid host name "${host}"`);
  const m = IPV4.exec(host);
  if (m && m.slice(1).every((o) => Number(o) <= 255)) return { host, port, type: HostType.ipv4, explicitPort };
  return { host: host.toLowerCase(), port, type: HostType.hostname, explicitPort };
}

function parseUserInfo(raw: string): { username: string; password: string | null } {
  if (raw.includes('@')) {
    throw new MongoParseError('Username and password must be URL encoded: the userinfo contains an unescaped "@"');
  }
  const colons = raw.split(':').length - 1;
  if (colons > 1) {
    throw new MongoParseError('Username and password must be URL encoded: the userinfo contains more than one unescaped ":"');
  }
  if (PCT_ESCAPE.test(raw)) {
    throw new MongoParseError('Username and password must be URL encoded: the userinfo contains a "%" that is not a percent-encoding');
  }
  const i = raw.indexOf(':');
  const username = percentDecode(i === -1 ? raw : raw.slice(0, i), 'Username');
  const password = i === -1 ? null : percentDecode(raw.slice(i + 1), 'Password');
  if (username === '') throw new MongoParseError('Username must not be empty when userinfo ("...@") is given');
  return { username, password };
}

const BAD_DB_CHARS = /[/\\ "$]/;

// ---------------------------------------------------------------- options

interface Pair {
  readonly key: string; // as written (decoded)
  readonly lower: string;
  readonly value: string; // decoded
}

/** Splits and decodes "k=v&k2=v2". Throws on a pair without "=" or with an empty key. */
export function splitQuery(query: string, where = 'connection string'): Pair[] {
  const pairs: Pair[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq === -1) throw new MongoParseError(`Option "${part}" in the ${where} has no "=" and no value`);
    if (eq === 0) throw new MongoParseError(`Option "${part}" in the ${where} has an empty key`);
    const key = percentDecode(part.slice(0, eq), `Option key "${part.slice(0, eq)}"`);
    const value = percentDecode(part.slice(eq + 1), `Value of option "${key}"`);
    pairs.push({ key, lower: normalizeKey(key), value });
  }
  return pairs;
}

/**
 * Applies the option pairs in order. Returns the options by canonical name and
 * pushes warnings. Throws for the error cases of the URI Options spec that are
 * decided by the keys alone (conflicting TLS keys, tls/ssl disagreement, repeated
 * proxy keys).
 */
export function parseOptionPairs(pairs: readonly Pair[], warnings: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Map<string, number>(); // canonical name -> times written (incl. aliases)
  const deprecatedUses: { alias: string; name: UriOptionName; value: string }[] = [];
  const tlsValues: { key: string; value: unknown }[] = [];

  for (const p of pairs) {
    const alias = URI_OPTION_ALIASES[p.lower];
    const name = alias ? alias.name : canonicalOptionName(p.lower);
    if (name === undefined) {
      warnings.push(`Unsupported option '${p.key}'`);
      continue;
    }
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if (alias?.deprecated) {
      deprecatedUses.push({ alias: p.key, name, value: p.value });
      continue;
    }
    applyOne(out, name, p.key, p.value, warnings, tlsValues);
  }

  for (const d of deprecatedUses) {
    const replacementGiven = pairs.some((p) => !URI_OPTION_ALIASES[p.lower] && canonicalOptionName(p.lower) === d.name);
    if (replacementGiven) {
      warnings.push(`Deprecated key "${d.alias}" present and ignored as found replacement "${d.name}" value`);
      continue;
    }
    warnings.push(`Deprecated key "${d.alias}" has been replaced with "${d.name}"`);
    applyOne(out, d.name, d.alias, d.value, warnings, tlsValues);
  }

  // Repeated keys: the last value wins (except lists, which accumulate), with a warning.
  for (const [name, n] of seen) {
    if (n < 2) continue;
    if ((PROXY_OPTIONS as readonly string[]).includes(name)) {
      throw new MongoParseError(`Proxy option "${name}" must not be given more than once`);
    }
    if (name === 'tls' || URI_OPTIONS[name]?.kind === 'dictList') continue;
    if (!deprecatedUses.some((d) => d.name === name)) warnings.push(`Option "${name}" was given ${n} times; the last value is used`);
  }

  // tls and ssl: every instance must agree.
  const distinct = new Set(tlsValues.map((t) => t.value));
  if (distinct.size > 1) {
    throw new MongoParseError(`All instances of "tls" and "ssl" must have the same value (got ${tlsValues.map((t) => `${t.key}=${String(t.value)}`).join(', ')})`);
  }

  for (const [a, b] of CONFLICTING_TLS_OPTIONS) {
    if (seen.has(a) && seen.has(b)) throw new MongoParseError(`Options "${a}" and "${b}" must not both be specified`);
  }
  return out;
}

function applyOne(
  out: Record<string, unknown>,
  name: UriOptionName,
  key: string,
  raw: string,
  warnings: string[],
  tlsValues: { key: string; value: unknown }[],
): void {
  const spec = URI_OPTIONS[name]!;
  if (name === 'authSource' && raw === '') throw new MongoParseError('authSource must not be empty');
  const r = convertUriValue(spec, raw);
  if (!r.ok) {
    warnings.push(`Unsupported value for "${key}": "${raw}" (${r.reason}); option ignored`);
    return;
  }
  if (r.warning) warnings.push(r.warning);
  if (name === 'tls') tlsValues.push({ key, value: r.value });
  if (spec.kind === 'dictList') {
    const prev = (out[name] as Record<string, string>[] | undefined) ?? [];
    out[name] = [...prev, ...(r.value as Record<string, string>[])];
  } else {
    out[name] = r.value;
  }
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
  if (options.directConnection === true) {
    if (isSrv) throw new MongoParseError('directConnection=true is not allowed with a mongodb+srv connection string');
    if (hosts.length > 1) throw new MongoParseError('directConnection=true requires exactly one host');
  }
  if (!isSrv) {
    for (const o of ['srvServiceName', 'srvMaxHosts'] as const) {
      if (options[o] !== undefined) throw new MongoParseError(`Option "${o}" is only allowed with a mongodb+srv connection string`);
    }
  }
  if (options.loadBalanced === true) {
    if (hosts.length > 1) throw new MongoParseError('loadBalanced=true requires exactly one host');
    if (options.directConnection === true) throw new MongoParseError('loadBalanced=true is not allowed with directConnection=true');
    if (options.replicaSet !== undefined) throw new MongoParseError('loadBalanced=true is not allowed with replicaSet');
  }
  const srvMaxHosts = options.srvMaxHosts;
  if (typeof srvMaxHosts === 'number' && srvMaxHosts > 0) {
    if (options.replicaSet !== undefined) throw new MongoParseError('srvMaxHosts > 0 is not allowed with replicaSet');
    if (options.loadBalanced === true) throw new MongoParseError('srvMaxHosts > 0 is not allowed with loadBalanced=true');
  }
  const proxyHost = options.proxyHost;
  if (proxyHost === undefined) {
    for (const o of ['proxyPort', 'proxyUsername', 'proxyPassword'] as const) {
      if (options[o] !== undefined) throw new MongoParseError(`Option "${o}" requires proxyHost`);
    }
  }
  if ((options.proxyUsername === undefined) !== (options.proxyPassword === undefined)) {
    throw new MongoParseError('proxyUsername and proxyPassword must be given together');
  }
}

// ---------------------------------------------------------------- parse

/**
 * Parses a connection string. Throws MongoParseError (naming the offending part)
 * for invalid strings; see `ConnectionString.warnings` for ignored parts.
 */
export function parseConnectionString(uri: string): ConnectionString {
  if (typeof uri !== 'string' || uri === '') throw new MongoParseError('Connection string must be a non-empty string');
  const schemeEnd = uri.indexOf('://');
  const schemeText = schemeEnd === -1 ? '' : uri.slice(0, schemeEnd);
  if (schemeText !== ConnectionStringScheme.mongodb && schemeText !== ConnectionStringScheme.mongodbSrv) {
    throw new MongoParseError(`Invalid scheme in "${uri.slice(0, 20)}...": expected "mongodb://" or "mongodb+srv://"`);
  }
  const scheme: ConnectionStringScheme = schemeText;
  const rest = uri.slice(schemeEnd + 3);

  // Host information ends at the first "/" or "?" (the slash before options is optional).
  const hostEnd = rest.search(/[/?]/);
  const hostInfo = hostEnd === -1 ? rest : rest.slice(0, hostEnd);
  let tail = hostEnd === -1 ? '' : rest.slice(hostEnd);

  const at = hostInfo.lastIndexOf('@');
  const userInfo = at === -1 ? null : hostInfo.slice(0, at);
  const hostList = at === -1 ? hostInfo : hostInfo.slice(at + 1);
  if (hostList === '') {
    if (tail.startsWith('/') && tail.length > 1 && !tail.startsWith('/?')) {
      throw new MongoParseError(`Missing host, or host contains an unescaped "/": UNIX domain socket paths must be URL encoded`);
    }
    throw new MongoParseError('Connection string has no host');
  }

  let db: string | null = null;
  let query = '';
  if (tail.startsWith('/')) {
    tail = tail.slice(1);
    const q = tail.indexOf('?');
    const dbText = q === -1 ? tail : tail.slice(0, q);
    query = q === -1 ? '' : tail.slice(q + 1);
    if (dbText !== '') {
      const decoded = percentDecode(dbText, 'Auth database');
      if (BAD_DB_CHARS.test(decoded)) {
        throw new MongoParseError(
          `Invalid database name "${decoded}" (a "/" in the host list must be URL encoded; database names must not contain / \\ space " $)`,
        );
      }
      db = decoded;
    }
  } else if (tail.startsWith('?')) {
    query = tail.slice(1);
  }

  const parsedHosts = hostList.split(',').map(parseHost);
  const warnings: string[] = [];
  const options = parseOptionPairs(splitQuery(query), warnings);

  let srvHost: string | null = null;
  if (scheme === ConnectionStringScheme.mongodbSrv) {
    if (parsedHosts.length !== 1) throw new MongoParseError('A mongodb+srv connection string must have exactly one host name');
    const h = parsedHosts[0]!;
    if (h.explicitPort) throw new MongoParseError(`A mongodb+srv connection string must not give a port ("${hostList}")`);
    if (h.type !== HostType.hostname) throw new MongoParseError(`A mongodb+srv connection string needs a host name, not "${h.host}"`);
    srvHost = h.host;
  }

  const hosts: HostAddress[] = parsedHosts.map((h) => Object.freeze({ host: h.host, port: h.port, type: h.type }));
  validateOptionCombination(scheme, hosts, options);

  const user = userInfo === null ? null : parseUserInfo(userInfo);
  const auth: ConnectionStringAuth | null =
    user === null && db === null ? null : Object.freeze({ username: user?.username ?? null, password: user?.password ?? null, db });

  return Object.freeze({
    scheme,
    hosts: Object.freeze(hosts),
    srvHost,
    auth,
    options: Object.freeze(options),
    warnings: Object.freeze(warnings),
  });
}
