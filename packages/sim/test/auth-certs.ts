/**
 * Test certificates made with openssl at run time (never committed): a CA, a server
 * certificate for 127.0.0.1 / localhost and a client certificate, each PEM with its key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCerts {
  readonly dir: string;
  /** CA certificate. */
  readonly caFile: string;
  /** Server certificate + key (SAN 127.0.0.1, localhost). */
  readonly serverPem: string;
  /** Client certificate + key. */
  readonly clientPem: string;
  /** The client certificate's subject, RFC 2253 (as mongod names the X.509 user). */
  readonly clientSubject: string;
  remove(): void;
}

export const CLIENT_SUBJECT = 'CN=edge-client,OU=drivers,O=mongo-edge';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sim-tls-'));
  const key = (name: string): void => openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', name], dir);
  key('ca.key');
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/O=mongo-edge/CN=sim test CA', '-out', 'ca.pem'], dir);
  const leaf = (name: string, subj: string, ext: string): void => {
    key(`${name}.key`);
    openssl(['req', '-new', '-key', `${name}.key`, '-subj', subj, '-out', `${name}.csr`], dir);
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
    const pem = readFileSync(path.join(dir, `${name}.crt`), 'utf8') + readFileSync(path.join(dir, `${name}.key`), 'utf8');
    writeFileSync(path.join(dir, `${name}.pem`), pem, { mode: 0o600 });
  };
  leaf('server', '/O=mongo-edge/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', '/O=mongo-edge/OU=drivers/CN=edge-client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    serverPem: path.join(dir, 'server.pem'),
    clientPem: path.join(dir, 'client.pem'),
    clientSubject: CLIENT_SUBJECT,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
