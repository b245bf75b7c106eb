/**
 * MongoClient options. Parsing and validation are uri/'s (`resolveClientOptions`
 * -> MongoOptions); this file adds the client-only `executorFactory` and picks
 * out what the API layer needs: default database, read preference, concerns,
 * retry flags.
 */
import type { ReadConcern } from '../concern/read-concern.js';
import type { WriteConcern } from '../concern/write-concern.js';
import type { ReadPreference } from '../selection/read-preference.js';
import {
  resolveClientOptions as resolveUriOptions,
  type MongoClientOptions as UriClientOptions,
  type MongoOptions,
} from '../uri/client-options.js';
import type { ExecutorFactory } from '../operation/executor.js';

export interface MongoClientOptions extends UriClientOptions {
  /** Builds the operation executor (topology wiring). Normally set by the package entry point. */
  executorFactory?: ExecutorFactory;
}

export interface ResolvedClientOptions {
  readonly dbName: string;
  readonly readPreference: ReadPreference;
  /** undefined = server default (nothing sent). */
  readonly readConcern: ReadConcern | undefined;
  /** undefined = server default (nothing sent). */
  readonly writeConcern: WriteConcern | undefined;
  readonly retryReads: boolean;
  readonly retryWrites: boolean;
}

export function clientLayerOptions(mo: MongoOptions): ResolvedClientOptions {
  return Object.freeze({
    dbName: mo.dbName,
    readPreference: mo.readPreference,
    readConcern: mo.readConcern.isServerDefault ? undefined : mo.readConcern,
    writeConcern: mo.writeConcern.isServerDefault ? undefined : mo.writeConcern,
    retryReads: mo.retryReads,
    retryWrites: mo.retryWrites,
  });
}

/** Parse + validate (throws MongoParseError); `executorFactory` is not a URI option. */
export function parseClientOptions(url: string, options: MongoClientOptions = {}): { mongoOptions: MongoOptions; resolved: ResolvedClientOptions } {
  const { executorFactory: _ignored, ...rest } = options;
  const mongoOptions = resolveUriOptions(url, rest);
  return { mongoOptions, resolved: clientLayerOptions(mongoOptions) };
}

/** The client-layer view of a URI + options (tests, tools). */
export function resolveClientOptions(url: string, options: MongoClientOptions = {}): ResolvedClientOptions {
  return parseClientOptions(url, options).resolved;
}
