/**
 * The operations of the unified format on driver entities: operation name -> the
 * driver call, for both drivers (they share the public API shape). Returns the value
 * expectResult is matched against; cursors and change streams are returned as-is
 * for saveResultAsEntity.
 */
import type { AnyObj } from './drivers.js';
import type { EntityMap } from './entities.js';
import { entityOptions } from './entities.js';
import type { Doc } from './match.js';

export class UnsupportedOperation extends Error {
  override name = 'UnsupportedOperation';
}

/** A collection's search index helper, bound; UnsupportedOperation when the driver has none. */
function searchHelper(target: AnyObj, name: string): (...a: unknown[]) => AnyObj {
  const fn = target[name] as unknown;
  if (typeof fn !== 'function') throw new UnsupportedOperation(`${name}: the driver has no Collection.${name}`);
  return (...a: unknown[]) => (fn as (...x: unknown[]) => AnyObj).apply(target, a);
}

/** Runs a nested list of operations (withTransaction callbacks). */
export type RunNested = (ops: Doc[]) => Promise<void>;

interface OpCtx {
  entities: EntityMap;
  target: AnyObj;
  args: Doc;
  /** `object` of the operation (entity id). */
  object: string;
  runNested: RunNested;
}

/** Arguments with entity references resolved and spec option names mapped to the drivers'. */
export function driverOptions(args: Doc, entities: EntityMap, drop: string[] = []): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(args)) {
    if (drop.includes(k)) continue;
    if (k === 'session') out.session = entities.get(v as string);
    else if (k === 'returnDocument') out.returnDocument = String(v).toLowerCase();
    // the spec's cursorType: both drivers take the tailable / awaitData flags
    else if (k === 'cursorType') Object.assign(out, v === 'tailableAwait' ? { tailable: true, awaitData: true } : v === 'tailable' ? { tailable: true } : {});
    else if (k === 'readPreference' || k === 'readConcern' || k === 'writeConcern') Object.assign(out, entityOptions({ [k]: v }));
    else out[k] = v;
  }
  return out;
}

function bulkModels(requests: Doc[]): Doc[] {
  return requests.map((r) => {
    const [name, a] = Object.entries(r)[0] as [string, Doc];
    return { [name]: { ...a } };
  });
}

function clientBulkModels(models: Doc[]): Doc[] {
  return models.map((m) => {
    const [name, a] = Object.entries(m)[0] as [string, Doc];
    return { name, ...a };
  });
}

async function toArray(cursor: AnyObj): Promise<unknown[]> {
  return cursor.toArray();
}

