/**
 * Bulk writes: models -> statements -> batches (by operation type, ordered or
 * not, within maxWriteBatchSize and the message size) -> insert/update/delete
 * commands with the statements as an OP_MSG kind-1 sequence -> BulkWriteResult.
 */
import { BSON, ObjectId } from 'bson';
import { MongoBulkWriteError, MongoInvalidArgumentError, type Document } from '../errors.js';
import { isUnacknowledged, writeConcernDocument, type WriteConcernLike } from './concerns.js';
import type { WireLimits } from './executor.js';
import { assignDefined, executeCommand, withSession, type ClientContext } from './operation.js';
import {
  BulkWriteResult,
  WriteConcernError,
  WriteError,
  emptyBulkState,
  type BulkResultState,
} from './results.js';
import type { ClientSession } from './sessions.js';
import { formatSort } from './sort.js';
import type { CollationOptions, Filter, Hint, OptionalId, Sort, UpdateFilter } from './types.js';

export interface InsertOneModel<TSchema = Document> {
  document: OptionalId<TSchema>;
}
export interface UpdateOneModel<TSchema = Document> {
  filter: Filter<TSchema>;
  update: UpdateFilter<TSchema> | Document[];
  upsert?: boolean;
  arrayFilters?: Document[];
  collation?: CollationOptions;
  hint?: Hint;
  sort?: Sort;
}
export type UpdateManyModel<TSchema = Document> = Omit<UpdateOneModel<TSchema>, 'sort'>;
export interface ReplaceOneModel<TSchema = Document> {
  filter: Filter<TSchema>;
  replacement: Document;
  upsert?: boolean;
  collation?: CollationOptions;
  hint?: Hint;
  sort?: Sort;
}
export interface DeleteOneModel<TSchema = Document> {
  filter: Filter<TSchema>;
  collation?: CollationOptions;
  hint?: Hint;
}
export type DeleteManyModel<TSchema = Document> = DeleteOneModel<TSchema>;

export type AnyBulkWriteOperation<TSchema = Document> =
  | { insertOne: InsertOneModel<TSchema> }
  | { replaceOne: ReplaceOneModel<TSchema> }
  | { updateOne: UpdateOneModel<TSchema> }
  | { updateMany: UpdateManyModel<TSchema> }
  | { deleteOne: DeleteOneModel<TSchema> }
  | { deleteMany: DeleteManyModel<TSchema> };

export interface BulkWriteOptions {
  ordered?: boolean;
  bypassDocumentValidation?: boolean;
  forceServerObjectId?: boolean;
  writeConcern?: WriteConcernLike;
  session?: ClientSession;
  comment?: unknown;
  let?: Document;
  maxTimeMS?: number;
  signal?: AbortSignal;
}

export type BatchType = 'insert' | 'update' | 'delete';

export interface Statement {
  type: BatchType;
  /** Index in the caller's list. */
  index: number;
  /** Insert: the document; update: { q, u, ... }; delete: { q, limit, ... }. */
  doc: Document;
  /** updateMany / deleteMany are not retryable. */
  multi: boolean;
}

export interface Batch {
  type: BatchType;
  statements: Statement[];
}

/** True if the update has operators ($set...) or is a pipeline. */
export function hasAtomicOperators(update: unknown): boolean {
  if (Array.isArray(update)) return update.length > 0 && update.every((s) => s && typeof s === 'object' && Object.keys(s)[0]?.startsWith('$'));
  if (update === null || typeof update !== 'object') return false;
  const keys = Object.keys(update);
  return keys.length > 0 && keys[0]!.startsWith('$');
}

export function checkUpdate(update: unknown): void {
  if (update === null || typeof update !== 'object') throw new MongoInvalidArgumentError('Update document must be an object or a pipeline');
  if (!hasAtomicOperators(update)) throw new MongoInvalidArgumentError('Update document requires atomic operators');
}

export function checkReplacement(replacement: unknown): void {
  if (replacement === null || typeof replacement !== 'object' || Array.isArray(replacement)) {
    throw new MongoInvalidArgumentError('Replacement document must be an object');
  }
  if (hasAtomicOperators(replacement)) throw new MongoInvalidArgumentError('Replacement document must not contain atomic operators');
}

function checkFilter(filter: unknown): void {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    throw new MongoInvalidArgumentError('Filter must be a plain object');
  }
}

/** Give a document an ObjectId `_id` if it has none (mutates, like the official driver). */
export function ensureId(doc: Document, forceServerObjectId = false): Document {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new MongoInvalidArgumentError('Document must be an object');
  if (!forceServerObjectId && doc._id === undefined) doc._id = new ObjectId();
  return doc;
}

