/**
 * Test support (Node only): real TCP listeners on 127.0.0.1 in front of a MemoryNetwork,
 * so a driver that only speaks TCP (the official `mongodb` driver) talks to the same
 * fake servers as ours on the memory transport. Listen first (free ports), then build
 * the fakes with the addresses `127.0.0.1:<port>`; each accepted TCP connection is
 * piped to a memory connection to the same address.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { MemoryNetwork } from '../../src/runtime/memory/transport.js';
import type { TransportSocket } from '../../src/transport/transport.js';

export interface TcpFront {
  /** "127.0.0.1:<port>" of each listener, in order. */
  readonly addresses: string[];
  /** Route the listeners to `net` (set once the fakes exist). */
  attach(net: MemoryNetwork): void;
  close(): Promise<void>;
}

export async function openTcpFront(count: number): Promise<TcpFront> {
  let network: MemoryNetwork | undefined;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer((tcp) => {
      sockets.add(tcp);
      tcp.on('close', () => sockets.delete(tcp));
      tcp.pause();
      const port = (server.address() as { port: number }).port;
      if (!network) {
        tcp.destroy();
        return;
      }
      network
        .transport()
        .connect({ host: '127.0.0.1', port })
        .then((mem: TransportSocket) => {
          mem.setHandlers({ data: (chunk) => tcp.write(chunk), close: () => tcp.destroy() });
          tcp.on('data', (chunk: Uint8Array) => mem.send([new Uint8Array(chunk)]));
          tcp.on('close', () => mem.close());
          tcp.on('error', () => mem.close());
          tcp.resume();
        })
        .catch(() => tcp.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    addresses.push(`127.0.0.1:${(server.address() as { port: number }).port}`);
  }
  return {
    addresses,
    attach: (net) => {
      network = net;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
