/**
 * A TCP echo server for MongoDB-framed messages: it splits the stream on the
 * 16-byte-header length prefix and writes every whole message back. Run in-process
 * (tests) or as a child process (bench/lib/echo-child.ts) so the bridge benchmarks
 * measure the relay, not the echo.
 */
import net from 'node:net';
import { MessageFramer } from '@mongo-edge/core/internal';

export interface EchoServer {
  readonly port: number;
  readonly connections: number;
  close(): Promise<void>;
}

export async function startEchoServer(options: { host?: string; port?: number } = {}): Promise<EchoServer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const framer = new MessageFramer();
    socket.on('data', (chunk: Buffer) => {
      let messages: Uint8Array[];
      try {
        messages = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch {
        socket.destroy();
        return;
      }
      for (const m of messages) socket.write(m);
    });
  });
  server.maxConnections = 100_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get connections() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A MongoDB-framed test message of `size` bytes in total (header included). */
export function framedMessage(size: number, requestId = 1): Uint8Array {
  if (size < 16) throw new RangeError('a wire message has at least 16 bytes');
  const m = new Uint8Array(size);
  const v = new DataView(m.buffer);
  v.setInt32(0, size, true);
  v.setInt32(4, requestId, true);
  v.setInt32(8, 0, true);
  v.setInt32(12, 2013, true);
  for (let i = 16; i < size; i++) m[i] = i & 0xff;
  return m;
}
