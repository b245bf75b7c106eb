/**
 * A fuzzer of hostile commands through the gateway (seeded, reproducible): random
 * command names, namespaces, filters, pipelines, update specs and envelope fields,
 * mixed with known bypass shapes, sent as alice on raw channels. Properties:
 *  - every command gets a reply (ok 1 or a typed ok 0); the gateway never crashes;
 *  - no reply carries a document of bob's or of the secrets collection;
 *  - afterwards, a direct read finds bob's documents and the secrets unchanged, every
 *    document still owned by alice or bob, and no collection the rules do not name;
 *  - only allowlisted commands ever reached the cluster (not an open proxy);
 *  - malformed wire messages (other opcodes, truncated, bad BSON) fail only their channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long } from 'bson';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import type { Document } from '@mongo-edge/core';
import { encodeBridgeDataFrame } from '@mongo-edge/core/internal';
import { startGateway, type GatewayHandle } from '../../src/gateway/index.js';
import { openCommandSocket, wsTransport, type CommandSocket } from '../helpers.js';
import { seededRandom } from '../../../core/test/support/seeded-random.js';
import { gatewayConfig, gatewayEnv, tokenFor } from './support.js';

const SEED = Number(process.env.GATEWAY_FUZZ_SEED ?? 20261205);
const ROUNDS = 400;

let sim: SimHandle;
let gateway: GatewayHandle;
let direct: NodeMongoClient;
const reached = new Set<string>();

beforeAll(async () => {
  sim = await startSim({ quiet: true });
  direct = new NodeMongoClient(`${sim.uri}?directConnection=true`);
  const app = direct.db('app');
  await app.collection('notes').insertMany([
    ...Array.from({ length: 6 }, (_, i) => ({ _id: `a${i}`, owner: 'alice', n: i, tags: ['x', 'y'], nested: { k: i } })),
    ...Array.from({ length: 6 }, (_, i) => ({ _id: `b${i}`, owner: 'bob', n: i, tags: ['x'], nested: { k: i } })),
  ]);
  await app.collection('secrets').insertMany([{ _id: 's1', secret: true, owner: 'alice' }, { _id: 's2', secret: true, owner: 'bob' }]);
  await app.collection('public').insertMany([{ _id: 'p1', title: 'hello' }]);
  gateway = await startGateway(gatewayConfig({ uri: { value: `mongodb://${sim.address}/` }, options: { directConnection: true, monitorCommands: true } }), {
    env: gatewayEnv(),
    log: () => undefined,
  });
  gateway.service.cluster.on('commandStarted', (e) => reached.add(e.commandName));
});

afterAll(async () => {
  await gateway?.close();
  await direct?.close();
  await sim?.close();
});

function generator(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const scalar = () => pick<unknown>(['alice', 'bob', 1, 0, -1, true, null, 'x', new Long(5), 1e308, '', '$owner', '$$ROOT']);
  const field = () => pick(['owner', 'n', 'tags', 'nested.k', '_id', 'secret', '$where', '$expr', '$or', 'x.$[]']);
  const filter = (d = 0): Document => {
    if (d > 3) return { [field()]: scalar() };
    return pick<() => Document>([
      () => ({}),
      () => ({ owner: 'bob' }),
      () => ({ $or: [{ owner: 'bob' }, { owner: 'alice' }] }),
      () => ({ $nor: [{ owner: 'alice' }] }),
      () => ({ $expr: { $ne: ['$owner', 'alice'] } }),
      () => ({ $where: 'this.owner == "bob"' }),
      () => ({ $expr: { $function: { body: 'return true', args: [], lang: 'js' } } }),
      () => ({ owner: { $in: ['bob', 'alice'] } }),
      () => ({ [field()]: { [pick(['$gt', '$ne', '$exists', '$regex', '$elemMatch', '$not', '$bogus'])]: scalar() } }),
      () => ({ $and: [filter(d + 1), filter(d + 1)] }),
      () => ({ [field()]: scalar() }),
    ])();
  };
  const stage = (d = 0): Document =>
    pick<() => Document>([
      () => ({ $match: filter() }),
      () => ({ $lookup: { from: pick(['secrets', 'notes', 'public', 'nope']), localField: 'owner', foreignField: 'owner', as: 'j' } }),
      () => ({ $lookup: { from: pick(['secrets', 'notes']), pipeline: [{ $match: {} }], as: 'j' } }),
      () => ({ $unionWith: pick<unknown>(['secrets', 'notes', { coll: 'notes', pipeline: [{ $match: { owner: 'bob' } }] }]) }),
      () => ({ $graphLookup: { from: pick(['secrets', 'notes']), startWith: '$owner', connectFromField: 'owner', connectToField: 'owner', as: 'g' } }),
      () => ({ $facet: { a: d < 2 ? [stage(d + 1)] : [] } }),
      () => ({ $out: 'stolen' }),
      () => ({ $merge: { into: 'stolen' } }),
      () => ({ $group: { _id: '$owner', all: { $push: '$$ROOT' } } }),
      () => ({ $group: { _id: null, a: { $accumulator: { init: 'function(){}' } } } }),
      () => ({ $replaceWith: { $literal: { owner: 'bob' } } }),
      () => ({ $project: { owner: 1, n: 1 } }),
      () => ({ $collStats: {} }),
      () => ({ $documents: [{ owner: 'bob' }] }),
      () => ({ $set: { owner: 'bob' } }),
      () => ({ $limit: pick<unknown>([1, -1, 0, 'x', 1000000]) }),
    ])();
  const update = (): unknown =>
    pick<() => unknown>([
      () => ({ $set: { owner: 'bob' } }),
      () => ({ $set: { n: 99 } }),
      () => ({ $unset: { owner: '' } }),
      () => ({ $rename: { n: 'owner' } }),
      () => ({ $set: { 'nested.k': 1 } }),
      () => ({ owner: 'bob', n: 1 }),
      () => ({ n: 1 }),
      () => [{ $set: { owner: 'bob' } }],
      () => ({ $setOnInsert: { owner: 'bob' } }),
      () => ({ $bogus: { n: 1 } }),
      () => ({ $inc: { n: 1 } }),
    ])();
  const coll = () => pick<unknown>(['notes', 'notes', 'notes', 'secrets', 'public', '', 'system.users', 42, { $ne: 1 }]);
  const command = (): Document => {
    const c = coll();
    const cmd = pick<() => Document>([
      () => ({ find: c, filter: filter(), projection: pick<unknown>([undefined, { owner: 1 }, { secret: 1 }, { _id: 0 }]), limit: pick<unknown>([undefined, 0, 5, -1, 1e9]), batchSize: pick<unknown>([undefined, 1, 2]) }),
      () => ({ aggregate: c, pipeline: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => stage()), cursor: pick<unknown>([{}, { batchSize: 1 }, undefined]) }),
      () => ({ count: c, query: filter() }),
      () => ({ distinct: c, key: pick(['owner', 'secret', 'n']), query: filter() }),
      () => ({ insert: c, documents: [pick<Document>([{ owner: 'bob', n: 1 }, { n: 1 }, { owner: 'alice', n: 2 }, { _id: 'b0', owner: 'alice' }])] }),
      () => ({ update: c, updates: [{ q: filter(), u: update(), upsert: rand() < 0.3, multi: rand() < 0.5 }] }),
      () => ({ delete: c, deletes: [{ q: filter(), limit: pick([0, 1]) }] }),
      () => ({ findAndModify: c, query: filter(), update: update(), upsert: rand() < 0.3, new: true }),
      () => ({ findAndModify: c, query: filter(), remove: true }),
      () => ({ getMore: pick<unknown>([new Long(1), Long.fromString('123456789'), 0, 'x']), collection: c }),
      () => ({ killCursors: c, cursors: [new Long(7)] }),
      () => ({ [pick(['drop', 'collMod', 'create', 'createIndexes', 'mapReduce', 'eval', 'explain', 'listDatabases', 'killAllSessions', 'shutdown', 'saslStart', 'replSetStepDown', 'bulkWrite', 'currentOp', 'dropDatabase', 'renameCollection', 'applyOps'])]: c }),
      () => ({ explain: { find: 'notes', filter: filter() } }),
      () => ({ listCollections: 1, filter: filter() }),
      () => ({ find: c, filter: filter(), startTransaction: true, autocommit: false, txnNumber: new Long(1), lsid: { id: 'x' } }),
      () => ({ [pick(['commitTransaction', 'abortTransaction'])]: 1, autocommit: pick<unknown>([false, false, true, undefined]), txnNumber: new Long(1), lsid: { id: 'x' } }),
      () => ({ killSessions: pick<unknown>([[], [{ id: 'x' }], 'all', [1]]) }),
      () => ({ find: c, $where: 'x', filter: {} }),
    ])();
    const out: Document = {};
    for (const [k, v] of Object.entries(cmd)) if (v !== undefined) out[k] = v;
    out.$db = pick(['app', 'app', 'app', 'admin', 'local', 'config']);
    return out;
  };
  return { command };
}

/** Every document-like object in a reply (cursor batches, findAndModify value, nested lookups). */
function* documents(v: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (depth > 50 || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (const x of v) yield* documents(x, depth + 1);
    return;
  }
  const o = v as Record<string, unknown>;
  if ('owner' in o || 'secret' in o) yield o;
  for (const x of Object.values(o)) yield* documents(x, depth + 1);
}

