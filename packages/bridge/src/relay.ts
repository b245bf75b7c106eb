/**
 * The relay: one ClientConnection per accepted WebSocket, one Channel per logical TCP
 * connection on it (docs/bridge-protocol.md).
 *
 * Memory is bounded both ways:
 *  - target -> client: the TCP stream is cut into whole messages by MessageFramer (a
 *    declared length over the limit fails the channel before its body is buffered);
 *    each message goes out as one data frame. Bytes handed to the WebSocket but not yet
 *    flushed are counted per channel; over maxBufferedBytes (or the socket's whole
 *    bufferedAmount over it) the TCP socket is paused until the send callbacks drain.
 *  - client -> target: data frames are checked (whole message, within the limit) and
 *    written to TCP; while a target's writableLength is over maxBufferedBytes the
 *    WebSocket is paused (ws.pause()) until that socket drains.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import {
  BRIDGE_FRAME_HEADER_SIZE,
  BRIDGE_SOCKET_CHANNEL,
  BridgeCloseCode,
  BridgeErrorReason,
  BridgeFrameType,
  MESSAGE_HEADER_SIZE,
  MessageFramer,
  OP_MSG,
  OP_MSG_MORE_TO_COME,
  decodeBridgeControlPayload,
  decodeBridgeFrame,
  encodeBridgeControlFrame,
  encodeBridgeFrame,
  type BridgeFrame,
  type BridgeFrameType as FrameType,
} from '@mongo-edge/core/internal';
import { DriverErrorCode } from '@mongo-edge/core';
import { matchesAny, targetKey, type Allowlist } from './allowlist.js';
import type { TokenGrant, TokenVerifier } from './auth.js';
import type { BridgeConfig } from './config.js';
import type { Logger } from './log.js';
import type { BridgeMetrics } from './metrics.js';

export interface RelayContext {
  readonly config: BridgeConfig;
  readonly metrics: BridgeMetrics;
  readonly log: Logger;
  readonly allowlist: Allowlist;
  readonly verifier: TokenVerifier;
  /** Trusted CAs for TLS to targets when --target-ca is set (Node's roots + the extra ones). */
  readonly targetCa: string[] | undefined;
  isShuttingDown(): boolean;
  /** Called once when a connection is fully closed. */
  onConnectionClosed(conn: ClientConnection): void;
}

const openPayloadSchema = z.object({
  host: z.string().min(1).max(255).regex(/^[A-Za-z0-9._:-]+$/, 'bad host'),
  port: z.number().int().min(1).max(65535),
  tls: z
    .object({
      servername: z.string().min(1).max(255).optional(),
      allowInvalidCertificates: z.boolean().optional(),
      allowInvalidHostnames: z.boolean().optional(),
    })
    .strict()
    .optional(),
});
type OpenPayload = z.infer<typeof openPayloadSchema>;

/** Frames accepted before authentication finishes. */
const PRE_AUTH_MAX_FRAMES = 64;
const PRE_AUTH_MAX_BYTES = 1024 * 1024;
/** WebSocket close reasons must fit in 123 bytes. */
const closeReason = (s: string) => (s.length > 120 ? s.slice(0, 117) + '...' : s);

let nextConnectionId = 1;

type ConnState = 'authenticating' | 'ready' | 'closed';

export interface ConnectionInfo {
  ip: string;
  origin: string | undefined;
  /** Token from the subprotocol, if one was offered. */
  protocolToken: string | undefined;
}

export class ClientConnection {
  readonly id = nextConnectionId++;
  private state: ConnState = 'authenticating';
  private grant: TokenGrant | undefined;
  private readonly channels = new Map<number, Channel>();
  private highestChannelId = 0;
  private preAuth: Buffer[] = [];
  private preAuthBytes = 0;
  private authTimer: ReturnType<typeof setTimeout> | undefined;
  private authStarted = false;
  /** Channels whose target socket is over the write limit: the WebSocket is paused while any. */
  private readonly writeBlocked = new Set<Channel>();
  /** Channels whose TCP reads are paused because the WebSocket lags. */
  private readonly readPaused = new Set<Channel>();
  private draining = false;
  private readonly openedAt = Date.now();
  lastActivity = Date.now();
  private pongPending = false;

