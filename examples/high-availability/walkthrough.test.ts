/**
 * The walkthrough's steps as tests, each asserting what the step saw (addresses,
 * modes, counts, errors), over TCP and through the bridge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { MongoClient, ServerType, WebSocketTransport, type MongoClientOptions } from '@mongo-edge/core';
import { signBridgeToken, startBridge } from '@mongo-edge/bridge';
import type { Cluster, MongosProcess } from '@mongo-edge/sim';
import { WebSocket } from 'ws';
import { SeedReplicaSet, startRouters, startTaggedSet } from './deployment.js';
import {
  closeAll,
  connectEachWay,
  failover,
  initiate,
  insertAndRead,
  killDisruption,
  localThreshold,
  mongosLoadBalancing,
  newCtx,
  restartOldPrimary,
  secondaryReads,
  tagSets,
  type ClientFactory,
  type Ctx,
} from './walkthrough.js';

type Bridge = Awaited<ReturnType<typeof startBridge>>;
let bridge: Bridge | undefined;
let token: string;
const secret = 'walkthrough-test-secret-0123456789abcdef';
const allowed: string[] = [];

/** The bridge opens only the deployments the bridge run starts (never every local port). */
async function allowStarted(addresses: readonly string[]): Promise<void> {
  allowed.push(...addresses);
  if (bridge) bridge.setAllowlist(allowed);
  else bridge = await startBridge({ port: 0, allow: allowed, jwtSecret: secret, log: () => {} });
}

const transports: Record<string, { factory: () => ClientFactory; started: (addresses: readonly string[]) => Promise<void> }> = {
  tcp: { factory: () => (uri, options) => new NodeMongoClient(uri, options), started: async () => undefined },
  bridge: {
    factory: () => (uri, options?: MongoClientOptions) =>
      new MongoClient(uri, { ...options, transport: new WebSocketTransport({ url: bridge!.url, token, WebSocket: WebSocket as never }) }),
    started: allowStarted,
  },
};

beforeAll(async () => {
  token = await signBridgeToken(secret, { expiresInSeconds: 600 });
});
afterAll(async () => {
  await bridge?.close();
});

