/**
 * Live SDAM on a fake replica set: server selection waiting for discovery and
 * timing out with an explanation; close() leaving nothing running.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MongoServerSelectionError, MongoTopologyClosedError } from '../../src/errors.js';
import { ReadPreference, ReadPreferenceMode } from '../../src/selection/read-preference.js';
import { ServerType } from '../../src/sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../../src/sdam/topology-description.js';
import { FakeCluster, openTopology, sleep, type TopologyHarness } from '../support/fake-cluster.js';

const A = 'a:27017';
const B = 'b:27017';
const C = 'c:27017';

let cluster: FakeCluster | undefined;
let harness: TopologyHarness | undefined;

afterEach(async () => {
  await harness?.topology.close();
  cluster?.close();
  harness = undefined;
  cluster = undefined;
});

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

async function discovered(h: TopologyHarness): Promise<void> {
  await h.waitFor('topologyDescriptionChanged', (e) => {
    const td = e.newDescription;
    return td.type === TopologyType.ReplicaSetWithPrimary && td.servers.size === 3 && [...td.servers.values()].every((sd) => sd.type !== ServerType.Unknown);
  });
}

describe('server selection', () => {
  it('waits for discovery: a secondary read issued before any check completes gets a secondary', async () => {
    cluster = new FakeCluster();
    harness = openTopology(cluster);
    // No open(): selectServer opens the topology and waits for the seed to reveal B and C.
    const server = await harness.topology.selectServer({ operation: 'read', readPreference: ReadPreference.secondary });
    expect([B, C]).toContain(server.address);
    expect(server.description.type).toBe(ServerType.RSSecondary);
  });

  it('waits for a primary to be elected', async () => {
    cluster = new FakeCluster();
    cluster.stepDown(A);
    harness = openTopology(cluster);
    const selection = harness.topology.selectServer({ operation: 'write' });
    await harness.waitFor('topologyDescriptionChanged', (e) => e.newDescription.type === TopologyType.ReplicaSetNoPrimary && e.newDescription.servers.size === 3);
    cluster.elect(C);
    const server = await selection;
    expect(server.address).toBe(C);
  });

  it('times out with MongoServerSelectionError carrying the description and explaining tag sets', async () => {
    cluster = new FakeCluster();
    cluster.member(B).tags = { dc: 'ny' };
    cluster.member(C).tags = { dc: 'sf' };
    harness = openTopology(cluster, { serverSelectionTimeoutMS: 300 });
    harness.topology.open();
    await discovered(harness);
    const rp = new ReadPreference(ReadPreferenceMode.secondary, [{ dc: 'tokyo' }, { dc: 'paris' }]);
    const error = await harness.topology.selectServer({ operation: 'read', readPreference: rp }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MongoServerSelectionError);
    const e = error as MongoServerSelectionError;
    expect(e.message).toContain('timed out after 300 ms');
    expect(e.message).toContain("tag sets [{dc:'tokyo'},{dc:'paris'}]");
    const td = e.reason as TopologyDescription;
    expect(td.type).toBe(TopologyType.ReplicaSetWithPrimary);
    expect([...td.servers.keys()].sort()).toEqual([A, B, C]);
  });

  it('times out when no member answers; the cause is the connection error', async () => {
    cluster = new FakeCluster();
    for (const a of [A, B, C]) cluster.kill(a);
    harness = openTopology(cluster, { serverSelectionTimeoutMS: 300 });
    const error = await harness.topology.selectServer({ operation: 'write' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MongoServerSelectionError);
    const e = error as MongoServerSelectionError;
    expect(e.message).toContain('timed out after 300 ms');
    expect((e.reason as TopologyDescription).servers.get(A)?.type).toBe(ServerType.Unknown);
    expect(String((e.cause as Error | undefined)?.message)).toContain('ECONNREFUSED');
  });

  it('an aborted selection rejects with the signal reason', async () => {
    cluster = new FakeCluster();
    for (const a of [A, B, C]) cluster.kill(a);
    harness = openTopology(cluster);
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(harness.topology.selectServer({ operation: 'write' }, { signal: controller.signal })).rejects.toThrow('gave up');
    const later = new AbortController();
    const pending = harness.topology.selectServer({ operation: 'write' }, { signal: later.signal });
    later.abort(new Error('gave up later'));
    await expect(pending).rejects.toThrow('gave up later');
  });
});

describe('close()', () => {
  it('stops every monitor, pinger, pool and timer', async () => {
    cluster = new FakeCluster();
    const baseline = activeTimeouts();
    harness = openTopology(cluster);
    harness.topology.open();
    await discovered(harness);
    for (const a of [A, B, C]) await expect.poll(() => cluster!.member(a).heldHellos).toBe(1);
    // Some pooled connections too.
    const server = await harness.topology.selectServer({ operation: 'write' });
    const conn = await server.pool.checkOut();
    await conn.command('admin', { ping: 1 });
    server.pool.checkIn(conn);
    expect(cluster.net.openSockets).toBeGreaterThanOrEqual(7);
    const pending = harness.topology.selectServer({ operation: 'read', readPreference: new ReadPreference(ReadPreferenceMode.secondary, [{ dc: 'none' }]) });

    await harness.topology.close();
    await expect(pending).rejects.toBeInstanceOf(MongoTopologyClosedError);
    const names = harness.names();
    expect(names.slice(-2)).toEqual(['topologyDescriptionChanged', 'topologyClosed']);
    expect(names.filter((n) => n === 'serverClosed')).toHaveLength(3);

    await sleep(0);
    expect(cluster.net.openSockets).toBe(0);
    for (const a of [A, B, C]) expect(cluster.member(a).heldHellos).toBe(0);
    const hellos = cluster.hellosAnswered;
    const attempts = cluster.net.connectAttempts.length;
    await sleep(700); // > minHeartbeatFrequencyMS: a live monitor would have checked again
    expect(cluster.hellosAnswered).toBe(hellos);
    expect(cluster.net.connectAttempts.length).toBe(attempts);
    expect(activeTimeouts()).toBeLessThanOrEqual(baseline);
    await expect(harness.topology.selectServer({ operation: 'write' })).rejects.toBeInstanceOf(MongoTopologyClosedError);
  });

  it('right after open(), while the first connections are being made, leaves no socket behind', async () => {
    cluster = new FakeCluster();
    const baseline = activeTimeouts();
    harness = openTopology(cluster);
    harness.topology.open();
    await harness.topology.close();
    await sleep(10);
    expect(cluster.net.openSockets).toBe(0);
    expect(activeTimeouts()).toBeLessThanOrEqual(baseline);
  });

  it('at every point of discovery, leaves no socket behind', async () => {
    for (let turns = 0; turns < 40; turns++) {
      const c = new FakeCluster();
      const h = openTopology(c);
      h.topology.open();
      for (let i = 0; i < turns; i++) await Promise.resolve();
      await h.topology.close();
      await sleep(0);
      expect({ turns, open: c.net.openSockets }).toEqual({ turns, open: 0 });
      c.close();
    }
  });

  it('is prompt while a monitor is stuck connecting (connectTimeoutMS 30 s)', async () => {
    cluster = new FakeCluster();
    cluster.kill(C);
    cluster.net.blackhole(C);
    const baseline = activeTimeouts();
    harness = openTopology(cluster, { connectTimeoutMS: 30_000 });
    harness.topology.open();
    await harness.waitFor('serverOpening', (e) => e.address === C);
    await sleep(20);
    let guard: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      harness.topology.close().then(() => 'closed'),
      new Promise((resolve) => (guard = setTimeout(() => resolve('still closing'), 2_000))),
    ]);
    clearTimeout(guard);
    expect(outcome).toBe('closed');
    await sleep(0);
    expect(cluster.net.openSockets).toBe(0);
    expect(activeTimeouts()).toBeLessThanOrEqual(baseline);
  });
});
