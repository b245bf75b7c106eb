/** "host:port" parsing for the connection layer (IPv6 literals in brackets). */
import { MongoInvalidArgumentError } from '../errors.js';

export const DEFAULT_PORT = 27017;

export interface HostPort {
  /** Host name or IP literal, without brackets. */
  readonly host: string;
  readonly port: number;
}

/** Parses "host", "host:port", "[::1]", "[::1]:27017". */
export function parseAddress(address: string): HostPort {
  let host: string;
  let portText: string | undefined;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0) throw new MongoInvalidArgumentError(`invalid address "${address}": unterminated IPv6 literal`);
    host = address.slice(1, end);
    const rest = address.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new MongoInvalidArgumentError(`invalid address "${address}"`);
      portText = rest.slice(1);
    }
  } else {
    const colon = address.lastIndexOf(':');
    if (colon >= 0 && address.indexOf(':') !== colon) {
      throw new MongoInvalidArgumentError(`invalid address "${address}": IPv6 literals must be in brackets`);
    }
    host = colon >= 0 ? address.slice(0, colon) : address;
    portText = colon >= 0 ? address.slice(colon + 1) : undefined;
  }
  if (host === '') throw new MongoInvalidArgumentError(`invalid address "${address}": empty host`);
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!/^\d+$/.test(portText ?? '0') || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MongoInvalidArgumentError(`invalid address "${address}": bad port`);
  }
  return { host, port };
}

/** Inverse of parseAddress: brackets IPv6 literals. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
