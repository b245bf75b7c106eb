/**
 * Live SDAM on a fake replica set: discovery from one seed, primary changes,
 * stale primaries, members removed from the config.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryDelivery } from '../../src/runtime/memory/transport.js';
import { ServerType } from '../../src/sdam/server-description.js';
import { TopologyType } from '../../src/sdam/topology-description.js';
import { STALE_PRIMARY_MISMATCH_MESSAGE } from '../../src/sdam/apply.js';
import type { TopologyDescription } from '../../src/sdam/topology-description.js';
import { FakeCluster, openTopology, type TopologyHarness } from '../support/fake-cluster.js';

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

let delivery: MemoryDelivery = MemoryDelivery.Microtask;

function start(): { cluster: FakeCluster; h: TopologyHarness } {
  cluster = new FakeCluster({ delivery });
  harness = openTopology(cluster);
  harness.topology.open();
  return { cluster, h: harness };
}

function primaryOf(td: TopologyDescription): string | undefined {
  for (const sd of td.servers.values()) if (sd.type === ServerType.RSPrimary) return sd.address;
  return undefined;
}

const withPrimary = (address: string) => (e: { newDescription: TopologyDescription }) =>
  primaryOf(e.newDescription) === address && e.newDescription.type === TopologyType.ReplicaSetWithPrimary;

/** Every member has reported the election of `address`. */
const settledOn = (address: string) => (e: { newDescription: TopologyDescription }) =>
  withPrimary(address)(e) && [...e.newDescription.servers.values()].every((sd) => sd.address === address || (sd.type === ServerType.RSSecondary && sd.primary === address));

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

