/**
 * An SrvResolver over DNS-over-HTTPS (the JSON API served by Cloudflare and
 * Google: GET <url>?name=<name>&type=SRV|TXT with `accept: application/dns-json`).
 * Platform-neutral: only `fetch`. Lets browsers and workers use mongodb+srv.
 */
import { MongoNetworkError } from '../errors.js';
import { fail } from './fail.js';
import type { SrvRecord, SrvResolver } from './srv.js';

export interface DohResolverOptions {
  /** JSON API endpoint; default https://cloudflare-dns.com/dns-query. */
  readonly url?: string;
  /** Injected fetch (default: globalThis.fetch). */
  readonly fetch?: typeof fetch;
  /** Per-query timeout in ms; default 10000. */
  readonly timeoutMS?: number;
}

export const DEFAULT_DOH_URL = 'https://cloudflare-dns.com/dns-query';

const TYPE_SRV = 33;
const TYPE_TXT = 16;
/** DNS RCODEs: 0 NOERROR, 3 NXDOMAIN. */
const NOERROR = 0;
const NXDOMAIN = 3;

interface DohAnswer {
  name?: string;
  type?: number;
  data?: string;
}
interface DohResponse {
  Status?: number;
  Answer?: DohAnswer[];
}

/** Splits TXT RDATA presentation text ("a" "b c") into its character-strings. */
export function parseTxtData(data: string): string[] {
  return [...data.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    (m[1] ?? m[2] ?? '').replace(/\\(\d{3}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(Number(e)) : e)),
  );
}

/** Parses SRV RDATA "priority weight port target". */
export function parseSrvData(data: string): SrvRecord {
  const parts = data.trim().split(/\s+/);
  if (parts.length !== 4) fail(`Malformed SRV record data "${data}"`);
  return { name: parts[3]!.replace(/\.$/, ''), port: Number(parts[2]) };
}

export class DohResolver implements SrvResolver {
  readonly #url: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMS: number;

  constructor(options: DohResolverOptions = {}) {
    this.#url = options.url ?? DEFAULT_DOH_URL;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') fail('DohResolver needs fetch (none found on globalThis)');
    this.#fetch = f;
    this.#timeoutMS = options.timeoutMS ?? 10_000;
  }

  async #query(name: string, type: 'SRV' | 'TXT'): Promise<string[]> {
    const u = new URL(this.#url);
    u.searchParams.set('name', name);
    u.searchParams.set('type', type);
    const what = `DNS-over-HTTPS ${type} query for "${name}"`;
    let res: Response;
    try {
      res = await this.#fetch(u.toString(), {
        headers: { accept: 'application/dns-json' },
        signal: AbortSignal.timeout(this.#timeoutMS),
      });
    } catch (cause) {
      throw new MongoNetworkError(`${what} failed`, { cause });
    }
    if (!res.ok) throw new MongoNetworkError(`${what} returned HTTP ${res.status}`);
    const body = (await res.json()) as DohResponse;
    if (body.Status === NXDOMAIN) return [];
    if (body.Status !== NOERROR) throw new MongoNetworkError(`${what} failed with DNS status ${String(body.Status)}`);
    const want = type === 'SRV' ? TYPE_SRV : TYPE_TXT;
    return (body.Answer ?? []).flatMap((a) => (a.type === want && typeof a.data === 'string' ? [a.data] : []));
  }

  async resolveSrv(name: string): Promise<SrvRecord[]> {
    return (await this.#query(name, 'SRV')).map(parseSrvData);
  }

  async resolveTxt(name: string): Promise<string[][]> {
    return (await this.#query(name, 'TXT')).map(parseTxtData);
  }
}