export function updateStatement(
  filter: Document,
  update: Document | Document[],
  o: { upsert?: boolean; multi?: boolean; arrayFilters?: Document[]; collation?: CollationOptions; hint?: Hint; sort?: Sort },
): Document {
  const st: Document = { q: filter, u: update };
  assignDefined(st, {
    upsert: typeof o.upsert === 'boolean' ? o.upsert : undefined,
    multi: o.multi ? true : undefined,
    hint: o.hint,
    arrayFilters: o.arrayFilters,
    collation: o.collation,
    sort: formatSort(o.sort),
  });
  return st;
}

export function deleteStatement(filter: Document, limit: 0 | 1, o: { collation?: CollationOptions; hint?: Hint }): Document {
  const st: Document = { q: filter, limit };
  assignDefined(st, { hint: o.hint, collation: o.collation });
  return st;
}

export function toStatements(operations: readonly AnyBulkWriteOperation<any>[], forceServerObjectId = false): Statement[] {
  if (!Array.isArray(operations)) throw new MongoInvalidArgumentError('bulkWrite requires an array of operations');
  return operations.map((op, index): Statement => {
    if (op === null || typeof op !== 'object') throw new MongoInvalidArgumentError(`Invalid bulkWrite operation at index ${index}`);
    if ('insertOne' in op) {
      const m = op.insertOne as InsertOneModel | Document;
      const doc = (m && typeof m === 'object' && 'document' in m ? m.document : m) as Document;
      return { type: 'insert', index, doc: ensureId(doc, forceServerObjectId), multi: false };
    }
    if ('updateOne' in op || 'updateMany' in op) {
      const multi = 'updateMany' in op;
      const m = (multi ? (op as { updateMany: UpdateManyModel }).updateMany : (op as { updateOne: UpdateOneModel }).updateOne) as UpdateOneModel;
      checkFilter(m.filter);
      checkUpdate(m.update);
      return { type: 'update', index, doc: updateStatement(m.filter, m.update as Document, { ...m, multi }), multi };
    }
    if ('replaceOne' in op) {
      const m = op.replaceOne as ReplaceOneModel;
      checkFilter(m.filter);
      checkReplacement(m.replacement);
      return { type: 'update', index, doc: updateStatement(m.filter, m.replacement, { ...m, multi: false }), multi: false };
    }
    if ('deleteOne' in op || 'deleteMany' in op) {
      const multi = 'deleteMany' in op;
      const m = (multi ? (op as { deleteMany: DeleteManyModel }).deleteMany : (op as { deleteOne: DeleteOneModel }).deleteOne) as DeleteOneModel;
      checkFilter(m.filter);
      return { type: 'delete', index, doc: deleteStatement(m.filter, multi ? 0 : 1, m), multi };
    }
    throw new MongoInvalidArgumentError(`Invalid bulkWrite operation at index ${index}: ${Object.keys(op).join(', ')}`);
  });
}

/** Room kept in a message for the command body and section headers. */
export const MESSAGE_OVERHEAD_BYTES = 16 * 1024;

/**
 * Split statements into batches. Ordered: runs of the same type, in order.
 * Unordered: all inserts, then all updates, then all deletes. Each batch holds at
 * most maxWriteBatchSize statements and fits in maxMessageSizeBytes.
 */
export function makeBatches(statements: readonly Statement[], ordered: boolean, limits: WireLimits): Batch[] {
  const maxBytes = Math.max(1, limits.maxMessageSizeBytes - MESSAGE_OVERHEAD_BYTES);
  const groups: Statement[][] = [];
  if (ordered) {
    for (const st of statements) {
      const last = groups[groups.length - 1];
      if (last && last[0]!.type === st.type) last.push(st);
      else groups.push([st]);
    }
  } else {
    for (const type of ['insert', 'update', 'delete'] as const) {
      const g = statements.filter((s) => s.type === type);
      if (g.length > 0) groups.push(g);
    }
  }
  const batches: Batch[] = [];
  for (const group of groups) {
    let current: Statement[] = [];
    let bytes = 0;
    for (const st of group) {
      const size = BSON.calculateObjectSize(st.doc);
      if (st.type === 'insert' && size > limits.maxBsonObjectSize) {
        throw new MongoInvalidArgumentError(`Document is larger than the maximum size ${limits.maxBsonObjectSize}`);
      }
      if (current.length > 0 && (current.length >= limits.maxWriteBatchSize || bytes + size > maxBytes)) {
        batches.push({ type: st.type, statements: current });
        current = [];
        bytes = 0;
      }
      current.push(st);
      bytes += size;
    }
    if (current.length > 0) batches.push({ type: current[0]!.type, statements: current });
  }
  return batches;
}

const SEQUENCE_NAME = { insert: 'documents', update: 'updates', delete: 'deletes' } as const;

export interface BulkTarget {
  ctx: ClientContext;
  db: string;
  collection: string;
  writeConcern: WriteConcernLike | undefined;
}

