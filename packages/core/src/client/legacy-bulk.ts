/**
 * The legacy fluent bulk API (`initializeOrderedBulkOp` / `initializeUnorderedBulkOp`),
 * kept by the official driver for old programs: operations are collected as bulkWrite
 * models and `execute()` runs them through Collection.bulkWrite (same batching, same
 * results and errors).
 */
import { MongoAPIError, MongoInvalidArgumentError, type Document } from '../errors.js';
import type { AnyBulkWriteOperation, BulkWriteOptions } from './bulk.js';
import type { BulkWriteResult } from './results.js';
import type { CollationOptions, Hint } from './types.js';

/** What a bulk operation needs of its collection. */
export interface LegacyBulkCollection {
  bulkWrite(operations: ReadonlyArray<AnyBulkWriteOperation<any>>, options?: BulkWriteOptions): Promise<BulkWriteResult>;
}

/** execute() was called twice on one bulk operation. */
export class MongoBatchReExecutionError extends MongoAPIError {
  constructor(message = 'This batch has already been executed, create new batch to execute') {
    super(message);
  }
  override get name(): string {
    return 'MongoBatchReExecutionError';
  }
}

interface Selector {
  filter: Document;
  upsert?: boolean;
  collation?: CollationOptions;
  arrayFilters?: Document[];
  hint?: Hint;
}

/** `bulk.find(filter)`: the write to apply to what the filter selects. */
export class FindOperators {
  readonly #bulk: BulkOperationBase;
  readonly #selector: Selector;

  constructor(bulk: BulkOperationBase, filter: Document) {
    this.#bulk = bulk;
    this.#selector = { filter };
  }

  #options(): Document {
    const { upsert, collation, arrayFilters, hint } = this.#selector;
    const out: Document = {};
    if (upsert !== undefined) out.upsert = upsert;
    if (collation !== undefined) out.collation = collation;
    if (arrayFilters !== undefined) out.arrayFilters = arrayFilters;
    if (hint !== undefined) out.hint = hint;
    return out;
  }

  /** Update every matching document (updateMany). */
  update(update: Document | Document[]): BulkOperationBase {
    return this.#bulk.raw({ updateMany: { filter: this.#selector.filter, update, ...this.#options() } });
  }

  updateOne(update: Document | Document[]): BulkOperationBase {
    return this.#bulk.raw({ updateOne: { filter: this.#selector.filter, update, ...this.#options() } });
  }

  replaceOne(replacement: Document): BulkOperationBase {
    const { arrayFilters: _ignored, ...options } = this.#options();
    return this.#bulk.raw({ replaceOne: { filter: this.#selector.filter, replacement, ...options } });
  }

  deleteOne(): BulkOperationBase {
    return this.#bulk.raw({ deleteOne: { filter: this.#selector.filter, ...this.#deleteOptions() } });
  }

  /** Delete every matching document (deleteMany). */
  delete(): BulkOperationBase {
    return this.#bulk.raw({ deleteMany: { filter: this.#selector.filter, ...this.#deleteOptions() } });
  }

  #deleteOptions(): Document {
    const { collation, hint } = this.#selector;
    const out: Document = {};
    if (collation !== undefined) out.collation = collation;
    if (hint !== undefined) out.hint = hint;
    return out;
  }

  upsert(): this {
    this.#selector.upsert = true;
    return this;
  }

  collation(collation: CollationOptions): this {
    this.#selector.collation = collation;
    return this;
  }

  arrayFilters(arrayFilters: Document[]): this {
    this.#selector.arrayFilters = arrayFilters;
    return this;
  }

  hint(hint: Hint): this {
    this.#selector.hint = hint;
    return this;
  }
}

export abstract class BulkOperationBase {
  readonly isOrdered: boolean;
  readonly #collection: LegacyBulkCollection;
  readonly #options: BulkWriteOptions;
  readonly #operations: AnyBulkWriteOperation<any>[] = [];
  #executed = false;

  protected constructor(collection: LegacyBulkCollection, options: BulkWriteOptions, isOrdered: boolean) {
    this.#collection = collection;
    this.#options = { ...options };
    this.isOrdered = isOrdered;
  }

  /** The number of operations added. */
  get length(): number {
    return this.#operations.length;
  }

  insert(document: Document): this {
    return this.raw({ insertOne: { document } });
  }

  find(selector: Document): FindOperators {
    if (!selector) throw new MongoInvalidArgumentError('Bulk find operation must specify a selector');
    return new FindOperators(this, selector);
  }

  /** Add one bulkWrite model as is. */
  raw(operation: AnyBulkWriteOperation<any>): this {
    if (operation === null || typeof operation !== 'object') throw new MongoInvalidArgumentError('Operation must be an object with an operation key');
    this.#operations.push(operation);
    return this;
  }

  async execute(options: BulkWriteOptions = {}): Promise<BulkWriteResult> {
    if (this.#executed) throw new MongoBatchReExecutionError();
    if (this.#operations.length === 0) throw new MongoInvalidArgumentError('Invalid BulkOperation, Batch cannot be empty');
    this.#executed = true;
    return await this.#collection.bulkWrite(this.#operations, { ...this.#options, ...options, ordered: this.isOrdered });
  }
}

export class OrderedBulkOperation extends BulkOperationBase {
  constructor(collection: LegacyBulkCollection, options: BulkWriteOptions = {}) {
    super(collection, options, true);
  }
}

export class UnorderedBulkOperation extends BulkOperationBase {
  constructor(collection: LegacyBulkCollection, options: BulkWriteOptions = {}) {
    super(collection, options, false);
  }
}
