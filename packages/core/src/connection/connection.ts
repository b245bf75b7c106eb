/**
 * One wire connection: frames bytes from a TransportSocket, sends OP_MSG requests and
 * matches replies by requestId/responseTo. The connection owns its socket and every
 * timer it starts; `close()` (or any fatal error) rejects everything pending.
 *
 * Fatal (the connection closes): network errors, per-request timeouts, aborting a
 * request already sent, protocol errors (bad length, oversize, bad BSON, unexpected
 * responseTo, OP_COMPRESSED, unknown opcode). Not fatal: ok:0 replies (MongoServerError).
 */
import {
  DriverErrorCode,
  MongoDriverError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoProtocolError,
  MongoServerError,
  type Document,
} from '../errors.js';
import type { TransportSocket } from '../transport/transport.js';
import {
  DEFAULT_MAX_MESSAGE_SIZE_BYTES,
  OP_COMPRESSED,
  OP_MSG,
  OP_QUERY_SECONDARY_OK,
  OP_REPLY,
} from '../wire/constants.js';
import { MessageFramer } from '../wire/framer.js';
import { newRequestId, readHeader } from '../wire/header.js';
import { decodeOpMsg, encodeOpMsg } from '../wire/op-msg.js';
import { decodeOpReply, encodeOpQuery } from '../wire/op-query.js';
import type { CommandOptions, Connection } from './types.js';

export interface WireConnectionOptions {
  id: number;
  generation: number;
  /** Default per-request reply timeout; 0 = none. */
  socketTimeoutMS?: number;
  /** Frame limit until the hello reply says otherwise. */
  maxMessageSizeBytes?: number;
}

interface PendingRequest {
  readonly requestId: number;
  readonly raw: boolean;
  readonly legacy: boolean;
  readonly resolve: (doc: Document) => void;
  readonly reject: (error: Error) => void;
  /** Stops the timer and abort listener. */
  cleanup(): void;
}

interface ReceivedReply {
  readonly requestId: number;
  readonly responseTo: number;
  readonly moreToCome: boolean;
  readonly body: Document;
}

type Settled = { ok: true; reply: ReceivedReply } | { ok: false; error: Error };

/** Reply `ok` field: 1, 1.0, true are success. */
function isOk(body: Document): boolean {
  const ok = body.ok as unknown;
  return ok === 1 || ok === true || (typeof ok === 'object' && ok !== null && Number(ok) === 1);
}

function describeCommand(cmd: Document): string {
  const first = Object.keys(cmd)[0];
  return first ?? 'command';
}

export class WireConnection implements Connection {
  readonly id: number;
  readonly address: string;
  readonly generation: number;
  hello: Document = {};
  /** Set from the hello reply in load-balanced mode. */
  serviceId: unknown;
  /** True once the handshake (and auth) finished; errors before it carry beforeHandshake. */
  established = false;
  /** Milliseconds the handshake hello took (set by connect()). */
  handshakeRoundTripMS: number | undefined;
  /** Last `$clusterTime` / `operationTime` seen in any reply (the client gossips them). */
  lastClusterTime: Document | undefined;
  lastOperationTime: unknown;
  /** Epoch ms of the last completed send or receive (pools use it for idleness). */
  lastUsedAt = Date.now();

  private _roundTrips = 0;
  private _moreToCome = false;
  private _closed = false;
  private readonly socket: TransportSocket;
  private readonly framer: MessageFramer;
  private readonly socketTimeoutMS: number;
  private readonly pending = new Map<number, PendingRequest>();
  /** Exhaust stream state: replies arriving with responseTo = the previous reply's requestId. */
  private exhaustResponseTo: number | undefined;
  private readonly exhaustQueue: Settled[] = [];
  private exhaustWaiter: PendingRequest | undefined;
  private closeError: MongoNetworkError | undefined;
  private readonly closeListeners: Array<(error: MongoNetworkError | undefined) => void> = [];

