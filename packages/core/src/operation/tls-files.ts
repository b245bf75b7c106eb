/**
 * TLS settings of the connections: the connection string's tls* options, with
 * tlsCAFile / tlsCertificateKeyFile read through the injected `tlsFileReader`
 * (core reads no files; the Node entry point reads them from disk).
 */
import { MongoInvalidArgumentError } from '../errors.js';
import type { TransportTlsOptions } from '../transport/transport.js';
import type { MongoOptions } from '../uri/client-options.js';

/**
 * The TLS options for every connection, or undefined without TLS. `given` is PEM
 * material already loaded; when present the files are not read.
 */
export async function loadTlsOptions(o: MongoOptions, given: TransportTlsOptions | undefined): Promise<TransportTlsOptions | undefined> {
  if (!o.tls) return undefined;
  const tls: TransportTlsOptions = {
    ...given,
    allowInvalidCertificates: o.tlsAllowInvalidCertificates,
    allowInvalidHostnames: o.tlsAllowInvalidHostnames,
  };
  if ((o.tlsCAFile || o.tlsCertificateKeyFile) && !given) {
    const read = o.tlsFileReader;
    if (!read) throw new MongoInvalidArgumentError('tlsCAFile/tlsCertificateKeyFile need the tlsFileReader option (or PEM text)');
    if (o.tlsCAFile) tls.ca = await read(o.tlsCAFile);
    if (o.tlsCertificateKeyFile) tls.cert = tls.key = await read(o.tlsCertificateKeyFile);
    if (o.tlsCertificateKeyFilePassword) tls.passphrase = o.tlsCertificateKeyFilePassword;
  }
  return tls;
}
