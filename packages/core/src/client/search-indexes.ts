/**
 * Atlas Search index management (Index Management spec, "Search Index Management
 * Helpers"): the commands createSearchIndexes / updateSearchIndex / dropSearchIndex and
 * the `$listSearchIndexes` aggregation. Pure command builders plus the cursor; the
 * Collection methods run them. None of these commands carries a readConcern or a
 * writeConcern (the spec: drivers MUST NOT send them; the server refuses them).
 */
import type { Document } from '../errors.js';
import { AggregationCursor, type AggregateOptions } from './aggregation-cursor.js';
import type { ClientContext } from './operation.js';
import type { CursorNamespace } from './abstract-cursor.js';

/** One search index to create (the official driver's `SearchIndexDescription`). */
export interface SearchIndexDescription extends Document {
  /** The index name; the server names it `default` when omitted. */
  name?: string;
  /** The index definition (mappings for `search`, fields for `vectorSearch`). */
  definition: Document;
  /** `search` (the server's default) or `vectorSearch`. */
  type?: 'search' | 'vectorSearch' | (string & {});
}

/** `listSearchIndexes` options: the aggregate options except the concerns, which are never sent. */
export type ListSearchIndexesOptions = Omit<AggregateOptions, 'readConcern' | 'writeConcern'>;

/** `{ createSearchIndexes: <coll>, indexes: [...] }`; the descriptions go as given (an empty list too: the server answers). */
export function createSearchIndexesCommand(collection: string, descriptions: readonly SearchIndexDescription[]): Document {
  return { createSearchIndexes: collection, indexes: [...descriptions] };
}

/** `{ updateSearchIndex: <coll>, name, definition }`. */
export function updateSearchIndexCommand(collection: string, name: string, definition: Document): Document {
  return { updateSearchIndex: collection, name, definition };
}

/** `{ dropSearchIndex: <coll>, name }`. */
export function dropSearchIndexCommand(collection: string, name: string): Document {
  return { dropSearchIndex: collection, name };
}

/** The `$listSearchIndexes` stage: `{ name }` when a name is given, else `{}` (spec: no filter). */
export function listSearchIndexesStage(name: string | undefined): Document {
  return { $listSearchIndexes: name === undefined ? {} : { name } };
}

/** The names of a createSearchIndexes reply (`indexesCreated: [{ id, name }]`), in order. */
export function createdSearchIndexNames(reply: Document): string[] {
  const created = reply.indexesCreated;
  if (!Array.isArray(created)) return [];
  return created.map((entry: unknown) => String((entry as Document | null)?.name));
}

/** The cursor of `listSearchIndexes()`: an aggregation of `$listSearchIndexes`, without read or write concern. */
export class ListSearchIndexesCursor extends AggregationCursor<{ name: string }> {
  constructor(ctx: ClientContext, namespace: CursorNamespace, name: string | undefined, options: ListSearchIndexesOptions = {}) {
    // Even an untyped caller's readConcern/writeConcern are dropped: the spec forbids sending them.
    const { readConcern: _rc, writeConcern: _wc, ...rest } = options as AggregateOptions;
    super(ctx, namespace, [listSearchIndexesStage(name)], rest);
  }
}
