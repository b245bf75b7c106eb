/**
 * In-process Transport for tests. A `MemoryNetwork` maps "host:port" to a handler
 * that receives the server side of each new stream:
 *
 *   const net = new MemoryNetwork({ delivery: 'microtask' });
 *   net.listen('db1:27017', (server) => {
 *     server.onData((bytes) => server.send(reply(bytes)));
 *   });
 *   const socket = await net.transport().connect({ host: 'db1', port: 27017 });
 *
 * Connecting to an unregistered address fails like ECONNREFUSED; `blackhole()`
 * makes connects hang until connectTimeoutMS or the signal fires. Either side may
 * close. `delivery` picks how bytes and closes travel: 'sync' (same call stack),
 * 'microtask' (queueMicrotask) or 'macrotask' (setTimeout 0) so ordering bugs show.
 */
import { MongoNetworkError, MongoNetworkTimeoutError } from '../../errors.js';
import type {
  Transport,
  TransportConnectOptions,
  TransportSocket,
  TransportSocketHandlers,
} from '../../transport/transport.js';

export const MemoryDelivery = Object.freeze({
  Sync: 'sync',
  Microtask: 'microtask',
  Macrotask: 'macrotask',
} as const);
export type MemoryDelivery = (typeof MemoryDelivery)[keyof typeof MemoryDelivery];

/** The server side of one in-memory stream. */
export interface MemoryServerSocket {
  /** "host:port" the client connected to. */
  readonly address: string;
  /** Sequence number of this stream on the network (1, 2, ...). */
  readonly id: number;
  readonly closed: boolean;
  /** Bytes to the client, in order. */
  send(data: Uint8Array | readonly Uint8Array[]): void;
  /** Receives bytes from the client; bytes that arrived earlier are delivered at once. */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Called once when the stream ends; `byClient` tells who closed it. */
  onClose(listener: (info: { byClient: boolean }) => void): void;
  /** Close from the server side: the client sees a MongoNetworkError (like a reset). */
  close(): void;
}

export type MemoryHandler = (socket: MemoryServerSocket) => void;

export interface MemoryNetworkOptions {
  delivery?: MemoryDelivery;
}

export class MemoryNetwork {
  readonly delivery: MemoryDelivery;
  private readonly handlers = new Map<string, MemoryHandler>();
  private readonly blackholes = new Set<string>();
  private readonly open = new Set<MemoryStream>();
  private nextId = 1;
  /** Every connect attempt, in order ("host:port"), refused ones included. */
  readonly connectAttempts: string[] = [];

  constructor(options: MemoryNetworkOptions = {}) {
    this.delivery = options.delivery ?? MemoryDelivery.Sync;
  }

  /** Serve `address` ("host:port"); replaces an existing handler. Returns an unlisten function. */
  listen(address: string, handler: MemoryHandler): () => void {
    const key = normalizeAddress(address);
    this.blackholes.delete(key);
    this.handlers.set(key, handler);
    return () => {
      if (this.handlers.get(key) === handler) this.handlers.delete(key);
    };
  }

  /** Stop serving `address`; open streams stay open. */
  unlisten(address: string): void {
    this.handlers.delete(normalizeAddress(address));
  }

  /** Connects to `address` never complete (they time out or get aborted). */
  blackhole(address: string): void {
    this.blackholes.add(normalizeAddress(address));
  }

  /** Open streams (both sides open). */
  get openSockets(): number {
    return this.open.size;
  }

  /** Close every open stream from the server side. */
  closeAll(): void {
    for (const s of [...this.open]) s.closeFromServer();
  }

  /** A Transport whose sockets live on this network. */
  transport(name = 'memory'): Transport {
    return {
      name,
      connect: (options) => this.connect(options),
    };
  }

  private connect(options: TransportConnectOptions): Promise<TransportSocket> {
    const address = formatAddress(options.host, options.port);
    this.connectAttempts.push(address);
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(new MongoNetworkError(`connect to ${address} aborted`, { beforeHandshake: true, cause: signal.reason }));
    }
    if (this.blackholes.has(address)) {
      return new Promise<TransportSocket>((_resolve, reject) => {
        const timeoutMS = options.connectTimeoutMS ?? 0;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = (): void => {
          if (timer !== undefined) clearTimeout(timer);
          reject(new MongoNetworkError(`connect to ${address} aborted`, { beforeHandshake: true, cause: signal?.reason }));
        };
        if (timeoutMS > 0) {
          timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            reject(new MongoNetworkTimeoutError(`connect to ${address} timed out after ${timeoutMS} ms`, { beforeHandshake: true }));
          }, timeoutMS);
        }
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    const handler = this.handlers.get(address);
    if (!handler) {
      return Promise.reject(
        new MongoNetworkError(`connect ECONNREFUSED ${address}`, {
          beforeHandshake: true,
          cause: Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' }),
        }),
      );
    }
    const stream = new MemoryStream(address, this.nextId++, this.delivery, (s) => this.open.delete(s));
    this.open.add(stream);
    try {
      handler(stream.server);
    } catch (cause) {
      stream.closeFromServer();
      return Promise.reject(new MongoNetworkError(`connect to ${address} failed: handler threw`, { beforeHandshake: true, cause }));
    }
    return Promise.resolve(stream.client);
  }
}

