/** listCollections and listIndexes cursors. */
import type { Document } from '../errors.js';
import { AbstractCursor, type AbstractCursorOptions } from './abstract-cursor.js';
import type { ExecuteResult } from './executor.js';
import { assignDefined, executeCommand, type ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';

export interface ListCollectionsOptions extends AbstractCursorOptions {
  nameOnly?: boolean;
  authorizedCollections?: boolean;
}

export interface CollectionInfo {
  name: string;
  type?: string;
  options?: Document;
  readOnly?: boolean;
  info?: Document;
  idIndex?: Document;
  [key: string]: unknown;
}

export class ListCollectionsCursor<T = CollectionInfo> extends AbstractCursor<T> {
  readonly filter: Document;
  private readonly listOptions: ListCollectionsOptions;

  constructor(ctx: ClientContext, db: string, filter: Document = {}, options: ListCollectionsOptions = {}) {
    super(ctx, { db, collection: '$cmd.listCollections' }, options);
    this.filter = filter;
    this.listOptions = { ...options };
  }

  buildCommand(): Document {
    const o = { ...this.listOptions, ...this.cursorOptions };
    const cmd: Document = { listCollections: 1, filter: this.filter };
    assignDefined(cmd, {
      nameOnly: o.nameOnly,
      authorizedCollections: o.authorizedCollections,
      comment: o.comment,
      maxTimeMS: o.maxTimeMS,
    });
    cmd.cursor = o.batchSize !== undefined ? { batchSize: o.batchSize } : {};
    return cmd;
  }

  protected override async initialize(session: ClientSession | undefined): Promise<ExecuteResult> {
    return await executeCommand(this.ctx, this.namespace.db, this.buildCommand(), {
      session,
      readPreference: this.cursorOptions.readPreference,
      retryable: 'read',
      signal: this.cursorOptions.signal,
    });
  }

  override clone(): ListCollectionsCursor<T> {
    const c = new ListCollectionsCursor<T>(this.ctx, this.namespace.db, this.filter, { ...this.listOptions, ...this.cursorOptions });
    this.copyTransformsTo(c);
    return c;
  }
}

export class ListIndexesCursor<T = Document> extends AbstractCursor<T> {
  private readonly listOptions: AbstractCursorOptions;

  constructor(ctx: ClientContext, db: string, collection: string, options: AbstractCursorOptions = {}) {
    super(ctx, { db, collection }, options);
    this.listOptions = { ...options };
  }

  buildCommand(): Document {
    const o = { ...this.listOptions, ...this.cursorOptions };
    const cmd: Document = { listIndexes: this.namespace.collection };
    assignDefined(cmd, { comment: o.comment, maxTimeMS: o.maxTimeMS });
    cmd.cursor = o.batchSize !== undefined ? { batchSize: o.batchSize } : {};
    return cmd;
  }

  protected override async initialize(session: ClientSession | undefined): Promise<ExecuteResult> {
    return await executeCommand(this.ctx, this.namespace.db, this.buildCommand(), {
      session,
      readPreference: this.cursorOptions.readPreference,
      retryable: 'read',
      signal: this.cursorOptions.signal,
    });
  }

  override clone(): ListIndexesCursor<T> {
    const c = new ListIndexesCursor<T>(this.ctx, this.namespace.db, this.namespace.collection, { ...this.listOptions, ...this.cursorOptions });
    this.copyTransformsTo(c);
    return c;
  }
}
