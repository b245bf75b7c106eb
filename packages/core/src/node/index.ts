/**
 * Entry '@mongo-edge/core/node': everything from the platform-neutral core, plus the
 * Node.js-only pieces (TCP/TLS transport; DNS SRV lives in ./dns.ts).
 */
import type { Transport } from '../transport/transport.js';
import { TcpTransport, type TcpTransportOptions } from './tcp.js';

export * from '../index.js';
export { TcpTransport, KEEP_ALIVE_INITIAL_DELAY_MS, tlsConnectOptions } from './tcp.js';
export type { TcpTransportOptions } from './tcp.js';

/** The transport a Node MongoClient uses unless one is injected: direct TCP/TLS. */
export function defaultNodeTransport(options?: TcpTransportOptions): Transport {
  return new TcpTransport(options);
}

// ---------------------------------------------------------------------------
// INTEGRATOR: the Node `MongoClient` subclass goes here, e.g.
//   export class MongoClient extends CoreMongoClient { ...default transport:
//   defaultNodeTransport(), DNS SRV resolver from ./dns.ts... }
// ---------------------------------------------------------------------------
