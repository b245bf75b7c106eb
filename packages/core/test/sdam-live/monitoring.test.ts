/**
 * Live SDAM on a fake replica set: application network errors, and the streaming
 * protocol (awaitable hello with exhaust) against polling.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MongoNetworkError } from '../../src/errors.js';
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

function start(overrides: Parameters<typeof openTopology>[1] = {}): { cluster: FakeCluster; h: TopologyHarness } {
  cluster = new FakeCluster();
  harness = openTopology(cluster, overrides);
  harness.topology.open();
  return { cluster, h: harness };
}

function primaryOf(td: TopologyDescription): string | undefined {
  for (const sd of td.servers.values()) if (sd.type === ServerType.RSPrimary) return sd.address;
  return undefined;
}

async function discovered(h: TopologyHarness): Promise<void> {
  await h.waitFor('topologyDescriptionChanged', (e) => {
    const td = e.newDescription;
    return (
      td.type === TopologyType.ReplicaSetWithPrimary &&
      td.servers.size === 3 &&
      [...td.servers.values()].every((sd) => sd.type === ServerType.RSPrimary || sd.type === ServerType.RSSecondary)
    );
  });
}

/** Every member has an awaitable hello held (the monitors are streaming). */
async function streaming(c: FakeCluster): Promise<void> {
  for (const address of [A, B, C]) {
    await expect.poll(() => c.member(address).heldHellos, { timeout: 5_000 }).toBe(1);
  }
}

describe('network error on an application connection', () => {
  it('marks the server Unknown, clears its pool once, cancels the check; selection triggers the re-check', async () => {
    const { cluster, h } = start();
    await discovered(h);
    await streaming(cluster);
    const pool = h.pools.get(A)![0]!;
    const cleared: unknown[] = [];
    pool.on('connectionPoolCleared', (e) => cleared.push(e));
    const generation = pool.generation;
    const member = cluster.member(A);
    const hellosBefore = member.hellosAnswered;
    const connectionsBefore = member.connectionsAccepted;
    const mark = h.events.length;

    h.topology.handleError(A, new MongoNetworkError('connection 7 to a:27017 closed: reset'), { connectionGeneration: generation });

    // Synchronously: Unknown, no primary, pool cleared (generation bump).
    const td = h.topology.description;
    expect(td.servers.get(A)?.type).toBe(ServerType.Unknown);
    expect(td.servers.get(A)?.error?.message).toContain('reset');
    expect(td.type).toBe(TopologyType.ReplicaSetNoPrimary);
    expect(pool.generation).toBe(generation + 1);
    expect(cleared).toHaveLength(1);

    // The streaming check is cancelled: its connection closes and A holds no awaited hello.
    await expect.poll(() => member.heldHellos).toBe(0);
    // The error itself does not start a check (spec: MUST NOT request an immediate
    // check after a network error), nor a second pool clear.
    await sleep(100);
    expect(member.hellosAnswered).toBe(hellosBefore);
    expect(member.connectionsAccepted).toBe(connectionsBefore);
    expect(pool.generation).toBe(generation + 1);
    expect(h.topology.description.servers.get(A)?.error?.message).toContain('reset');

    // An operation needing a primary requests the re-check, far sooner than
    // heartbeatFrequencyMS (10 s): the selection would time out (5 s) otherwise.
    const server = await h.topology.selectServer({ operation: 'write' });
    expect(server.address).toBe(A);
    expect(member.hellosAnswered).toBeGreaterThan(hellosBefore);
    expect(member.connectionsAccepted).toBeGreaterThan(connectionsBefore);
    expect(pool.generation).toBe(generation + 1);
    const recheck = h.events
      .slice(mark)
      .find((e) => e.name === 'serverHeartbeatSucceeded' && (e.payload as { connectionId: string }).connectionId === A);
    expect(recheck).toBeDefined();
    expect(primaryOf(h.topology.description)).toBe(A);
  });

  it('ignores an error from a connection of an older pool generation', async () => {
    const { cluster, h } = start();
    await discovered(h);
    const pool = h.pools.get(A)![0]!;
    const generation = pool.generation;
    h.topology.handleError(A, new MongoNetworkError('first'), { connectionGeneration: generation });
    expect(pool.generation).toBe(generation + 1);
    await h.topology.selectServer({ operation: 'write' });
    const before = h.topology.description;
    h.topology.handleError(A, new MongoNetworkError('stale'), { connectionGeneration: generation });
    expect(h.topology.description).toBe(before);
    expect(pool.generation).toBe(generation + 1);
    expect(cluster.member(A).role).toBe('primary');
  });

  it('a failed check of a known server (member killed) is retried once at once, then marks it Unknown', async () => {
    const { cluster, h } = start();
    await discovered(h);
    await streaming(cluster);
    const mark = h.events.length;
    const pool = h.pools.get(B)![0]!;
    const generation = pool.generation;
    cluster.kill(B);
    await h.waitFor('serverDescriptionChanged', (e) => e.address === B && e.newDescription.type === ServerType.Unknown, { after: mark });
    // The streamed read failed, then one immediate retry (a refused connect) failed.
    await expect
      .poll(() => h.events.slice(mark).filter((e) => e.name === 'serverHeartbeatFailed' && (e.payload as { connectionId: string }).connectionId === B).length)
      .toBe(2);
    expect(cluster.net.connectAttempts.filter((a) => a === B).length).toBeGreaterThan(0);
    expect(pool.generation).toBeGreaterThan(generation);
    // Then the monitor waits heartbeatFrequencyMS: no third attempt in the next moment.
    await sleep(200);
    expect(
      h.events.slice(mark).filter((e) => e.name === 'serverHeartbeatFailed' && (e.payload as { connectionId: string }).connectionId === B),
    ).toHaveLength(2);
    expect(primaryOf(h.topology.description)).toBe(A);
  });
});

