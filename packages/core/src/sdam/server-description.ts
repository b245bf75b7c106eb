/**
 * ServerDescription, as the Server Discovery and Monitoring spec defines it.
 * Immutable; built by the functions in sdam/ (from a hello reply, an error, or nothing).
 */
import type { Document } from '../errors.js';
import { MongoInvalidArgumentError } from '../errors.js';

export const ServerType = Object.freeze({
  Standalone: 'Standalone',
  Mongos: 'Mongos',
  PossiblePrimary: 'PossiblePrimary',
  RSPrimary: 'RSPrimary',
  RSSecondary: 'RSSecondary',
  RSArbiter: 'RSArbiter',
  RSOther: 'RSOther',
  RSGhost: 'RSGhost',
  LoadBalancer: 'LoadBalancer',
  Unknown: 'Unknown',
} as const);
export type ServerType = (typeof ServerType)[keyof typeof ServerType];

export interface TopologyVersion {
  /** An ObjectId (bson), compared by its hex string. */
  readonly processId: { toHexString(): string };
  /** int64 counter; kept as bigint. */
  readonly counter: bigint;
}

export interface ServerDescription {
  /** Lower-cased "host:port" (IPv6 as "[::1]:27017"). */
  readonly address: string;
  readonly type: ServerType;
  /** The error that made this description Unknown, if any. */
  readonly error: Error | null;
  /** Exponentially weighted moving average of hello round trips, ms; null if unknown. */
  readonly roundTripTime: number | null;
  /** Minimum RTT over the last samples, ms; null if unknown. */
  readonly minRoundTripTime: number | null;
  /** Milliseconds since epoch of lastWrite.lastWriteDate, or null. */
  readonly lastWriteDate: number | null;
  /** lastWrite.opTime, if reported. */
  readonly opTime: Document | null;
  readonly minWireVersion: number;
  readonly maxWireVersion: number;
  /** "me" as reported (lower-cased), or null. */
  readonly me: string | null;
  /** Lower-cased member addresses. */
  readonly hosts: readonly string[];
  readonly passives: readonly string[];
  readonly arbiters: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly setName: string | null;
  /** An ObjectId or null. */
  readonly electionId: { toHexString(): string } | null;
  readonly setVersion: number | null;
  /** Lower-cased primary address as reported, or null. */
  readonly primary: string | null;
  /** Milliseconds (monotonic clock of the observer) when this description was made. */
  readonly lastUpdateTime: number;
  readonly logicalSessionTimeoutMinutes: number | null;
  readonly topologyVersion: TopologyVersion | null;
  readonly iscryptd: boolean;
  /** Limits the server announced (defaults when not announced). */
  readonly maxBsonObjectSize: number;
  readonly maxMessageSizeBytes: number;
  readonly maxWriteBatchSize: number;
  /** Whether the server reported helloOk: true. */
  readonly helloOk: boolean;
  /** The raw reply this description was built from (null for Unknown). */
  readonly hello: Document | null;
}

export const DATA_BEARING_SERVER_TYPES: ReadonlySet<ServerType> = new Set<ServerType>([
  ServerType.Standalone,
  ServerType.RSPrimary,
  ServerType.RSSecondary,
  ServerType.Mongos,
  ServerType.LoadBalancer,
]);

// ---------------------------------------------------------------- defaults

/** Default port of a MongoDB server. */
export const DEFAULT_PORT = 27017;
/** Limits assumed when a server does not announce them (the values of MongoDB 2.6+). */
export const DEFAULT_MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const DEFAULT_MAX_WRITE_BATCH_SIZE = 100_000;

// ---------------------------------------------------------------- addresses

/**
 * Normalizes a "host[:port]" address as the SDAM spec requires: the host is
 * lower-cased and the default port added. IPv6 literals keep (or get) brackets:
 * "[::1]", "::1" and "[::1]:27017" all become "[::1]:27017".
 */
