/**
 * Collection<TSchema>: CRUD, aggregation, bulk writes and index management,
 * shaped like the official driver's. Commands are built here and run through
 * the client's OperationExecutor.
 */
import { BSON } from 'bson';
import { MongoInvalidArgumentError, MongoServerError, type Document } from '../errors.js';
import { ReadPreference, type ReadPreferenceLike } from '../selection/read-preference.js';
import { AggregationCursor, type AggregateOptions } from './aggregation-cursor.js';
import {
  checkReplacement,
  checkUpdate,
  deleteStatement,
  ensureId,
  executeBulk,
  toStatements,
  updateStatement,
  type AnyBulkWriteOperation,
  type BulkWriteOptions,
} from './bulk.js';
import {
  isUnacknowledged,
  readConcernDocument,
  resolveReadConcern,
  resolveWriteConcern,
  writeConcernDocument,
  type ReadConcernLike,
  type WriteConcernLike,
} from './concerns.js';
import type { ReadConcern } from '../concern/read-concern.js';
import type { WriteConcern } from '../concern/write-concern.js';
import { FindCursor, type FindOptions } from './find-cursor.js';
import { ListCollectionsCursor, ListIndexesCursor } from './list-cursors.js';
import {
  assignDefined,
  executeCommand,
  readConcernFor,
  throwIfWriteConcernError,
  throwIfWriteFailed,
  withSession,
  type ClientContext,
  type OperationOptions,
} from './operation.js';
import type { BulkWriteResult, DeleteResult, InsertManyResult, InsertOneResult, ModifyResult, UpdateResult } from './results.js';
import type { ClientSession } from './sessions.js';
import { formatSort, indexKeys, indexName } from './sort.js';
import type {
  CollationOptions,
  Filter,
  Hint,
  IndexDescription,
  IndexSpecification,
  OptionalUnlessRequiredId,
  ReturnDocument,
  Sort,
  UpdateFilter,
  WithId,
  WithoutId,
} from './types.js';

/** What a collection inherits from its Db. */
export interface CollectionParent {
  readonly databaseName: string;
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;
}

export interface CollectionOptions {
  readPreference?: ReadPreferenceLike;
  readConcern?: ReadConcernLike;
  writeConcern?: WriteConcernLike;
}

