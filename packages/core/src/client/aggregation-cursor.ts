/** The cursor returned by `aggregate()` (collection-level, or db-level with collection 1). */
import type { Document } from '../errors.js';
import { AbstractCursor, ExplainableCursor, validateMaxAwaitTimeMS, type AbstractCursorOptions, type CursorNamespace, type ExplainCommandOptions, type ExplainVerbosityLike } from './abstract-cursor.js';
import { writeConcernDocument, type WriteConcernLike } from './concerns.js';
import type { ExecuteOptions, ExecuteResult } from '../operation/executor.js';
import { copyDefined, readConcernFor, type ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';
import { ReadPreference } from '../selection/read-preference.js';
import type { CollationOptions, Hint } from './types.js';

export interface AggregateOptions extends AbstractCursorOptions {
  allowDiskUse?: boolean;
  bypassDocumentValidation?: boolean;
  collation?: CollationOptions;
  hint?: Hint;
  let?: Document;
  writeConcern?: WriteConcernLike;
  explain?: boolean | string;
}

/** For `aggregate: 1` on a database the namespace collection is the number 1. */
export interface AggregateNamespace extends Omit<CursorNamespace, 'collection'> {
  readonly collection: string | 1;
}

/** The aggregate command's optional fields, in the order they are sent. */
const AGGREGATE_FIELDS = [
  'explain',
  'allowDiskUse',
  'bypassDocumentValidation',
  'collation',
  'hint',
  'let',
  'comment',
  'maxTimeMS',
  'readConcern',
  'writeConcern',
];

export function hasWriteStage(pipeline: readonly Document[]): boolean {
  const last = pipeline[pipeline.length - 1];
  return last !== undefined && ('$out' in last || '$merge' in last);
}

export class AggregationCursor<TSchema = any> extends ExplainableCursor<TSchema> {
  protected declare cursorOptions: AggregateOptions;
  readonly pipeline: Document[];
  readonly #target: string | 1;

  constructor(ctx: ClientContext, namespace: AggregateNamespace, pipeline: Document[] = [], options: AggregateOptions = {}) {
    super(ctx, { db: namespace.db, collection: namespace.collection === 1 ? '$cmd.aggregate' : namespace.collection }, { ...options, writesOutput: hasWriteStage(pipeline) });
    this.#target = namespace.collection;
    this.pipeline = pipeline;
    // an aggregate's maxAwaitTimeMS is its getMores' wait when the pipeline tails (as the spec's tests check for any aggregate)
    validateMaxAwaitTimeMS(options.maxAwaitTimeMS, options.timeoutMS ?? ctx.resolvedOptions.timeoutMS);
  }

  buildCommand(session?: ClientSession): Document {
    const o = this.cursorOptions;
    const write = hasWriteStage(this.pipeline);
    const fields = {
      ...o,
      explain: o.explain === undefined ? undefined : Boolean(o.explain),
      bypassDocumentValidation: write ? o.bypassDocumentValidation : undefined,
      readConcern: readConcernFor(o.readConcern, session),
      writeConcern: write ? writeConcernDocument(o.writeConcern) : undefined,
    };
    const cmd = copyDefined({ aggregate: this.#target, pipeline: this.pipeline }, fields, AGGREGATE_FIELDS);
    // With $out/$merge the first batch is empty anyway: batchSize 0 is not sent (cursor: {}).
    if (!o.explain) cmd.cursor = o.batchSize !== undefined && o.batchSize >= 0 && !(write && o.batchSize === 0) ? { batchSize: o.batchSize } : {};
    return cmd;
  }

  protected override async initialize(session: ClientSession | undefined): Promise<ExecuteResult> {
    // $out / $merge run on the primary (the 5.0+ secondary-$out path is not used)
    const route: ExecuteOptions = hasWriteStage(this.pipeline) ? { readPreference: ReadPreference.primary, retryable: false } : {};
    return await this.send(this.buildCommand(session), session, route);
  }

  protected override replyIsTheDocument(): boolean {
    return Boolean(this.cursorOptions.explain);
  }

  override clone(): AggregationCursor<TSchema> {
    const namespace = { db: this.namespace.db, collection: this.#target };
    return this.copyTransformsTo(new AggregationCursor<TSchema>(this.ctx, namespace, [...this.pipeline], this.cursorOptions));
  }

  addStage<T = any>(stage: Document): AggregationCursor<T> {
    this.throwIfInitialized();
    this.pipeline.push(stage);
    return this as unknown as AggregationCursor<T>;
  }
  match(filter: Document): this {
    return this.addStage({ $match: filter }) as unknown as this;
  }
  project<T = any>(projection: Document): AggregationCursor<T> {
    return this.addStage<T>({ $project: projection });
  }
  sort(sort: Document): this {
    return this.addStage({ $sort: sort }) as unknown as this;
  }
  skip(n: number): this {
    return this.addStage({ $skip: n }) as unknown as this;
  }
  limit(n: number): this {
    return this.addStage({ $limit: n }) as unknown as this;
  }
  group<T = any>(spec: Document): AggregationCursor<T> {
    return this.addStage<T>({ $group: spec });
  }
  /** Add a `$redact` stage. */
  redact(spec: Document): this {
    return this.addStage({ $redact: spec }) as unknown as this;
  }
  /** Add a `$geoNear` stage. */
  geoNear(spec: Document): this {
    return this.addStage({ $geoNear: spec }) as unknown as this;
  }
  unwind(spec: string | Document): this {
    return this.addStage({ $unwind: spec }) as unknown as this;
  }
  lookup(spec: Document): this {
    return this.addStage({ $lookup: spec }) as unknown as this;
  }
  out(target: string | { db: string; coll: string }): this {
    return this.addStage({ $out: target }) as unknown as this;
  }

  async explain(verbosity?: ExplainVerbosityLike | ExplainCommandOptions): Promise<Document> {
    return await this.explainCommand(this.buildCommand(), verbosity);
  }
}

export interface AggregationCursor<TSchema = any> {
  map<T = any>(transform: (doc: TSchema) => T): AggregationCursor<T>;
}
