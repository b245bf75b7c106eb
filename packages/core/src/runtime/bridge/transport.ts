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
 *
 * Request-scoped I/O (Workers, feature-detected): a WebSocket opened while serving one
 * request is refused to every other, so there is one WebSocket per request, found by the
 * request's scope token (ioScope(), transport/request-scope.ts); the client keeps a set of
 * servers per scope, so overlapping requests each use their own WebSocket and channels.
 */
import { DriverErrorCode, MongoNetworkError, MongoNetworkTimeoutError, type MongoNetworkErrorOptions } from '../../errors.js';
import { MessageFramer } from '../../wire/framer.js';
import { DEFAULT_MAX_MESSAGE_SIZE_BYTES, MESSAGE_HEADER_SIZE } from '../../wire/constants.js';
import { concatLength } from '../../wire/op-msg.js';
import { sleep, wakeAll } from '../../util/sleep.js';
import { ioFailure, isForeignRequestIoError, requestScopesAvailable } from '../../transport/request-scope.js';
import type { RequestScopes } from '../../transport/request-scopes.js';
import { loadCold } from '../../cold/load.js';
import { markOpenFailure } from '../../transport/open-failure.js';
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
  type BridgeErrorPayload,
  type BridgeFrame,
  type BridgeOpenPayload,
} from '../../transport/bridge-protocol.js';
import type {
  Transport,
  TransportConnectOptions,
  TransportSocket,
  TransportSocketHandlers,
} from '../../transport/transport.js';

/** The part of the WHATWG WebSocket this transport uses (the `ws` package fits too). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
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
  /**
   * The URL is a mongo-edge gateway (docs/gateway.md), which answers `hello` itself and
   * runs no command on a channel whose handshake failed: connections send their first
   * command right behind their hello (Transport.handshakePipelining). Never set it for a
   * relay bridge: a mongod behind it gives no such guarantee.
   */
  gateway?: boolean;
}

/** WHATWG readyState values; a session and a channel go through the same states. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSED;

export interface MongoBridgeErrorOptions extends MongoNetworkErrorOptions {
  reason: BridgeErrorReason;
  /** WebSocket close code, when the whole socket closed. */
  closeCode?: number;
}

/** A network error reported by (or about) the bridge; `reason` is the typed cause. */
export class MongoBridgeError extends MongoNetworkError {
  declare readonly reason: BridgeErrorReason;
  declare readonly closeCode: number | undefined;
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

/** A promise with its resolve and reject at hand; nobody waiting on it is not an unhandled rejection. */
interface Settleable<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function settleable<T>(): Settleable<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(noop);
  return { promise, resolve, reject };
}

const transportClosed = () => new MongoNetworkError('WebSocketTransport is closed');

export class WebSocketTransport implements Transport {
  readonly name = 'websocket';
  readonly url: string;
  readonly handshakePipelining: boolean;
  readonly #options: WebSocketTransportOptions;
  #current: BridgeSession | undefined;
  readonly #sessions = new Set<BridgeSession>();
  #closed = false;
  /**
   * Workers only (absent elsewhere): the current request's scope token (Transport.ioScope);
   * each scope has its own session (WebSocket), in #byScope.
   */
  readonly ioScope?: () => Promise<object>;
  /** Workers: the request scopes, loaded with the cold code on the first ioScope() call (browsers never need them). */
  #scopes: RequestScopes | undefined;
  /** The session of each request scope (Workers); a forgotten scope's entry is collectable. */
  readonly #byScope = new WeakMap<object, BridgeSession>();

