/**
 * The wire server: accepts TCP connections, frames messages (48,000,000-byte limit,
 * checked on the header), decodes OP_MSG / legacy OP_QUERY handshakes, runs commands
 * through the dispatcher one at a time per connection, and writes replies (after
 * `latencyMs` if set). A malformed message closes that connection only.
 */
import net from 'node:net';
import {
  MessageFramer,
  decodeOpMsg,
  decodeOpQuery,
  encodeOpMsg,
  encodeOpReply,
  newRequestId,
  readHeader,
  OP_MSG,
  OP_QUERY,
  DEFAULT_MAX_MESSAGE_SIZE_BYTES,
} from '@mongo-edge/core/internal';
import { authOf } from './auth/sim-auth.js';
import { dispatch } from './dispatcher.js';
import { ErrorCode } from './errors.js';
import type { ConnectionInfo, SimNode } from './node.js';
import { TYPED_BSON } from './storage/journal.js';
import type { Doc } from './storage/values.js';
import type { TlsAcceptor } from './tls.js';
import './commands/index.js';
import './commands/users.js';

export interface WireServerOptions {
  port: number;
  bindIps: string[];
  latencyMs?: number;
  /** --tlsMode: wraps (or sniffs and wraps) accepted sockets. */
  tls?: TlsAcceptor;
  /** Replaces the command dispatcher (the `--mongos` router answers or forwards commands itself). */
  dispatch?: typeof dispatch;
}

const LEGACY_HELLO = new Set(['isMaster', 'ismaster', 'hello']);

interface Conn extends ConnectionInfo {
  socket: net.Socket;
  abort: AbortController;
  queue: Promise<void>;
  closed: boolean;
}

export class WireServer {
  private servers: net.Server[] = [];
  private conns = new Set<Conn>();
  private timers = new Set<NodeJS.Timeout>();
  private nextConnId = 1;
  port = 0;

  constructor(
    readonly node: SimNode,
    readonly options: WireServerOptions,
  ) {}

