/**
 * Collection operations most apps never run before their first find or insert:
 * findOneAndUpdate/Replace/Delete (findAndModify) and index creation, with the index-key
 * normalisation. Loaded on first use (cold/index.ts); Collection's methods call these.
 */
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import { applicationView } from '../wire/application-view.js';
import { resolveBsonOptions } from '../wire/bson-options.js';
import { checkDocument, type BulkTarget } from './bulk.js';
import { stripDriverOptions, type CreateIndexesOptions, type FindOneAndUpdateOptions } from './collection.js';
import { isUnacknowledged } from './concerns.js';
import { assignDefined, runWriteCommand } from './operation.js';
import { formatSort } from './sort.js';
import type { IndexDescription, IndexSpecification } from './types.js';

export async function findAndModify(target: BulkTarget, filter: Document, spec: { remove?: true; update?: Document | Document[] }, options: FindOneAndUpdateOptions): Promise<any> {
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

export async function createIndex(target: BulkTarget, indexSpec: IndexSpecification, options: CreateIndexesOptions = {}): Promise<string> {
  const { commitQuorum, ...rest } = options;
  const desc = { ...stripDriverOptions(rest), key: indexKeys(indexSpec) } as IndexDescription;
  const names = await createIndexes(target, [desc], { ...options, commitQuorum });
  return names[0]!;
}

export async function createIndexes(target: BulkTarget, indexSpecs: IndexDescription[], options: CreateIndexesOptions = {}): Promise<string[]> {
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
