/**
 * Connection string + options given in code -> `MongoOptions`: validated, fully
 * defaulted settings for the client. Options in code override the connection
 * string (documented precedence, Connection String spec). Pure.
 *
 * For mongodb+srv, resolve first: `resolveClientOptions(await
 * resolveSrvConnectionString(parseConnectionString(uri), resolver), options)`, or
 * use `resolveClientOptionsWithSrv`.
 */
import { MongoInvalidArgumentError } from '../errors.js';
import type { ServerMonitoringMode } from '../sdam/monitor.js';
import type { MongoCredentials } from '../connection/types.js';
import { ReadPreference, type ReadPreferenceLike, type ReadPreferenceMode, type TagSet } from '../selection/read-preference.js';
import { ReadConcern, type ReadConcernLike } from '../concern/read-concern.js';
import { WriteConcern, type W, type WriteConcernSettings } from '../concern/write-concern.js';
import {
  ConnectionStringScheme,
  EXCLUSIVE_TLS_OPTIONS,
  parseConnectionString,
  validateOptionCombination,
  type ConnectionString,
  type HostAddress,
} from './connection-string.js';
import { URI_OPTIONS, canonicalOptionName, copyOptionValue } from './options.js';
import { fail } from './fail.js';
import { BSON_OPTION_KEYS, resolveBsonOptions, type BSONSerializeOptions } from '../wire/bson-options.js';
import { buildCredentials } from './credentials.js';
import { loadCold } from '../cold/load.js';
import type { SrvResolver } from './srv.js';

export type { ServerMonitoringMode };

export type Compressor = 'snappy' | 'zlib' | 'zstd';

/** The `auth` option: the user, when it is not in the connection string. */
export interface Auth {
  username?: string | undefined;
  password?: string | undefined;
}

/** `authMechanismProperties` (the Authentication spec's keys for the mechanisms that take them). */
export interface AuthMechanismProperties {
  SERVICE_HOST?: string;
  SERVICE_NAME?: string;
  SERVICE_REALM?: string;
  CANONICALIZE_HOST_NAME?: boolean | 'none' | 'forward' | 'forwardAndReverse';
  ENVIRONMENT?: 'test' | 'azure' | 'gcp' | 'k8s';
  ALLOWED_HOSTS?: string[];
  TOKEN_RESOURCE?: string;
  [key: string]: unknown;
}

/** Options accepted by `new MongoClient(uri, options)`. Unknown keys throw MongoParseError. */
export interface MongoClientOptions extends BSONSerializeOptions {
  appName?: string;
  authMechanism?: string;
  authMechanismProperties?: AuthMechanismProperties;
  authSource?: string;
  auth?: Auth;
  compressors?: (Compressor | 'none')[] | string;
  connectTimeoutMS?: number;
  directConnection?: boolean;
  enableOverloadRetargeting?: boolean;
  /** The server, not the driver, gives inserted documents without one their `_id` (inherited by every Db). */
  forceServerObjectId?: boolean;
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
  /**
   * The Transport (transport/transport.ts); typed loosely here to keep uri/ free of I/O
   * types. A Transport object is the caller's: the client never closes it. A function
   * returning one is a factory: the client makes its transport with it on connect and
   * closes that on close() (the runtime entries pass their defaults this way).
   */
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
  readonly forceServerObjectId: boolean;
  readonly transport: unknown;
  readonly srvResolver: unknown;
  readonly tlsFileReader: ((path: string) => Promise<string>) | undefined;
  readonly serverApi: { version: string; strict?: boolean; deprecationErrors?: boolean } | undefined;
  readonly driverInfo: { name?: string; version?: string; platform?: string } | undefined;
  readonly monitorCommands: boolean;
  /** The BSON options given (wire/bson-options.ts); inherited by every Db and Collection. */
  readonly bsonOptions: Readonly<BSONSerializeOptions>;
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
  serverMonitoringMode: 'auto',
  srvMaxHosts: 0,
  srvServiceName: 'mongodb',
} as const);

/** Keys of MongoClientOptions that are not URI options (validated here, passed through). */
const CODE_ONLY = new Set(['auth', 'readConcern', 'readPreference', 'writeConcern', 'transport', 'srvResolver', 'tlsFileReader', 'serverApi', 'driverInfo', 'monitorCommands', ...BSON_OPTION_KEYS]);

/**
 * URI options that MongoOptions does not carry as they are: they become the
 * credentials, the read preference and the read / write concerns. Every other URI
 * option is a MongoOptions field of the same name (its value, else its default,
 * else false for a boolean, else undefined).
 */
const NOT_CARRIED = new Set([
  'authMechanism',
  'authMechanismProperties',
  'authSource',
  'journal',
  'maxStalenessSeconds',
  'readConcernLevel',
  'readPreference',
  'readPreferenceTags',
  'w',
  'wTimeoutMS',
]);

/** The options that turn certificate or host name checks off: tlsInsecure, tlsAllowInvalidCertificates, tlsAllowInvalidHostnames. */
const INSECURE_TLS = EXCLUSIVE_TLS_OPTIONS.slice(0, 3);

