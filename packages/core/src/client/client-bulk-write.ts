/**
 * `client.bulkWrite(models)` (MongoDB 8.0+, maxWireVersion 25): writes to any number of
 * namespaces in one `bulkWrite` admin command. Models and results as the official
 * driver's (AnyClientBulkWriteModel, ClientBulkWriteResult, MongoClientBulkWriteError).
 * Refused before anything is sent when the server is older (a MongoClientBulkWriteError,
 * as the official driver reports the server's CommandNotFound). `client.bulkWrite` loads this
 * module with the cold chunk (cold/index.ts). One command per call (no splitting by maxMessageSizeBytes / maxWriteBatchSize).
 */
import { ObjectId } from 'bson';
import { MongoCompatibilityError, MongoInvalidArgumentError, MongoServerError, type Document } from '../errors.js';
import { ServerType } from '../sdam/server-description.js';
import type { TopologyDescription } from '../sdam/topology-description.js';
import { checkReplacement, checkUpdate } from './bulk.js';
import { writeConcernDocument, type WriteConcernLike } from './concerns.js';
import { assignDefined, runCommand, type ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';
import type { CollationOptions, Hint } from './types.js';

export const CLIENT_BULK_WRITE_WIRE_VERSION = 25;

interface ModelBase {
  namespace: string;
}
export interface ClientInsertOneModel<T = Document> extends ModelBase {
  name: 'insertOne';
  document: T;
}
interface FilterModel extends ModelBase {
  filter: Document;
  collation?: CollationOptions;
  hint?: Hint;
}
export interface ClientUpdateModel extends FilterModel {
  name: 'updateOne' | 'updateMany';
  update: Document | Document[];
  upsert?: boolean;
  arrayFilters?: Document[];
}
export interface ClientReplaceOneModel<T = Document> extends FilterModel {
  name: 'replaceOne';
  replacement: T;
  upsert?: boolean;
}
export interface ClientDeleteModel extends FilterModel {
  name: 'deleteOne' | 'deleteMany';
}
export type AnyClientBulkWriteModel<T = Document> = ClientInsertOneModel<T> | ClientUpdateModel | ClientReplaceOneModel<T> | ClientDeleteModel;

export interface ClientBulkWriteOptions {
  ordered?: boolean;
  /** Per-operation results (insertResults / updateResults / deleteResults). */
  verboseResults?: boolean;
  bypassDocumentValidation?: boolean;
  let?: Document;
  comment?: unknown;
  writeConcern?: WriteConcernLike;
  session?: ClientSession;
}

export interface ClientInsertOneResult {
  insertedId: any;
}
export interface ClientUpdateResult {
  matchedCount: number;
  modifiedCount: number;
  upsertedId?: any;
  didUpsert: boolean;
}
export interface ClientDeleteResult {
  deletedCount: number;
}

export interface ClientBulkWriteResult {
  readonly acknowledged: boolean;
  readonly insertedCount: number;
  readonly upsertedCount: number;
  readonly matchedCount: number;
  readonly modifiedCount: number;
  readonly deletedCount: number;
  readonly insertResults?: ReadonlyMap<number, ClientInsertOneResult>;
  readonly updateResults?: ReadonlyMap<number, ClientUpdateResult>;
  readonly deleteResults?: ReadonlyMap<number, ClientDeleteResult>;
}

export interface ClientBulkWriteError {
  code: number;
  message: string;
}

/** Some operations of a client bulk write failed; `partialResult` holds what was done. */
export class MongoClientBulkWriteError extends MongoServerError {
  writeErrors = new Map<number, ClientBulkWriteError>();
  writeConcernErrors: Document[] = [];
  partialResult: ClientBulkWriteResult | undefined;
  override get name(): string {
    return 'MongoClientBulkWriteError';
  }
}

const CLIENT_BULK_WRITE_FAILED = 'Mongo client bulk write encountered an error during execution';
const ErrorCodes = { CommandNotFound: 59 } as const;

/** The whole command failed (or could not be sent): the official driver's wrapper, `cause` the reason. */
function wrap(cause: Error, response: Document): MongoClientBulkWriteError {
  const { errmsg: _m, ok: _ok, ...rest } = response;
  const error = new MongoClientBulkWriteError({ ...rest, errmsg: CLIENT_BULK_WRITE_FAILED }, { cause });
  error.partialResult = undefined;
  return error;
}

/** True if a data-bearing server of `td` speaks the 8.0 `bulkWrite` command. */
function supportsBulkWrite(td: TopologyDescription | undefined): boolean {
  if (!td) return false;
  const servers = [...td.servers.values()].filter((sd) => sd.type !== ServerType.Unknown && sd.type !== ServerType.RSArbiter && sd.type !== ServerType.RSGhost);
  return servers.length > 0 && servers.every((sd) => sd.maxWireVersion >= CLIENT_BULK_WRITE_WIRE_VERSION);
}

export async function executeClientBulkWrite(
  ctx: ClientContext & { readonly topologyDescription: TopologyDescription | undefined },
  models: readonly AnyClientBulkWriteModel<any>[],
  options: ClientBulkWriteOptions = {},
): Promise<ClientBulkWriteResult> {
  if (!Array.isArray(models) || models.length === 0) throw new MongoInvalidArgumentError('client.bulkWrite() requires at least one model');
  const namespaces = new Map<string, number>();
  const insertedIds = new Map<number, unknown>();
  const ops = models.map((model, i): Document => {
    if (typeof model?.namespace !== 'string' || !model.namespace.includes('.')) throw new MongoInvalidArgumentError(`Model ${i} needs a namespace "db.collection"`);
    let index = namespaces.get(model.namespace);
    if (index === undefined) namespaces.set(model.namespace, (index = namespaces.size));
    switch (model.name) {
      case 'insertOne': {
        const document = model.document as Document;
        if (document === null || typeof document !== 'object') throw new MongoInvalidArgumentError('Document must be a valid JavaScript object');
        if (document._id === undefined) document._id = new ObjectId();
        insertedIds.set(i, document._id);
        return { insert: index, document };
      }
      case 'updateOne':
      case 'updateMany':
        checkUpdate(model.update);
        return assignDefined({ update: index, filter: model.filter, updateMods: model.update, multi: model.name === 'updateMany' }, {
          upsert: model.upsert,
          arrayFilters: model.arrayFilters,
          collation: model.collation,
          hint: model.hint,
        });
      case 'replaceOne':
        checkReplacement(model.replacement);
        return assignDefined({ update: index, filter: model.filter, updateMods: model.replacement, multi: false }, {
          upsert: model.upsert,
          collation: model.collation,
          hint: model.hint,
        });
      case 'deleteOne':
      case 'deleteMany':
        return assignDefined({ delete: index, filter: model.filter, multi: model.name === 'deleteMany' }, { collation: model.collation, hint: model.hint });
      default:
        throw new MongoInvalidArgumentError(`Unknown client bulk write model ${String((model as { name?: unknown }).name)}`);
    }
  });
  // The models are checked (client errors) before the server is asked for.
  await ctx.getExecutor();
  if (!supportsBulkWrite(ctx.topologyDescription)) {
    // nothing is sent; the official driver's error for a server without the command
    throw wrap(
      new MongoCompatibilityError(`client.bulkWrite() needs MongoDB 8.0+ (maxWireVersion ${CLIENT_BULK_WRITE_WIRE_VERSION})`),
      { code: ErrorCodes.CommandNotFound, codeName: 'CommandNotFound' },
    );
  }
  const verbose = options.verboseResults === true;
  const command = assignDefined(
    { bulkWrite: 1, errorsOnly: !verbose, ordered: options.ordered !== false, ops, nsInfo: [...namespaces.keys()].map((ns) => ({ ns })) },
    { bypassDocumentValidation: options.bypassDocumentValidation, comment: options.comment, let: options.let, writeConcern: writeConcernDocument(options.writeConcern) },
  );
  let reply: Document;
  try {
    reply = await runCommand(ctx, 'admin', command, options);
  } catch (error) {
    if (error instanceof MongoServerError) throw wrap(error, error.errorResponse);
    throw error;
  }
  const results = ((reply.cursor as Document | undefined)?.firstBatch as Document[] | undefined) ?? [];
  const summary = {
    acknowledged: true,
    insertedCount: Number(reply.nInserted ?? 0),
    upsertedCount: Number(reply.nUpserted ?? 0),
    matchedCount: Number(reply.nMatched ?? 0),
    modifiedCount: Number(reply.nModified ?? 0),
    deletedCount: Number(reply.nDeleted ?? 0),
  };
  const result: ClientBulkWriteResult = verbose ? { ...summary, ...verboseResults(models, results, insertedIds) } : summary;
  const errors = results.filter((r) => r.ok !== 1 && r.ok !== true);
  if (errors.length > 0 || reply.writeConcernError) {
    const first = errors[0] ?? (reply.writeConcernError as Document);
    const error = new MongoClientBulkWriteError({ ...first, errmsg: CLIENT_BULK_WRITE_FAILED });
    for (const e of errors) error.writeErrors.set(Number(e.idx), { code: Number(e.code), message: String(e.errmsg ?? '') });
    if (reply.writeConcernError) error.writeConcernErrors.push(reply.writeConcernError as Document);
    error.partialResult = result;
    throw error;
  }
  return result;
}


function verboseResults(models: readonly AnyClientBulkWriteModel<any>[], results: readonly Document[], insertedIds: Map<number, unknown>) {
  const insertResults = new Map<number, ClientInsertOneResult>();
  const updateResults = new Map<number, ClientUpdateResult>();
  const deleteResults = new Map<number, ClientDeleteResult>();
  for (const r of results) {
    if (r.ok !== 1 && r.ok !== true) continue;
    const idx = Number(r.idx);
    const name = models[idx]?.name;
    if (name === 'insertOne') insertResults.set(idx, { insertedId: insertedIds.get(idx) });
    else if (name === 'deleteOne' || name === 'deleteMany') deleteResults.set(idx, { deletedCount: Number(r.n ?? 0) });
    else {
      const upserted = r.upserted as Document | undefined;
      // as the official driver: an upsert counts in matchedCount (the server's n)
      const u: ClientUpdateResult = { matchedCount: Number(r.n ?? 0), modifiedCount: Number(r.nModified ?? 0), didUpsert: upserted !== undefined };
      if (upserted) u.upsertedId = upserted._id;
      updateResults.set(idx, u);
    }
  }
  return { insertResults, updateResults, deleteResults };
}