function normalizeAddress(address: string): string {
  return address.toLowerCase();
}

function formatAddress(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${h}:${port}`.toLowerCase();
}

/** One bidirectional stream: a client TransportSocket and a MemoryServerSocket. */
class MemoryStream {
  readonly client: TransportSocket;
  readonly server: MemoryServerSocket;
  private closed = false;
  private clientHandlers: TransportSocketHandlers | undefined;
  /** Events for the client that arrived before setHandlers(). */
  private clientBacklog: Array<{ data?: Uint8Array; close?: MongoNetworkError | 'local' }> = [];
  private serverData: ((chunk: Uint8Array) => void) | undefined;
  private serverBacklog: Uint8Array[] = [];
  private serverClose: Array<(info: { byClient: boolean }) => void> = [];
  private clientCloseDelivered = false;

  constructor(
    readonly address: string,
    readonly id: number,
    private readonly delivery: MemoryDelivery,
    private readonly onEnd: (s: MemoryStream) => void,
  ) {
    const self = this;
    this.client = {
      address,
      send(chunks) {
        if (self.closed) return;
        // Copy: the caller may reuse its buffers after send().
        const copies = chunks.map((c) => c.slice());
        self.deliver(() => {
          for (const c of copies) self.toServer(c);
        });
      },
      setHandlers(handlers) {
        self.clientHandlers = handlers;
        const backlog = self.clientBacklog;
        self.clientBacklog = [];
        for (const ev of backlog) {
          if (ev.data) handlers.data(ev.data);
          else if (ev.close) self.fireClientClose(ev.close);
        }
      },
      close() {
        self.closeFromClient();
      },
    };
    this.server = {
      address,
      id,
      get closed() {
        return self.closed;
      },
      send(data) {
        if (self.closed) return;
        const list = data instanceof Uint8Array ? [data] : data;
        const copies = list.map((c) => c.slice());
        self.deliver(() => {
          for (const c of copies) self.toClient(c);
        });
      },
      onData(listener) {
        self.serverData = listener;
        const backlog = self.serverBacklog;
        self.serverBacklog = [];
        for (const c of backlog) listener(c);
      },
      onClose(listener) {
        self.serverClose.push(listener);
      },
      close() {
        self.closeFromServer();
      },
    };
  }

  private deliver(fn: () => void): void {
    switch (this.delivery) {
      case MemoryDelivery.Sync:
        fn();
        return;
      case MemoryDelivery.Microtask:
        queueMicrotask(fn);
        return;
      case MemoryDelivery.Macrotask:
        setTimeout(fn, 0);
        return;
      default: {
        const never: never = this.delivery;
        throw new Error(`unknown delivery ${String(never)}`);
      }
    }
  }

  private toServer(chunk: Uint8Array): void {
    if (this.serverData) this.serverData(chunk);
    else this.serverBacklog.push(chunk);
  }

  private toClient(chunk: Uint8Array): void {
    if (this.clientCloseDelivered) return;
    if (this.clientHandlers) this.clientHandlers.data(chunk);
    else this.clientBacklog.push({ data: chunk });
  }

  private fireClientClose(reason: MongoNetworkError | 'local'): void {
    if (this.clientCloseDelivered) return;
    this.clientCloseDelivered = true;
    const h = this.clientHandlers;
    if (!h) return;
    if (reason === 'local') h.close();
    else h.close(reason);
  }

  private queueClientClose(reason: MongoNetworkError | 'local'): void {
    if (this.clientHandlers) this.fireClientClose(reason);
    else this.clientBacklog.push({ close: reason });
  }

  closeFromClient(): void {
    if (this.closed) return;
    this.closed = true;
    this.onEnd(this);
    // The local close is reported to the client at once (idempotent, no error).
    this.queueClientClose('local');
    this.deliver(() => {
      for (const l of this.serverClose) l({ byClient: true });
    });
  }

  closeFromServer(): void {
    if (this.closed) return;
    this.closed = true;
    this.onEnd(this);
    for (const l of this.serverClose) l({ byClient: false });
    // Bytes the server sent before closing arrive first (same delivery queue).
    this.deliver(() => this.queueClientClose(new MongoNetworkError(`connection to ${this.address} closed by the server`)));
  }
}