export interface CommandOperationOptions {
  session?: ClientSession;
  writeConcern?: WriteConcernLike;
  readConcern?: ReadConcernLike;
  readPreference?: ReadPreferenceLike;
  comment?: unknown;
  maxTimeMS?: number;
  signal?: AbortSignal;
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

const NAMESPACE_NOT_FOUND = 26;

/** Options that belong to the driver, never copied into a command. */
const DRIVER_OPTION_KEYS = new Set([
  'session',
  'writeConcern',
  'readConcern',
  'readPreference',
  'signal',
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
  private readonly ctx: ClientContext;
  private readonly parent: CollectionParent;
  readonly collectionName: string;
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;

  constructor(ctx: ClientContext, parent: CollectionParent, name: string, options: CollectionOptions = {}) {
    if (typeof name !== 'string' || name === '' || name.includes('\0') || name.startsWith('.') || name.endsWith('.')) {
      throw new MongoInvalidArgumentError(`Invalid collection name ${JSON.stringify(name)}`);
    }
    this.ctx = ctx;
    this.parent = parent;
    this.collectionName = name;
    this.readPreference = options.readPreference !== undefined ? ReadPreference.from(options.readPreference) : parent.readPreference;
    this.readConcern = resolveReadConcern(options.readConcern, parent.readConcern);
    this.writeConcern = resolveWriteConcern(options.writeConcern, parent.writeConcern);
  }

  get dbName(): string {
    return this.parent.databaseName;
  }

  /**
   * A handle on the same collection with some options replaced (pymongo's
   * `with_options`): `coll.withOptions({ readPreference: 'nearest' })`. Options not
   * given are kept from this handle.
   */
  withOptions(options: CollectionOptions): Collection<TSchema> {
    return new Collection<TSchema>(this.ctx, this.parent, this.collectionName, {
      readPreference: options.readPreference ?? this.readPreference,
      ...((options.readConcern ?? this.readConcern) !== undefined ? { readConcern: options.readConcern ?? this.readConcern } : {}),
      ...((options.writeConcern ?? this.writeConcern) !== undefined ? { writeConcern: options.writeConcern ?? this.writeConcern } : {}),
    } as CollectionOptions);
  }

  get namespace(): string {
    return `${this.dbName}.${this.collectionName}`;
  }

  // ------------------------------------------------------------------ helpers

  private readPref(options: { readPreference?: ReadPreferenceLike } | undefined): ReadPreference {
    return options?.readPreference !== undefined ? ReadPreference.from(options.readPreference) : this.readPreference;
  }

  private wc(options: { writeConcern?: WriteConcernLike } | undefined): WriteConcernLike | undefined {
    return options?.writeConcern ?? this.writeConcern;
  }

  /** Send one insert/update/delete with a single statement; undefined when unacknowledged. */
  private async writeOne(
    type: 'insert' | 'update' | 'delete',
    statement: Document,
    multi: boolean,
    options: CommandOperationOptions & { bypassDocumentValidation?: boolean; let?: Document },
  ): Promise<Document | undefined> {
    const wc = this.wc(options);
    const unack = isUnacknowledged(wc);
    const cmd: Document = { [type]: this.collectionName, ordered: true };
    assignDefined(cmd, {
      writeConcern: writeConcernDocument(wc),
      bypassDocumentValidation: type === 'delete' ? undefined : options.bypassDocumentValidation,
      comment: options.comment,
      maxTimeMS: options.maxTimeMS,
      let: type === 'insert' ? undefined : options.let,
    });
    const seq = type === 'insert' ? 'documents' : type === 'update' ? 'updates' : 'deletes';
    return await withSession(
      this.ctx,
      options.session,
      async (session) => {
        const { reply } = await executeCommand(this.ctx, this.dbName, cmd, {
          session,
          retryable: multi ? false : 'write',
          sequences: { [seq]: [statement] },
          moreToCome: unack || undefined,
          signal: options.signal,
        });
        if (unack) return undefined;
        throwIfWriteFailed(reply);
        return reply;
      },
      unack,
    );
  }

  /** A command on this collection's database with an implicit or explicit session. */
  private async command(
    cmd: Document,
    options: CommandOperationOptions | undefined,
    routing: { readPreference?: ReadPreference; retryable?: 'read' | 'write' | false } = {},
    db = this.dbName,
  ): Promise<Document> {
    return await withSession(this.ctx, options?.session, async (session) => {
      const { reply } = await executeCommand(this.ctx, db, cmd, {
        session,
        readPreference: routing.readPreference,
        retryable: routing.retryable ?? false,
        signal: options?.signal,
      });
      return reply;
    });
  }

  // ------------------------------------------------------------------ inserts

  async insertOne(doc: OptionalUnlessRequiredId<TSchema>, options: InsertOneOptions = {}): Promise<InsertOneResult<TSchema>> {
    const d = ensureId(doc as Document, options.forceServerObjectId);
    const executor = await this.ctx.getExecutor();
    const max = executor.limits().maxBsonObjectSize;
    if (BSON.calculateObjectSize(d) > max) throw new MongoInvalidArgumentError(`Document is larger than the maximum size ${max}`);
    const reply = await this.writeOne('insert', d, false, options);
    return { acknowledged: reply !== undefined, insertedId: d._id } as InsertOneResult<TSchema>;
  }

  async insertMany(docs: ReadonlyArray<OptionalUnlessRequiredId<TSchema>>, options: BulkWriteOptions = {}): Promise<InsertManyResult<TSchema>> {
    if (!Array.isArray(docs)) throw new MongoInvalidArgumentError('Argument "docs" must be an array of documents');
    const statements = toStatements(
      docs.map((document) => ({ insertOne: { document } })),
      options.forceServerObjectId,
    );
    const { acknowledged, result } = await executeBulk(this.bulkTarget(), statements, { ...options, ordered: options.ordered ?? true });
    return { acknowledged, insertedCount: result.insertedCount, insertedIds: result.insertedIds };
  }

  async bulkWrite(operations: ReadonlyArray<AnyBulkWriteOperation<TSchema>>, options: BulkWriteOptions = {}): Promise<BulkWriteResult> {
    if (!Array.isArray(operations)) throw new MongoInvalidArgumentError('Argument "operations" must be an array of documents');
    const statements = toStatements(operations as AnyBulkWriteOperation<any>[], options.forceServerObjectId);
    const { result } = await executeBulk(this.bulkTarget(), statements, { ...options, ordered: options.ordered ?? true });
    return result;
  }

  private bulkTarget() {
    return { ctx: this.ctx, db: this.dbName, collection: this.collectionName, writeConcern: this.writeConcern };
  }

  // ------------------------------------------------------------------ updates / deletes

  private updateResult(reply: Document | undefined): UpdateResult<TSchema> {
    if (!reply) return { acknowledged: false, matchedCount: 0, modifiedCount: 0, upsertedCount: 0, upsertedId: null };
    const upserted = Array.isArray(reply.upserted) ? (reply.upserted as Document[]) : [];
    const n = typeof reply.n === 'number' ? reply.n : 0;
    return {
      acknowledged: true,
      matchedCount: n - upserted.length,
      modifiedCount: typeof reply.nModified === 'number' ? reply.nModified : 0,
      upsertedCount: upserted.length,
      upsertedId: (upserted[0]?._id ?? null) as UpdateResult<TSchema>['upsertedId'],
    };
  }

  async updateOne(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options: UpdateOptions = {}): Promise<UpdateResult<TSchema>> {
    checkFilterArg(filter);
    checkUpdate(update);
    const st = updateStatement(filter as Document, update as Document, { ...options, multi: false });
    return this.updateResult(await this.writeOne('update', st, false, options));
  }

  async updateMany(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options: Omit<UpdateOptions, 'sort'> = {}): Promise<UpdateResult<TSchema>> {
    checkFilterArg(filter);
    checkUpdate(update);
    const st = updateStatement(filter as Document, update as Document, { ...options, multi: true });
    return this.updateResult(await this.writeOne('update', st, true, options));
  }

  async replaceOne(filter: Filter<TSchema>, replacement: WithoutId<TSchema>, options: ReplaceOptions = {}): Promise<UpdateResult<TSchema>> {
    checkFilterArg(filter);
    checkReplacement(replacement);
    const st = updateStatement(filter as Document, replacement as Document, { ...options, multi: false });
    return this.updateResult(await this.writeOne('update', st, false, options));
  }

  async deleteOne(filter: Filter<TSchema> = {}, options: DeleteOptions = {}): Promise<DeleteResult> {
    checkFilterArg(filter);
    const reply = await this.writeOne('delete', deleteStatement(filter as Document, 1, options), false, options);
    return { acknowledged: reply !== undefined, deletedCount: typeof reply?.n === 'number' ? reply.n : 0 };
  }

  async deleteMany(filter: Filter<TSchema> = {}, options: DeleteOptions = {}): Promise<DeleteResult> {
    checkFilterArg(filter);
    const reply = await this.writeOne('delete', deleteStatement(filter as Document, 0, options), true, options);
    return { acknowledged: reply !== undefined, deletedCount: typeof reply?.n === 'number' ? reply.n : 0 };
  }

  // ------------------------------------------------------------------ reads

  find(): FindCursor<WithId<TSchema>>;
  find(filter: Filter<TSchema>, options?: FindOptions): FindCursor<WithId<TSchema>>;
  find<T extends Document>(filter: Filter<TSchema>, options?: FindOptions): FindCursor<T>;
  find(filter: Filter<TSchema> = {}, options: FindOptions = {}): FindCursor<any> {
    checkFilterArg(filter);
    return new FindCursor(this.ctx, { db: this.dbName, collection: this.collectionName }, filter as Document, {
      ...options,
      readPreference: this.readPref(options as { readPreference?: ReadPreferenceLike }),
      readConcern: options.readConcern ?? this.readConcern,
    });
  }

  async findOne(): Promise<WithId<TSchema> | null>;
  async findOne(filter: Filter<TSchema>, options?: FindOneOptions): Promise<WithId<TSchema> | null>;
  async findOne<T>(filter: Filter<TSchema>, options?: FindOneOptions): Promise<T | null>;
  async findOne(filter: Filter<TSchema> = {}, options: FindOneOptions = {}): Promise<any> {
    const cursor = this.find(filter, { ...options, limit: -1, batchSize: 1 });
    try {
      return await cursor.next();
    } finally {
      await cursor.close();
    }
  }

  aggregate<T extends Document = Document>(pipeline: Document[] = [], options: AggregateOptions = {}): AggregationCursor<T> {
    if (!Array.isArray(pipeline)) throw new MongoInvalidArgumentError('"pipeline" must be an array of aggregation stages');
    return new AggregationCursor<T>(this.ctx, { db: this.dbName, collection: this.collectionName }, pipeline, {
      ...options,
      readPreference: this.readPref(options as { readPreference?: ReadPreferenceLike }),
      readConcern: options.readConcern ?? this.readConcern,
      writeConcern: options.writeConcern ?? this.writeConcern,
    });
  }

  async countDocuments(filter: Filter<TSchema> = {}, options: CountDocumentsOptions = {}): Promise<number> {
    checkFilterArg(filter);
    const pipeline: Document[] = [{ $match: filter }];
    if (typeof options.skip === 'number') pipeline.push({ $skip: options.skip });
    if (typeof options.limit === 'number') pipeline.push({ $limit: options.limit });
    pipeline.push({ $group: { _id: 1, n: { $sum: 1 } } });
    const aggOptions: AggregateOptions = { session: options.session };
    assignDefined(aggOptions as Document, {
      collation: options.collation,
      hint: options.hint,
      comment: options.comment,
      maxTimeMS: options.maxTimeMS,
      readConcern: options.readConcern,
      readPreference: options.readPreference,
    });
    const docs = await this.aggregate<{ n: number }>(pipeline, aggOptions).toArray();
    return docs.length > 0 ? Number(docs[0]!.n) : 0;
  }

  async estimatedDocumentCount(options: EstimatedDocumentCountOptions = {}): Promise<number> {
    const cmd: Document = { count: this.collectionName };
    const reply = await withSession(this.ctx, options.session, async (session) => {
      assignDefined(cmd, {
        maxTimeMS: options.maxTimeMS,
        comment: options.comment,
        readConcern: readConcernFor(options.readConcern ?? this.readConcern, session),
      });
      const { reply } = await executeCommand(this.ctx, this.dbName, cmd, {
        session,
        readPreference: this.readPref(options),
        retryable: 'read',
        signal: options.signal,
      });
      return reply;
    });
    return Number(reply.n ?? 0);
  }

  async distinct(key: string, filter: Filter<TSchema> = {}, options: DistinctOptions = {}): Promise<any[]> {
    checkFilterArg(filter);
    const reply = await withSession(this.ctx, options.session, async (session) => {
      const cmd: Document = { distinct: this.collectionName, key, query: filter };
      assignDefined(cmd, {
        collation: options.collation,
        hint: options.hint,
        comment: options.comment,
        maxTimeMS: options.maxTimeMS,
        readConcern: readConcernFor(options.readConcern ?? this.readConcern, session),
      });
      const { reply } = await executeCommand(this.ctx, this.dbName, cmd, {
        session,
        readPreference: this.readPref(options),
        retryable: 'read',
        signal: options.signal,
      });
      return reply;
    });
    return Array.isArray(reply.values) ? reply.values : [];
  }

  // ------------------------------------------------------------------ findAndModify

  private async findAndModify(
    filter: Document,
    spec: { remove?: true; update?: Document | Document[] },
    options: FindOneAndUpdateOptions,
  ): Promise<any> {
    checkFilterArg(filter);
    const wc = this.wc(options);
    const cmd: Document = { findAndModify: this.collectionName, query: filter };
    assignDefined(cmd, {
      sort: formatSort(options.sort),
      remove: spec.remove,
      update: spec.update,
      new: spec.update !== undefined ? options.returnDocument === 'after' : undefined,
      fields: options.projection,
      upsert: spec.update !== undefined ? options.upsert : undefined,
      bypassDocumentValidation: options.bypassDocumentValidation,
      arrayFilters: options.arrayFilters,
      collation: options.collation,
      hint: options.hint,
      maxTimeMS: options.maxTimeMS,
      let: options.let,
      comment: options.comment,
      writeConcern: writeConcernDocument(wc),
    });
    const reply = await withSession(this.ctx, options.session, async (session) => {
      const { reply } = await executeCommand(this.ctx, this.dbName, cmd, { session, retryable: 'write', signal: options.signal });
      return reply;
    });
    throwIfWriteConcernError(reply);
    if (options.includeResultMetadata) {
      const out: Document = { value: reply.value ?? null, ok: reply.ok === 1 || reply.ok === true ? 1 : 0 };
      if (reply.lastErrorObject !== undefined) out.lastErrorObject = reply.lastErrorObject;
      return out;
    }
    return reply.value ?? null;
  }

  async findOneAndDelete(filter: Filter<TSchema>, options: FindOneAndDeleteOptions & { includeResultMetadata: true }): Promise<ModifyResult<TSchema>>;
  async findOneAndDelete(filter: Filter<TSchema>, options?: FindOneAndDeleteOptions): Promise<WithId<TSchema> | null>;
  async findOneAndDelete(filter: Filter<TSchema>, options: FindOneAndDeleteOptions = {}): Promise<any> {
    return await this.findAndModify(filter as Document, { remove: true }, options);
  }

  async findOneAndReplace(filter: Filter<TSchema>, replacement: WithoutId<TSchema>, options: FindOneAndReplaceOptions & { includeResultMetadata: true }): Promise<ModifyResult<TSchema>>;
  async findOneAndReplace(filter: Filter<TSchema>, replacement: WithoutId<TSchema>, options?: FindOneAndReplaceOptions): Promise<WithId<TSchema> | null>;
  async findOneAndReplace(filter: Filter<TSchema>, replacement: WithoutId<TSchema>, options: FindOneAndReplaceOptions = {}): Promise<any> {
    checkReplacement(replacement);
    return await this.findAndModify(filter as Document, { update: replacement as Document }, options);
  }

  async findOneAndUpdate(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options: FindOneAndUpdateOptions & { includeResultMetadata: true }): Promise<ModifyResult<TSchema>>;
  async findOneAndUpdate(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options?: FindOneAndUpdateOptions): Promise<WithId<TSchema> | null>;
  async findOneAndUpdate(filter: Filter<TSchema>, update: UpdateFilter<TSchema> | Document[], options: FindOneAndUpdateOptions = {}): Promise<any> {
    checkUpdate(update);
    return await this.findAndModify(filter as Document, { update: update as Document }, options);
  }

  // ------------------------------------------------------------------ indexes

  async createIndex(indexSpec: IndexSpecification, options: CreateIndexesOptions = {}): Promise<string> {
    const key = indexKeys(indexSpec);
    const { commitQuorum, ...rest } = options;
    const desc: IndexDescription = { ...(stripDriverOptions(rest) as Partial<IndexDescription>), key: key as IndexDescription['key'] };
    const names = await this.createIndexes([desc], { ...options, commitQuorum });
    return names[0]!;
  }

  async createIndexes(indexSpecs: IndexDescription[], options: CreateIndexesOptions = {}): Promise<string[]> {
    if (!Array.isArray(indexSpecs) || indexSpecs.length === 0) throw new MongoInvalidArgumentError('createIndexes requires at least one index');
    const indexes = indexSpecs.map((spec) => {
      const key = spec.key instanceof Map ? Object.fromEntries(spec.key) : { ...spec.key };
      if (Object.keys(key).length === 0) throw new MongoInvalidArgumentError('An index key must have at least one field');
      const { key: _k, name, ...rest } = spec;
      const idx: Document = { key, name: name ?? indexName(key) };
      for (const [k, v] of Object.entries(rest)) {
        if (v === undefined) continue;
        idx[k === 'version' ? 'v' : k] = v;
      }
      return idx;
    });
    const cmd: Document = { createIndexes: this.collectionName, indexes };
    assignDefined(cmd, {
      commitQuorum: options.commitQuorum,
      comment: options.comment,
      maxTimeMS: options.maxTimeMS,
      writeConcern: writeConcernDocument(this.wc(options)),
    });
    const reply = await this.command(cmd, options);
    throwIfWriteConcernError(reply);
    return indexes.map((i) => i.name as string);
  }

  listIndexes(options: { batchSize?: number; session?: ClientSession; comment?: unknown; maxTimeMS?: number } = {}): ListIndexesCursor {
    return new ListIndexesCursor(this.ctx, this.dbName, this.collectionName, { ...options, readPreference: this.readPreference });
  }

  async indexes(options: { session?: ClientSession } = {}): Promise<Document[]> {
    return await this.listIndexes(options).toArray();
  }

  async indexExists(names: string | string[], options: { session?: ClientSession } = {}): Promise<boolean> {
    const wanted = Array.isArray(names) ? names : [names];
    const existing = new Set((await this.indexes(options)).map((i) => i.name));
    return wanted.every((n) => existing.has(n));
  }

  async dropIndex(indexName: string, options: CommandOperationOptions = {}): Promise<Document> {
    const cmd: Document = { dropIndexes: this.collectionName, index: indexName };
    assignDefined(cmd, { comment: options.comment, maxTimeMS: options.maxTimeMS, writeConcern: writeConcernDocument(this.wc(options)) });
    const reply = await this.command(cmd, options);
    throwIfWriteConcernError(reply);
    return reply;
  }

  async dropIndexes(options: CommandOperationOptions = {}): Promise<boolean> {
    await this.dropIndex('*', options);
    return true;
  }

  // ------------------------------------------------------------------ collection

  /** Drop the collection; false if it did not exist. */
  async drop(options: CommandOperationOptions = {}): Promise<boolean> {
    const cmd: Document = { drop: this.collectionName };
    assignDefined(cmd, { comment: options.comment, writeConcern: writeConcernDocument(this.wc(options)) });
    try {
      const reply = await this.command(cmd, options);
      throwIfWriteConcernError(reply);
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND) return false;
      throw error;
    }
  }

  async rename(newName: string, options: RenameOptions = {}): Promise<Collection<TSchema>> {
    const target = new Collection<TSchema>(this.ctx, this.parent, newName, {
      readPreference: this.readPreference,
      readConcern: this.readConcern,
      writeConcern: this.writeConcern,
    });
    const cmd: Document = { renameCollection: this.namespace, to: target.namespace };
    assignDefined(cmd, {
      dropTarget: options.dropTarget,
      comment: options.comment,
      writeConcern: writeConcernDocument(this.wc(options)),
    });
    const reply = await this.command(cmd, options, {}, 'admin');
    throwIfWriteConcernError(reply);
    return target;
  }

  /** The collection's creation options (from listCollections). */
  async options(options: { session?: ClientSession } = {}): Promise<Document> {
    const docs = await new ListCollectionsCursor(this.ctx, this.dbName, { name: this.collectionName }, { session: options.session }).toArray();
    if (docs.length === 0) throw new MongoInvalidArgumentError(`Collection ${this.namespace} not found`);
    return (docs[0]!.options as Document | undefined) ?? {};
  }

  /** For tests and tools: the read concern document this collection sends. */
  get readConcernDocument(): Document | undefined {
    return readConcernDocument(this.readConcern);
  }
}

function checkFilterArg(filter: unknown): void {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    throw new MongoInvalidArgumentError('Filter must be a plain object');
  }
}

export type { OperationOptions };
