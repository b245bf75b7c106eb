/**
 * One channel: one TCP (or TLS) connection to a target, relayed over its WebSocket.
 * Connect (with the handshake timeout), relay both ways, the TCP side of backpressure,
 * close. The WebSocket side (pausing the whole socket, resuming readers when sends
 * flush) belongs to the socket, reached through `ChannelSocket`.
 *
 *  - target -> client: the TCP stream is cut into data frames by DataFrameAssembler (a
 *    declared length over the limit fails the channel before its body is buffered; one
 *    copy per message, header included); each goes out as one WebSocket message. Bytes
 *    handed to the WebSocket but not yet flushed are counted; over maxBufferedBytes (or
 *    the socket's whole bufferedAmount over it) the TCP socket is paused until the sends
 *    flush below half.
 *  - client -> target: each data payload was checked by the socket; it is written to
 *    TCP, and while the target's writableLength is over maxBufferedBytes the socket
 *    pauses the WebSocket until this target drains.
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  BRIDGE_FRAME_HEADER_SIZE,
  BridgeErrorReason,
  BridgeFrameType,
  encodeBridgeControlFrame,
  encodeBridgeFrame,
} from '@mongo-edge/core/internal';
import { DriverErrorCode } from '@mongo-edge/core';
import { DataFrameAssembler } from './frame-assembler.js';
import type { FramePool } from './frame-pool.js';
import type { Logger } from './log.js';
import type { BridgeMetrics } from './metrics.js';
import type { OpenPayload } from './protocol.js';

export interface ChannelConfig {
  readonly maxMessageSize: number;
  readonly maxBufferedBytes: number;
  readonly handshakeTimeoutMs: number;
  /** Trusted CAs for TLS to targets when --target-ca is set (Node's roots + the extra ones). */
  readonly targetCa: readonly string[] | undefined;
  /** Buffers of large frames to clients, reused once sent (one per server, shared by its channels). */
  readonly framePool?: FramePool | undefined;
}

/**
 * What a socket holds per channel id: the relay's Channel (TCP to a target) or, in
 * gateway mode, a channel answered in process (gateway/channel.ts).
 */
export interface SocketChannel {
  readonly id: number;
  readonly target: string;
  readonly bufferedBytes: number;
  readonly lastActivity: number;
  /** Start: connect to the target (relay) or say `opened` (gateway). */
  connect(): void;
  /** One whole client message, checked by the socket. */
  write(message: Uint8Array, expectsReply: boolean): void;
  tryResumeReads(): boolean;
  drain(message: string): void;
  fail(reason: BridgeErrorReason, message: string): void;
  destroy(by: 'client' | 'socket'): void;
}

/** What a channel needs from its WebSocket session. */
export interface ChannelSocket {
  /** The socket's id, for logs. */
  readonly id: number;
  /** Send a frame; `onFlushed` runs once it left the process (or failed). */
  send(frame: Uint8Array, onFlushed?: () => void): void;
  /** Is the whole WebSocket over the buffer limit? */
  readonly lagging: boolean;
  /** This channel's target is over its write limit / has drained. */
  targetBlocked(channel: SocketChannel): void;
  targetDrained(channel: SocketChannel): void;
  /** This channel paused its TCP reads; call tryResumeReads() when sends flush. */
  readsPaused(channel: SocketChannel): void;
  /** A send completed. */
  flushed(): void;
  /** The channel is closed (once). */
  closed(channel: SocketChannel): void;
}

type ChannelState = 'connecting' | 'open' | 'closed';

export class Channel implements SocketChannel {
  readonly id: number;
  readonly target: string;
  #state: ChannelState = 'connecting';
  #tcp: net.Socket | undefined;
  readonly #framer: DataFrameAssembler;
  readonly #open: OpenPayload;
  readonly #socket: ChannelSocket;
  readonly #config: ChannelConfig;
  readonly #metrics: BridgeMetrics;
  readonly #log: Logger;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #pendingToClient = 0;
  #tcpPaused = false;
  #tcpError: Error | undefined;
  #bytesIn = 0;
  #bytesOut = 0;
  #lastActivity = Date.now();
  /** The client sent a request and no reply has come back yet. */
  #awaitingReply = false;
  #closeAfterReply = false;

  constructor(socket: ChannelSocket, id: number, target: string, open: OpenPayload, deps: { config: ChannelConfig; metrics: BridgeMetrics; log: Logger }) {
    this.#socket = socket;
    this.id = id;
    this.target = target;
    this.#open = open;
    this.#config = deps.config;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    const pool = deps.config.framePool;
    this.#framer = new DataFrameAssembler(id, deps.config.maxMessageSize, pool && ((size) => pool.take(size)));
  }

  get bufferedBytes(): number {
    return this.#pendingToClient + this.#framer.bufferedBytes + (this.#tcp?.writableLength ?? 0);
  }

  get lastActivity(): number {
    return this.#lastActivity;
  }

  get awaitingReply(): boolean {
    return this.#awaitingReply;
  }

