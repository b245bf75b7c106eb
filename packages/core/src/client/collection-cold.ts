/**
 * Collection operations most apps never run before their first find or insert:
 * findOneAndUpdate/Replace/Delete (findAndModify), index creation with the index-key
 * normalisation, the counts and distinct, the Atlas Search index writes, drop, rename and
 * options(). Loaded on first use (cold/index.ts); Collection's methods call these through
 * its #cold helper, each with the collection and its command target first.
 */
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import { applicationView } from '../wire/application-view.js';
import { resolveBsonOptions } from '../wire/bson-options.js';
import { checkDocument, type BulkTarget } from './bulk.js';
import {
  stripDriverOptions,
  type Collection,
  type CommandOperationOptions,
  type CountDocumentsOptions,
  type CountOptions,
  type CreateIndexesOptions,
  type DistinctOptions,
  type EstimatedDocumentCountOptions,
  type FindOneAndUpdateOptions,
  type IndexInformationOptions,
  type RenameOptions,
} from './collection.js';
import { isUnacknowledged, resolveReadPreference } from './concerns.js';
import { COUNT_FIELDS } from './find-cursor.js';
import { ListCollectionsCursor } from './list-cursors.js';
import { assignDefined, copyDefined, isNamespaceNotFound, readConcernFor, runCommand, runWriteCommand, type ClientContext } from './operation.js';
import type { CursorNamespace } from './abstract-cursor.js';
import type { ReadPreference } from '../selection/read-preference.js';
import { createdSearchIndexNames, createSearchIndexesCommand, dropSearchIndexCommand, updateSearchIndexCommand, type SearchIndexDescription } from './search-indexes.js';
import type { ClientSession } from './sessions.js';
import { formatSort } from './sort.js';
import type { IndexDescription, IndexSpecification } from './types.js';

type AnyCollection = Collection<any>;

/** A retryable read of one reply: the option fields `keys`, then the read concern (the collection's unless given). */
async function read(coll: AnyCollection, target: BulkTarget, command: Document, options: CommandOperationOptions, keys: readonly string[]): Promise<Document> {
  return await runCommand(
    target.ctx,
    target.db,
    (session) =>
      assignDefined(copyDefined(command, options, keys), {
        readConcern: readConcernFor(options.readConcern ?? coll.readConcern, session),
      }),
    options,
    { readPreference: resolveReadPreference(options.readPreference, coll.readPreference), retryable: 'read' },
  );
}

export async function countDocuments(coll: AnyCollection, _target: BulkTarget, filter: Document, options: CountDocumentsOptions): Promise<number> {
  checkDocument(filter, 'Filter');
  const pipeline: Document[] = [{ $match: filter }];
  if (typeof options.skip === 'number') pipeline.push({ $skip: options.skip });
  if (typeof options.limit === 'number') pipeline.push({ $limit: options.limit });
  pipeline.push({ $group: { _id: 1, n: { $sum: 1 } } });
  const aggOptions = copyDefined({ session: options.session }, options, ['collation', 'hint', 'comment', 'maxTimeMS', 'timeoutMS', 'readConcern', 'readPreference']);
  const docs = await coll.aggregate<{ n: number }>(pipeline, aggOptions).toArray();
  return docs.length > 0 ? Number(docs[0]!.n) : 0;
}

/** The legacy `count` command: exact on a filter, the collection metadata count without one. */
export async function count(coll: AnyCollection, target: BulkTarget, filter: Document, options: CountOptions): Promise<number> {
  checkDocument(filter, 'Filter');
  const reply = await read(coll, target, { count: target.collection, query: filter }, options, COUNT_FIELDS);
  return Number(reply.n ?? 0);
}

/** FindCursor.count(): the legacy `count` command for a cursor's filter and options `o` (its own over the cursor's). */
export async function cursorCount(ctx: ClientContext, namespace: CursorNamespace, filter: Document, o: Document, readPreference: ReadPreference | undefined): Promise<number> {
  const reply = await runCommand(
    ctx,
    namespace.db,
    (session) =>
      assignDefined(copyDefined({ count: namespace.collection, query: filter }, o, COUNT_FIELDS), {
        readConcern: readConcernFor(o.readConcern, session),
      }),
    { session: o.session, signal: o.signal },
    { readPreference, retryable: 'read' },
  );
  return Number(reply.n ?? 0);
}

