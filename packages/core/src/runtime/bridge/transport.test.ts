import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MongoNetworkError, MongoNetworkTimeoutError, MongoRequestScopeError } from '../../errors.js';
import { encodeOpMsg } from '../../wire/op-msg.js';
import {
  BRIDGE_SUBPROTOCOL,
  BridgeErrorReason,
  BridgeFrameType,
  decodeBridgeControlPayload,
  decodeBridgeFrame,
  decodeTokenProtocol,
  encodeBridgeControlFrame,
  encodeBridgeDataFrame,
  encodeBridgeFrame,
  encodeTokenProtocol,
  type BridgeFrame,
} from '../../transport/bridge-protocol.js';
import { MongoBridgeError, WebSocketTransport, type WebSocketLike } from './transport.js';
import type { TransportSocket } from '../../transport/transport.js';
import { isOpenFailure } from '../../transport/open-failure.js';

/** An in-memory WebSocket: the test plays the bridge. */
class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  binaryType = 'blob';
  readyState = 0;
  protocol = '';
  bufferedAmount = 0;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: unknown) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  sent: BridgeFrame[] = [];
  /** When set, send() throws it (a broken socket, or workerd's foreign-request refusal). */
  sendThrows: Error | undefined;
  closedWith: { code?: number; reason?: string } | undefined;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeWebSocket.instances.push(this);
  }
  send(data: Uint8Array): void {
    if (this.sendThrows) throw this.sendThrows;
    this.sent.push(decodeBridgeFrame(data.slice()));
  }
  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.closedWith = { code, reason };
    this.readyState = 2;
    queueMicrotask(() => this.drop(code ?? 1000, reason ?? ''));
  }
  // ---- bridge side
  accept(): void {
    this.readyState = 1;
    this.protocol = BRIDGE_SUBPROTOCOL;
    this.onopen?.({});
  }
  deliver(frame: Uint8Array): void {
    const copy = frame.slice();
    this.onmessage?.({ data: copy.buffer });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  lastOpen(): BridgeFrame {
    const f = [...this.sent].reverse().find((x) => x.type === BridgeFrameType.Open);
    if (!f) throw new Error('no open frame');
    return f;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Waits for `opened` (pipelineOpen: false): these tests drive the open handshake. */
function transport(extra: Record<string, unknown> = {}) {
  FakeWebSocket.instances = [];
  return new WebSocketTransport({ url: 'wss://bridge.test/ws', WebSocket: FakeWebSocket, pipelineOpen: false, ...extra });
}

/** connect() and answer the open frame with `answer`. */
async function connectWith(
  t: WebSocketTransport,
  answer: (ws: FakeWebSocket, id: number) => void,
  opts: { host?: string; port?: number; connectTimeoutMS?: number } = {},
): Promise<TransportSocket> {
  const p = t.connect({ host: opts.host ?? 'db.test', port: opts.port ?? 27017, connectTimeoutMS: opts.connectTimeoutMS ?? 1000 });
  await tick();
  const ws = FakeWebSocket.instances.at(-1)!;
  if (ws.readyState === 0) ws.accept();
  await tick();
  answer(ws, ws.lastOpen().channelId);
  return p;
}

const opened = (ws: FakeWebSocket, id: number) =>
  ws.deliver(encodeBridgeControlFrame(BridgeFrameType.Opened, id, { maxMessageSizeBytes: 1000 }));

describe('WebSocketTransport', () => {
  it('opens one WebSocket lazily, offers the subprotocol and the token, and multiplexes channels', async () => {
    const t = transport({ token: 'sëcret/+token' });
    expect(FakeWebSocket.instances).toHaveLength(0);
    const a = await connectWith(t, opened);
    const b = await connectWith(t, opened, { host: 'other.test', port: 27018 });
    expect(FakeWebSocket.instances).toHaveLength(1);
    const ws = FakeWebSocket.instances[0]!;
    expect(ws.binaryType).toBe('arraybuffer');
    expect(ws.protocols).toEqual([BRIDGE_SUBPROTOCOL, encodeTokenProtocol('sëcret/+token')]);
    expect(decodeTokenProtocol((ws.protocols as string[])[1]!)).toBe('sëcret/+token');
    expect((ws.protocols as string[])[1]).toMatch(/^mongo-edge\.token\.[A-Za-z0-9_-]+$/);
    const opens = ws.sent.filter((f) => f.type === BridgeFrameType.Open);
    expect(opens.map((f) => f.channelId)).toEqual([1, 2]);
    expect(decodeBridgeControlPayload(opens[1]!.payload)).toEqual({ host: 'other.test', port: 27018 });
    expect(a.address).toBe('db.test:27017');
    expect(b.address).toBe('other.test:27018');
    expect(t.openChannels).toBe(2);
    await t.close();
  });

  it("keeps Node `ws`'s Buffers (binaryType 'nodebuffer'): data arrives as views, not copied ArrayBuffers", async () => {
    class NodeBufferWebSocket extends FakeWebSocket {
      override binaryType = 'nodebuffer';
      /** Like `ws`: a view into a larger buffer (the socket's read), not an ArrayBuffer. */
      override deliver(frame: Uint8Array): void {
        const read = new Uint8Array(frame.byteLength + 8);
        read.set(frame, 3);
        this.onmessage?.({ data: read.subarray(3, 3 + frame.byteLength) });
      }
    }
    const t = new WebSocketTransport({ url: 'ws://bridge.test/ws', WebSocket: NodeBufferWebSocket });
    const socket = await connectWith(t, opened);
    const ws = FakeWebSocket.instances.at(-1)!;
    expect(ws.binaryType).toBe('nodebuffer');
    const got: Uint8Array[] = [];
    socket.setHandlers({ data: (b) => got.push(b), close: () => undefined });
    const message = new Uint8Array(20);
    new DataView(message.buffer).setInt32(0, 20, true);
    message[19] = 7;
    ws.deliver(encodeBridgeDataFrame(1, [message]));
    expect(got).toHaveLength(1);
    expect([...got[0]!]).toEqual([...message]);
    await t.close();
  });

  it('a send that throws closes every channel with a MongoNetworkError after send() returns; the next connect opens a new WebSocket', async () => {
    const thrown = new Error('socket is broken');
    const t = transport();
    const a = await connectWith(t, opened);
    const b = await connectWith(t, opened);
    const ws = FakeWebSocket.instances[0]!;
    const closes: Array<MongoNetworkError | undefined> = [];
    a.setHandlers({ data: () => undefined, close: (e) => closes.push(e) });
    b.setHandlers({ data: () => undefined, close: (e) => closes.push(e) });
    ws.sendThrows = thrown;
    expect(() => a.send(encodeOpMsg({ requestId: 1, body: { ping: 1 } }))).not.toThrow();
    expect(closes).toEqual([]);
    await tick();
    expect(closes).toHaveLength(2);
    for (const e of closes) {
      expect(e).toBeInstanceOf(MongoNetworkError);
      expect(e!.message, String(e!.message)).toContain(thrown.message);
      expect(e!.cause).toBe(thrown);
    }
    await connectWith(t, opened);
    expect(FakeWebSocket.instances).toHaveLength(2);
    await t.close();
  });

  it("a send refused because the WebSocket belongs to another request (workerd) closes only the sender's channel, with a MongoRequestScopeError; the WebSocket stays", async () => {
    const thrown = new Error('Cannot perform I/O on behalf of a different request. I/O objects ...');
    const t = transport();
    const a = await connectWith(t, opened);
    const b = await connectWith(t, opened);
    const ws = FakeWebSocket.instances[0]!;
    const closes: Array<{ who: string; error: MongoNetworkError | undefined }> = [];
    a.setHandlers({ data: () => undefined, close: (error) => closes.push({ who: 'a', error }) });
    b.setHandlers({ data: () => undefined, close: (error) => closes.push({ who: 'b', error }) });
    ws.sendThrows = thrown;
    expect(() => a.send(encodeOpMsg({ requestId: 1, body: { ping: 1 } }))).not.toThrow();
    expect(closes).toEqual([]);
    await tick();
    expect(closes.map((c) => c.who)).toEqual(['a']);
    expect(closes[0]!.error).toBeInstanceOf(MongoRequestScopeError);
    expect(closes[0]!.error!.cause).toBe(thrown);
    // The owner's channel and WebSocket still work.
    ws.sendThrows = undefined;
    const before = ws.sent.length;
    b.send(encodeOpMsg({ requestId: 2, body: { ping: 1 } }));
    expect(ws.sent.length).toBe(before + 1);
    await connectWith(t, opened);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await t.close();
  });

  it('sends a token as the first (auth) frame when asked', async () => {
    const t = transport({ token: () => 'tok', tokenVia: 'frame' });
    await connectWith(t, opened);
    const ws = FakeWebSocket.instances[0]!;
    expect(ws.protocols).toEqual([BRIDGE_SUBPROTOCOL]);
    expect(ws.sent[0]!.type).toBe(BridgeFrameType.Auth);
    expect(decodeBridgeControlPayload(ws.sent[0]!.payload)).toEqual({ token: 'tok' });
    await t.close();
  });

  it('coalesces the chunks of one send() into one data frame and delivers replies in order', async () => {
    const t = transport();
    const s = await connectWith(t, opened);
    const ws = FakeWebSocket.instances[0]!;
    const chunks = encodeOpMsg({ requestId: 7, body: { ping: 1, $db: 'admin' } });
    expect(chunks.length).toBeGreaterThan(1);
    s.send(chunks);
    const data = ws.sent.filter((f) => f.type === BridgeFrameType.Data);
    expect(data).toHaveLength(1);
    const total = chunks.reduce((n, c) => n + c.byteLength, 0);
    expect(data[0]!.payload.byteLength).toBe(total);
    // Early data (before setHandlers) is kept, then delivered in order.
    ws.deliver(encodeBridgeDataFrame(1, [new Uint8Array([1, 2])]));
    ws.deliver(encodeBridgeDataFrame(1, [new Uint8Array([3])]));
    const got: number[] = [];
    s.setHandlers({ data: (c) => got.push(...c), close: () => undefined });
    ws.deliver(encodeBridgeDataFrame(1, [new Uint8Array([4])]));
    expect(got).toEqual([1, 2, 3, 4]);
    await t.close();
  });

  it('refuses a message over the announced limit on that channel only', async () => {
    const t = transport();
    const s = await connectWith(t, opened); // limit 1000
    const ws = FakeWebSocket.instances[0]!;
    let closeErr: unknown;
    s.setHandlers({ data: () => undefined, close: (e) => (closeErr = e) });
    s.send(encodeOpMsg({ requestId: 1, body: { x: 'y'.repeat(2000) } }));
    await tick();
    expect(closeErr).toBeInstanceOf(MongoBridgeError);
    expect((closeErr as MongoBridgeError).reason).toBe(BridgeErrorReason.MessageTooLarge);
    expect(ws.sent.filter((f) => f.type === BridgeFrameType.Data)).toHaveLength(0);
    expect(ws.sent.at(-1)).toMatchObject({ type: BridgeFrameType.Close, channelId: 1 });
    await t.close();
  });

  it('maps an error frame to MongoBridgeError with its reason', async () => {
    const t = transport();
    const err = await connectWith(t, (ws, id) =>
      ws.deliver(encodeBridgeControlFrame(BridgeFrameType.Error, id, { reason: 'target-refused', message: 'db.test:27017 is not in the bridge allowlist' })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoBridgeError);
    expect(err).toMatchObject({ reason: 'target-refused', name: 'MongoBridgeError', code: 'BRIDGE' });
    expect((err as Error).message).toContain('not in the bridge allowlist');
    await t.close();
  });

  it('pipelined open: a target the bridge cannot reach fails the channel with an open failure (a dead server, not overload); a later failure is not one', async () => {
    const t = transport({ pipelineOpen: true });
    const closes: unknown[] = [];
    for (const failAfterOpened of [false, true]) {
      const s = await connectWith(t, (ws, id) => {
        if (failAfterOpened) opened(ws, id);
      });
      s.setHandlers({ data: () => undefined, close: (e) => closes.push(e) });
      const ws = FakeWebSocket.instances.at(-1)!;
      ws.deliver(encodeBridgeControlFrame(BridgeFrameType.Error, ws.lastOpen().channelId, { reason: 'target-unreachable', message: 'cannot connect to db.test:27017: ECONNREFUSED' }));
      await tick();
    }
    expect(closes.map((e) => [(e as MongoBridgeError).reason, isOpenFailure(e), isOpenFailure(new MongoNetworkError('wrapped', { cause: e }))])).toEqual([
      ['target-unreachable', true, true],
      ['target-unreachable', false, false],
    ]);
    await t.close();
  });

  it('connectTimeoutMS covers opening the WebSocket', async () => {
    const t = transport();
    const err = await t.connect({ host: 'db.test', port: 27017, connectTimeoutMS: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoNetworkTimeoutError);
    await t.close();
  });

  it('connectTimeoutMS covers the channel open, and abandons the channel', async () => {
    const t = transport();
    const err = await connectWith(t, () => undefined, { connectTimeoutMS: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoNetworkTimeoutError);
    const ws = FakeWebSocket.instances[0]!;
    expect(ws.sent.at(-1)).toMatchObject({ type: BridgeFrameType.Close, channelId: 1 });
    // A late opened frame for the abandoned channel is ignored.
    opened(ws, 1);
    expect(t.openChannels).toBe(0);
    await t.close();
  });

  it('honours an abort signal', async () => {
    const t = transport();
    const ac = new AbortController();
    const p = t.connect({ host: 'db.test', port: 1, signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toThrow(/aborted/);
    await t.close();
  });

  it('a dropped socket closes every channel with a network error; the next connect opens a new socket', async () => {
    const t = transport();
    const a = await connectWith(t, opened);
    const errors: unknown[] = [];
    a.setHandlers({ data: () => undefined, close: (e) => errors.push(e) });
    FakeWebSocket.instances[0]!.drop(1006);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ reason: 'connection-lost', closeCode: 1006 });
    const b = await connectWith(t, opened);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(b.address).toBe('db.test:27017');
    await t.close();
  });

  it('close code 4001 becomes auth-failed', async () => {
    const t = transport();
    const err = await connectWith(t, (ws) => ws.drop(4001, 'authentication failed: token expired')).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'auth-failed', closeCode: 4001 });
    expect((err as Error).message).toContain('token expired');
    await t.close();
  });

  it('after a shutting-down notice, new channels go to a new socket and the old one closes when drained', async () => {
    const t = transport();
    const a = await connectWith(t, opened);
    const old = FakeWebSocket.instances[0]!;
    old.deliver(encodeBridgeControlFrame(BridgeFrameType.Error, 0, { reason: 'bridge-shutting-down', message: 'bye' }));
    const b = await connectWith(t, opened);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(old.closedWith).toBeUndefined();
    a.close();
    expect(old.closedWith).toMatchObject({ code: 1000 });
    expect(b.address).toBe('db.test:27017');
    await t.close();
  });

  it('a close frame from the bridge closes the channel with a network error', async () => {
    const t = transport();
    const s = await connectWith(t, opened);
    let err: unknown;
    s.setHandlers({ data: () => undefined, close: (e) => (err = e) });
    FakeWebSocket.instances[0]!.deliver(encodeBridgeFrame(BridgeFrameType.Close, 1));
    expect(err).toBeInstanceOf(MongoBridgeError);
    await t.close();
    await expect(t.connect({ host: 'x', port: 1 })).rejects.toThrow(/closed/);
  });

  it('is platform-neutral (no Buffer, process or node: imports)', () => {
    for (const file of ['./transport.ts', '../../transport/bridge-protocol.ts']) {
      const src = readFileSync(new URL(file, import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(src).not.toMatch(/\bBuffer\b|\bprocess\.|from 'node:|setImmediate/);
    }
  });
});