export function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  if (a.length === 0) throw new MongoInvalidArgumentError('Empty server address');
  if (a.startsWith('[')) {
    const close = a.indexOf(']');
    if (close < 0) throw new MongoInvalidArgumentError(`Invalid IPv6 address: ${address}`);
    const host = a.slice(0, close + 1);
    const rest = a.slice(close + 1);
    if (rest === '') return `${host}:${DEFAULT_PORT}`;
    if (!rest.startsWith(':')) throw new MongoInvalidArgumentError(`Invalid address: ${address}`);
    return `${host}:${parsePort(rest.slice(1), address)}`;
  }
  const colons = a.split(':').length - 1;
  if (colons > 1) return `[${a}]:${DEFAULT_PORT}`; // a bare IPv6 literal has no port
  if (colons === 0) return `${a}:${DEFAULT_PORT}`;
  const i = a.lastIndexOf(':');
  return `${a.slice(0, i)}:${parsePort(a.slice(i + 1), address)}`;
}

function parsePort(port: string, address: string): number {
  if (!/^\d+$/.test(port)) throw new MongoInvalidArgumentError(`Invalid port in address: ${address}`);
  const n = Number(port);
  if (n < 1 || n > 65535) throw new MongoInvalidArgumentError(`Port out of range in address: ${address}`);
  return n;
}

// ---------------------------------------------------------------- topologyVersion

/**
 * Compares two topologyVersions per the SDAM spec ("topologyVersion Comparison"):
 * -1 if `a` is older than `b` (or either is null, or the processIds differ: the
 * newer message is assumed more recent), 0 if equal, 1 if `a` is newer.
 */
export function compareTopologyVersion(a: TopologyVersion | null, b: TopologyVersion | null): -1 | 0 | 1 {
  if (a === null || b === null) return -1;
  if (a.processId.toHexString() !== b.processId.toHexString()) return -1;
  if (a.counter === b.counter) return 0;
  return a.counter < b.counter ? -1 : 1;
}

/** Reads a `topologyVersion` subdocument (from a hello reply or a state change error), or null. */
export function parseTopologyVersion(value: unknown): TopologyVersion | null {
  if (!isObject(value)) return null;
  const processId = value.processId;
  if (!hasHexString(processId)) return null;
  const counter = toBigInt(value.counter);
  if (counter === null) return null;
  return Object.freeze({ processId, counter });
}

// ---------------------------------------------------------------- builders

export interface NewServerDescriptionOptions {
  /** Observer clock (ms) stored as lastUpdateTime. */
  readonly now: number;
  /** Averaged round trip time (ms); ignored for an Unknown description. */
  readonly roundTripTime?: number | null;
  readonly minRoundTripTime?: number | null;
  /** The error of a failed check; makes the description Unknown. */
  readonly error?: Error | null;
  /**
   * Load-balanced mode: the description is of type LoadBalancer whatever the reply
   * says (the Load Balancer spec; no monitoring happens in that mode).
   */
  readonly loadBalancer?: boolean;
}

/**
 * A ServerDescription from the outcome of a check: a hello or legacy isMaster reply,
 * or null (with `error`) for a failed check. A reply without `ok: 1` gives Unknown.
 */
export function newServerDescription(
  address: string,
  hello: Document | null,
  options: NewServerDescriptionOptions,
): ServerDescription {
  const addr = normalizeAddress(address);
  if (options.loadBalancer === true) {
    return fromReply(addr, hello ?? {}, ServerType.LoadBalancer, options);
  }
  if (hello === null || (options.error !== undefined && options.error !== null)) {
    return unknownServerDescription(addr, options.error ?? null, { now: options.now });
  }
  const type = serverTypeOf(hello);
  if (type === ServerType.Unknown) {
    // ok: 0 (or no ok): keep what the reply says about topologyVersion, nothing else.
    return unknownServerDescription(addr, options.error ?? null, {
      now: options.now,
      topologyVersion: parseTopologyVersion(hello.topologyVersion),
    });
  }
  return fromReply(addr, hello, type, options);
}

export interface UnknownServerDescriptionOptions {
  readonly now?: number;
  readonly topologyVersion?: TopologyVersion | null;
}