export async function estimatedDocumentCount(coll: AnyCollection, target: BulkTarget, options: EstimatedDocumentCountOptions): Promise<number> {
  const reply = await read(coll, target, { count: target.collection }, options, ['maxTimeMS', 'comment']);
  return Number(reply.n ?? 0);
}

export async function distinct(coll: AnyCollection, target: BulkTarget, key: string, filter: Document, options: DistinctOptions): Promise<any[]> {
  checkDocument(filter, 'Filter');
  const cmd = { distinct: target.collection, key, query: filter };
  const reply = await read(coll, target, cmd, options, ['collation', 'hint', 'comment', 'maxTimeMS']);
  return Array.isArray(reply.values) ? reply.values : [];
}

export async function indexExists(coll: AnyCollection, _target: BulkTarget, names: string | string[], options: { session?: ClientSession }): Promise<boolean> {
  const existing = new Set((await coll.indexes(options)).map((i) => i.name));
  return (Array.isArray(names) ? names : [names]).every((n) => existing.has(n));
}

export async function indexInformation(coll: AnyCollection, _target: BulkTarget, options: IndexInformationOptions): Promise<Document | Document[]> {
  const indexes = await coll.indexes({ ...(options.session ? { session: options.session } : {}) });
  return options.full ? indexes : indexInformationOf(indexes);
}

/** `indexInformation()` without `full`: index name -> its key as [field, direction] pairs. */
export function indexInformationOf(indexes: readonly Document[]): Document {
  const out: Document = {};
  for (const index of indexes) out[index.name as string] = Object.entries((index.key as Document | undefined) ?? {});
  return out;
}

export async function createSearchIndexes(_coll: AnyCollection, target: BulkTarget, descriptions: SearchIndexDescription[]): Promise<string[]> {
  if (!Array.isArray(descriptions)) throw new MongoInvalidArgumentError('createSearchIndexes requires an array of search index descriptions');
  const reply = await runCommand(target.ctx, target.db, createSearchIndexesCommand(target.collection, descriptions), { bson: target.bson });
  return createdSearchIndexNames(reply);
}

/** A collection that does not exist is not an error. */
export async function dropSearchIndex(_coll: AnyCollection, target: BulkTarget, name: string): Promise<void> {
  try {
    await runCommand(target.ctx, target.db, dropSearchIndexCommand(target.collection, name), { bson: target.bson });
  } catch (error) {
    if (!isNamespaceNotFound(error)) throw error;
  }
}

export async function updateSearchIndex(_coll: AnyCollection, target: BulkTarget, name: string, definition: Document): Promise<void> {
  await runCommand(target.ctx, target.db, updateSearchIndexCommand(target.collection, name, definition), { bson: target.bson });
}

/** Drop the collection; false if it did not exist. */
export async function drop(_coll: AnyCollection, target: BulkTarget, options: CommandOperationOptions): Promise<boolean> {
  try {
    await runWriteCommand(target, { drop: target.collection }, options, ['comment']);
    return true;
  } catch (error) {
    if (isNamespaceNotFound(error)) return false;
    throw error;
  }
}

/** renameCollection (run on admin) to `renamed`, the handle the caller made (a bad name failed there). */
export async function rename(coll: AnyCollection, target: BulkTarget, renamed: AnyCollection, options: RenameOptions): Promise<void> {
  const cmd = { renameCollection: coll.namespace, to: renamed.namespace };
  await runWriteCommand({ ...target, db: 'admin' }, cmd, options, ['dropTarget', 'comment']);
}

/** The collection's creation options (from listCollections). */
export async function options(coll: AnyCollection, target: BulkTarget, options: { session?: ClientSession }): Promise<Document> {
  const docs = await new ListCollectionsCursor(target.ctx, target.db, { name: target.collection }, { session: options.session }).toArray();
  if (docs.length === 0) throw new MongoInvalidArgumentError(`Collection ${coll.namespace} not found`);
  return (docs[0]!.options as Document | undefined) ?? {};
}