/** The command body for one batch (the statements travel as a kind-1 sequence). */
export function batchCommand(target: BulkTarget, batch: Batch, ordered: boolean, options: BulkWriteOptions): Document {
  const cmd: Document = { [batch.type]: target.collection, ordered };
  assignDefined(cmd, {
    writeConcern: writeConcernDocument(options.writeConcern ?? target.writeConcern),
    bypassDocumentValidation: batch.type === 'delete' ? undefined : options.bypassDocumentValidation,
    comment: options.comment,
    maxTimeMS: options.maxTimeMS,
    let: batch.type === 'insert' ? undefined : options.let,
  });
  return cmd;
}

function mergeBatch(state: BulkResultState, batch: Batch, reply: Document, ordered: boolean): void {
  const n = typeof reply.n === 'number' ? reply.n : 0;
  const errors = Array.isArray(reply.writeErrors) ? (reply.writeErrors as Document[]) : [];
  const errorPositions = new Set(errors.map((e) => e.index as number));
  const firstError = errors.length > 0 ? Math.min(...errorPositions) : Infinity;
  switch (batch.type) {
    case 'insert': {
      state.nInserted += n;
      batch.statements.forEach((st, i) => {
        if (errorPositions.has(i) || (ordered && i > firstError)) return;
        state.insertedIds.push({ index: st.index, _id: st.doc._id });
      });
      break;
    }
    case 'update': {
      const upserted = Array.isArray(reply.upserted) ? (reply.upserted as Document[]) : [];
      state.nUpserted += upserted.length;
      state.nMatched += n - upserted.length;
      state.nModified += typeof reply.nModified === 'number' ? reply.nModified : 0;
      for (const u of upserted) {
        const st = batch.statements[u.index as number];
        state.upserted.push({ index: st ? st.index : (u.index as number), _id: u._id });
      }
      break;
    }
    case 'delete':
      state.nRemoved += n;
      break;
    default: {
      const never: never = batch.type;
      throw new MongoInvalidArgumentError(`unknown batch type ${String(never)}`);
    }
  }
  for (const e of errors) {
    const st = batch.statements[e.index as number];
    state.writeErrors.push(
      new WriteError({ ...e, index: st ? st.index : (e.index as number), code: e.code as number, op: st?.doc }),
    );
  }
  if (reply.writeConcernError) state.writeConcernErrors.push(new WriteConcernError(reply.writeConcernError as Document));
}

export function bulkWriteError(state: BulkResultState, reply?: Document): MongoBulkWriteError {
  const result = new BulkWriteResult(state);
  const first = state.writeErrors[0];
  const wce = result.getWriteConcernError();
  const response: Document = {
    errmsg: first?.errmsg ?? wce?.errmsg ?? 'write concern error',
    code: first?.code ?? wce?.code ?? 0,
    errorLabels: reply?.errorLabels,
    insertedCount: result.insertedCount,
    matchedCount: result.matchedCount,
    modifiedCount: result.modifiedCount,
    deletedCount: result.deletedCount,
    upsertedCount: result.upsertedCount,
    insertedIds: result.insertedIds,
    upsertedIds: result.upsertedIds,
  };
  if (wce) response.writeConcernError = wce.serverError;
  return new MongoBulkWriteError(response, state.writeErrors as unknown as Document[], result);
}

export interface BulkOutcome {
  acknowledged: boolean;
  result: BulkWriteResult;
}

/** Run the statements; throws MongoBulkWriteError on write or write-concern errors. */
export async function executeBulk(
  target: BulkTarget,
  statements: Statement[],
  options: BulkWriteOptions = {},
): Promise<BulkOutcome> {
  const ordered = options.ordered ?? true;
  const wc = options.writeConcern ?? target.writeConcern;
  const unacknowledged = isUnacknowledged(wc);
  if (statements.length === 0) throw new MongoInvalidArgumentError('Invalid BulkOperation, Batch cannot be empty');
  const executor = await target.ctx.getExecutor();
  const batches = makeBatches(statements, ordered, executor.limits());
  const state = emptyBulkState();
  let lastReply: Document | undefined;
  await withSession(
    target.ctx,
    options.session,
    async (session) => {
      for (const batch of batches) {
        const { reply } = await executeCommand(target.ctx, target.db, batchCommand(target, batch, ordered, options), {
          session,
          retryable: batch.statements.some((s) => s.multi) ? false : 'write',
          sequences: { [SEQUENCE_NAME[batch.type]]: batch.statements.map((s) => s.doc) },
          moreToCome: unacknowledged || undefined,
          signal: options.signal,
        });
        if (unacknowledged) continue;
        lastReply = reply;
        mergeBatch(state, batch, reply, ordered);
        if (ordered && state.writeErrors.length > 0) break;
      }
    },
    unacknowledged,
  );
  if (unacknowledged) {
    for (const st of statements) if (st.type === 'insert') state.insertedIds.push({ index: st.index, _id: st.doc._id });
    return { acknowledged: false, result: new BulkWriteResult(state) };
  }
  if (state.writeErrors.length > 0 || state.writeConcernErrors.length > 0) throw bulkWriteError(state, lastReply);
  return { acknowledged: true, result: new BulkWriteResult(state) };
}
