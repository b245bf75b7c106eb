/** Db: a database handle. Inherits read preference and concerns from the client. */
import { applicationView } from '../wire/application-view.js';
import { resolveBsonOptions, type BSONSerializeOptions } from '../wire/bson-options.js';
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import type { ReadPreference, ReadPreferenceLike } from '../selection/read-preference.js';
import { Admin } from './admin.js';
import { AggregationCursor, type AggregateOptions } from './aggregation-cursor.js';
import { resolveReadConcern, resolveReadPreference, resolveWriteConcern, withInherited, type ReadConcernLike, type WriteConcernLike } from './concerns.js';
import type { ReadConcern } from '../concern/read-concern.js';
import type { WriteConcern } from '../concern/write-concern.js';
import { Collection, type CollectionOptions, type CommandOperationOptions, type CreateIndexesOptions, type DropCollectionOptions, type IndexInformationOptions, type RenameOptions } from './collection.js';
import { ListCollectionsCursor, type CollectionInfo, type ListCollectionsOptions } from './list-cursors.js';
import { contextWithTimeoutMS, runCommand, type ClientContext, type CommandTarget } from './operation.js';
import { loadCold } from '../cold/load.js';
import type { ClientSession } from './sessions.js';
import type { IndexSpecification } from './types.js';
import { RunCommandCursor, type RunCursorCommandOptions } from './run-command-cursor.js';
import { ChangeStream } from '../change-stream/change-stream.js';
import type { ChangeStreamDocument, ChangeStreamOptions } from '../change-stream/types.js';

export interface DbOptions extends BSONSerializeOptions {
  /** Client Side Operations Timeout of this database's operations (over the client's; 0 = none). */
  timeoutMS?: number;
  readPreference?: ReadPreferenceLike;
  readConcern?: ReadConcernLike;
  writeConcern?: WriteConcernLike;
  /** The server, not the driver, gives inserted documents without one their `_id` (default: the client's option). */
  forceServerObjectId?: boolean;
}

/** What a Db inherits from its client. */
export interface DbParent {
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;
  readonly bsonOptions: BSONSerializeOptions;
}

export interface RunCommandOptions extends BSONSerializeOptions {
  /** Commands run on the primary unless a read preference is given here. */
  readPreference?: ReadPreferenceLike;
  session?: ClientSession;
  signal?: AbortSignal;
  timeoutMS?: number;
}

export interface CreateCollectionOptions extends CommandOperationOptions {
  capped?: boolean;
  size?: number;
  max?: number;
  validator?: Document;
  validationLevel?: string;
  validationAction?: string;
  timeseries?: Document;
  expireAfterSeconds?: number;
  clusteredIndex?: Document;
  collation?: Document;
  [key: string]: unknown;
}

