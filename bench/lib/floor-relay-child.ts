/**
 * Child-process entry: the least a Node relay can do, the floor any relay written
 * on Node pays on this machine. argv[2] is the target port, argv[3] the mode:
 * - `ws`: a `ws` WebSocketServer; each WebSocket gets one TCP connection to the target,
 *   a message is written to it as it comes, each chunk read from it is sent as one
 *   binary message;
 * - `tcp`: a plain TCP listener piping each connection to its own TCP connection to the
 *   target (no WebSocket at all: what the relay process alone costs).
 * No protocol, no auth, no limits: a bench yardstick, never a product. Reports { port }.
 */
import net from 'node:net';
import { WebSocketServer, type RawData } from 'ws';

const targetPort = Number(process.argv[2]);
const mode = process.argv[3] === 'tcp' ? 'tcp' : 'ws';

function connectTarget(): net.Socket {
  const tcp = net.connect({ host: '127.0.0.1', port: targetPort });
  tcp.setNoDelay(true);
  return tcp;
}

let close: () => void;
if (mode === 'ws') {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  server.on('connection', (ws) => {
    const tcp = connectTarget();
    ws.on('message', (data: RawData) => tcp.write(data as Buffer));
    tcp.on('data', (chunk: Buffer) => ws.send(chunk, { binary: true }));
    const end = () => {
      tcp.destroy();
      ws.terminate();
    };
    ws.on('close', end);
    ws.on('error', end);
    tcp.on('close', end);
    tcp.on('error', end);
  });
  server.on('listening', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  close = () => {
    for (const ws of server.clients) ws.terminate();
    server.close(() => process.exit(0));
  };
} else {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const tcp = connectTarget();
    sockets.add(client).add(tcp);
    client.pipe(tcp);
    tcp.pipe(client);
    const end = () => {
      client.destroy();
      tcp.destroy();
      sockets.delete(client);
      sockets.delete(tcp);
    };
    for (const s of [client, tcp]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  close = () => {
    for (const s of sockets) s.destroy();
    server.close(() => process.exit(0));
  };
}
process.on('disconnect', () => close());
