/** Test helpers: a fake mongod over TCP, a command helper over a TransportSocket, log capture. */
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import {
  MessageFramer,
  WebSocketTransport,
  decodeOpMsg,
  encodeOpMsg,
  newRequestId,
  type WebSocketConstructorLike,
  type WebSocketTransportOptions,
} from '@mongo-edge/core/internal';
import type { Document, TransportSocket } from '@mongo-edge/core';

export interface FakeMongod {
  port: number;
  address: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  readonly open: number;
  close(): Promise<void>;
}

export interface FakeMongodOptions {
  /** Serve TLS with this PEM key and certificate. */
  tls?: { key: string; cert: string };
  hosts?: string[];
  passives?: string[];
  setName?: string;
}

function reply(socket: net.Socket, responseTo: number, body: Document): boolean {
  let ok = true;
  for (const c of encodeOpMsg({ requestId: newRequestId(), responseTo, body })) ok = socket.write(c) && ok;
  return ok;
}

/** A TCP server answering OP_MSG: hello, ping, echo, sleep, flood, oversize, hangup. */
export async function startFakeMongod(options: FakeMongodOptions = {}): Promise<FakeMongod> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const onSocket = (socket: net.Socket) => {
    socket.setNoDelay(true);
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const framer = new MessageFramer();
    socket.on('data', (chunk) => {
      let messages: Uint8Array[];
      try {
        messages = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch {
        socket.destroy();
        return;
      }
      for (const m of messages) void handle(socket, m);
    });
  };
  const server = options.tls ? tls.createServer(options.tls, onSocket) : net.createServer(onSocket);
  const handle = async (socket: net.Socket, bytes: Uint8Array) => {
    const msg = decodeOpMsg(bytes);
    const body = msg.body;
    const cmd = Object.keys(body)[0];
    switch (cmd) {
      case 'hello':
      case 'isMaster':
      case 'ismaster': {
        const me = `127.0.0.1:${port}`;
        reply(socket, msg.requestId, {
          ok: 1,
          isWritablePrimary: true,
          helloOk: true,
          maxWireVersion: 21,
          minWireVersion: 0,
          maxBsonObjectSize: 16 * 1024 * 1024,
          maxMessageSizeBytes: 48_000_000,
          maxWriteBatchSize: 100_000,
          localTime: new Date(),
          ...(options.setName ? { setName: options.setName, hosts: options.hosts ?? [me], passives: options.passives ?? [], me } : {}),
        });
        return;
      }
      case 'ping':
        reply(socket, msg.requestId, { ok: 1 });
        return;
      case 'echo':
        reply(socket, msg.requestId, { ok: 1, echo: body.echo });
        return;
      case 'flood': {
        const count = Number(body.count);
        const data = new Uint8Array(Number(body.size)).fill(7);
        for (let i = 0; i < count; i++) {
          if (socket.destroyed) return;
          const ok = reply(socket, msg.requestId, { ok: 1, i, data });
          if (!ok) {
            await new Promise<void>((resolve) => {
              const done = () => {
                socket.off('drain', done);
                socket.off('close', done);
                resolve();
              };
              socket.on('drain', done);
              socket.on('close', done);
            });
          }
        }
        return;
      }
      case 'oversize': {
        // A header that declares 100 MB, then a few bytes: the bridge must not buffer it.
        const head = new Uint8Array(64);
        new DataView(head.buffer).setInt32(0, 100_000_000, true);
        socket.write(head);
        return;
      }
      case 'sleep':
        await new Promise((r) => setTimeout(r, Number(body.sleep)));
        if (!socket.destroyed) reply(socket, msg.requestId, { ok: 1, slept: body.sleep });
        return;
      case 'hangup':
        socket.destroy();
        return;
      default:
        reply(socket, msg.requestId, { ok: 0, errmsg: `no such command: '${cmd}'`, code: 59, codeName: 'CommandNotFound' });
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Run one command over a TransportSocket (installs handlers; one command at a time). */
export class CommandSocket {
  readonly #framer = new MessageFramer();
  #waiters: Array<{ resolve: (d: Document) => void; reject: (e: Error) => void }> = [];
  /** Extra replies (after the first) for streaming commands. */
  readonly extra: Document[] = [];
  closeError: Error | undefined;
  closed = false;
  #closedWaiters: Array<() => void> = [];

  constructor(readonly socket: TransportSocket) {
    socket.setHandlers({
      data: (chunk) => {
        for (const m of this.#framer.push(chunk)) {
          const doc = decodeOpMsg(m).body;
          const w = this.#waiters.shift();
          if (w) w.resolve(doc);
          else this.extra.push(doc);
        }
      },
      close: (error) => {
        this.closed = true;
        this.closeError = error;
        for (const w of this.#waiters.splice(0)) w.reject(error ?? new Error('closed'));
        for (const w of this.#closedWaiters.splice(0)) w();
      },
    });
  }

  command(body: Document): Promise<Document> {
    return new Promise<Document>((resolve, reject) => {
      if (this.closed) return reject(this.closeError ?? new Error('closed'));
      this.#waiters.push({ resolve, reject });
      this.socket.send(encodeOpMsg({ requestId: newRequestId(), body: { ...body, $db: body.$db ?? 'admin' } }));
    });
  }

  waitClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#closedWaiters.push(resolve));
  }
}

/**
 * A transport whose connect() waits for the bridge's `opened` (pipelineOpen: false):
 * these tests check the channel-open protocol itself (refusals reject connect()).
 * The pipelined default is covered in pipelined-open.test.ts.
 */
export function wsTransport(url: string, extra: Partial<WebSocketTransportOptions> = {}): WebSocketTransport {
  return new WebSocketTransport({ url, WebSocket: WebSocket as unknown as WebSocketConstructorLike, pipelineOpen: false, ...extra });
}

export async function openCommandSocket(t: WebSocketTransport, address: string, connectTimeoutMS = 5000): Promise<CommandSocket> {
  const [host, port] = address.split(':') as [string, string];
  return new CommandSocket(await t.connect({ host, port: Number(port), connectTimeoutMS }));
}

export function captureLogs(): { lines: string[]; sink: (line: string) => void; events(name: string): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    lines,
    sink: (line) => lines.push(line),
    events: (name) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === name),
  };
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A port with nothing listening on it. */
export async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
