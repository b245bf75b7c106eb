/**
 * Target allowlist: static host:port patterns with `*` wildcards, plus hosts learned
 * from seeds. Hosts compare case-insensitively; IPv6 literals are written in brackets
 * ("[::1]:27017"). Matching is by name as the client sent it (no DNS resolution).
 */

export interface TargetAddress {
  host: string;
  port: number;
}

const PATTERN_RE = /^(\[[0-9A-Fa-f:.*]+\]|[A-Za-z0-9*._-]+):(\d{1,5}|\*)$/;

export function isValidTargetPattern(pattern: string): boolean {
  const m = PATTERN_RE.exec(pattern);
  if (!m) return false;
  return m[2] === '*' || Number(m[2]) <= 65535;
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

function compile(pattern: string): RegExp {
  const m = PATTERN_RE.exec(pattern)!;
  const hostPart = m[1]!.toLowerCase();
  const host = hostPart
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^:\\s]*');
  const port = m[2] === '*' ? '\\d{1,5}' : m[2]!;
  return new RegExp(`^${host}:${port}$`);
}

export class Allowlist {
  private readonly patterns: readonly RegExp[];
  private dynamic: ReadonlySet<string> = new Set();

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map(compile);
  }

  /** Replace the hosts learned from seeds. */
  setDynamic(keys: Iterable<string>): void {
    this.dynamic = new Set(keys);
  }

  get dynamicHosts(): readonly string[] {
    return [...this.dynamic];
  }

  allows(host: string, port: number): boolean {
    const key = targetKey(host, port);
    if (this.dynamic.has(key)) return true;
    return this.patterns.some((re) => re.test(key));
  }
}

/** A token-scoped allowlist (JWT `allow` claim): both must allow the target. */
export function matchesAny(patterns: readonly string[], host: string, port: number): boolean {
  const key = targetKey(host, port);
  return patterns.some((p) => isValidTargetPattern(p) && compile(p).test(key));
}
