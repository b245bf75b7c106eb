/**
 * Collection<TSchema>: CRUD, aggregation, bulk writes and index management,
 * shaped like the official driver's. Commands are built here and run through
 * the client's OperationExecutor.
 */
import { resolveBsonOptions, type BSONSerializeOptions } from '../wire/bson-options.js';
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import type { ReadPreference, ReadPreferenceLike } from '../selection/read-preference.js';
import type { CursorNamespace, CursorTimeoutMode } from './abstract-cursor.js';
import { AggregationCursor, type AggregateOptions } from './aggregation-cursor.js';
import { ChangeStream } from '../change-stream/change-stream.js';
import type { ChangeStreamDocument, ChangeStreamOptions } from '../change-stream/types.js';
import { checkDocument, checkReplacement, checkUpdate, executeWrite, serverAssignsIds, toInsertStatements, toStatements, writeCounts, type AnyBulkWriteOperation, type BulkTarget, type BulkWriteOptions } from './bulk.js';
import { readConcernDocument, resolveReadConcern, resolveReadPreference, resolveWriteConcern, withInherited, type ReadConcernLike, type WriteConcernLike } from './concerns.js';
import type { ReadConcern } from '../concern/read-concern.js';
import type { WriteConcern } from '../concern/write-concern.js';
import { loadCold } from '../cold/load.js';
import type * as coldCollection from './collection-cold.js';
import { FindCursor, type FindOptions } from './find-cursor.js';
import { ListIndexesCursor } from './list-cursors.js';
import { OrderedBulkOperation, UnorderedBulkOperation } from './legacy-bulk.js';
import { runWriteCommand, contextWithTimeoutMS, type ClientContext, type OperationOptions } from './operation.js';
import type { BulkWriteResult, DeleteResult, InsertManyResult, InsertOneResult, ModifyResult, UpdateResult } from './results.js';
import { ListSearchIndexesCursor, type ListSearchIndexesOptions, type SearchIndexDescription } from './search-indexes.js';
import type { ClientSession } from './sessions.js';
import type { Db } from './db.js';
import type { CollationOptions, Filter, Hint, IndexDescription, IndexSpecification, OptionalUnlessRequiredId, ReturnDocument, Sort, UpdateFilter, WithId, WithoutId } from './types.js';

export interface CollectionOptions extends BSONSerializeOptions {
  /** Client Side Operations Timeout of this collection's operations (over the Db's; 0 = none). */
  timeoutMS?: number;
  readPreference?: ReadPreferenceLike;
  readConcern?: ReadConcernLike;
  writeConcern?: WriteConcernLike;
}

export interface CommandOperationOptions extends BSONSerializeOptions {
  session?: ClientSession;
  writeConcern?: WriteConcernLike;
  readConcern?: ReadConcernLike;
  readPreference?: ReadPreferenceLike;
  comment?: unknown;
  maxTimeMS?: number;
  signal?: AbortSignal;
  /** Client Side Operations Timeout of this operation (0 = none); default the session's, the collection's, ... */
  timeoutMS?: number;
}

export interface InsertOneOptions extends CommandOperationOptions {
  bypassDocumentValidation?: boolean;
  forceServerObjectId?: boolean;
}

export interface UpdateOptions extends CommandOperationOptions {
  upsert?: boolean;
  arrayFilters?: Document[];
  bypassDocumentValidation?: boolean;
  collation?: CollationOptions;
  hint?: Hint;
  let?: Document;
  /** updateOne only (MongoDB 8.0+). */
  sort?: Sort;
}

export interface ReplaceOptions extends CommandOperationOptions {
  upsert?: boolean;
  bypassDocumentValidation?: boolean;
  collation?: CollationOptions;
  hint?: Hint;
  let?: Document;
  sort?: Sort;
}

export interface DeleteOptions extends CommandOperationOptions {
  collation?: CollationOptions;
  hint?: Hint;
  let?: Document;
}

export interface CountDocumentsOptions extends CommandOperationOptions {
  skip?: number;
  limit?: number;
  collation?: CollationOptions;
  hint?: Hint;
}

export interface EstimatedDocumentCountOptions extends CommandOperationOptions {}

/** The legacy `count` command's options (Collection.count, FindCursor.count). */
export interface CountOptions extends CommandOperationOptions {
  skip?: number;
  limit?: number;
  hint?: Hint;
  collation?: CollationOptions;
}

