/** Db: a database handle. Inherits read preference and concerns from the client. */
import { MongoInvalidArgumentError, MongoServerError, type Document } from '../errors.js';
import { ReadPreference, type ReadPreferenceLike } from '../selection/read-preference.js';
import { Admin } from './admin.js';
import { AggregationCursor, type AggregateOptions } from './aggregation-cursor.js';
import { resolveReadConcern, resolveWriteConcern, writeConcernDocument, type ReadConcernLike, type WriteConcernLike } from './concerns.js';
import type { ReadConcern } from '../concern/read-concern.js';
import type { WriteConcern } from '../concern/write-concern.js';
import { Collection, stripDriverOptions, type CollectionOptions, type CommandOperationOptions } from './collection.js';
import { ListCollectionsCursor, type CollectionInfo, type ListCollectionsOptions } from './list-cursors.js';
import { assignDefined, executeCommand, throwIfWriteConcernError, withSession, type ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';

export interface DbOptions {
  readPreference?: ReadPreferenceLike;
  readConcern?: ReadConcernLike;
  writeConcern?: WriteConcernLike;
}

/** What a Db inherits from its client. */
export interface DbParent {
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;
}

export interface RunCommandOptions {
  /** Commands run on the primary unless a read preference is given here. */
  readPreference?: ReadPreferenceLike;
  session?: ClientSession;
  signal?: AbortSignal;
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

const NAMESPACE_NOT_FOUND = 26;

function validateDbName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new MongoInvalidArgumentError('Database name must be a non-empty string');
  // '$external' is the one legal name with a '$' (X.509, PLAIN, AWS users live there).
  if (name !== '$external' && /[\0 ."$/\\]/.test(name)) throw new MongoInvalidArgumentError(`Invalid database name ${JSON.stringify(name)}`);
}

export class Db {
  private readonly ctx: ClientContext;
  readonly databaseName: string;
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;

  constructor(ctx: ClientContext, parent: DbParent, databaseName: string, options: DbOptions = {}) {
    validateDbName(databaseName);
    this.ctx = ctx;
    this.databaseName = databaseName;
    this.readPreference = options.readPreference !== undefined ? ReadPreference.from(options.readPreference) : parent.readPreference;
    this.readConcern = resolveReadConcern(options.readConcern, parent.readConcern);
    this.writeConcern = resolveWriteConcern(options.writeConcern, parent.writeConcern);
  }

  get namespace(): string {
    return this.databaseName;
  }

  collection<TSchema extends object = Document>(name: string, options: CollectionOptions = {}): Collection<TSchema> {
    return new Collection<TSchema>(this.ctx, this, name, options);
  }

  admin(): Admin {
    return new Admin(this.databaseName === 'admin' ? this : new Db(this.ctx, this, 'admin'));
  }

  /**
   * Run a command as given. It goes to the primary unless `readPreference` is
   * passed here (the Db's read preference is not applied), and is never retried.
   */
  async command(command: Document, options: RunCommandOptions = {}): Promise<Document> {
    if (command === null || typeof command !== 'object' || Object.keys(command).length === 0) {
      throw new MongoInvalidArgumentError('command must be a non-empty document');
    }
    return await withSession(this.ctx, options.session, async (session) => {
      const { reply } = await executeCommand(this.ctx, this.databaseName, command, {
        session,
        readPreference: options.readPreference !== undefined ? ReadPreference.from(options.readPreference) : undefined,
        retryable: false,
        signal: options.signal,
      });
      return reply;
    });
  }

  listCollections(filter: Document = {}, options: ListCollectionsOptions & { readPreference?: ReadPreferenceLike } = {}): ListCollectionsCursor<CollectionInfo> {
    const { readPreference, ...rest } = options;
    return new ListCollectionsCursor(this.ctx, this.databaseName, filter, {
      ...rest,
      readPreference: readPreference !== undefined ? ReadPreference.from(readPreference) : this.readPreference,
    });
  }

  /** Collection handles for every non-system collection. */
  async collections(options: { session?: ClientSession } = {}): Promise<Collection[]> {
    const infos = await this.listCollections({}, { nameOnly: true, session: options.session }).toArray();
    return infos.filter((i) => !i.name.startsWith('system.')).map((i) => this.collection(i.name));
  }

  /** Database-level aggregate (`aggregate: 1`), e.g. $currentOp, $documents. */
  aggregate<T extends Document = Document>(pipeline: Document[] = [], options: AggregateOptions & { readPreference?: ReadPreferenceLike } = {}): AggregationCursor<T> {
    return new AggregationCursor<T>(this.ctx, { db: this.databaseName, collection: 1 }, pipeline, {
      ...options,
      readPreference: options.readPreference !== undefined ? ReadPreference.from(options.readPreference) : this.readPreference,
      readConcern: options.readConcern ?? this.readConcern,
      writeConcern: options.writeConcern ?? this.writeConcern,
    });
  }

  async createCollection<TSchema extends object = Document>(name: string, options: CreateCollectionOptions = {}): Promise<Collection<TSchema>> {
    const collection = this.collection<TSchema>(name, {
      readPreference: options.readPreference,
      readConcern: options.readConcern,
      writeConcern: options.writeConcern,
    });
    const cmd: Document = { create: name, ...stripDriverOptions(options) };
    assignDefined(cmd, {
      comment: options.comment,
      maxTimeMS: options.maxTimeMS,
      writeConcern: writeConcernDocument(options.writeConcern ?? this.writeConcern),
    });
    const reply = await this.writeCommand(cmd, options);
    throwIfWriteConcernError(reply);
    return collection;
  }

  /** Drop a collection; false if it did not exist. */
  async dropCollection(name: string, options: CommandOperationOptions = {}): Promise<boolean> {
    return await this.collection(name).drop(options);
  }

  async dropDatabase(options: CommandOperationOptions = {}): Promise<boolean> {
    const cmd: Document = { dropDatabase: 1 };
    assignDefined(cmd, { comment: options.comment, writeConcern: writeConcernDocument(options.writeConcern ?? this.writeConcern) });
    try {
      const reply = await this.writeCommand(cmd, options);
      throwIfWriteConcernError(reply);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND) return true;
      throw error;
    }
    return true;
  }

  async stats(options: CommandOperationOptions & { scale?: number } = {}): Promise<Document> {
    const cmd: Document = { dbStats: 1 };
    assignDefined(cmd, { scale: options.scale, comment: options.comment });
    return await this.command(cmd, {
      session: options.session,
      readPreference: options.readPreference ?? this.readPreference,
    });
  }

  private async writeCommand(cmd: Document, options: CommandOperationOptions): Promise<Document> {
    return await withSession(this.ctx, options.session, async (session) => {
      const { reply } = await executeCommand(this.ctx, this.databaseName, cmd, { session, retryable: false, signal: options.signal });
      return reply;
    });
  }
}
