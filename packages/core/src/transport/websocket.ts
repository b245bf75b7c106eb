/**
 * WebSocketTransport: the driver's Transport over one WebSocket to a mongo-edge
 * bridge (docs/bridge-protocol.md). Each connect() opens a channel (a logical TCP
 * connection to host:port) on the shared WebSocket; the WebSocket is opened lazily on
 * the first connect and again on the next connect after it drops. When it drops,
 * every channel closes with a MongoBridgeError (a MongoNetworkError), so the pool and
 * SDAM react exactly as they do to a TCP reset.
 *
 * Works with any WebSocket-like constructor: globalThis.WebSocket (browsers, Deno,
 * Workers, Node 22+) or one passed in (e.g. the `ws` package on Node 20).
 * Platform-neutral: Uint8Array only.
 */
import { DriverErrorCode, MongoNetworkError, MongoNetworkTimeoutError, type MongoNetworkErrorOptions } from '../errors.js';
import { MessageFramer } from '../wire/framer.js';
import { DEFAULT_MAX_MESSAGE_SIZE_BYTES, MESSAGE_HEADER_SIZE } from '../wire/constants.js';
import {
  BRIDGE_MAX_CHANNEL_ID,
  BRIDGE_SOCKET_CHANNEL,
  BRIDGE_SUBPROTOCOL,
  BridgeCloseCode,
  BridgeErrorReason,
  BridgeFrameType,
  bridgeReasonForCloseCode,
  decodeBridgeControlPayload,
  decodeBridgeFrame,
  encodeBridgeControlFrame,
  encodeBridgeDataFrame,
  encodeBridgeFrame,
  encodeTokenProtocol,
  isBridgeErrorReason,
  type BridgeOpenPayload,
  type BridgeFrame,
} from './bridge-protocol.js';
import type {
  Transport,
  TransportConnectOptions,
  TransportSocket,
  TransportSocketHandlers,
} from './transport.js';

/** The part of the WHATWG WebSocket this transport uses (the `ws` package fits too). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}

export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type BridgeTokenSource = string | (() => string | Promise<string>);

export interface WebSocketTransportOptions {
  /** ws:// or wss:// URL of the bridge (e.g. "wss://bridge.example.com/ws"). */
  url: string;
  /**
   * Bearer token for the bridge. A function is called on every (re)connect of the
   * WebSocket, so short-lived tokens can be refreshed.
   */
  token?: BridgeTokenSource;
  /**
   * How the token travels: "protocol" (default) as a `mongo-edge.token.*` subprotocol,
   * available in the upgrade request; "frame" as the first (auth) frame, which keeps it
   * out of HTTP headers and proxy logs.
   */
  tokenVia?: 'protocol' | 'frame';
  /** WebSocket constructor; defaults to globalThis.WebSocket. */
  WebSocket?: WebSocketConstructorLike;
  /** Extra subprotocols to offer (mongo-edge.v1 is always offered first). */
  protocols?: readonly string[];
  /** Client-side limit on a sent message until the bridge announces its own (default 48000000). */
  maxMessageSizeBytes?: number;
  /**
   * Send on a channel right after `open`, without waiting for `opened` (default
   * true): one round trip less per connection. A failed open then surfaces as the
   * socket closing with the bridge's error instead of connect() rejecting.
   */
  pipelineOpen?: boolean;
}

/** States of the WHATWG readyState. */
const OPEN = 1;

export interface MongoBridgeErrorOptions extends MongoNetworkErrorOptions {
  reason: BridgeErrorReason;
  /** WebSocket close code, when the whole socket closed. */
  closeCode?: number;
}

/** A network error reported by (or about) the bridge; `reason` is the typed cause. */
export class MongoBridgeError extends MongoNetworkError {
  readonly reason: BridgeErrorReason;
  readonly closeCode: number | undefined;
  constructor(message: string, options: MongoBridgeErrorOptions) {
    super(message, options);
    this.reason = options.reason;
    this.closeCode = options.closeCode;
    this.code = DriverErrorCode.Bridge;
  }
  override get name(): string {
    return 'MongoBridgeError';
  }
}

export const isBridgeError = (e: unknown): e is MongoBridgeError => e instanceof MongoBridgeError;

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

function noop(): void {}

export class WebSocketTransport implements Transport {
  readonly name = 'websocket';
  readonly url: string;
  private readonly options: WebSocketTransportOptions;
  private current: BridgeSession | undefined;
  private readonly sessions = new Set<BridgeSession>();
  private closed = false;

