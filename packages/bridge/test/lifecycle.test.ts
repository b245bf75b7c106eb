import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoBridgeError } from '@mongo-edge/core/internal';
import { startBridge } from '../src/index.js';
import { captureLogs, openCommandSocket, startFakeMongod, wsTransport, type FakeMongod } from './helpers.js';

describe('bridge lifecycle', () => {
  let mongod: FakeMongod;

  beforeAll(async () => {
    mongod = await startFakeMongod();
  });

  afterAll(async () => {
    await mongod?.close();
  });

  it('a client keeps working after the bridge is closed and restarted (reconnect on the next connect)', async () => {
    const first = await startBridge({ port: 0, allow: ['127.0.0.1:*'], noAuth: true, log: () => undefined });
    const port = first.port;
    const t = wsTransport(first.url);
    try {
      const s1 = await openCommandSocket(t, mongod.address);
      expect((await s1.command({ ping: 1 })).ok).toBe(1);
      await first.close();
      await s1.waitClosed();
      expect(s1.closeError).toBeInstanceOf(MongoBridgeError);
      expect((s1.closeError as MongoBridgeError).reason).toBe('bridge-shutting-down');
      expect(t.openChannels).toBe(0);

      // While the bridge is down, connect fails with a network error...
      const down = await t.connect({ host: '127.0.0.1', port: mongod.port, connectTimeoutMS: 2000 }).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(MongoBridgeError);
      expect((down as Error).message).toMatch(/cannot open a WebSocket/);

      // ...and once it is back, the next connect opens a new WebSocket.
      const second = await startBridge({ port, allow: ['127.0.0.1:*'], noAuth: true, log: () => undefined });
      try {
        const s2 = await openCommandSocket(t, mongod.address);
        expect((await s2.command({ ping: 1 })).ok).toBe(1);
        expect(second.metrics().websocketsTotal).toBe(1);
      } finally {
        await t.close();
        await second.close();
      }
    } finally {
      await t.close();
      await first.close();
    }
  });

  it('an abrupt drop closes every channel with a network error', async () => {
    const b = await startBridge({ port: 0, allow: ['127.0.0.1:*'], noAuth: true, shutdownTimeoutMs: 0, log: () => undefined });
    const t = wsTransport(b.url);
    try {
      const a = await openCommandSocket(t, mongod.address);
      const c = await openCommandSocket(t, mongod.address);
      const pending = a.command({ sleep: 2000 }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 50));
      await b.close();
      expect(await pending).toBeInstanceOf(MongoBridgeError);
      await c.waitClosed();
      expect(c.closeError).toBeInstanceOf(MongoBridgeError);
    } finally {
      await t.close();
    }
  });

  it('graceful shutdown: notifies idle channels at once, lets an in-flight reply finish, then closes', async () => {
    const logs = captureLogs();
    const b = await startBridge({ port: 0, allow: ['127.0.0.1:*'], noAuth: true, shutdownTimeoutMs: 5000, log: logs.sink });
    const t = wsTransport(b.url);
    try {
      const busy = await openCommandSocket(t, mongod.address);
      const idle = await openCommandSocket(t, mongod.address);
      const inFlight = busy.command({ sleep: 300 });
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      const closing = b.close();
      await idle.waitClosed();
      expect((idle.closeError as MongoBridgeError).reason).toBe('bridge-shutting-down');
      expect(busy.closed).toBe(false);
      // New channels are not accepted while draining.
      const refused = await t.connect({ host: '127.0.0.1', port: mongod.port, connectTimeoutMS: 2000 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MongoBridgeError);
      expect((await fetch(`${b.httpUrl}/healthz`).catch(() => undefined))?.status ?? 503).toBe(503);
      expect(await inFlight).toMatchObject({ ok: 1, slept: 300 });
      await busy.waitClosed();
      expect((busy.closeError as MongoBridgeError).reason).toBe('bridge-shutting-down');
      await closing;
      expect(Date.now() - started).toBeLessThan(3000);
      expect(logs.events('bridge.closed')).toHaveLength(1);
    } finally {
      await t.close();
      await b.close();
    }
  });

  it('graceful shutdown gives up on slow replies at the shutdown timeout', async () => {
    const b = await startBridge({ port: 0, allow: ['127.0.0.1:*'], noAuth: true, shutdownTimeoutMs: 300, log: () => undefined });
    const t = wsTransport(b.url);
    try {
      const s = await openCommandSocket(t, mongod.address);
      const pending = s.command({ sleep: 10_000 }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await b.close();
      const elapsed = Date.now() - started;
      const err = await pending;
      expect((err as MongoBridgeError).reason).toBe('bridge-shutting-down');
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2500);
    } finally {
      await t.close();
    }
  });
});
