/**
 * A primary's hello listing thousands of members (issue 19, "Performance, round two"):
 * behaviour only (how fast it goes is bench/sections/large-hello.ts). The description
 * gets every member at once, monitors start MONITOR_START_BATCH per turn until all run,
 * and server selection keeps honouring its timeout meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MongoServerSelectionError } from '../errors.js';
import type { Connection, ConnectionPool, ConnectOptions } from '../connection/types.js';
import { ReadPreference } from '../selection/read-preference.js';
import { MAX_LISTED_MEMBERS } from '../selection/explain.js';
import { applyServerDescription } from './apply.js';
import { ServerType, newServerDescription } from './server-description.js';
import { TopologyType, newTopologyDescription } from './topology-description.js';
import { MONITOR_START_BATCH, Topology } from './topology.js';

const MEMBERS = 10_000;
const SEED = 'db0.example.net:27017';
const member = (i: number): string => `db${i}.example.net:27017`;

function primaryHello(hosts: readonly string[]): Record<string, unknown> {
  return { ok: 1, helloOk: true, isWritablePrimary: true, setName: 'rs', setVersion: 1, hosts, me: SEED, primary: SEED, maxWireVersion: 21, minWireVersion: 0 };
}

describe('applyServerDescription with a 10,000-member hello', () => {
  it('adds every member as Unknown, then drops those a later hello no longer lists', () => {
    const hosts = Array.from({ length: MEMBERS }, (_, i) => member(i));
    const td = newTopologyDescription({ seeds: [SEED], setName: 'rs', heartbeatFrequencyMS: 10_000, localThresholdMS: 15 });
    const big = applyServerDescription(td, newServerDescription(SEED, primaryHello(hosts), { now: 1 })).topologyDescription;
    expect(big.type).toBe(TopologyType.ReplicaSetWithPrimary);
    expect(big.servers.size).toBe(MEMBERS);
    expect([...big.servers.keys()].sort()).toEqual([...hosts].sort());
    expect([...big.servers.values()].filter((s) => s.type === ServerType.Unknown)).toHaveLength(MEMBERS - 1);

    const small = applyServerDescription(big, newServerDescription(SEED, primaryHello(hosts.slice(0, 3)), { now: 2 })).topologyDescription;
    expect([...small.servers.keys()].sort()).toEqual(hosts.slice(0, 3).sort());
    expect(small.servers.get(SEED)?.type).toBe(ServerType.RSPrimary);
  });
});

describe('a live Topology told of 10,000 members', () => {
  let topology: Topology | undefined;
  afterEach(async () => {
    await topology?.close();
    topology = undefined;
  });

  function open(hosts: readonly string[], serverSelectionTimeoutMS: number): { topology: Topology; connects: string[] } {
    const connects: string[] = [];
    const reply = primaryHello(hosts);
    const connection = { hello: reply, handshakeRoundTripMS: 1, moreToCome: false, close() {}, command: () => new Promise(() => {}) } as unknown as Connection;
    const t = new Topology({
      seeds: [SEED],
      replicaSet: 'rs',
      heartbeatFrequencyMS: 10_000,
      localThresholdMS: 15,
      serverSelectionTimeoutMS,
      connectTimeoutMS: 10_000,
      serverMonitoringMode: 'poll',
      connectOptions: {} as never,
      // The seed answers; every other member's monitor stays connecting until closed.
      connect: (o: ConnectOptions) => {
        connects.push(o.address);
        return o.address === SEED
          ? Promise.resolve(connection)
          : new Promise((_, reject) => o.signal?.addEventListener('abort', () => reject(o.signal?.reason)));
      },
      createPool: (address) =>
        ({ address, generation: 0, checkOut: () => new Promise(() => {}), checkIn() {}, clear() {}, ready() {}, close: async () => {} }) as ConnectionPool,
      emit: () => {},
    });
    topology = t;
    t.open();
    return { topology: t, connects };
  }

  async function until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('holds a server for every member at once and starts their monitors in batches until all run', { timeout: 60_000 }, async () => {
    const hosts = Array.from({ length: MEMBERS }, (_, i) => member(i));
    const { topology: t, connects } = open(hosts, 30_000);
    await until(() => t.description.servers.size === MEMBERS);
    for (const address of hosts) expect(t.getServer(address)?.description.address).toBe(address);
    // Not every monitor started in the turn that discovered them...
    expect(connects.length).toBeLessThanOrEqual(MONITOR_START_BATCH);
    // ...but all do, each once.
    await until(() => connects.length >= MEMBERS);
    expect(new Set(connects).size).toBe(MEMBERS);
    expect(connects).toHaveLength(MEMBERS);
  });

  it('selects the primary, and a selection nothing satisfies still times out with MongoServerSelectionError', { timeout: 60_000 }, async () => {
    const hosts = Array.from({ length: MEMBERS }, (_, i) => member(i));
    const { topology: t } = open(hosts, 300);
    const primary = await t.selectServer({ operation: 'write' });
    expect(primary.address).toBe(SEED);
    expect(t.description.servers.size).toBe(MEMBERS);
    // No secondary ever answers: the selection must end with the timeout's error, not hang.
    const error = await t.selectServer({ operation: 'read', readPreference: ReadPreference.secondary }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MongoServerSelectionError);
    expect((error as Error).message).toMatch(/timed out after 300 ms/);
    // The explanation lists a few members, not all 10,000.
    expect((error as Error).message).toMatch(new RegExp(`and ${MEMBERS - MAX_LISTED_MEMBERS} more`));
    expect((error as Error).message.length).toBeLessThan(10_000);
  });
});
