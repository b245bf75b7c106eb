/**
 * Acceptance: our Node MongoClient over TLS to `mongod-sim --tlsMode requireTLS` — the CA,
 * an untrusted certificate, tlsAllowInvalidCertificates, and MONGODB-X509 with a client
 * certificate. Certificates are made with openssl into a temp dir at test time.
 */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { makeTestCerts, type TestCerts } from '../../../sim/test/auth-certs.js';
import { MongoClient as OfficialClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, MongoServerSelectionError, type MongoClientOptions } from '@mongo-edge/core/node';

describe('e2e TLS: our client against mongod-sim --tlsMode requireTLS', () => {
  let certs: TestCerts;
  let sim: SimHandle;
  const clients: MongoClient[] = [];
  const client = (uri: string, o: MongoClientOptions = {}): MongoClient => {
    const c = new MongoClient(uri, { serverSelectionTimeoutMS: 3000, ...o });
    clients.push(c);
    return c;
  };
  const q = (s: string): string => encodeURIComponent(s);

  beforeAll(async () => {
    certs = makeTestCerts();
    sim = await startSim({
      port: 0,
      bindIp: '127.0.0.1',
      auth: true,
      tls: { mode: 'requireTLS', certificateKeyFile: certs.serverPem, caFile: certs.caFile, allowConnectionsWithoutCertificates: true },
    });
    const first = client(`mongodb://${sim.address}/?tls=true&tlsCAFile=${q(certs.caFile)}`);
    await first.db('admin').command({ createUser: 'root', pwd: 'tls-Root-2', roles: ['root'] });
    // Our Db refuses the name "$external" (core/src/client/db.ts; the official driver special-cases
    // it), so the X.509 user is created with the official driver.
    const root = new OfficialClient(`mongodb://root:tls-Root-2@${sim.address}/?tls=true&tlsCAFile=${q(certs.caFile)}`, { serverSelectionTimeoutMS: 3000 });
    try {
      await root.db('$external').command({ createUser: certs.clientSubject, roles: [{ role: 'readWriteAnyDatabase', db: 'admin' }] });
    } finally {
      await root.close();
    }
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim?.close();
    certs?.remove();
  });

  it('tls=true&tlsCAFile connects (SCRAM over TLS, CRUD)', async () => {
    const c = client(`mongodb://root:tls-Root-2@${sim.address}/?tls=true&tlsCAFile=${q(certs.caFile)}`);
    const coll = c.db('tls').collection('items');
    await coll.insertOne({ _id: 1, over: 'tls' });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, over: 'tls' });
  });

  it('without the CA: MongoServerSelectionError whose cause names the certificate problem', async () => {
    const err = await client(`mongodb://${sim.address}/?tls=true`, { serverSelectionTimeoutMS: 1500 })
      .db('admin')
      .command({ ping: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerSelectionError);
    const chain: string[] = [];
    for (let e: unknown = err; e instanceof Error && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e.message);
    expect(chain.join(' | ')).toMatch(/certificate/i);
  });

  it('tlsAllowInvalidCertificates=true connects without the CA', async () => {
    const c = client(`mongodb://${sim.address}/?tls=true&tlsAllowInvalidCertificates=true`);
    expect(await c.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('MONGODB-X509 with tlsCertificateKeyFile authenticates as the certificate subject', async () => {
    const c = client(`mongodb://${sim.address}/?tls=true&tlsCAFile=${q(certs.caFile)}&tlsCertificateKeyFile=${q(certs.clientPem)}&authMechanism=MONGODB-X509`);
    const status = await c.db('admin').command({ connectionStatus: 1 });
    expect((status.authInfo as { authenticatedUsers: unknown }).authenticatedUsers).toEqual([{ user: certs.clientSubject, db: '$external' }]);
    await c.db('tls').collection('x509').insertOne({ ok: true });
    expect(await c.db('tls').collection('x509').countDocuments()).toBe(1);
  });

  it('MONGODB-X509 without a client certificate fails with 18', async () => {
    const err = await client(`mongodb://${sim.address}/?tls=true&tlsCAFile=${q(certs.caFile)}&authMechanism=MONGODB-X509`)
      .db('admin')
      .command({ ping: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 18 });
  });

  it('an unauthenticated command over TLS is 13', async () => {
    const c = client(`mongodb://${sim.address}/?tls=true&tlsCAFile=${q(certs.caFile)}`);
    await expect(c.db('tls').collection('items').findOne({})).rejects.toMatchObject({ code: 13 });
  });
});
