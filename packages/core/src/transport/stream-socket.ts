/**
 * A TransportSocket over a WHATWG ReadableStream / WritableStream pair: what the
 * Workers and Deno socket APIs give (see runtime/cloudflare and runtime/deno, which
 * wrap their sockets in it). Platform-neutral.
 *
 * - Reads run in one loop from the moment the socket is made; bytes that arrive before
 *   setHandlers() are kept and delivered then.
 * - Sends are chained writes. A write that throws or rejects (a reset, or a runtime
 *   refusing I/O, e.g. workerd's "Cannot perform I/O on behalf of a different
 *   request") closes the socket with a MongoNetworkError whose cause is that
 *   exception (a MongoRequestScopeError for the latter, transport/request-scope.ts);
 *   it is reported after send() returns, never thrown to the caller.
 * - close() is idempotent and reports `handlers.close()` once, without an error.
 */
import { MongoNetworkError } from '../errors.js';
import { ioFailure } from './request-scope.js';
import type { TransportSocket, TransportSocketHandlers } from './transport.js';

export interface ByteStreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

export interface StreamSocketOptions {
  /** Releases the platform socket (e.g. cloudflare Socket.close()); errors are ignored. */
  release?: () => unknown;
}

function noop(): void {}

export class StreamSocket implements TransportSocket {
  readonly address: string;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #release: (() => unknown) | undefined;
  #handlers: TransportSocketHandlers | undefined;
  #backlog: Uint8Array[] = [];
  #ended: { error?: MongoNetworkError } | undefined;
  #reported = false;

  constructor(address: string, streams: ByteStreamPair, options: StreamSocketOptions = {}) {
    this.address = address;
    this.#reader = streams.readable.getReader();
    this.#writer = streams.writable.getWriter();
    this.#writer.closed.catch(noop);
    this.#release = options.release;
    void this.#readLoop();
  }

  send(chunks: readonly Uint8Array[]): void {
    if (this.#ended) return;
    const bytes = chunks.length === 1 ? chunks[0]! : concat(chunks);
    try {
      this.#writer.write(bytes).catch((error: unknown) => this.#fail('write to', error));
    } catch (error) {
      // Reported after send() returns: the caller is still inside its own send path.
      queueMicrotask(() => this.#fail('write to', error));
    }
  }

  setHandlers(handlers: TransportSocketHandlers): void {
    this.#handlers = handlers;
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const b of backlog) handlers.data(b);
    this.#report();
  }

  close(): void {
    if (this.#ended) return;
    this.#ended = {};
    this.#shutdown();
    this.#report();
  }

  async #readLoop(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (this.#ended) return;
        if (done) {
          this.#end(new MongoNetworkError(`connection to ${this.address} closed by the server`));
          return;
        }
        if (value.byteLength === 0) continue;
        if (this.#handlers) this.#handlers.data(value);
        else this.#backlog.push(value);
      }
    } catch (error) {
      this.#fail('read from', error);
    }
  }

  #fail(what: string, error: unknown): void {
    if (this.#ended) return;
    this.#end(ioFailure(what, this.address, error));
  }

  #end(error: MongoNetworkError): void {
    if (this.#ended) return;
    this.#ended = { error };
    this.#shutdown();
    this.#report();
  }

  /** Release the streams and the platform socket; every failure here is moot. */
  #shutdown(): void {
    for (const step of [() => this.#reader.cancel(), () => this.#writer.abort(), () => this.#release?.()]) {
      try {
        const r = step();
        if (r instanceof Promise) r.catch(noop);
      } catch {
        // the stream is already gone, or belongs to another request context
      }
    }
  }

  #report(): void {
    const ended = this.#ended;
    if (!ended || this.#reported || !this.#handlers) return;
    this.#reported = true;
    if (ended.error) this.#handlers.close(ended.error);
    else this.#handlers.close();
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
