// `mongod-sim --auth` with the official driver: users, SCRAM, the localhost exception, the gate.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, type MongoClientOptions } from 'mongodb';
import { startSim, type SimHandle } from '../src/index.js';
import { authOf, isLoopback, rfc2253Subject, SimAuth } from '../src/auth/sim-auth.js';
import type { ConnectionInfo } from '../src/node.js';

const ADMIN_PW = 'admin-Secret-1';
const APP_PW = 'app-Secret-2';
const opts: MongoClientOptions = { serverSelectionTimeoutMS: 3000 };

const clients: MongoClient[] = [];
function client(uri: string, o: MongoClientOptions = {}): MongoClient {
  const c = new MongoClient(uri, { ...opts, ...o });
  clients.push(c);
  return c;
}

async function closeAll(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

describe('mongod-sim --auth with the official driver', () => {
  let sim: SimHandle;
  const uri = (user: string, pw: string, query = ''): string =>
    `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@${sim.address}/${query ? `?${query}` : ''}`;

  beforeAll(async () => {
    sim = await startSim({ port: 0, auth: true });
  });
  afterAll(async () => {
    await closeAll();
    await sim?.close();
  });

  it('refuses unauthenticated commands with 13 Unauthorized, except hello/ping/buildInfo', async () => {
    const anon = client(sim.uri);
    const err = await anon.db('t').collection('c').findOne({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 13, codeName: 'Unauthorized', message: 'Command find requires authentication' });
    expect(await anon.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
    expect((await anon.db('admin').command({ buildInfo: 1 })).version).toMatch(/-sim$/);
    expect((await anon.db('admin').command({ hello: 1 })).isWritablePrimary).toBe(true);
    expect(await anon.db('admin').command({ connectionStatus: 1 })).toMatchObject({ authInfo: { authenticatedUsers: [] } });
    await expect(anon.db('admin').command({ listDatabases: 1 })).rejects.toMatchObject({ code: 13, message: 'Command listDatabases requires authentication' });
    await expect(anon.db('admin').command({ usersInfo: 1 })).rejects.toMatchObject({ code: 13 });
    // Unknown commands are CommandNotFound first, as in mongod.
    await expect(anon.db('admin').command({ noSuchCommand: 1 })).rejects.toMatchObject({ code: 59 });
  });

  it('the localhost exception creates the first user on admin, then closes', async () => {
    const anon = client(sim.uri);
    await expect(anon.db('app').command({ createUser: 'early', pwd: 'x-y-z', roles: [] })).rejects.toMatchObject({ code: 13 });
    expect(await anon.db('admin').command({ createUser: 'root', pwd: ADMIN_PW, roles: ['root'] })).toEqual({ ok: 1 });
    await expect(anon.db('admin').command({ createUser: 'second', pwd: 'x-y-z', roles: [] })).rejects.toMatchObject({
      code: 13,
      message: 'Command createUser requires authentication',
    });
    // Users are ordinary documents in admin.system.users (written through the storage engine).
    expect(sim.node.engine.getCollection('admin', 'system.users')?.docs.size).toBe(1);
  });

  it('createUser / usersInfo / updateUser / dropUser as an authenticated user', async () => {
    const root = client(uri('root', ADMIN_PW));
    const app = root.db('app');
    await app.command({ createUser: 'appuser', pwd: APP_PW, roles: ['readWrite'], customData: { team: 'edge' } });
    await app.command({ createUser: 'sha1only', pwd: APP_PW, roles: [{ role: 'read', db: 'app' }], mechanisms: ['SCRAM-SHA-1'] });
    await expect(app.command({ createUser: 'appuser', pwd: 'other', roles: [] })).rejects.toMatchObject({ code: 51003, message: 'User "appuser@app" already exists' });
    await expect(app.command({ createUser: 'badrole', pwd: 'x', roles: ['nope'] })).rejects.toMatchObject({ code: 31, message: 'Could not find role: nope@app' });
    await expect(app.command({ createUser: 'nopwd', roles: [] })).rejects.toMatchObject({ code: 2 });
    await expect(app.command({ createUser: 'badmech', pwd: 'x', roles: [], mechanisms: ['FOO'] })).rejects.toMatchObject({ code: 2 });

    const info = await app.command({ usersInfo: 1 });
    expect(info.users.map((u: { user: string }) => u.user)).toEqual(['appuser', 'sha1only']);
    expect(info.users[0]).toMatchObject({ _id: 'app.appuser', user: 'appuser', db: 'app', roles: [{ role: 'readWrite', db: 'app' }], customData: { team: 'edge' }, mechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-256'] });
    expect(info.users[0].credentials).toBeUndefined();
    expect(info.users[1].mechanisms).toEqual(['SCRAM-SHA-1']);
    const one = await root.db('admin').command({ usersInfo: { user: 'appuser', db: 'app' }, showCredentials: true });
    expect(Object.keys(one.users[0].credentials)).toEqual(['SCRAM-SHA-1', 'SCRAM-SHA-256']);
    expect((await root.db('admin').command({ usersInfo: { forAllDBs: true } })).users).toHaveLength(3);

    // A password change: the old password stops working, the new one works.
    await app.command({ updateUser: 'sha1only', pwd: 'changed-Pw-3' });
    await expect(client(uri('sha1only', APP_PW, 'authSource=app')).db('app').command({ ping: 1 })).rejects.toMatchObject({ code: 18 });
    expect(await client(uri('sha1only', 'changed-Pw-3', 'authSource=app')).db('app').command({ ping: 1 })).toEqual({ ok: 1 });
    await expect(app.command({ updateUser: 'ghost', pwd: 'x' })).rejects.toMatchObject({ code: 11 });

    await app.command({ createUser: 'temp', pwd: 'x-y', roles: [] });
    await app.command({ dropUser: 'temp' });
    await expect(app.command({ dropUser: 'temp' })).rejects.toMatchObject({ code: 11, message: "User 'temp@app' not found" });
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-1'])('authenticates with %s and does CRUD', async (mechanism) => {
    const c = client(uri('appuser', APP_PW, `authSource=app&authMechanism=${mechanism}`));
    const coll = c.db('app').collection('items');
    await coll.insertOne({ mechanism });
    expect(await coll.findOne({ mechanism }, { projection: { _id: 0 } })).toEqual({ mechanism });
    await coll.updateOne({ mechanism }, { $set: { ok: true } });
    expect(await coll.deleteMany({ mechanism })).toMatchObject({ deletedCount: 1 });
    const status = await c.db('admin').command({ connectionStatus: 1 });
    expect(status.authInfo.authenticatedUsers).toEqual([{ user: 'appuser', db: 'app' }]);
    expect(status.authInfo.authenticatedUserRoles).toEqual([{ role: 'readWrite', db: 'app' }]);
  });

  it('negotiates SCRAM-SHA-1 for a user that has only it (hello saslSupportedMechs)', async () => {
    const anon = client(sim.uri);
    expect((await anon.db('admin').command({ hello: 1, saslSupportedMechs: 'app.sha1only' })).saslSupportedMechs).toEqual(['SCRAM-SHA-1']);
    expect((await anon.db('admin').command({ hello: 1, saslSupportedMechs: 'app.appuser' })).saslSupportedMechs).toEqual(['SCRAM-SHA-1', 'SCRAM-SHA-256']);
    const c = client(uri('sha1only', 'changed-Pw-3', 'authSource=app'));
    expect(await c.db('app').collection('items').countDocuments()).toBe(0);
  });

  it('wrong password and unknown user: 18 AuthenticationFailed, the password in no message', async () => {
    for (const [user, pw] of [
      ['appuser', 'Wrong-Password-77'],
      ['nobody', 'Wrong-Password-77'],
    ] as const) {
      for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-1', '']) {
        const err = await client(uri(user, pw, `authSource=app${mechanism ? `&authMechanism=${mechanism}` : ''}`))
          .db('app')
          .command({ ping: 1 })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MongoServerError);
        expect(err).toMatchObject({ code: 18, codeName: 'AuthenticationFailed', message: 'Authentication failed.' });
        expect(JSON.stringify(err) + String((err as Error).stack)).not.toContain(pw);
      }
    }
  });

  it('an unknown authMechanism is refused by the official driver when the client is built', () => {
    let err: unknown;
    try {
      new MongoClient(uri('appuser', APP_PW, 'authMechanism=FOO'));
    } catch (e) {
      err = e;
    }
    expect((err as Error).name).toBe('MongoParseError');
    expect((err as Error).message).toContain('FOO');
    expect((err as Error).message).not.toContain(APP_PW);
  });

  it('logout ends the authentication of the connection', async () => {
    const c = client(uri('root', ADMIN_PW), { maxPoolSize: 1 });
    const admin = c.db('admin');
    expect((await admin.command({ connectionStatus: 1 })).authInfo.authenticatedUsers).toEqual([{ user: 'root', db: 'admin' }]);
    await admin.command({ logout: 1 });
    await expect(admin.command({ listDatabases: 1 })).rejects.toMatchObject({ code: 13 });
  });

  it('speculative authentication saves a round trip (counted by the sim)', async () => {
    const auth = authOf(sim.node);
    const count = async (): Promise<number> => {
      const before = auth.counters.saslStart + auth.counters.saslContinue;
      const c = new MongoClient(uri('appuser', APP_PW, 'authSource=app&maxPoolSize=1'), { ...opts, monitorCommands: false });
      await c.db('app').command({ ping: 1 });
      const used = auth.counters.saslStart + auth.counters.saslContinue - before;
      await c.close();
      return used;
    };
    const speculative = await count();
    sim.node.parameters.set('simSpeculativeAuth', false);
    try {
      const without = await count();
      expect(speculative).toBe(1); // hello carried saslStart; one saslContinue finishes (skipEmptyExchange)
      expect(without).toBe(speculative + 1);
    } finally {
      sim.node.parameters.delete('simSpeculativeAuth');
    }
  });
});

describe('users persist in --dbpath', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sim-auth-'));
  });
  afterAll(async () => {
    await closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a user created before a restart authenticates after it', async () => {
    let sim = await startSim({ port: 0, auth: true, dbpath: dir });
    try {
      await client(sim.uri).db('admin').command({ createUser: 'keeper', pwd: 'persist-Pw', roles: ['root'] });
    } finally {
      await closeAll();
      await sim.close();
    }
    sim = await startSim({ port: 0, auth: true, dbpath: dir });
    try {
      // No localhost exception any more: the user is there.
      await expect(client(sim.uri).db('admin').command({ createUser: 'x', pwd: 'y', roles: [] })).rejects.toMatchObject({ code: 13 });
      const c = client(`mongodb://keeper:persist-Pw@${sim.address}/`);
      expect((await c.db('admin').command({ usersInfo: 'keeper' })).users[0].user).toBe('keeper');
    } finally {
      await closeAll();
      await sim.close();
    }
  });
});