  constructor(socket: TransportSocket, options: WireConnectionOptions) {
    this.socket = socket;
    this.address = socket.address;
    this.id = options.id;
    this.generation = options.generation;
    this.socketTimeoutMS = options.socketTimeoutMS ?? 0;
    this.framer = new MessageFramer(options.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES);
    socket.setHandlers({
      data: (chunk) => this.onData(chunk),
      close: (error) => this.onSocketClose(error),
    });
  }

  get roundTrips(): number {
    return this._roundTrips;
  }

  get moreToCome(): boolean {
    return this._moreToCome;
  }

  get closed(): boolean {
    return this._closed;
  }

  /** The error that closed the connection (undefined after a local close). */
  get error(): MongoNetworkError | undefined {
    return this.closeError;
  }

  get maxMessageSizeBytes(): number {
    return this.framer.maxMessageSizeBytes;
  }

  /** Applies the hello reply's limits (maxMessageSizeBytes) to framing. */
  setHello(reply: Document): void {
    this.hello = reply;
    const max = reply.maxMessageSizeBytes;
    if (typeof max === 'number' && max > 0) this.framer.maxMessageSizeBytes = max;
    if (reply.serviceId !== undefined) this.serviceId = reply.serviceId;
  }

  /** Called once when the connection closes, with the error unless closed locally. */
  onClose(listener: (error: MongoNetworkError | undefined) => void): void {
    if (this._closed) listener(this.closeError);
    else this.closeListeners.push(listener);
  }

  command(db: string, cmd: Document, options: CommandOptions = {}): Promise<Document> {
    const body: Document = { ...cmd, $db: db };
    const requestId = newRequestId();
    let chunks: Uint8Array[];
    try {
      chunks = encodeOpMsg({
        requestId,
        body,
        ...(options.sequences ? { sequences: options.sequences } : {}),
        ...(options.moreToCome ? { moreToCome: true } : {}),
        ...(options.exhaustAllowed ? { exhaustAllowed: true } : {}),
      });
    } catch (cause) {
      return Promise.reject(
        new MongoDriverError(`cannot encode ${describeCommand(cmd)}: ${(cause as Error).message}`, DriverErrorCode.InvalidBSON, { cause }),
      );
    }
    return this.send(requestId, chunks, describeCommand(cmd), options, false);
  }

  /**
   * Legacy OP_QUERY command on `<db>.$cmd` (only for the handshake fallback to servers
   * that do not speak OP_MSG); the reply is an OP_REPLY.
   */
  legacyCommand(db: string, cmd: Document, options: Pick<CommandOptions, 'timeoutMS' | 'signal' | 'raw'> = {}): Promise<Document> {
    const requestId = newRequestId();
    const chunks = encodeOpQuery({
      requestId,
      flags: OP_QUERY_SECONDARY_OK,
      fullCollectionName: `${db}.$cmd`,
      numberToSkip: 0,
      numberToReturn: -1,
      query: cmd,
    });
    return this.send(requestId, chunks, describeCommand(cmd), options, true);
  }

