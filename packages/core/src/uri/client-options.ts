/**
 * Connection string + options given in code -> `MongoOptions`: validated, fully
 * defaulted settings for the client. Options in code override the connection
 * string (documented precedence, Connection String spec). Pure.
 *
 * For mongodb+srv, resolve first: `resolveClientOptions(await
 * resolveSrvConnectionString(parseConnectionString(uri), resolver), options)`, or
 * use `resolveClientOptionsWithSrv`.
 */
import { MongoInvalidArgumentError, MongoParseError } from '../errors.js';
import type { MongoCredentials } from '../connection/types.js';
import { ReadPreference, type ReadPreferenceLike, type ReadPreferenceMode, type TagSet } from '../selection/read-preference.js';
import { ReadConcern, type ReadConcernLike } from '../concern/read-concern.js';
import { WriteConcern, type W, type WriteConcernSettings } from '../concern/write-concern.js';
import {
  ConnectionStringScheme,
  parseConnectionString,
  validateOptionCombination,
  type ConnectionString,
  type HostAddress,
} from './connection-string.js';
import { URI_OPTIONS, URI_OPTION_ALIASES, canonicalOptionName, copyOptionValue, normalizeKey, type UriOptionName } from './options.js';
import { buildCredentials } from './credentials.js';
import { resolveSrvConnectionString, type SrvResolver } from './srv.js';

export const ServerMonitoringMode = Object.freeze({ auto: 'auto', stream: 'stream', poll: 'poll' } as const);
export type ServerMonitoringMode = (typeof ServerMonitoringMode)[keyof typeof ServerMonitoringMode];

export type Compressor = 'snappy' | 'zlib' | 'zstd';

/** Options accepted by `new MongoClient(uri, options)`. Unknown keys throw MongoParseError. */
export interface MongoClientOptions {
  appName?: string;
  authMechanism?: string;
  authMechanismProperties?: Record<string, unknown>;
  authSource?: string;
  auth?: { username?: string | undefined; password?: string | undefined };
  compressors?: (Compressor | 'none')[] | string;
  connectTimeoutMS?: number;
  directConnection?: boolean;
  enableOverloadRetargeting?: boolean;
  heartbeatFrequencyMS?: number;
  journal?: boolean;
  loadBalanced?: boolean;
  localThresholdMS?: number;
  maxAdaptiveRetries?: number;
  maxConnecting?: number;
  maxIdleTimeMS?: number;
  maxPoolSize?: number;
  maxStalenessSeconds?: number;
  minPoolSize?: number;
  proxyHost?: string;
  proxyPort?: number;
  proxyUsername?: string;
  proxyPassword?: string;
  readConcern?: ReadConcernLike;
  readConcernLevel?: string;
  readPreference?: ReadPreferenceLike;
  readPreferenceTags?: TagSet[];
  replicaSet?: string;
  retryReads?: boolean;
  retryWrites?: boolean;
  serverMonitoringMode?: ServerMonitoringMode;
  serverSelectionTimeoutMS?: number;
  serverSelectionTryOnce?: boolean;
  socketTimeoutMS?: number;
  srvMaxHosts?: number;
  srvServiceName?: string;
  timeoutMS?: number;
  tls?: boolean;
  ssl?: boolean;
  tlsAllowInvalidCertificates?: boolean;
  tlsAllowInvalidHostnames?: boolean;
  tlsCAFile?: string;
  tlsCertificateKeyFile?: string;
  tlsCertificateKeyFilePassword?: string;
  tlsDisableCertificateRevocationCheck?: boolean;
  tlsDisableOCSPEndpointCheck?: boolean;
  tlsInsecure?: boolean;
  w?: W;
  wtimeoutMS?: number;
  wTimeoutMS?: number;
  waitQueueTimeoutMS?: number;
  writeConcern?: WriteConcernSettings | WriteConcern | W;
  zlibCompressionLevel?: number;
  // Not connection-string options: passed through to the client untouched.
  /** The Transport (transport/transport.ts); typed loosely here to keep uri/ free of I/O types. */
  transport?: unknown;
  /** Resolves SRV/TXT records for mongodb+srv:// (uri/srv.ts SrvResolver); Node's entry sets one. */
  srvResolver?: unknown;
  /** Reads tlsCAFile / tlsCertificateKeyFile as text; Node's entry sets one. */
  tlsFileReader?: (path: string) => Promise<string>;
  serverApi?: string | { version: string; strict?: boolean; deprecationErrors?: boolean };
  driverInfo?: { name?: string; version?: string; platform?: string };
  monitorCommands?: boolean;
}

