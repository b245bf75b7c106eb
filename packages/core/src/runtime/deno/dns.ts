/**
 * The Deno SrvResolver: Deno.resolveDns (needs --allow-net). A name with no records
 * (NotFound) has no TXT records (resolves []); every other failure rejects.
 */
import type { SrvRecord, SrvResolver } from '../../uri/srv.js';
import { denoApi, type DenoApi } from './deno-api.js';

export class DenoDnsResolver implements SrvResolver {
  readonly #deno: DenoApi | undefined;

  constructor(deno?: DenoApi) {
    this.#deno = deno;
  }

  async resolveSrv(name: string): Promise<SrvRecord[]> {
    const records = await (this.#deno ?? denoApi()).resolveDns(name, 'SRV');
    return records.map((r) => ({ name: r.target.replace(/\.$/, ''), port: r.port }));
  }

  async resolveTxt(name: string): Promise<string[][]> {
    const deno = this.#deno ?? denoApi();
    try {
      return await deno.resolveDns(name, 'TXT');
    } catch (e) {
      const NotFound = deno.errors?.NotFound;
      if (NotFound && e instanceof NotFound) return [];
      throw e;
    }
  }
}