export async function findAndModify(_coll: AnyCollection, target: BulkTarget, filter: Document, spec: { remove?: true; update?: Document | Document[] }, options: FindOneAndUpdateOptions): Promise<any> {
  checkDocument(filter, 'Filter');
  const isUpdate = spec.update !== undefined;
  const cmd = assignDefined(
    { findAndModify: target.collection, query: filter },
    {
      sort: formatSort(options.sort),
      ...spec,
      new: isUpdate ? options.returnDocument === 'after' : undefined,
      fields: options.projection,
      upsert: isUpdate ? options.upsert : undefined,
    },
  );
  const keys = ['bypassDocumentValidation', 'arrayFilters', 'collation', 'hint', 'maxTimeMS', 'let', 'comment'];
  const bson = resolveBsonOptions(options, target.bson);
  const reply = applicationView(await runWriteCommand(target, cmd, { ...options, bson }, keys, 'write'));
  // Unacknowledged (w: 0): the reply is not the application's to read (CRUD spec: no result).
  if (!options.session?.inTransaction() && isUnacknowledged(options.writeConcern ?? target.writeConcern)) return options.includeResultMetadata ? { value: null, ok: 1 } : null;
  if (options.includeResultMetadata) {
    // the official driver's key order: the reply's lastErrorObject, value, ok
    const out: Document = {};
    if (reply.lastErrorObject !== undefined) out.lastErrorObject = reply.lastErrorObject;
    out.value = reply.value ?? null;
    out.ok = reply.ok === 1 || reply.ok === true ? 1 : 0;
    return out;
  }
  return reply.value ?? null;
}

export async function createIndex(_coll: AnyCollection, target: BulkTarget, indexSpec: IndexSpecification, options: CreateIndexesOptions = {}): Promise<string> {
  const { commitQuorum, ...rest } = options;
  const desc = { ...stripDriverOptions(rest), key: indexKeys(indexSpec) } as IndexDescription;
  const names = await createIndexes(_coll, target, [desc], { ...options, commitQuorum });
  return names[0]!;
}

export async function createIndexes(_coll: AnyCollection, target: BulkTarget, indexSpecs: IndexDescription[], options: CreateIndexesOptions = {}): Promise<string[]> {
  if (!Array.isArray(indexSpecs) || indexSpecs.length === 0) throw new MongoInvalidArgumentError('createIndexes requires at least one index');
  const indexes = indexSpecs.map((spec) => {
    const key = spec.key instanceof Map ? Object.fromEntries(spec.key) : { ...spec.key };
    if (Object.keys(key).length === 0) throw new MongoInvalidArgumentError('An index key must have at least one field');
    const { key: _k, name, ...rest } = spec;
    const idx: Document = { key, name: name ?? indexName(key) };
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) idx[k === 'version' ? 'v' : k] = v;
    return idx;
  });
  const cmd = { createIndexes: target.collection, indexes };
  await runWriteCommand(target, cmd, options, ['commitQuorum', 'comment', 'maxTimeMS']);
  return indexes.map((i) => i.name as string);
}

/** IndexSpecification -> ordered key document (directions kept verbatim: 1, -1, 'text', '2dsphere'...). */
export function indexKeys(spec: IndexSpecification): Document {
  const out: Document = {};
  const add = (item: unknown): void => {
    if (typeof item === 'string') out[item] = 1;
    else if (item instanceof Map) for (const [k, v] of item) out[k as string] = v;
    else if (Array.isArray(item)) {
      if (item.length === 2 && typeof item[0] === 'string' && !Array.isArray(item[1]) && typeof item[1] !== 'object') out[item[0]] = item[1];
      else for (const x of item) add(x);
    } else if (item !== null && typeof item === 'object') Object.assign(out, item);
    else throw new MongoInvalidArgumentError(`Invalid index specification: ${JSON.stringify(spec)}`);
  };
  add(spec);
  return out;
}

/** The server's default index name: `a_1_b_-1`. */
export function indexName(keys: Document): string {
  return Object.entries(keys)
    .map(([k, v]) => `${k}_${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('_');
}