describe('streaming protocol', () => {
  it('a restarted member (new processId) is found again and streamed from, on fresh connections only', async () => {
    const { cluster, h } = start();
    await discovered(h);
    await streaming(cluster);
    const member = cluster.member(B);
    const mark = h.events.length;
    cluster.kill(B);
    await h.waitFor('serverDescriptionChanged', (e) => e.address === B && e.newDescription.type === ServerType.Unknown, { after: mark });
    expect(member.openSockets).toBe(0);
    cluster.revive(B);
    h.topology.requestCheckAll();
    const back = await h.waitFor('serverDescriptionChanged', (e) => e.address === B && e.newDescription.type === ServerType.RSSecondary, { after: mark });
    expect(back.newDescription.topologyVersion?.processId.toHexString()).toBe(member.processId.toHexString());
    // Streaming again: one held awaitable hello, and exactly the stream + RTT connections open.
    await expect.poll(() => member.heldHellos).toBe(1);
    await expect.poll(() => member.openSockets).toBe(2);
  });

  it('sees a new primary without waiting for a heartbeat (heartbeatFrequencyMS 10 s)', async () => {
    const { cluster, h } = start({ heartbeatFrequencyMS: 10_000, serverMonitoringMode: 'auto' });
    await discovered(h);
    await streaming(cluster);
    const hellosBefore = cluster.hellosAnswered;
    const awaitedBefore = [A, B, C].map((a) => cluster.member(a).awaitedReplies);
    const connectionsBefore = [A, B, C].map((a) => cluster.member(a).connectionsAccepted);
    const mark = h.events.length;

    cluster.elect(B);
    const changed = await h.waitFor(
      'topologyDescriptionChanged',
      (e) => primaryOf(e.newDescription) === B && e.newDescription.servers.get(A)?.type === ServerType.RSSecondary,
      { after: mark, timeoutMS: 5_000 },
    );
    expect(changed.newDescription.type).toBe(TopologyType.ReplicaSetWithPrimary);
    // Each member pushed one streamed reply; nothing polled, nothing reconnected.
    await expect.poll(() => [A, B, C].map((a, i) => cluster.member(a).awaitedReplies - awaitedBefore[i]!)).toEqual([1, 1, 1]);
    expect(cluster.hellosAnswered - hellosBefore).toBe(3);
    expect([A, B, C].map((a) => cluster.member(a).connectionsAccepted)).toEqual(connectionsBefore);
    // The streamed heartbeats are reported as awaited.
    const awaited = h.events
      .slice(mark)
      .filter((e) => e.name === 'serverHeartbeatSucceeded' && (e.payload as { awaited: boolean }).awaited);
    expect(awaited.length).toBeGreaterThanOrEqual(2);
    // Each streaming monitor uses two connections: the exhaust stream and the RTT pinger.
    expect(connectionsBefore).toEqual([2, 2, 2]);
  });

  it('poll mode: no awaitable hello, no RTT connection, and no check before heartbeatFrequencyMS', async () => {
    const { cluster, h } = start({ heartbeatFrequencyMS: 10_000, serverMonitoringMode: 'poll' });
    await discovered(h);
    expect([A, B, C].map((a) => cluster.member(a).connectionsAccepted)).toEqual([1, 1, 1]);
    const hellosBefore = cluster.hellosAnswered;
    cluster.elect(B);
    await sleep(300);
    expect(cluster.hellosAnswered).toBe(hellosBefore);
    expect(primaryOf(h.topology.description)).toBe(A);
    expect([A, B, C].map((a) => cluster.member(a).awaitedReplies)).toEqual([0, 0, 0]);
    // A requested check (what a waiting selection does) polls after minHeartbeatFrequencyMS.
    const mark = h.events.length;
    h.topology.requestCheckAll();
    await h.waitFor('topologyDescriptionChanged', (e) => primaryOf(e.newDescription) === B, { after: mark });
    expect((await h.topology.selectServer({ operation: 'write' })).address).toBe(B);
    expect([A, B, C].map((a) => cluster.member(a).awaitedReplies)).toEqual([0, 0, 0]);
    expect([A, B, C].map((a) => cluster.member(a).connectionsAccepted)).toEqual([1, 1, 1]);
  });
});

