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
  MongoRequestScopeError,
  MongoServerError,
  type Document,
} from '../errors.js';
import type { TransportSocket } from '../transport/transport.js';
import { abortReason } from '../util/abort.js';
import {
  DEFAULT_MAX_MESSAGE_SIZE_BYTES,
  OP_COMPRESSED,
  OP_MSG,
} from '../wire/constants.js';
import { MessageFramer } from '../wire/framer.js';
import { newRequestId, readHeader } from '../wire/header.js';
import { attachApplicationView } from '../wire/application-view.js';
import type { BsonDeserializeOptions } from '../wire/bson-io.js';
import { decodeOpMsg, encodeOpMsg } from '../wire/op-msg.js';
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
  readonly raw: boolean;
  readonly deserialize: BsonDeserializeOptions | undefined;
  readonly resolve: (doc: Document) => void;
  readonly reject: (error: Error) => void;
  /** Stops the timer and abort listener. */
  cleanup(): void;
}

/** Reply `ok` field: 1, 1.0, true are success. */
function isOk(body: Document): boolean {
  const ok = body.ok as unknown;
  return ok === 1 || ok === true || (typeof ok === 'object' && ok !== null && Number(ok) === 1);
}

/** Resolves with the reply, or rejects with MongoServerError for ok:0 unless `raw`. */
function deliver(req: Pick<PendingRequest, 'resolve' | 'reject'>, body: Document, raw: boolean): void {
  if (raw || isOk(body)) req.resolve(body);
  else req.reject(new MongoServerError(body));
}