export interface MongoOptions {
  readonly scheme: ConnectionStringScheme;
  readonly hosts: readonly HostAddress[];
  readonly srvHost: string | null;
  /** Default database: the connection string's path, else "test". */
  readonly dbName: string;
  readonly credentials: MongoCredentials | undefined;
  readonly appName: string | undefined;
  readonly replicaSet: string | undefined;
  readonly directConnection: boolean;
  readonly loadBalanced: boolean;
  readonly serverSelectionTimeoutMS: number;
  readonly serverSelectionTryOnce: boolean;
  readonly heartbeatFrequencyMS: number;
  readonly localThresholdMS: number;
  readonly connectTimeoutMS: number;
  readonly socketTimeoutMS: number;
  readonly maxPoolSize: number;
  readonly minPoolSize: number;
  readonly maxIdleTimeMS: number;
  readonly maxConnecting: number;
  readonly waitQueueTimeoutMS: number;
  readonly retryReads: boolean;
  readonly retryWrites: boolean;
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern;
  readonly writeConcern: WriteConcern;
  readonly tls: boolean;
  readonly tlsCAFile: string | undefined;
  readonly tlsCertificateKeyFile: string | undefined;
  readonly tlsCertificateKeyFilePassword: string | undefined;
  /** True also when tlsInsecure is true. */
  readonly tlsAllowInvalidCertificates: boolean;
  /** True also when tlsInsecure is true. */
  readonly tlsAllowInvalidHostnames: boolean;
  readonly tlsInsecure: boolean;
  readonly tlsDisableCertificateRevocationCheck: boolean;
  readonly tlsDisableOCSPEndpointCheck: boolean;
  readonly compressors: readonly Compressor[];
  /** -1 = zlib's default level. */
  readonly zlibCompressionLevel: number;
  readonly serverMonitoringMode: ServerMonitoringMode;
  readonly srvMaxHosts: number;
  readonly srvServiceName: string;
  readonly timeoutMS: number | undefined;
  readonly proxyHost: string | undefined;
  readonly proxyPort: number | undefined;
  readonly proxyUsername: string | undefined;
  readonly proxyPassword: string | undefined;
  readonly maxAdaptiveRetries: number | undefined;
  readonly enableOverloadRetargeting: boolean;
  readonly transport: unknown;
  readonly srvResolver: unknown;
  readonly tlsFileReader: ((path: string) => Promise<string>) | undefined;
  readonly serverApi: { version: string; strict?: boolean; deprecationErrors?: boolean } | undefined;
  readonly driverInfo: { name?: string; version?: string; platform?: string } | undefined;
  readonly monitorCommands: boolean;
  /** Warnings from parsing the connection string (unknown keys, ignored values...). */
  readonly warnings: readonly string[];
}

export const DEFAULT_CLIENT_OPTIONS = Object.freeze({
  serverSelectionTimeoutMS: 30_000,
  heartbeatFrequencyMS: 10_000,
  localThresholdMS: 15,
  connectTimeoutMS: 30_000,
  socketTimeoutMS: 0,
  maxPoolSize: 100,
  minPoolSize: 0,
  maxIdleTimeMS: 0,
  maxConnecting: 2,
  waitQueueTimeoutMS: 0,
  retryReads: true,
  retryWrites: true,
  zlibCompressionLevel: -1,
  serverMonitoringMode: ServerMonitoringMode.auto,
  srvMaxHosts: 0,
  srvServiceName: 'mongodb',
} as const);