  constructor(options: WebSocketTransportOptions) {
    if (!/^wss?:\/\//i.test(options.url)) {
      throw new TypeError('WebSocketTransport needs a ws:// or wss:// url');
    }
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
    if (typeof ctor !== 'function') {
      throw new TypeError('no WebSocket constructor: pass options.WebSocket (e.g. the `ws` package)');
    }
    this.#options = { ...options, WebSocket: ctor };
    this.url = options.url;
    this.handshakePipelining = options.gateway === true;
    if (requestScopesAvailable()) {
      this.ioScope = async () => {
        const { RequestScopes } = await loadCold();
        return (this.#scopes ??= new RequestScopes()).current();
      };
    }
  }

  /** Number of channels currently open (for diagnostics and tests). */
  get openChannels(): number {
    let n = 0;
    for (const s of this.#sessions) n += s.channels.size;
    return n;
  }

  async connect(options: TransportConnectOptions): Promise<TransportSocket> {
    if (this.#closed) throw transportClosed();
    const address = `${options.host}:${options.port}`;
    if (options.tls?.cert || options.tls?.key) {
      throw new MongoNetworkError(`cannot connect to ${address}: TLS client certificates cannot be used through the bridge`);
    }
    const deadline = startDeadline(address, options.connectTimeoutMS ?? 0, options.signal);
    try {
      // connect() runs in the request that needs the channel: its scope picks the WebSocket.
      const scope = this.ioScope ? await Promise.race([this.ioScope(), deadline.expired]) : undefined;
      const session = await Promise.race([this.#session(scope), deadline.expired]);
      const channel = session.openChannel(options, address);
      // Pipelined open (protocol §2.1, the default): the caller may send at once; the
      // bridge buffers until the target is connected, and a failed open reaches the
      // caller as a close with the bridge's error. Saves a round trip.
      if (!channel.pipelined) {
        try {
          await Promise.race([channel.opened.promise, deadline.expired]);
        } catch (e) {
          channel.close();
          throw e;
        }
      }
      return channel;
    } finally {
      deadline.clear();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#current = undefined;
    await Promise.all([...this.#sessions].map((s) => s.shutdown()));
  }

  /** The session new channels go to (the scope's, on Workers): the current one unless it is closing or draining. */
  #session(scope: object | undefined): Promise<BridgeSession> {
    let session = scope ? this.#byScope.get(scope) : this.#current;
    if (!session?.usable) {
      session = new BridgeSession(this.#options, (gone) => {
        this.#sessions.delete(gone);
        if (this.#current === gone) this.#current = undefined;
        if (scope && this.#byScope.get(scope) === gone) this.#byScope.delete(scope);
      });
      if (scope) this.#byScope.set(scope, session);
      else this.#current = session;
      this.#sessions.add(session);
      session.start();
    }
    return session.ready.promise;
  }
}

/** connectTimeoutMS and the abort signal of one connect() call: `expired` rejects on either. */
function startDeadline(address: string, timeoutMS: number, signal: AbortSignal | undefined) {
  const { promise: expired, reject } = settleable<never>();
  const onAbort = () => reject(new MongoNetworkError(`connect to ${address} was aborted`));
  const timer =
    timeoutMS > 0
      ? setTimeout(() => reject(new MongoNetworkTimeoutError(`connect to ${address} through the bridge timed out after ${timeoutMS} ms`)), timeoutMS)
      : undefined;
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    expired,
    clear(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** An error frame's payload; a malformed one becomes a protocol error. */
function readErrorPayload(payload: Uint8Array): BridgeErrorPayload {
  try {
    const body = decodeBridgeControlPayload(payload);
    const reason = isBridgeErrorReason(body.reason) ? body.reason : BridgeErrorReason.ProtocolError;
    return { reason, message: typeof body.message === 'string' ? body.message.slice(0, 1000) : reason };
  } catch {
    return { reason: BridgeErrorReason.ProtocolError, message: 'unreadable error frame' };
  }
}

/** ws.readyState, or CLOSED where the runtime refuses it (workerd: a WebSocket of another request). */
function readyStateOf(ws: WebSocketLike): number {
  try {
    return ws.readyState;
  } catch {
    return CLOSED;
  }
}

/** One WebSocket and the channels on it. */
class BridgeSession {
  readonly ready = settleable<BridgeSession>();
  /** Open channels by id; a channel leaves when it closes (either side). */
  readonly channels = new Map<number, BridgeChannel>();
  readonly options: WebSocketTransportOptions;
  readonly #onGone: (s: BridgeSession) => void;
  /** Wakes shutdown's wait when the socket is let go. */
  readonly #gone = new Set<() => void>();
  #ws: WebSocketLike | undefined;
  #state: ReadyState = CONNECTING;
  #nextChannelId = 1;
  /** Set after the bridge announced it is shutting down (or ids ran out): no new channels. */
  #draining = false;
  /** A reason the bridge gave on channel 0, used for the close that follows. */
  #notice: BridgeErrorPayload | undefined;
  #lastError: string | undefined;

  constructor(options: WebSocketTransportOptions, onGone: (s: BridgeSession) => void) {
    this.options = options;
    this.#onGone = onGone;
  }

  get usable(): boolean {
    return this.#state !== CLOSED && !this.#draining;
  }

  start(): void {
    void this.#open().catch((e: unknown) => {
      const cause = e instanceof Error ? e : new Error(String(e));
      this.#fail(
        cause instanceof MongoNetworkError
          ? cause
          : new MongoBridgeError(cause.message, { reason: BridgeErrorReason.ConnectionLost, cause }),
      );
    });
  }

  async #open(): Promise<void> {
    const { token, tokenVia, url, protocols = [] } = this.options;
    const resolved = typeof token === 'function' ? await token() : token;
    if (this.#state === CLOSED) return;
    const viaFrame = resolved !== undefined && tokenVia === 'frame';
    const offered = [BRIDGE_SUBPROTOCOL, ...protocols];
    if (resolved !== undefined && !viaFrame) offered.push(encodeTokenProtocol(resolved));
    let ws: WebSocketLike;
    try {
      ws = new this.options.WebSocket!(url, offered);
    } catch (cause) {
      throw new MongoBridgeError(`cannot open a WebSocket to ${url}: ${(cause as Error).message}`, {
        reason: BridgeErrorReason.ConnectionLost,
        cause,
      });
    }
    this.#ws = ws;
    // Binary messages as ArrayBuffers (browsers default to Blobs), except with Node's `ws`,
    // whose Buffers are Uint8Array views already: asking it for ArrayBuffers copies each one.
    if (ws.binaryType !== 'nodebuffer') ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      if (this.#state !== CONNECTING) return;
      if (ws.protocol !== BRIDGE_SUBPROTOCOL) {
        this.#closeSocket(BridgeCloseCode.ProtocolError, `subprotocol ${BRIDGE_SUBPROTOCOL} not selected`);
        this.#fail(
          new MongoBridgeError(`${url} did not accept the ${BRIDGE_SUBPROTOCOL} subprotocol (is it a mongo-edge bridge?)`, {
            reason: BridgeErrorReason.ProtocolError,
          }),
        );
        return;
      }
      this.#state = OPEN;
      if (viaFrame) ws.send(encodeBridgeControlFrame(BridgeFrameType.Auth, BRIDGE_SOCKET_CHANNEL, { token: resolved }));
      this.ready.resolve(this);
    };
    ws.onmessage = (event: { data: unknown }) => this.#onMessage(event.data);
    ws.onerror = (event: { message?: unknown; error?: unknown }) => {
      const m = event?.message ?? (event?.error as Error | undefined)?.message;
      if (typeof m === 'string' && m) this.#lastError = m;
    };
    ws.onclose = (event: { code?: number; reason?: string }) => this.#onClose(event?.code ?? 1006, event?.reason ?? '');
  }

  openChannel(options: TransportConnectOptions, address: string): BridgeChannel {
    const id = this.#nextChannelId++;
    if (this.#nextChannelId > BRIDGE_MAX_CHANNEL_ID) this.#draining = true;
    const channel = new BridgeChannel(this, id, address);
    this.channels.set(id, channel);
    const { host, port, tls } = options;
    const payload: BridgeOpenPayload = {
      host,
      port,
      // Only what was asked for travels: JSON leaves the undefined fields out.
      tls: tls && {
        servername: tls.servername,
        allowInvalidCertificates: tls.allowInvalidCertificates || undefined,
        allowInvalidHostnames: tls.allowInvalidHostnames || undefined,
      },
    };
    const refused = this.sendFrame(encodeBridgeControlFrame(BridgeFrameType.Open, id, payload));
    if (refused) channel.end(refused, false, true);
    return channel;
  }

  /**
   * Sends one frame. Returns the error when the runtime refused it because the WebSocket
   * belongs to another request (workerd): only the caller's channel is affected, the
   * WebSocket stays its owner's. Any other failure ends the session (below).
   */
  sendFrame(frame: Uint8Array): MongoNetworkError | undefined {
    if (this.#state !== OPEN) return undefined;
    try {
      // Inside the try: workerd refuses even readyState on a WebSocket of another request.
      if (this.#ws?.readyState !== OPEN) return undefined;
      this.#ws.send(frame);
    } catch (e) {
      const error = ioFailure('send to the bridge at', this.options.url, e);
      // A WebSocket of another request (a MongoRequestScopeError): it works for the request
      // that opened it, whose operations may be in flight on it; failing it from here
      // would also settle their promises from this request, which workerd cancels.
      if (isForeignRequestIoError(e)) return error;
      // A send that throws otherwise (a broken socket) ends the session with a
      // MongoNetworkError, reported after the caller's send() returns; no new channel
      // goes to it meanwhile.
      this.#draining = true;
      queueMicrotask(() => {
        if (this.#state === CLOSED) return;
        this.#closeSocket(BridgeCloseCode.Normal, 'send failed');
        this.#fail(error);
      });
    }
    return undefined;
  }

  /** A channel finished (either side); drops it and closes a drained, empty socket. */
  release(id: number, notifyBridge: boolean): void {
    if (!this.channels.delete(id)) return;
    if (notifyBridge) this.sendFrame(encodeBridgeFrame(BridgeFrameType.Close, id));
    this.#closeIfDrained();
  }

  #closeIfDrained(): void {
    if (this.#draining && this.channels.size === 0) this.#closeSocket(BridgeCloseCode.Normal, 'drained');
  }

  #onMessage(data: unknown): void {
    let frame: BridgeFrame;
    try {
      const bytes = toBytes(data);
      if (!bytes) throw new Error('text message');
      frame = decodeBridgeFrame(bytes);
    } catch (e) {
      this.#closeSocket(BridgeCloseCode.ProtocolError, 'bad frame');
      this.#onClose(BridgeCloseCode.ProtocolError, `bad frame from the bridge: ${(e as Error).message}`);
      return;
    }
    const { type, channelId, payload } = frame;
    if (channelId === BRIDGE_SOCKET_CHANNEL) {
      if (type === BridgeFrameType.Error) {
        this.#notice = readErrorPayload(payload);
        if (this.#notice.reason === BridgeErrorReason.BridgeShuttingDown) {
          this.#draining = true;
          this.#closeIfDrained();
        }
      }
      return;
    }
    const channel = this.channels.get(channelId);
    if (!channel) return; // a late frame for a channel this side already closed
    switch (type) {
      case BridgeFrameType.Opened: {
        let max: unknown;
        try {
          max = decodeBridgeControlPayload(payload).maxMessageSizeBytes;
        } catch {
          // keep the client's limit
        }
        if (Number.isInteger(max) && (max as number) >= MESSAGE_HEADER_SIZE) channel.maxMessageSizeBytes = max as number;
        return channel.onOpened();
      }
      case BridgeFrameType.Data:
        return channel.onData(payload);
      case BridgeFrameType.Close:
        return channel.end(
          new MongoBridgeError(`connection to ${channel.address} was closed by the server`, { reason: BridgeErrorReason.ConnectionLost }),
          false,
        );
      case BridgeFrameType.Error: {
        const { reason, message } = readErrorPayload(payload);
        const error = new MongoBridgeError(`bridge: ${channel.address}: ${message} (${reason})`, { reason });
        // The target refused or could not be reached before the channel opened (a pipelined
        // open: the caller already sent its hello): a dead server, as a failed connect() is.
        if (channel.opening && reason === BridgeErrorReason.TargetUnreachable) markOpenFailure(error);
        return channel.end(error, false);
      }
      case BridgeFrameType.Auth:
      case BridgeFrameType.Open:
        return channel.end(
          new MongoBridgeError(`bridge sent an unexpected frame type ${type}`, { reason: BridgeErrorReason.ProtocolError }),
          true,
        );
      default:
        throw new Error(`unreachable frame type ${type satisfies never}`);
    }
  }

  #closeSocket(code: number, reason: string): void {
    try {
      this.#ws?.close(code, reason);
    } catch {
      // already closing
    }
  }

  #onClose(code: number, closeReason: string): void {
    if (this.#state === CLOSED) return;
    const url = this.options.url;
    const what = this.#state === OPEN ? `bridge WebSocket ${url} closed` : `cannot open a WebSocket to ${url}`;
    const notice = this.#notice;
    const detail = closeReason || notice?.message || this.#lastError;
    this.#fail(
      new MongoBridgeError(`${what} (code ${code}${detail ? `: ${detail}` : ''})`, {
        reason: notice?.reason ?? bridgeReasonForCloseCode(code) ?? BridgeErrorReason.ConnectionLost,
        closeCode: code,
      }),
    );
  }

  /**
   * The socket is gone (or never came, or is closing): every channel and waiter sees
   * `error`, and the socket is let go.
   */
  #fail(error: MongoNetworkError): void {
    this.#state = CLOSED;
    this.ready.reject(error);
    const channels = [...this.channels.values()];
    this.channels.clear();
    for (const c of channels) c.end(error, false);
    this.#onGone(this);
    const ws = this.#ws;
    if (ws) ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    wakeAll(this.#gone);
  }

  /** Transport.close(): close every channel quietly, then the socket; waits (at most 2 s) for it to close. */
  async shutdown(): Promise<void> {
    for (const c of this.channels.values()) c.close();
    const ws = this.#ws;
    if (ws && this.#state !== CLOSED) {
      ws.onclose = () => this.#fail(transportClosed());
      // The close event, or a grace period if the peer never answers (#fail ends it either way).
      const gone = sleep(2000, this.#gone);
      this.#closeSocket(BridgeCloseCode.Normal, 'client closed');
      if (readyStateOf(ws) !== CLOSED) await gone;
    }
    if (this.#state !== CLOSED) this.#fail(transportClosed());
  }
}

/** One logical connection: a TransportSocket. */
class BridgeChannel implements TransportSocket {
  readonly opened = settleable<void>();
  /** connect() returns this channel before `opened` (pipelined open): open failures become its close. */
  readonly pipelined: boolean;
  maxMessageSizeBytes: number;
  readonly #session: BridgeSession;
  #state: ReadyState = CONNECTING;
  #handlers: TransportSocketHandlers | undefined;
  /** Events that came before setHandlers(), replayed in order. */
  #early: Array<(handlers: TransportSocketHandlers) => void> = [];
  /** Only used when a send() is not exactly one whole message within the limit. */
  #outFramer: MessageFramer | undefined;

  constructor(
    session: BridgeSession,
    readonly id: number,
    readonly address: string,
  ) {
    this.#session = session;
    this.pipelined = session.options.pipelineOpen !== false;
    this.maxMessageSizeBytes = session.options.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES;
  }

  /** The bridge has not confirmed the channel yet (its target is still being connected). */
  get opening(): boolean {
    return this.#state === CONNECTING;
  }

  /** The caller has the channel: it opened, or connect() returned it early. */
  get #live(): boolean {
    return this.#state === OPEN || (this.#state === CONNECTING && this.pipelined);
  }

  onOpened(): void {
    this.#state = OPEN;
    this.opened.resolve();
  }

  onData(bytes: Uint8Array): void {
    if (this.#state === OPEN) this.#deliver((h) => h.data(bytes));
  }

  send(chunks: readonly Uint8Array[]): void {
    if (!this.#live) return;
    const total = concatLength(chunks);
    if (total === 0) return;
    const max = this.maxMessageSizeBytes;
    const first = chunks[0]!;
    if (!this.#outFramer?.bufferedBytes && first.byteLength >= 4 && new DataView(first.buffer, first.byteOffset).getInt32(0, true) === total) {
      // The common case: one send() is one whole message; one frame, one copy.
      if (total > max) {
        return this.#sendFailed(`${total}-byte message: the bridge relays at most ${max} bytes`, BridgeErrorReason.MessageTooLarge);
      }
      return this.#refused(this.#session.sendFrame(encodeBridgeDataFrame(this.id, chunks)));
    }
    // A partial or multi-message send: split on message boundaries.
    const framer = (this.#outFramer ??= new MessageFramer());
    framer.maxMessageSizeBytes = max;
    let messages: Uint8Array[];
    try {
      messages = chunks.flatMap((c) => framer.push(c));
    } catch (e) {
      const tooLarge = (e as { code?: unknown }).code === DriverErrorCode.MessageTooLarge;
      return this.#sendFailed((e as Error).message, tooLarge ? BridgeErrorReason.MessageTooLarge : BridgeErrorReason.ProtocolError);
    }
    for (const m of messages) {
      const refused = this.#session.sendFrame(encodeBridgeDataFrame(this.id, [m]));
      if (refused) return this.#refused(refused);
    }
  }

  /** The runtime refused a frame (a WebSocket of another request): this channel closes with that error, after send() returns. */
  #refused(error: MongoNetworkError | undefined): void {
    if (error) this.end(error, false, true);
  }

  /** A send() found a problem: the channel closes, reported after send() returns. */
  #sendFailed(problem: string, reason: BridgeErrorReason): void {
    this.end(new MongoBridgeError(`cannot send to ${this.address}: ${problem}`, { reason }), true, true);
  }

  setHandlers(handlers: TransportSocketHandlers): void {
    this.#handlers = handlers;
    for (const event of this.#early.splice(0)) event(handlers);
  }

  close(): void {
    this.end(undefined, true);
  }

  /**
   * Closes the channel: `error` is the reason (none when closed locally); the bridge
   * is told when `notifyBridge`. A failure found inside send() is `deferred`: reported
   * after send() returns (no re-entrancy).
   */
  end(error: MongoNetworkError | undefined, notifyBridge: boolean, deferred = false): void {
    if (this.#state === CLOSED) return;
    const live = this.#live;
    this.#state = CLOSED;
    this.#session.release(this.id, notifyBridge);
    if (!live) return this.opened.reject(error ?? new MongoNetworkError(`connect to ${this.address} was cancelled`));
    const deliver = () => this.#deliver((h) => h.close(error));
    if (deferred) queueMicrotask(deliver);
    else deliver();
  }

  #deliver(event: (handlers: TransportSocketHandlers) => void): void {
    if (this.#handlers) event(this.#handlers);
    else this.#early.push(event);
  }
}