interface NormalizedUserOptions {
  uri: Record<string, unknown>;
  code: Record<string, unknown>;
}

/** Checks and sorts the options object: URI options by canonical name, the rest as given. */
function normalizeUserOptions(user: MongoClientOptions | undefined): NormalizedUserOptions {
  const uri: Record<string, unknown> = {};
  const code: Record<string, unknown> = {};
  if (user != null && typeof user !== 'object') fail('MongoClient options must be an object');
  let tlsKey: string | undefined; // the last of "tls" / "ssl" given
  for (const [key, value] of Object.entries(user ?? {})) {
    if (value === undefined) continue;
    if (CODE_ONLY.has(key)) {
      code[key] = value;
      continue;
    }
    const name = canonicalOptionName(key);
    if (name === undefined) fail(`Option "${key}" is not supported`);
    const v: unknown = name === 'compressors' && typeof value === 'string' ? value.split(',') : value;
    const reason = URI_OPTIONS[name].check(v);
    if (reason !== undefined) fail(`Invalid value for option "${key}": ${JSON.stringify(value)} (${reason})`);
    if (name === 'tls') {
      if (tlsKey !== undefined && uri.tls !== v) fail(`Options "${tlsKey}" and "${key}" must have the same value`);
      tlsKey = key;
    }
    uri[name] = copyOptionValue(v);
  }
  return { uri, code };
}

function asParseError(e: unknown): never {
  if (e instanceof MongoInvalidArgumentError) fail(e.message, e);
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

function buildServerApi(sa: unknown): MongoOptions['serverApi'] {
  if (sa === undefined) return undefined;
  const api = typeof sa === 'string' ? { version: sa } : (sa as { version?: unknown } | null);
  if (typeof api !== 'object' || api === null || typeof api.version !== 'string') {
    fail('Option "serverApi" must be a version string or { version, strict?, deprecationErrors? }');
  }
  if (api.version !== '1') fail(`Invalid serverApi version "${api.version}"; supported: "1"`);
  return api as MongoOptions['serverApi'];
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

  // The URI Options spec's TLS conflicts apply to the merged options too.
  const given = (from: Record<string, unknown>, names: readonly string[]): boolean => names.some((n) => from[n] !== undefined);
  if (given(userUri, INSECURE_TLS) && given(o, INSECURE_TLS.slice(0, 1)) && given(o, INSECURE_TLS.slice(1))) {
    fail('Option "tlsInsecure" must not be combined with tlsAllowInvalidCertificates or tlsAllowInvalidHostnames');
  }
  validateOptionCombination(cs.scheme, cs.hosts, o);

  // Credentials: code `auth` overrides the userinfo.
  const auth = code.auth as MongoClientOptions['auth'];
  if (auth !== undefined && (typeof auth !== 'object' || auth === null)) fail('Option "auth" must be an object');
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

  const serverApi = buildServerApi(code.serverApi);
  for (const name of ['monitorCommands', ...BSON_OPTION_KEYS]) {
    if (code[name] !== undefined && typeof code[name] !== 'boolean') fail(`Option "${name}" must be a boolean`);
  }

  const carried: Record<string, unknown> = {};
  const defaults: Readonly<Record<string, unknown>> = DEFAULT_CLIENT_OPTIONS;
  for (const [name, spec] of Object.entries(URI_OPTIONS)) {
    if (!NOT_CARRIED.has(name)) carried[name] = o[name] ?? defaults[name] ?? (spec.kind === 'bool' ? false : undefined);
  }
  const tlsInsecure = o.tlsInsecure === true;
  const implicitTls =
    cs.scheme === ConnectionStringScheme.mongodbSrv ||
    given(o, ['tlsCAFile', 'tlsCertificateKeyFile']) ||
    INSECURE_TLS.some((n) => o[n] === true);
  const compressors = ((o.compressors as string[] | undefined) ?? []).filter((c): c is Compressor => c !== 'none');

  return Object.freeze({
    ...carried,
    scheme: cs.scheme,
    hosts: cs.hosts,
    srvHost: cs.srvHost,
    dbName: cs.auth?.db ?? 'test',
    credentials,
    readPreference,
    readConcern,
    writeConcern,
    tls: (o.tls as boolean | undefined) ?? implicitTls,
    tlsAllowInvalidCertificates: tlsInsecure || o.tlsAllowInvalidCertificates === true,
    tlsAllowInvalidHostnames: tlsInsecure || o.tlsAllowInvalidHostnames === true,
    compressors: Object.freeze([...new Set(compressors)]),
    transport: code.transport,
    srvResolver: code.srvResolver,
    tlsFileReader: code.tlsFileReader as MongoOptions['tlsFileReader'],
    serverApi,
    driverInfo: code.driverInfo as MongoOptions['driverInfo'],
    monitorCommands: code.monitorCommands === true,
    bsonOptions: Object.freeze(resolveBsonOptions(code)),
    warnings: cs.warnings,
  }) as MongoOptions;
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
  const resolved = await (await loadCold()).resolveSrvConnectionString(withSrvOptions, resolver);
  return resolveClientOptions(resolved, userOptions);
}
