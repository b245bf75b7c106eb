/**
 * TLS settings of the connections: the connection string's tls* options, with
 * tlsCAFile / tlsCertificateKeyFile read through the injected `tlsFileReader`
 * (core reads no files; the Node entry point reads them from disk). Reading the files
 * (tls-file-read.ts) loads with the cold chunk: a browser app names no files.
 */
import { loadCold } from '../cold/load.js';
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
  if ((o.tlsCAFile || o.tlsCertificateKeyFile) && !given) await (await loadCold()).readTlsFiles(o, tls);
  return tls;
}
