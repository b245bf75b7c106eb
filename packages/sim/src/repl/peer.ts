/**
 * A minimal client one member uses to talk to another (heartbeats, votes, oplog
 * pulls): one TCP connection, OP_MSG, one request at a time (mongod serves a
 * connection's requests in order), reconnect on demand.
 */
import net from 'node:net';
import { MessageFramer, decodeOpMsg, encodeOpMsg, newRequestId, DEFAULT_MAX_MESSAGE_SIZE_BYTES } from '@mongo-edge/core/internal';
import type { Doc } from '../storage/values.js';

/** Peer replies keep Long and Timestamp; int32/double become JS numbers. */
const PEER_BSON = { promoteLongs: false, promoteValues: true, promoteBuffers: false } as const;

export class PeerError extends Error {
  override name = 'PeerError';
}

export function splitHost(host: string): { host: string; port: number } {
  const i = host.lastIndexOf(':');
  let h = host.slice(0, i);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return { host: h, port: Number(host.slice(i + 1)) };
}

export class PeerClient {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private pending: { id: number; resolve: (d: Doc) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private ready: net.Socket | undefined;

  /**
   * `onConnect` runs on every new connection before the first command (internal
   * authentication with the keyFile: see auth/internal-client.ts).
   */
  constructor(
    readonly target: string,
    private readonly onConnect?: (run: (cmd: Doc) => Promise<Doc>) => Promise<void>,
  ) {}

  /** Runs one command (admin db unless $db is set); rejects on network error or timeout. */
  command(body: Doc, timeoutMs: number): Promise<Doc> {
    const run = this.chain.then(
      () => this.run(body, timeoutMs),
      () => this.run(body, timeoutMs),
    );
    this.chain = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    this.drop(new PeerError('closed'));
  }

  private async run(body: Doc, timeoutMs: number): Promise<Doc> {
    if (this.closed) throw new PeerError('closed');
    const deadline = Date.now() + timeoutMs;
    const socket = await this.connect(timeoutMs);
    if (this.onConnect && this.ready !== socket) {
      await this.onConnect((cmd) => this.send(socket, cmd, Math.max(1, deadline - Date.now())));
      this.ready = socket;
    }
    return this.send(socket, body, Math.max(1, deadline - Date.now()));
  }

  private send(socket: net.Socket, body: Doc, timeoutMs: number): Promise<Doc> {
    return new Promise<Doc>((resolve, reject) => {
      if (this.socket !== socket) return reject(new PeerError(`connection to ${this.target} closed`));
      const id = newRequestId();
      const timer = setTimeout(() => this.drop(new PeerError(`timed out after ${timeoutMs} ms talking to ${this.target}`)), timeoutMs);
      this.pending = { id, resolve, reject, timer };
      const msg = { ...body };
      if (msg.$db === undefined) msg.$db = 'admin';
      for (const chunk of encodeOpMsg({ requestId: id, body: msg })) socket.write(chunk);
    });
  }

  private connect(timeoutMs: number): Promise<net.Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const { host, port } = splitHost(this.target);
    this.connecting = new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port });
      s.setNoDelay(true);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new PeerError(`connect to ${this.target} timed out`));
      }, timeoutMs);
      const framer = new MessageFramer(DEFAULT_MAX_MESSAGE_SIZE_BYTES);
      s.once('connect', () => {
        clearTimeout(timer);
        this.socket = s;
        resolve(s);
      });
      s.on('data', (chunk: Buffer) => {
        let msgs: Uint8Array[];
        try {
          msgs = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch (e) {
          this.drop(e as Error);
          return;
        }
        for (const m of msgs) {
          let decoded;
          try {
            decoded = decodeOpMsg(m, { bson: PEER_BSON });
          } catch (e) {
            this.drop(e as Error);
            return;
          }
          const p = this.pending;
          if (p && decoded.responseTo === p.id) {
            this.pending = undefined;
            clearTimeout(p.timer);
            p.resolve(decoded.body as Doc);
          }
        }
      });
      const fail = (e?: Error): void => {
        clearTimeout(timer);
        if (this.socket === s) this.drop(e ?? new PeerError(`connection to ${this.target} closed`));
        else reject(e ?? new PeerError(`connection to ${this.target} closed`));
      };
      s.on('error', fail);
      s.on('close', () => fail());
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private drop(e: Error): void {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(e instanceof PeerError ? e : new PeerError(e.message));
    }
  }
}
