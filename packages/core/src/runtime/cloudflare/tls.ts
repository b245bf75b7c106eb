/**
 * What of TransportTlsOptions a Worker's socket can honour. `connect()` verifies the
 * server against the platform's trust store and offers no client certificate, no
 * extra CA and no way to skip verification: asking for those is a typed error naming
 * the option, never silently ignored. `servername` goes to startTls() as the expected
 * host name (mode 'starttls'), so a socket opened to an IP literal can still verify.
 */
import { MongoNetworkError } from '../../errors.js';
import type { TransportTlsOptions } from '../../transport/transport.js';

/** 'on': TLS from the first byte; 'starttls': connect in the clear, then startTls() at once (used when `servername` differs from the host). */
export type CloudflareSecureTransport = 'on' | 'starttls';

export interface CloudflareTlsPlan {
  readonly secureTransport: CloudflareSecureTransport;
  /** For startTls({ expectedServerHostname }) in 'starttls' mode. */
  readonly expectedServerHostname?: string;
}

const UNSUPPORTED: ReadonlyArray<[keyof TransportTlsOptions, string]> = [
  ['cert', 'a client certificate (tlsCertificateKeyFile / MONGODB-X509)'],
  ['key', 'a client certificate key'],
  ['ca', 'an extra CA (tlsCAFile): Workers trust the public CAs only'],
  ['allowInvalidCertificates', 'tlsAllowInvalidCertificates'],
  ['allowInvalidHostnames', 'tlsAllowInvalidHostnames'],
];

/** The connect() settings for `tls` to `host`, or a MongoNetworkError for what Workers cannot do. */
export function cloudflareTlsPlan(host: string, tls: TransportTlsOptions, preferred: CloudflareSecureTransport = 'on'): CloudflareTlsPlan {
  for (const [key, what] of UNSUPPORTED) {
    if (tls[key]) {
      throw new MongoNetworkError(`cannot connect to ${host} with TLS from a Worker: ${what} is not supported by cloudflare:sockets`, {
        beforeHandshake: true,
      });
    }
  }
  const servername = tls.servername && tls.servername !== host ? tls.servername : undefined;
  if (preferred === 'starttls' || servername) {
    return { secureTransport: 'starttls', expectedServerHostname: servername ?? host };
  }
  return { secureTransport: 'on' };
}