describe('SimAuth unit', () => {
  const conn = (remote: string): ConnectionInfo => ({ id: 1, remote, local: '127.0.0.1:27017', signal: new AbortController().signal });

  it('the localhost exception is for loopback peers only', async () => {
    const sim = await startSim({ port: 0, auth: true });
    try {
      const auth = authOf(sim.node);
      expect(auth).toBeInstanceOf(SimAuth);
      expect(auth.gate(conn('127.0.0.1:5000'), 'createUser', 'admin', true)).toBeUndefined();
      expect(auth.gate(conn('[::1]:5000'), 'createUser', 'admin', true)).toBeUndefined();
      expect(auth.gate(conn('10.1.2.3:5000'), 'createUser', 'admin', true)).toMatchObject({ code: 13 });
      expect(auth.gate(conn('127.0.0.1:5000'), 'createUser', 'app', true)).toMatchObject({ code: 13 });
      expect(auth.gate(conn('10.1.2.3:5000'), 'ping', 'admin', true)).toBeUndefined();
    } finally {
      await sim.close();
    }
  });

  it('a node without --auth runs everything but still authenticates', async () => {
    const sim = await startSim({ port: 0 });
    try {
      const anon = client(sim.uri);
      await anon.db('admin').command({ createUser: 'u', pwd: 'p-w', roles: ['root'] });
      expect(await anon.db('t').collection('c').countDocuments()).toBe(0);
      await expect(client(`mongodb://u:bad@${sim.address}/`).db('admin').command({ ping: 1 })).rejects.toMatchObject({ code: 18 });
      expect(await client(`mongodb://u:p-w@${sim.address}/`).db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
    } finally {
      await closeAll();
      await sim.close();
    }
  });

  it('isLoopback and rfc2253Subject', () => {
    expect(isLoopback('127.0.0.1:1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1:1')).toBe(true);
    expect(isLoopback('::1:1')).toBe(true);
    expect(isLoopback('192.168.0.1:1')).toBe(false);
    expect(rfc2253Subject('C=US\nO=Mongo, Inc.\nCN=client')).toBe('CN=client,O=Mongo\\, Inc.,C=US');
  });
});

describe('users on a replica set member', () => {
  it('createUser is a write: refused before the set is initiated, then written to the oplog', async () => {
    const sim = await startSim({ port: 0, replSet: 'authrs' });
    const c = client(sim.uri, { directConnection: true });
    try {
      await expect(c.db('admin').command({ createUser: 'u', pwd: 'p-w', roles: ['root'] })).rejects.toMatchObject({ code: 10107 });
      await c.db('admin').command({ replSetInitiate: 1 });
      const deadline = Date.now() + 10000;
      while (!(await c.db('admin').command({ hello: 1 })).isWritablePrimary) {
        if (Date.now() > deadline) throw new Error('no primary');
        await new Promise((r) => setTimeout(r, 100));
      }
      await c.db('admin').command({ createUser: 'u', pwd: 'p-w', roles: ['root'] });
      await c.db('admin').command({ updateUser: 'u', pwd: 'p-w-2' });
      const ops = await c.db('local').collection('oplog.rs').find({ ns: 'admin.system.users' }).toArray();
      expect(ops.map((o) => o.op)).toEqual(['i', 'u']);
      expect(ops[0]!.o).toMatchObject({ _id: 'admin.u', user: 'u', db: 'admin' });
    } finally {
      await closeAll();
      await sim.close();
    }
  });
});