  private send(
    requestId: number,
    chunks: Uint8Array[],
    name: string,
    options: CommandOptions,
    legacy: boolean,
  ): Promise<Document> {
    if (this._closed) {
      return Promise.reject(this.closeError ?? this.networkError(`connection ${this.id} to ${this.address} is closed`));
    }
    if (this._moreToCome) {
      return Promise.reject(
        new MongoDriverError(`connection ${this.id} has an open exhaust stream; read it with nextReply() first`, DriverErrorCode.Runtime),
      );
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    const max = this.framer.maxMessageSizeBytes;
    if (size > max) {
      return Promise.reject(
        new MongoDriverError(`${name} is ${size} bytes, over maxMessageSizeBytes ${max}`, DriverErrorCode.MessageTooLarge),
      );
    }
    if (options.moreToCome) {
      this.socket.send(chunks);
      this.lastUsedAt = Date.now();
      return Promise.resolve({ ok: 1 });
    }
    const timeoutMS = options.timeoutMS ?? this.socketTimeoutMS;
    return new Promise<Document>((resolve, reject) => {
      const req = this.track(requestId, resolve, reject, { raw: options.raw ?? false, legacy, timeoutMS, name, ...(signal ? { signal } : {}) });
      this.pending.set(requestId, req);
      this.socket.send(chunks);
    });
  }

  /** Builds a pending entry with its timer and abort listener (both removed by cleanup). */
  private track(
    requestId: number,
    resolve: (doc: Document) => void,
    reject: (error: Error) => void,
    o: { raw: boolean; legacy: boolean; timeoutMS: number; name: string; signal?: AbortSignal },
  ): PendingRequest {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      // The reply may still arrive; the stream is no longer in a known state.
      const error = abortError(o.signal!);
      req.cleanup();
      if (this.pending.get(requestId) === req) this.pending.delete(requestId);
      if (this.exhaustWaiter === req) this.exhaustWaiter = undefined;
      reject(error);
      this.destroy(this.networkError(`connection ${this.id} to ${this.address} closed: ${o.name} was aborted`, error));
    };
    const req: PendingRequest = {
      requestId,
      raw: o.raw,
      legacy: o.legacy,
      resolve,
      reject,
      cleanup: () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        o.signal?.removeEventListener('abort', onAbort);
      },
    };
    if (o.timeoutMS > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        const error = new MongoNetworkTimeoutError(
          `connection ${this.id} to ${this.address} timed out after ${o.timeoutMS} ms waiting for a reply to ${o.name}`,
          { beforeHandshake: !this.established },
        );
        this.destroy(error);
      }, o.timeoutMS);
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    return req;
  }

  nextReply(options: { timeoutMS?: number; signal?: AbortSignal } = {}): Promise<Document> {
    const queued = this.exhaustQueue.shift();
    if (queued) return queued.ok ? this.finishReply(queued.reply, false) : Promise.reject(queued.error);
    if (this._closed) {
      return Promise.reject(this.closeError ?? this.networkError(`connection ${this.id} to ${this.address} is closed`));
    }
    if (this.exhaustResponseTo === undefined) {
      return Promise.reject(new MongoDriverError('nextReply() called without an open exhaust stream', DriverErrorCode.Runtime));
    }
    if (this.exhaustWaiter) {
      return Promise.reject(new MongoDriverError('nextReply() is already waiting', DriverErrorCode.Runtime));
    }
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    const timeoutMS = options.timeoutMS ?? this.socketTimeoutMS;
    return new Promise<Document>((resolve, reject) => {
      this.exhaustWaiter = this.track(this.exhaustResponseTo!, resolve, reject, {
        raw: false,
        legacy: false,
        timeoutMS,
        name: 'exhaust reply',
        ...(options.signal ? { signal: options.signal } : {}),
      });
    });
  }

  private finishReply(reply: ReceivedReply, raw: boolean): Promise<Document> {
    if (!raw && !isOk(reply.body)) return Promise.reject(new MongoServerError(reply.body));
    return Promise.resolve(reply.body);
  }

  // ------------------------------------------------------------------ receive path

  private onData(chunk: Uint8Array): void {
    if (this._closed) return;
    let messages: Uint8Array[];
    try {
      messages = this.framer.push(chunk);
    } catch (error) {
      this.protocolFailure(error);
      return;
    }
    for (const message of messages) {
      if (this._closed) return;
      try {
        this.onMessage(message);
      } catch (error) {
        this.protocolFailure(error);
        return;
      }
    }
  }

  private onMessage(message: Uint8Array): void {
    this.lastUsedAt = Date.now();
    const header = readHeader(message);
    let reply: ReceivedReply;
    let legacy = false;
    switch (header.opCode) {
      case OP_MSG: {
        const msg = decodeOpMsg(message);
        reply = { requestId: msg.requestId, responseTo: msg.responseTo, moreToCome: msg.moreToCome, body: msg.body };
        // Document sequences in replies are folded into the body (servers do not send them today).
        for (const [k, docs] of Object.entries(msg.sequences)) if (!(k in msg.body)) msg.body[k] = docs;
        break;
      }
      case OP_REPLY: {
        const r = decodeOpReply(message);
        const body = r.documents[0];
        if (!body) throw new MongoProtocolError('OP_REPLY without a document');
        legacy = true;
        reply = { requestId: r.requestId, responseTo: r.responseTo, moreToCome: false, body };
        break;
      }
      case OP_COMPRESSED:
        throw new MongoProtocolError(
          `received OP_COMPRESSED from ${this.address}, but compression was not negotiated`,
          DriverErrorCode.Unsupported,
        );
      default:
        throw new MongoProtocolError(`received unexpected opcode ${header.opCode} from ${this.address}`);
    }
    this.noteClusterTime(reply.body);

    const req = this.pending.get(reply.responseTo);
    if (req) {
      if (req.legacy !== legacy) {
        throw new MongoProtocolError(`reply to request ${reply.responseTo} used the wrong opcode ${header.opCode}`);
      }
      this.pending.delete(reply.responseTo);
      req.cleanup();
      this._roundTrips++;
      this.noteExhaust(reply);
      if (!req.raw && !isOk(reply.body)) req.reject(new MongoServerError(reply.body));
      else req.resolve(reply.body);
      return;
    }
    if (this.exhaustResponseTo !== undefined && reply.responseTo === this.exhaustResponseTo && !legacy) {
      this.noteExhaust(reply);
      const waiter = this.exhaustWaiter;
      if (waiter) {
        this.exhaustWaiter = undefined;
        waiter.cleanup();
        if (!isOk(reply.body)) waiter.reject(new MongoServerError(reply.body));
        else waiter.resolve(reply.body);
      } else {
        this.exhaustQueue.push({ ok: true, reply });
      }
      return;
    }
    throw new MongoProtocolError(
      `reply from ${this.address} has responseTo ${reply.responseTo}, which matches no request in flight`,
    );
  }

  private noteExhaust(reply: ReceivedReply): void {
    this._moreToCome = reply.moreToCome;
    this.exhaustResponseTo = reply.moreToCome ? reply.requestId : undefined;
  }

  private noteClusterTime(body: Document): void {
    const ct = body.$clusterTime;
    if (ct && typeof ct === 'object') this.lastClusterTime = ct as Document;
    if (body.operationTime !== undefined) this.lastOperationTime = body.operationTime;
  }

  private protocolFailure(error: unknown): void {
    const e =
      error instanceof MongoProtocolError
        ? error
        : new MongoProtocolError(`bad reply from ${this.address}: ${(error as Error)?.message ?? String(error)}`, DriverErrorCode.Protocol, { cause: error });
    this.failAll(e);
    this.teardown(this.networkError(`connection ${this.id} to ${this.address} closed after a protocol error: ${e.message}`, e));
  }

  private onSocketClose(error?: MongoNetworkError): void {
    if (this._closed) return;
    const midReply = this.framer.bufferedBytes > 0;
    const cause = error;
    const reason = error ? error.message : 'closed';
    const e = this.networkError(
      midReply
        ? `connection ${this.id} to ${this.address} closed mid-reply (${this.framer.bufferedBytes} bytes of a message received): ${reason}`
        : `connection ${this.id} to ${this.address} closed: ${reason}`,
      cause,
    );
    this.teardown(e, false);
  }

  // ------------------------------------------------------------------ close

  close(): void {
    if (this._closed) return;
    this.teardown(undefined);
  }

  /** Close with an error: every pending request rejects with it. */
  destroy(error: MongoNetworkError): void {
    if (this._closed) return;
    this.teardown(error);
  }

  private networkError(message: string, cause?: unknown): MongoNetworkError {
    return new MongoNetworkError(message, { beforeHandshake: !this.established, ...(cause !== undefined ? { cause } : {}) });
  }

  private failAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.cleanup();
      p.reject(error);
    }
    const waiter = this.exhaustWaiter;
    this.exhaustWaiter = undefined;
    if (waiter) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }

  private teardown(error: MongoNetworkError | undefined, closeSocket = true): void {
    this._closed = true;
    this.closeError = error;
    this._moreToCome = false;
    this.exhaustResponseTo = undefined;
    this.failAll(error ?? this.networkError(`connection ${this.id} to ${this.address} was closed`));
    if (closeSocket) this.socket.close();
    const listeners = this.closeListeners.splice(0);
    for (const l of listeners) l(error);
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}
