import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageFramer } from '@mongo-edge/core/internal';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';
import { framedMessage, startEchoServer, type EchoServer } from './echo-server.js';

const owned: Array<EchoServer | DelayProxy> = [];
afterEach(async () => {
  for (const o of owned.splice(0)) await o.close();
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `messages` and resolves with the echoes, in arrival order, with the time each took. */
async function roundTrips(socket: net.Socket, messages: Uint8Array[]): Promise<{ echoes: Uint8Array[]; ms: number }> {
  const framer = new MessageFramer();
  const echoes: Uint8Array[] = [];
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      echoes.push(...framer.push(new Uint8Array(chunk)));
      if (echoes.length === messages.length) resolve();
    });
    for (const m of messages) socket.write(m);
  });
  return { echoes, ms: performance.now() - t0 };
}

describe('delay proxy', () => {
  it('adds the delay in each direction and keeps bytes and order', async () => {
    const echo = await startEchoServer();
    owned.push(echo);
    const proxy = await startDelayProxy({ targetPort: echo.port, delayMs: 20 });
    owned.push(proxy);
    const socket = await connect(proxy.port);
    const messages = [framedMessage(64, 1), framedMessage(70_000, 2), framedMessage(1622, 3)];
    const { echoes, ms } = await roundTrips(socket, messages);
    socket.destroy();
    expect(echoes.map((e) => new DataView(e.buffer, e.byteOffset).getInt32(4, true))).toEqual([1, 2, 3]);
    expect(echoes.map((e) => Buffer.from(e).equals(Buffer.from(messages[echoes.indexOf(e)]!)))).toEqual([true, true, true]);
    // 20 ms up + 20 ms down; timers may fire a millisecond early.
    expect(ms).toBeGreaterThanOrEqual(38);
    expect(proxy.accepted).toBe(1);
  });

  it('is a plain relay with delayMs 0, and forwards the close', async () => {
    const echo = await startEchoServer();
    owned.push(echo);
    const proxy = await startDelayProxy({ targetPort: echo.port, delayMs: 0 });
    owned.push(proxy);
    const socket = await connect(proxy.port);
    const { echoes } = await roundTrips(socket, [framedMessage(100)]);
    expect(echoes).toHaveLength(1);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await echo.close();
    owned.splice(owned.indexOf(echo), 1);
    await closed;
  });

  it('rejects a negative delay', async () => {
    await expect(startDelayProxy({ targetPort: 1, delayMs: -1 })).rejects.toThrow(RangeError);
  });
});
