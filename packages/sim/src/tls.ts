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

/** Wraps accepted sockets according to the TLS mode; owns sockets until their handshake ends. */
export class TlsAcceptor {
  readonly mode: TlsMode;
  readonly #context: tls.SecureContext | undefined;
  readonly #options: SimTlsOptions;
  readonly #pending = new Set<net.Socket>();

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
    try {
      this.#context = tls.createSecureContext({ cert: pem, key: pem, ...(options.caFile ? { ca: read(options.caFile, 'CA file') } : {}) });
    } catch (e) {
      throw new TlsConfigError(`cannot use ${options.certificateKeyFile}: ${(e as Error).message}`);
    }
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

  /** Destroys sockets still in their TLS handshake or waiting for a first byte. */
  close(): void {
    for (const s of this.#pending) s.destroy();
    this.#pending.clear();
  }

  #track(socket: net.Socket): () => void {
    this.#pending.add(socket);
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
    return () => {
      clearTimeout(timer);
      this.#pending.delete(socket);
    };
  }

  #sniff(socket: net.Socket, accept: (s: net.Socket) => void): void {
    const untrack = this.#track(socket);
    const onError = (): void => {
      untrack();
      socket.destroy();
    };
    socket.once('error', onError);
    socket.once('close', untrack);
    socket.once('data', (chunk: Buffer) => {
      socket.off('error', onError);
      socket.off('close', untrack);
      untrack();
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
    const o = this.#options;
    const verifyClients = o.caFile !== undefined;
    const tlsSocket = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: this.#context!,
      requestCert: verifyClients,
      rejectUnauthorized: false,
    });
    const untrack = this.#track(tlsSocket);
    const fail = (): void => {
      untrack();
      tlsSocket.destroy();
      socket.destroy();
    };
    tlsSocket.once('error', fail);
    tlsSocket.once('close', untrack);
    tlsSocket.once('secure', () => {
      tlsSocket.off('error', fail);
      tlsSocket.off('close', untrack);
      untrack();
      if (verifyClients && !o.allowInvalidCertificates) {
        const presented = tlsSocket.getPeerX509Certificate() !== undefined;
        if (presented ? !tlsSocket.authorized : !o.allowConnectionsWithoutCertificates) {
          tlsSocket.destroy();
          return;
        }
      }
      accept(tlsSocket);
    });
  }
}
