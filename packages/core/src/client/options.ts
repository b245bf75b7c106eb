/**
 * MongoClient options. Parsing and validation are uri/'s (`resolveClientOptions`:
 * URI + options -> MongoOptions); this file adds the client-only `executorFactory`
 * and picks out what the API layer needs (`clientLayerOptions`: default database,
 * read preference, concerns, retry flags).
 */
import type { BSONSerializeOptions } from '../wire/bson-options.js';
import type { ReadConcern } from '../concern/read-concern.js';
import type { WriteConcern } from '../concern/write-concern.js';
import type { ReadPreference } from '../selection/read-preference.js';
import { resolveClientOptions, type MongoClientOptions as UriClientOptions, type MongoOptions } from '../uri/client-options.js';
import type { ExecutorFactory } from '../operation/executor.js';

/** The Stable API declaration (`serverApi` option): sent as apiVersion / apiStrict / apiDeprecationErrors on every command. */
export interface ServerApi {
  version: '1' | (string & {});
  strict?: boolean;
  deprecationErrors?: boolean;
}

export interface MongoClientOptions extends UriClientOptions {
  /** Builds the operation executor; default the topology executor (operation/topology-executor.ts). Tests inject fakes. */
  executorFactory?: ExecutorFactory;
}

/** What the API layer (Db, Collection, cursors) reads of the options. */
export interface ClientLayerOptions {
  readonly dbName: string;
  readonly readPreference: ReadPreference;
  /** undefined = server default (nothing sent). */
  readonly readConcern: ReadConcern | undefined;
  /** undefined = server default (nothing sent). */
  readonly writeConcern: WriteConcern | undefined;
  readonly retryReads: boolean;
  readonly retryWrites: boolean;
  /** Whether the server assigns inserted documents' `_id` (each Db's default, client.db() options over it). */
  readonly forceServerObjectId: boolean;
  /** The client's BSON options (wire/bson-options.ts). */
  readonly bsonOptions: Readonly<BSONSerializeOptions>;
  /**
   * Client Side Operations Timeout: the operations' timeoutMS (a Db's or Collection's own
   * replaces the client's in the context it passes on); undefined = CSOT not in use.
   */
  readonly timeoutMS: number | undefined;
}

export function clientLayerOptions(mo: MongoOptions): ClientLayerOptions {
  return Object.freeze({
    dbName: mo.dbName,
    readPreference: mo.readPreference,
    readConcern: mo.readConcern.isServerDefault ? undefined : mo.readConcern,
    writeConcern: mo.writeConcern.isServerDefault ? undefined : mo.writeConcern,
    retryReads: mo.retryReads,
    retryWrites: mo.retryWrites,
    forceServerObjectId: mo.forceServerObjectId,
    bsonOptions: mo.bsonOptions,
    timeoutMS: mo.timeoutMS,
  });
}

/** Parse + validate (throws MongoParseError); `executorFactory` is not a URI option. */
export function parseClientOptions(url: string, options: MongoClientOptions = {}): { mongoOptions: MongoOptions; resolved: ClientLayerOptions } {
  const { executorFactory: _ignored, ...rest } = options;
  const mongoOptions = resolveClientOptions(url, rest);
  return { mongoOptions, resolved: clientLayerOptions(mongoOptions) };
}
