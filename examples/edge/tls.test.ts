/**
 * TLS from edge runtimes to `mongod-sim --tlsMode requireTLS` (certificates made with
 * openssl at test time, never committed): a Worker in real workerd over cloudflare:sockets
 * (`secureTransport: 'on'`; workerd trusts the test CA through its config's
 * trustedCertificates, as Workers trust the public CAs), and Deno over Deno.connectTls with
 * the CA from tlsCAFile (caCerts). Each serves examples/edge/app.ts with one client.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { makeTestCerts, type TestCerts } from '../../packages/sim/test/auth-certs.js';
import { bundle, denoBinary, startServer, startWorkerd, workDir, type ServerProcess } from './runtimes.js';

let certs: TestCerts;
let sim: SimHandle;
let port: number;
const work = workDir();

beforeAll(async () => {
  certs = makeTestCerts();
  sim = await startSim({ tls: { mode: 'requireTLS', certificateKeyFile: certs.serverPem, caFile: certs.caFile, allowConnectionsWithoutCertificates: true } });
  port = sim.port;
}, 60_000);

afterAll(async () => {
  await sim?.close();
  certs?.remove();
  work.remove();
}, 60_000);

async function crudOverTls(server: ServerProcess, id: number): Promise<void> {
  const { status, body } = await server.get(`/crud?id=${id}`);
  expect({ status, body }, server.output().slice(-2000)).toMatchObject({
    status: 200,
    body: { id, read: { _id: id, v: id }, modified: 1, after: { _id: id, v: id, updated: true } },
  });
}

describe('TLS from edge runtimes to mongod-sim --tlsMode requireTLS', () => {
  it('workerd: a global-scope client over cloudflare:sockets with TLS, trusting the CA from the workerd config', async () => {
    const server = await startWorkerd(
      await bundle('worker.ts', work.dir, 'workerd'),
      work.dir,
      { MONGODB_URI: `mongodb://localhost:${port}/?tls=true&directConnection=true`, MODE: 'direct' },
      { trustedCertificates: [readFileSync(certs.caFile, 'utf8')] },
    );
    try {
      for (let i = 0; i < 3; i++) await crudOverTls(server, 1000 + i);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('workerd without the CA: the connection fails with a typed error, not a crash', async () => {
    const server = await startWorkerd(await bundle('worker.ts', work.dir, 'workerd'), work.dir, {
      MONGODB_URI: `mongodb://localhost:${port}/?tls=true&directConnection=true&serverSelectionTimeoutMS=2000`,
      MODE: 'direct',
    });
    try {
      const { status, body } = await server.get('/crud?id=1100');
      expect({ status, body }).toMatchObject({ status: 500, body: { mongoError: true } });
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('Deno: Deno.connectTls with the CA from tlsCAFile (caCerts)', async () => {
    const uri = `mongodb://localhost:${port}/?tls=true&directConnection=true&tlsCAFile=${encodeURIComponent(certs.caFile)}`;
    const server = await startServer(denoBinary(), ['run', '--allow-net', `--allow-read=${certs.dir}`, await bundle('deno-server.ts', work.dir, 'deno'), uri], { cwd: work.dir });
    try {
      for (let i = 0; i < 3; i++) await crudOverTls(server, 2000 + i);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
