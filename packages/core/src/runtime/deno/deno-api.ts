/**
 * The part of the `Deno` namespace the Deno runtime uses, typed here (the core does not
 * depend on Deno's type declarations), and the lookup of the global.
 */
import { MongoInvalidArgumentError } from '../../errors.js';

export interface DenoConn {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
  setKeepAlive?(keepAlive?: boolean): void;
}

export interface DenoSrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DenoApi {
  connect(options: { hostname: string; port: number; transport?: 'tcp' }): Promise<DenoConn>;
  connectTls(options: { hostname: string; port: number; caCerts?: string[]; cert?: string; key?: string }): Promise<DenoConn>;
  resolveDns(query: string, recordType: 'SRV'): Promise<DenoSrvRecord[]>;
  resolveDns(query: string, recordType: 'TXT'): Promise<string[][]>;
  readonly errors?: { readonly NotFound?: new (...args: never[]) => Error };
}

/** globalThis.Deno, or a typed error naming the fix. */
export function denoApi(): DenoApi {
  const deno = (globalThis as { Deno?: DenoApi }).Deno;
  if (!deno || typeof deno.connect !== 'function') {
    throw new MongoInvalidArgumentError('@mongo-edge/core/deno runs on Deno (globalThis.Deno is missing); pass `transport` elsewhere');
  }
  return deno;
}
