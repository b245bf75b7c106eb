/**
 * Fixes found while attacking the relay (issue 18): the allowlist's * never spans a dot,
 * connections that are not sessions are capped per address and in total and closed
 * promptly, and a WebSocket closed with 1009 counts as an error.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { BRIDGE_SUBPROTOCOL, MongoBridgeError, encodeBridgeDataFrame } from '@mongo-edge/core/internal';
import { BridgeConfigError, parseCliConfig, startBridge, type BridgeHandle } from '../src/index.js';
import { openCommandSocket, startFakeMongod, waitFor, wsTransport, type FakeMongod } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function bridgeWith(options: Parameters<typeof startBridge>[0]): Promise<BridgeHandle> {
  const b = await startBridge({ port: 0, noAuth: true, log: () => undefined, ...options });
  cleanups.push(() => b.close());
  return b;
}

/** A raw TCP connection to the bridge: it reads (and drops) what the bridge sends, never answers a close frame, never ends. */
interface RawConnection {
  readonly socket: net.Socket;
  closed: boolean;
}

function rawConnect(port: number, opts: { localAddress?: string; upgrade?: boolean } = {}): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const conn: RawConnection = { socket, closed: false };
    cleanups.push(() => void socket.destroy());
    socket.on('error', () => undefined);
    socket.resume(); // read and drop: the end of the stream is how we see the bridge close it
    socket.on('close', () => {
      conn.closed = true;
    });
    socket.once('connect', () => {
      if (opts.upgrade) {
        socket.write(
          'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${BRIDGE_SUBPROTOCOL}\r\n\r\n`,
        );
      }
      resolve(conn);
    });
    socket.once('error', reject);
  });
}

async function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, [BRIDGE_SUBPROTOCOL]);
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

const metricValue = (text: string, line: string): number => {
  const m = new RegExp(`^${line.replace(/[{}"[\]]/g, '\\$&')} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${line} in /metrics`);
  return Number(m[1]);
};

