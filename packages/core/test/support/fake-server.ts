/**
 * Test support: a scriptable mongod stand-in on a MemoryNetwork. Each request is
 * decoded and handed to `handler`; returning a document replies with it (OP_MSG,
 * responseTo set), returning undefined sends nothing (the handler may reply later
 * through `ctx`). Used by the connection and pool unit tests; platform-neutral.
 */
import type { Document } from '../../src/errors.js';
import type { MemoryNetwork, MemoryServerSocket } from '../../src/runtime/memory/transport.js';
import { MessageFramer } from '../../src/wire/framer.js';
import { newRequestId, readHeader } from '../../src/wire/header.js';
import { decodeOpMsg, encodeOpMsg } from '../../src/wire/op-msg.js';
import { OP_MSG, OP_QUERY } from '../../src/wire/constants.js';
import { decodeOpQuery, encodeOpReply } from '../../src/wire/op-query.js';

export interface FakeRequest {
  readonly requestId: number;
  readonly opCode: number;
  /** The command (OP_MSG kind 0 body, or the OP_QUERY query). */
  readonly body: Document;
  readonly sequences: Readonly<Record<string, Document[]>>;
  readonly moreToCome: boolean;
  readonly exhaustAllowed: boolean;
  /** Command name: the first key of the body. */
  readonly name: string;
}

export interface FakeContext {
  readonly socket: MemoryServerSocket;
  /** Reply to `to` (default: the current request); returns the reply's requestId. */
  reply(doc: Document, options?: { moreToCome?: boolean; to?: number }): number;
  /** Send raw bytes. */
  send(bytes: Uint8Array | readonly Uint8Array[]): void;
  close(): void;
}

/** Return a document to reply with it; null to send nothing; undefined for the default (hello reply, else { ok: 1 }). */
export type FakeHandler = (req: FakeRequest, ctx: FakeContext) => Document | null | undefined | void;

export const DEFAULT_HELLO_REPLY: Readonly<Document> = Object.freeze({
  helloOk: true,
  isWritablePrimary: true,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  localTime: new Date(0),
  logicalSessionTimeoutMinutes: 30,
  connectionId: 1,
  minWireVersion: 0,
  maxWireVersion: 21,
  readOnly: false,
  ok: 1,
});

export interface FakeServer {
  /** Every request received, in order, across connections. */
  readonly requests: FakeRequest[];
  /** Server sockets accepted, in order. */
  readonly sockets: MemoryServerSocket[];
  stop(): void;
}

/**
 * Serves `address` on `net`. `handler` sees every request including the handshake
 * hello; when it returns undefined for a hello, the default hello reply is sent
 * (merged with `hello`).
 */
export function serveFake(
  net: MemoryNetwork,
  address: string,
  handler: FakeHandler = () => undefined,
  options: { hello?: Document } = {},
): FakeServer {
  const requests: FakeRequest[] = [];
  const sockets: MemoryServerSocket[] = [];
  const unlisten = net.listen(address, (socket) => {
    sockets.push(socket);
    const framer = new MessageFramer(64 * 1024 * 1024);
    socket.onData((chunk) => {
      for (const bytes of framer.push(chunk)) {
        const h = readHeader(bytes);
        let req: FakeRequest;
        if (h.opCode === OP_MSG) {
          const m = decodeOpMsg(bytes);
          req = {
            requestId: m.requestId,
            opCode: h.opCode,
            body: m.body,
            sequences: m.sequences,
            moreToCome: m.moreToCome,
            exhaustAllowed: m.exhaustAllowed,
            name: Object.keys(m.body)[0] ?? '',
          };
        } else if (h.opCode === OP_QUERY) {
          const q = decodeOpQuery(bytes);
          req = {
            requestId: q.requestId,
            opCode: h.opCode,
            body: q.query,
            sequences: {},
            moreToCome: false,
            exhaustAllowed: false,
            name: Object.keys(q.query)[0] ?? '',
          };
        } else {
          socket.close();
          return;
        }
        requests.push(req);
        const ctx: FakeContext = {
          socket,
          reply(doc, o = {}) {
            const requestId = newRequestId();
            const to = o.to ?? req.requestId;
            if (req.opCode === OP_QUERY) {
              socket.send(encodeOpReply({ requestId, responseTo: to, responseFlags: 8, cursorId: 0n, startingFrom: 0, documents: [doc] }));
            } else {
              socket.send(encodeOpMsg({ requestId, responseTo: to, body: doc, ...(o.moreToCome ? { moreToCome: true } : {}) }));
            }
            return requestId;
          },
          send(b) {
            socket.send(b);
          },
          close() {
            socket.close();
          },
        };
        const out = handler(req, ctx);
        if (out) ctx.reply(out);
        else if (out === undefined && !req.moreToCome && !socket.closed) {
          const isHello = req.name === 'hello' || req.name === 'isMaster' || req.name === 'ismaster';
          ctx.reply(isHello ? { ...DEFAULT_HELLO_REPLY, ...options.hello } : { ok: 1 });
        }
      }
    });
  });
  return { requests, sockets, stop: unlisten };
}
