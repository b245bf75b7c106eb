/**
 * Transport over node:net / node:tls (the Node.js direct path). Sockets get noDelay
 * and keepAlive (initial delay 120 s, as the official driver), connects are bounded by
 * connectTimeoutMS and the caller's AbortSignal, and every failure becomes a
 * MongoNetworkError (or MongoNetworkTimeoutError) naming the address and the cause.
 */
import net from 'node:net';
import tls from 'node:tls';
import { MongoNetworkError, MongoNetworkTimeoutError } from '../../errors.js';
import type {
  Transport,
  TransportConnectOptions,
  TransportSocket,
  TransportSocketHandlers,
  TransportTlsOptions,
} from '../../transport/transport.js';

export const KEEP_ALIVE_INITIAL_DELAY_MS = 120_000;

export interface TcpTransportOptions {
  /** Default true. */
  noDelay?: boolean;
  /** Default true, with KEEP_ALIVE_INITIAL_DELAY_MS. */
  keepAlive?: boolean;
  keepAliveInitialDelayMS?: number;
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Node's error plus its code, e.g. "connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)". */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** node:tls options from TransportTlsOptions. */
export function tlsConnectOptions(host: string, port: number, o: TransportTlsOptions): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = { host, port };
  if (o.ca !== undefined) opts.ca = o.ca;
  if (o.cert !== undefined) opts.cert = o.cert;
  if (o.key !== undefined) opts.key = o.key;
  if (o.passphrase !== undefined) opts.passphrase = o.passphrase;
  // SNI must not be an IP literal (RFC 6066).
  const servername = o.servername ?? host;
  if (net.isIP(servername) === 0) opts.servername = servername;
  if (o.allowInvalidCertificates) opts.rejectUnauthorized = false;
  if (o.allowInvalidHostnames) opts.checkServerIdentity = () => undefined;
  return opts;
}

export class TcpTransport implements Transport {
  readonly name = 'tcp';
  private readonly noDelay: boolean;
  private readonly keepAlive: boolean;
  private readonly keepAliveInitialDelayMS: number;

  constructor(options: TcpTransportOptions = {}) {
    this.noDelay = options.noDelay ?? true;
    this.keepAlive = options.keepAlive ?? true;
    this.keepAliveInitialDelayMS = options.keepAliveInitialDelayMS ?? KEEP_ALIVE_INITIAL_DELAY_MS;
  }

  connect(options: TransportConnectOptions): Promise<TransportSocket> {
    const host = stripBrackets(options.host);
    const port = options.port;
    const address = formatAddress(host, port);
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(new MongoNetworkError(`connect to ${address} aborted`, { beforeHandshake: true, cause: signal.reason }));
    }
    return new Promise<TransportSocket>((resolve, reject) => {
      const useTls = options.tls !== undefined;
      const socket: net.Socket = useTls
        ? tls.connect(tlsConnectOptions(host, port, options.tls!))
        : net.connect({ host, port });
      const readyEvent = useTls ? 'secureConnect' : 'connect';
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        socket.removeListener('error', onError);
        socket.removeListener(readyEvent, onReady);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: MongoNetworkError): void => {
        if (settled) return;
        settled = true;
        cleanup();
        socket.destroy();
        reject(error);
      };
      const onError = (err: Error): void =>
        fail(new MongoNetworkError(`connect to ${address} failed: ${describe(err)}`, { beforeHandshake: true, cause: err }));
      const onAbort = (): void =>
        fail(new MongoNetworkError(`connect to ${address} aborted`, { beforeHandshake: true, cause: signal?.reason }));
      const onReady = (): void => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(new TcpSocket(socket, address));
      };
      const timeoutMS = options.connectTimeoutMS ?? 0;
      if (timeoutMS > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          fail(new MongoNetworkTimeoutError(`connect to ${address} timed out after ${timeoutMS} ms`, { beforeHandshake: true }));
        }, timeoutMS);
      }
      socket.once('error', onError);
      socket.once(readyEvent, onReady);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.setNoDelay(this.noDelay);
      if (this.keepAlive) socket.setKeepAlive(true, this.keepAliveInitialDelayMS);
    });
  }

  async close(): Promise<void> {
    // Sockets are owned by their connections; nothing shared to release.
  }
}

/** A connected node socket behind the TransportSocket interface. */
class TcpSocket implements TransportSocket {
  private handlers: TransportSocketHandlers | undefined;
  private backlog: Uint8Array[] = [];
  private pendingClose: { error?: MongoNetworkError } | undefined;
  private closedLocally = false;
  private closeReported = false;
  private lastError: Error | undefined;

  constructor(
    private readonly socket: net.Socket,
    readonly address: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      // Hand up a Uint8Array view (no copy); consumers must not rely on Buffer methods.
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.handlers) this.handlers.data(bytes);
      else this.backlog.push(bytes);
    });
    socket.on('error', (err: Error) => {
      this.lastError = err;
    });
    socket.on('close', () => {
      const error = this.closedLocally
        ? undefined
        : new MongoNetworkError(
            this.lastError
              ? `connection to ${address} failed: ${describe(this.lastError)}`
              : `connection to ${address} closed by the server`,
            this.lastError ? { cause: this.lastError } : {},
          );
      this.reportClose(error);
    });
  }

  send(chunks: readonly Uint8Array[]): void {
    if (this.closedLocally || this.socket.destroyed) return;
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
      return;
    }
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  setHandlers(handlers: TransportSocketHandlers): void {
    this.handlers = handlers;
    const backlog = this.backlog;
    this.backlog = [];
    for (const b of backlog) handlers.data(b);
    if (this.pendingClose) {
      const { error } = this.pendingClose;
      this.pendingClose = undefined;
      this.reportClose(error);
    }
  }

  close(): void {
    if (this.closedLocally) return;
    this.closedLocally = true;
    this.socket.destroy();
    // Report at once: handlers.close() without an error, exactly once.
    this.reportClose(undefined);
  }

  private reportClose(error: MongoNetworkError | undefined): void {
    if (this.closeReported) return;
    if (!this.handlers) {
      this.pendingClose = error ? { error } : {};
      return;
    }
    this.closeReported = true;
    if (error) this.handlers.close(error);
    else this.handlers.close();
  }
}