  async listen(): Promise<void> {
    let port = this.options.port;
    for (const ip of this.options.bindIps) {
      const tls = this.options.tls;
      const server = net.createServer((s) => (tls ? tls.handle(s, (t) => this.accept(t)) : this.accept(s)));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, ip, () => {
          server.off('error', reject);
          resolve();
        });
      });
      port = (server.address() as net.AddressInfo).port;
      this.servers.push(server);
    }
    this.port = port;
  }

  /** Stops listening, closes every connection and pending reply timer. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.options.tls?.close();
    for (const c of this.conns) this.destroy(c);
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers = [];
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const abort = new AbortController();
    const conn: Conn = {
      id: this.nextConnId++,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      local: `${socket.localAddress}:${socket.localPort}`,
      signal: abort.signal,
      abort,
      socket,
      queue: Promise.resolve(),
      closed: false,
    };
    this.conns.add(conn);
    authOf(this.node).attach(conn, socket);
    this.node.connections.current++;
    this.node.connections.totalCreated++;
    this.node.logger.log('NETWORK', 22943, 'listener', 'Connection accepted', { remote: conn.remote, connectionId: conn.id, connectionCount: this.node.connections.current }, { chatty: true });
    const framer = new MessageFramer(DEFAULT_MAX_MESSAGE_SIZE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      if (conn.closed) return;
      let messages: Uint8Array[];
      try {
        messages = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (e) {
        this.protocolError(conn, e);
        return;
      }
      for (const m of messages) conn.queue = conn.queue.then(() => this.handle(conn, m)).catch((e: unknown) => this.protocolError(conn, e));
    });
    socket.on('error', () => this.destroy(conn));
    socket.on('close', () => this.destroy(conn));
  }

  private destroy(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.abort.abort();
    conn.socket.destroy();
    this.conns.delete(conn);
    this.node.connections.current--;
    this.node.logger.log('NETWORK', 22944, `conn${conn.id}`, 'Connection ended', { remote: conn.remote, connectionId: conn.id, connectionCount: this.node.connections.current }, { chatty: true });
  }

  private protocolError(conn: Conn, e: unknown): void {
    if (conn.closed) return;
    this.node.logger.log('NETWORK', 22988, `conn${conn.id}`, 'Error receiving request from client. Ending connection from remote', {
      error: { code: ErrorCode.BadValue, codeName: 'InvalidBSON', errmsg: (e as Error)?.message ?? String(e) },
      remote: conn.remote,
      connectionId: conn.id,
    });
    this.destroy(conn);
  }

  private send(conn: Conn, chunks: Uint8Array[]): void {
    const write = (): void => {
      if (conn.closed) return;
      for (const c of chunks) conn.socket.write(c);
    };
    const latency = this.options.latencyMs ?? 0;
    if (latency > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        write();
      }, latency);
      this.timers.add(t);
    } else write();
  }

  private async handle(conn: Conn, bytes: Uint8Array): Promise<void> {
    if (conn.closed) return;
    const header = readHeader(bytes);
    if (header.opCode === OP_MSG) {
      const msg = decodeOpMsg(bytes, { bson: TYPED_BSON });
      await this.runOpMsg(conn, msg.requestId, msg.body, msg.sequences, msg.moreToCome, msg.exhaustAllowed);
      return;
    }
    if (header.opCode === OP_QUERY) {
      const q = decodeOpQuery(bytes, TYPED_BSON);
      const dot = q.fullCollectionName.indexOf('.');
      const db = q.fullCollectionName.slice(0, dot);
      const coll = q.fullCollectionName.slice(dot + 1);
      let query = q.query;
      // A wrapped query ({ $query: { isMaster: 1 }, $readPreference }) is legal here.
      if (query.$query && typeof query.$query === 'object') query = query.$query as Doc;
      const name = Object.keys(query)[0] ?? '';
      let reply: Doc;
      if (coll === '$cmd' && LEGACY_HELLO.has(name)) {
        this.noteClient(conn, query);
        const res = await (this.options.dispatch ?? dispatch)(this.node, conn, { ...query, $db: db }, {}, false, { secondaryOk: (q.flags & 4) !== 0 });
        if (res.closeConnection) return this.destroy(conn);
        reply = res.reply;
      } else {
        reply = {
          ok: 0,
          errmsg: `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`,
          code: ErrorCode.UnsupportedOpQueryCommand,
          codeName: 'UnsupportedOpQueryCommand',
        };
      }
      this.send(conn, encodeOpReply({ requestId: newRequestId(), responseTo: q.requestId, responseFlags: 0, cursorId: 0n, startingFrom: 0, documents: [reply] }));
      return;
    }
    // OP_INSERT/UPDATE/DELETE/GET_MORE/KILL_CURSORS were removed in 6.0; OP_COMPRESSED is
    // never negotiated by the sim. Close, as mongod 7 does for opcodes it no longer serves.
    this.node.logger.log('NETWORK', 22988, `conn${conn.id}`, 'Unsupported opcode, ending connection', { opCode: header.opCode, remote: conn.remote });
    this.destroy(conn);
  }

  private noteClient(conn: Conn, body: Doc): void {
    if (conn.clientMetadata || !body.client || typeof body.client !== 'object') return;
    conn.clientMetadata = body.client as Doc;
    const app = (body.client as Doc).application;
    if (app && typeof app === 'object' && typeof (app as Doc).name === 'string') conn.appName = (app as Doc).name as string;
    this.node.logger.log('NETWORK', 51800, `conn${conn.id}`, 'client metadata', { remote: conn.remote, client: `conn${conn.id}`, doc: body.client }, { chatty: true });
  }

  private async runOpMsg(conn: Conn, requestId: number, body: Doc, sequences: Record<string, Doc[]>, moreToCome: boolean, exhaustAllowed: boolean): Promise<void> {
    const name = Object.keys(body)[0] ?? '';
    if (LEGACY_HELLO.has(name)) this.noteClient(conn, body);
    let responseTo = requestId;
    for (;;) {
      const res = await (this.options.dispatch ?? dispatch)(this.node, conn, body, sequences, exhaustAllowed);
      if (conn.closed) return;
      if (res.closeConnection) return this.destroy(conn);
      if (moreToCome) return;
      // Streaming hello: with exhaustAllowed, an awaitable hello is answered with
      // moreToCome and the server keeps answering until the connection closes.
      const streaming =
        exhaustAllowed && LEGACY_HELLO.has(name) && res.reply.ok === 1 && body.topologyVersion !== undefined && body.maxAwaitTimeMS !== undefined;
      const id = newRequestId();
      this.send(conn, encodeOpMsg({ requestId: id, responseTo, body: res.reply, moreToCome: streaming }));
      if (!streaming) return;
      responseTo = id;
      body = { ...body, topologyVersion: res.reply.topologyVersion };
    }
  }
}