describe('allowlist wildcards through the bridge', () => {
  let mongod: FakeMongod;
  afterEach(async () => {
    await mongod?.close();
  });

  it('127.0.0.*:P opens 127.0.0.1 and refuses the name 127.0.0.1.nip.io without resolving it', async () => {
    mongod = await startFakeMongod();
    const logs: string[] = [];
    const b = await startBridge({ port: 0, noAuth: true, allow: [`127.0.0.*:${mongod.port}`], log: (l) => logs.push(l) });
    cleanups.push(() => b.close());
    const t = wsTransport(b.url);
    cleanups.push(() => t.close());
    const s = await openCommandSocket(t, mongod.address);
    expect((await s.command({ ping: 1 })).ok).toBe(1);
    for (const host of ['127.0.0.1.nip.io', '127.0.0.10.nip.io', '127.1', '2130706433']) {
      const err = await t.connect({ host, port: mongod.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MongoBridgeError);
      expect((err as MongoBridgeError).reason).toBe('target-refused');
      expect((err as Error).message).toContain(`${host}:${mongod.port} is not in the bridge allowlist`);
    }
    const refused = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'channel.refused');
    expect(refused.map((e) => e.code)).toEqual(['target-not-allowed', 'target-not-allowed', 'target-not-allowed', 'target-not-allowed']);
    expect(mongod.accepted).toBe(1);
  });

  it('setAllowlist replaces the patterns at run time, all or nothing', async () => {
    mongod = await startFakeMongod();
    const b = await bridgeWith({ allow: ['127.0.0.1:1'] });
    const t = wsTransport(b.url);
    cleanups.push(() => t.close());
    const before = await t.connect({ host: '127.0.0.1', port: mongod.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
    expect((before as MongoBridgeError).reason).toBe('target-refused');
    b.setAllowlist([mongod.address]);
    const s = await openCommandSocket(t, mongod.address);
    expect((await s.command({ ping: 1 })).ok).toBe(1);
    expect(() => b.setAllowlist(['127.0.0.1:1', '*:27017'])).toThrow(BridgeConfigError);
    expect(() => b.setAllowlist(['*:27017'])).toThrow(/--allow: \*:27017: an IPv4 pattern has four octets/);
    // The failed calls changed nothing: the target is still allowed.
    const again = await openCommandSocket(t, mongod.address);
    expect((await again.command({ ping: 1 })).ok).toBe(1);
    expect(b.config.allow).toEqual(['127.0.0.1:1']);
  });

  it('refuses an ambiguous pattern at config time, naming it', () => {
    const issues = (argv: string[]) => {
      try {
        parseCliConfig(['--no-auth', ...argv], {});
      } catch (e) {
        if (e instanceof BridgeConfigError) return e.issues;
        throw e;
      }
      return [];
    };
    expect(issues(['--allow', '*:27017'])).toEqual(['--allow: *:27017: an IPv4 pattern has four octets (each 0-255 or *)']);
    expect(issues(['--allow', '127.0.0.1*:27017'])[0]).toMatch(/^--allow: 127\.0\.0\.1\*:27017: "1\*" is not an IPv4 octet/);
    expect(issues(['--allow', 'db:0'])[0]).toMatch(/^--allow: db:0: the port must be a number from 1 to 65535 or \*/);
    expect(issues(['--allow', '[fd00::*]:27017', '--allow', '*.db.internal:*'])).toEqual([]);
  });
});

describe('connections that are not sessions', () => {
  it('over-limit WebSockets that ignore the close frame are dropped promptly; the listener never holds more than the caps', async () => {
    const b = await bridgeWith({ allow: ['127.0.0.1:1'], maxSocketsPerIp: 2, maxPendingPerIp: 4, upgradeTimeoutMs: 1000 });
    const good = [await openWs(b.url), await openWs(b.url)];
    await waitFor(() => b.metrics().websocketsOpen === 2, 5000, 'two sessions');
    expect(b.metrics().connectionsOpen).toBe(2);

    let peak = 0;
    const sample = setInterval(() => {
      peak = Math.max(peak, b.metrics().connectionsOpen);
    }, 1);
    cleanups.push(() => clearInterval(sample));
    const flood = await Promise.all(Array.from({ length: 200 }, () => rawConnect(b.port, { upgrade: true })));
    // Each is refused: at accept (over the pending cap) or after the upgrade with 4008,
    // and then cut when it does not answer the close frame within the upgrade timeout
    // (ws alone would wait 30 s). We never close them from this side.
    await waitFor(() => flood.every((c) => c.closed), 10_000, 'the bridge to close all 200 over-limit connections');
    clearInterval(sample);
    peak = Math.max(peak, b.metrics().connectionsOpen);

    expect(peak).toBeLessThanOrEqual(2 + 4);
    await waitFor(() => b.metrics().connectionsOpen === 2, 5000, 'the listener back to its two sessions');
    const m = b.metrics();
    expect(m.websocketsOpen).toBe(2);
    expect(m.refusals['limit-exceeded']).toBe(200);
    expect(good.every((ws) => ws.readyState === WebSocket.OPEN)).toBe(true);
  });

  it('connections that never finish a request are closed at the upgrade timeout; caps per address and in total', async () => {
    const b = await bridgeWith({ allow: ['127.0.0.1:1'], maxPendingPerIp: 2, maxPending: 3, upgradeTimeoutMs: 60_000 });
    const connect = async (localAddress: string, outcome: 'kept' | 'refused', openAfter: number) => {
      const c = await rawConnect(b.port, { localAddress });
      if (outcome === 'refused') await waitFor(() => c.closed, 5000, `the bridge to refuse a connection from ${localAddress}`);
      else await waitFor(() => b.metrics().connectionsOpen === openAfter, 5000, `the bridge to keep a connection from ${localAddress}`);
      return c;
    };
    const a1 = await connect('127.0.0.1', 'kept', 1);
    const a2 = await connect('127.0.0.1', 'kept', 2);
    const a3 = await connect('127.0.0.1', 'refused', 2); // over 2 per address
    const b1 = await connect('127.0.0.2', 'kept', 3);
    const b2 = await connect('127.0.0.2', 'refused', 3); // over 3 in total
    await waitFor(() => a3.closed && b2.closed, 5000, 'the over-limit connections to close');
    expect([a1, a2, b1].map((c) => c.closed)).toEqual([false, false, false]);
    expect(b.metrics().connectionsOpen).toBe(3);
    expect(b.metrics().refusals['limit-exceeded']).toBe(2);
    // A freed slot is usable again.
    a1.socket.destroy();
    await waitFor(() => b.metrics().connectionsOpen === 2, 5000, 'a slot to free');
    expect((await fetch(`${b.httpUrl}/healthz`)).status).toBe(200);
  });

  it('a silent connection is closed when the upgrade timeout passes', async () => {
    const b = await bridgeWith({ allow: ['127.0.0.1:1'], upgradeTimeoutMs: 1000 });
    const silent = await Promise.all(Array.from({ length: 5 }, () => rawConnect(b.port)));
    const half = await rawConnect(b.port);
    half.socket.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers never finished
    await waitFor(() => [...silent, half].every((c) => c.closed), 10_000, 'the bridge to close silent connections');
    await waitFor(() => b.metrics().connectionsOpen === 0, 5000, 'no connections left');
    // A client that does upgrade in time is unaffected: its deadline ends with the upgrade.
    const ws = await openWs(b.url);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('WebSocket-level errors', () => {
  it('a message over maxMessageSize + 5 closes the socket with 1009 and counts in errors_total', async () => {
    const b = await bridgeWith({ allow: ['127.0.0.1:1'], maxMessageSize: 1024 });
    const before = metricValue(await (await fetch(`${b.httpUrl}/metrics`)).text(), 'mongo_edge_bridge_errors_total{reason="message-too-large"}');
    const ws = await openWs(b.url);
    await waitFor(() => b.metrics().websocketsOpen === 1, 5000, 'the session');
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send(new Uint8Array(1024 + 5 + 1));
    expect(await closed).toBe(1009);
    await waitFor(() => b.metrics().websocketsOpen === 0, 5000, 'the session to end');
    const text = await (await fetch(`${b.httpUrl}/metrics`)).text();
    expect(before).toBe(0);
    expect(metricValue(text, 'mongo_edge_bridge_errors_total{reason="message-too-large"}')).toBe(1);
    expect(metricValue(text, 'mongo_edge_bridge_errors_total{reason="protocol-error"}')).toBe(0);
  });

  it('a message of exactly maxMessageSize + 5 is a frame, not a socket error', async () => {
    const b = await bridgeWith({ allow: ['127.0.0.1:1'], maxMessageSize: 1024 });
    const ws = await openWs(b.url);
    // Data for channel 0, never opened: a protocol error (4000), not 1009.
    const frame = encodeBridgeDataFrame(0, [new Uint8Array(1024)]);
    expect(frame.byteLength).toBe(1024 + 5);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send(frame);
    expect(await closed).toBe(4000);
    expect(b.metrics().errors['message-too-large']).toBe(0);
    expect(b.metrics().errors['protocol-error']).toBe(1);
  });
});
