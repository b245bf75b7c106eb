import { it, expect } from 'vitest';
import { MongoClient } from 'mongodb';
import { startSim } from '../src/index.js';
import { makeTestCerts } from './auth-certs.js';
it('scratch', async () => {
  const certs = makeTestCerts();
  const sim = await startSim({ port: 0, auth: true, tls: { mode: 'preferTLS', certificateKeyFile: certs.serverPem, caFile: certs.caFile, allowConnectionsWithoutCertificates: true } });
  const c0 = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 3000 });
  console.log(await c0.db('admin').command({ ping: 1 }));
  console.log(await c0.db('t').collection('x').findOne().catch((e) => e));
  console.log(await c0.db('admin').command({ createUser: 'alice', pwd: 'pw-secret', roles: ['root'] }));
  console.log(await c0.db('$external').command({ createUser: certs.clientSubject, roles: [{role:'root', db:'admin'}] }).catch(e=>e));
  await c0.close();
  for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-1']) {
    const c = new MongoClient(`mongodb://alice:pw-secret@${sim.address}/?authMechanism=${mech}&tls=true&tlsCAFile=${certs.caFile}`, { serverSelectionTimeoutMS: 3000 });
    await c.db('t').collection('x').insertOne({ a: 1 });
    console.log(mech, await c.db('t').collection('x').countDocuments(), await c.db('admin').command({ connectionStatus: 1 }));
    await c.close();
  }
  const cx = new MongoClient(`mongodb://${sim.address}/?authMechanism=MONGODB-X509&tls=true&tlsCAFile=${certs.caFile}&tlsCertificateKeyFile=${certs.clientPem}`, { serverSelectionTimeoutMS: 3000 });
  console.log('x509', await cx.db('admin').command({ connectionStatus: 1 }).catch(e=>e));
  await cx.close();
  const bad = new MongoClient(`mongodb://alice:nope-pass@${sim.address}/`, { serverSelectionTimeoutMS: 3000 });
  console.log(await bad.connect().catch((e) => e));
  console.log(sim.node && (await import('../src/auth/sim-auth.js')).authOf(sim.node).counters);
  await sim.close();
  certs.remove();
});
