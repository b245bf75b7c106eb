import { describe, expect, it } from 'vitest';
import { MongoInvalidArgumentError } from '../errors.js';
import type { MongoOptions } from '../uri/client-options.js';
import { loadTlsOptions } from './tls-files.js';

const opts = (o: Partial<MongoOptions>): MongoOptions => ({ tls: true, tlsAllowInvalidCertificates: false, tlsAllowInvalidHostnames: false, ...o }) as MongoOptions;

describe('loadTlsOptions (the file reads load on first use)', () => {
  it('no TLS: undefined; TLS without files: the flags only', async () => {
    expect(await loadTlsOptions(opts({ tls: false }), undefined)).toBeUndefined();
    expect(await loadTlsOptions(opts({}), undefined)).toEqual({ allowInvalidCertificates: false, allowInvalidHostnames: false });
  });

  it('reads tlsCAFile and tlsCertificateKeyFile through tlsFileReader, with the key password', async () => {
    const read = async (file: string): Promise<string> => `PEM of ${file}`;
    const tls = await loadTlsOptions(opts({ tlsCAFile: 'ca.pem', tlsCertificateKeyFile: 'key.pem', tlsCertificateKeyFilePassword: 'pw', tlsFileReader: read }), undefined);
    expect(tls).toMatchObject({ ca: 'PEM of ca.pem', cert: 'PEM of key.pem', key: 'PEM of key.pem', passphrase: 'pw' });
  });

  it('files without a reader: MongoInvalidArgumentError; PEM given: no read', async () => {
    await expect(loadTlsOptions(opts({ tlsCAFile: 'ca.pem' }), undefined)).rejects.toBeInstanceOf(MongoInvalidArgumentError);
    expect(await loadTlsOptions(opts({ tlsCAFile: 'ca.pem' }), { ca: 'given' })).toMatchObject({ ca: 'given' });
  });
});
