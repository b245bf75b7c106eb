/**
 * Acceptance: our Node MongoClient (TCP) authenticating to `mongod-sim --auth` — SCRAM-SHA-256
 * and SCRAM-SHA-1, failures, the unauthenticated refusal, and the round trip speculative
 * authentication saves (counted by the sim).
 */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { authOf } from '../../../sim/src/auth/sim-auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, type MongoClientOptions } from '@mongo-edge/core/node';

const ROOT_PW = 'root-Secret-9';
const APP_PW = 'app-Secret-8';
const WRONG_PW = 'Wrong-Secret-7';

describe('e2e auth: our client against mongod-sim --auth', () => {
  let sim: SimHandle;
  const clients: MongoClient[] = [];
  const client = (uri: string, o: MongoClientOptions = {}): MongoClient => {
    const c = new MongoClient(uri, { serverSelectionTimeoutMS: 3000, ...o });
    clients.push(c);
    return c;
  };
  const uri = (user: string, pw: string, query = ''): string =>
    `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@${sim.address}/${query ? `?${query}` : ''}`;

  beforeAll(async () => {
    sim = await startSim({ port: 0, bindIp: '127.0.0.1', auth: true });
    // Users through the localhost exception (the first), then as that user.
    const anon = client(`mongodb://${sim.address}/`);
    await anon.db('admin').command({ createUser: 'root', pwd: ROOT_PW, roles: ['root'] });
    const root = client(uri('root', ROOT_PW));
    await root.db('app').command({ createUser: 'app', pwd: APP_PW, roles: ['readWrite'] });
    await root.db('app').command({ createUser: 'legacy', pwd: APP_PW, roles: ['readWrite'], mechanisms: ['SCRAM-SHA-1'] });
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim?.close();
  });

  it('an unauthenticated command is 13 Unauthorized', async () => {
    const err = await client(`mongodb://${sim.address}/`)
      .db('app')
      .collection('items')
      .findOne({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 13, codeName: 'Unauthorized', message: 'Command find requires authentication' });
  });

  it.each([
    ['SCRAM-SHA-256', 'app'],
    ['SCRAM-SHA-1', 'app'],
    ['', 'app'],
    ['', 'legacy'],
  ])('authenticates (mechanism %s, user %s) and does CRUD', async (mechanism, user) => {
    const c = client(uri(user, APP_PW, `authSource=app${mechanism ? `&authMechanism=${mechanism}` : ''}`));
    const items = c.db('app').collection<{ _id: string; n: number }>('items');
    const id = `${user}-${mechanism || 'negotiated'}`;
    await items.insertOne({ _id: id, n: 1 });
    await items.updateOne({ _id: id }, { $inc: { n: 1 } });
    expect(await items.findOne({ _id: id })).toEqual({ _id: id, n: 2 });
    expect((await items.deleteOne({ _id: id })).deletedCount).toBe(1);
    const status = await c.db('admin').command({ connectionStatus: 1 });
    expect((status.authInfo as { authenticatedUsers: unknown }).authenticatedUsers).toEqual([{ user, db: 'app' }]);
  });

  it.each([
    ['app', WRONG_PW, 'SCRAM-SHA-256'],
    ['app', WRONG_PW, 'SCRAM-SHA-1'],
    ['app', WRONG_PW, ''],
    ['nobody', WRONG_PW, ''],
    ['nobody', WRONG_PW, 'SCRAM-SHA-1'],
  ])('user %s with a wrong password (%s, %s): MongoServerError 18, no password in the error', async (user, pw, mechanism) => {
    const err = await client(uri(user, pw, `authSource=app${mechanism ? `&authMechanism=${mechanism}` : ''}`))
      .db('app')
      .command({ ping: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 18, codeName: 'AuthenticationFailed' });
    const text = `${String((err as Error).message)} ${String((err as Error).stack)} ${JSON.stringify(err)} ${String((err as { cause?: unknown }).cause)}`;
    expect(text).not.toContain(pw);
  });

  it('authMechanism=FOO is a MongoParseError at construction, without the password', () => {
    let err: unknown;
    try {
      new MongoClient(uri('app', APP_PW, 'authMechanism=FOO'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('MongoParseError');
    expect((err as Error).message).toContain('FOO');
    expect((err as Error).message).not.toContain(APP_PW);
  });

  it('speculative authentication saves one command (the sim counts saslStart + saslContinue)', async () => {
    const auth = authOf(sim.node);
    const commandsFor = async (): Promise<number> => {
      const before = auth.counters.saslStart + auth.counters.saslContinue;
      const c = new MongoClient(uri('app', APP_PW, 'authSource=app&maxPoolSize=1'), { serverSelectionTimeoutMS: 3000 });
      try {
        await c.db('app').command({ ping: 1 });
      } finally {
        await c.close();
      }
      return auth.counters.saslStart + auth.counters.saslContinue - before;
    };
    const speculative = await commandsFor();
    sim.node.parameters.set('simSpeculativeAuth', false);
    let without: number;
    try {
      without = await commandsFor();
    } finally {
      sim.node.parameters.delete('simSpeculativeAuth');
    }
    expect(speculative).toBe(1);
    expect(without).toBe(2);
  });
});
