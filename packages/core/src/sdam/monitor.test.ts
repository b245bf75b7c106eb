import { describe, expect, it } from 'vitest';
import type { Connection } from '../connection/types.js';
import { Monitor, ServerMonitoringMode, type MonitorCheckResult } from './monitor.js';

describe('Monitor RTT', () => {
  it('the first sample is the handshake hello alone, not the connection setup', async () => {
    const results: MonitorCheckResult[] = [];
    const conn = {
      id: 1,
      address: 'a:27017',
      generation: 0,
      hello: { ok: 1, isWritablePrimary: true, maxWireVersion: 21 },
      moreToCome: false,
      closed: false,
      roundTrips: 1,
      handshakeRoundTripMS: 3,
      command: async () => ({ ok: 1 }),
      nextReply: async () => ({ ok: 1 }),
      close: () => undefined,
      destroy: () => undefined,
    } satisfies Connection;
    let clock = 0;
    const monitor = new Monitor({
      address: 'a:27017',
      heartbeatFrequencyMS: 60_000,
      minHeartbeatFrequencyMS: 500,
      connectTimeoutMS: 1000,
      serverMonitoringMode: ServerMonitoringMode.poll,
      connectOptions: { transport: { name: 'none', connect: async () => { throw new Error('unused'); } } },
      // Connection setup (TCP, TLS, a bridge channel) takes 250 ms of the observer's clock.
      connect: async () => {
        clock += 250;
        return conn;
      },
      now: () => clock,
      emit: () => undefined,
      onCheck: (r) => results.push(r),
    });
    monitor.start();
    await expect.poll(() => results.length).toBeGreaterThan(0);
    await monitor.close();
    expect(results[0]!.reply?.ok).toBe(1);
    expect(results[0]!.roundTripTime).toBe(3);
  });
});

describe('Monitor.requestCheck', () => {
  it('a request made while a check is in progress is answered by that check (no second check follows it)', async () => {
    const results: MonitorCheckResult[] = [];
    const started: unknown[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let connecting!: () => void;
    const connectStarted = new Promise<void>((resolve) => {
      connecting = resolve;
    });
    const conn = {
      id: 1,
      address: 'a:27017',
      generation: 0,
      hello: { ok: 1, isWritablePrimary: true, maxWireVersion: 21 },
      moreToCome: false,
      closed: false,
      roundTrips: 1,
      handshakeRoundTripMS: 1,
      command: async () => ({ ok: 1, isWritablePrimary: true, maxWireVersion: 21 }),
      nextReply: async () => ({ ok: 1 }),
      close: () => undefined,
      destroy: () => undefined,
    } satisfies Connection;
    const monitor = new Monitor({
      address: 'a:27017',
      heartbeatFrequencyMS: 600_000,
      minHeartbeatFrequencyMS: 0,
      connectTimeoutMS: 1000,
      serverMonitoringMode: ServerMonitoringMode.poll,
      connectOptions: { transport: { name: 'none', connect: async () => { throw new Error('unused'); } } },
      connect: async () => {
        connecting();
        await gate;
        return conn;
      },
      now: () => 0,
      emit: (name, event) => {
        if (name === 'serverHeartbeatStarted') started.push(event);
      },
      onCheck: (r) => results.push(r),
    });
    monitor.start();
    await connectStarted;
    monitor.requestCheck();
    release();
    await expect.poll(() => results.length).toBe(1);
    // A request after the check ended is honoured: exactly one more check.
    monitor.requestCheck();
    await expect.poll(() => results.length).toBe(2);
    await monitor.close();
    expect(started).toHaveLength(2);
  });
});
