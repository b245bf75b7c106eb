/**
 * ServerDescription, as the Server Discovery and Monitoring spec defines it.
 * Immutable; built by the functions in sdam/ (from a hello reply, an error, or nothing).
 */
import type { Document } from '../errors.js';
import { keyMirror } from '../util/key-mirror.js';
import { formatAddress, parseAddress } from '../connection/address.js';

export const ServerType = keyMirror(
  'Standalone',
  'Mongos',
  'PossiblePrimary',
  'RSPrimary',
  'RSSecondary',
  'RSArbiter',
  'RSOther',
  'RSGhost',
  'LoadBalancer',
  'Unknown',
);
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

/** Limits assumed when a server does not announce them (the values of MongoDB 2.6+). */
export const DEFAULT_MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const DEFAULT_MAX_WRITE_BATCH_SIZE = 100_000;

// ---------------------------------------------------------------- addresses

/**
 * Normalizes a "host[:port]" address as the SDAM spec requires: the host is
 * lower-cased and the default port added. IPv6 literals keep (or get) brackets:
 * "[::1]", "::1" and "[::1]:27017" all become "[::1]:27017". Parsed by the connection
 * layer's parseAddress: an empty host or a bad port is a MongoInvalidArgumentError.
 */
export function normalizeAddress(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.split(':').length > 2 && !a.startsWith('[')) a = `[${a}]`; // a bare IPv6 literal has no port
  const { host, port } = parseAddress(a);
  return formatAddress(host, port);
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
  if (!isObject(value) || !hasHexString(value.processId)) return null;
  const counter = toBigInt(value.counter);
  return counter === null ? null : Object.freeze({ processId: value.processId, counter });
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
  if (options.loadBalancer === true) return describe(addr, ServerType.LoadBalancer, hello ?? {}, options);
  if (hello === null || options.error) return unknownServerDescription(addr, options.error, options);
  const type = serverTypeOf(hello);
  return type === ServerType.Unknown
    ? // ok: 0 (or no ok): keep what the reply says about topologyVersion, nothing else.
      unknownServerDescription(addr, null, { now: options.now, topologyVersion: parseTopologyVersion(hello.topologyVersion) })
    : describe(addr, type, hello, options);
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
  return describe(normalizeAddress(address), ServerType.Unknown, null, {
    now: options.now ?? 0,
    error,
    topologyVersion: options.topologyVersion,
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
  return (
    a === b ||
    (EQUAL_FIELDS.every((field) => a[field] === b[field]) &&
      errorEquals(a.error, b.error) &&
      MEMBER_LISTS.every((field) => sameSet(a[field], b[field])) &&
      sameTags(a.tags, b.tags) &&
      objectIdEquals(a.electionId, b.electionId) &&
      (a.topologyVersion === b.topologyVersion || compareTopologyVersion(a.topologyVersion, b.topologyVersion) === 0))
  );
}

/** The fields Server Description Equality compares with `===`. */
const EQUAL_FIELDS = [
  'address',
  'type',
  'minWireVersion',
  'maxWireVersion',
  'me',
  'setName',
  'setVersion',
  'primary',
  'logicalSessionTimeoutMinutes',
  'iscryptd',
] as const;
/** The address lists it compares as sets. */
const MEMBER_LISTS = ['hosts', 'passives', 'arbiters'] as const;

/** ObjectId equality by hex string; null equals only null. */
export function objectIdEquals(a: { toHexString(): string } | null, b: { toHexString(): string } | null): boolean {
  return compareObjectIds(a, b) === 0;
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

interface DescribeOptions {
  readonly now: number;
  readonly roundTripTime?: number | null | undefined;
  readonly minRoundTripTime?: number | null | undefined;
  readonly error?: Error | null | undefined;
  /** Overrides the reply's topologyVersion (an Unknown description has no reply). */
  readonly topologyVersion?: TopologyVersion | null | undefined;
}

/** Every ServerDescription is built here, from a reply (or from nothing: `hello` null). */
function describe(address: string, type: ServerType, hello: Document | null, options: DescribeOptions): ServerDescription {
  const reply = hello ?? {};
  const lastWrite = isObject(reply.lastWrite) ? reply.lastWrite : {};
  return Object.freeze({
    address,
    type,
    error: options.error ?? null,
    roundTripTime: options.roundTripTime ?? null,
    minRoundTripTime: options.minRoundTripTime ?? null,
    lastWriteDate: toMillis(lastWrite.lastWriteDate),
    opTime: isObject(lastWrite.opTime) ? lastWrite.opTime : null,
    minWireVersion: toInt(reply.minWireVersion) ?? 0,
    maxWireVersion: toInt(reply.maxWireVersion) ?? 0,
    me: addressOrNull(reply.me),
    hosts: addressList(reply.hosts),
    passives: addressList(reply.passives),
    arbiters: addressList(reply.arbiters),
    tags: tagsOf(reply.tags),
    setName: typeof reply.setName === 'string' ? reply.setName : null,
    electionId: hasHexString(reply.electionId) ? reply.electionId : null,
    setVersion: toInt(reply.setVersion),
    primary: addressOrNull(reply.primary),
    lastUpdateTime: options.now,
    logicalSessionTimeoutMinutes: toInt(reply.logicalSessionTimeoutMinutes),
    topologyVersion: options.topologyVersion ?? parseTopologyVersion(reply.topologyVersion),
    iscryptd: reply.iscryptd === true,
    maxBsonObjectSize: toInt(reply.maxBsonObjectSize) ?? DEFAULT_MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: toInt(reply.maxMessageSizeBytes) ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: toInt(reply.maxWriteBatchSize) ?? DEFAULT_MAX_WRITE_BATCH_SIZE,
    helloOk: reply.helloOk === true,
    hello,
  });
}

/** hello's isWritablePrimary, falling back to legacy ismaster only when it is absent. */
function isWritablePrimaryFlag(hello: Document): boolean {
  return (hello.isWritablePrimary !== undefined ? hello.isWritablePrimary : hello.ismaster) === true;
}

function isOk(ok: unknown): boolean {
  return ok === true || toNumber(ok) === 1;
}

function isObject(v: unknown): v is Document {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A bson wrapper's methods, where present. */
type Wrapper = Document & {
  toHexString?: unknown;
  toNumber?: () => number;
  toBigInt?: () => bigint;
  getTime?: () => number;
  toString?: () => string;
};

function hasHexString(v: unknown): v is { toHexString(): string } {
  return isObject(v) && typeof (v as Wrapper).toHexString === 'function';
}

/** number, bigint, or a bson numeric wrapper (Long, Int32, Double) as a JS number. */
function toNumber(v: unknown): number | null {
  if (typeof v === 'bigint') return Number(v);
  if (isObject(v)) {
    const n = typeof (v as Wrapper).toNumber === 'function' ? (v as Wrapper).toNumber!() : v.valueOf();
    return typeof n === 'number' ? n : null;
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function toInt(v: unknown): number | null {
  const n = toNumber(v);
  return n === null ? null : Math.trunc(n);
}

function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (isObject(v) && typeof (v as Wrapper).toBigInt === 'function') return (v as Wrapper).toBigInt!();
  const n = toNumber(v);
  if (n !== null && Number.isInteger(n)) return BigInt(n);
  const digits = isObject(v) ? (v as Wrapper).toString?.() : undefined;
  return typeof digits === 'string' && /^-?\d+$/.test(digits) ? BigInt(digits) : null;
}

/** A Date (or anything with getTime) or a number of milliseconds. */
function toMillis(v: unknown): number | null {
  return isObject(v) && typeof (v as Wrapper).getTime === 'function' ? (v as Wrapper).getTime!() : toNumber(v);
}

function addressOrNull(v: unknown): string | null {
  return typeof v === 'string' ? normalizeAddress(v) : null;
}

function addressList(v: unknown): readonly string[] {
  if (!Array.isArray(v)) return EMPTY;
  return Object.freeze(v.filter((x): x is string => typeof x === 'string').map(normalizeAddress));
}

function tagsOf(v: unknown): Readonly<Record<string, string>> {
  if (!isObject(v)) return EMPTY_TAGS;
  return Object.freeze(Object.fromEntries(Object.entries(v).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function errorEquals(a: Error | null, b: Error | null): boolean {
  if (a === null || b === null) return a === b;
  return a.name === b.name && a.message === b.message && (a as { code?: unknown }).code === (b as { code?: unknown }).code;
}
