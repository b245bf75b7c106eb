/**
 * Entry '@mongo-edge/core/cloudflare': the platform-neutral core plus Cloudflare
 * Workers' pieces: direct TCP/TLS over cloudflare:sockets (no `nodejs_compat` needed)
 * and mongodb+srv through DNS-over-HTTPS (Workers have no DNS API).
 *
 *   import { MongoClient } from '@mongo-edge/core/cloudflare';
 *   const client = new MongoClient(env.MONGODB_URI); // global scope is fine
 *   export default { async fetch(req, env) { ... client.db('app') ... } };
 *
 * A client kept in global scope serves every request: sockets cannot outlive a request
 * on Workers, so each request that finds sockets of another opens fresh ones (what the
 * client learned — the primary, the server versions — stays). Unless the connection
 * string says otherwise, monitoring polls (no streaming heartbeat/RTT connection) and a
 * pool holds at most 3 connections, which keeps a request within Workers' six
 * simultaneous connections for a three-member set: three monitors plus at most three
 * connections to the selected server.
 */
import { MongoClient as CoreMongoClient } from '../../client/mongo-client.js';
import type { MongoClientOptions } from '../../client/options.js';
import type { Transport } from '../../transport/transport.js';
import { DohResolver } from '../../uri/doh-resolver.js';
import { parseConnectionString } from '../../uri/connection-string.js';
import { CloudflareSocketsTransport, type CloudflareSocketsTransportOptions } from './transport.js';

export * from '../../index.js';
export { MongoClientBulkWriteError } from '../../client/client-bulk-write.js';
export { CloudflareSocketsTransport } from './transport.js';
export type { CloudflareSocketsTransportOptions, CloudflareConnect } from './transport.js';
export { cloudflareTlsPlan } from './tls.js';
export type { CloudflareSecureTransport, CloudflareTlsPlan } from './tls.js';

/** The transport a Workers MongoClient uses unless one is injected: direct TCP/TLS. */
export function defaultCloudflareTransport(options?: CloudflareSocketsTransportOptions): Transport {
  return new CloudflareSocketsTransport(options);
}

/** The Workers MongoClient: direct TCP/TLS by default, SRV over DNS-over-HTTPS. */
export class MongoClient extends CoreMongoClient {
  constructor(url: string, options: MongoClientOptions = {}) {
    super(url, {
      transport: () => defaultCloudflareTransport(),
      srvResolver: new DohResolver(),
      ...workersDefaults(url),
      ...options,
    });
  }
}

/** Workers' connection budget (see above), for what the connection string leaves unset. */
function workersDefaults(url: string): MongoClientOptions {
  let inUri: Readonly<Record<string, unknown>> = {};
  try {
    inUri = parseConnectionString(url).options;
  } catch {
    // the client's constructor reports the parse error
  }
  return {
    ...(inUri.serverMonitoringMode === undefined ? { serverMonitoringMode: 'poll' as const } : {}),
    ...(inUri.maxPoolSize === undefined ? { maxPoolSize: 3 } : {}),
  };
}
