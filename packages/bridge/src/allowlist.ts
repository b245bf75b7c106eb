/**
 * Targets: `host:port` patterns and the allowlist built from them plus the hosts learned
 * from seeds. Matching is by the name the client sent (no DNS resolution), so a pattern
 * must never match a name that resolves somewhere else than it looks:
 *  - IPv4 patterns (`10.0.0.*:27017`): four dotted decimal octets, `*` is one whole octet
 *    (0-255). They match only dotted-quad IPv4 targets, never a name such as
 *    `10.0.0.5.nip.io`.
 *  - IPv6 patterns, in brackets (`[fd00::*]:27017`): compared group by group after
 *    expanding `::`, `*` is one whole 16-bit group.
 *  - Name patterns (`*.db.internal:27017`, `shard-*-a.example.net:*`): `*` matches one or
 *    more characters of ONE DNS label (never a dot). A target that looks numeric (every
 *    label decimal or 0x-hex, e.g. `2130706433` or `0x7f.1`, which resolvers read as
 *    127.0.0.1) matches no name pattern.
 *  - The port is a number 1-65535 or `*`.
 * Hosts compare case-insensitively.
 */
import net from 'node:net';

export interface TargetAddress {
  host: string;
  port: number;
}

type Part = number | '*';

export type HostPattern =
  | { readonly kind: 'ipv4'; readonly octets: readonly Part[] }
  | { readonly kind: 'ipv6'; readonly groups: readonly Part[] }
  | { readonly kind: 'name'; readonly labels: readonly RegExp[] };

export interface TargetPattern {
  readonly source: string;
  readonly host: HostPattern;
  readonly port: number | '*';
}

export type TargetPatternParse = { readonly ok: true; readonly pattern: TargetPattern } | { readonly ok: false; readonly message: string };

const LABEL_CHARS = /^[a-z0-9_-]+$/;
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

const fail = (message: string): TargetPatternParse => ({ ok: false, message });

/** `host:port` text -> a compiled pattern, or a message saying what is wrong with it. */
export function parseTargetPattern(text: string): TargetPatternParse {
  const usage = `expected host:port (* is one IPv4 octet, one IPv6 group or one DNS label; the port a number or *), got "${text}"`;
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return fail(usage);
  const hostText = text.slice(0, colon).toLowerCase();
  const portText = text.slice(colon + 1);
  let port: number | '*';
  if (portText === '*') port = '*';
  else if (/^[1-9][0-9]{0,4}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else return fail(`${text}: the port must be a number from 1 to 65535 or *`);
  const host = parseHostPattern(hostText, text, usage);
  if (typeof host === 'string') return fail(host);
  return { ok: true, pattern: { source: text, host, port } };
}

function parseHostPattern(host: string, text: string, usage: string): HostPattern | string {
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return usage;
    const inner = host.slice(1, -1);
    const groups = ipv6Groups(inner, true);
    return groups ? { kind: 'ipv6', groups } : `${text}: not an IPv6 address (in an IPv6 pattern * stands for one whole group, and not inside an embedded IPv4 part)`;
  }
  if (host.includes(':')) return `${text}: write an IPv6 address in brackets, e.g. [::1]:27017`;
  if (/^[0-9.*]+$/.test(host)) {
    const parts = host.split('.');
    if (parts.length !== 4) return `${text}: an IPv4 pattern has four octets (each 0-255 or *)`;
    const octets: Part[] = [];
    for (const p of parts) {
      if (p === '*') octets.push('*');
      else if (DECIMAL_OCTET.test(p) && Number(p) <= 255) octets.push(Number(p));
      else return `${text}: "${p}" is not an IPv4 octet (0-255 without leading zeros) or *; * stands for one whole octet`;
    }
    return { kind: 'ipv4', octets };
  }
  const labels = host.split('.');
  const compiled: RegExp[] = [];
  for (const label of labels) {
    if (!LABEL_CHARS.test(label.replace(/\*/g, 'x'))) return `${text}: "${label}" is not a DNS label (letters, digits, - and _; * for one or more of them)`;
    compiled.push(new RegExp(`^${label.replace(/\*+/g, '[a-z0-9_-]+')}$`));
  }
  if (labels.every((l) => NUMERIC_LABEL.test(l))) return `${text}: looks like a numeric address but is not a dotted-quad IPv4 address`;
  return { kind: 'name', labels: compiled };
}

/**
 * The 8 groups of an IPv6 address (`::` expanded, an embedded IPv4 tail as two groups).
 * With `wildcards`, a whole group may be `*`. Undefined if the text is not IPv6.
 */