  constructor(options: WebSocketTransportOptions) {
    if (!options || typeof options.url !== 'string' || !/^wss?:\/\//i.test(options.url)) {
      throw new TypeError('WebSocketTransport needs a ws:// or wss:// url');
    }
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
    if (typeof ctor !== 'function') {
      throw new TypeError('no WebSocket constructor: pass options.WebSocket (e.g. the `ws` package)');
    }
    this.options = { ...options, WebSocket: ctor };
    this.url = options.url;
  }

  /** Number of channels currently open (for diagnostics and tests). */
  get openChannels(): number {
    let n = 0;
    for (const s of this.sessions) n += s.channelCount;
    return n;
  }

  async connect(options: TransportConnectOptions): Promise<TransportSocket> {
    if (this.closed) throw new MongoNetworkError('WebSocketTransport is closed');
    const address = `${options.host}:${options.port}`;
    if (options.tls?.cert || options.tls?.key) {
      throw new MongoNetworkError(`cannot connect to ${address}: TLS client certificates cannot be used through the bridge`);
    }
    const deadline = new Deadline(address, options.connectTimeoutMS ?? 0, options.signal);
    try {
      const session = await deadline.race(this.session());
      const channel = session.openChannel(options);
      if (this.options.pipelineOpen !== false) {
        // Pipelined open (protocol §2.1): the caller may send at once; the bridge
        // buffers until the target is connected. A failed open reaches the caller
        // as a close with the bridge's error, before any reply. Saves a round trip.
        channel.handOver();
        return channel;
      }
      try {
        await deadline.race(channel.opened);
      } catch (e) {
        channel.abandon();
        throw e;
      }
      return channel;
    } finally {
      deadline.clear();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.current = undefined;
    await Promise.all([...this.sessions].map((s) => s.shutdown()));
  }

  /** The session new channels go to: the current one unless it is closing or draining. */
  private session(): Promise<BridgeSession> {
    const cur = this.current;
    if (cur && cur.usable) return cur.ready;
    const session = new BridgeSession(this.options, (s) => this.forget(s));
    this.current = session;
    this.sessions.add(session);
    session.start();
    return session.ready;
  }

  private forget(session: BridgeSession): void {
    this.sessions.delete(session);
    if (this.current === session) this.current = undefined;
  }
}

/** connectTimeoutMS and the abort signal for one connect() call. */
class Deadline {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly promise: Promise<never>;
  private reject: (e: Error) => void = noop;
  private readonly onAbort = () => this.reject(new MongoNetworkError(`connect to ${this.address} was aborted`));

  constructor(
    private readonly address: string,
    timeoutMS: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.promise = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.promise.catch(noop);
    if (timeoutMS > 0) {
      this.timer = setTimeout(() => {
        this.reject(new MongoNetworkTimeoutError(`connect to ${address} through the bridge timed out after ${timeoutMS} ms`));
      }, timeoutMS);
    }
    if (signal) {
      if (signal.aborted) this.onAbort();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.promise]);
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

type SessionState = 'connecting' | 'open' | 'closed';

/** One WebSocket and the channels on it. */
class BridgeSession {
  readonly ready: Promise<BridgeSession>;
  private resolveReady: (s: BridgeSession) => void = noop;
  private rejectReady: (e: Error) => void = noop;
  private ws: WebSocketLike | undefined;
  private state: SessionState = 'connecting';
  private readonly channels = new Map<number, BridgeChannel>();
  private nextChannelId = 1;
  /** Set after the bridge announced it is shutting down (or ids ran out): no new channels. */
  private draining = false;
  /** A reason the bridge gave on channel 0, used for the close that follows. */
  private socketNotice: { reason: BridgeErrorReason; message: string } | undefined;
  private lastError: string | undefined;
  private closedWaiters: Array<() => void> = [];
  maxMessageSizeBytes: number;

  constructor(
    private readonly options: WebSocketTransportOptions,
    private readonly onGone: (s: BridgeSession) => void,
  ) {
    this.maxMessageSizeBytes = options.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES;
    this.ready = new Promise<BridgeSession>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(noop);
  }