/** listIndexes options (a cursor's). */
export interface ListIndexesOptions {
  batchSize?: number;
  session?: ClientSession;
  comment?: unknown;
  maxTimeMS?: number;
  timeoutMS?: number;
  timeoutMode?: CursorTimeoutMode;
}

/** drop / dropCollection options. */
export interface DropCollectionOptions extends CommandOperationOptions {}

export interface IndexInformationOptions {
  /** The full index documents (as listIndexes) instead of `{ name: [[field, direction], ...] }`. */
  full?: boolean;
  session?: ClientSession;
}


export interface DistinctOptions extends CommandOperationOptions {
  collation?: CollationOptions;
  hint?: Hint;
}

export interface FindOneAndBaseOptions extends CommandOperationOptions {
  projection?: Document;
  sort?: Sort;
  collation?: CollationOptions;
  hint?: Document;
  let?: Document;
  /** Return the ModifyResult instead of the document (default false). */
  includeResultMetadata?: boolean;
}

export interface FindOneAndDeleteOptions extends FindOneAndBaseOptions {}

export interface FindOneAndReplaceOptions extends FindOneAndBaseOptions {
  bypassDocumentValidation?: boolean;
  returnDocument?: ReturnDocument;
  upsert?: boolean;
}

export interface FindOneAndUpdateOptions extends FindOneAndReplaceOptions {
  arrayFilters?: Document[];
}

export interface CreateIndexesOptions extends CommandOperationOptions {
  name?: string;
  unique?: boolean;
  sparse?: boolean;
  background?: boolean;
  expireAfterSeconds?: number;
  partialFilterExpression?: Document;
  hidden?: boolean;
  collation?: CollationOptions;
  commitQuorum?: number | string;
  [key: string]: unknown;
}

export interface RenameOptions extends CommandOperationOptions {
  dropTarget?: boolean;
}

export type FindOneOptions = Omit<FindOptions, 'batchSize' | 'limit' | 'singleBatch'> & { session?: ClientSession };

/** Options that belong to the driver, never copied into a command. */
const DRIVER_OPTION_KEYS = new Set([
  'session',
  'rawData',
  'writeConcern',
  'readConcern',
  'readPreference',
  'signal',
  'timeoutMS',
  'timeoutMode',
  'commitQuorum',
  'maxTimeMS',
  'comment',
  'bsonRegExp',
  'promoteLongs',
  'promoteValues',
  'enableUtf8Validation',
  'raw',
]);

export function stripDriverOptions(options: Document): Document {
  const out: Document = {};
  for (const [k, v] of Object.entries(options)) if (!DRIVER_OPTION_KEYS.has(k) && v !== undefined) out[k] = v;
  return out;
}

export class Collection<TSchema extends object = Document> {
  readonly #ctx: ClientContext;
  readonly #parent: Db;
  readonly collectionName: string;
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;
  /** The BSON options of this collection's operations (its own over the Db's). */
  readonly bsonOptions: BSONSerializeOptions;

  constructor(ctx: ClientContext, parent: Db, name: string, options: CollectionOptions = {}) {
    // not empty, no NUL, no leading or trailing '.'
    if (typeof name !== 'string' || /^$|\0|^\.|\.$/.test(name)) {
      throw new MongoInvalidArgumentError(`Invalid collection name ${JSON.stringify(name)}`);
    }
    this.#ctx = contextWithTimeoutMS(ctx, options.timeoutMS);
    this.#parent = parent;
    this.collectionName = name;
    this.bsonOptions = resolveBsonOptions(options, parent.bsonOptions);
    this.readPreference = resolveReadPreference(options.readPreference, parent.readPreference);
    this.readConcern = resolveReadConcern(options.readConcern, parent.readConcern);
    this.writeConcern = resolveWriteConcern(options.writeConcern, parent.writeConcern);
  }

  /** The Db this collection belongs to. */
  get db(): Db {
    return this.#parent;
  }

  get dbName(): string {
    return this.#parent.databaseName;
  }

  /** Client Side Operations Timeout of this collection's operations (undefined: not set at any level). */
  get timeoutMS(): number | undefined {
    return this.#ctx.resolvedOptions.timeoutMS;
  }

  /**
   * A handle on the same collection with some options replaced (pymongo's
   * `with_options`): `coll.withOptions({ readPreference: 'nearest' })`. Options not
   * given are kept from this handle.
   */
  withOptions(options: CollectionOptions): Collection<TSchema> {
    return this.#handle(this.collectionName, options);
  }

