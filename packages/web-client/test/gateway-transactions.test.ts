/**
 * Transactions through a mongo-edge gateway with the web client (Node, ws) against a
 * one-member sim replica set: startTransaction / commit / abort / withTransaction, the
 * rules checked per statement inside the transaction (the filter template applies as
 * anywhere), and two principals whose transactions stay apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { signGatewayToken, startGateway, validateGatewayConfig, type GatewayHandle } from '@mongo-edge/bridge';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { GATEWAY_URI, MongoClient, MongoServerError, type WebSocketConstructorLike } from '../src/index.js';

const SECRET = 'web-client-gateway-txn-secret-0123456789';
const sign = (sub: string) => signGatewayToken(SECRET, { subject: sub, issuer: 'iss', audience: 'aud', expiresInSeconds: 600 });
const WS = WebSocket as unknown as WebSocketConstructorLike;

let sim: SimHandle;
let direct: NodeMongoClient;
let gateway: GatewayHandle;
let ann: MongoClient;
let ben: MongoClient;

beforeAll(async () => {
  sim = await startSim({ port: 0, replSet: 'gwtxn', quiet: true });
  direct = new NodeMongoClient(`${sim.uri}?directConnection=true&serverSelectionTimeoutMS=10000`);
  await direct.db('admin').command({ replSetInitiate: 1 });
  // a primary before the test: poll hello (the set elects its one member)
  for (let i = 0; i < 150 && !(await direct.db('admin').command({ hello: 1 })).isWritablePrimary; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await direct.db('app').createCollection('todos');
  gateway = await startGateway(
    validateGatewayConfig({
      listen: { port: 0 },
      cluster: { uri: { value: `mongodb://${sim.address}/?replicaSet=gwtxn&serverSelectionTimeoutMS=10000` } },
      jwt: { secret: { value: SECRET }, issuer: 'iss', audience: 'aud' },
      rules: [{ name: 'todos', roles: ['*'], database: 'app', collection: 'todos', actions: ['find', 'insert', 'update', 'delete', 'findAndModify'], filter: { owner: '%%user.sub' } }],
    }),
    { log: () => undefined },
  );
  ann = new MongoClient(`${GATEWAY_URI}app`, { gateway: { url: gateway.url, token: await sign('ann'), WebSocket: WS } });
  ben = new MongoClient(`${GATEWAY_URI}app`, { gateway: { url: gateway.url, token: await sign('ben'), WebSocket: WS } });
}, 60_000);

afterAll(async () => {
  await ann?.close();
  await ben?.close();
  await gateway?.close();
  await direct?.close();
  await sim?.close();
});

type Todo = { _id?: unknown; t: string; owner?: string; n?: number };
const todos = (c: MongoClient) => c.db().collection<Todo>('todos');
const directTodos = () => direct.db('app').collection<Todo>('todos');

describe('transactions through the gateway (web client, replica set)', () => {
  it('startTransaction + commit: invisible outside until committed, then written with the owner filled in', async () => {
    const session = ann.startSession();
    try {
      session.startTransaction();
      await todos(ann).insertOne({ t: 'tx-1' }, { session });
      await todos(ann).insertOne({ t: 'tx-2' }, { session });
      // inside: the transaction's own writes; outside: nothing yet
      expect((await todos(ann).find({ t: /^tx-/ }, { session }).toArray()).map((d) => d.t).sort()).toEqual(['tx-1', 'tx-2']);
      expect(await directTodos().countDocuments({ t: /^tx-/ })).toBe(0);
      expect(gateway.service.openTransactions).toBe(1);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(gateway.service.openTransactions).toBe(0);
    expect((await directTodos().find({ t: /^tx-/ }).toArray()).map((d) => [d.t, d.owner]).sort()).toEqual([
      ['tx-1', 'ann'],
      ['tx-2', 'ann'],
    ]);
  });

  it('abortTransaction: nothing of it is written', async () => {
    const session = ann.startSession();
    try {
      session.startTransaction();
      await todos(ann).insertOne({ t: 'aborted' }, { session });
      await todos(ann).updateMany({ t: /^tx-/ }, { $set: { n: 99 } }, { session });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await directTodos().countDocuments({ t: 'aborted' })).toBe(0);
    expect(await directTodos().countDocuments({ n: 99 })).toBe(0);
    expect(gateway.service.openTransactions).toBe(0);
  });

  it('withTransaction commits its callback; the rules apply to each statement inside', async () => {
    await todos(ben).insertOne({ t: 'ben-own', n: 1 });
    const session = ann.startSession();
    try {
      const seen = await session.withTransaction(async () => {
        await todos(ann).insertOne({ t: 'with-1' }, { session });
        await todos(ann).updateOne({ t: 'with-1' }, { $set: { n: 2 } }, { session });
        // the filter template inside the transaction: ben's document is not there for ann
        const touched = await todos(ann).updateMany({ t: 'ben-own' }, { $set: { n: 666 } }, { session });
        return { visible: (await todos(ann).find({}, { session }).toArray()).map((d) => d.owner), touched: touched.matchedCount };
      });
      expect(new Set(seen.visible)).toEqual(new Set(['ann']));
      expect(seen.touched).toBe(0);
    } finally {
      await session.endSession();
    }
    expect(await directTodos().findOne({ t: 'with-1' })).toMatchObject({ owner: 'ann', n: 2 });
    expect(await directTodos().findOne({ t: 'ben-own' })).toMatchObject({ owner: 'ben', n: 1 });
  });

  it('a refused statement (code 13) fails withTransaction, and the earlier statements are not written', async () => {
    const session = ann.startSession();
    try {
      const error = await session
        .withTransaction(async () => {
          await todos(ann).insertOne({ t: 'before-refusal' }, { session });
          await todos(ann).updateOne({ t: 'before-refusal' }, { $set: { owner: 'ben' } }, { session });
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      expect(error).toMatchObject({ code: 13, message: expect.stringMatching(/owner/) });
      expect(session.inTransaction()).toBe(false);
    } finally {
      await session.endSession();
    }
    expect(await directTodos().countDocuments({ t: 'before-refusal' })).toBe(0);
    expect(gateway.service.openTransactions).toBe(0);
  });

  it('two principals in transactions at once, each on its own documents, both committed', async () => {
    const a = ann.startSession();
    const b = ben.startSession();
    try {
      a.startTransaction();
      b.startTransaction();
      await todos(ann).insertOne({ t: 'both-ann' }, { session: a });
      await todos(ben).insertOne({ t: 'both-ben' }, { session: b });
      expect((await todos(ben).find({ t: /^both-/ }, { session: b }).toArray()).map((d) => d.t)).toEqual(['both-ben']);
      expect(gateway.service.openTransactions).toBe(2);
      await a.commitTransaction();
      await b.commitTransaction();
    } finally {
      await a.endSession();
      await b.endSession();
    }
    expect((await directTodos().find({ t: /^both-/ }).sort({ t: 1 }).toArray()).map((d) => [d.t, d.owner])).toEqual([
      ['both-ann', 'ann'],
      ['both-ben', 'ben'],
    ]);
  });
});
