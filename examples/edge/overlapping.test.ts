/**
 * Overlapping requests on ONE client in real workerd, against a three-member mongod-sim
 * set with 10 ms added to every reply (so the requests really overlap): a Worker with the
 * client in global scope (direct TCP, and through the bridge), and a Durable Object
 * holding the client. Each request runs
 * CRUD; a request-long write loop runs while other requests come and go. Every request
 * must succeed: one request's sockets are never used, renewed or closed by another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { startBridge, type BridgeHandle } from '@mongo-edge/bridge';
import { MongoClient } from '@mongo-edge/core/node';
import { bundle, startWorkerd, workDir, type ServerProcess } from './runtimes.js';

let cluster: Cluster;
let bridge: BridgeHandle;
let checker: MongoClient;
const work = workDir();

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'overlap', memberOptions: [0, 1, 2].map(() => ({ latencyMs: 10 })) });
  bridge = await startBridge({ port: 0, allow: cluster.members.map((m) => m.host), noAuth: true, log: () => undefined });
  checker = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 30_000 });
}, 120_000);

afterAll(async () => {
  await checker?.close();
  await bridge?.close();
  await cluster?.stop();
  work.remove();
}, 60_000);

type Reply = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function expectCrud(server: ServerProcess, reply: Reply, id: number): void {
  expect({ status: reply.status, body: reply.body }, server.output().slice(-2000)).toMatchObject({
    status: 200,
    body: { id, read: { _id: id, v: id }, modified: 1, after: { _id: id, v: id, updated: true } },
  });
}

interface Variant {
  /** Through the bridge: one WebSocket per request at most (a request never renews its own). */
  bridged?: boolean;
}

function overlapping(name: string, start: () => Promise<ServerProcess>, base: number, variant: Variant = {}): void {
  describe(name, () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await start();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('rounds of 6 overlapping CRUD requests (the first one finds no client yet): all succeed', async () => {
      for (let round = 0; round < 4; round++) {
        const ids = Array.from({ length: 6 }, (_, i) => base + round * 10 + i);
        const websockets = bridge.metrics().websocketsTotal;
        const replies = await Promise.all(ids.map((id) => server.get(`/crud?id=${id}`)));
        replies.forEach((reply, i) => expectCrud(server, reply, ids[i]!));
        // Each request finds its own WebSocket again for every operation (a request-scope
        // probe another request touched must still answer its own: request-scope.ts).
        const opened = bridge.metrics().websocketsTotal - websockets;
        if (variant.bridged) expect(opened, 'WebSockets opened by 6 requests').toBeLessThanOrEqual(6);
        else expect(opened).toBe(0);
      }
    }, 180_000);

    it('a request-long write loop while 8 other CRUD requests come and go: nothing fails, every write acknowledged and stored', async () => {
      const from = base + 500;
      const websockets = bridge.metrics().websocketsTotal;
      const loop = server.get(`/loop?from=${from}&count=40`);
      const others: Reply[] = [];
      const ids = Array.from({ length: 8 }, (_, i) => base + 100 + i);
      // Two waves of four: the second starts after the first ended, while the loop still runs.
      for (const wave of [ids.slice(0, 4), ids.slice(4)]) others.push(...(await Promise.all(wave.map((id) => server.get(`/crud?id=${id}`)))));
      const result = await loop;
      others.forEach((reply, i) => expectCrud(server, reply, ids[i]!));
      expect(result, server.output().slice(-2000)).toEqual({ status: 200, body: { acked: Array.from({ length: 40 }, (_, i) => from + i) } });
      const stored = await checker.db('edge').collection('items').countDocuments({ _id: { $gte: from, $lt: from + 40 } });
      expect(stored).toBe(40);
      // The loop keeps its one WebSocket while 8 newer requests come and go (its request
      // scope is not forgotten: request-scope.ts), and each of those opens one at most.
      const opened = bridge.metrics().websocketsTotal - websockets;
      if (variant.bridged) expect(opened, 'WebSockets opened by the loop and 8 requests').toBeLessThanOrEqual(9);
      else expect(opened).toBe(0);
    }, 180_000);
  });
}

overlapping(
  'workerd: one global-scope client, overlapping requests',
  async () => startWorkerd(await bundle('worker.ts', work.dir, 'workerd'), work.dir, { MONGODB_URI: cluster.uri, MODE: 'direct' }),
  10_000,
);

overlapping(
  'workerd: one global-scope client through the bridge, overlapping requests',
  async () =>
    startWorkerd(await bundle('worker.ts', work.dir, 'workerd'), work.dir, { MONGODB_URI: cluster.uri, MODE: 'bridge', BRIDGE_URL: bridge.url }),
  30_000,
  { bridged: true },
);

overlapping(
  'workerd: one client in a Durable Object, overlapping requests',
  async () =>
    startWorkerd(await bundle('do-worker.ts', work.dir, 'workerd'), work.dir, { MONGODB_URI: cluster.uri }, { durableObject: { className: 'ClientHolder', binding: 'HOLDER' } }),
  20_000,
);