for (const [name, { factory, started }] of Object.entries(transports)) {
  describe.sequential(`walkthrough over ${name}`, () => {
    let rs: SeedReplicaSet;
    let tagged: Cluster;
    let routers: MongosProcess[] = [];
    let ctx: Ctx;
    const lines: string[] = [];
    let primary = '';
    let oldPrimary = '';

    beforeAll(async () => {
      ctx = newCtx(factory(), (l) => lines.push(l));
      rs = await SeedReplicaSet.start();
      await started(rs.members.map((m) => m.address));
    }, 60_000);
    afterAll(async () => {
      await closeAll(ctx);
      await Promise.all(routers.map((r) => r.stop()));
      await tagged?.stop();
      await rs?.stop();
    }, 60_000);

    it('2. replSetInitiate through client.db("admin").command() elects a primary', async () => {
      const r = await initiate(ctx, rs);
      expect(r.reply.ok).toBe(1);
      expect(rs.members.map((m) => m.address)).toContain(r.primary);
      primary = r.primary;
    }, 60_000);

    it('3. every connection form discovers all three members (one host before, three after)', async () => {
      const results = await connectEachWay(ctx, rs);
      expect(results).toHaveLength(4);
      const all = rs.members.map((m) => m.address).sort();
      for (const r of results) {
        expect([...r.hosts].sort()).toEqual(all);
        expect(r.after).toMatch(/^MongoClient\(\[/);
      }
      expect(results[0]!.before).toBe(`MongoClient('${rs.members[0]!.address}')`);
      expect(results[3]!.before).toBe(`MongoClient(['${rs.members[0]!.address}', '${rs.members[1]!.address}'])`);
    }, 60_000);

    it('4. insert and read back on the primary', async () => {
      const r = await insertAndRead(ctx, rs);
      expect(r.doc).toMatchObject({ x: 1 });
      expect(r.address).toBe(primary);
    }, 60_000);

    it('5. kill -9 the primary: a failover error with retries off, then success on a new primary', async () => {
      const r = await failover(ctx, rs, primary, killDisruption(rs));
      oldPrimary = r.oldPrimary;
      expect(r.errorName).toMatch(/^(MongoNetworkError|MongoServerSelectionError)$/);
      expect(r.failedAttempts).toBeGreaterThan(0);
      expect(r.newPrimary).toBeDefined();
      expect(r.newPrimary).not.toBe(primary);
      expect(r.retryingReadSucceeded).toBe(true);
    }, 60_000);

    it('6. the old primary restarts and rejoins as a secondary', async () => {
      const r = await restartOldPrimary(ctx, rs, oldPrimary);
      expect(r.type).toBe(ServerType.RSSecondary);
    }, 60_000);

    it('7. secondary reads; read preference inherited client -> db -> collection and overridden', async () => {
      const r = await secondaryReads(ctx, rs);
      expect(r.clientMode).toBe('secondaryPreferred');
      expect(r.secondaries).toContain(r.secondaryPreferredServedBy);
      expect([r.dbMode, r.collMode, r.coll2Mode]).toEqual(['secondary', 'primary', 'nearest']);
      expect(r.dbStatsDefaultServedBy).toBe(r.primary);
      expect([r.primary, ...r.secondaries]).toContain(r.dbStatsNearestServedBy);
    }, 60_000);

    it('8. tag sets are tried in order, {} matches any, no match names the tag sets', async () => {
      tagged = await startTaggedSet();
      await started(tagged.members.map((m) => m.host));
      const r = await tagSets(ctx, tagged);
      expect(r.nyFirst).toBe(r.ny);
      expect(r.fallbackToSf).toBe(r.sf);
      expect([r.ny, r.sf]).toContain(r.emptyTagSetServedBy);
      expect(r.noMatchError).toContain("[{dc:'la'}]");
    }, 90_000);

    it('9. localThresholdMS: the slow secondary is used only with a larger threshold', async () => {
      const [narrow, wide] = await localThreshold(ctx, tagged);
      const slow = tagged.members[2]!.host;
      expect(narrow!.outOfWindow).toBe(0);
      expect(narrow!.counts[slow] ?? 0).toBe(0);
      expect(wide!.counts[slow] ?? 0).toBeGreaterThan(0);
    }, 90_000);

    it('10. mongos load balancing: every operation inside the client latency window (15 ms, 30 ms), the 40 ms router a fair share when inside', async () => {
      routers = await startRouters(`${rs.replSet}/${rs.members.map((m) => m.address).join(',')}`);
      await started(routers.map((r) => r.address));
      const [at15, at30] = await mongosLoadBalancing(ctx, routers);
      const [r20, r35, r40] = routers.map((r) => `${r.host}:${r.port}`) as [string, string, string];
      const seen = lines.filter((l) => l.includes('average round trips') || l.includes('per mongos')).join('\n');
      // The routers' latencies are real delays, but the window is computed from the RTTs the
      // client measures, which a loaded machine inflates. So judge each operation by the
      // client's own view when it started: never a router outside the window, and the 40 ms
      // router takes a fair share of the operations during which it was inside it.
      for (const r of [at15!, at30!]) {
        expect(r.outOfWindow, seen).toBe(0);
        expect((r.counts[r20] ?? 0) + (r.counts[r35] ?? 0) + (r.counts[r40] ?? 0)).toBe(300);
      }
      expect(at15!.counts[r40] ?? 0, seen).toBeLessThanOrEqual(at15!.inWindow[r40] ?? 0);
      expect(at30!.counts[r40] ?? 0, seen).toBeGreaterThanOrEqual(Math.floor((at30!.inWindow[r40] ?? 0) * 0.1));
    }, 120_000);
  });
}

describe('walkthrough on a deployment we did not start (MONGODB_SEEDS)', () => {
  it('runs the client-side steps; step 5 steps the primary down instead of killing it', async () => {
    const { startCluster } = await import('@mongo-edge/sim');
    const { runExternalWalkthrough } = await import('./run.js');
    const external = await startCluster({ members: 3, replSet: 'theirs', hostname: 'localhost' });
    const lines: string[] = [];
    try {
      await runExternalWalkthrough((uri, options) => new NodeMongoClient(uri, options), (l) => lines.push(l), external.uri);
    } finally {
      await external.stop();
    }
    const text = lines.join('\n');
    expect(text).toContain("replica set 'theirs'");
    expect(text).toContain('replSetStepDown');
    expect(text).toMatch(/the new primary, \d+ ms after/);
    expect(text).toContain('(skipped: set MONGODB_MONGOS');
  }, 120_000);
});
