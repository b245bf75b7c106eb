/**
 * Entry '@mongo-edge/core/deno': the platform-neutral core plus Deno's pieces: direct
 * TCP/TLS (Deno.connect / Deno.connectTls) and mongodb+srv through Deno.resolveDns.
 * A long-lived client monitors in the background as on Node.
 *
 *   import { MongoClient } from '@mongo-edge/core/deno';
 *   const client = new MongoClient('mongodb://localhost:27017');
 *
 * Run with --allow-net (and --allow-read for tlsCAFile / tlsCertificateKeyFile).
 */
import { MongoClient as CoreMongoClient } from '../../client/mongo-client.js';
import type { MongoClientOptions } from '../../client/options.js';
import type { Transport } from '../../transport/transport.js';
import { denoApi } from './deno-api.js';
import { DenoDnsResolver } from './dns.js';
import { DenoTransport, type DenoTransportOptions } from './transport.js';

export * from '../../index.js';
export { MongoClientBulkWriteError } from '../../client/client-bulk-write.js';
export { DenoTransport } from './transport.js';
export type { DenoTransportOptions } from './transport.js';
export { DenoDnsResolver } from './dns.js';
export type { DenoApi, DenoConn } from './deno-api.js';

/** The transport a Deno MongoClient uses unless one is injected: direct TCP/TLS. */
export function defaultDenoTransport(options?: DenoTransportOptions): Transport {
  return new DenoTransport(options);
}

interface DenoFileReader {
  readTextFile(path: string): Promise<string>;
}

/** The Deno MongoClient: direct TCP/TLS by default, SRV via Deno.resolveDns, TLS files via Deno.readTextFile. */
export class MongoClient extends CoreMongoClient {
  constructor(url: string, options: MongoClientOptions = {}) {
    super(url, {
      transport: () => defaultDenoTransport(),
      srvResolver: new DenoDnsResolver(),
      tlsFileReader: (path: string) => (denoApi() as unknown as DenoFileReader).readTextFile(path),
      ...options,
    });
  }
}
