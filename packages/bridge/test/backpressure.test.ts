import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  BRIDGE_SUBPROTOCOL,
  BridgeFrameType,
  MessageFramer,
  OP_MSG,
  decodeBridgeFrame,
  decodeOpMsg,
  encodeBridgeControlFrame,
  encodeBridgeDataFrame,
  encodeOpMsg,
  newRequestId,
} from '@mongo-edge/core/internal';
import { startBridge, type BridgeHandle } from '../src/index.js';
import { startFakeMongod, waitFor, type FakeMongod } from './helpers.js';

const LIMIT = 256 * 1024;
const MESSAGE = 64 * 1024;

async function rawClient(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, [BRIDGE_SUBPROTOCOL]);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

async function openChannel(ws: WebSocket, id: number, port: number): Promise<void> {
  const opened = new Promise<void>((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const f = decodeBridgeFrame(new Uint8Array(data));
      if (f.channelId !== id) return;
      ws.off('message', onMessage);
      if (f.type === BridgeFrameType.Opened) resolve();
      else reject(new Error(`channel ${id}: frame ${f.type} ${new TextDecoder().decode(f.payload)}`));
    };
    ws.on('message', onMessage);
  });
  ws.send(encodeBridgeControlFrame(BridgeFrameType.Open, id, { host: '127.0.0.1', port }));
  await opened;
}

describe('backpressure', () => {
  let mongod: FakeMongod;
  let bridge: BridgeHandle;

  beforeAll(async () => {
    mongod = await startFakeMongod();
    bridge = await startBridge({ port: 0, allow: ['127.0.0.1:*'], noAuth: true, maxBufferedBytes: LIMIT, log: () => undefined });
  });

  afterAll(async () => {
    await bridge?.close();
    await mongod?.close();
  });

  it('a slow WebSocket reader pauses the target: bridge memory stays bounded, then everything arrives', async () => {
    const ws = await rawClient(bridge.url);
    await openChannel(ws, 1, mongod.port);
    const COUNT = 600; // ~39 MB, far more than the socket buffers on both sides hold
    const received: number[] = [];
    const framer = new MessageFramer();
    ws.on('message', (data: Buffer) => {
      const f = decodeBridgeFrame(new Uint8Array(data));
      if (f.type !== BridgeFrameType.Data) return;
      // One frame = one whole message.
      const msgs = framer.push(f.payload);
      expect(msgs.length).toBe(1);
      expect(framer.bufferedBytes).toBe(0);
      received.push(decodeOpMsg(msgs[0]!).body.i as number);
    });
    ws.pause();
    ws.send(encodeBridgeDataFrame(1, encodeOpMsg({ requestId: newRequestId(), body: { flood: 1, count: COUNT, size: MESSAGE, $db: 'admin' } })));
    await waitFor(() => bridge.metrics().tcpPauses > 0, 10_000, 'the bridge to pause the target socket');
    // Keep the reader stalled a while: the target keeps trying to write.
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 25));
      samples.push(bridge.metrics().bufferedBytes);
    }
    const m = bridge.metrics();
    const bound = LIMIT + 3 * (MESSAGE + 1024); // limit + the message that crossed it + one partial in the framer
    expect(m.peakChannelBufferedBytes).toBeLessThanOrEqual(bound);
    for (const s of samples) expect(s).toBeLessThanOrEqual(bound);
    expect(received.length).toBeLessThan(COUNT);
    ws.resume();
    await waitFor(() => received.length === COUNT, 30_000, 'all flood replies');
    expect(received).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(bridge.metrics().peakChannelBufferedBytes).toBeLessThanOrEqual(bound);
    ws.close();
    // eslint-disable-next-line no-console
    console.log(`slow reader: peak per-channel buffered ${m.peakChannelBufferedBytes} B (limit ${LIMIT}), tcp pauses ${bridge.metrics().tcpPauses}`);
  });

  it('a slow target pauses the WebSocket: bridge memory stays bounded, then everything arrives', async () => {
    // A target that does not read until told to.
    let received = 0;
    const conns: net.Socket[] = [];
    const sink = net.createServer((s) => {
      s.pause();
      conns.push(s);
      s.on('data', (c) => {
        received += c.byteLength;
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as net.AddressInfo).port;
    try {
      const ws = await rawClient(bridge.url);
      await openChannel(ws, 1, port);
      const COUNT = 500;
      let total = 0;
      for (let i = 0; i < COUNT; i++) {
        const msg = new Uint8Array(MESSAGE);
        const v = new DataView(msg.buffer);
        v.setInt32(0, MESSAGE, true);
        v.setInt32(4, i + 1, true);
        v.setInt32(12, OP_MSG, true);
        ws.send(encodeBridgeDataFrame(1, [msg]));
        total += MESSAGE;
      }
      await waitFor(() => bridge.metrics().websocketPauses > 0, 10_000, 'the bridge to pause the WebSocket');
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 25));
        expect(bridge.metrics().bufferedBytes).toBeLessThanOrEqual(LIMIT + 2 * MESSAGE);
      }
      expect(bridge.metrics().peakChannelBufferedBytes).toBeLessThanOrEqual(LIMIT + 2 * MESSAGE);
      expect(received).toBeLessThan(total);
      for (const s of conns) s.resume();
      await waitFor(() => received === total, 30_000, 'the target to receive everything');
      ws.close();
    } finally {
      for (const s of conns) s.destroy();
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  });
});