/** The default ServerDescription: type Unknown, optionally with the error that caused it. */
export function unknownServerDescription(
  address: string,
  error?: Error | null,
  options: UnknownServerDescriptionOptions = {},
): ServerDescription {
  return Object.freeze({
    address: normalizeAddress(address),
    type: ServerType.Unknown,
    error: error ?? null,
    roundTripTime: null,
    minRoundTripTime: null,
    lastWriteDate: null,
    opTime: null,
    minWireVersion: 0,
    maxWireVersion: 0,
    me: null,
    hosts: EMPTY,
    passives: EMPTY,
    arbiters: EMPTY,
    tags: EMPTY_TAGS,
    setName: null,
    electionId: null,
    setVersion: null,
    primary: null,
    lastUpdateTime: options.now ?? 0,
    logicalSessionTimeoutMinutes: null,
    topologyVersion: options.topologyVersion ?? null,
    iscryptd: false,
    maxBsonObjectSize: DEFAULT_MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: DEFAULT_MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: DEFAULT_MAX_WRITE_BATCH_SIZE,
    helloOk: false,
    hello: null,
  });
}

/** The ServerType a hello / legacy isMaster reply describes (SDAM "Parsing a hello ... response"). */
export function serverTypeOf(hello: Document): ServerType {
  if (!isOk(hello.ok)) return ServerType.Unknown;
  if (hello.isreplicaset === true) return ServerType.RSGhost;
  if (typeof hello.setName === 'string') {
    if (hello.hidden === true) return ServerType.RSOther;
    if (isWritablePrimaryFlag(hello)) return ServerType.RSPrimary;
    if (hello.secondary === true) return ServerType.RSSecondary;
    if (hello.arbiterOnly === true) return ServerType.RSArbiter;
    return ServerType.RSOther;
  }
  if (hello.msg === 'isdbgrid') return ServerType.Mongos;
  return ServerType.Standalone;
}

/**
 * Server Description Equality: true if the fields the spec marks (=) are equal.
 * roundTripTime, minRoundTripTime, lastUpdateTime, lastWriteDate, opTime and limits
 * are not compared; `error` is compared by name, code and message.
 */
export function serverDescriptionEquals(a: ServerDescription, b: ServerDescription): boolean {
  if (a === b) return true;
  return (
    a.address === b.address &&
    a.type === b.type &&
    errorEquals(a.error, b.error) &&
    a.minWireVersion === b.minWireVersion &&
    a.maxWireVersion === b.maxWireVersion &&
    a.me === b.me &&
    sameSet(a.hosts, b.hosts) &&
    sameSet(a.passives, b.passives) &&
    sameSet(a.arbiters, b.arbiters) &&
    sameTags(a.tags, b.tags) &&
    a.setName === b.setName &&
    objectIdEquals(a.electionId, b.electionId) &&
    a.setVersion === b.setVersion &&
    a.primary === b.primary &&
    a.logicalSessionTimeoutMinutes === b.logicalSessionTimeoutMinutes &&
    topologyVersionEquals(a.topologyVersion, b.topologyVersion) &&
    a.iscryptd === b.iscryptd
  );
}

/** ObjectId equality by hex string; null equals only null. */
export function objectIdEquals(a: { toHexString(): string } | null, b: { toHexString(): string } | null): boolean {
  if (a === null || b === null) return a === b;
  return a.toHexString() === b.toHexString();
}

/** Orders ObjectIds (by their bytes, i.e. hex string); null sorts before any ObjectId. */
export function compareObjectIds(a: { toHexString(): string } | null, b: { toHexString(): string } | null): -1 | 0 | 1 {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const x = a.toHexString().toLowerCase();
  const y = b.toHexString().toLowerCase();
  return x === y ? 0 : x < y ? -1 : 1;
}

// ---------------------------------------------------------------- internals

const EMPTY: readonly string[] = Object.freeze([]);
const EMPTY_TAGS: Readonly<Record<string, string>> = Object.freeze({});