const collectionOps: Record<string, (c: OpCtx) => Promise<unknown>> = {
  insertOne: ({ target, args, entities }) => target.insertOne(args.document, driverOptions(args, entities, ['document'])),
  insertMany: ({ target, args, entities }) => target.insertMany(args.documents, driverOptions(args, entities, ['documents'])),
  bulkWrite: ({ target, args, entities }) => target.bulkWrite(bulkModels(args.requests as Doc[]), driverOptions(args, entities, ['requests'])),
  updateOne: ({ target, args, entities }) => target.updateOne(args.filter, args.update, driverOptions(args, entities, ['filter', 'update'])),
  updateMany: ({ target, args, entities }) => target.updateMany(args.filter, args.update, driverOptions(args, entities, ['filter', 'update'])),
  replaceOne: ({ target, args, entities }) => target.replaceOne(args.filter, args.replacement, driverOptions(args, entities, ['filter', 'replacement'])),
  deleteOne: ({ target, args, entities }) => target.deleteOne(args.filter, driverOptions(args, entities, ['filter'])),
  deleteMany: ({ target, args, entities }) => target.deleteMany(args.filter, driverOptions(args, entities, ['filter'])),
  find: ({ target, args, entities }) => toArray(target.find(args.filter ?? {}, driverOptions(args, entities, ['filter']))),
  createFindCursor: async ({ target, args, entities }) => {
    const cursor = target.find(args.filter ?? {}, driverOptions(args, entities, ['filter']));
    await cursor.hasNext(); // the spec's createFindCursor sends the find now
    return cursor;
  },
  findOne: ({ target, args, entities }) => target.findOne(args.filter ?? {}, driverOptions(args, entities, ['filter'])),
  aggregate: ({ target, args, entities }) => toArray(target.aggregate(args.pipeline, driverOptions(args, entities, ['pipeline']))),
  countDocuments: ({ target, args, entities }) => target.countDocuments(args.filter, driverOptions(args, entities, ['filter'])),
  estimatedDocumentCount: ({ target, args, entities }) => target.estimatedDocumentCount(driverOptions(args, entities)),
  count: ({ target, args, entities }) => {
    if (typeof target.count !== 'function') throw new UnsupportedOperation('count: the driver has no Collection.count');
    return target.count(args.filter ?? {}, driverOptions(args, entities, ['filter']));
  },
  distinct: ({ target, args, entities }) => target.distinct(args.fieldName, args.filter ?? {}, driverOptions(args, entities, ['fieldName', 'filter'])),
  findOneAndUpdate: ({ target, args, entities }) => target.findOneAndUpdate(args.filter, args.update, driverOptions(args, entities, ['filter', 'update'])),
  findOneAndReplace: ({ target, args, entities }) => target.findOneAndReplace(args.filter, args.replacement, driverOptions(args, entities, ['filter', 'replacement'])),
  findOneAndDelete: ({ target, args, entities }) => target.findOneAndDelete(args.filter, driverOptions(args, entities, ['filter'])),
  createIndex: ({ target, args, entities }) => target.createIndex(args.keys, driverOptions(args, entities, ['keys'])),
  dropIndex: ({ target, args, entities }) => target.dropIndex(args.name, driverOptions(args, entities, ['name'])),
  dropIndexes: ({ target, args, entities }) => target.dropIndexes(driverOptions(args, entities)),
  listIndexes: ({ target, args, entities }) => toArray(target.listIndexes(driverOptions(args, entities))),
  listIndexNames: async ({ target, args, entities }) => (await toArray(target.listIndexes(driverOptions(args, entities)))).map((i) => (i as Doc).name),
  rename: ({ target, args, entities }) => target.rename(args.to, driverOptions(args, entities, ['to'])),
  // Atlas Search index management (a driver without these helpers reports the operation unsupported)
  createSearchIndex: ({ target, args }) => searchHelper(target, 'createSearchIndex')(args.model),
  createSearchIndexes: ({ target, args }) => searchHelper(target, 'createSearchIndexes')(args.models),
  updateSearchIndex: ({ target, args }) => searchHelper(target, 'updateSearchIndex')(args.name, args.definition),
  dropSearchIndex: ({ target, args }) => searchHelper(target, 'dropSearchIndex')(args.name),
  listSearchIndexes: ({ target, args }) => {
    const list = searchHelper(target, 'listSearchIndexes');
    const options = (args.aggregationOptions as Doc | undefined) ?? {};
    return toArray(args.name !== undefined ? list(args.name, options) : list(options));
  },
  createChangeStream: async ({ target, args, entities }) => {
    if (typeof target.watch !== 'function') throw new UnsupportedOperation('createChangeStream: the driver has no watch()');
    const cs = target.watch(args.pipeline ?? [], driverOptions(args, entities, ['pipeline']));
    // The spec sends the aggregate now; the official driver's public API only does on the first iteration.
    if (typeof cs.cursor?.cursorInit === 'function') await cs.cursor.cursorInit();
    else if (typeof cs.init === 'function') await cs.init();
    return cs;
  },
  mapReduce: () => Promise.reject(new UnsupportedOperation('mapReduce: neither driver implements it (removed from the official driver in v6)')),
};

/**
 * `db.runCursorCommand(command)` with the operation's getMore settings applied through the
 * cursor's setters (both drivers refuse maxTimeMS and batchSize as options: they belong to
 * the command document, and on the cursor only to its getMores).
 */
