/**
 * One WebSocket session (docs/bridge-protocol.md): authentication, frames in and out,
 * its channels, and the WebSocket side of backpressure (pause reading the socket while
 * a target lags; resume paused channel readers as sends flush). What a channel may open
 * is decided by `admitChannel` (admission.ts); the TCP side lives in channel.ts.
 */
import type { WebSocket } from 'ws';
import {
  BRIDGE_SOCKET_CHANNEL,
  BridgeCloseCode,
  BridgeErrorReason,
  BridgeFrameType,
  decodeBridgeFrame,
  encodeBridgeControlFrame,
  type BridgeFrame,
} from '@mongo-edge/core/internal';
import { admitChannel, refusalWireReason, type ChannelPolicy, type Principal } from './admission.js';
import { compilePatterns, targetKey } from './allowlist.js';
import type { TokenVerifier } from './auth.js';
import { Channel, type ChannelConfig, type ChannelSocket, type SocketChannel } from './channel.js';
import type { Admission, ChannelCounts } from './admission.js';
import type { OpenPayload } from './protocol.js';
import type { Logger } from './log.js';
import type { BridgeMetrics } from './metrics.js';
import { authFrameToken, checkClientMessage, closeReasonText, parseOpenPayload, wsErrorReason } from './protocol.js';

/**
 * Gateway mode's channels: admission and creation in one (the relay's are admitChannel
 * + Channel). The socket applies the result exactly as it does the relay's.
 */
export type ChannelOpener = (
  socket: ChannelSocket,
  id: number,
  open: OpenPayload,
  principal: Principal,
  counts: ChannelCounts,
) => Admission<{ channel: SocketChannel }>;

export interface SocketContext {
  readonly channelPolicy: ChannelPolicy;
  /** Set in gateway mode: channels are answered in process, never relayed to a target. */
  readonly openChannel?: ChannelOpener | undefined;
  readonly channelConfig: ChannelConfig;
  readonly noAuth: boolean;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly metrics: BridgeMetrics;
  readonly log: Logger;
  readonly verifier: TokenVerifier;
  isShuttingDown(): boolean;
  /** Called once when the session is fully closed. */
  onClosed(socket: BridgeSocket): void;
}

export interface SocketInfo {
  readonly ip: string;
  readonly origin: string | undefined;
  /** Token from the subprotocol, if one was offered. */
  readonly protocolToken: string | undefined;
}

/** Frames accepted before authentication finishes. */
const PRE_AUTH_MAX_FRAMES = 64;
const PRE_AUTH_MAX_BYTES = 1024 * 1024;

let nextSocketId = 1;

type SocketState = 'authenticating' | 'ready' | 'closed';

export class BridgeSocket implements ChannelSocket {
  readonly id = nextSocketId++;
  readonly info: SocketInfo;
  readonly #ws: WebSocket;
  readonly #ctx: SocketContext;
  #state: SocketState = 'authenticating';
  #principal: Principal | undefined;
  readonly #channels = new Map<number, SocketChannel>();
  #highestChannelId = 0;
  #preAuth: Buffer[] = [];
  #preAuthBytes = 0;
  #authTimer: ReturnType<typeof setTimeout> | undefined;
  #authStarted = false;
  /** Channels whose target is over the write limit: the WebSocket is paused while any. */
  readonly #writeBlocked = new Set<SocketChannel>();
  /** Channels whose TCP reads are paused because the WebSocket lags. */
  readonly #readPaused = new Set<SocketChannel>();
  #draining = false;
  readonly #openedAt = Date.now();
  #lastActivity = Date.now();
  #pongPending = false;