function validateDbName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new MongoInvalidArgumentError('Database name must be a non-empty string');
  // '$external' is the one legal name with a '$' (X.509, PLAIN, AWS users live there).
  // the official driver's message for its one check (a '.'); ours refuses the rest of mongod's set too
  if (name.includes('.')) throw new MongoInvalidArgumentError(`Database names cannot contain the character '.'`);
  if (name !== '$external' && /[\0 "$/\\]/.test(name)) throw new MongoInvalidArgumentError(`Invalid database name ${JSON.stringify(name)}`);
}

export class Db {
  static readonly SYSTEM_NAMESPACE_COLLECTION = 'system.namespaces';
  static readonly SYSTEM_INDEX_COLLECTION = 'system.indexes';
  static readonly SYSTEM_PROFILE_COLLECTION = 'system.profile';
  static readonly SYSTEM_USER_COLLECTION = 'system.users';
  static readonly SYSTEM_COMMAND_COLLECTION = '$cmd';
  static readonly SYSTEM_JS_COLLECTION = 'system.js';

  readonly #ctx: ClientContext;
  readonly databaseName: string;
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;
  /** The BSON options of this Db's operations (its own over the client's). */
  readonly bsonOptions: BSONSerializeOptions;
  /**
   * @internal This Db's forceServerObjectId: its own option when given (even as undefined, as
   * the official driver's `Object.assign({}, client.options, options)` has it), else the client's.
   */
  readonly forceServerObjectId: boolean | undefined;

  constructor(ctx: ClientContext, parent: DbParent, databaseName: string, options: DbOptions = {}) {
    validateDbName(databaseName);
    this.#ctx = contextWithTimeoutMS(ctx, options.timeoutMS);
    this.databaseName = databaseName;
    this.bsonOptions = resolveBsonOptions(options, parent.bsonOptions);
    this.readPreference = resolveReadPreference(options.readPreference, parent.readPreference);
    this.readConcern = resolveReadConcern(options.readConcern, parent.readConcern);
    this.writeConcern = resolveWriteConcern(options.writeConcern, parent.writeConcern);
    this.forceServerObjectId = 'forceServerObjectId' in options ? options.forceServerObjectId : ctx.resolvedOptions.forceServerObjectId;
  }

  /** Whether reads may go to a secondary: the read preference is not primary (the official driver's getter). */
  get secondaryOk(): boolean {
    return this.readPreference.mode !== 'primary';
  }

  get namespace(): string {
    return this.databaseName;
  }

  /** Client Side Operations Timeout of this database's operations (undefined: not set at any level). */
  get timeoutMS(): number | undefined {
    return this.#ctx.resolvedOptions.timeoutMS;
  }

  collection<TSchema extends object = Document>(name: string, options: CollectionOptions = {}): Collection<TSchema> {
    return new Collection<TSchema>(this.#ctx, this, name, options);
  }

  admin(): Admin {
    return new Admin(this.databaseName === 'admin' ? this : new Db(this.#ctx, this, 'admin'), this.#ctx);
  }

  /**
   * Run a command as given. It goes to the primary unless `readPreference` is
   * passed here (the Db's read preference is not applied), and is never retried.
   */
  async command(command: Document, options: RunCommandOptions = {}): Promise<Document> {
    if (command === null || typeof command !== 'object' || Object.keys(command).length === 0) {
      throw new MongoInvalidArgumentError('command must be a non-empty document');
    }
    // The whole reply is the application's, decoded with the BSON options given here only:
    // the official driver's db.command inherits none from the Db or the client.
    const reply = await runCommand(this.#ctx, this.databaseName, command, options, {
      readPreference: resolveReadPreference(options.readPreference, undefined),
      retryable: false,
      generic: true,
      bson: resolveBsonOptions(options, {}),
    });
    return applicationView(reply);
  }

  /** A cursor over a command that answers with one (the Run Command spec's runCursorCommand). */
  runCursorCommand(command: Document, options: RunCursorCommandOptions = {}): RunCommandCursor {
    if (command === null || typeof command !== 'object' || Object.keys(command).length === 0) {
      throw new MongoInvalidArgumentError('command must be a non-empty document');
    }
    return new RunCommandCursor(this.#ctx, this.databaseName, command, options);
  }

  listCollections(filter: Document = {}, options: ListCollectionsOptions & { readPreference?: ReadPreferenceLike } = {}): ListCollectionsCursor<CollectionInfo> {
    const readPreference = resolveReadPreference(options.readPreference, this.readPreference);
    return new ListCollectionsCursor(this.#ctx, this.databaseName, filter, { ...options, readPreference });
  }

  /** Collection handles for every non-system collection. */
  async collections(options: { session?: ClientSession } = {}): Promise<Collection[]> {
    return await (await loadCold()).collections(this, options);
  }

  /** Database-level aggregate (`aggregate: 1`), e.g. $currentOp, $documents. */
  aggregate<T extends Document = Document>(pipeline: Document[] = [], options: AggregateOptions & { readPreference?: ReadPreferenceLike } = {}): AggregationCursor<T> {
    return new AggregationCursor<T>(this.#ctx, { db: this.databaseName, collection: 1 }, pipeline, withInherited(options, this));
  }

  /**
   * A change stream of every collection of this database (`aggregate: 1`; system
   * collections excluded by the server). See Collection.watch.
   */
  watch<TSchema extends Document = Document, TChange extends Document = ChangeStreamDocument<TSchema>>(
    pipeline: Document[] = [],
    options: ChangeStreamOptions = {},
  ): ChangeStream<TSchema, TChange> {
    const target = {
      ctx: this.#ctx,
      parent: this,
      db: this.databaseName,
      collection: undefined,
      cluster: false,
      readPreference: this.readPreference,
      readConcern: this.readConcern,
      bsonOptions: this.bsonOptions,
    };
    return new ChangeStream<TSchema, TChange>(target, pipeline, options);
  }

  async createCollection<TSchema extends object = Document>(name: string, options: CreateCollectionOptions = {}): Promise<Collection<TSchema>> {
    const collection = this.collection<TSchema>(name, options);
    await (await loadCold()).createCollection(this.#target(), collection, options);
    return collection;
  }

  /** Drop a collection; false if it did not exist. */
  async dropCollection(name: string, options: DropCollectionOptions = {}): Promise<boolean> {
    return await this.collection(name).drop(options);
  }

  /** Rename collection `fromCollection` of this database to `toCollection`. */
  async renameCollection<TSchema extends object = Document>(fromCollection: string, toCollection: string, options: RenameOptions = {}): Promise<Collection<TSchema>> {
    return await this.collection<TSchema>(fromCollection).rename(toCollection, options);
  }

  /** createIndex() on collection `name` of this database; resolves with the index name. */
  async createIndex(name: string, indexSpec: IndexSpecification, options: CreateIndexesOptions = {}): Promise<string> {
    return await this.collection(name).createIndex(indexSpec, options);
  }

  /** Drop user `username` of this database (`dropUser`); resolves with true. */
  async removeUser(username: string, options: CommandOperationOptions = {}): Promise<boolean> {
    return await (await loadCold()).removeUser(this.#target(), username, options);
  }

  /** indexInformation() of collection `name` of this database. */
  async indexInformation(name: string, options: IndexInformationOptions = {}): Promise<Document> {
    return await this.collection(name).indexInformation(options);
  }

  async dropDatabase(options: CommandOperationOptions = {}): Promise<boolean> {
    return await (await loadCold()).dropDatabase(this.#target(), options);
  }

  async stats(options: CommandOperationOptions & { scale?: number } = {}): Promise<Document> {
    return await (await loadCold()).dbStats(this, options);
  }

  #target(): CommandTarget {
    return { ctx: this.#ctx, db: this.databaseName, writeConcern: this.writeConcern };
  }
}