  connect(): void {
    const { host, port } = this.#open;
    const t = this.#open.tls;
    const ca = this.#config.targetCa;
    const socket = t
      ? tls.connect({
          host,
          port,
          servername: t.servername ?? (net.isIP(host) ? undefined : host),
          rejectUnauthorized: !t.allowInvalidCertificates,
          ...(ca ? { ca: [...ca] } : {}),
          ...(t.allowInvalidHostnames ? { checkServerIdentity: () => undefined } : {}),
        })
      : net.connect({ host, port });
    this.#tcp = socket;
    socket.setNoDelay(true);
    this.#connectTimer = setTimeout(() => {
      this.fail(BridgeErrorReason.TargetUnreachable, `connecting to ${this.target} timed out after ${this.#config.handshakeTimeoutMs} ms`);
    }, this.#config.handshakeTimeoutMs);
    socket.once(t ? 'secureConnect' : 'connect', () => this.#onConnected());
    socket.on('data', (chunk: Buffer) => this.#fromTarget(chunk));
    socket.on('drain', () => this.#socket.targetDrained(this));
    socket.on('error', (err) => {
      this.#tcpError = err;
    });
    socket.on('close', () => this.#onTcpClose());
  }

  #onConnected(): void {
    if (this.#state !== 'connecting') return;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#state = 'open';
    this.#lastActivity = Date.now();
    this.#socket.send(encodeBridgeControlFrame(BridgeFrameType.Opened, this.id, { maxMessageSizeBytes: this.#config.maxMessageSize }));
    this.#log.info('channel.open', { conn: this.#socket.id, channel: this.id, target: this.target, tls: Boolean(this.#open.tls) });
  }

  #onTcpClose(): void {
    if (this.#state === 'closed') return;
    const err = this.#tcpError as (Error & { code?: string }) | undefined;
    if (this.#state === 'connecting') {
      const detail = err ? (err.code ? `${err.code}: ${err.message}` : err.message) : 'connection closed';
      this.fail(BridgeErrorReason.TargetUnreachable, `cannot connect to ${this.target}: ${detail}`);
    } else if (err) {
      this.fail(BridgeErrorReason.TargetUnreachable, `connection to ${this.target} failed: ${err.code ?? err.message}`);
    } else {
      this.#socket.send(encodeBridgeFrame(BridgeFrameType.Close, this.id));
      this.#finish('target');
    }
  }

  /** One whole client message (checked by the socket) for the target. */
  write(message: Uint8Array, expectsReply: boolean): void {
    if (this.#state === 'closed') return;
    this.#lastActivity = Date.now();
    if (expectsReply) this.#awaitingReply = true;
    this.#bytesIn += message.byteLength;
    this.#metrics.bytes.client_to_server += message.byteLength;
    this.#metrics.messages.client_to_server += 1;
    const tcp = this.#tcp!;
    tcp.write(message);
    if (tcp.writableLength > this.#config.maxBufferedBytes) this.#socket.targetBlocked(this);
    this.#metrics.observeBuffered(this.bufferedBytes);
  }

  #fromTarget(chunk: Buffer): void {
    if (this.#state !== 'open') return;
    this.#lastActivity = Date.now();
    let frames: Buffer[];
    try {
      frames = this.#framer.push(chunk);
    } catch (e) {
      const tooLarge = (e as { code?: unknown }).code === DriverErrorCode.MessageTooLarge;
      this.fail(tooLarge ? BridgeErrorReason.MessageTooLarge : BridgeErrorReason.ProtocolError, `${this.target} sent a bad message: ${(e as Error).message}`);
      return;
    }
    for (const frame of frames) {
      const size = frame.byteLength;
      this.#pendingToClient += size;
      this.#bytesOut += size - BRIDGE_FRAME_HEADER_SIZE;
      this.#metrics.bytes.server_to_client += size - BRIDGE_FRAME_HEADER_SIZE;
      this.#metrics.messages.server_to_client += 1;
      this.#socket.send(frame, () => {
        this.#pendingToClient -= size;
        this.#config.framePool?.give(frame);
        this.#socket.flushed();
      });
    }
    this.#metrics.observeBuffered(this.bufferedBytes);
    if (frames.length > 0) {
      this.#awaitingReply = false;
      if (this.#closeAfterReply) {
        this.fail(BridgeErrorReason.BridgeShuttingDown, 'the bridge is shutting down');
        return;
      }
    }
    if (!this.#tcpPaused && (this.#pendingToClient > this.#config.maxBufferedBytes || this.#socket.lagging)) {
      this.#tcpPaused = true;
      this.#metrics.tcpPauses += 1;
      this.#tcp!.pause();
      this.#socket.readsPaused(this);
    }
  }

  /** Resume TCP reads if this channel is back under half its limit. True when not paused any more. */
  tryResumeReads(): boolean {
    if (!this.#tcpPaused || this.#state === 'closed') return true;
    if (this.#pendingToClient > this.#config.maxBufferedBytes / 2) return false;
    this.#tcpPaused = false;
    this.#tcp!.resume();
    return true;
  }

  /** Shutdown: close now if idle, else after the reply in flight. */
  drain(message: string): void {
    if (this.#awaitingReply) this.#closeAfterReply = true;
    else this.fail(BridgeErrorReason.BridgeShuttingDown, message);
  }

  /** Close with an error frame to the client. */
  fail(reason: BridgeErrorReason, message: string): void {
    if (this.#state === 'closed') return;
    this.#metrics.error(reason);
    this.#socket.send(encodeBridgeControlFrame(BridgeFrameType.Error, this.id, { reason, message }));
    this.#log.warn('channel.error', { conn: this.#socket.id, channel: this.id, target: this.target, reason, message });
    this.#finish('bridge');
  }

  /** Close without telling the client (it closed the channel, or the socket is gone). */
  destroy(by: 'client' | 'socket'): void {
    this.#finish(by);
  }

  #finish(by: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#tcp?.destroy();
    this.#log.info('channel.closed', {
      conn: this.#socket.id,
      channel: this.id,
      target: this.target,
      by,
      bytesClientToServer: this.#bytesIn,
      bytesServerToClient: this.#bytesOut,
    });
    this.#socket.closed(this);
  }
}
