/** The cursor returned by `collection.find()`: builds the find command, honours limit across getMores. */
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import { AbstractCursor, ExplainableCursor, type AbstractCursorOptions, type CursorNamespace, type ExplainCommandOptions, type ExplainVerbosityLike } from './abstract-cursor.js';
import { loadCold } from '../cold/load.js';
import { copyDefined, readConcernFor, type ClientContext } from './operation.js';
import type { CountOptions } from './collection.js';
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

/** The find command's optional fields, in the order they are sent. */
/** The `count` command's fields after `count` and `query`, in the official driver's order. */
export const COUNT_FIELDS = ['skip', 'limit', 'hint', 'maxTimeMS', 'collation', 'comment'] as const;

const FIND_FIELDS = [
  'sort',
  'projection',
  'hint',
  'skip',
  'limit',
  'batchSize',
  'singleBatch',
  'comment',
  'maxTimeMS',
  'readConcern',
  'max',
  'min',
  'returnKey',
  'showRecordId',
  'tailable',
  'noCursorTimeout',
  'awaitData',
  'allowPartialResults',
  'collation',
  'allowDiskUse',
  'let',
];

export class FindCursor<TSchema = any> extends ExplainableCursor<TSchema> {
  protected declare cursorOptions: FindOptions;
  #filter: Document;

  constructor(ctx: ClientContext, namespace: CursorNamespace, filter: Document = {}, options: FindOptions = {}) {
    super(ctx, namespace, options);
    this.#filter = filter;
  }

  /** The find command this cursor sends (without session/cluster fields). */
  buildCommand(session?: ClientSession): Document {
    const filter: unknown = this.#filter;
    if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
      throw new MongoInvalidArgumentError('Query filter must be a plain object or ObjectId');
    }
    const o = this.cursorOptions;
    let { limit, singleBatch, batchSize } = o;
    if (typeof limit === 'number' && limit < 0) {
      limit = -limit;
      singleBatch = true;
    }
    if (typeof batchSize === 'number' && batchSize < 0) {
      if (limit === undefined || limit === 0 || -batchSize < limit) limit = -batchSize;
      batchSize = undefined;
      singleBatch = true;
    }
    // batchSize == limit: ask for one more so the server closes the cursor in the first
    // reply (no getMore/killCursors round trip; CRUD "Find with batchSize equal to limit").
    if (typeof limit === 'number' && limit > 0 && batchSize === limit && !singleBatch) batchSize = limit + 1;
    const fields = {
      ...o,
      sort: formatSort(o.sort),
      skip: o.skip || undefined,
      limit: limit || undefined,
      batchSize,
      singleBatch,
      readConcern: readConcernFor(o.readConcern, session),
    };
    return copyDefined({ find: this.namespace.collection, filter: this.#filter }, fields, FIND_FIELDS);
  }

  protected override getMoreBatchSize(): number | undefined | null {
    const limit = Math.abs(this.cursorOptions.limit ?? 0);
    const batchSize = this.cursorOptions.batchSize || undefined;
    if (this.cursorOptions.singleBatch) return null;
    if (limit > 0) {
      const remaining = limit - this.numReturned - this.bufferedCount();
      if (remaining <= 0) return null;
      return batchSize === undefined ? remaining : Math.min(batchSize, remaining);
    }
    return batchSize;
  }

  override clone(): FindCursor<TSchema> {
    return this.copyTransformsTo(new FindCursor<TSchema>(this.ctx, this.namespace, this.#filter, this.cursorOptions));
  }

  filter(filter: Document): this {
    this.throwIfInitialized();
    this.#filter = filter;
    return this;
  }

  sort(sort: Sort | string, direction?: SortDirection): this {
    this.throwIfInitialized();
    if (this.cursorOptions.tailable) throw new MongoInvalidArgumentError("Tailable cursor doesn't support sorting");
    return this.configure({ sort: typeof sort === 'string' && direction !== undefined ? (formatSort(sort, direction) as Sort) : sort });
  }

  project<T = any>(projection: Document): FindCursor<T> {
    return this.configure({ projection }) as unknown as FindCursor<T>;
  }

  skip(value: number): this {
    this.throwIfInitialized();
    if (typeof value !== 'number') throw new MongoInvalidArgumentError('Operation "skip" requires an integer');
    return this.configure({ skip: value });
  }

  limit(value: number): this {
    this.throwIfInitialized();
    if (this.cursorOptions.tailable) throw new MongoInvalidArgumentError("Tailable cursor doesn't support limit");
    if (typeof value !== 'number') throw new MongoInvalidArgumentError('Operation "limit" requires an integer');
    return this.configure({ limit: value });
  }

  hint(hint: Hint): this {
    return this.configure({ hint });
  }

  collation(collation: CollationOptions): this {
    return this.configure({ collation });
  }

  allowDiskUse(allow = true): this {
    return this.configure({ allowDiskUse: allow });
  }

  min(min: Document): this {
    return this.configure({ min });
  }

  max(max: Document): this {
    return this.configure({ max });
  }

  returnKey(value: boolean): this {
    return this.configure({ returnKey: value });
  }

  showRecordId(value: boolean): this {
    return this.configure({ showRecordId: value });
  }

  /** Run `{ explain: <find>, verbosity }` and return the plan. */
  async explain(verbosity?: ExplainVerbosityLike | ExplainCommandOptions): Promise<Document> {
    return await this.explainCommand(this.buildCommand(), verbosity);
  }

  /**
   * The legacy `count` command for this cursor's filter, skip and limit (deprecated in
   * the official driver; countDocuments() is the modern form). Does not start the cursor.
   */
  async count(options: CountOptions = {}): Promise<number> {
    if (typeof options !== 'object' || options === null) throw new MongoInvalidArgumentError('Invalid first parameter to count');
    return await (await loadCold()).cursorCount(this.ctx, this.namespace, this.#filter, { ...this.cursorOptions, ...options }, this.readPreference);
  }
}

export interface FindCursor<TSchema = any> {
  map<T = any>(transform: (doc: TSchema) => T): FindCursor<T>;
}
