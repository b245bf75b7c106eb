/**
 * Which request starts a scope's monitors (Workers: a socket belongs to the request whose
 * code opened it, and a timer's callback runs in the request that set it). Requests are an
 * AsyncLocalStorage value, which follows timers and awaits as workerd's request context
 * does; the fake connect records the request each monitor connects in. Every I/O scope's
 * monitors must connect in that scope's own request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Connection, ConnectionPool, ConnectOptions } from '../connection/types.js';
import { MONITOR_START_BATCH, Topology, type TopologyEvents } from './topology.js';

const SEED = 'db0.example.net:27017';
const member = (i: number): string => `db${i}.example.net:27017`;
const request = new AsyncLocalStorage<string>();
const scopes = { A: {}, B: {} } as const;

function primaryHello(hosts: readonly string[]): Record<string, unknown> {
  return { ok: 1, helloOk: true, isWritablePrimary: true, setName: 'rs', setVersion: 1, hosts, me: SEED, primary: SEED, maxWireVersion: 21, minWireVersion: 0 };
}

let topology: Topology | undefined;
afterEach(async () => {
  await topology?.close();
  topology = undefined;
});

/** A topology whose seed answers with `hosts`; other members' monitors stay connecting. `connects`: request -> addresses. */
function open(hosts: readonly string[], onEvent: (name: string, payload: unknown) => void = () => {}): { topology: Topology; connects: Map<string, string[]> } {
  const connects = new Map<string, string[]>();
  const connection = { hello: primaryHello(hosts), handshakeRoundTripMS: 1, moreToCome: false, close() {}, command: () => new Promise(() => {}) } as unknown as Connection;
  const t = new Topology({
    seeds: [SEED],
    replicaSet: 'rs',
    heartbeatFrequencyMS: 10_000,
    localThresholdMS: 15,
    serverSelectionTimeoutMS: 30_000,
    connectTimeoutMS: 10_000,
    serverMonitoringMode: 'poll',
    connectOptions: {} as never,
    connect: (o: ConnectOptions) => {
      const by = request.getStore() ?? 'none';
      connects.set(by, [...(connects.get(by) ?? []), o.address]);
      return o.address === SEED ? Promise.resolve(connection) : new Promise((_, reject) => o.signal?.addEventListener('abort', () => reject(o.signal?.reason)));
    },
    createPool: (address) => ({ address, generation: 0, checkOut: () => new Promise(() => {}), checkIn() {}, clear() {}, ready() {}, close: async () => {} }) as unknown as ConnectionPool,
    emit: onEvent,
  });
  topology = t;
  return { topology: t, connects };
}

const total = (connects: Map<string, string[]>): number => [...connects.values()].reduce((n, list) => n + list.length, 0);
const sorted = (list: readonly string[] | undefined): string[] => [...(list ?? [])].sort();

describe("a scope's monitors connect in its own request", () => {
  it('more members than MONITOR_START_BATCH: the rest start from a timer of their own scope, not of the scope that used up the batch', async () => {
    const hosts = Array.from({ length: MONITOR_START_BATCH + 6 }, (_, i) => member(i));
    let bEntered = false;
    const { topology: t, connects } = open(hosts, (name, payload) => {
      // The turn that discovered every member (request A's seed monitor, whose batch is used
      // up): request B enters its scope, and its first operation ends at once.
      if (name !== 'topologyDescriptionChanged' || bEntered) return;
      if ((payload as TopologyEvents['topologyDescriptionChanged']).newDescription.servers.size !== hosts.length) return;
      bEntered = true;
      queueMicrotask(() => request.run('B', () => t.enterIoScope(scopes.B).release()));
    });
    const leaseA = request.run('A', () => t.enterIoScope(scopes.A));
    await request.run('A', () => leaseA.topology.selectServer({ operation: 'write' }));
    await vi.waitFor(() => expect(total(connects)).toBe(2 * hosts.length), { timeout: 10_000 });
    expect(bEntered).toBe(true);
    expect(sorted(connects.get('A'))).toEqual(sorted(hosts));
    expect(sorted(connects.get('B'))).toEqual(sorted(hosts));
    request.run('A', () => leaseA.release());
  });

  it("members found by one scope's monitor: the other scope's monitors of them wait for that scope", async () => {
    const hosts = [SEED, member(1), member(2)];
    const { topology: t, connects } = open(hosts);
    // Two requests at once, each with its operation running (so neither set is idle).
    const leaseA = request.run('A', () => t.enterIoScope(scopes.A));
    const selectedA = request.run('A', () => leaseA.topology.selectServer({ operation: 'write' }));
    const leaseB = request.run('B', () => t.enterIoScope(scopes.B));
    const selectedB = request.run('B', () => leaseB.topology.selectServer({ operation: 'write' }));
    await Promise.all([selectedA, selectedB]);
    // Each operation ends in its own request.
    request.run('A', () => leaseA.release());
    request.run('B', () => leaseB.release());
    await vi.waitFor(() => expect(total(connects)).toBe(2 * hosts.length), { timeout: 10_000 });
    expect(sorted(connects.get('A'))).toEqual(sorted(hosts));
    expect(sorted(connects.get('B'))).toEqual(sorted(hosts));
  });
});
