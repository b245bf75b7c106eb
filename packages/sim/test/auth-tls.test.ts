// --tlsMode with the official driver: requireTLS, preferTLS (one port, both), client
// certificates and MONGODB-X509. Certificates are made with openssl at test time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerSelectionError, type MongoClientOptions } from 'mongodb';
import { parseArgs, spawnSim, startSim, type SimHandle } from '../src/index.js';
import { makeTestCerts, type TestCerts } from './auth-certs.js';

let certs: TestCerts;
const clients: MongoClient[] = [];
function client(uri: string, o: MongoClientOptions = {}): MongoClient {
  const c = new MongoClient(uri, { serverSelectionTimeoutMS: 3000, ...o });
  clients.push(c);
  return c;
}

beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  certs?.remove();
});

describe('requireTLS (client certificates optional)', () => {
  let sim: SimHandle;
  beforeAll(async () => {
    sim = await startSim({
      port: 0,
      auth: true,
      tls: { mode: 'requireTLS', certificateKeyFile: certs.serverPem, caFile: certs.caFile, allowConnectionsWithoutCertificates: true },
    });
    // The first user through the localhost exception, over TLS.
    const first = client(`mongodb://${sim.address}/?tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}`);
    await first.db('admin').command({ createUser: 'root', pwd: 'tls-Root-1', roles: ['root'] });
    const root = client(`mongodb://root:tls-Root-1@${sim.address}/?tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}`);
    await root.db('$external').command({ createUser: certs.clientSubject, roles: [{ role: 'root', db: 'admin' }] });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('connects with tlsCAFile and authenticates with SCRAM', async () => {
    const c = client(`mongodb://root:tls-Root-1@${sim.address}/?tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}`);
    await c.db('t').collection('c').insertOne({ over: 'tls' });
    expect(await c.db('t').collection('c').countDocuments({ over: 'tls' })).toBe(1);
  });

  it('without the CA the certificate is not trusted: MongoServerSelectionError naming the certificate', async () => {
    const err = await client(`mongodb://${sim.address}/?tls=true`).db('admin').command({ ping: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerSelectionError);
    expect(String((err as Error).message) + String((err as { cause?: Error }).cause?.message)).toMatch(/certificate/i);
  });

  it('tlsAllowInvalidCertificates connects without the CA', async () => {
    const c = client(`mongodb://${sim.address}/?tls=true&tlsAllowInvalidCertificates=true`);
    expect(await c.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
  });

  it('a plain (non-TLS) client cannot talk to it', async () => {
    const err = await client(sim.uri, { serverSelectionTimeoutMS: 1500 }).db('admin').command({ ping: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerSelectionError);
  });

  it('MONGODB-X509 maps the client certificate subject to the $external user', async () => {
    const c = client(
      `mongodb://${sim.address}/?tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}&tlsCertificateKeyFile=${encodeURIComponent(certs.clientPem)}&authMechanism=MONGODB-X509`,
    );
    const status = await c.db('admin').command({ connectionStatus: 1 });
    expect(status.authInfo.authenticatedUsers).toEqual([{ user: certs.clientSubject, db: '$external' }]);
    await c.db('t').collection('x509').insertOne({ ok: 1 });
  });

  it('MONGODB-X509 without a client certificate fails with 18', async () => {
    const c = client(`mongodb://${sim.address}/?tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}&authMechanism=MONGODB-X509`);
    await expect(c.db('admin').command({ ping: 1 })).rejects.toMatchObject({ code: 18 });
  });
});

describe('client certificates required (tlsCAFile without tlsAllowConnectionsWithoutCertificates)', () => {
  let sim: SimHandle;
  beforeAll(async () => {
    sim = await startSim({ port: 0, tls: { mode: 'requireTLS', certificateKeyFile: certs.serverPem, caFile: certs.caFile } });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('refuses a client without a certificate and accepts one with it', async () => {
    const ca = `tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}`;
    await expect(client(`mongodb://${sim.address}/?${ca}`, { serverSelectionTimeoutMS: 1500 }).db('admin').command({ ping: 1 })).rejects.toBeInstanceOf(
      MongoServerSelectionError,
    );
    const c = client(`mongodb://${sim.address}/?${ca}&tlsCertificateKeyFile=${encodeURIComponent(certs.clientPem)}`);
    expect(await c.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
  });
});

describe('preferTLS: one port serves TLS and plain clients', () => {
  let sim: SimHandle;
  beforeAll(async () => {
    sim = await startSim({ port: 0, tls: { mode: 'preferTLS', certificateKeyFile: certs.serverPem } });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('both kinds connect', async () => {
    const tlsClient = client(`mongodb://${sim.address}/?tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}`);
    const plain = client(sim.uri);
    await tlsClient.db('t').collection('c').insertOne({ via: 'tls' });
    await plain.db('t').collection('c').insertOne({ via: 'plain' });
    expect(await plain.db('t').collection('c').countDocuments()).toBe(2);
    expect(await tlsClient.db('t').collection('c').countDocuments()).toBe(2);
  });
});

describe('mongod-sim TLS flags', () => {
  it('parses --tlsMode and friends; TLS without a certificate is a usage error', () => {
    const o = parseArgs(['--tlsMode', 'requireTLS', '--tlsCertificateKeyFile', '/s.pem', '--tlsCAFile', '/ca.pem', '--tlsAllowConnectionsWithoutCertificates', '--auth']);
    expect(o).toMatchObject({ tlsMode: 'requireTLS', tlsCertificateKeyFile: '/s.pem', tlsCAFile: '/ca.pem', tlsAllowConnectionsWithoutCertificates: true, auth: true });
    expect(() => parseArgs(['--tlsMode', 'requireTLS'])).toThrow(/tlsCertificateKeyFile/);
    expect(() => parseArgs(['--tlsMode', 'sometimes', '--tlsCertificateKeyFile', '/s.pem'])).toThrow(/tlsMode/);
  });

  it('the mongod-sim process serves requireTLS from its flags', async () => {
    const child = await spawnSim(['--tlsMode', 'requireTLS', '--tlsCertificateKeyFile', certs.serverPem]);
    try {
      const c = client(`mongodb://127.0.0.1:${child.port}/?tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}`);
      expect(await c.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
      await c.close();
    } finally {
      await child.stop();
    }
  });
});