// Every scenario under each delivery mode of the memory transport, so ordering bugs show.
describe.each([MemoryDelivery.Sync, MemoryDelivery.Microtask, MemoryDelivery.Macrotask])('delivery %s', (mode) => {
  beforeEach(() => {
    delivery = mode;
  });

  describe('discovery from one seed', () => {
    it('finds all three members and the primary; events in spec order', async () => {
      const { h } = start();
      await discovered(h);
      const td = h.topology.description;
      expect(td.type).toBe(TopologyType.ReplicaSetWithPrimary);
      expect(td.setName).toBe('rs');
      expect([...td.servers.keys()].sort()).toEqual([A, B, C]);
      expect(td.servers.get(A)?.type).toBe(ServerType.RSPrimary);
      expect(td.servers.get(B)?.type).toBe(ServerType.RSSecondary);
      expect(td.servers.get(C)?.type).toBe(ServerType.RSSecondary);

      const names = h.names().filter((n) => !n.startsWith('serverHeartbeat'));
      // topologyOpening, then the initial description change, then the seed opens.
      expect(names.slice(0, 3)).toEqual(['topologyOpening', 'topologyDescriptionChanged', 'serverOpening']);
      const first = h.events[1]!.payload as { previousDescription: TopologyDescription; newDescription: TopologyDescription };
      expect(first.previousDescription.type).toBe(TopologyType.Unknown);
      expect(first.previousDescription.servers.size).toBe(0);
      expect(first.newDescription.type).toBe(TopologyType.ReplicaSetNoPrimary);
      expect([...first.newDescription.servers.keys()]).toEqual([A]);
      expect((h.events[2]!.payload as { address: string }).address).toBe(A);

      // The seed's first reply: serverDescriptionChanged(A) comes before the
      // topologyDescriptionChanged that adds B and C, and serverOpening(B/C) after it.
      const iA = h.events.findIndex(
        (e) => e.name === 'serverDescriptionChanged' && (e.payload as { address: string }).address === A,
      );
      const iAdd = h.events.findIndex(
        (e) => e.name === 'topologyDescriptionChanged' && (e.payload as { newDescription: TopologyDescription }).newDescription.servers.size === 3,
      );
      const iOpenB = h.events.findIndex((e) => e.name === 'serverOpening' && (e.payload as { address: string }).address === B);
      const iOpenC = h.events.findIndex((e) => e.name === 'serverOpening' && (e.payload as { address: string }).address === C);
      expect(iA).toBeGreaterThan(2);
      expect(iAdd).toBeGreaterThan(iA);
      expect(iOpenB).toBeGreaterThan(iAdd);
      expect(iOpenC).toBeGreaterThan(iAdd);
      // One serverOpening per server, never twice.
      expect(names.filter((n) => n === 'serverOpening')).toHaveLength(3);
      // Every heartbeat started is followed by a success or failure of the same server.
      const started = h.events.filter((e) => e.name === 'serverHeartbeatStarted').length;
      const ended = h.events.filter((e) => e.name === 'serverHeartbeatSucceeded' || e.name === 'serverHeartbeatFailed').length;
      expect(started - ended).toBeLessThanOrEqual(3); // at most one awaited hello in flight per member

      const server = await h.topology.selectServer({ operation: 'write' });
      expect(server.address).toBe(A);
    });
  });

  describe('primary changes', () => {
    it('a new primary with a higher electionId wins; the old one, still claiming, is marked stale', async () => {
      const { cluster, h } = start();
      await discovered(h);
      const mark = h.events.length;
      cluster.elect(B, { keepOldClaim: true });
      await h.waitFor('topologyDescriptionChanged', withPrimary(B), { after: mark });
      // A's monitor is asked to check again; A still says primary with the old electionId.
      await h.waitFor(
        'serverDescriptionChanged',
        (e) => e.address === A && e.newDescription.type === ServerType.Unknown,
        { after: mark },
      );
      const td = h.topology.description;
      expect(td.type).toBe(TopologyType.ReplicaSetWithPrimary);
      expect(td.servers.get(B)?.type).toBe(ServerType.RSPrimary);
      expect(td.servers.get(A)?.type).toBe(ServerType.Unknown);
      expect(primaryOf(td)).toBe(B);
      expect(td.maxElectionId?.toHexString()).toBe((cluster.member(B).helloReply(0).electionId as { toHexString(): string }).toHexString());
      const server = await h.topology.selectServer({ operation: 'write' });
      expect(server.address).toBe(B);
      // A stays ignored while it keeps claiming the old term.
      cluster.member(A).bump();
      await h.waitFor('serverHeartbeatSucceeded', (e) => e.connectionId === A && e.awaited, { after: h.events.length });
      expect(primaryOf(h.topology.description)).toBe(B);
      expect(h.topology.description.servers.get(A)?.type).toBe(ServerType.Unknown);
    });

    it('ignores a primary claim with a lower electionId', async () => {
      const { cluster, h } = start();
      await discovered(h);
      const mark = h.events.length;
      const term = cluster.elect(B);
      await h.waitFor('topologyDescriptionChanged', settledOn(B), { after: mark });
      const mark2 = h.events.length;
      cluster.claimPrimary(C, { electionId: term - 1 });
      const changed = await h.waitFor('serverDescriptionChanged', (e) => e.address === C, { after: mark2 });
      expect(changed.newDescription.type).toBe(ServerType.Unknown);
      expect(changed.newDescription.error?.message).toContain(STALE_PRIMARY_MISMATCH_MESSAGE);
      expect(changed.previousDescription.type).toBe(ServerType.RSSecondary);
      expect(primaryOf(h.topology.description)).toBe(B);
      expect((await h.topology.selectServer({ operation: 'write' })).address).toBe(B);
    });

    it('ignores a primary claim with the same electionId and a lower setVersion', async () => {
      const { cluster, h } = start();
      await discovered(h);
      const mark = h.events.length;
      const term = cluster.elect(B, { setVersion: 5 });
      await h.waitFor('topologyDescriptionChanged', settledOn(B), { after: mark });
      expect(h.topology.description.maxSetVersion).toBe(5);
      const mark2 = h.events.length;
      cluster.claimPrimary(C, { electionId: term, setVersion: 4 });
      const changed = await h.waitFor('serverDescriptionChanged', (e) => e.address === C, { after: mark2 });
      expect(changed.newDescription.type).toBe(ServerType.Unknown);
      expect(primaryOf(h.topology.description)).toBe(B);
      expect(h.topology.description.maxSetVersion).toBe(5);
    });
  });

  describe('member removed from the config', () => {
    it('removes the server, emits serverClosed, closes its monitor and pool', async () => {
      const { cluster, h } = start();
      await discovered(h);
      const pool = h.pools.get(C)![0]!;
      const poolClosed = new Promise<void>((resolve) => pool.on('connectionPoolClosed', () => resolve()));
      const mark = h.events.length;
      cluster.removeMember(C);
      const closed = await h.waitFor('serverClosed', (e) => e.address === C, { after: mark });
      expect(closed.address).toBe(C);
      await poolClosed;
      const td = h.topology.description;
      expect([...td.servers.keys()].sort()).toEqual([A, B]);
      expect(td.type).toBe(TopologyType.ReplicaSetWithPrimary);
      expect(h.topology.getServer(C)).toBeUndefined();
      // The monitor's connections to C (streaming + RTT) close.
      await expect.poll(() => cluster.member(C).openSockets, { timeout: 2_000 }).toBe(0);
      expect(cluster.member(C).heldHellos).toBe(0);
      const hellosAfter = cluster.member(C).hellosAnswered;
      cluster.member(C).bump();
      await new Promise((r) => setTimeout(r, 50));
      expect(cluster.member(C).hellosAnswered).toBe(hellosAfter);
    });
  });
});