/** Keys of MongoClientOptions that are not URI options (validated here, passed through). */
const CODE_ONLY = new Set(['auth', 'readConcern', 'readPreference', 'writeConcern', 'transport', 'srvResolver', 'tlsFileReader', 'serverApi', 'driverInfo', 'monitorCommands']);

interface NormalizedUserOptions {
  uri: Record<string, unknown>;
  code: Record<string, unknown>;
}

/** Checks and sorts the options object: URI options by canonical name, the rest as given. */
function normalizeUserOptions(user: MongoClientOptions | undefined): NormalizedUserOptions {
  const uri: Record<string, unknown> = {};
  const code: Record<string, unknown> = {};
  if (user === undefined || user === null) return { uri, code };
  if (typeof user !== 'object') throw new MongoParseError('MongoClient options must be an object');
  let tlsSeen: { key: string; value: unknown } | undefined;
  for (const [key, value] of Object.entries(user)) {
    if (value === undefined) continue;
    if (CODE_ONLY.has(key)) {
      code[key] = value;
      continue;
    }
    const alias = URI_OPTION_ALIASES[normalizeKey(key)];
    const name: UriOptionName | undefined = alias ? alias.name : canonicalOptionName(key);
    if (name === undefined) throw new MongoParseError(`Option "${key}" is not supported`);
    let v = value;
    if (name === 'compressors' && typeof v === 'string') v = v.split(',');
    const reason = URI_OPTIONS[name]!.check(v);
    if (reason !== undefined) throw new MongoParseError(`Invalid value for option "${key}": ${JSON.stringify(value)} (${reason})`);
    if (name === 'tls') {
      if (tlsSeen && tlsSeen.value !== v) {
        throw new MongoParseError(`Options "${tlsSeen.key}" and "${key}" must have the same value`);
      }
      tlsSeen = { key, value: v };
    }
    uri[name] = copyOptionValue(v);
  }
  return { uri, code };
}

function asParseError(e: unknown): never {
  if (e instanceof MongoInvalidArgumentError) throw new MongoParseError(e.message, { cause: e });
  throw e;
}

function buildReadPreference(merged: Record<string, unknown>, code: Record<string, unknown>): ReadPreference {
  try {
    if (code.readPreference !== undefined && typeof code.readPreference !== 'string') {
      return ReadPreference.from(code.readPreference as ReadPreferenceLike);
    }
    const mode = (code.readPreference ?? merged.readPreference ?? 'primary') as ReadPreferenceMode;
    const tags = merged.readPreferenceTags as TagSet[] | undefined;
    const maxStalenessSeconds = merged.maxStalenessSeconds as number | undefined;
    return new ReadPreference(mode, tags, maxStalenessSeconds === undefined ? {} : { maxStalenessSeconds });
  } catch (e) {
    return asParseError(e);
  }
}

/**
 * Validates and merges a connection string (or a parsed / SRV-resolved
 * ConnectionString) with the options given in code, and fills every default.
 * Throws MongoParseError naming the offending option.
 */