  get usable(): boolean {
    return this.state !== 'closed' && !this.draining;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  start(): void {
    void this.open().catch((e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
  }

  private async open(): Promise<void> {
    const { token, tokenVia = 'protocol' } = this.options;
    const resolved = typeof token === 'function' ? await token() : token;
    if (this.state === 'closed') return;
    const protocols = [BRIDGE_SUBPROTOCOL, ...(this.options.protocols ?? [])];
    if (resolved !== undefined && tokenVia === 'protocol') protocols.push(encodeTokenProtocol(resolved));
    const Ctor = this.options.WebSocket!;
    let ws: WebSocketLike;
    try {
      ws = new Ctor(this.options.url, protocols);
    } catch (cause) {
      throw new MongoBridgeError(`cannot open a WebSocket to ${this.options.url}: ${(cause as Error).message}`, {
        reason: BridgeErrorReason.ConnectionLost,
        cause,
      });
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      if (this.state !== 'connecting') return;
      if (ws.protocol !== BRIDGE_SUBPROTOCOL) {
        this.closeSocket(BridgeCloseCode.ProtocolError, 'subprotocol mongo-edge.v1 not selected');
        this.fail(
          new MongoBridgeError(`${this.options.url} did not accept the ${BRIDGE_SUBPROTOCOL} subprotocol (is it a mongo-edge bridge?)`, {
            reason: BridgeErrorReason.ProtocolError,
          }),
        );
        return;
      }
      this.state = 'open';
      if (resolved !== undefined && tokenVia === 'frame') {
        ws.send(encodeBridgeControlFrame(BridgeFrameType.Auth, BRIDGE_SOCKET_CHANNEL, { token: resolved }));
      }
      this.resolveReady(this);
    };
    ws.onmessage = (event: { data: unknown }) => this.onMessage(event.data);
    ws.onerror = (event: { message?: unknown; error?: unknown }) => {
      const m = event?.message ?? (event?.error as Error | undefined)?.message;
      if (typeof m === 'string' && m) this.lastError = m;
    };
    ws.onclose = (event: { code?: number; reason?: string }) => this.onClose(event?.code ?? 1006, event?.reason ?? '');
  }

  openChannel(options: TransportConnectOptions): BridgeChannel {
    const id = this.nextChannelId++;
    if (this.nextChannelId > BRIDGE_MAX_CHANNEL_ID) this.draining = true;
    const channel = new BridgeChannel(this, id, `${options.host}:${options.port}`);
    this.channels.set(id, channel);
    const payload: BridgeOpenPayload = { host: options.host, port: options.port };
    if (options.tls) {
      const { servername, allowInvalidCertificates, allowInvalidHostnames } = options.tls;
      payload.tls = {};
      if (servername !== undefined) payload.tls.servername = servername;
      if (allowInvalidCertificates) payload.tls.allowInvalidCertificates = true;
      if (allowInvalidHostnames) payload.tls.allowInvalidHostnames = true;
    }
    this.sendFrame(encodeBridgeControlFrame(BridgeFrameType.Open, id, payload));
    return channel;
  }

  sendFrame(frame: Uint8Array): boolean {
    const ws = this.ws;
    if (this.state !== 'open' || !ws || ws.readyState !== OPEN) return false;
    ws.send(frame);
    return true;
  }

  /** A channel finished (either side); drops it and closes a drained, empty socket. */
  release(channel: BridgeChannel, notifyBridge: boolean): void {
    if (this.channels.get(channel.id) !== channel) return;
    this.channels.delete(channel.id);
    if (notifyBridge) this.sendFrame(encodeBridgeFrame(BridgeFrameType.Close, channel.id));
    if (this.draining && this.channels.size === 0) this.closeSocket(BridgeCloseCode.Normal, 'drained');
  }

  private onMessage(data: unknown): void {
    const bytes = toBytes(data);
    let frame: BridgeFrame;
    try {
      if (!bytes) throw new Error('text message');
      frame = decodeBridgeFrame(bytes);
    } catch (e) {
      this.closeSocket(BridgeCloseCode.ProtocolError, 'bad frame');
      this.onClose(BridgeCloseCode.ProtocolError, `bad frame from the bridge: ${(e as Error).message}`);
      return;
    }
    if (frame.channelId === BRIDGE_SOCKET_CHANNEL) {
      if (frame.type === BridgeFrameType.Error) {
        const notice = this.parseError(frame.payload);
        this.socketNotice = notice;
        if (notice.reason === BridgeErrorReason.BridgeShuttingDown) {
          this.draining = true;
          if (this.channels.size === 0) this.closeSocket(BridgeCloseCode.Normal, 'drained');
        }
      }
      return;
    }
    const channel = this.channels.get(frame.channelId);
    if (!channel) return; // a late frame for a channel this side already closed
    switch (frame.type) {
      case BridgeFrameType.Opened: {
        let max: unknown;
        try {
          max = decodeBridgeControlPayload(frame.payload).maxMessageSizeBytes;
        } catch {
          max = undefined;
        }
        if (typeof max === 'number' && Number.isInteger(max) && max >= MESSAGE_HEADER_SIZE) channel.maxMessageSizeBytes = max;
        channel.onOpened();
        return;
      }
      case BridgeFrameType.Data:
        channel.onData(frame.payload);
        return;
      case BridgeFrameType.Close:
        channel.fail(
          new MongoBridgeError(`connection to ${channel.address} was closed by the server`, { reason: BridgeErrorReason.ConnectionLost }),
          false,
        );
        return;
      case BridgeFrameType.Error: {
        const { reason, message } = this.parseError(frame.payload);
        channel.fail(new MongoBridgeError(`bridge: ${channel.address}: ${message} (${reason})`, { reason }), false);
        return;
      }
      case BridgeFrameType.Auth:
      case BridgeFrameType.Open:
        channel.fail(
          new MongoBridgeError(`bridge sent an unexpected frame type ${frame.type}`, { reason: BridgeErrorReason.ProtocolError }),
          true,
        );
        return;
      default: {
        const never: never = frame.type;
        throw new Error(`unreachable frame type ${String(never)}`);
      }
    }
  }

  private parseError(payload: Uint8Array): { reason: BridgeErrorReason; message: string } {
    try {
      const body = decodeBridgeControlPayload(payload);
      const reason = isBridgeErrorReason(body.reason) ? body.reason : BridgeErrorReason.ProtocolError;
      const message = typeof body.message === 'string' ? body.message.slice(0, 1000) : reason;
      return { reason, message };
    } catch {
      return { reason: BridgeErrorReason.ProtocolError, message: 'unreadable error frame' };
    }
  }

  private closeSocket(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  private onClose(code: number, closeReason: string): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    const reason = this.socketNotice?.reason ?? bridgeReasonForCloseCode(code) ?? BridgeErrorReason.ConnectionLost;
    const detail = closeReason || this.socketNotice?.message || this.lastError || '';
    const message = wasOpen
      ? `bridge WebSocket ${this.options.url} closed (code ${code}${detail ? `: ${detail}` : ''})`
      : `cannot open a WebSocket to ${this.options.url} (code ${code}${detail ? `: ${detail}` : ''})`;
    this.fail(new MongoBridgeError(message, { reason, closeCode: code }));
  }

  /** The socket is gone: every channel and waiter sees `error`. */
  private fail(error: Error): void {
    const netError =
      error instanceof MongoNetworkError
        ? error
        : new MongoBridgeError(error.message, { reason: BridgeErrorReason.ConnectionLost, cause: error });
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.closeSocket(BridgeCloseCode.Normal, 'closing');
    }
    this.rejectReady(netError);
    const channels = [...this.channels.values()];
    this.channels.clear();
    for (const c of channels) c.fail(netError, false);
    this.detach();
  }

  private detach(): void {
    const ws = this.ws;
    this.onGone(this);
    if (ws) {
      ws.onopen = null;
      ws.onmessage = null;
      ws.onerror = null;
      ws.onclose = null;
    }
    const waiters = this.closedWaiters;
    this.closedWaiters = [];
    for (const w of waiters) w();
  }

  /** Transport.close(): close every channel quietly, then the socket; waits (bounded) for it to close. */
  async shutdown(): Promise<void> {
    for (const c of [...this.channels.values()]) c.close();
    if (this.state === 'closed') return;
    const ws = this.ws;
    if (!ws) {
      this.state = 'closed';
      this.rejectReady(new MongoNetworkError('WebSocketTransport is closed'));
      this.detach();
      return;
    }
    const closed = new Promise<void>((resolve) => this.closedWaiters.push(resolve));
    // Resolve on the close event, or after a short grace period if the peer never answers.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2000);
    });
    ws.onclose = () => {
      this.state = 'closed';
      this.rejectReady(new MongoNetworkError('WebSocketTransport is closed'));
      this.detach();
    };
    this.closeSocket(BridgeCloseCode.Normal, 'client closed');
    if (ws.readyState === 3) {
      this.state = 'closed';
      this.detach();
    }
    await Promise.race([closed, grace]);
    if (timer !== undefined) clearTimeout(timer);
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.rejectReady(new MongoNetworkError('WebSocketTransport is closed'));
      this.detach();
    }
  }
}

type ChannelState = 'opening' | 'open' | 'closed';

/** One logical connection: a TransportSocket. */
class BridgeChannel implements TransportSocket {
  readonly opened: Promise<void>;
  private resolveOpened: () => void = noop;
  private rejectOpened: (e: Error) => void = noop;
  private state: ChannelState = 'opening';
  private handlers: TransportSocketHandlers | undefined;
  private early: Uint8Array[] = [];
  private earlyClose: { error: MongoNetworkError | undefined } | undefined;
  /** connect() returned this channel before `opened` (pipelined open). */
  private handedOver = false;
  /** Only used when a send() is not exactly one whole message. */
  private outFramer: MessageFramer | undefined;
  maxMessageSizeBytes: number;

