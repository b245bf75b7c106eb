/**
 * The only I/O seam of the core. A Transport opens byte streams to `host:port`;
 * everything above it (framing, handshake, pooling, monitoring) is platform-neutral.
 * Implementations: runtime/node/tcp.ts (node:net / node:tls), runtime/bridge/transport.ts (the
 * bridge; many channels over one WebSocket), runtime/memory/transport.ts (tests).
 *
 * A Transport is injected through client options (`transport`), never global.
 */
import type { MongoNetworkError } from '../errors.js';

export interface TransportTlsOptions {
  /** SNI / hostname checked against the certificate; defaults to the target host. */
  servername?: string;
  /** PEM text of extra CA certificates. */
  ca?: string;
  /** PEM text of the client certificate and key (MONGODB-X509). */
  cert?: string;
  key?: string;
  passphrase?: string;
  allowInvalidCertificates?: boolean;
  allowInvalidHostnames?: boolean;
}

export interface TransportConnectOptions {
  host: string;
  port: number;
  /** Present when the connection must use TLS. */
  tls?: TransportTlsOptions | undefined;
  /** 0 means no limit. */
  connectTimeoutMS?: number;
  /** Aborting cancels a pending connect (the returned promise rejects). */
  signal?: AbortSignal;
}

export interface TransportSocketHandlers {
  /** Bytes from the peer, in order. Chunk boundaries carry no meaning. */
  data(chunk: Uint8Array): void;
  /** The stream ended. `error` is set unless close() was called locally. Called once. */
  close(error?: MongoNetworkError): void;
}

export interface TransportSocket {
  /** "host:port" of the peer as the caller named it. */
  readonly address: string;
  /** Queue bytes for sending; the chunks are written in order, back to back. */
  send(chunks: readonly Uint8Array[]): void;
  /** Install the receivers; bytes that arrived before this are delivered at once. */
  setHandlers(handlers: TransportSocketHandlers): void;
  /** Close the stream. Idempotent; `handlers.close()` is called without an error. */
  close(): void;
}

export interface Transport {
  readonly name: string;
  /** Open a stream. Rejects with MongoNetworkError (or its timeout subclass). */
  connect(options: TransportConnectOptions): Promise<TransportSocket>;
  /**
   * True when the peer runs no command on a connection whose handshake `hello` failed
   * (the mongo-edge gateway, docs/gateway.md): a connection without credentials then
   * sends its first command right behind its hello, without waiting for the reply
   * (connection/connect.ts). Absent (false) for every other transport.
   */
  readonly handshakePipelining?: boolean;
  /**
   * The narrower form: a new connection's first command goes right behind its hello only
   * when it is a read outside a transaction (CommandOptions.pipelineSafe): a read has no
   * effect to undo if the hello fails, and its reply is delivered only after the hello's.
   * Writes and everything else wait for the hello's reply. Never with authentication.
   */
  readonly readPipelining?: boolean;
  /** Release anything shared between sockets (e.g. the bridge WebSocket). Idempotent. */
  close?(): Promise<void>;
  /**
   * Runtimes whose I/O is scoped to a request (Cloudflare Workers): the current request's
   * scope, an object compared by identity (the same one for every call made while serving
   * the same request). The client keeps a set of servers (pools, monitors) per scope
   * (Topology.enterIoScope), so overlapping requests each use their own sockets. Absent
   * elsewhere.
   */
  ioScope?(): Promise<object>;
  /**
   * The coarser form of ioScope() (one I/O scope at a time): resolves true when the
   * sockets this transport opened belong to another request. The client then moves to a
   * new set of servers for the operation. Absent elsewhere.
   */
  ioScopeChanged?(): Promise<boolean>;
}
