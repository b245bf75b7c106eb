/** listCollections and listIndexes cursors. */
import type { Document } from '../errors.js';
import { AbstractCursor, type AbstractCursorOptions } from './abstract-cursor.js';
import { copyDefined, type ClientContext } from './operation.js';

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

/** `{ batchSize }` for a command's `cursor` field. */
const cursorField = (batchSize: number | undefined): Document => (batchSize !== undefined ? { batchSize } : {});

export class ListCollectionsCursor<T = CollectionInfo> extends AbstractCursor<T> {
  protected declare cursorOptions: ListCollectionsOptions;
  readonly filter: Document;

  constructor(ctx: ClientContext, db: string, filter: Document = {}, options: ListCollectionsOptions = {}) {
    super(ctx, { db, collection: '$cmd.listCollections' }, options);
    this.filter = filter;
  }

  buildCommand(): Document {
    const o = this.cursorOptions;
    const cmd = copyDefined({ listCollections: 1, filter: this.filter }, o, ['nameOnly', 'authorizedCollections', 'comment', 'maxTimeMS']);
    cmd.cursor = cursorField(o.batchSize);
    return cmd;
  }

  override clone(): ListCollectionsCursor<T> {
    return this.copyTransformsTo(new ListCollectionsCursor<T>(this.ctx, this.namespace.db, this.filter, this.cursorOptions));
  }
}

export class ListIndexesCursor<T = Document> extends AbstractCursor<T> {
  constructor(ctx: ClientContext, db: string, collection: string, options: AbstractCursorOptions = {}) {
    super(ctx, { db, collection }, options);
  }

  buildCommand(): Document {
    const o = this.cursorOptions;
    const cmd = copyDefined({ listIndexes: this.namespace.collection }, o, ['comment', 'maxTimeMS']);
    cmd.cursor = cursorField(o.batchSize);
    return cmd;
  }

  override clone(): ListIndexesCursor<T> {
    return this.copyTransformsTo(new ListIndexesCursor<T>(this.ctx, this.namespace.db, this.namespace.collection, this.cursorOptions));
  }
}
