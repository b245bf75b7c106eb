/**
 * Initial DNS Seedlist Discovery: turns a parsed `mongodb+srv://` ConnectionString
 * into one whose hosts are the SRV results and whose options include the TXT
 * defaults. DNS goes through an injected `SrvResolver` (node/dns.ts on Node,
 * uri/doh-resolver.ts anywhere with fetch, a fake table in tests).
 */
import { fail } from './fail.js';
import {
  ConnectionStringScheme,
  HostType,
  frozenConnectionString,
  hostAddress,
  splitQuery,
  parseOptionPairs,
  validateOptionCombination,
  type ConnectionString,
  type HostAddress,
} from './connection-string.js';
import { canonicalOptionName } from './options.js';

export interface SrvRecord {
  readonly name: string;
  readonly port: number;
}

/** The DNS seam. Both calls reject on DNS failure; `resolveTxt` resolves [] when the name has no TXT records. */
export interface SrvResolver {
  resolveSrv(name: string): Promise<SrvRecord[]>;
  /** One entry per TXT record; each record is a list of character-strings. */
  resolveTxt(name: string): Promise<string[][]>;
}

export interface ResolveSrvOptions {
  /** Random source for srvMaxHosts sampling; defaults to Math.random. */
  readonly random?: () => number;
}

/** TXT records may only set these (seedlist spec, "Default Connection String Options"). */
const TXT_ALLOWED: ReadonlySet<string | undefined> = new Set(['authSource', 'replicaSet', 'loadBalanced']);

const normalizeDnsName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/**
 * The seedlist spec's check of a returned SRV target against the SRV host name:
 * the target must end with the SRV host's {domainname} (preceded by a "."), and for
 * SRV host names with fewer than three parts it must have at least one more label.
 */
export function srvTargetMatchesHost(srvHost: string, target: string): boolean {
  const host = normalizeDnsName(srvHost);
  const t = normalizeDnsName(target);
  const parts = host.split('.');
  const domain = parts.length >= 3 ? parts.slice(1).join('.') : host;
  // Also rejects a target equal to the domain itself, or (fewer than 3 parts) to the host.
  return t.endsWith(`.${domain}`);
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** The value of a settled lookup; throws MongoParseError naming the lookup when it failed. */
function lookupResult<T>(result: PromiseSettledResult<T>, lookup: string): T {
  if (result.status === 'rejected') fail(`${lookup} failed: ${String((result.reason as Error)?.message ?? result.reason)}`, result.reason);
  return result.value;
}

/**
 * Resolves the SRV and TXT records of `cs.srvHost`. Options in the connection
 * string override TXT options; `tls` defaults to true. Throws MongoParseError for
 * invalid records and for option combinations that become invalid after the lookup.
 * A `mongodb://` ConnectionString is returned unchanged.
 */
export async function resolveSrvConnectionString(
  cs: ConnectionString,
  resolver: SrvResolver,
  options: ResolveSrvOptions = {},
): Promise<ConnectionString> {
  if (cs.scheme !== ConnectionStringScheme.mongodbSrv) return cs;
  const srvHost = cs.srvHost ?? cs.hosts[0]?.host;
  if (!srvHost) fail('mongodb+srv connection string has no host name');
  const serviceName = typeof cs.options.srvServiceName === 'string' ? cs.options.srvServiceName : 'mongodb';

  const srvName = `_${serviceName}._tcp.${srvHost}`;
  const [srvResult, txtResult] = await Promise.allSettled([resolver.resolveSrv(srvName), resolver.resolveTxt(srvHost)]);
  const records = lookupResult(srvResult, `SRV lookup of "${srvName}"`);
  if (records.length === 0) fail(`SRV lookup of "${srvName}" returned no records`);

  const seen = new Set<string>();
  let hosts: HostAddress[] = [];
  for (const r of records) {
    const name = normalizeDnsName(r.name);
    if (!srvTargetMatchesHost(srvHost, name)) fail(`SRV record target "${r.name}" does not share the domain of "${srvHost}"`);
    if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) fail(`SRV record for "${r.name}" has invalid port ${r.port}`);
    const key = `${name}:${r.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    hosts.push(hostAddress(name, HostType.hostname, r.port));
  }

  // TXT: at most one record; only authSource / replicaSet / loadBalanced.
  const txt = lookupResult(txtResult, `TXT lookup of "${srvHost}"`);
  if (txt.length > 1) fail(`Multiple TXT records found for "${srvHost}"; at most one is allowed`);
  const warnings = [...cs.warnings];
  let txtOptions: Record<string, unknown> = {};
  if (txt.length === 1) {
    const text = txt[0]!.join('');
    const pairs = splitQuery(text, `TXT record of "${srvHost}"`);
    for (const p of pairs) {
      if (!TXT_ALLOWED.has(canonicalOptionName(p.key))) {
        fail(`TXT record of "${srvHost}" sets "${p.key}"; only authSource, replicaSet and loadBalanced are allowed`);
      }
    }
    const txtWarnings: string[] = [];
    txtOptions = parseOptionPairs(pairs, txtWarnings);
    warnings.push(...txtWarnings.map((w) => `TXT record: ${w}`));
  }

  const merged: Record<string, unknown> = { ...txtOptions, ...cs.options };
  if (merged.tls === undefined) merged.tls = true;

  const srvMaxHosts = typeof merged.srvMaxHosts === 'number' ? merged.srvMaxHosts : 0;
  validateOptionCombination(ConnectionStringScheme.mongodbSrv, hosts, merged);
  if (srvMaxHosts > 0 && srvMaxHosts < hosts.length) {
    hosts = shuffle(hosts, options.random ?? Math.random).slice(0, srvMaxHosts);
  }

  return frozenConnectionString({ ...cs, hosts, srvHost, options: merged, warnings });
}