describe('gateway fuzzer', () => {
  it(`${ROUNDS} hostile commands (seed ${SEED}): always a reply, never another user's document, nothing outside the rules reaches the cluster`, async () => {
    const before = {
      bob: await direct.db('app').collection('notes').find({ owner: 'bob' }).sort({ _id: 1 }).toArray(),
      secrets: await direct.db('app').collection('secrets').find({}).sort({ _id: 1 }).toArray(),
    };
    const gen = generator(seededRandom(SEED));
    const transport = wsTransport(gateway.url, { token: await tokenFor('alice') });
    let socket: CommandSocket = await openCommandSocket(transport, 'gateway:27017');
    const leaks: string[] = [];
    let refused = 0;
    try {
      for (let i = 0; i < ROUNDS; i++) {
        const cmd = gen.command();
        let reply: Document;
        try {
          reply = await socket.command(cmd);
        } catch (e) {
          throw new Error(`round ${i}: no reply to ${JSON.stringify(cmd)}: ${(e as Error).message}`);
        }
        expect([0, 1]).toContain(reply.ok);
        if (reply.ok === 0) {
          refused += 1;
          expect(typeof reply.code).toBe('number');
          expect(typeof reply.errmsg).toBe('string');
        }
        for (const d of documents(reply)) {
          if (d.secret !== undefined || (d.owner !== undefined && d.owner !== 'alice')) leaks.push(`round ${i}: ${JSON.stringify(cmd)} -> ${JSON.stringify(d)}`);
        }
        if (socket.closed) socket = await openCommandSocket(transport, 'gateway:27017');
      }
    } finally {
      await transport.close();
    }
    expect(leaks).toEqual([]);
    expect(refused).toBeGreaterThan(ROUNDS / 4);
    // direct read of the same data: bob's documents and the secrets are untouched, every owner is a user
    expect(await direct.db('app').collection('notes').find({ owner: 'bob' }).sort({ _id: 1 }).toArray()).toEqual(before.bob);
    expect(await direct.db('app').collection('secrets').find({}).sort({ _id: 1 }).toArray()).toEqual(before.secrets);
    const owners = await direct.db('app').collection('notes').distinct('owner');
    expect(owners.filter((o) => o !== 'alice' && o !== 'bob')).toEqual([]);
    expect(await direct.db('app').collection('notes').countDocuments({ owner: { $exists: false } })).toBe(0);
    const names = (await direct.db('app').listCollections().toArray()).map((c) => c.name).sort();
    expect(names).toEqual(['notes', 'public', 'secrets']);
    const allowed = new Set(['find', 'aggregate', 'count', 'distinct', 'insert', 'update', 'delete', 'findAndModify', 'getMore', 'killCursors', 'listCollections', 'listIndexes', 'endSessions', 'killSessions', 'commitTransaction', 'abortTransaction']);
    expect([...reached].filter((n) => !allowed.has(n))).toEqual([]);
  });

  it('malformed wire messages fail only their channel; the gateway keeps serving', async () => {
    const transport = wsTransport(gateway.url, { token: await tokenFor('alice') });
    try {
      const header = (len: number, op: number) => {
        const b = new Uint8Array(len);
        const v = new DataView(b.buffer);
        v.setInt32(0, len, true);
        v.setInt32(4, 1, true);
        v.setInt32(12, op, true);
        return b;
      };
      const opQuery = header(64, 2004);
      const truncatedMsg = header(21, 2013);
      const badBson = header(30, 2013);
      new DataView(badBson.buffer).setInt32(21, 9, true); // section kind 0, doc length 9 but garbage
      const compressed = header(40, 2012);
      for (const bad of [opQuery, truncatedMsg, badBson, compressed]) {
        const s = await openCommandSocket(transport, 'gateway:27017');
        s.socket.send([bad]);
        await s.waitClosed();
        expect(s.closeError?.message ?? '').toMatch(/OP_MSG|protocol|message/i);
      }
      const ok = await openCommandSocket(transport, 'gateway:27017');
      expect(await ok.command({ ping: 1 })).toMatchObject({ ok: 1 });
      expect(encodeBridgeDataFrame).toBeTypeOf('function');
    } finally {
      await transport.close();
    }
  });
});