function fromReply(
  address: string,
  hello: Document,
  type: ServerType,
  options: NewServerDescriptionOptions,
): ServerDescription {
  const lastWrite = isObject(hello.lastWrite) ? hello.lastWrite : null;
  return Object.freeze({
    address,
    type,
    error: null,
    roundTripTime: options.roundTripTime ?? null,
    minRoundTripTime: options.minRoundTripTime ?? null,
    lastWriteDate: lastWrite ? toMillis(lastWrite.lastWriteDate) : null,
    opTime: lastWrite && isObject(lastWrite.opTime) ? lastWrite.opTime : null,
    minWireVersion: toInt(hello.minWireVersion) ?? 0,
    maxWireVersion: toInt(hello.maxWireVersion) ?? 0,
    me: typeof hello.me === 'string' ? normalizeAddress(hello.me) : null,
    hosts: addressList(hello.hosts),
    passives: addressList(hello.passives),
    arbiters: addressList(hello.arbiters),
    tags: tagsOf(hello.tags),
    setName: typeof hello.setName === 'string' ? hello.setName : null,
    electionId: hasHexString(hello.electionId) ? hello.electionId : null,
    setVersion: toInt(hello.setVersion),
    primary: typeof hello.primary === 'string' ? normalizeAddress(hello.primary) : null,
    lastUpdateTime: options.now,
    logicalSessionTimeoutMinutes: toInt(hello.logicalSessionTimeoutMinutes),
    topologyVersion: parseTopologyVersion(hello.topologyVersion),
    iscryptd: hello.iscryptd === true,
    maxBsonObjectSize: toInt(hello.maxBsonObjectSize) ?? DEFAULT_MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: toInt(hello.maxMessageSizeBytes) ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: toInt(hello.maxWriteBatchSize) ?? DEFAULT_MAX_WRITE_BATCH_SIZE,
    helloOk: hello.helloOk === true,
    hello,
  });
}

/** hello's isWritablePrimary, falling back to legacy ismaster only when it is absent. */
function isWritablePrimaryFlag(hello: Document): boolean {
  if ('isWritablePrimary' in hello && hello.isWritablePrimary !== undefined) return hello.isWritablePrimary === true;
  return hello.ismaster === true;
}

function isOk(ok: unknown): boolean {
  if (ok === true) return true;
  const n = toNumber(ok);
  return n === 1;
}

function isObject(v: unknown): v is Document {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasHexString(v: unknown): v is { toHexString(): string } {
  return isObject(v) && typeof (v as { toHexString?: unknown }).toHexString === 'function';
}

/** number, bigint, or a bson numeric wrapper (Long, Int32, Double) as a JS number. */
function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (isObject(v)) {
    const n = (v as { toNumber?: () => number; valueOf: () => unknown }).toNumber;
    if (typeof n === 'function') return n.call(v);
    const val = v.valueOf();
    if (typeof val === 'number') return val;
  }
  return null;
}

function toInt(v: unknown): number | null {
  const n = toNumber(v);
  return n === null ? null : Math.trunc(n);
}

function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
  if (isObject(v)) {
    const big = (v as { toBigInt?: () => bigint }).toBigInt;
    if (typeof big === 'function') return big.call(v);
    const str = (v as { toString?: () => string }).toString;
    const n = toNumber(v);
    if (n !== null && Number.isInteger(n)) return BigInt(n);
    if (typeof str === 'function' && /^-?\d+$/.test(str.call(v))) return BigInt(str.call(v));
  }
  return null;
}

function toMillis(v: unknown): number | null {
  if (v instanceof Date) return v.getTime();
  if (isObject(v) && typeof (v as { getTime?: unknown }).getTime === 'function') {
    return (v as { getTime(): number }).getTime();
  }
  return toNumber(v);
}

function addressList(v: unknown): readonly string[] {
  if (!Array.isArray(v)) return EMPTY;
  return Object.freeze(v.filter((x): x is string => typeof x === 'string').map(normalizeAddress));
}

function tagsOf(v: unknown): Readonly<Record<string, string>> {
  if (!isObject(v)) return EMPTY_TAGS;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return Object.freeze(out);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  const x = new Set(a);
  const y = new Set(b);
  if (x.size !== y.size) return false;
  for (const v of x) if (!y.has(v)) return false;
  return true;
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

function errorEquals(a: Error | null, b: Error | null): boolean {
  if (a === null || b === null) return a === b;
  if (a === b) return true;
  const codeA = (a as { code?: unknown }).code;
  const codeB = (b as { code?: unknown }).code;
  return a.name === b.name && a.message === b.message && codeA === codeB;
}

function topologyVersionEquals(a: TopologyVersion | null, b: TopologyVersion | null): boolean {
  if (a === null || b === null) return a === b;
  return a.counter === b.counter && a.processId.toHexString() === b.processId.toHexString();
}
