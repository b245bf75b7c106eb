/**
 * Transactions through the gateway, command by command over raw channels, against a
 * one-member sim replica set: another principal's lsid names nothing of the owner's
 * (commit -> NoSuchTransaction 251, the owner's transaction unharmed); killSessions
 * touches only the caller's own; a client that disconnects mid-transaction has its
 * transaction aborted upstream; the transaction quota and the documents quota.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long, UUID, type Document } from 'bson';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { startGateway, validateGatewayConfig, type GatewayHandle } from '../../src/gateway/index.js';
import { captureLogs, openCommandSocket, waitFor, wsTransport, type CommandSocket } from '../helpers.js';
import { AUDIENCE, ISSUER, JWT_SECRET, tokenFor } from './support.js';

let sim: SimHandle;
let direct: NodeMongoClient;
const logs = captureLogs();
const gateways: GatewayHandle[] = [];
const transports: ReturnType<typeof wsTransport>[] = [];

async function startReplicaSet(): Promise<void> {
  sim = await startSim({ port: 0, replSet: 'gwtxnraw', quiet: true });
  direct = new NodeMongoClient(`${sim.uri}?directConnection=true&serverSelectionTimeoutMS=10000`);
  await direct.db('admin').command({ replSetInitiate: 1 });
  // a primary before the tests: poll hello (the set elects its one member)
  for (let i = 0; i < 150 && !(await direct.db('admin').command({ hello: 1 })).isWritablePrimary; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await direct.db('app').createCollection('notes');
}

async function gatewayWith(quotas: Record<string, number> = {}): Promise<GatewayHandle> {
  const g = await startGateway(
    validateGatewayConfig({
      listen: { port: 0 },
      cluster: { uri: { value: `mongodb://${sim.address}/?replicaSet=gwtxnraw&serverSelectionTimeoutMS=10000` } },
      jwt: { secret: { value: JWT_SECRET }, issuer: ISSUER, audience: AUDIENCE },
      quotas,
      rules: [{ name: 'own-notes', roles: ['*'], database: 'app', collection: 'notes', actions: ['find', 'insert', 'update'], filter: { owner: '%%user.sub' } }],
    }),
    { log: logs.sink },
  );
  gateways.push(g);
  return g;
}

async function channelOf(g: GatewayHandle, sub: string): Promise<{ s: CommandSocket; close: () => Promise<void> }> {
  const t = wsTransport(g.url, { token: await tokenFor(sub) });
  transports.push(t);
  const s = await openCommandSocket(t, 'gateway:27017');
  expect(await s.command({ hello: 1, loadBalanced: true })).toMatchObject({ ok: 1 });
  return { s, close: () => t.close() };
}

const lsidOf = () => ({ id: new UUID() });
const inTxn = (lsid: Document, n: number, start = false) => ({ lsid, txnNumber: Long.fromNumber(n), autocommit: false, ...(start ? { startTransaction: true } : {}) });

beforeAll(startReplicaSet, 60_000);

afterAll(async () => {
  for (const t of transports) await t.close().catch(() => undefined);
  for (const g of gateways) await g.close();
  await direct?.close();
  await sim?.close();
});

describe('transactions through the gateway (raw channels, replica set)', () => {
  let gateway: GatewayHandle;
  beforeAll(async () => {
    gateway = await gatewayWith();
  });

  it('checks the transaction fields as mongod does before anything is sent', async () => {
    const { s } = await channelOf(gateway, 'alice');
    const lsid = lsidOf();
    expect(await s.command({ find: 'notes', $db: 'app', lsid, txnNumber: 1, startTransaction: true })).toMatchObject({ ok: 0, code: 72, errmsg: expect.stringMatching(/autocommit: false/) });
    expect(await s.command({ find: 'notes', $db: 'app', lsid, txnNumber: 1, autocommit: true })).toMatchObject({ ok: 0, code: 72 });
    expect(await s.command({ find: 'notes', $db: 'app', autocommit: false, txnNumber: 1, startTransaction: true })).toMatchObject({ ok: 0, code: 72, errmsg: expect.stringMatching(/lsid/) });
    expect(await s.command({ find: 'notes', $db: 'app', lsid, autocommit: false, startTransaction: true })).toMatchObject({ ok: 0, code: 72, errmsg: expect.stringMatching(/txnNumber/) });
    expect(await s.command({ commitTransaction: 1, lsid, txnNumber: 1 })).toMatchObject({ ok: 0, code: 72 });
  });

  it('another principal\'s lsid: commit -> NoSuchTransaction 251 (its own namespace), the owner\'s transaction unharmed and committed', async () => {
    const alice = await channelOf(gateway, 'alice');
    const mallory = await channelOf(gateway, 'mallory');
    const lsid = lsidOf();
    expect(await alice.s.command({ insert: 'notes', documents: [{ text: 'alice-txn' }], $db: 'app', ...inTxn(lsid, 1, true) })).toMatchObject({ ok: 1, n: 1 });
    const stolenCommit = await mallory.s.command({ commitTransaction: 1, ...inTxn(lsid, 1) });
    expect(stolenCommit).toMatchObject({ ok: 0, code: 251, codeName: 'NoSuchTransaction' });
    const stolenAbort = await mallory.s.command({ abortTransaction: 1, ...inTxn(lsid, 1) });
    expect(stolenAbort).toMatchObject({ ok: 0, code: 251 });
    // a statement in "alice's" transaction from mallory: not alice's session either
    const stolenRead = await mallory.s.command({ find: 'notes', filter: {}, $db: 'app', ...inTxn(lsid, 1) });
    expect(stolenRead).toMatchObject({ ok: 0, code: 251 });
    expect(await direct.db('app').collection('notes').countDocuments({ text: 'alice-txn' })).toBe(0);
    expect(await alice.s.command({ commitTransaction: 1, ...inTxn(lsid, 1) })).toMatchObject({ ok: 1 });
    expect(await direct.db('app').collection('notes').findOne({ text: 'alice-txn' })).toMatchObject({ owner: 'alice' });
  });

  it('killSessions touches only the caller\'s own sessions; an empty list is refused', async () => {
    const alice = await channelOf(gateway, 'alice');
    const bob = await channelOf(gateway, 'bob');
    const shared = lsidOf();
    const own = lsidOf();
    expect(await bob.s.command({ insert: 'notes', documents: [{ text: 'bob-kept' }], $db: 'app', ...inTxn(shared, 1, true) })).toMatchObject({ ok: 1 });
    expect(await alice.s.command({ insert: 'notes', documents: [{ text: 'alice-killed' }], $db: 'app', ...inTxn(own, 1, true) })).toMatchObject({ ok: 1 });
    expect(await alice.s.command({ killSessions: [] })).toMatchObject({ ok: 0, code: 13, errmsg: expect.stringMatching(/every user/) });
    expect(await alice.s.command({ killSessions: [shared, own] })).toMatchObject({ ok: 1 });
    expect(await alice.s.command({ commitTransaction: 1, ...inTxn(own, 1) })).toMatchObject({ ok: 0, code: 251 });
    expect(await bob.s.command({ commitTransaction: 1, ...inTxn(shared, 1) })).toMatchObject({ ok: 1 });
    expect(await direct.db('app').collection('notes').countDocuments({ text: 'bob-kept' })).toBe(1);
    expect(await direct.db('app').collection('notes').countDocuments({ text: 'alice-killed' })).toBe(0);
  });

  it('a client that disconnects mid-transaction has its transaction aborted upstream', async () => {
    const carol = await channelOf(gateway, 'carol');
    const lsid = lsidOf();
    expect(await carol.s.command({ insert: 'notes', documents: [{ text: 'carol-left' }], $db: 'app', ...inTxn(lsid, 3, true) })).toMatchObject({ ok: 1 });
    expect(gateway.service.openTransactions).toBe(1);
    await carol.close();
    // what this waits for: the gateway's log line of the upstream abort after the channel closed
    await waitFor(() => logs.events('gateway.transaction.aborted').some((e) => e.principal === 'carol'), 30_000, 'the upstream abort of carol\'s transaction');
    const line = logs.events('gateway.transaction.aborted').find((e) => e.principal === 'carol')!;
    // no error: mongod had the transaction open and aborted it
    expect(line).toMatchObject({ reason: 'client disconnected' });
    expect(line.error).toBeUndefined();
    expect(gateway.service.openTransactions).toBe(0);
    // the same session (same principal, same lsid) from a new connection: the transaction is gone
    const again = await channelOf(gateway, 'carol');
    expect(await again.s.command({ commitTransaction: 1, ...inTxn(lsid, 3) })).toMatchObject({ ok: 0, code: 251 });
    expect(await direct.db('app').collection('notes').countDocuments({ text: 'carol-left' })).toBe(0);
  });
});

describe('per-principal quotas', () => {
  let gateway: GatewayHandle;
  beforeAll(async () => {
    gateway = await gatewayWith({ maxTransactionsPerPrincipal: 1, documentsPerWindow: 6, quotaWindowSeconds: 3600 });
  });

  it('maxTransactionsPerPrincipal: a second open transaction of the same user is refused naming the quota; others are not', async () => {
    const dan = await channelOf(gateway, 'dan');
    const erin = await channelOf(gateway, 'erin');
    const [l1, l2, l3] = [lsidOf(), lsidOf(), lsidOf()];
    expect(await dan.s.command({ find: 'notes', filter: {}, $db: 'app', ...inTxn(l1, 1, true) })).toMatchObject({ ok: 1 });
    expect(await dan.s.command({ find: 'notes', filter: {}, $db: 'app', ...inTxn(l2, 1, true) })).toMatchObject({
      ok: 0,
      code: 13,
      errmsg: expect.stringMatching(/quota maxTransactionsPerPrincipal exceeded: 1 of 1/),
    });
    expect(await erin.s.command({ find: 'notes', filter: {}, $db: 'app', ...inTxn(l3, 1, true) })).toMatchObject({ ok: 1 });
    expect(await dan.s.command({ abortTransaction: 1, ...inTxn(l1, 1) })).toMatchObject({ ok: 1 });
    expect(await dan.s.command({ find: 'notes', filter: {}, $db: 'app', ...inTxn(l2, 1, true) })).toMatchObject({ ok: 1 });
    expect(await dan.s.command({ abortTransaction: 1, ...inTxn(l2, 1) })).toMatchObject({ ok: 1 });
    expect(await erin.s.command({ abortTransaction: 1, ...inTxn(l3, 1) })).toMatchObject({ ok: 1 });
  });

  it('documentsPerWindow: documents written and returned are counted; over the quota a command is refused naming it', async () => {
    const fay = await channelOf(gateway, 'fay');
    const gus = await channelOf(gateway, 'gus');
    expect(await fay.s.command({ insert: 'notes', documents: [{ text: 'f1' }, { text: 'f2' }, { text: 'f3' }], $db: 'app' })).toMatchObject({ ok: 1, n: 3 });
    const read = await fay.s.command({ find: 'notes', filter: {}, batchSize: 2, $db: 'app' });
    expect(read.cursor.firstBatch).toHaveLength(2); // 5 of 6
    const more = await fay.s.command({ getMore: read.cursor.id, collection: 'notes', $db: 'app' });
    expect(more.cursor.nextBatch).toHaveLength(1); // 6 of 6
    const refused = await fay.s.command({ find: 'notes', filter: {}, $db: 'app' });
    expect(refused).toMatchObject({ ok: 0, code: 13, errmsg: expect.stringMatching(/quota documentsPerWindow exceeded: 6 of 6 documents read or written in 3600 s/) });
    expect(await fay.s.command({ insert: 'notes', documents: [{ text: 'f4' }], $db: 'app' })).toMatchObject({ ok: 0, code: 13 });
    expect(await direct.db('app').collection('notes').countDocuments({ owner: 'fay' })).toBe(3);
    // another principal has its own window
    expect(await gus.s.command({ insert: 'notes', documents: [{ text: 'g1' }], $db: 'app' })).toMatchObject({ ok: 1, n: 1 });
  });
});
