/**
 * Clients of the framed echo server, one per path: direct TCP, our bridge
 * (WebSocketTransport over `ws`), and a generic WebSocket-to-TCP proxy (websockify).
 * All share the same framing code, so only the path differs.
 */
import net from 'node:net';
import { WebSocket } from 'ws';
import { MessageFramer, WebSocketTransport, type WebSocketConstructorLike } from '@mongo-edge/core/internal';
import type { TransportSocket } from '@mongo-edge/core';

export interface EchoClient {
  /** Sends one message and resolves when its echo is back whole. */
  roundTrip(message: Uint8Array): Promise<void>;
  /** Sends `count` copies with at most `window` in flight; resolves when all are back. */
  pipeline(message: Uint8Array, count: number, window: number): Promise<void>;
  close(): Promise<void>;
}

class Framed {
  private readonly framer = new MessageFramer(64 * 1024 * 1024);
  private readonly waiters: Array<() => void> = [];
  private failure: Error | undefined;

  constructor(private readonly sendFn: (m: Uint8Array) => void) {}

  feed(chunk: Uint8Array): void {
    for (let n = this.framer.push(chunk).length; n > 0; n--) this.waiters.shift()?.();
  }

  fail(e: Error): void {
    this.failure = e;
  }

  roundTrip(message: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.sendFn(message);
    });
  }

  pipeline(message: Uint8Array, count: number, window: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve) => {
      let sent = 0;
      let done = 0;
      const sendOne = () => {
        sent += 1;
        this.waiters.push(() => {
          done += 1;
          if (done === count) resolve();
          else if (sent < count) sendOne();
        });
        this.sendFn(message);
      };
      for (let i = 0; i < Math.min(window, count); i++) sendOne();
    });
  }
}

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export async function directTcpClient(port: number): Promise<EchoClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const framed = new Framed((m) => socket.write(m));
  socket.on('data', (chunk: Buffer) => framed.feed(asBytes(chunk)));
  socket.on('error', (e) => framed.fail(e));
  return {
    roundTrip: (m) => framed.roundTrip(m),
    pipeline: (m, c, w) => framed.pipeline(m, c, w),
    close: async () => {
      socket.destroy();
    },
  };
}

export async function bridgeClient(bridgeUrl: string, targetPort: number): Promise<EchoClient> {
  const transport = new WebSocketTransport({ url: bridgeUrl, WebSocket: WebSocket as unknown as WebSocketConstructorLike });
  let socket: TransportSocket;
  try {
    socket = await transport.connect({ host: '127.0.0.1', port: targetPort, connectTimeoutMS: 10_000 });
  } catch (e) {
    await transport.close();
    throw e;
  }
  const framed = new Framed((m) => socket.send([m]));
  socket.setHandlers({
    data: (chunk) => framed.feed(chunk),
    close: (error) => {
      if (error) framed.fail(error);
    },
  });
  return {
    roundTrip: (m) => framed.roundTrip(m),
    pipeline: (m, c, w) => framed.pipeline(m, c, w),
    close: async () => {
      socket.close();
      await transport.close();
    },
  };
}

/** A plain WebSocket to a byte-stream proxy such as websockify (binary frames, no subprotocol). */
export async function rawWebSocketClient(url: string): Promise<EchoClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const framed = new Framed((m) => ws.send(m, { binary: true }));
  ws.on('message', (data: Buffer) => framed.feed(asBytes(data)));
  ws.on('error', (e) => framed.fail(e));
  return {
    roundTrip: (m) => framed.roundTrip(m),
    pipeline: (m, c, w) => framed.pipeline(m, c, w),
    close: async () => {
      ws.terminate();
    },
  };
}