export function resolveClientOptions(uriOrCs: string | ConnectionString, userOptions?: MongoClientOptions): MongoOptions {
  const cs = typeof uriOrCs === 'string' ? parseConnectionString(uriOrCs) : uriOrCs;
  const { uri: userUri, code } = normalizeUserOptions(userOptions);
  const o: Record<string, unknown> = { ...cs.options, ...userUri };
  const isSrv = cs.scheme === ConnectionStringScheme.mongodbSrv;

  // The URI Options spec's TLS conflicts apply to the merged options too.
  if (userUri.tlsInsecure !== undefined || userUri.tlsAllowInvalidCertificates !== undefined || userUri.tlsAllowInvalidHostnames !== undefined) {
    const insecure = o.tlsInsecure !== undefined;
    if (insecure && (o.tlsAllowInvalidCertificates !== undefined || o.tlsAllowInvalidHostnames !== undefined)) {
      throw new MongoParseError('Option "tlsInsecure" must not be combined with tlsAllowInvalidCertificates or tlsAllowInvalidHostnames');
    }
  }
  validateOptionCombination(cs.scheme, cs.hosts, o);

  // Credentials: code `auth` overrides the userinfo.
  const auth = code.auth as MongoClientOptions['auth'];
  if (auth !== undefined && (typeof auth !== 'object' || auth === null)) throw new MongoParseError('Option "auth" must be an object');
  const credentials = buildCredentials({
    username: auth?.username ?? cs.auth?.username,
    password: auth?.password ?? cs.auth?.password,
    authSource: o.authSource as string | undefined,
    db: cs.auth?.db,
    authMechanism: o.authMechanism as string | undefined,
    authMechanismProperties: o.authMechanismProperties as Record<string, unknown> | undefined,
  });

  const readPreference = buildReadPreference(o, code);

  let readConcern: ReadConcern;
  let writeConcern: WriteConcern;
  try {
    readConcern =
      ReadConcern.fromOptions({ readConcern: code.readConcern as ReadConcernLike | undefined, readConcernLevel: o.readConcernLevel as string | undefined }) ??
      new ReadConcern();
    const wcFromUri: WriteConcernSettings = {
      w: o.w as W | undefined,
      wtimeoutMS: o.wTimeoutMS as number | undefined,
      journal: o.journal as boolean | undefined,
    };
    writeConcern =
      WriteConcern.fromOptions({ writeConcern: code.writeConcern as WriteConcernSettings | undefined }, wcFromUri) ?? new WriteConcern();
  } catch (e) {
    return asParseError(e);
  }

  const tlsInsecure = o.tlsInsecure === true;
  const implicitTls =
    isSrv ||
    o.tlsCAFile !== undefined ||
    o.tlsCertificateKeyFile !== undefined ||
    o.tlsInsecure === true ||
    o.tlsAllowInvalidCertificates === true ||
    o.tlsAllowInvalidHostnames === true;

  let serverApi: MongoOptions['serverApi'];
  if (code.serverApi !== undefined) {
    const sa = code.serverApi;
    if (typeof sa === 'string') serverApi = { version: sa };
    else if (typeof sa === 'object' && sa !== null && typeof (sa as { version?: unknown }).version === 'string') {
      serverApi = sa as { version: string };
    } else throw new MongoParseError('Option "serverApi" must be a version string or { version, strict?, deprecationErrors? }');
    if (serverApi.version !== '1') throw new MongoParseError(`Invalid serverApi version "${serverApi.version}"; supported: "1"`);
  }
  if (code.monitorCommands !== undefined && typeof code.monitorCommands !== 'boolean') {
    throw new MongoParseError('Option "monitorCommands" must be a boolean');
  }

  const D = DEFAULT_CLIENT_OPTIONS;
  const num = (name: UriOptionName, dflt: number): number => (o[name] as number | undefined) ?? dflt;
  const compressors = ((o.compressors as string[] | undefined) ?? []).filter((c): c is Compressor => c !== 'none');
  const str = (name: UriOptionName): string | undefined => o[name] as string | undefined;

  return Object.freeze({
    scheme: cs.scheme,
    hosts: cs.hosts,
    srvHost: cs.srvHost,
    dbName: cs.auth?.db ?? 'test',
    credentials,
    appName: str('appName'),
    replicaSet: str('replicaSet'),
    directConnection: o.directConnection === true,
    loadBalanced: o.loadBalanced === true,
    serverSelectionTimeoutMS: num('serverSelectionTimeoutMS', D.serverSelectionTimeoutMS),
    serverSelectionTryOnce: o.serverSelectionTryOnce === true,
    heartbeatFrequencyMS: num('heartbeatFrequencyMS', D.heartbeatFrequencyMS),
    localThresholdMS: num('localThresholdMS', D.localThresholdMS),
    connectTimeoutMS: num('connectTimeoutMS', D.connectTimeoutMS),
    socketTimeoutMS: num('socketTimeoutMS', D.socketTimeoutMS),
    maxPoolSize: num('maxPoolSize', D.maxPoolSize),
    minPoolSize: num('minPoolSize', D.minPoolSize),
    maxIdleTimeMS: num('maxIdleTimeMS', D.maxIdleTimeMS),
    maxConnecting: num('maxConnecting', D.maxConnecting),
    waitQueueTimeoutMS: num('waitQueueTimeoutMS', D.waitQueueTimeoutMS),
    retryReads: (o.retryReads as boolean | undefined) ?? D.retryReads,
    retryWrites: (o.retryWrites as boolean | undefined) ?? D.retryWrites,
    readPreference,
    readConcern,
    writeConcern,
    tls: (o.tls as boolean | undefined) ?? implicitTls,
    tlsCAFile: str('tlsCAFile'),
    tlsCertificateKeyFile: str('tlsCertificateKeyFile'),
    tlsCertificateKeyFilePassword: str('tlsCertificateKeyFilePassword'),
    tlsAllowInvalidCertificates: tlsInsecure || o.tlsAllowInvalidCertificates === true,
    tlsAllowInvalidHostnames: tlsInsecure || o.tlsAllowInvalidHostnames === true,
    tlsInsecure,
    tlsDisableCertificateRevocationCheck: o.tlsDisableCertificateRevocationCheck === true,
    tlsDisableOCSPEndpointCheck: o.tlsDisableOCSPEndpointCheck === true,
    compressors: Object.freeze([...new Set(compressors)]),
    zlibCompressionLevel: num('zlibCompressionLevel', D.zlibCompressionLevel),
    serverMonitoringMode: (o.serverMonitoringMode as ServerMonitoringMode | undefined) ?? D.serverMonitoringMode,
    srvMaxHosts: num('srvMaxHosts', D.srvMaxHosts),
    srvServiceName: str('srvServiceName') ?? D.srvServiceName,
    timeoutMS: o.timeoutMS as number | undefined,
    proxyHost: str('proxyHost'),
    proxyPort: o.proxyPort as number | undefined,
    proxyUsername: str('proxyUsername'),
    proxyPassword: str('proxyPassword'),
    maxAdaptiveRetries: o.maxAdaptiveRetries as number | undefined,
    enableOverloadRetargeting: o.enableOverloadRetargeting === true,
    transport: code.transport,
    srvResolver: code.srvResolver,
    tlsFileReader: code.tlsFileReader as MongoOptions['tlsFileReader'],
    serverApi,
    driverInfo: code.driverInfo as MongoOptions['driverInfo'],
    monitorCommands: code.monitorCommands === true,
    warnings: cs.warnings,
  });
}

/** Parses `uri`, resolves SRV/TXT records when it is mongodb+srv, then `resolveClientOptions`. */
export async function resolveClientOptionsWithSrv(
  uri: string,
  userOptions: MongoClientOptions | undefined,
  resolver: SrvResolver,
): Promise<MongoOptions> {
  const cs = parseConnectionString(uri);
  // Check the options object before any DNS traffic.
  const pre = resolveClientOptions(cs, userOptions);
  if (cs.scheme !== ConnectionStringScheme.mongodbSrv) return pre;
  // srvServiceName / srvMaxHosts given in code steer the lookup too.
  const withSrvOptions: ConnectionString = {
    ...cs,
    options: { ...cs.options, srvServiceName: pre.srvServiceName, srvMaxHosts: pre.srvMaxHosts },
  };
  const resolved = await resolveSrvConnectionString(withSrvOptions, resolver);
  return resolveClientOptions(resolved, userOptions);
}