function commandCursor(target: AnyObj, args: Doc, entities: EntityMap): AnyObj {
  const cursor = target.runCursorCommand(args.command, driverOptions(args, entities, ['command', 'commandName', 'maxTimeMS', 'batchSize', 'comment']));
  if (args.maxTimeMS !== undefined) cursor.setMaxTimeMS(args.maxTimeMS);
  if (args.batchSize !== undefined) cursor.setBatchSize(args.batchSize);
  if (args.comment !== undefined) cursor.setComment(args.comment);
  return cursor;
}

const databaseOps: Record<string, (c: OpCtx) => Promise<unknown>> = {
  runCommand: ({ target, args, entities }) => target.command(args.command, driverOptions(args, entities, ['command', 'commandName'])),
  aggregate: collectionOps.aggregate!,
  createChangeStream: collectionOps.createChangeStream!,
  dropCollection: ({ target, args, entities }) => target.dropCollection(args.collection, driverOptions(args, entities, ['collection'])),
  createCollection: ({ target, args, entities }) => target.createCollection(args.collection, driverOptions(args, entities, ['collection'])),
  listCollections: ({ target, args, entities }) => toArray(target.listCollections(args.filter ?? {}, driverOptions(args, entities, ['filter']))),
  listCollectionObjects: ({ target, args, entities }) => toArray(target.listCollections(args.filter ?? {}, driverOptions(args, entities, ['filter']))),
  listCollectionNames: async ({ target, args, entities }) => (await toArray(target.listCollections(args.filter ?? {}, { ...driverOptions(args, entities, ['filter']), nameOnly: true }))).map((c) => (c as Doc).name),
  modifyCollection: ({ target, args, entities }) => target.command({ collMod: args.collection, ...driverOptions(args, entities, ['collection', 'session']) }, args.session ? { session: entities.get(args.session as string) } : {}),
  runCursorCommand: ({ target, args, entities }) => {
    if (typeof target.runCursorCommand !== 'function') throw new UnsupportedOperation('runCursorCommand: the driver has no Db.runCursorCommand');
    return toArray(commandCursor(target, args, entities));
  },
  createCommandCursor: async ({ target, args, entities }) => {
    if (typeof target.runCursorCommand !== 'function') throw new UnsupportedOperation('createCommandCursor: the driver has no Db.runCursorCommand');
    const cursor = commandCursor(target, args, entities);
    await cursor.hasNext();
    return cursor;
  },
};

const clientOps: Record<string, (c: OpCtx) => Promise<unknown>> = {
  listDatabases: async ({ target, args, entities }) => (await target.db('admin').admin().listDatabases(driverOptions(args, entities, ['filter']))).databases,
  listDatabaseObjects: async ({ target, args, entities }) => (await target.db('admin').admin().listDatabases(driverOptions(args, entities, ['filter']))).databases,
  listDatabaseNames: async ({ target, args, entities }) => ((await target.db('admin').admin().listDatabases({ ...driverOptions(args, entities, ['filter']), nameOnly: true })).databases as Doc[]).map((d) => d.name),
  createChangeStream: collectionOps.createChangeStream!,
  clientBulkWrite: ({ target, args, entities }) => {
    if (typeof target.bulkWrite !== 'function') throw new UnsupportedOperation('clientBulkWrite: the driver has no MongoClient.bulkWrite');
    return target.bulkWrite(clientBulkModels(args.models as Doc[]), driverOptions(args, entities, ['models']));
  },
  close: ({ target }) => target.close(),
  dropDatabase: ({ target, args, entities }) => target.db(args.database).dropDatabase(driverOptions(args, entities, ['database'])),
  appendMetadata: ({ target, args }) => {
    if (typeof target.appendMetadata !== 'function') throw new UnsupportedOperation('appendMetadata: the driver has no MongoClient.appendMetadata');
    return Promise.resolve(target.appendMetadata(args.driverInfoOptions));
  },
};

