/**
 * BSON type fidelity through the gateway (docs/gateway.md "BSON types"): what a client
 * writes is stored with its types, and what the cluster holds comes back with its types
 * (an int64 that fits in a double stays int64, a double 1.0 stays a double), checked on
 * the wire (replies decoded without promotion, writes read back so).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal128, Double, Int32, Long } from 'bson';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { MessageFramer, decodeOpMsg, encodeOpMsg, newRequestId, type WebSocketTransport } from '@mongo-edge/core/internal';
import type { Document, TransportSocket } from '@mongo-edge/core';
import { startGateway, type GatewayHandle } from '../../src/gateway/index.js';
import { restoreDoubles } from '../../src/gateway/exact-types.js';
import { wsTransport } from '../helpers.js';
import { gatewayConfig, gatewayEnv, tokenFor } from './support.js';

/** One channel; replies decoded without promoting numbers. */
async function exactChannel(t: WebSocketTransport): Promise<(body: Document) => Promise<Document>> {
  const socket: TransportSocket = await t.connect({ host: 'gateway', port: 27017, connectTimeoutMS: 5000 });
  const framer = new MessageFramer();
  const waiters: Array<(d: Document) => void> = [];
  socket.setHandlers({
    data: (chunk) => {
      for (const m of framer.push(chunk)) waiters.shift()?.(decodeOpMsg(m, { bson: { promoteValues: false } }).body);
    },
    close: () => undefined,
  });
  const run = (body: Document) =>
    new Promise<Document>((resolve) => {
      waiters.push(resolve);
      socket.send(encodeOpMsg({ requestId: newRequestId(), body }));
    });
  await run({ hello: 1, $db: 'admin' });
  return run;
}

let sim: SimHandle;
let gateway: GatewayHandle;
let direct: NodeMongoClient;

beforeAll(async () => {
  sim = await startSim({ quiet: true });
  direct = new NodeMongoClient(`${sim.uri}?directConnection=true`);
  gateway = await startGateway(gatewayConfig({ uri: { value: `mongodb://${sim.address}/` }, options: { directConnection: true } }), { env: gatewayEnv(), log: () => undefined });
});

afterAll(async () => {
  await direct?.close();
  await gateway?.close();
  await sim?.close();
});

const VALUES = {
  long: Long.fromNumber(5),
  bigLong: Long.fromString('9007199254740993'),
  double: new Double(1),
  int: new Int32(7),
  decimal: Decimal128.fromString('1.5'),
};

describe('gateway BSON type fidelity', () => {
  it('a client write keeps Long, Double(1.0), Int32 and Decimal128 in the cluster', async () => {
    const t = wsTransport(gateway.url, { token: await tokenFor('alice') });
    try {
      const run = await exactChannel(t);
      const r = await run({ insert: 'notes', documents: [{ _id: 'w1', ...VALUES }], $db: 'app' });
      expect(Number(r.ok)).toBe(1);
      // read back on the wire without promotion (the read path keeps types: next test)
      const stored = async () => ((await run({ find: 'notes', filter: { _id: 'w1' }, $db: 'app' })).cursor as { firstBatch: Document[] }).firstBatch[0]!;
      const doc = await stored();
      expect(doc.long).toBeInstanceOf(Long);
      expect(doc.bigLong).toBeInstanceOf(Long);
      expect(String(doc.bigLong)).toBe('9007199254740993');
      expect(doc.double).toBeInstanceOf(Double);
      expect(doc.int).toBeInstanceOf(Int32);
      expect(doc.decimal).toBeInstanceOf(Decimal128);
      // an update operator's value keeps its type too
      await run({ update: 'notes', updates: [{ q: { _id: 'w1' }, u: { $set: { d2: new Double(2) } } }], $db: 'app' });
      expect((await stored()).d2).toBeInstanceOf(Double);
    } finally {
      await t.close();
    }
  });

  it('a read returns the cluster\'s Long, Double(1.0), Int32 and Decimal128 with their types', async () => {
    await direct.db('app').collection('notes').insertOne({ _id: 'r1' as never, owner: 'alice', ...VALUES });
    const t = wsTransport(gateway.url, { token: await tokenFor('alice') });
    try {
      const run = await exactChannel(t);
      const reply = await run({ find: 'notes', filter: { _id: 'r1' }, $db: 'app' });
      const doc = (reply.cursor as { firstBatch: Document[] }).firstBatch[0]!;
      expect(doc.long).toBeInstanceOf(Long);
      expect(String(doc.long)).toBe('5');
      expect(doc.bigLong).toBeInstanceOf(Long);
      expect(String(doc.bigLong)).toBe('9007199254740993');
      expect(doc.double).toBeInstanceOf(Double);
      expect((doc.double as Double).value).toBe(1);
      expect(doc.int).toBeInstanceOf(Int32);
      expect(doc.decimal).toBeInstanceOf(Decimal128);
      expect(String(doc.decimal)).toBe('1.5');
      expect((reply.cursor as { id: unknown }).id).toBeInstanceOf(Long);
    } finally {
      await t.close();
    }
  });
});

describe('restoreDoubles', () => {
  it('puts the client\'s Double back only where the command still holds the client\'s value', () => {
    const exact = { find: 'c', filter: { a: new Double(1) }, limit: new Double(5000), documents: [{ x: new Double(2), y: new Double(2.5) }] };
    const command = { find: 'c', filter: { $and: [{ owner: 'u' }, { a: 1 }] }, limit: 1000, documents: [{ x: 2, y: 2.5, owner: 'u' }] };
    restoreDoubles(command, exact);
    expect(command.limit).toBe(1000); // clamped by the gateway: its own value
    expect(command.filter).toEqual({ $and: [{ owner: 'u' }, { a: 1 }] }); // rewritten path: untouched
    expect(command.documents[0]!.x).toBeInstanceOf(Double);
    expect(command.documents[0]!.y).toBe(2.5); // not integral: the encoder keeps it a double
    expect(command.documents[0]!.owner).toBe('u');
  });
});
