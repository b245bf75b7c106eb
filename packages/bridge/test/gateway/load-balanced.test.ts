/**
 * The gateway's load-balanced face (docs/gateway.md): a hello with `loadBalanced: true`
 * gets the mongos reply plus the gateway's serviceId; and a failed handshake ends the
 * channel, so a command a client pipelined behind its hello (handshake pipelining) is
 * never run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'bson';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { MongoBridgeError } from '@mongo-edge/core/internal';
import { startGateway, type GatewayHandle } from '../../src/gateway/index.js';
import { openCommandSocket, wsTransport } from '../helpers.js';
import { gatewayConfig, gatewayEnv, tokenFor } from './support.js';

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

describe('gateway load-balanced face', () => {
  it('answers hello with loadBalanced: true with one serviceId per gateway; without it, as a mongos with none', async () => {
    const t = wsTransport(gateway.url, { token: await tokenFor('alice') });
    try {
      const a = await openCommandSocket(t, 'gateway:27017');
      const b = await openCommandSocket(t, 'gateway:27017');
      const lbA = await a.command({ hello: 1, helloOk: true, loadBalanced: true });
      const lbB = await b.command({ hello: 1, loadBalanced: true });
      expect(lbA).toMatchObject({ ok: 1, isWritablePrimary: true, msg: 'isdbgrid', helloOk: true });
      expect(lbA.serviceId).toBeInstanceOf(ObjectId);
      expect(String(lbB.serviceId)).toBe(String(lbA.serviceId));
      const mongos = await a.command({ hello: 1 });
      expect(mongos).toMatchObject({ ok: 1, msg: 'isdbgrid' });
      expect(mongos.serviceId).toBeUndefined();
      expect(mongos.maxMessageSizeBytes).toBe(48_000_000);
    } finally {
      await t.close();
    }
  });

  it('a failed hello ends the channel: the insert pipelined behind it is not run', async () => {
    const t = wsTransport(gateway.url, { token: await tokenFor('alice') });
    try {
      const s = await openCommandSocket(t, 'gateway:27017');
      // Both leave at once; the hello names an invalid $db, so it fails.
      const hello = s.command({ hello: 1, loadBalanced: true, $db: 'bad.db' });
      const insert = s.command({ insert: 'notes', documents: [{ text: 'pipelined' }], $db: 'app' }).catch((e: unknown) => e);
      expect(await hello).toMatchObject({ ok: 0, code: 73 });
      const error = await insert;
      expect(error).toBeInstanceOf(MongoBridgeError);
      expect((error as MongoBridgeError).message).toMatch(/handshake \(hello\) failed/);
      expect(await direct.db('app').collection('notes').countDocuments({ text: 'pipelined' })).toBe(0);
      // the same insert after a good hello is run: the refusal above was the handshake's
      const ok = await openCommandSocket(t, 'gateway:27017');
      expect(await ok.command({ hello: 1, loadBalanced: true })).toMatchObject({ ok: 1 });
      expect(await ok.command({ insert: 'notes', documents: [{ text: 'pipelined' }], $db: 'app' })).toMatchObject({ ok: 1, n: 1 });
      expect(await direct.db('app').collection('notes').countDocuments({ text: 'pipelined' })).toBe(1);
    } finally {
      await t.close();
    }
  });
});