function describeCommand(cmd: Document): string {
  return Object.keys(cmd)[0] ?? 'command';
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

  #roundTrips = 0;
  #moreToCome = false;
  #closed = false;
  readonly #socket: TransportSocket;
  readonly #framer: MessageFramer;
  readonly #socketTimeoutMS: number;
  readonly #pending = new Map<number, PendingRequest>();
  /** Exhaust stream state: replies arriving with responseTo = the previous reply's requestId. */
  #exhaustResponseTo: number | undefined;
  /** Exhaust replies that arrived before nextReply() asked for them. */
  readonly #exhaustQueue: Document[] = [];
  #exhaustWaiter: PendingRequest | undefined;
  #closeError: MongoNetworkError | undefined;
  /** Handshake pipelining: the handshake in flight; replies to commands sent meanwhile wait for it. */
  #handshake: Promise<void> | undefined;
  /** The pending handshake lets only CommandOptions.pipelineSafe commands out (Transport.readPipelining). */
  #handshakeReadsOnly = false;

  constructor(socket: TransportSocket, options: WireConnectionOptions) {
    this.#socket = socket;
    this.address = socket.address;
    this.id = options.id;
    this.generation = options.generation;
    this.#socketTimeoutMS = options.socketTimeoutMS ?? 0;
    this.#framer = new MessageFramer(options.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES);
    socket.setHandlers({
      data: (chunk) => this.#onData(chunk),
      close: (error) => this.#onSocketClose(error),
    });
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  get moreToCome(): boolean {
    return this.#moreToCome;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get maxMessageSizeBytes(): number {
    return this.#framer.maxMessageSizeBytes;
  }

  /** "connection <id> to <address>", the subject of this connection's error messages. */
  get #name(): string {
    return `connection ${this.id} to ${this.address}`;
  }

  /** Applies the hello reply's limits (maxMessageSizeBytes) to framing. */
  setHello(reply: Document): void {
    this.hello = reply;
    const max = reply.maxMessageSizeBytes;
    if (typeof max === 'number' && max > 0) this.#framer.maxMessageSizeBytes = max;
    if (reply.serviceId !== undefined) this.serviceId = reply.serviceId;
  }

  /**
   * Handshake pipelining (connect.ts): until `handshake` settles, commands go out at once,
   * right behind the hello, but each reply is delivered only once the handshake succeeded;
   * a failed handshake fails them with its error (and closes the connection).
   */
  awaitHandshake(handshake: Promise<void>, { readsOnly = false } = {}): void {
    this.#handshake = handshake;
    this.#handshakeReadsOnly = readsOnly;
    // Cleared once it succeeded; a failed one stays (the connection is closed: its error explains).
    handshake.then(() => (this.#handshake = undefined), () => undefined);
  }

  command(db: string, cmd: Document, options: CommandOptions = {}): Promise<Document> {
    const handshake = this.#handshake;
    // Reads-only pipelining (Transport.readPipelining): anything else waits for the hello's reply.
    if (handshake && this.#handshakeReadsOnly && !options.pipelineSafe) return handshake.then(() => this.#send(db, cmd, options));
    const reply = this.#send(db, cmd, options);
    if (!handshake) return reply;
    reply.catch(() => undefined); // the handshake's error is the one reported
    return handshake.then(() => reply);
  }

  #send(db: string, cmd: Document, options: CommandOptions): Promise<Document> {
    const requestId = options.requestId ?? newRequestId();
    let chunks: Uint8Array[];
    try {
      chunks = encodeOpMsg({
        requestId,
        body: { ...cmd, $db: db },
        sequences: options.sequences,
        moreToCome: options.moreToCome,
        exhaustAllowed: options.exhaustAllowed,
        ignoreUndefined: options.ignoreUndefined,
      });
    } catch (cause) {
      return Promise.reject(
        new MongoDriverError(`cannot encode ${describeCommand(cmd)}: ${(cause as Error).message}`, DriverErrorCode.InvalidBSON, { cause }),
      );
    }
    const name = describeCommand(cmd);
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#moreToCome) {
      return Promise.reject(
        new MongoDriverError(`connection ${this.id} has an open exhaust stream; read it with nextReply() first`, DriverErrorCode.Runtime),
      );
    }
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    const size = chunks.reduce((sum, c) => sum + c.byteLength, 0);
    const max = this.#framer.maxMessageSizeBytes;
    if (size > max) {
      return Promise.reject(
        new MongoDriverError(`${name} is ${size} bytes, over maxMessageSizeBytes ${max}`, DriverErrorCode.MessageTooLarge),
      );
    }
    if (options.moreToCome) {
      this.#socket.send(chunks);
      return Promise.resolve({ ok: 1 });
    }
    return new Promise<Document>((resolve, reject) => {
      this.#pending.set(requestId, this.#track(requestId, name, options, resolve, reject));
      this.#socket.send(chunks);
    });
  }

  /** Builds a pending entry with its timer and abort listener (both removed by cleanup). */
  #track(
    requestId: number,
    name: string,
    options: Pick<CommandOptions, 'timeoutMS' | 'signal' | 'raw' | 'deserialize'>,
    resolve: (doc: Document) => void,
    reject: (error: Error) => void,
  ): PendingRequest {
    const { signal } = options;
    const timeoutMS = options.timeoutMS ?? this.#socketTimeoutMS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      // The reply may still arrive; the stream is no longer in a known state.
      const error = abortReason(signal!);
      req.cleanup();
      if (this.#pending.get(requestId) === req) this.#pending.delete(requestId);
      if (this.#exhaustWaiter === req) this.#exhaustWaiter = undefined;
      reject(error);
      this.destroy(this.#networkError(`${this.#name} closed: ${name} was aborted`, error));
    };
    const req: PendingRequest = {
      raw: options.raw ?? false,
      deserialize: options.deserialize,
      resolve,
      reject,
      cleanup: () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      },
    };
    if (timeoutMS > 0) {
      timer = setTimeout(() => {
        const error = new MongoNetworkTimeoutError(
          `${this.#name} timed out after ${timeoutMS} ms waiting for a reply to ${name}`,
          { beforeHandshake: !this.established },
        );
        this.destroy(error);
      }, timeoutMS);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    return req;
  }

  nextReply(options: { timeoutMS?: number; signal?: AbortSignal } = {}): Promise<Document> {
    const queued = this.#exhaustQueue.shift();
    if (queued) return new Promise((resolve, reject) => deliver({ resolve, reject }, queued, false));
    if (this.#closed) return Promise.reject(this.#closedError());
    const responseTo = this.#exhaustResponseTo;
    if (responseTo === undefined) {
      return Promise.reject(new MongoDriverError('nextReply() called without an open exhaust stream', DriverErrorCode.Runtime));
    }
    if (this.#exhaustWaiter) {
      return Promise.reject(new MongoDriverError('nextReply() is already waiting', DriverErrorCode.Runtime));
    }
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    return new Promise<Document>((resolve, reject) => {
      this.#exhaustWaiter = this.#track(responseTo, 'exhaust reply', options, resolve, reject);
    });
  }

  // ------------------------------------------------------------------ receive path

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    try {
      for (const message of this.#framer.push(chunk)) {
        if (this.#closed) return;
        this.#onMessage(message);
      }
    } catch (error) {
      this.#protocolFailure(error);
    }
  }

  #onMessage(message: Uint8Array): void {
    const { opCode } = readHeader(message);
    if (opCode === OP_COMPRESSED) {
      throw new MongoProtocolError(
        `received OP_COMPRESSED from ${this.address}, but compression was not negotiated`,
        DriverErrorCode.Unsupported,
      );
    }
    if (opCode !== OP_MSG) throw new MongoProtocolError(`received unexpected opcode ${opCode} from ${this.address}`);
    const reply = decodeOpMsg(message);
    const { responseTo } = reply;
    const body = reply.body;
    // Document sequences in replies are folded into the body (servers do not send them today).
    for (const [k, docs] of Object.entries(reply.sequences)) if (!(k in body)) body[k] = docs;
    const ct = body.$clusterTime;
    if (ct && typeof ct === 'object') this.lastClusterTime = ct as Document;
    if (body.operationTime !== undefined) this.lastOperationTime = body.operationTime;

    // The reply answers a request in flight, else continues the exhaust stream.
    let target = this.#pending.get(responseTo);
    if (target) {
      this.#pending.delete(responseTo);
      this.#roundTrips++;
    } else if (responseTo === this.#exhaustResponseTo) {
      target = this.#exhaustWaiter;
      this.#exhaustWaiter = undefined;
    } else {
      throw new MongoProtocolError(`reply from ${this.address} has responseTo ${responseTo}, which matches no request in flight`);
    }
    this.#moreToCome = reply.moreToCome;
    this.#exhaustResponseTo = reply.moreToCome ? reply.requestId : undefined;
    if (target) {
      target.cleanup();
      if (target.deserialize) {
        const view = decodeOpMsg(message, { bson: target.deserialize, verifyChecksum: false });
        for (const [k, docs] of Object.entries(view.sequences)) if (!(k in view.body)) view.body[k] = docs;
        attachApplicationView(body, view.body);
      }
      deliver(target, body, target.raw);
    } else {
      // An exhaust reply nobody waits for yet: nextReply() takes it.
      this.#exhaustQueue.push(body);
    }
  }

  #protocolFailure(error: unknown): void {
    const e =
      error instanceof MongoProtocolError
        ? error
        : new MongoProtocolError(`bad reply from ${this.address}: ${(error as Error)?.message ?? String(error)}`, DriverErrorCode.Protocol, { cause: error });
    this.#failAll(e);
    this.#teardown(this.#networkError(`${this.#name} closed after a protocol error: ${e.message}`, e));
  }

  #onSocketClose(error?: MongoNetworkError): void {
    if (this.#closed) return;
    const buffered = this.#framer.bufferedBytes;
    const midReply = buffered > 0 ? ` mid-reply (${buffered} bytes of a message received)` : '';
    this.#teardown(this.#networkError(`${this.#name} closed${midReply}: ${error ? error.message : 'closed'}`, error), false);
  }

  // ------------------------------------------------------------------ close

  close(): void {
    if (!this.#closed) this.#teardown(undefined);
  }

  /** Close with an error: every pending request rejects with it. */
  destroy(error: MongoNetworkError): void {
    if (!this.#closed) this.#teardown(error);
  }

  #closedError(): MongoNetworkError {
    return this.#closeError ?? this.#networkError(`${this.#name} is closed`);
  }

  #networkError(message: string, cause?: unknown): MongoNetworkError {
    // A socket of another request (Workers) keeps its class: the executor renews I/O for it.
    const Kind = cause instanceof MongoRequestScopeError ? MongoRequestScopeError : MongoNetworkError;
    return new Kind(message, { beforeHandshake: !this.established, cause });
  }

  #failAll(error: Error): void {
    const waiters = [...this.#pending.values(), ...(this.#exhaustWaiter ? [this.#exhaustWaiter] : [])];
    this.#pending.clear();
    this.#exhaustWaiter = undefined;
    for (const w of waiters) {
      w.cleanup();
      w.reject(error);
    }
  }

  #teardown(error: MongoNetworkError | undefined, closeSocket = true): void {
    this.#closed = true;
    this.#closeError = error;
    this.#moreToCome = false;
    this.#exhaustResponseTo = undefined;
    this.#failAll(error ?? this.#networkError(`${this.#name} was closed`));
    if (closeSocket) this.#socket.close();
  }
}
