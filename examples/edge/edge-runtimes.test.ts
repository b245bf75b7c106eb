/**
 * The driver in real edge runtimes against a three-member mongod-sim replica set (separate
 * processes, so the primary can be `kill -9`ed): workerd (direct TCP over
 * cloudflare:sockets, and through the bridge), Deno (Deno.connect, and through the bridge)
 * and Bun (the Node entry). Each serves examples/edge/app.ts with ONE client kept across requests.
 * workerd, deno and bun come from their npm packages (devDependencies): a missing
 * binary fails the test, it is never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { startBridge, type BridgeHandle } from '@mongo-edge/bridge';
import { MongoClient } from '@mongo-edge/core/node';
import { bunBinary, bundle, denoBinary, startServer, startWorkerd, workDir, type ServerProcess } from './runtimes.js';

let cluster: Cluster;
let bridge: BridgeHandle;
let checker: MongoClient;
const work = workDir();

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'edge', electionTimeoutMillis: 1000, heartbeatIntervalMillis: 250 });
  bridge = await startBridge({ port: 0, allow: cluster.members.map((m) => m.host), noAuth: true, log: () => undefined });
  checker = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 30_000 });
}, 120_000);

afterAll(async () => {
  await checker?.close();
  await bridge?.close();
  await cluster?.stop();
  work.remove();
}, 60_000);

/** kill -9 the current primary; returns a function that restarts it and waits for the set to settle. */
async function killPrimary(): Promise<() => Promise<void>> {
  const primary = await cluster.primary();
  await cluster.kill(primary.index, 'SIGKILL');
  return async () => {
    await cluster.restart(primary.index);
    await cluster.waitForPrimary();
    await cluster.waitForSecondaries();
  };
}

async function crud(server: ServerProcess, id: number): Promise<void> {
  const { status, body } = await server.get(`/crud?id=${id}`);
  expect({ status, body }, server.output().slice(-2000)).toMatchObject({
    status: 200,
    body: { id, read: { _id: id, v: id }, modified: 1, after: { _id: id, v: id, updated: true } },
  });
}

/** The scenarios every runtime runs: 25 requests, a kill -9 between requests, then one during a write loop. */
function scenarios(name: string, start: () => Promise<ServerProcess>, base: number, options: { loop?: boolean; bridged?: boolean } = {}): void {
  describe(name, () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await start();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('one client serves 25 sequential requests, then survives a kill -9 of the primary between requests', async () => {
      const relayed = bridge.metrics().messagesClientToServer;
      for (let i = 0; i < 15; i++) await crud(server, base + i);
      // The bridged variants really go through the bridge (and the direct ones do not).
      const grew = bridge.metrics().messagesClientToServer > relayed;
      expect(grew).toBe(options.bridged === true);
      const restart = await killPrimary();
      try {
        for (let i = 15; i < 30; i++) await crud(server, base + i);
      } finally {
        await restart();
      }
      const ids = (await checker.db('edge').collection('items').find({ _id: { $gte: base, $lt: base + 30 } }).toArray()).map((d) => d._id);
      expect(ids.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 30 }, (_, i) => base + i));
    }, 180_000);

    if (options.loop !== false) {
      it('a kill -9 of the primary during a request-long write loop: no acknowledged write lost, only typed errors', async () => {
        const from = base + 1000;
        const pending = server.get(`/loop?from=${from}&count=150`);
        await new Promise((r) => setTimeout(r, 300));
        const restart = await killPrimary();
        let result: { status: number; body: { acked: number[]; error?: string; mongoError?: boolean } };
        try {
          result = await pending;
        } finally {
          await restart();
        }
        expect(result.status, server.output().slice(-2000)).toBe(200);
        if (result.body.error !== undefined) expect(result.body.mongoError, JSON.stringify(result.body)).toBe(true);
        expect(result.body.acked.length).toBeGreaterThan(0);
        const stored = new Set(
          (await checker.db('edge').collection('items').find({ _id: { $gte: from, $lt: from + 150 } }).toArray()).map((d) => d._id),
        );
        expect(result.body.acked.filter((id) => !stored.has(id))).toEqual([]);
        // And the same client keeps working afterwards.
        await crud(server, base + 2000);
      }, 180_000);
    }
  });
}

scenarios(
  'workerd: a global-scope client over direct TCP (cloudflare:sockets, no nodejs_compat)',
  async () => startWorkerd(await bundle('worker.ts', work.dir, 'workerd'), work.dir, { MONGODB_URI: cluster.uri, MODE: 'direct' }),
  100_000,
);

scenarios(
  'workerd: a global-scope client through the bridge',
  async () =>
    startWorkerd(await bundle('worker.ts', work.dir, 'workerd'), work.dir, { MONGODB_URI: cluster.uri, MODE: 'bridge', BRIDGE_URL: bridge.url }),
  200_000,
  { bridged: true },
);

scenarios(
  'Deno: a long-lived client over Deno.connect',
  async () => startServer(denoBinary(), ['run', '--allow-net', await bundle('deno-server.ts', work.dir, 'deno'), cluster.uri], { cwd: work.dir }),
  300_000,
);

scenarios(
  'Deno: a long-lived client through the bridge (the web client)',
  async () =>
    startServer(denoBinary(), ['run', '--allow-net', await bundle('deno-server.ts', work.dir, 'deno'), cluster.uri, bridge.url], { cwd: work.dir }),
  500_000,
  { bridged: true },
);

scenarios(
  'Bun: @mongo-edge/core/node',
  async () => startServer(bunBinary(), [await bundle('bun-server.ts', work.dir, 'bun'), cluster.uri], { cwd: work.dir }),
  400_000,
);