function ipv6Groups(text: string, wildcards: boolean): Part[] | undefined {
  const probe = wildcards ? text.replace(/(^|:)\*(?=:|$)/g, (_m, lead: string) => `${lead}0`) : text;
  if (probe.includes('*') || !net.isIPv6(probe) || probe.includes('%')) return undefined;
  let head = text;
  const tail: number[] = [];
  if (text.includes('.')) {
    const at = text.lastIndexOf(':');
    const octets = text.slice(at + 1).split('.').map(Number);
    tail.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    head = text.slice(0, at + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const group = (g: string): Part => (g === '*' ? '*' : parseInt(g, 16));
  const split = (s: string): Part[] => (s === '' ? [] : s.split(':').map(group));
  const gap = head.indexOf('::');
  let groups: Part[];
  if (gap >= 0) {
    const left = split(head.slice(0, gap));
    const right = split(head.slice(gap + 2));
    groups = [...left, ...new Array<Part>(8 - tail.length - left.length - right.length).fill(0), ...right];
  } else {
    groups = split(head);
  }
  return [...groups, ...tail];
}

type TargetHost =
  | { readonly kind: 'ipv4'; readonly octets: readonly number[] }
  | { readonly kind: 'ipv6'; readonly groups: readonly Part[] }
  | { readonly kind: 'name'; readonly labels: readonly string[] }
  /** Looks numeric but is not dotted-quad IPv4, or is not a valid name: matches no pattern. */
  | { readonly kind: 'none' };

function classifyTarget(host: string): TargetHost {
  const h = host.toLowerCase();
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  if (net.isIPv4(bare)) return { kind: 'ipv4', octets: bare.split('.').map(Number) };
  if (net.isIPv6(bare)) {
    const groups = ipv6Groups(bare, false);
    return groups ? { kind: 'ipv6', groups } : { kind: 'none' };
  }
  const labels = bare.split('.');
  if (labels.some((l) => !LABEL_CHARS.test(l)) || labels.every((l) => NUMERIC_LABEL.test(l))) return { kind: 'none' };
  return { kind: 'name', labels };
}

const partsMatch = (pattern: readonly Part[], value: readonly Part[]) =>
  pattern.length === value.length && pattern.every((p, i) => p === '*' || p === value[i]);

function hostMatches(pattern: HostPattern, target: TargetHost): boolean {
  switch (pattern.kind) {
    case 'ipv4':
      return target.kind === 'ipv4' && partsMatch(pattern.octets, target.octets);
    case 'ipv6':
      return target.kind === 'ipv6' && partsMatch(pattern.groups, target.groups);
    case 'name':
      return (
        target.kind === 'name' &&
        pattern.labels.length === target.labels.length &&
        pattern.labels.every((re, i) => re.test(target.labels[i]!))
      );
    default: {
      const never: never = pattern;
      throw new Error(`unreachable host pattern ${String(never)}`);
    }
  }
}

export function matchesPattern(pattern: TargetPattern, host: string, port: number): boolean {
  return (pattern.port === '*' || pattern.port === port) && hostMatches(pattern.host, classifyTarget(host));
}

export function isValidTargetPattern(text: string): boolean {
  return parseTargetPattern(text).ok;
}

/** The valid patterns among `texts` (a token's `allow` claim: an invalid entry allows nothing). */
export function compilePatterns(texts: readonly string[]): TargetPattern[] {
  const out: TargetPattern[] = [];
  for (const t of texts) {
    const r = parseTargetPattern(t);
    if (r.ok) out.push(r.pattern);
  }
  return out;
}

/** Canonical "host:port" key: lower-case host, IPv6 in brackets. */
export function targetKey(host: string, port: number): string {
  let h = host.toLowerCase();
  if (h.includes(':') && !h.startsWith('[')) h = `[${h}]`;
  return `${h}:${port}`;
}

/** "host:port" (IPv6 in brackets) -> address; undefined if malformed. */
export function parseHostPort(text: string, defaultPort = 27017): TargetAddress | undefined {
  const t = text.trim();
  if (!t) return undefined;
  let host: string;
  let portText: string | undefined;
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    if (end < 0) return undefined;
    host = t.slice(1, end);
    const rest = t.slice(end + 1);
    if (rest && !rest.startsWith(':')) return undefined;
    portText = rest ? rest.slice(1) : undefined;
  } else {
    const parts = t.split(':');
    if (parts.length > 2) return undefined;
    host = parts[0]!;
    portText = parts[1];
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: host.toLowerCase(), port };
}

/** Which targets the bridge may open: static patterns plus the hosts the seeds report. */
export interface TargetPolicy {
  allows(host: string, port: number): boolean;
}

export class Allowlist implements TargetPolicy {
  #patterns: readonly TargetPattern[] = [];
  #dynamic: ReadonlySet<string> = new Set();

  /** `patterns` must be valid (the config schema checks them): RangeError otherwise. */
  constructor(patterns: readonly string[]) {
    this.setPatterns(patterns);
  }

  /** Replace the static patterns (all or nothing: RangeError on an invalid one). */
  setPatterns(patterns: readonly string[]): void {
    this.#patterns = patterns.map((p) => {
      const r = parseTargetPattern(p);
      if (!r.ok) throw new RangeError(r.message);
      return r.pattern;
    });
  }

  /** Replace the hosts learned from seeds. */
  setDynamic(keys: Iterable<string>): void {
    this.#dynamic = new Set(keys);
  }

  get dynamicHosts(): readonly string[] {
    return [...this.#dynamic];
  }

  allows(host: string, port: number): boolean {
    if (this.#dynamic.has(targetKey(host, port))) return true;
    return this.#patterns.some((p) => matchesPattern(p, host, port));
  }
}
