/** tlsCAFile / tlsCertificateKeyFile read into `tls` through the `tlsFileReader` option (tls-files.ts; on first use). */
import { MongoInvalidArgumentError } from '../errors.js';
import type { TransportTlsOptions } from '../transport/transport.js';
import type { MongoOptions } from '../uri/client-options.js';

export async function readTlsFiles(o: MongoOptions, tls: TransportTlsOptions): Promise<void> {
  const read = o.tlsFileReader;
  if (!read) throw new MongoInvalidArgumentError('tlsCAFile/tlsCertificateKeyFile need the tlsFileReader option (or PEM text)');
  if (o.tlsCAFile) tls.ca = await read(o.tlsCAFile);
  if (o.tlsCertificateKeyFile) tls.cert = tls.key = await read(o.tlsCertificateKeyFile);
  if (o.tlsCertificateKeyFilePassword) tls.passphrase = o.tlsCertificateKeyFilePassword;
}
