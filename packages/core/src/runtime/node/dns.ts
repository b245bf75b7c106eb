/**
 * The Node SrvResolver: node:dns/promises. "No such name / no data" for TXT
 * means "no TXT record" (resolves []); every other failure rejects.
 */
import { promises as dns } from 'node:dns';
import type { SrvRecord, SrvResolver } from '../../uri/srv.js';

const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND']);

export interface NodeDnsResolverOptions {
  /** DNS servers to ask instead of the system's (e.g. ['8.8.8.8']). */
  readonly servers?: readonly string[];
}

export class NodeDnsResolver implements SrvResolver {
  private readonly resolver: dns.Resolver;

  constructor(options: NodeDnsResolverOptions = {}) {
    this.resolver = new dns.Resolver();
    if (options.servers) this.resolver.setServers([...options.servers]);
  }

  async resolveSrv(name: string): Promise<SrvRecord[]> {
    const records = await this.resolver.resolveSrv(name);
    return records.map((r) => ({ name: r.name, port: r.port }));
  }

  async resolveTxt(name: string): Promise<string[][]> {
    try {
      return await this.resolver.resolveTxt(name);
    } catch (e) {
      if (NO_RECORDS.has((e as NodeJS.ErrnoException).code ?? '')) return [];
      throw e;
    }
  }
}

/** A resolver using the system's DNS settings. */
export const nodeSrvResolver: SrvResolver = new NodeDnsResolver();
