/**
 * Bench support for the workerd section: what a request puts on the wire, and the protocol
 * floor to compare it with.
 *
 * - countingConnect(): cloudflare:sockets' connect with every socket's bytes counted and
 *   time-stamped (writes and reads, relative to the request's start), for a client whose
 *   transport uses it; wireLog() gives what one request did.
 * - floorRequest(): the least a request can do on a new connection: one TCP connect, then
 *   a hello and the find written together (one write), then both replies read. No driver.
 */
import { connect, type Socket, type SocketAddress, type SocketOptions } from 'cloudflare:sockets';
import { decodeOpMsg, encodeOpMsg } from '@mongo-edge/core/wire';

export interface WireEvent {
  /** ms since the request started (workerd's clock advances at I/O only). */
  readonly t: number;
  readonly socket: number;
  readonly kind: 'connect' | 'opened' | 'write' | 'read' | 'mark';
  readonly bytes: number;
  /** For a mark: what happened (a driver event's name). */
  readonly name?: string;
}

let started = 0;
let events: WireEvent[] = [];
let sockets = 0;

/** Starts a new request's log. */
export function startWireLog(): void {
  started = Date.now();
  events = [];
}

/** The events since startWireLog(). */
export function wireLog(): WireEvent[] {
  return events;
}

function note(socket: number, kind: WireEvent['kind'], bytes: number): void {
  events.push({ t: Date.now() - started, socket, kind, bytes });
}

/** A driver event in the log (socket 0). */
export function markWire(name: string): void {
  events.push({ t: Date.now() - started, socket: 0, kind: 'mark', bytes: 0, name });
}

/** connect() from cloudflare:sockets, with the socket's traffic logged. */
export function countingConnect(address: SocketAddress, options?: SocketOptions): Socket {
  const id = ++sockets;
  note(id, 'connect', 0);
  const socket = connect(address, options);
  socket.opened.then(() => note(id, 'opened', 0)).catch(() => undefined);
  const readable = socket.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        note(id, 'read', chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
  const outgoing = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      note(id, 'write', chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
  outgoing.readable.pipeTo(socket.writable).catch(() => undefined);
  return {
    readable,
    writable: outgoing.writable,
    opened: socket.opened,
    closed: socket.closed,
    close: () => socket.close(),
    startTls: () => {
      throw new Error('countingConnect: no TLS');
    },
  };
}

let nextRequestId = 1;

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * One connect, hello and find in one write, both replies read; resolves to the found
 * document's count (1 when the document is there). `primary` is "host:port".
 */
export async function floorRequest(primary: string, db: string, collection: string, filter: Record<string, unknown>): Promise<number> {
  const [hostname, port] = [primary.slice(0, primary.lastIndexOf(':')), Number(primary.slice(primary.lastIndexOf(':') + 1))];
  const socket = connect({ hostname, port });
  try {
    const hello = nextRequestId++;
    const find = nextRequestId++;
    const bytes = concat([
      ...encodeOpMsg({ requestId: hello, body: { hello: 1, $db: 'admin', client: { driver: { name: 'floor', version: '0' }, os: { type: 'workerd' } } } }),
      ...encodeOpMsg({ requestId: find, body: { find: collection, filter, limit: 1, singleBatch: true, $db: db } }),
    ]);
    const writer = socket.writable.getWriter();
    await writer.write(bytes);
    const reader = socket.readable.getReader();
    let buffered: Uint8Array = new Uint8Array(0);
    const replies: Uint8Array[] = [];
    while (replies.length < 2) {
      const { value, done } = await reader.read();
      if (done) throw new Error('closed before both replies');
      buffered = concat([buffered, value]);
      while (buffered.byteLength >= 4) {
        const length = new DataView(buffered.buffer, buffered.byteOffset).getInt32(0, true);
        if (buffered.byteLength < length) break;
        replies.push(buffered.slice(0, length));
        buffered = buffered.slice(length);
      }
    }
    const found = decodeOpMsg(replies[1]!).body as { ok?: number; cursor?: { firstBatch?: unknown[] } };
    if (found.ok !== 1) throw new Error(`find failed: ${JSON.stringify(found)}`);
    return found.cursor?.firstBatch?.length ?? 0;
  } finally {
    socket.close().catch(() => undefined);
  }
}