const sessionOps: Record<string, (c: OpCtx) => Promise<unknown>> = {
  startTransaction: async ({ target, args }) => target.startTransaction(entityOptions(args)),
  commitTransaction: ({ target, args }) => target.commitTransaction(timeoutArg(args)),
  abortTransaction: ({ target, args }) => target.abortTransaction(timeoutArg(args)),
  endSession: ({ target }) => target.endSession(),
  getSnapshotTime: async ({ target }) => {
    if (target.snapshotTime === undefined) throw new UnsupportedOperation('getSnapshotTime: the session has no snapshot time (not a snapshot session, or no read yet)');
    return target.snapshotTime;
  },
  withTransaction: ({ target, args, runNested }) => target.withTransaction(() => runNested(args.callback as Doc[]), entityOptions({ ...args, callback: undefined })),
};

const cursorOps: Record<string, (c: OpCtx) => Promise<unknown>> = {
  iterateUntilDocumentOrError: ({ target }) => target.next(),
  iterateOnce: ({ target }) => target.tryNext(),
  close: ({ target }) => target.close(),
};

const bucketOps: Record<string, (c: OpCtx) => Promise<unknown>> = {
  download: ({ target, args }) => streamBytes(target.openDownloadStream(args.id, timeoutArg(args))),
  downloadByName: ({ target, args }) => streamBytes(target.openDownloadStreamByName(args.filename, args.revision !== undefined ? { revision: args.revision } : {})),
  delete: ({ target, args }) => target.delete(args.id, timeoutArg(args)),
  deleteByName: ({ target, args }) => {
    if (typeof target.deleteByName !== 'function') throw new UnsupportedOperation('deleteByName: the driver has no GridFSBucket.deleteByName');
    return target.deleteByName(args.filename);
  },
  rename: ({ target, args }) => target.rename(args.id, args.newFilename, timeoutArg(args)),
  drop: ({ target, args }) => target.drop(timeoutArg(args)),
  renameByName: ({ target, args }) => {
    if (typeof target.renameByName !== 'function') throw new UnsupportedOperation('renameByName: the driver has no GridFSBucket.renameByName');
    return target.renameByName(args.filename, args.newFilename);
  },
  upload: ({ target, args }) =>
    new Promise((resolve, reject) => {
      // disableMD5: neither driver computes an MD5 (the GridFS spec lets such drivers ignore it).
      const { source, filename, disableMD5: _disableMD5, ...options } = args as {
        source: { buffer?: Uint8Array; $$hexBytes?: string } | Uint8Array;
        filename: string;
        disableMD5?: boolean;
      };
      // The spec's source: BSON binary data, or { $$hexBytes: "..." }.
      const hex = (source as { $$hexBytes?: string }).$$hexBytes;
      const bytes = typeof hex === 'string' ? Buffer.from(hex, 'hex') : ((source as { buffer?: Uint8Array }).buffer ?? (source as Uint8Array));
      const stream = target.openUploadStream(filename, options);
      stream.once('error', reject);
      stream.once('finish', () => resolve(stream.gridFSFile?._id ?? stream.id));
      stream.end(Buffer.from(bytes));
    }),
};

/** A bucket operation's CSOT argument, as both drivers take it (an options object). */
function timeoutArg(args: Doc): Doc {
  return args.timeoutMS !== undefined ? { timeoutMS: args.timeoutMS } : {};
}

async function streamBytes(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** What kind of entity `target` is (by the entity's creation, recorded in the map). */
export function entityKind(target: AnyObj): 'client' | 'database' | 'collection' | 'session' | 'bucket' | 'cursor' {
  if (typeof target.startSession === 'function') return 'client';
  if (typeof target.createCollection === 'function') return 'database';
  if (typeof target.insertOne === 'function') return 'collection';
  if (typeof target.endSession === 'function') return 'session';
  if (typeof target.openDownloadStream === 'function') return 'bucket';
  return 'cursor';
}

const TABLES = { client: clientOps, database: databaseOps, collection: collectionOps, session: sessionOps, bucket: bucketOps, cursor: cursorOps };

export async function runEntityOperation(name: string, ctx: OpCtx): Promise<unknown> {
  const kind = entityKind(ctx.target);
  const fn = TABLES[kind][name];
  if (!fn) throw new UnsupportedOperation(`operation ${name} on a ${kind} entity is not supported by the runner`);
  return fn(ctx);
}