  constructor(
    readonly ws: WebSocket,
    readonly info: ConnectionInfo,
    private readonly ctx: RelayContext,
  ) {
    ctx.metrics.websocketsOpen += 1;
    ctx.metrics.websocketsTotal += 1;
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    ws.on('error', (err) => ctx.log.warn('websocket.error', { conn: this.id, error: err.message }));
    ws.on('pong', () => {
      this.pongPending = false;
    });
    if (info.protocolToken !== undefined) {
      this.authenticate(info.protocolToken);
    } else if (ctx.config.noAuth) {
      void this.authenticate(undefined);
    } else {
      this.authTimer = setTimeout(() => {
        this.refuse(BridgeCloseCode.AuthFailed, BridgeErrorReason.AuthFailed, 'no auth frame within the handshake timeout');
      }, ctx.config.handshakeTimeoutMs);
    }
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** Bytes held for this connection's channels. */
  get bufferedBytes(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.bufferedBytes;
    return n;
  }

  get wsBufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  private authenticate(token: string | undefined): void {
    this.authStarted = true;
    void this.ctx.verifier.verify(token).then(
      (result) => {
        if (this.state !== 'authenticating') return;
        if (!result.ok) {
          this.refuse(BridgeCloseCode.AuthFailed, BridgeErrorReason.AuthFailed, `authentication failed: ${result.message}`);
          return;
        }
        if (this.authTimer) clearTimeout(this.authTimer);
        this.authTimer = undefined;
        this.grant = result.grant;
        this.state = 'ready';
        this.ctx.log.info('connection.open', {
          conn: this.id,
          ip: this.info.ip,
          origin: this.info.origin,
          subject: result.grant.subject,
        });
        const queued = this.preAuth;
        this.preAuth = [];
        this.preAuthBytes = 0;
        for (const b of queued) {
          if (this.state !== 'ready') break;
          this.onMessage(b, true);
        }
        if (this.draining) this.sendShutdownNotice();
      },
      (err: unknown) => {
        this.ctx.log.error('auth.error', { conn: this.id, error: (err as Error).message });
        this.refuse(BridgeCloseCode.AuthFailed, BridgeErrorReason.AuthFailed, 'authentication failed');
      },
    );
  }

  /** Refuse the whole socket (counts a refusal). */
  refuse(code: number, reason: BridgeErrorReason, message: string): void {
    if (this.state === 'closed') return;
    this.ctx.metrics.refuse(reason);
    this.ctx.log.warn('connection.refused', { conn: this.id, ip: this.info.ip, origin: this.info.origin, reason, message });
    this.closeSocket(code, message);
  }

  private fatal(reason: BridgeErrorReason, code: number, message: string): void {
    if (this.state === 'closed') return;
    this.ctx.metrics.error(reason);
    this.ctx.log.warn('connection.error', { conn: this.id, reason, message });
    this.closeSocket(code, message);
  }

  closeSocket(code: number, message: string): void {
    try {
      this.ws.close(code, closeReason(message));
    } catch {
      this.ws.terminate();
    }
    this.teardown();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    this.lastActivity = Date.now();
    if (!isBinary) {
      this.fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, 'text frames are not part of the protocol');
      return;
    }
    let frame: BridgeFrame;
    try {
      frame = decodeBridgeFrame(data);
    } catch (e) {
      this.fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, (e as Error).message);
      return;
    }
    if (this.state === 'authenticating') {
      if (frame.type === BridgeFrameType.Auth && !this.authStarted) {
        let token: unknown;
        try {
          token = decodeBridgeControlPayload(frame.payload).token;
        } catch {
          token = undefined;
        }
        this.authenticate(typeof token === 'string' ? token : '');
        return;
      }
      if (!this.authStarted) {
        this.refuse(BridgeCloseCode.AuthFailed, BridgeErrorReason.AuthFailed, 'missing token: send it as a mongo-edge.token.* subprotocol or in a first auth frame');
        return;
      }
      this.preAuth.push(data);
      this.preAuthBytes += data.byteLength;
      if (this.preAuth.length > PRE_AUTH_MAX_FRAMES || this.preAuthBytes > PRE_AUTH_MAX_BYTES) {
        this.refuse(BridgeCloseCode.LimitExceeded, BridgeErrorReason.LimitExceeded, 'too much data before authentication finished');
      }
      return;
    }
    this.handleFrame(frame);
  }

  private handleFrame(frame: BridgeFrame): void {
    const id = frame.channelId;
    switch (frame.type) {
      case BridgeFrameType.Auth:
        return; // already authenticated (e.g. token in both places): ignored
      case BridgeFrameType.Open:
        this.open(id, frame.payload);
        return;
      case BridgeFrameType.Data: {
        const channel = this.channels.get(id);
        if (!channel) {
          if (id === BRIDGE_SOCKET_CHANNEL || id > this.highestChannelId) {
            this.fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, `data for channel ${id} which was never opened`);
          }
          return; // late data for a channel that already closed
        }
        channel.fromClient(frame.payload);
        return;
      }
      case BridgeFrameType.Close: {
        const channel = this.channels.get(id);
        if (channel) channel.destroy('client');
        else if (id > this.highestChannelId) {
          this.fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, `close for channel ${id} which was never opened`);
        }
        return;
      }
      case BridgeFrameType.Opened:
      case BridgeFrameType.Error:
        this.fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, `frame type ${frame.type} is bridge-to-client only`);
        return;
      default: {
        const never: never = frame.type;
        throw new Error(`unreachable frame type ${String(never)}`);
      }
    }
  }

  private open(id: number, payloadBytes: Uint8Array): void {
    if (id === BRIDGE_SOCKET_CHANNEL || id <= this.highestChannelId) {
      this.fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, `channel id ${id} is not above the last one (${this.highestChannelId})`);
      return;
    }
    this.highestChannelId = id;
    let payload: OpenPayload;
    try {
      const parsed = openPayloadSchema.safeParse(decodeBridgeControlPayload(payloadBytes));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'open'}: ${i.message}`).join('; '));
      payload = parsed.data;
    } catch (e) {
      this.refuseChannel(id, BridgeErrorReason.ProtocolError, `bad open frame: ${(e as Error).message}`);
      return;
    }
    const target = targetKey(payload.host, payload.port);
    if (this.draining || this.ctx.isShuttingDown()) {
      this.refuseChannel(id, BridgeErrorReason.BridgeShuttingDown, 'the bridge is shutting down', target);
      return;
    }
    if (this.grant?.expiresAt !== undefined && this.grant.expiresAt * 1000 <= Date.now()) {
      this.refuseChannel(id, BridgeErrorReason.AuthFailed, 'the token has expired; reconnect with a fresh token', target);
      return;
    }
    if (this.channels.size >= this.ctx.config.maxChannelsPerSocket) {
      this.refuseChannel(id, BridgeErrorReason.LimitExceeded, `at most ${this.ctx.config.maxChannelsPerSocket} channels per WebSocket`, target);
      return;
    }
    if (this.ctx.config.requireTargetTls && !payload.tls) {
      this.refuseChannel(id, BridgeErrorReason.TargetRefused, 'this bridge only opens TLS connections to targets (set tls=true)', target);
      return;
    }
    const allowed =
      this.ctx.allowlist.allows(payload.host, payload.port) &&
      (this.grant?.allow === undefined || matchesAny(this.grant.allow, payload.host, payload.port));
    if (!allowed) {
      this.refuseChannel(id, BridgeErrorReason.TargetRefused, `${target} is not in the bridge allowlist`, target);
      return;
    }
    const channel = new Channel(this, id, payload, this.ctx);
    this.channels.set(id, channel);
    this.ctx.metrics.channelsOpen += 1;
    this.ctx.metrics.channelsTotal += 1;
    channel.connect();
  }

  private refuseChannel(id: number, reason: BridgeErrorReason, message: string, target?: string): void {
    this.ctx.metrics.refuse(reason);
    this.ctx.log.warn('channel.refused', { conn: this.id, channel: id, target, reason, message });
    this.sendError(id, reason, message);
  }

  // ------------------------------------------------------------ used by channels

  sendError(id: number, reason: BridgeErrorReason, message: string): void {
    this.sendFrame(encodeBridgeControlFrame(BridgeFrameType.Error, id, { reason, message }));
  }

  sendFrame(frame: Uint8Array, cb?: (err?: Error) => void): boolean {
    if (this.ws.readyState !== 1) {
      if (cb) queueMicrotask(() => cb(new Error('WebSocket closed')));
      return false;
    }
    this.ws.send(frame, { binary: true }, cb);
    return true;
  }

  sendControl(type: FrameType, id: number, body?: object): void {
    this.sendFrame(body ? encodeBridgeControlFrame(type, id, body) : encodeBridgeFrame(type, id));
  }

  channelClosed(channel: Channel): void {
    if (this.channels.get(channel.id) !== channel) return;
    this.channels.delete(channel.id);
    this.ctx.metrics.channelsOpen -= 1;
    this.unblockWrites(channel);
    this.readPaused.delete(channel);
    if (this.draining && this.channels.size === 0) {
      this.closeSocket(BridgeCloseCode.GoingAway, 'bridge shutting down');
    }
  }

  blockWrites(channel: Channel): void {
    if (this.writeBlocked.has(channel)) return;
    this.writeBlocked.add(channel);
    if (this.writeBlocked.size === 1) {
      this.ctx.metrics.websocketPauses += 1;
      this.ws.pause();
    }
  }

  unblockWrites(channel: Channel): void {
    if (!this.writeBlocked.delete(channel)) return;
    if (this.writeBlocked.size === 0 && this.state !== 'closed') this.ws.resume();
  }

  /** Is the whole WebSocket over the limit (all channels together)? */
  get socketLagging(): boolean {
    return this.ws.bufferedAmount > this.ctx.config.maxBufferedBytes;
  }

  pauseReads(channel: Channel): void {
    this.readPaused.add(channel);
  }

  /** After a send completes: resume channels that are back under their limits. */
  sendFlushed(): void {
    if (this.readPaused.size === 0 || this.socketLagging) return;
    for (const c of [...this.readPaused]) {
      if (c.tryResumeReads()) this.readPaused.delete(c);
    }
  }

  // ------------------------------------------------------------ lifecycle

  /** Idle and liveness checks, called periodically by the server. */
  sweep(now: number): void {
    if (this.state === 'closed') return;
    const idle = this.ctx.config.idleTimeoutMs;
    if (idle > 0) {
      for (const c of [...this.channels.values()]) {
        if (now - c.lastActivity >= idle) c.fail(BridgeErrorReason.IdleTimeout, `no traffic for ${idle} ms`);
      }
      if (this.channels.size === 0 && now - this.lastActivity >= idle) {
        this.ctx.metrics.error(BridgeErrorReason.IdleTimeout);
        this.ctx.log.info('connection.idle', { conn: this.id });
        this.closeSocket(BridgeCloseCode.IdleTimeout, `no channels for ${idle} ms`);
      }
    }
  }

  ping(): void {
    if (this.state === 'closed' || this.ws.readyState !== 1) return;
    if (this.pongPending) {
      this.ctx.log.warn('connection.dead', { conn: this.id });
      this.ws.terminate();
      this.teardown();
      return;
    }
    this.pongPending = true;
    this.ws.ping();
  }

  /** Graceful shutdown: notify, let channels with a request in flight get their reply. */
  beginShutdown(): void {
    if (this.state === 'closed' || this.draining) return;
    this.draining = true;
    if (this.state === 'authenticating') {
      this.closeSocket(BridgeCloseCode.GoingAway, 'bridge shutting down');
      return;
    }
    this.sendShutdownNotice();
  }

  private sendShutdownNotice(): void {
    this.sendError(BRIDGE_SOCKET_CHANNEL, BridgeErrorReason.BridgeShuttingDown, 'the bridge is shutting down; open new channels on a new WebSocket');
    for (const c of [...this.channels.values()]) {
      if (!c.awaitingReply) c.fail(BridgeErrorReason.BridgeShuttingDown, 'the bridge is shutting down');
      else c.closeAfterReply = true;
    }
    if (this.channels.size === 0) this.closeSocket(BridgeCloseCode.GoingAway, 'bridge shutting down');
  }

  /** Shutdown timeout reached: close everything now. */
  forceClose(): void {
    if (this.state === 'closed') return;
    for (const c of [...this.channels.values()]) c.fail(BridgeErrorReason.BridgeShuttingDown, 'the bridge is shutting down (timeout)');
    this.closeSocket(BridgeCloseCode.GoingAway, 'bridge shutting down');
  }

  terminate(): void {
    this.ws.terminate();
    this.teardown();
  }

  private onClose(code: number, reason: string): void {
    if (this.state !== 'closed') {
      this.ctx.log.info('connection.closed', { conn: this.id, by: 'client', code, reason: reason.slice(0, 120) });
    }
    this.teardown();
  }

  private teardown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.preAuth = [];
    for (const c of [...this.channels.values()]) c.destroy('socket');
    this.writeBlocked.clear();
    this.readPaused.clear();
    this.ctx.metrics.websocketsOpen -= 1;
    this.ctx.log.info('connection.end', { conn: this.id, durationMs: Date.now() - this.openedAt });
    this.ctx.onConnectionClosed(this);
  }
}

type ChannelState = 'connecting' | 'open' | 'closed';

class Channel {
  private state: ChannelState = 'connecting';
  private socket: net.Socket | undefined;
  private readonly framer: MessageFramer;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingToClient = 0;
  private tcpPaused = false;
  private socketError: Error | undefined;
  private bytesIn = 0;
  private bytesOut = 0;
  readonly target: string;
  lastActivity = Date.now();
  /** The client sent a request and no reply has come back yet. */
  awaitingReply = false;
  closeAfterReply = false;

  constructor(
    private readonly conn: ClientConnection,
    readonly id: number,
    private readonly open: OpenPayload,
    private readonly ctx: RelayContext,
  ) {
    this.framer = new MessageFramer(ctx.config.maxMessageSize);
    this.target = targetKey(open.host, open.port);
  }

  get bufferedBytes(): number {
    return this.pendingToClient + this.framer.bufferedBytes + (this.socket?.writableLength ?? 0);
  }

  connect(): void {
    const { host, port } = this.open;
    const t = this.open.tls;
    let socket: net.Socket;
    if (t) {
      socket = tls.connect({
        host,
        port,
        servername: t.servername ?? (net.isIP(host) ? undefined : host),
        rejectUnauthorized: !t.allowInvalidCertificates,
        ...(this.ctx.targetCa ? { ca: this.ctx.targetCa } : {}),
        ...(t.allowInvalidHostnames ? { checkServerIdentity: () => undefined } : {}),
      });
    } else {
      socket = net.connect({ host, port });
    }
    this.socket = socket;
    socket.setNoDelay(true);
    this.connectTimer = setTimeout(() => {
      this.fail(BridgeErrorReason.TargetUnreachable, `connecting to ${this.target} timed out after ${this.ctx.config.handshakeTimeoutMs} ms`);
    }, this.ctx.config.handshakeTimeoutMs);
    socket.once(t ? 'secureConnect' : 'connect', () => this.onConnected());
    socket.on('data', (chunk: Buffer) => this.fromTarget(chunk));
    socket.on('drain', () => this.conn.unblockWrites(this));
    socket.on('error', (err) => {
      this.socketError = err;
    });
    socket.on('close', () => this.onSocketClose());
  }

  private onConnected(): void {
    if (this.state !== 'connecting') return;
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.state = 'open';
    this.lastActivity = Date.now();
    this.conn.sendControl(BridgeFrameType.Opened, this.id, { maxMessageSizeBytes: this.ctx.config.maxMessageSize });
    this.ctx.log.info('channel.open', { conn: this.conn.id, channel: this.id, target: this.target, tls: Boolean(this.open.tls) });
  }

  private onSocketClose(): void {
    if (this.state === 'closed') return;
    const err = this.socketError as (Error & { code?: string }) | undefined;
    if (this.state === 'connecting') {
      const detail = err ? (err.code ? `${err.code}: ${err.message}` : err.message) : 'connection closed';
      this.fail(BridgeErrorReason.TargetUnreachable, `cannot connect to ${this.target}: ${detail}`);
    } else if (err) {
      this.fail(BridgeErrorReason.TargetUnreachable, `connection to ${this.target} failed: ${err.code ?? err.message}`);
    } else {
      this.conn.sendControl(BridgeFrameType.Close, this.id);
      this.finish('target');
    }
  }

  /** A data frame from the client: one whole message within the limit. */
  fromClient(payload: Uint8Array): void {
    if (this.state === 'closed') return;
    this.lastActivity = Date.now();
    const max = this.ctx.config.maxMessageSize;
    const declared = payload.byteLength >= 4 ? new DataView(payload.buffer, payload.byteOffset, 4).getInt32(0, true) : -1;
    if (declared > max || payload.byteLength > max) {
      this.fail(BridgeErrorReason.MessageTooLarge, `message of ${Math.max(declared, payload.byteLength)} bytes exceeds the bridge limit of ${max} bytes`);
      return;
    }
    if (payload.byteLength < MESSAGE_HEADER_SIZE || declared !== payload.byteLength) {
      this.fail(BridgeErrorReason.ProtocolError, `a data frame must hold exactly one whole wire message (declared ${declared}, got ${payload.byteLength} bytes)`);
      return;
    }
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const opCode = view.getInt32(12, true);
    const moreToCome = opCode === OP_MSG && payload.byteLength >= 20 && (view.getUint32(16, true) & OP_MSG_MORE_TO_COME) !== 0;
    if (!moreToCome) this.awaitingReply = true;
    this.bytesIn += payload.byteLength;
    this.ctx.metrics.bytes.client_to_server += payload.byteLength;
    this.ctx.metrics.messages.client_to_server += 1;
    const socket = this.socket!;
    socket.write(payload);
    if (socket.writableLength > this.ctx.config.maxBufferedBytes) this.conn.blockWrites(this);
    this.ctx.metrics.observeBuffered(this.bufferedBytes);
  }

  private fromTarget(chunk: Buffer): void {
    if (this.state !== 'open') return;
    this.lastActivity = Date.now();
    let messages: Uint8Array[];
    try {
      messages = this.framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (e) {
      const tooLarge = (e as { code?: unknown }).code === DriverErrorCode.MessageTooLarge;
      this.fail(
        tooLarge ? BridgeErrorReason.MessageTooLarge : BridgeErrorReason.ProtocolError,
        `${this.target} sent a bad message: ${(e as Error).message}`,
      );
      return;
    }
    for (const m of messages) {
      const frame = Buffer.allocUnsafe(BRIDGE_FRAME_HEADER_SIZE + m.byteLength);
      frame[0] = BridgeFrameType.Data;
      frame.writeUInt32BE(this.id, 1);
      frame.set(m, BRIDGE_FRAME_HEADER_SIZE);
      const size = frame.byteLength;
      this.pendingToClient += size;
      this.bytesOut += m.byteLength;
      this.ctx.metrics.bytes.server_to_client += m.byteLength;
      this.ctx.metrics.messages.server_to_client += 1;
      this.conn.sendFrame(frame, () => {
        this.pendingToClient -= size;
        this.conn.sendFlushed();
      });
    }
    this.ctx.metrics.observeBuffered(this.bufferedBytes);
    if (messages.length > 0) {
      this.awaitingReply = false;
      if (this.closeAfterReply) {
        this.fail(BridgeErrorReason.BridgeShuttingDown, 'the bridge is shutting down');
        return;
      }
    }
    if (!this.tcpPaused && (this.pendingToClient > this.ctx.config.maxBufferedBytes || this.conn.socketLagging)) {
      this.tcpPaused = true;
      this.ctx.metrics.tcpPauses += 1;
      this.socket!.pause();
      this.conn.pauseReads(this);
    }
  }

  /** Resume TCP reads if this channel is back under half its limit. */
  tryResumeReads(): boolean {
    if (!this.tcpPaused) return true;
    if (this.state === 'closed') return true;
    if (this.pendingToClient > this.ctx.config.maxBufferedBytes / 2) return false;
    this.tcpPaused = false;
    this.socket!.resume();
    return true;
  }

  /** Close with an error frame to the client. */
  fail(reason: BridgeErrorReason, message: string): void {
    if (this.state === 'closed') return;
    this.ctx.metrics.error(reason);
    this.conn.sendError(this.id, reason, message);
    this.ctx.log.warn('channel.error', { conn: this.conn.id, channel: this.id, target: this.target, reason, message });
    this.finish('bridge');
  }

  /** Close without telling the client (it closed the channel, or the socket is gone). */
  destroy(by: 'client' | 'socket'): void {
    this.finish(by);
  }

  private finish(by: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.socket?.destroy();
    this.ctx.log.info('channel.closed', {
      conn: this.conn.id,
      channel: this.id,
      target: this.target,
      by,
      bytesClientToServer: this.bytesIn,
      bytesServerToClient: this.bytesOut,
    });
    this.conn.channelClosed(this);
  }
}