  constructor(
    private readonly session: BridgeSession,
    readonly id: number,
    readonly address: string,
  ) {
    this.maxMessageSizeBytes = session.maxMessageSizeBytes;
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    this.opened.catch(noop);
  }

  onOpened(): void {
    if (this.state !== 'opening') return;
    this.state = 'open';
    this.resolveOpened();
  }

  /** connect() returns the channel now; open failures become a close of the socket. */
  handOver(): void {
    this.handedOver = true;
  }

  onData(bytes: Uint8Array): void {
    if (this.state !== 'open') return;
    if (this.handlers) this.handlers.data(bytes);
    else this.early.push(bytes);
  }

  send(chunks: readonly Uint8Array[]): void {
    if (this.state !== 'open' && !(this.state === 'opening' && this.handedOver)) return;
    let total = 0;
    for (const c of chunks) total += c.byteLength;
    if (total === 0) return;
    if (!this.outFramer || this.outFramer.bufferedBytes === 0) {
      const declared = declaredLength(chunks);
      if (declared === total) {
        // The common case: one send() is one whole message; one frame, one copy.
        if (total > this.maxMessageSizeBytes) return this.tooLarge(total);
        this.session.sendFrame(encodeBridgeDataFrame(this.id, chunks));
        return;
      }
    }
    // A partial or multi-message send: split on message boundaries.
    this.outFramer ??= new MessageFramer(this.maxMessageSizeBytes);
    let messages: Uint8Array[];
    try {
      messages = [];
      for (const c of chunks) messages.push(...this.outFramer.push(c));
    } catch (e) {
      const tooLarge = (e as { code?: unknown }).code === DriverErrorCode.MessageTooLarge;
      this.fail(
        new MongoBridgeError(`cannot send to ${this.address}: ${(e as Error).message}`, {
          reason: tooLarge ? BridgeErrorReason.MessageTooLarge : BridgeErrorReason.ProtocolError,
        }),
        true,
        true,
      );
      return;
    }
    for (const m of messages) this.session.sendFrame(encodeBridgeDataFrame(this.id, [m]));
  }

