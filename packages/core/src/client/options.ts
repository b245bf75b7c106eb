/**
 * MongoClient options as the client layer needs them: default database, read
 * preference, read/write concern and retry flags, from the URI and the options
 * object (options object wins). The full connection-string parse (hosts, TLS,
 * auth, pool sizes) belongs to uri/ and is the executor's business; this is a
 * small, platform-neutral extraction so MongoClient's constructor never blocks.
 */
import { MongoInvalidArgumentError, MongoParseError } from '../errors.js';
import { ReadPreference, type ReadPreferenceLike, type ReadPreferenceMode, type TagSet } from '../selection/read-preference.js';
import type { ReadConcernLike, ReadConcernLevel, WriteConcernLike, W } from './concerns.js';
import { validateWriteConcern } from './concerns.js';
import type { ExecutorFactory } from './executor.js';

export interface MongoClientOptions {
  readPreference?: ReadPreferenceLike;
  readPreferenceTags?: TagSet[];
  maxStalenessSeconds?: number;
  readConcern?: ReadConcernLike;
  readConcernLevel?: ReadConcernLevel;
  writeConcern?: WriteConcernLike;
  w?: W;
  journal?: boolean;
  wtimeoutMS?: number;
  retryReads?: boolean;
  retryWrites?: boolean;
  /** Default database for `client.db()` when the URI has none. */
  dbName?: string;
  /** Build the operation executor (topology wiring). Normally set by the package entry point. */
  executorFactory?: ExecutorFactory;
  /** Everything else (hosts, tls, auth, pool, transport ...) is passed through to the executor. */
  [key: string]: unknown;
}

export interface ResolvedClientOptions {
  readonly dbName: string;
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcernLike | undefined;
  readonly writeConcern: WriteConcernLike | undefined;
  readonly retryReads: boolean;
  readonly retryWrites: boolean;
}

function parseBool(name: string, v: string): boolean {
  const s = v.toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new MongoParseError(`${name} must be true or false, got ${JSON.stringify(v)}`);
}

function parseInteger(name: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new MongoParseError(`${name} must be an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function parseTags(v: string): TagSet {
  const tags: Record<string, string> = {};
  if (v === '') return tags;
  for (const pair of v.split(',')) {
    const i = pair.indexOf(':');
    if (i < 0) throw new MongoParseError(`invalid readPreferenceTags ${JSON.stringify(v)}`);
    tags[decodeURIComponent(pair.slice(0, i))] = decodeURIComponent(pair.slice(i + 1));
  }
  return tags;
}

/** The pieces of a connection string the client layer reads. */
interface UriPieces {
  dbName: string | undefined;
  params: Map<string, string[]>;
}

export function splitConnectionString(url: string): UriPieces {
  const m = /^(mongodb(?:\+srv)?):\/\/([^]*)$/i.exec(url);
  if (!m) throw new MongoParseError('Invalid scheme, expected connection string to start with "mongodb://" or "mongodb+srv://"');
  let rest = m[2]!;
  const q = rest.indexOf('?');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  const at = rest.lastIndexOf('@');
  const afterAuth = at >= 0 ? rest.slice(at + 1) : rest;
  const slash = afterAuth.indexOf('/');
  const path = slash >= 0 ? afterAuth.slice(slash + 1) : '';
  const dbName = path === '' ? undefined : decodeURIComponent(path);
  const params = new Map<string, string[]>();
  if (query !== '') {
    for (const part of query.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const key = decodeURIComponent(eq >= 0 ? part.slice(0, eq) : part).toLowerCase();
      const value = eq >= 0 ? decodeURIComponent(part.slice(eq + 1)) : '';
      const list = params.get(key);
      if (list) list.push(value);
      else params.set(key, [value]);
    }
  }
  return { dbName, params };
}

export function resolveClientOptions(url: string, options: MongoClientOptions = {}): ResolvedClientOptions {
  const { dbName: uriDb, params } = splitConnectionString(url);
  const last = (k: string): string | undefined => {
    const v = params.get(k.toLowerCase());
    return v === undefined ? undefined : v[v.length - 1];
  };

  // read preference
  let readPreference: ReadPreference;
  if (options.readPreference !== undefined) {
    const base = ReadPreference.from(options.readPreference);
    const tags = options.readPreferenceTags ?? base.tags;
    const mss = options.maxStalenessSeconds ?? base.maxStalenessSeconds;
    readPreference =
      options.readPreferenceTags !== undefined || options.maxStalenessSeconds !== undefined
        ? new ReadPreference(base.mode, tags, mss === undefined ? {} : { maxStalenessSeconds: mss })
        : base;
  } else {
    const mode = (last('readPreference') ?? 'primary') as ReadPreferenceMode;
    const tagStrings = params.get('readpreferencetags');
    const tags = options.readPreferenceTags ?? tagStrings?.map(parseTags);
    const mssString = last('maxStalenessSeconds');
    const mss = options.maxStalenessSeconds ?? (mssString === undefined ? undefined : parseInteger('maxStalenessSeconds', mssString));
    try {
      readPreference = new ReadPreference(mode, tags, mss === undefined ? {} : { maxStalenessSeconds: mss });
    } catch (cause) {
      throw new MongoParseError((cause as Error).message, { cause });
    }
  }

  // read concern
  const level = options.readConcern?.level ?? options.readConcernLevel ?? last('readConcernLevel');
  const readConcern: ReadConcernLike | undefined = options.readConcern ?? (level === undefined ? undefined : { level });

  // write concern
  const wString = last('w');
  const uriW: W | undefined = wString === undefined ? undefined : /^-?\d+$/.test(wString) ? Number(wString) : wString;
  const jString = last('journal');
  const wtString = last('wtimeoutMS') ?? last('wtimeout');
  const wc = {
    w: options.writeConcern?.w ?? options.w ?? uriW,
    journal: options.writeConcern?.journal ?? options.writeConcern?.j ?? options.journal ?? (jString === undefined ? undefined : parseBool('journal', jString)),
    wtimeoutMS:
      options.writeConcern?.wtimeoutMS ?? options.writeConcern?.wtimeout ?? options.wtimeoutMS ?? (wtString === undefined ? undefined : parseInteger('wtimeoutMS', wtString)),
  };
  let writeConcern: WriteConcernLike | undefined;
  if (wc.w !== undefined || wc.journal !== undefined || wc.wtimeoutMS !== undefined) {
    writeConcern = options.writeConcern && options.w === undefined && options.journal === undefined && options.wtimeoutMS === undefined
      ? options.writeConcern
      : Object.freeze(Object.fromEntries(Object.entries(wc).filter(([, v]) => v !== undefined)) as WriteConcernLike);
  }
  try {
    validateWriteConcern(writeConcern);
  } catch (cause) {
    if (cause instanceof MongoInvalidArgumentError) throw new MongoParseError(cause.message, { cause });
    throw cause;
  }

  const rr = last('retryReads');
  const rw = last('retryWrites');
  return Object.freeze({
    dbName: options.dbName ?? uriDb ?? 'test',
    readPreference,
    readConcern,
    writeConcern,
    retryReads: options.retryReads ?? (rr === undefined ? true : parseBool('retryReads', rr)),
    retryWrites: options.retryWrites ?? (rw === undefined ? true : parseBool('retryWrites', rw)),
  });
}
