/**
 * The gateway end to end against the sim (with --auth): the gateway holds the
 * credentials and pools near the cluster; two users with JWTs each see only their own
 * documents; forbidden operations get code 13; cursors and sessions are per user; the
 * credentials and tokens never reach the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long } from 'bson';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { MongoServerError, type MongoClient } from '@mongo-edge/core';
import { startGateway, type GatewayHandle } from '../../src/gateway/index.js';
import { gatewayClient, gatewayConfig, gatewayEnv, tokenFor, JWT_SECRET } from './support.js';

const USER = 'gatewaySvc';
const PASSWORD = 'Sup3r-s3cret-cluster-pa55word';

let sim: SimHandle;
let gateway: GatewayHandle;
let direct: NodeMongoClient;
let alice: MongoClient;
let bob: MongoClient;
let aliceToken: string;
const logs: string[] = [];

beforeAll(async () => {
  sim = await startSim({ quiet: true, auth: true });
  const bootstrap = new NodeMongoClient(`${sim.uri}?directConnection=true`);
  await bootstrap.db('admin').command({ createUser: USER, pwd: PASSWORD, roles: ['root'] });
  await bootstrap.close();
  direct = new NodeMongoClient(`mongodb://${USER}:${PASSWORD}@${sim.address}/?directConnection=true`);
  const config = gatewayConfig({ uri: { env: 'TEST_CLUSTER_URI' }, username: { env: 'TEST_CLUSTER_USER' }, password: { env: 'TEST_CLUSTER_PASSWORD' }, options: { directConnection: true } });
  gateway = await startGateway(config, {
    env: gatewayEnv({ TEST_CLUSTER_URI: `mongodb://${sim.address}/`, TEST_CLUSTER_USER: USER, TEST_CLUSTER_PASSWORD: PASSWORD }),
    log: (line) => logs.push(line),
  });
  aliceToken = await tokenFor('alice');
  alice = gatewayClient(gateway.url, aliceToken);
  bob = gatewayClient(gateway.url, () => tokenFor('bob'));
});

afterAll(async () => {
  await alice?.close();
  await bob?.close();
  await gateway?.close();
  await direct?.close();
  await sim?.close();
});

const notes = (c: MongoClient) => c.db('app').collection<{ _id?: unknown; owner?: string; text: string; n?: number }>('notes');

describe('gateway end to end (sim with auth)', () => {
  it('answers hello as a mongos and runs CRUD for two users, each seeing only their own documents', async () => {
    await notes(alice).insertMany([{ text: 'a1' }, { text: 'a2' }, { text: 'a3' }]);
    await notes(bob).insertMany([{ text: 'b1' }, { text: 'b2' }]);
    const a = await notes(alice).find({}).sort({ text: 1 }).toArray();
    const b = await notes(bob).find({ owner: { $ne: 'bob' } }).toArray();
    expect(a.map((d) => [d.text, d.owner])).toEqual([['a1', 'alice'], ['a2', 'alice'], ['a3', 'alice']]);
    expect(b).toEqual([]);
    expect(await notes(bob).countDocuments({})).toBe(2);
    expect(alice.topologyDescription?.type).toBe('Sharded');
    // the same data read directly: the gateway filled in the owners
    const all = await direct.db('app').collection('notes').find({}).toArray();
    expect(all.map((d) => d.owner).sort()).toEqual(['alice', 'alice', 'alice', 'bob', 'bob']);
  });

  it('updates and deletes touch only the caller\'s documents', async () => {
    const u = await notes(bob).updateMany({}, { $set: { n: 1 } });
    expect(u.matchedCount).toBe(2);
    const d = await notes(alice).deleteMany({ text: 'b1' });
    expect(d.deletedCount).toBe(0);
    expect(await direct.db('app').collection('notes').countDocuments({ owner: 'alice', n: 1 })).toBe(0);
  });

  it('a forbidden operation gets a typed error: code 13 Unauthorized naming the rule', async () => {
    const changeOwner = await notes(alice).updateOne({ text: 'a1' }, { $set: { owner: 'bob' } }).catch((e: unknown) => e);
    expect(changeOwner).toBeInstanceOf(MongoServerError);
    expect(changeOwner).toMatchObject({ code: 13, codeName: 'Unauthorized', message: expect.stringMatching(/own-notes.*owner/) });
    const drop = await alice.db('app').command({ drop: 'notes' }).catch((e: unknown) => e);
    expect(drop).toMatchObject({ code: 13 });
    const where = await notes(alice).find({ $where: 'true' } as never).toArray().catch((e: unknown) => e);
    expect(where).toMatchObject({ code: 13 });
    const other = await alice.db('app').collection('secrets').findOne({}).catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 13, message: expect.stringMatching(/no rule allows find on app.secrets/) });
    const admin = await alice.db('admin').command({ listDatabases: 1 }).catch((e: unknown) => e);
    expect(admin).toMatchObject({ code: 13 });
  });

  it('a cursor is continued only by its owner; getMore goes to the member that opened it', async () => {
    const first = await bob.db('app').command({ find: 'notes', filter: {}, batchSize: 1 });
    const id = (first.cursor as { id: Long }).id;
    expect(Long.isLong(id) || typeof id === 'number').toBe(true);
    expect(String(id)).not.toBe('0');
    const stolen = await alice.db('app').command({ getMore: id, collection: 'notes' }).catch((e: unknown) => e);
    expect(stolen).toMatchObject({ code: 43, codeName: 'CursorNotFound' });
    const killed = await alice.db('app').command({ killCursors: 'notes', cursors: [id] });
    expect((killed.cursorsNotFound as unknown[]).map(String)).toEqual([String(id)]);
    const next = await bob.db('app').command({ getMore: id, collection: 'notes' });
    expect((next.cursor as { nextBatch: unknown[] }).nextBatch).toHaveLength(1);
  });

  it('sessions are per user: the same lsid from two users is two server sessions', async () => {
    const session = alice.startSession();
    const lsid = session.id;
    const a = await alice.db('app').command({ count: 'notes', lsid });
    const b = await bob.db('app').command({ count: 'notes', lsid });
    expect([a.n, b.n]).toEqual([3, 2]);
    await session.endSession();
  });

  it('a cursor over many documents is iterated with getMore', async () => {
    await notes(alice).insertMany(Array.from({ length: 25 }, (_, i) => ({ text: `bulk${i}` })));
    const docs = await notes(alice).find({ text: /^bulk/ }).batchSize(4).toArray();
    expect(docs).toHaveLength(25);
    expect(new Set(docs.map((d) => d.owner))).toEqual(new Set(['alice']));
  });

  it('an aggregation with $lookup into a forbidden collection is refused, into an allowed one sees only the rule\'s documents', async () => {
    const refused = await notes(alice).aggregate([{ $lookup: { from: 'secrets', localField: 'x', foreignField: 'y', as: 'z' } }]).toArray().catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 13 });
    const grouped = await notes(alice).aggregate([{ $group: { _id: '$owner', n: { $sum: 1 } } }]).toArray();
    expect(grouped).toEqual([{ _id: 'alice', n: 28 }]);
  });

  it('the Data API surface runs on the same rules', async () => {
    const post = (action: string, body: unknown, token = aliceToken) =>
      fetch(`${gateway.httpUrl}/app/any-app/endpoint/data/v1/action/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ dataSource: 'x', database: 'app', collection: 'notes', ...(body as object) }),
      });
    const one = await post('findOne', { filter: { text: 'a2' } });
    expect(one.status).toBe(200);
    expect(((await one.json()) as { document: { owner: string } }).document.owner).toBe('alice');
    const ins = await post('insertOne', { document: { text: 'via-data-api' } });
    expect(ins.status).toBe(200);
    expect(await ins.json()).toMatchObject({ insertedId: expect.anything() });
    const bobs = await post('find', { filter: { text: 'via-data-api' } }, await tokenFor('bob'));
    expect(await bobs.json()).toEqual({ documents: [] });
    const agg = await post('aggregate', { pipeline: [{ $count: 'n' }] });
    expect(await agg.json()).toEqual({ documents: [{ n: 29 }] });
    const upd = await post('updateOne', { filter: { text: 'via-data-api' }, update: { $set: { owner: 'bob' } } });
    expect(upd.status).toBe(403);
    expect(await upd.json()).toMatchObject({ error_code: 'Unauthorized' });
    const del = await post('deleteMany', { filter: { text: 'via-data-api' } });
    expect(await del.json()).toEqual({ deletedCount: 1 });
    const noAuth = await fetch(`${gateway.httpUrl}/data/v1/action/find`, { method: 'POST', body: '{}' });
    expect(noAuth.status).toBe(401);
  });

  it('an expired or wrongly signed token cannot connect', async () => {
    const expired = gatewayClient(gateway.url, await tokenFor('alice', {}, Math.floor(Date.now() / 1000) - 10), 'serverSelectionTimeoutMS=1500');
    await expect(notes(expired).findOne({})).rejects.toThrow();
    await expired.close();
  });

  it('a token that expires during a session stops its channel at the next command', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const shortLived = gatewayClient(gateway.url, await tokenFor('dora', {}, exp), 'serverSelectionTimeoutMS=2000&heartbeatFrequencyMS=60000');
    try {
      expect(await notes(shortLived).countDocuments({})).toBe(0);
      while (Date.now() / 1000 < exp + 0.2) await new Promise((r) => setTimeout(r, 100));
      await expect(notes(shortLived).countDocuments({})).rejects.toThrow();
    } finally {
      await shortLived.close();
    }
  });

  it('the Data API answers CORS preflights for allowed origins', async () => {
    const res = await fetch(`${gateway.httpUrl}/data/v1/action/find`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
  });

  it('audits every command and never logs the cluster credentials, the JWT secret or a token', async () => {
    const audit = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'gateway.audit');
    expect(audit.some((l) => l.principal === 'alice' && l.allowed === true && l.rule === 'own-notes')).toBe(true);
    expect(audit.some((l) => l.principal === 'alice' && l.allowed === false)).toBe(true);
    const text = logs.join('\n');
    for (const secret of [PASSWORD, JWT_SECRET, aliceToken, `mongodb://${sim.address}`]) expect(text).not.toContain(secret);
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/mongo_edge_gateway_commands_total\{rule="own-notes",decision="allowed"\} [1-9]/);
    expect(metrics).not.toContain(PASSWORD);
  });
});