  private tooLarge(size: number): void {
    this.fail(
      new MongoBridgeError(
        `cannot send a ${size}-byte message to ${this.address}: the bridge relays at most ${this.maxMessageSizeBytes} bytes`,
        { reason: BridgeErrorReason.MessageTooLarge },
      ),
      true,
      true,
    );
  }

  setHandlers(handlers: TransportSocketHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const b of early) handlers.data(b);
    if (this.earlyClose) {
      const { error } = this.earlyClose;
      this.earlyClose = undefined;
      handlers.close(error);
    }
  }

  close(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open' || this.handedOver;
    this.state = 'closed';
    this.session.release(this, true);
    if (!wasOpen) this.rejectOpened(new MongoNetworkError(`connect to ${this.address} was cancelled`));
    else this.deliverClose(undefined, false);
  }

  /** connect() gave up (timeout/abort) before the channel opened. */
  abandon(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.session.release(this, true);
  }

  fail(error: MongoNetworkError, notifyBridge: boolean, deferred = false): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open' || this.handedOver;
    this.state = 'closed';
    this.session.release(this, notifyBridge);
    this.rejectOpened(error);
    if (wasOpen) this.deliverClose(error, deferred);
  }

  private deliverClose(error: MongoNetworkError | undefined, deferred: boolean): void {
    const run = () => {
      if (this.handlers) this.handlers.close(error);
      else this.earlyClose = { error };
    };
    // A failure found inside send() is reported after send() returns (no re-entrancy).
    if (deferred) queueMicrotask(run);
    else run();
  }
}

/** The int32 length prefix of the first message in `chunks`, or -1 if fewer than 4 bytes. */
function declaredLength(chunks: readonly Uint8Array[]): number {
  const first = chunks[0];
  if (first && first.byteLength >= 4) {
    return new DataView(first.buffer, first.byteOffset, 4).getInt32(0, true);
  }
  const head = new Uint8Array(4);
  let o = 0;
  for (const c of chunks) {
    const part = c.subarray(0, Math.min(c.byteLength, 4 - o));
    head.set(part, o);
    o += part.byteLength;
    if (o === 4) break;
  }
  return o === 4 ? new DataView(head.buffer).getInt32(0, true) : -1;
}
