/**
 * Direct TCP/TLS for Cloudflare Workers: `connect()` from cloudflare:sockets, each
 * socket wrapped in the core's StreamSocket. TLS is `secureTransport: 'on'` (or
 * 'starttls' then startTls() when the certificate name differs from the host: tls.ts).
 *
 * Request scope: Workers refuse I/O on a socket opened while serving another request.
 * Before each operation the executor asks ioScope() which request it serves (network-free
 * probes, one per request seen: transport/request-scope.ts) and uses that request's own
 * sockets and monitors (Topology.enterIoScope); a refusal met anyway becomes a
 * MongoRequestScopeError (StreamSocket) and the operation runs again on new sockets. A
 * MongoClient in a Worker's global scope serves every request, overlapping ones too.
 */
import { connect as cloudflareConnect, type Socket, type SocketOptions } from 'cloudflare:sockets';
import { formatAddress } from '../../connection/address.js';
import { openWithDeadline } from '../../transport/open-with-deadline.js';
import { RequestScopes } from '../../transport/request-scopes.js';
import { StreamSocket } from '../../transport/stream-socket.js';
import type { Transport, TransportConnectOptions, TransportSocket } from '../../transport/transport.js';
import { cloudflareTlsPlan, type CloudflareSecureTransport } from './tls.js';

export type CloudflareConnect = (address: { hostname: string; port: number }, options?: SocketOptions) => Socket;

export interface CloudflareSocketsTransportOptions {
  /** TLS mode when the client asks for TLS (default 'on'). */
  secureTransport?: CloudflareSecureTransport;
  /** Injected connect (default: cloudflare:sockets' connect). */
  connect?: CloudflareConnect;
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close().catch(() => undefined);
  } catch {
    // closed already, or a socket of another request
  }
}

export class CloudflareSocketsTransport implements Transport {
  readonly name = 'cloudflare-sockets';
  /** A read goes right behind a new connection's hello (the peer is mongod: reads only). */
  readonly readPipelining = true;
  readonly #connect: CloudflareConnect;
  readonly #secureTransport: CloudflareSecureTransport;
  /** One probe per request seen (request-scope.ts). */
  readonly #scopes = new RequestScopes();

  constructor(options: CloudflareSocketsTransportOptions = {}) {
    this.#connect = options.connect ?? cloudflareConnect;
    this.#secureTransport = options.secureTransport ?? 'on';
  }

  async connect(options: TransportConnectOptions): Promise<TransportSocket> {
    const hostname = options.host.replace(/^\[(.*)\]$/, '$1');
    const address = formatAddress(hostname, options.port);
    const plan = options.tls ? cloudflareTlsPlan(hostname, options.tls, this.#secureTransport) : undefined;
    const socket = await openWithDeadline<Socket>({
      address,
      timeoutMS: options.connectTimeoutMS,
      signal: options.signal,
      discard: closeQuietly,
      open: async () => {
        let s = this.#connect({ hostname, port: options.port }, plan ? { secureTransport: plan.secureTransport } : {});
        if (plan?.secureTransport === 'starttls') {
          s = s.startTls(plan.expectedServerHostname ? { expectedServerHostname: plan.expectedServerHostname } : {});
        }
        try {
          await s.opened;
        } catch (error) {
          closeQuietly(s);
          throw error;
        }
        return s;
      },
    });
    return new StreamSocket(address, socket, { release: () => closeQuietly(socket) });
  }

  /** The current request's scope (the same object for every call while serving one request). */
  ioScope(): Promise<object> {
    return this.#scopes.current();
  }

  async close(): Promise<void> {
    // Sockets belong to their connections; nothing shared.
  }
}