  constructor(ws: WebSocket, info: SocketInfo, ctx: SocketContext) {
    this.#ws = ws;
    this.info = info;
    this.#ctx = ctx;
    ctx.metrics.websocketsOpen += 1;
    ctx.metrics.websocketsTotal += 1;
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')));
    ws.on('error', (err) => this.#onError(err));
    ws.on('pong', () => {
      this.#pongPending = false;
    });
    if (info.protocolToken !== undefined) {
      this.#authenticate(info.protocolToken);
    } else if (ctx.noAuth) {
      this.#authenticate(undefined);
    } else {
      this.#authTimer = setTimeout(() => {
        this.#refuse(BridgeCloseCode.AuthFailed, BridgeErrorReason.AuthFailed, 'no auth frame within the handshake timeout');
      }, ctx.handshakeTimeoutMs);
    }
  }

  get channelCount(): number {
    return this.#channels.size;
  }

  /** Bytes held for this socket's channels. */
  get bufferedBytes(): number {
    let n = 0;
    for (const c of this.#channels.values()) n += c.bufferedBytes;
    return n;
  }

  #authenticate(token: string | undefined): void {
    this.#authStarted = true;
    void this.#ctx.verifier.verify(token).then(
      (result) => {
        if (this.#state !== 'authenticating') return;
        if (!result.ok) {
          this.#refuse(BridgeCloseCode.AuthFailed, BridgeErrorReason.AuthFailed, `authentication failed: ${result.message}`);
          return;
        }
        if (this.#authTimer) clearTimeout(this.#authTimer);
        this.#authTimer = undefined;
        const grant = result.grant;
        this.#principal = {
          subject: grant.subject,
          expiresAt: grant.expiresAt,
          allow: grant.allow === undefined ? undefined : compilePatterns(grant.allow),
          claims: grant.claims,
        };
        this.#state = 'ready';
        this.#ctx.log.info('connection.open', { conn: this.id, ip: this.info.ip, origin: this.info.origin, subject: grant.subject });
        const queued = this.#preAuth;
        this.#preAuth = [];
        this.#preAuthBytes = 0;
        for (const b of queued) {
          if (this.#state !== 'ready') break;
          this.#onMessage(b, true);
        }
        if (this.#draining) this.#sendShutdownNotice();
      },
      (err: unknown) => {
        this.#ctx.log.error('auth.error', { conn: this.id, error: (err as Error).message });
        this.#refuse(BridgeCloseCode.AuthFailed, BridgeErrorReason.AuthFailed, 'authentication failed');
      },
    );
  }

  /** Refuse the whole socket (counts a refusal). */
  #refuse(code: number, reason: BridgeErrorReason, message: string): void {
    if (this.#state === 'closed') return;
    this.#ctx.metrics.refuse(reason);
    this.#ctx.log.warn('connection.refused', { conn: this.id, ip: this.info.ip, origin: this.info.origin, reason, message });
    this.#closeSocket(code, message);
  }

  /** Close the whole socket for an error after acceptance (counts an error). */
  #fatal(reason: BridgeErrorReason, code: number, message: string): void {
    if (this.#state === 'closed') return;
    this.#ctx.metrics.error(reason);
    this.#ctx.log.warn('connection.error', { conn: this.id, reason, message });
    this.#closeSocket(code, message);
  }

  #closeSocket(code: number, message: string): void {
    try {
      this.#ws.close(code, closeReasonText(message));
    } catch {
      this.#ws.terminate();
    }
    this.#teardown();
  }

  /** `ws` failed the socket itself: a message over maxPayload (it closes with 1009) or a malformed frame. */
  #onError(err: Error): void {
    const reason = wsErrorReason(err as Error & { code?: unknown });
    if (reason === undefined || this.#state === 'closed') {
      this.#ctx.log.warn('websocket.error', { conn: this.id, error: err.message });
      return;
    }
    this.#ctx.metrics.error(reason);
    this.#ctx.log.warn('connection.error', { conn: this.id, reason, message: err.message });
    this.#teardown();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    this.#lastActivity = Date.now();
    if (!isBinary) {
      this.#fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, 'text frames are not part of the protocol');
      return;
    }
    let frame: BridgeFrame;
    try {
      frame = decodeBridgeFrame(data);
    } catch (e) {
      this.#fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, (e as Error).message);
      return;
    }
    if (this.#state === 'authenticating') {
      if (frame.type === BridgeFrameType.Auth && !this.#authStarted) {
        this.#authenticate(authFrameToken(frame.payload));
        return;
      }
      if (!this.#authStarted) {
        this.#refuse(BridgeCloseCode.AuthFailed, BridgeErrorReason.AuthFailed, 'missing token: send it as a mongo-edge.token.* subprotocol or in a first auth frame');
        return;
      }
      this.#preAuth.push(data);
      this.#preAuthBytes += data.byteLength;
      if (this.#preAuth.length > PRE_AUTH_MAX_FRAMES || this.#preAuthBytes > PRE_AUTH_MAX_BYTES) {
        this.#refuse(BridgeCloseCode.LimitExceeded, BridgeErrorReason.LimitExceeded, 'too much data before authentication finished');
      }
      return;
    }
    this.#handleFrame(frame);
  }

  #handleFrame(frame: BridgeFrame): void {
    const id = frame.channelId;
    switch (frame.type) {
      case BridgeFrameType.Auth:
        return; // already authenticated (e.g. token in both places): ignored
      case BridgeFrameType.Open:
        this.#open(id, frame.payload);
        return;
      case BridgeFrameType.Data: {
        const channel = this.#channels.get(id);
        if (!channel) {
          if (id === BRIDGE_SOCKET_CHANNEL || id > this.#highestChannelId) {
            this.#fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, `data for channel ${id} which was never opened`);
          }
          return; // late data for a channel that already closed
        }
        const check = checkClientMessage(frame.payload, this.#ctx.channelConfig.maxMessageSize);
        if (!check.ok) channel.fail(check.reason, check.message);
        else channel.write(frame.payload, check.expectsReply);
        return;
      }
      case BridgeFrameType.Close: {
        const channel = this.#channels.get(id);
        if (channel) channel.destroy('client');
        else if (id > this.#highestChannelId) {
          this.#fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, `close for channel ${id} which was never opened`);
        }
        return;
      }
      case BridgeFrameType.Opened:
      case BridgeFrameType.Error:
        this.#fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, `frame type ${frame.type} is bridge-to-client only`);
        return;
      default: {
        const never: never = frame.type;
        throw new Error(`unreachable frame type ${String(never)}`);
      }
    }
  }

  #open(id: number, payload: Uint8Array): void {
    if (id === BRIDGE_SOCKET_CHANNEL || id <= this.#highestChannelId) {
      this.#fatal(BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError, `channel id ${id} is not above the last one (${this.#highestChannelId})`);
      return;
    }
    this.#highestChannelId = id;
    const parsed = parseOpenPayload(payload);
    if (!parsed.ok) {
      this.#refuseChannel(id, BridgeErrorReason.ProtocolError, parsed.message, undefined);
      return;
    }
    const { open } = parsed;
    const counts = { channelsOnSocket: this.#channels.size, shuttingDown: this.#draining || this.#ctx.isShuttingDown(), nowMs: Date.now() };
    let channel: SocketChannel;
    if (this.#ctx.openChannel) {
      const admitted = this.#ctx.openChannel(this, id, open, this.#principal!, counts);
      if (!admitted.allowed) {
        const { code, message } = admitted.reason;
        this.#refuseChannel(id, refusalWireReason(code), message, targetKey(open.host, open.port), code);
        return;
      }
      channel = admitted.channel;
    } else {
      const admission = admitChannel(this.#ctx.channelPolicy, this.#principal!, { host: open.host, port: open.port, tls: open.tls !== undefined }, counts);
      if (!admission.allowed) {
        const { code, message } = admission.reason;
        this.#refuseChannel(id, refusalWireReason(code), message, targetKey(open.host, open.port), code);
        return;
      }
      channel = new Channel(this, id, admission.target, open, {
        config: this.#ctx.channelConfig,
        metrics: this.#ctx.metrics,
        log: this.#ctx.log,
      });
    }
    this.#channels.set(id, channel);
    this.#ctx.metrics.channelsOpen += 1;
    this.#ctx.metrics.channelsTotal += 1;
    channel.connect();
  }

  #refuseChannel(id: number, reason: BridgeErrorReason, message: string, target: string | undefined, code?: string): void {
    this.#ctx.metrics.refuse(reason);
    this.#ctx.log.warn('channel.refused', { conn: this.id, channel: id, target, reason, code, message });
    this.#sendError(id, reason, message);
  }

  #sendError(id: number, reason: BridgeErrorReason, message: string): void {
    this.send(encodeBridgeControlFrame(BridgeFrameType.Error, id, { reason, message }));
  }

  // ------------------------------------------------------------ ChannelSocket

  send(frame: Uint8Array, onFlushed?: () => void): void {
    if (this.#ws.readyState !== 1) {
      if (onFlushed) queueMicrotask(onFlushed);
      return;
    }
    this.#ws.send(frame, { binary: true }, onFlushed && (() => onFlushed()));
  }

  get lagging(): boolean {
    return this.#ws.bufferedAmount > this.#ctx.channelConfig.maxBufferedBytes;
  }

  targetBlocked(channel: SocketChannel): void {
    if (this.#writeBlocked.has(channel)) return;
    this.#writeBlocked.add(channel);
    if (this.#writeBlocked.size === 1) {
      this.#ctx.metrics.websocketPauses += 1;
      this.#ws.pause();
    }
  }

  targetDrained(channel: SocketChannel): void {
    if (!this.#writeBlocked.delete(channel)) return;
    if (this.#writeBlocked.size === 0 && this.#state !== 'closed') this.#ws.resume();
  }

  readsPaused(channel: SocketChannel): void {
    this.#readPaused.add(channel);
  }

  /** After a send completes: resume channels that are back under their limits. */
  flushed(): void {
    if (this.#readPaused.size === 0 || this.lagging) return;
    for (const c of [...this.#readPaused]) {
      if (c.tryResumeReads()) this.#readPaused.delete(c);
    }
  }

  closed(channel: SocketChannel): void {
    if (this.#channels.get(channel.id) !== channel) return;
    this.#channels.delete(channel.id);
    this.#ctx.metrics.channelsOpen -= 1;
    this.targetDrained(channel);
    this.#readPaused.delete(channel);
    if (this.#draining && this.#channels.size === 0) {
      this.#closeSocket(BridgeCloseCode.GoingAway, 'bridge shutting down');
    }
  }

  // ------------------------------------------------------------ lifecycle

  /** Idle checks, called periodically by the server. */
  sweep(now: number): void {
    if (this.#state === 'closed') return;
    const idle = this.#ctx.idleTimeoutMs;
    if (idle <= 0) return;
    for (const c of [...this.#channels.values()]) {
      if (now - c.lastActivity >= idle) c.fail(BridgeErrorReason.IdleTimeout, `no traffic for ${idle} ms`);
    }
    if (this.#channels.size === 0 && now - this.#lastActivity >= idle) {
      this.#ctx.metrics.error(BridgeErrorReason.IdleTimeout);
      this.#ctx.log.info('connection.idle', { conn: this.id });
      this.#closeSocket(BridgeCloseCode.IdleTimeout, `no channels for ${idle} ms`);
    }
  }

  /** Liveness: a peer that did not answer the last ping is dropped. */
  ping(): void {
    if (this.#state === 'closed' || this.#ws.readyState !== 1) return;
    if (this.#pongPending) {
      this.#ctx.log.warn('connection.dead', { conn: this.id });
      this.terminate();
      return;
    }
    this.#pongPending = true;
    this.#ws.ping();
  }

  /** Graceful shutdown: notify, let channels with a request in flight get their reply. */
  beginShutdown(): void {
    if (this.#state === 'closed' || this.#draining) return;
    this.#draining = true;
    if (this.#state === 'authenticating') {
      this.#closeSocket(BridgeCloseCode.GoingAway, 'bridge shutting down');
      return;
    }
    this.#sendShutdownNotice();
  }

  #sendShutdownNotice(): void {
    this.#sendError(BRIDGE_SOCKET_CHANNEL, BridgeErrorReason.BridgeShuttingDown, 'the bridge is shutting down; open new channels on a new WebSocket');
    for (const c of [...this.#channels.values()]) c.drain('the bridge is shutting down');
    if (this.#channels.size === 0) this.#closeSocket(BridgeCloseCode.GoingAway, 'bridge shutting down');
  }

  /** Shutdown timeout reached: close everything now. */
  forceClose(): void {
    if (this.#state === 'closed') return;
    for (const c of [...this.#channels.values()]) c.fail(BridgeErrorReason.BridgeShuttingDown, 'the bridge is shutting down (timeout)');
    this.#closeSocket(BridgeCloseCode.GoingAway, 'bridge shutting down');
  }

  terminate(): void {
    this.#ws.terminate();
    this.#teardown();
  }

  #onClose(code: number, reason: string): void {
    if (this.#state !== 'closed') {
      this.#ctx.log.info('connection.closed', { conn: this.id, by: 'client', code, reason: reason.slice(0, 120) });
    }
    this.#teardown();
  }

  #teardown(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#authTimer) clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    this.#preAuth = [];
    for (const c of [...this.#channels.values()]) c.destroy('socket');
    this.#writeBlocked.clear();
    this.#readPaused.clear();
    this.#ctx.metrics.websocketsOpen -= 1;
    this.#ctx.log.info('connection.end', { conn: this.id, durationMs: Date.now() - this.#openedAt });
    this.#ctx.onClosed(this);
  }
}
