import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { sign } from 'hono/jwt';
import {
  BRIDGE_SUBPROTOCOL,
  BridgeFrameType,
  MongoBridgeError,
  decodeBridgeControlPayload,
  decodeBridgeFrame,
  encodeBridgeControlFrame,
  encodeBridgeDataFrame,
  encodeTokenProtocol,
} from '@mongo-edge/core/internal';
import { signBridgeToken, startBridge, type BridgeHandle } from '../src/index.js';
import { captureLogs, openCommandSocket, startFakeMongod, wsTransport, type FakeMongod } from './helpers.js';

const SECRET = 'an-hs256-secret-that-is-long-enough-0123';

/** Connect a raw ws client; resolves with the close code and reason (or 'open' info). */
function rawClose(url: string, protocols: string[], headers: Record<string, string> = {}, onOpen?: (ws: WebSocket) => void) {
  return new Promise<{ code: number; reason: string }>((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.on('open', () => onOpen?.(ws));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

describe('authentication and origin checks', () => {
  let mongod: FakeMongod;
  let bridge: BridgeHandle;
  const logs = captureLogs();

  beforeAll(async () => {
    mongod = await startFakeMongod();
    bridge = await startBridge({
      port: 0,
      allow: ['127.0.0.1:*'],
      jwtSecret: SECRET,
      origins: ['https://app.example.com', 'https://*.trusted.dev'],
      handshakeTimeoutMs: 300,
      log: logs.sink,
    });
  });

  afterAll(async () => {
    await bridge?.close();
    await mongod?.close();
  });

  it('accepts a signed token in the subprotocol', async () => {
    const t = wsTransport(bridge.url, { token: await signBridgeToken(SECRET, { subject: 'alice' }) });
    try {
      const s = await openCommandSocket(t, mongod.address);
      expect((await s.command({ ping: 1 })).ok).toBe(1);
      expect(logs.events('connection.open').at(-1)).toMatchObject({ subject: 'alice' });
    } finally {
      await t.close();
    }
  });

  it('accepts a token in the first (auth) frame, and a token provider function', async () => {
    let calls = 0;
    const t = wsTransport(bridge.url, {
      tokenVia: 'frame',
      token: async () => {
        calls += 1;
        return signBridgeToken(SECRET);
      },
    });
    try {
      const s = await openCommandSocket(t, mongod.address);
      expect((await s.command({ ping: 1 })).ok).toBe(1);
      expect(calls).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('refuses a missing token (handshake timeout) with 4001', async () => {
    const t = wsTransport(bridge.url);
    try {
      const err = await t.connect({ host: '127.0.0.1', port: mongod.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MongoBridgeError);
      expect((err as MongoBridgeError).reason).toBe('auth-failed');
      expect((err as MongoBridgeError).closeCode).toBe(4001);
      expect((err as Error).message).toMatch(/missing token/);
    } finally {
      await t.close();
    }
    // A client that sends nothing at all is cut at the handshake timeout.
    const silent = await rawClose(bridge.url, [BRIDGE_SUBPROTOCOL]);
    expect(silent).toEqual({ code: 4001, reason: 'no auth frame within the handshake timeout' });
  });

  it('refuses a bad token and a token signed with another secret', async () => {
    for (const token of ['not-a-token', await signBridgeToken('another-secret-that-is-long-enough-xxxxx')]) {
      const t = wsTransport(bridge.url, { token });
      try {
        const err = await t.connect({ host: '127.0.0.1', port: mongod.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
        expect((err as MongoBridgeError).reason).toBe('auth-failed');
        expect((err as Error).message).toMatch(/invalid token/);
      } finally {
        await t.close();
      }
    }
  });

  it('refuses an expired token and a token without exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign({ exp: now - 10 }, SECRET, 'HS256');
    const noExp = await sign({ sub: 'x' }, SECRET, 'HS256');
    const cases: Array<[string, RegExp]> = [
      [expired, /token expired/],
      [noExp, /no exp claim/],
    ];
    for (const [token, msg] of cases) {
      const t = wsTransport(bridge.url, { token, tokenVia: 'frame' });
      try {
        const err = await t.connect({ host: '127.0.0.1', port: mongod.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
        expect((err as MongoBridgeError).reason).toBe('auth-failed');
        expect((err as Error).message).toMatch(msg);
      } finally {
        await t.close();
      }
    }
    expect(bridge.metrics().refusals['auth-failed']).toBeGreaterThanOrEqual(4);
  });

  it('narrows targets with the token allow claim', async () => {
    const t = wsTransport(bridge.url, { token: await signBridgeToken(SECRET, { allow: ['db.internal:27017'] }) });
    try {
      const err = await t.connect({ host: '127.0.0.1', port: mongod.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
      expect((err as MongoBridgeError).reason).toBe('target-refused');
    } finally {
      await t.close();
    }
  });

  it('refuses a browser Origin that is not listed with 4003, accepts listed and wildcard ones', async () => {
    const token = await signBridgeToken(SECRET);
    const protocols = [BRIDGE_SUBPROTOCOL, encodeTokenProtocol(token)];
    const bad = await rawClose(bridge.url, protocols, { Origin: 'https://evil.example' });
    expect(bad.code).toBe(4003);
    expect(bad.reason).toMatch(/origin https:\/\/evil.example is not allowed/);
    for (const origin of ['https://app.example.com', 'https://x.trusted.dev']) {
      const ok = await rawClose(bridge.url, protocols, { Origin: origin }, (ws) => ws.close(1000));
      expect(ok.code).toBe(1000);
    }
    expect(bridge.metrics().refusals['origin-refused']).toBeGreaterThanOrEqual(1);
  });

  it('requires the mongo-edge.v1 subprotocol', async () => {
    const res = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      const ws = new WebSocket(bridge.url);
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      ws.on('error', reject);
    });
    expect(res.code).toBe(4000);
    expect(res.reason).toMatch(/mongo-edge\.v1 required/);
  });

  it('speaks the raw frame protocol: opened carries the limit, errors are JSON with a reason', async () => {
    const token = await signBridgeToken(SECRET);
    const ws = new WebSocket(bridge.url, [BRIDGE_SUBPROTOCOL, encodeTokenProtocol(token)]);
    const frames: ReturnType<typeof decodeBridgeFrame>[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    ws.on('message', (data: Buffer) => frames.push(decodeBridgeFrame(new Uint8Array(data))));
    ws.send(encodeBridgeControlFrame(BridgeFrameType.Open, 1, { host: '127.0.0.1', port: mongod.port }));
    ws.send(encodeBridgeControlFrame(BridgeFrameType.Open, 2, { host: '127.0.0.1', port: 'x' }));
    // A data frame whose declared length is over the limit: only channel 1 closes.
    const bogus = new Uint8Array(32);
    new DataView(bogus.buffer).setInt32(0, 60_000_000, true);
    const start = Date.now();
    while (frames.length < 2 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
    frames.sort((a, b) => a.channelId - b.channelId);
    expect(frames[0]).toMatchObject({ type: BridgeFrameType.Opened, channelId: 1 });
    expect(decodeBridgeControlPayload(frames[0]!.payload)).toEqual({ maxMessageSizeBytes: 48_000_000 });
    expect(frames[1]).toMatchObject({ type: BridgeFrameType.Error, channelId: 2 });
    expect(decodeBridgeControlPayload(frames[1]!.payload)).toMatchObject({ reason: 'protocol-error' });
    ws.send(encodeBridgeDataFrame(1, [bogus]));
    while (frames.length < 3 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
    expect(frames[2]).toMatchObject({ type: BridgeFrameType.Error, channelId: 1 });
    expect(decodeBridgeControlPayload(frames[2]!.payload)).toMatchObject({ reason: 'message-too-large' });
    // Reusing a channel id is a protocol error for the whole socket.
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send(encodeBridgeControlFrame(BridgeFrameType.Open, 1, { host: '127.0.0.1', port: mongod.port }));
    expect(await closed).toBe(4000);
  });

  it('limits sockets per client address with 4008', async () => {
    const b = await startBridge({ port: 0, allow: ['127.0.0.1:*'], noAuth: true, maxSocketsPerIp: 2, log: () => undefined });
    const open: WebSocket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const ws = new WebSocket(b.url, [BRIDGE_SUBPROTOCOL]);
        await new Promise((resolve) => ws.on('open', resolve));
        open.push(ws);
      }
      const third = await rawClose(b.url, [BRIDGE_SUBPROTOCOL]);
      expect(third.code).toBe(4008);
      expect(b.metrics().refusals['limit-exceeded']).toBe(1);
    } finally {
      for (const ws of open) ws.close();
      await b.close();
    }
  });

  it('limits channels per socket with limit-exceeded on the channel', async () => {
    const b = await startBridge({ port: 0, allow: ['127.0.0.1:*'], noAuth: true, maxChannelsPerSocket: 2, log: () => undefined });
    const t = wsTransport(b.url);
    try {
      const a = await openCommandSocket(t, mongod.address);
      await openCommandSocket(t, mongod.address);
      const err = await t.connect({ host: '127.0.0.1', port: mongod.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
      expect((err as MongoBridgeError).reason).toBe('limit-exceeded');
      expect((await a.command({ ping: 1 })).ok).toBe(1);
    } finally {
      await t.close();
      await b.close();
    }
  });

  it('closes idle channels with idle-timeout', async () => {
    const b = await startBridge({ port: 0, allow: ['127.0.0.1:*'], noAuth: true, idleTimeoutMs: 200, log: () => undefined });
    const t = wsTransport(b.url);
    try {
      const s = await openCommandSocket(t, mongod.address);
      await s.waitClosed();
      expect((s.closeError as MongoBridgeError).reason).toBe('idle-timeout');
    } finally {
      await t.close();
      await b.close();
    }
  });
});
