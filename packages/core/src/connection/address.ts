/** "host:port" parsing for the connection layer (IPv6 literals in brackets). */
import { MongoInvalidArgumentError } from '../errors.js';

/** mongod's port when a connection string or an address gives none. */
export const DEFAULT_PORT = 27017;

export interface HostPort {
  /** Host name or IP literal, without brackets. */
  readonly host: string;
  readonly port: number;
}

/** "host", "host:port", "[IPv6]" or "[IPv6]:port": a host without brackets has no ":". */
const ADDRESS = /^(?:\[([^\]]+)\]|(?!\[)([^:]+))(?::(\d+))?$/;

/** Parses "host", "host:port", "[::1]", "[::1]:27017". */
export function parseAddress(address: string): HostPort {
  const parts = ADDRESS.exec(address);
  const port = Number(parts?.[3] ?? DEFAULT_PORT);
  if (!parts || port < 1 || port > 65535) {
    throw new MongoInvalidArgumentError(`invalid address "${address}": expected host[:port] or [IPv6 literal][:port], port 1 to 65535`);
  }
  return { host: (parts[1] ?? parts[2])!, port };
}

/** Inverse of parseAddress: brackets IPv6 literals. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
