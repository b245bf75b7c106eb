/**
 * `--tlsMode` for the wire server. requireTLS: every accepted socket is wrapped in a server
 * TLSSocket. preferTLS / allowTLS: the first byte decides (a TLS record starts with 0x16,
 * handshake; an OP_MSG header starts with its little-endian length), so one port serves both.
 *
 * Client certificates: with `--tlsCAFile` they are requested and verified against the CA and
 * required unless `--tlsAllowConnectionsWithoutCertificates`; a presented certificate that
 * does not verify always ends the connection (as mongod does).
 */
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';

export const TlsMode = Object.freeze({
  Disabled: 'disabled',
  AllowTLS: 'allowTLS',
  PreferTLS: 'preferTLS',
  RequireTLS: 'requireTLS',
} as const);
export type TlsMode = (typeof TlsMode)[keyof typeof TlsMode];

export const isTlsMode = (v: unknown): v is TlsMode => (Object.values(TlsMode) as unknown[]).includes(v);

export interface SimTlsOptions {
  mode: TlsMode;
  /** PEM with the server's certificate and private key (required unless disabled). */
  certificateKeyFile?: string;
  /** PEM of the CA that signs client certificates (enables client certificate verification). */
  caFile?: string;
  allowConnectionsWithoutCertificates?: boolean;
  /** mongod's --tlsAllowInvalidCertificates: accept client certificates that do not verify. */
  allowInvalidCertificates?: boolean;
}

const TLS_HANDSHAKE_RECORD = 0x16;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export class TlsConfigError extends Error {
  override get name(): string {
    return 'TlsConfigError';
  }
}

/**
 * Wraps accepted sockets according to the TLS mode. Sockets are handed to an internal
 * tls.Server (which verifies client certificates); one acceptor serves one wire server.
 */
export class TlsAcceptor {
  readonly mode: TlsMode;
  readonly #server: tls.Server | undefined;
  readonly #options: SimTlsOptions;
  readonly #sockets = new Set<net.Socket>();
  #accept: ((s: net.Socket) => void) | undefined;

  constructor(options: SimTlsOptions) {
    this.mode = options.mode;
    this.#options = options;
    if (options.mode === TlsMode.Disabled) return;
    if (!options.certificateKeyFile) throw new TlsConfigError(`need tlsCertificateKeyFile or certificateSelector when TLS is enabled (tlsMode ${options.mode})`);
    const read = (path: string, what: string): Buffer => {
      try {
        return readFileSync(path);
      } catch (e) {
        throw new TlsConfigError(`cannot read ${what} ${path}: ${(e as Error).message}`);
      }
    };
    const pem = read(options.certificateKeyFile, 'PEM key file');
    const ca = options.caFile ? read(options.caFile, 'CA file') : undefined;
    try {
      this.#server = tls.createServer({
        cert: pem,
        key: pem,
        ...(ca ? { ca } : {}),
        requestCert: ca !== undefined,
        rejectUnauthorized: false,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      });
    } catch (e) {
      throw new TlsConfigError(`cannot use ${options.certificateKeyFile}: ${(e as Error).message}`);
    }
    this.#server.on('secureConnection', (t: tls.TLSSocket) => this.#secured(t));
    this.#server.on('tlsClientError', (_e: Error, t: tls.TLSSocket) => t.destroy());
  }

  get enabled(): boolean {
    return this.mode !== TlsMode.Disabled;
  }

  /** Hands `socket` (or the TLS socket over it, once its handshake is done) to `accept`. */
  handle(socket: net.Socket, accept: (s: net.Socket) => void): void {
    switch (this.mode) {
      case TlsMode.Disabled:
        accept(socket);
        return;
      case TlsMode.RequireTLS:
        this.#wrap(socket, accept);
        return;
      case TlsMode.AllowTLS:
      case TlsMode.PreferTLS:
        this.#sniff(socket, accept);
        return;
      default: {
        const never: never = this.mode;
        throw new Error(`bad tlsMode ${String(never)}`);
      }
    }
  }

  /** Destroys every socket it was handed (those still in their handshake included). */
  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #sniff(socket: net.Socket, accept: (s: net.Socket) => void): void {
    this.#track(socket);
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
    const onError = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.once('error', onError);
    socket.once('close', () => clearTimeout(timer));
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_RECORD) this.#wrap(socket, accept);
      else {
        accept(socket);
        socket.resume();
      }
    });
  }

  #wrap(socket: net.Socket, accept: (s: net.Socket) => void): void {
    this.#accept = accept;
    this.#track(socket);
    socket.on('error', () => socket.destroy());
    this.#server!.emit('connection', socket);
  }

  #secured(t: tls.TLSSocket): void {
    const o = this.#options;
    if (o.caFile !== undefined && !o.allowInvalidCertificates) {
      const presented = t.getPeerX509Certificate() !== undefined;
      if (presented ? !t.authorized : !o.allowConnectionsWithoutCertificates) {
        t.destroy();
        return;
      }
    }
    this.#track(t);
    this.#accept?.(t);
  }
}
