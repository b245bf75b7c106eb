/**
 * Direct TCP/TLS for Deno: Deno.connect / Deno.connectTls, each connection wrapped in
 * the core's StreamSocket (its readable / writable pair). TLS: the server is verified
 * against Deno's trust store plus `ca` (tlsCAFile); a client certificate is `cert` /
 * `key` (MONGODB-X509). Deno cannot skip verification per connection
 * (--unsafely-ignore-certificate-errors is process-wide), so tlsAllowInvalid* is a
 * typed error, never silently ignored.
 */
import { MongoNetworkError } from '../../errors.js';
import { formatAddress } from '../../connection/address.js';
import { openWithDeadline } from '../../transport/open-with-deadline.js';
import { StreamSocket } from '../../transport/stream-socket.js';
import type { Transport, TransportConnectOptions, TransportSocket, TransportTlsOptions } from '../../transport/transport.js';
import { denoApi, type DenoApi, type DenoConn } from './deno-api.js';

export interface DenoTransportOptions {
  /** Default true. */
  noDelay?: boolean;
  /** Default true. */
  keepAlive?: boolean;
  /** Injected Deno namespace (default globalThis.Deno). */
  deno?: DenoApi;
}

function closeQuietly(conn: DenoConn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

function tlsOptions(hostname: string, port: number, tls: TransportTlsOptions) {
  if (tls.allowInvalidCertificates || tls.allowInvalidHostnames) {
    throw new MongoNetworkError(
      `cannot connect to ${formatAddress(hostname, port)}: Deno cannot skip TLS verification per connection (tlsAllowInvalidCertificates / tlsAllowInvalidHostnames); give tlsCAFile instead`,
      { beforeHandshake: true },
    );
  }
  if (tls.passphrase) {
    throw new MongoNetworkError('Deno.connectTls takes an unencrypted client key: tlsCertificateKeyFilePassword is not supported', { beforeHandshake: true });
  }
  return {
    hostname: tls.servername ?? hostname,
    port,
    ...(tls.ca ? { caCerts: [tls.ca] } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
  };
}

export class DenoTransport implements Transport {
  readonly name = 'deno-tcp';
  readonly #options: DenoTransportOptions;

  constructor(options: DenoTransportOptions = {}) {
    this.#options = options;
  }

  async connect(options: TransportConnectOptions): Promise<TransportSocket> {
    const deno = this.#options.deno ?? denoApi();
    const hostname = options.host.replace(/^\[(.*)\]$/, '$1');
    const address = formatAddress(hostname, options.port);
    const tls = options.tls ? tlsOptions(hostname, options.port, options.tls) : undefined;
    const conn = await openWithDeadline<DenoConn>({
      address,
      timeoutMS: options.connectTimeoutMS,
      signal: options.signal,
      discard: closeQuietly,
      open: () => (tls ? deno.connectTls(tls) : deno.connect({ hostname, port: options.port, transport: 'tcp' })),
    });
    try {
      conn.setNoDelay?.(this.#options.noDelay ?? true);
      conn.setKeepAlive?.(this.#options.keepAlive ?? true);
    } catch {
      // a TLS connection may not offer them
    }
    return new StreamSocket(address, conn, { release: () => closeQuietly(conn) });
  }

  async close(): Promise<void> {
    // Connections belong to their owners; nothing shared.
  }
}
