import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNetworkError } from '@mongo-edge/core';
import { MongoBridgeError, type WebSocketTransport } from '@mongo-edge/core/internal';
import { startBridge, type BridgeHandle } from '../src/index.js';
import { captureLogs, deadPort, openCommandSocket, startFakeMongod, waitFor, wsTransport, type FakeMongod } from './helpers.js';

const TOKEN = 'static-test-token-0123456789';

describe('relay through WebSocketTransport', () => {
  let mongod: FakeMongod;
  let other: FakeMongod;
  let bridge: BridgeHandle;
  let transport: WebSocketTransport;
  let silent: net.Server;
  let silentPort: number;
  const logs = captureLogs();

  beforeAll(async () => {
    mongod = await startFakeMongod();
    other = await startFakeMongod();
    silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
    bridge = await startBridge({
      port: 0,
      allow: [mongod.address, `localhost:${mongod.port}`, `127.0.0.1:${silentPort}`],
      tokens: [TOKEN],
      maxMessageSize: 1024 * 1024,
      log: logs.sink,
    });
    transport = wsTransport(bridge.url, { token: TOKEN });
  });

  afterAll(async () => {
    await transport?.close();
    await bridge?.close();
    await mongod?.close();
    await other?.close();
    silent?.close();
  });

  it('round-trips hello and ping', async () => {
    const s = await openCommandSocket(transport, mongod.address);
    const hello = await s.command({ hello: 1 });
    expect(hello.ok).toBe(1);
    expect(hello.isWritablePrimary).toBe(true);
    expect((await s.command({ ping: 1 })).ok).toBe(1);
    expect(s.socket.address).toBe(mongod.address);
    s.socket.close();
    await s.waitClosed();
    expect(s.closeError).toBeUndefined();
  });

  it('carries many channels over one WebSocket', async () => {
    const before = bridge.metrics().websocketsTotal;
    const sockets = await Promise.all(Array.from({ length: 25 }, () => openCommandSocket(transport, mongod.address)));
    const replies = await Promise.all(sockets.map((s, i) => s.command({ echo: `channel-${i}` })));
    replies.forEach((r, i) => expect(r.echo).toBe(`channel-${i}`));
    expect(bridge.metrics().websocketsTotal).toBe(before);
    expect(bridge.metrics().channelsOpen).toBeGreaterThanOrEqual(25);
    for (const s of sockets) s.socket.close();
    await waitFor(() => bridge.metrics().channelsOpen === 0, 5000, 'channels to close');
  });

  it('coalesces a multi-chunk send into one message frame and handles split sends', async () => {
    const s = await openCommandSocket(transport, mongod.address);
    const before = bridge.metrics().messagesClientToServer;
    // One message split across two send() calls: the transport re-frames it.
    const { encodeOpMsg, newRequestId, concatChunks } = await import('@mongo-edge/core/internal');
    const bytes = concatChunks(encodeOpMsg({ requestId: newRequestId(), body: { echo: 'split', $db: 'admin' } }));
    const reply = new Promise((resolve) => {
      s.extra.length = 0;
      const t = setInterval(() => {
        if (s.extra.length) {
          clearInterval(t);
          resolve(s.extra[0]);
        }
      }, 5);
    });
    s.socket.send([bytes.subarray(0, 7)]);
    s.socket.send([bytes.subarray(7)]);
    expect(await reply).toMatchObject({ echo: 'split' });
    expect(bridge.metrics().messagesClientToServer).toBe(before + 1);
    s.socket.close();
  });

  it('large replies, many in flight on several channels, arrive intact on their own channels', async () => {
    const sockets = await Promise.all(Array.from({ length: 3 }, () => openCommandSocket(transport, mongod.address)));
    const payload = (c: number, i: number) => String.fromCharCode(97 + c) + String(i) + 'x'.repeat(150_000 + 20_000 * i) + `${c}/${i}`;
    for (let round = 0; round < 2; round++) {
      const replies = await Promise.all(
        sockets.flatMap((s, c) => Array.from({ length: 6 }, (_, i) => s.command({ echo: payload(c, i) }).then((r) => ({ c, i, echo: r.echo })))),
      );
      for (const { c, i, echo } of replies) expect(echo === payload(c, i)).toBe(true);
    }
    for (const s of sockets) s.socket.close();
  });

  it('refuses a target outside the allowlist with a clear error on that channel only', async () => {
    const good = await openCommandSocket(transport, mongod.address);
    const err = await transport.connect({ host: '127.0.0.1', port: other.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoBridgeError);
    expect(isNetworkError(err)).toBe(true);
    expect((err as MongoBridgeError).reason).toBe('target-refused');
    expect((err as Error).message).toContain(`127.0.0.1:${other.port} is not in the bridge allowlist`);
    expect(other.accepted).toBe(0);
    expect((await good.command({ ping: 1 })).ok).toBe(1);
    expect(bridge.metrics().refusals['target-refused']).toBeGreaterThanOrEqual(1);
    const refused = logs.events('channel.refused');
    expect(refused.at(-1)).toMatchObject({ reason: 'target-refused', target: `127.0.0.1:${other.port}` });
    good.socket.close();
  });

  it('matches the allowlist case-insensitively and by name', async () => {
    const s = await openCommandSocket(transport, `LOCALHOST:${mongod.port}`);
    expect((await s.command({ ping: 1 })).ok).toBe(1);
    s.socket.close();
  });

  it('reports an unreachable target as target-unreachable', async () => {
    const port = await deadPort();
    const b2 = await startBridge({ port: 0, allow: [`127.0.0.1:*`], tokens: [TOKEN], log: () => undefined });
    const t2 = wsTransport(b2.url, { token: TOKEN });
    try {
      const err = await t2.connect({ host: '127.0.0.1', port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
      expect((err as MongoBridgeError).reason).toBe('target-unreachable');
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
    } finally {
      await t2.close();
      await b2.close();
    }
  });

  it('closes the channel when the target hangs up, other channels keep working', async () => {
    const a = await openCommandSocket(transport, mongod.address);
    const b = await openCommandSocket(transport, mongod.address);
    await expect(a.command({ hangup: 1 })).rejects.toBeInstanceOf(MongoBridgeError);
    expect(a.closeError).toBeInstanceOf(MongoBridgeError);
    expect((await b.command({ ping: 1 })).ok).toBe(1);
    b.socket.close();
  });

  it('closes only the channel whose target sends an oversize message', async () => {
    const bad = await openCommandSocket(transport, mongod.address);
    const good = await openCommandSocket(transport, mongod.address);
    const heapBefore = bridge.metrics().peakChannelBufferedBytes;
    await expect(bad.command({ oversize: 1 })).rejects.toThrow(/message-too-large/);
    expect((bad.closeError as MongoBridgeError).reason).toBe('message-too-large');
    expect((bad.closeError as Error).message).toMatch(/100000000 exceeds maxMessageSizeBytes 1048576/);
    expect((await good.command({ ping: 1 })).ok).toBe(1);
    expect(bridge.metrics().peakChannelBufferedBytes).toBeLessThan(Math.max(heapBefore, 1024 * 1024));
    good.socket.close();
  });

  it('fails a client message over the bridge limit locally, other channels keep working', async () => {
    const bad = await openCommandSocket(transport, mongod.address);
    const good = await openCommandSocket(transport, mongod.address);
    await expect(bad.command({ echo: 'x'.repeat(2 * 1024 * 1024) })).rejects.toThrow(/at most 1048576 bytes/);
    expect((bad.closeError as MongoBridgeError).reason).toBe('message-too-large');
    expect((await good.command({ ping: 1 })).ok).toBe(1);
    good.socket.close();
  });

  it('times out connect with MongoNetworkTimeoutError when the bridge never answers the open', async () => {
    // A target that accepts TCP but never answers the TLS handshake keeps the open pending.
    const err = await transport
      .connect({ host: '127.0.0.1', port: silentPort, tls: {}, connectTimeoutMS: 200 })
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('MongoNetworkTimeoutError');
    const s = await openCommandSocket(transport, mongod.address);
    expect((await s.command({ ping: 1 })).ok).toBe(1);
    s.socket.close();
  });

  it('exposes counters on /metrics and status on /healthz', async () => {
    const health = await fetch(`${bridge.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const res = await fetch(`${bridge.httpUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^mongo_edge_bridge_websockets_open \d+$/m);
    expect(text).toMatch(/^mongo_edge_bridge_channels_total [1-9]\d*$/m);
    expect(text).toMatch(/^mongo_edge_bridge_bytes_total\{direction="client_to_server"\} [1-9]\d*$/m);
    expect(text).toMatch(/^mongo_edge_bridge_bytes_total\{direction="server_to_client"\} [1-9]\d*$/m);
    expect(text).toMatch(/^mongo_edge_bridge_refusals_total\{reason="target-refused"\} [1-9]\d*$/m);
    expect(text).toMatch(/^mongo_edge_bridge_errors_total\{reason="message-too-large"\} [1-9]\d*$/m);
    expect(text).toContain('# TYPE mongo_edge_bridge_channels_open gauge');
    expect((await fetch(`${bridge.httpUrl}/nope`)).status).toBe(404);
  });

  it('never logs the token', () => {
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const line of logs.lines) {
      expect(line).not.toContain(TOKEN);
      expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(logs.events('channel.open').length).toBeGreaterThan(0);
    expect(logs.events('channel.closed').length).toBeGreaterThan(0);
  });
});
