/**
 * mongodb+srv:// (Initial DNS Seedlist Discovery): before the topology is built,
 * the SRV records become the seed list and the TXT record's options join the
 * connection string's; the options are then resolved again from the result.
 * DNS itself is the injected `srvResolver` (node:dns on Node, DNS-over-HTTPS elsewhere).
 */
import { MongoParseError } from '../errors.js';
import { resolveClientOptionsWithSrv, type MongoClientOptions, type MongoOptions } from '../uri/client-options.js';
import type { SrvResolver } from '../uri/srv.js';

/** `options` as they are for a mongodb:// string; resolved through SRV/TXT for mongodb+srv://. */
export async function resolveSeeds(options: MongoOptions, url: string, userOptions: Readonly<MongoClientOptions>): Promise<MongoOptions> {
  if (!options.srvHost) return options;
  const resolver = options.srvResolver as SrvResolver | undefined;
  if (!resolver) throw new MongoParseError('mongodb+srv:// needs the `srvResolver` option (e.g. a DohResolver)');
  return await resolveClientOptionsWithSrv(url, userOptions, resolver);
}