  get namespace(): string {
    return `${this.dbName}.${this.collectionName}`;
  }

  // ------------------------------------------------------------------ helpers

  /** A handle on collection `name` of the same database with this handle's options, some replaced. */
  #handle(name: string, options: CollectionOptions): Collection<TSchema> {
    return new Collection<TSchema>(this.#ctx, this.#parent, name, withInherited(options, this));
  }

  get #namespace(): CursorNamespace {
    return { db: this.dbName, collection: this.collectionName };
  }

  /** Where this collection's commands go (also the bulk write target). */
  #target(): BulkTarget {
    return { ctx: this.#ctx, db: this.dbName, collection: this.collectionName, writeConcern: this.writeConcern, bson: this.bsonOptions };
  }

  /**
   * Runs operation `name` of collection-cold.ts (loaded on first use: the operations a
   * find + insertOne app never runs) on this collection and its command target.
   */
  async #cold<K extends keyof ColdCollectionOps>(name: K, ...args: ColdArgs<ColdCollectionOps[K]>): Promise<Awaited<ReturnType<ColdCollectionOps[K]>>> {
    const op = (await loadCold())[name] as (coll: Collection<any>, target: BulkTarget, ...rest: unknown[]) => Promise<Awaited<ReturnType<ColdCollectionOps[K]>>>;
    return await op(this, this.#target(), ...args);
  }

  // ------------------------------------------------------------------ inserts

  async insertOne(doc: OptionalUnlessRequiredId<TSchema>, options: InsertOneOptions = {}): Promise<InsertOneResult<TSchema>> {
    const forceServerObjectId = serverAssignsIds('insertOne', options.forceServerObjectId, this.#parent.forceServerObjectId);
    const [statement] = toStatements([{ insertOne: { document: doc } }], forceServerObjectId);
    const reply = await executeWrite(this.#target(), statement!, options);
    // the statement carries `doc` itself, now with its _id
    return { acknowledged: reply !== undefined, insertedId: (doc as Document)._id } as InsertOneResult<TSchema>;
  }

  async insertMany(docs: ReadonlyArray<OptionalUnlessRequiredId<TSchema>>, options: BulkWriteOptions = {}): Promise<InsertManyResult<TSchema>> {
    if (!Array.isArray(docs)) throw new MongoInvalidArgumentError('Argument "docs" must be an array of documents');
    const statements = toInsertStatements(docs, serverAssignsIds('bulk', options.forceServerObjectId, this.#parent.forceServerObjectId));
    const { acknowledged, result } = await (await loadCold()).executeBulk(this.#target(), statements, options);
    return { acknowledged, insertedCount: result.insertedCount, insertedIds: result.insertedIds };
  }

  async bulkWrite(operations: ReadonlyArray<AnyBulkWriteOperation<TSchema>>, options: BulkWriteOptions = {}): Promise<BulkWriteResult> {
    if (!Array.isArray(operations)) throw new MongoInvalidArgumentError('Argument "operations" must be an array of documents');
    const statements = toStatements(operations as AnyBulkWriteOperation<any>[], serverAssignsIds('bulk', options.forceServerObjectId, this.#parent.forceServerObjectId));
    return (await (await loadCold()).executeBulk(this.#target(), statements, options)).result;
  }

  /** The legacy fluent bulk API, ordered (legacy-bulk.ts). */
  initializeOrderedBulkOp(options: BulkWriteOptions = {}): OrderedBulkOperation {
    return new OrderedBulkOperation(this, options);
  }

  /** The legacy fluent bulk API, unordered (legacy-bulk.ts). */
  initializeUnorderedBulkOp(options: BulkWriteOptions = {}): UnorderedBulkOperation {
    return new UnorderedBulkOperation(this, options);
  }

  // ------------------------------------------------------------------ updates / deletes

  /** A single-statement write, validated and built as the same bulkWrite model would be. */
  async #writeOne(operation: AnyBulkWriteOperation<any>, options: UpdateOptions | DeleteOptions): Promise<Document | undefined> {
    const [statement] = toStatements([operation]);
    return await executeWrite(this.#target(), statement!, options);
  }

  async #update(operation: AnyBulkWriteOperation<any>, options: UpdateOptions): Promise<UpdateResult<TSchema>> {
    const reply = await this.#writeOne(operation, options);
    const { n, nModified, upserted } = writeCounts(reply ?? {});
    // the official driver's key order
    return {
      acknowledged: reply !== undefined,
      modifiedCount: nModified,
      upsertedId: (upserted[0]?._id ?? null) as UpdateResult<TSchema>['upsertedId'],
      upsertedCount: upserted.length,
      matchedCount: n - upserted.length,
    };
  }

  async #delete(operation: AnyBulkWriteOperation<any>, options: DeleteOptions): Promise<DeleteResult> {
    const reply = await this.#writeOne(operation, options);
    return { acknowledged: reply !== undefined, deletedCount: writeCounts(reply ?? {}).n };
  }

  async updateOne(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options: UpdateOptions = {}): Promise<UpdateResult<TSchema>> {
    return await this.#update({ updateOne: { ...options, filter, update } }, options);
  }

  async updateMany(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options: Omit<UpdateOptions, 'sort'> = {}): Promise<UpdateResult<TSchema>> {
    return await this.#update({ updateMany: { ...options, filter, update } }, options);
  }

  async replaceOne(filter: Filter<TSchema>, replacement: WithoutId<TSchema>, options: ReplaceOptions = {}): Promise<UpdateResult<TSchema>> {
    return await this.#update({ replaceOne: { ...options, filter, replacement: replacement as Document } }, options);
  }

  async deleteOne(filter: Filter<TSchema> = {}, options: DeleteOptions = {}): Promise<DeleteResult> {
    return await this.#delete({ deleteOne: { ...options, filter } }, options);
  }

  async deleteMany(filter: Filter<TSchema> = {}, options: DeleteOptions = {}): Promise<DeleteResult> {
    return await this.#delete({ deleteMany: { ...options, filter } }, options);
  }

  // ------------------------------------------------------------------ reads

  find(): FindCursor<WithId<TSchema>>;
  find(filter: Filter<TSchema>, options?: FindOptions): FindCursor<WithId<TSchema>>;
  find<T extends Document>(filter: Filter<TSchema>, options?: FindOptions): FindCursor<T>;
  find(filter: Filter<TSchema> = {}, options: FindOptions = {}): FindCursor<any> {
    // an ObjectId stands for { _id: it } (as the official driver); the filter is checked when the cursor starts
    const query: Document = (filter as { _bsontype?: unknown } | null)?._bsontype === 'ObjectId' ? { _id: filter } : filter;
    return new FindCursor(this.#ctx, this.#namespace, query, withInherited(options, this));
  }

  async findOne(): Promise<WithId<TSchema> | null>;
  async findOne(filter: Filter<TSchema>, options?: FindOneOptions): Promise<WithId<TSchema> | null>;
  async findOne<T>(filter: Filter<TSchema>, options?: FindOneOptions): Promise<T | null>;
  async findOne(filter: Filter<TSchema> = {}, options: FindOneOptions = {}): Promise<any> {
    // limit 1 + singleBatch, no batchSize (CRUD spec: findOne sends no batchSize)
    const cursor = this.find(filter, { ...options, limit: -1 });
    try {
      return await cursor.next();
    } finally {
      await cursor.close();
    }
  }

  aggregate<T extends Document = Document>(pipeline: Document[] = [], options: AggregateOptions = {}): AggregationCursor<T> {
    if (!Array.isArray(pipeline)) throw new MongoInvalidArgumentError('Argument "pipeline" must be an array of aggregation stages');
    return new AggregationCursor<T>(this.#ctx, this.#namespace, pipeline, withInherited(options, this));
  }

  /**
   * A change stream of this collection's changes (Change Streams spec): `for await`,
   * next()/tryNext(), or on('change'); it resumes by itself after a failover. Prefer it
   * to an aggregate with `$changeStream` (which cannot resume). Read concern must be
   * "majority" or none.
   */
  watch<TLocal extends Document = TSchema, TChange extends Document = ChangeStreamDocument<TLocal>>(
    pipeline: Document[] = [],
    options: ChangeStreamOptions = {},
  ): ChangeStream<TLocal, TChange> {
    const target = {
      ctx: this.#ctx,
      parent: this,
      db: this.dbName,
      collection: this.collectionName,
      cluster: false,
      readPreference: this.readPreference,
      readConcern: this.readConcern,
      bsonOptions: this.bsonOptions,
    };
    return new ChangeStream<TLocal, TChange>(target, pipeline, options);
  }

  async countDocuments(filter: Filter<TSchema> = {}, options: CountDocumentsOptions = {}): Promise<number> {
    return await this.#cold('countDocuments', filter as Document, options);
  }

  /**
   * The legacy `count` command (deprecated in the official driver, still used by old
   * programs): exact on a filter, the collection metadata count without one.
   */
  async count(filter: Filter<TSchema> = {}, options: CountOptions = {}): Promise<number> {
    return await this.#cold('count', filter as Document, options);
  }

  async estimatedDocumentCount(options: EstimatedDocumentCountOptions = {}): Promise<number> {
    return await this.#cold('estimatedDocumentCount', options);
  }

  async distinct(key: string, filter: Filter<TSchema> = {}, options: DistinctOptions = {}): Promise<any[]> {
    return await this.#cold('distinct', key, filter as Document, options);
  }

  // ------------------------------------------------------------------ findAndModify

  async #findAndModify(filter: Document, spec: { remove?: true; update?: Document | Document[] }, options: FindOneAndUpdateOptions): Promise<any> {
    return await this.#cold('findAndModify', filter, spec, options);
  }

  async findOneAndDelete(filter: Filter<TSchema>, options: FindOneAndDeleteOptions & { includeResultMetadata: true }): Promise<ModifyResult<TSchema>>;
  async findOneAndDelete(filter: Filter<TSchema>, options?: FindOneAndDeleteOptions): Promise<WithId<TSchema> | null>;
  async findOneAndDelete(filter: Filter<TSchema>, options: FindOneAndDeleteOptions = {}): Promise<any> {
    return await this.#findAndModify(filter as Document, { remove: true }, options);
  }

  async findOneAndReplace(filter: Filter<TSchema>, replacement: WithoutId<TSchema>, options: FindOneAndReplaceOptions & { includeResultMetadata: true }): Promise<ModifyResult<TSchema>>;
  async findOneAndReplace(filter: Filter<TSchema>, replacement: WithoutId<TSchema>, options?: FindOneAndReplaceOptions): Promise<WithId<TSchema> | null>;
  async findOneAndReplace(filter: Filter<TSchema>, replacement: WithoutId<TSchema>, options: FindOneAndReplaceOptions = {}): Promise<any> {
    checkReplacement(replacement);
    return await this.#findAndModify(filter as Document, { update: replacement as Document }, options);
  }

  async findOneAndUpdate(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options: FindOneAndUpdateOptions & { includeResultMetadata: true }): Promise<ModifyResult<TSchema>>;
  async findOneAndUpdate(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options?: FindOneAndUpdateOptions): Promise<WithId<TSchema> | null>;
  async findOneAndUpdate(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options: FindOneAndUpdateOptions = {}): Promise<any> {
    checkUpdate(update);
    return await this.#findAndModify(filter as Document, { update: update as Document }, options);
  }

  // ------------------------------------------------------------------ indexes

  async createIndex(indexSpec: IndexSpecification, options: CreateIndexesOptions = {}): Promise<string> {
    return await this.#cold('createIndex', indexSpec, options);
  }

  async createIndexes(indexSpecs: IndexDescription[], options: CreateIndexesOptions = {}): Promise<string[]> {
    return await this.#cold('createIndexes', indexSpecs, options);
  }

  listIndexes(options: ListIndexesOptions = {}): ListIndexesCursor {
    return new ListIndexesCursor(this.#ctx, this.dbName, this.collectionName, { ...options, readPreference: this.readPreference });
  }

  /** The index documents; with `full: false`, `{ name: [[field, direction], ...] }` as indexInformation (the official driver's overloads). */
  indexes(options?: { session?: ClientSession; full?: true }): Promise<Document[]>;
  indexes(options: { session?: ClientSession; full: false }): Promise<Document>;
  indexes(options?: IndexInformationOptions): Promise<Document[] | Document>;
  async indexes(options: IndexInformationOptions = {}): Promise<Document[] | Document> {
    const { full, ...rest } = options;
    return full === false ? await this.indexInformation(rest) : await this.listIndexes(rest).toArray();
  }

  async indexExists(names: string | string[], options: { session?: ClientSession } = {}): Promise<boolean> {
    return await this.#cold('indexExists', names, options);
  }

  async indexInformation(options: IndexInformationOptions & { full: true }): Promise<Document[]>;
  async indexInformation(options?: IndexInformationOptions): Promise<Document>;
  async indexInformation(options: IndexInformationOptions = {}): Promise<Document | Document[]> {
    return await this.#cold('indexInformation', options);
  }

  async dropIndex(indexName: string, options: CommandOperationOptions = {}): Promise<Document> {
    const cmd = { dropIndexes: this.collectionName, index: indexName };
    return await runWriteCommand(this.#target(), cmd, options, ['comment', 'maxTimeMS']);
  }

  async dropIndexes(options: CommandOperationOptions = {}): Promise<boolean> {
    await this.dropIndex('*', options);
    return true;
  }

  // ------------------------------------------------------------------ search indexes
  // Atlas Search (Index Management spec): no readConcern/writeConcern, not retried, as the official driver.

  /** The search indexes of this collection (`$listSearchIndexes`), all or the one named `name`. */
  listSearchIndexes(options?: ListSearchIndexesOptions): ListSearchIndexesCursor;
  listSearchIndexes(name: string, options?: ListSearchIndexesOptions): ListSearchIndexesCursor;
  listSearchIndexes(nameOrOptions?: string | ListSearchIndexesOptions, options?: ListSearchIndexesOptions): ListSearchIndexesCursor {
    const name = typeof nameOrOptions === 'string' ? nameOrOptions : undefined;
    const given = (typeof nameOrOptions === 'object' && nameOrOptions !== null ? nameOrOptions : options) ?? {};
    // As the official driver: the collection's read preference and concerns are not inherited (primary unless given).
    return new ListSearchIndexesCursor(this.#ctx, this.#namespace, name, { ...given, bsonOptions: resolveBsonOptions(given, this.bsonOptions) });
  }

  /** Create one search index; resolves to its name (the server's, `default` when none is given). */
  async createSearchIndex(description: SearchIndexDescription): Promise<string> {
    const [name] = await this.createSearchIndexes([description]);
    return name!;
  }

  /** Create search indexes; resolves to their names, in order. */
  async createSearchIndexes(descriptions: SearchIndexDescription[]): Promise<string[]> {
    return await this.#cold('createSearchIndexes', descriptions);
  }

  /** Drop the search index `name` (a collection that does not exist is not an error). */
  async dropSearchIndex(name: string): Promise<void> {
    await this.#cold('dropSearchIndex', name);
  }

  /** Replace the definition of the search index `name`. */
  async updateSearchIndex(name: string, definition: Document): Promise<void> {
    await this.#cold('updateSearchIndex', name, definition);
  }

  // ------------------------------------------------------------------ collection

  /** Drop the collection; false if it did not exist. */
  async drop(options: DropCollectionOptions = {}): Promise<boolean> {
    return await this.#cold('drop', options);
  }

  async rename(newName: string, options: RenameOptions = {}): Promise<Collection<TSchema>> {
    const renamed = this.#handle(newName, {});
    await this.#cold('rename', renamed, options);
    return renamed;
  }

  /** The collection's creation options (from listCollections). */
  async options(options: { session?: ClientSession } = {}): Promise<Document> {
    return await this.#cold('options', options);
  }

  /** True if the collection is capped (throws MongoInvalidArgumentError if it does not exist, as options()). */
  async isCapped(options: { session?: ClientSession } = {}): Promise<boolean> {
    return Boolean((await this.options(options)).capped);
  }

  /** For tests and tools: the read concern document this collection sends. */
  get readConcernDocument(): Document | undefined {
    return readConcernDocument(this.readConcern);
  }
}

export type { OperationOptions };

/** The arguments of a collection-cold.ts operation after the collection and its target. */
type ColdArgs<F> = F extends (coll: any, target: any, ...rest: infer R) => any ? R : never;
/** The collection-cold.ts operations cold/index.ts exports (Collection#cold runs them). */
type ColdCollectionOps = Pick<
  typeof coldCollection,
  | 'count'
  | 'countDocuments'
  | 'createIndex'
  | 'createIndexes'
  | 'createSearchIndexes'
  | 'distinct'
  | 'drop'
  | 'dropSearchIndex'
  | 'estimatedDocumentCount'
  | 'findAndModify'
  | 'indexExists'
  | 'indexInformation'
  | 'options'
  | 'rename'
  | 'updateSearchIndex'
>;