describe('serverMonitoringMode=auto', () => {
  it('polls on a FaaS platform (AWS_LAMBDA_RUNTIME_API set): no awaitable hello, no RTT connection', async () => {
    const saved = process.env.AWS_LAMBDA_RUNTIME_API;
    process.env.AWS_LAMBDA_RUNTIME_API = '127.0.0.1:9001';
    try {
      const { cluster, h } = start({ heartbeatFrequencyMS: 10_000 });
      await discovered(h);
      await sleep(300);
      expect([A, B, C].map((a) => cluster.member(a).awaitedReplies)).toEqual([0, 0, 0]);
      expect([A, B, C].map((a) => cluster.member(a).heldHellos)).toEqual([0, 0, 0]);
      expect([A, B, C].map((a) => cluster.member(a).connectionsAccepted)).toEqual([1, 1, 1]);
    } finally {
      if (saved === undefined) delete process.env.AWS_LAMBDA_RUNTIME_API;
      else process.env.AWS_LAMBDA_RUNTIME_API = saved;
    }
  });

  it('streams elsewhere', async () => {
    const { cluster, h } = start({ heartbeatFrequencyMS: 10_000 });
    await discovered(h);
    await streaming(cluster);
  });
});

describe('requested checks', () => {
  it('never come closer than minHeartbeatFrequencyMS, however often they are requested', async () => {
    const { cluster, h } = start({ heartbeatFrequencyMS: 10_000, serverMonitoringMode: 'poll' });
    await discovered(h);
    const before = [A, B, C].map((a) => cluster.member(a).hellosAnswered);
    // ~450 ms of requests every 15 ms (what selections waiting on a busy topology do).
    for (let i = 0; i < 30; i++) {
      h.topology.requestCheckAll();
      await sleep(15);
    }
    // At most one check per member in a window shorter than 2 x minHeartbeatFrequencyMS.
    const extra = [A, B, C].map((a, i) => cluster.member(a).hellosAnswered - before[i]!);
    for (const n of extra) expect(n).toBeLessThanOrEqual(1);
    // And the requests were not lost: each member is checked soon after.
    await expect.poll(() => [A, B, C].every((a, i) => cluster.member(a).hellosAnswered > before[i]!), { timeout: 2_000 }).toBe(true);
  });
});

