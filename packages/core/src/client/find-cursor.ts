/** The cursor returned by `collection.find()`: builds the find command, honours limit across getMores. */
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import { AbstractCursor, type AbstractCursorOptions, type CursorNamespace } from './abstract-cursor.js';
import type { ExecuteResult } from './executor.js';
import { assignDefined, executeCommand, readConcernFor, type ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';
import { formatSort } from './sort.js';
import type { CollationOptions, Hint, Sort, SortDirection } from './types.js';

export interface FindOptions extends AbstractCursorOptions {
  sort?: Sort;
  projection?: Document;
  skip?: number;
  limit?: number;
  hint?: Hint;
  collation?: CollationOptions;
  allowDiskUse?: boolean;
  min?: Document;
  max?: Document;
  returnKey?: boolean;
  showRecordId?: boolean;
  allowPartialResults?: boolean;
  let?: Document;
  singleBatch?: boolean;
}

export class FindCursor<TSchema = any> extends AbstractCursor<TSchema> {
  private filterDoc: Document;
  private findOptions: FindOptions;

  constructor(ctx: ClientContext, namespace: CursorNamespace, filter: Document = {}, options: FindOptions = {}) {
    super(ctx, namespace, options);
    if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
      throw new MongoInvalidArgumentError('Query filter must be a plain object');
    }
    this.filterDoc = filter;
    this.findOptions = { ...options };
  }

  /** The find command this cursor sends (without session/cluster fields). */
  buildCommand(session?: ClientSession): Document {
    const o = { ...this.findOptions, ...this.cursorOptions };
    const cmd: Document = { find: this.namespace.collection, filter: this.filterDoc };
    let limit = o.limit;
    let singleBatch = o.singleBatch;
    let batchSize = o.batchSize;
    if (typeof limit === 'number' && limit < 0) {
      limit = -limit;
      singleBatch = true;
    }
    if (typeof batchSize === 'number' && batchSize < 0) {
      if (limit === undefined || limit === 0 || -batchSize < limit) limit = -batchSize;
      batchSize = undefined;
      singleBatch = true;
    }
    assignDefined(cmd, {
      sort: formatSort(o.sort),
      projection: o.projection,
      hint: o.hint,
      skip: o.skip || undefined,
      limit: limit || undefined,
      batchSize,
      singleBatch,
      comment: o.comment,
      maxTimeMS: o.maxTimeMS,
      readConcern: readConcernFor(o.readConcern, session),
      max: o.max,
      min: o.min,
      returnKey: o.returnKey,
      showRecordId: o.showRecordId,
      tailable: o.tailable,
      noCursorTimeout: o.noCursorTimeout,
      awaitData: o.awaitData,
      allowPartialResults: o.allowPartialResults,
      collation: o.collation,
      allowDiskUse: o.allowDiskUse,
      let: o.let,
    });
    return cmd;
  }

  protected override async initialize(session: ClientSession | undefined): Promise<ExecuteResult> {
    return await executeCommand(this.ctx, this.namespace.db, this.buildCommand(session), {
      session,
      readPreference: this.cursorOptions.readPreference,
      retryable: 'read',
      signal: this.cursorOptions.signal,
    });
  }

  protected override getMoreBatchSize(): number | undefined | null {
    const limit = Math.abs(this.findOptions.limit ?? 0);
    const batchSize = this.cursorOptions.batchSize || undefined;
    if (this.findOptions.singleBatch) return null;
    if (limit > 0) {
      const remaining = limit - this.numReturned - this.bufferedCount();
      if (remaining <= 0) return null;
      return batchSize === undefined ? remaining : Math.min(batchSize, remaining);
    }
    return batchSize;
  }

  override clone(): FindCursor<TSchema> {
    const c = new FindCursor<TSchema>(this.ctx, this.namespace, this.filterDoc, { ...this.findOptions, ...this.cursorOptions });
    this.copyTransformsTo(c);
    return c;
  }

  override map<T = any>(transform: (doc: TSchema) => T): FindCursor<T> {
    return super.map(transform) as unknown as FindCursor<T>;
  }

  filter(filter: Document): this {
    this.throwIfInitialized();
    this.filterDoc = filter;
    return this;
  }

  sort(sort: Sort | string, direction?: SortDirection): this {
    this.throwIfInitialized();
    if (this.findOptions.tailable) throw new MongoInvalidArgumentError("Tailable cursor doesn't support sorting");
    this.findOptions.sort = typeof sort === 'string' && direction !== undefined ? (formatSort(sort, direction) as Sort) : sort;
    return this;
  }

  project<T = any>(projection: Document): FindCursor<T> {
    this.throwIfInitialized();
    this.findOptions.projection = projection;
    return this as unknown as FindCursor<T>;
  }

  skip(value: number): this {
    this.throwIfInitialized();
    if (typeof value !== 'number') throw new MongoInvalidArgumentError('skip requires an integer');
    this.findOptions.skip = value;
    return this;
  }

  limit(value: number): this {
    this.throwIfInitialized();
    if (this.findOptions.tailable) throw new MongoInvalidArgumentError("Tailable cursor doesn't support limit");
    if (typeof value !== 'number') throw new MongoInvalidArgumentError('limit requires an integer');
    this.findOptions.limit = value;
    return this;
  }

  hint(hint: Hint): this {
    this.throwIfInitialized();
    this.findOptions.hint = hint;
    return this;
  }

  collation(collation: CollationOptions): this {
    this.throwIfInitialized();
    this.findOptions.collation = collation;
    return this;
  }

  allowDiskUse(allow = true): this {
    this.throwIfInitialized();
    this.findOptions.allowDiskUse = allow;
    return this;
  }

  min(min: Document): this {
    this.throwIfInitialized();
    this.findOptions.min = min;
    return this;
  }

  max(max: Document): this {
    this.throwIfInitialized();
    this.findOptions.max = max;
    return this;
  }

  returnKey(value: boolean): this {
    this.throwIfInitialized();
    this.findOptions.returnKey = value;
    return this;
  }

  showRecordId(value: boolean): this {
    this.throwIfInitialized();
    this.findOptions.showRecordId = value;
    return this;
  }

  /** Run `{ explain: <find>, verbosity }` and return the plan. */
  async explain(verbosity: 'queryPlanner' | 'executionStats' | 'allPlansExecution' | boolean = true): Promise<Document> {
    const v = verbosity === true ? 'allPlansExecution' : verbosity === false ? 'queryPlanner' : verbosity;
    const { reply } = await executeCommand(this.ctx, this.namespace.db, { explain: this.buildCommand(), verbosity: v }, {
      session: this.cursorOptions.session,
      readPreference: this.cursorOptions.readPreference,
      retryable: 'read',
    });
    return reply;
  }
}
