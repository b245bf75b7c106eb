/**
 * Bulk writes: models -> statements -> batches (by operation type, ordered or
 * not, within maxWriteBatchSize and the message size) -> insert/update/delete
 * commands with the statements as an OP_MSG kind-1 sequence -> BulkWriteResult
 * (bulk-execute.ts, loaded on first use; single-statement writes run here).
 */
import type { BSONSerializeOptions } from '../wire/bson-options.js';
import { ObjectId, calculateObjectSize } from 'bson';
import { DriverErrorCode, MongoDriverError, MongoInvalidArgumentError, type Document } from '../errors.js';
import { encodeDocument } from '../wire/bson-io.js';
import { DEFAULT_MAX_BSON_OBJECT_SIZE } from '../wire/constants.js';
import { attachEncodedSection, encodeSequenceSection } from '../wire/document-sequence.js';
import { newSectionBuffer, type SectionBuffer } from '../wire/section-buffer.js';
import { isUnacknowledged, writeConcernDocument, type WriteConcernLike } from './concerns.js';
import type { ExecuteOptions, WireLimits } from '../operation/executor.js';
import {
  assignDefined,
  copyDefined,
  executeCommand,
  throwIfWriteFailed,
  operationDeadline,
  withSession,
  type CommandTarget,
} from './operation.js';
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
  /** Client Side Operations Timeout of the whole write, every batch included (0 = none). */
  timeoutMS?: number;
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
  /** The statements' documents, in order, with their encoded document sequence attached (wire/document-sequence.ts). */
  documents: Document[];
}

/** The OP_MSG document sequence identifier of each batch type. */
const SEQUENCE_NAME = { insert: 'documents', update: 'updates', delete: 'deletes' } as const;

const isDocument = (value: unknown): value is Document => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Throws MongoInvalidArgumentError unless `value` is a plain object; `what` names the argument. */
export function checkDocument(value: unknown, what: string): asserts value is Document {
  if (!isDocument(value)) throw new MongoInvalidArgumentError(`${what} must be a plain object`);
}

const startsWithOperator = (doc: unknown): boolean =>
  doc !== null && typeof doc === 'object' && (Object.keys(doc)[0]?.startsWith('$') ?? false);

/** True if the update has operators ($set...) or is a pipeline. */
export function hasAtomicOperators(update: unknown): boolean {
  return Array.isArray(update) ? update.length > 0 && update.every(startsWithOperator) : startsWithOperator(update);
}

export function checkUpdate(update: unknown): void {
  if (update === null || typeof update !== 'object') throw new MongoInvalidArgumentError('Document must be a valid JavaScript object');
  if (!hasAtomicOperators(update)) throw new MongoInvalidArgumentError('Update document requires atomic operators');
}

export function checkReplacement(replacement: unknown): void {
  checkDocument(replacement, 'Replacement document');
  if (hasAtomicOperators(replacement)) throw new MongoInvalidArgumentError('Replacement document must not contain atomic operators');
}

/**
 * Give a document an ObjectId `_id` if it has none (undefined): mutates it, adding `_id` as
 * its last key, as the official driver does. An `_id` of null is kept and sent (CRUD spec,
 * crud/unified/create-null-ids.json), where the official driver 7.9 replaces it (`== null`).
 */
export function ensureId(doc: Document, forceServerObjectId = false): Document {
  // Not a document: the TypeError the official driver's `doc._id` access raises, word for word.
  if (doc === null || doc === undefined) throw new TypeError(`Cannot read properties of ${String(doc)} (reading '_id')`);
  if (typeof doc !== 'object') throw new TypeError(`Cannot create property '_id' on ${typeof doc} '${String(doc)}'`);
  checkDocument(doc, 'Document');
  if (!forceServerObjectId && doc._id === undefined) doc._id = new ObjectId();
  return doc;
}

/**
 * Whether inserted documents without an `_id` are left for the server to give one, decided as
 * the official driver 7 does: insertOne takes the call's option, else the Db's (`??`; a call's
 * `false` overrides a Db's `true`); insertMany, bulkWrite and the legacy bulk operations leave
 * `_id`s to the server when either the call or the Db says `true`. The Db's value is its own
 * option, else the client's (MongoClient.db() merges the client's options under the Db's).
 */
export function serverAssignsIds(write: 'insertOne' | 'bulk', call: boolean | undefined, db: boolean | undefined): boolean {
  return write === 'insertOne' ? (call ?? db ?? false) : call === true || db === true;
}

export function updateStatement(
  filter: Document,
  update: Document | Document[],
  o: { upsert?: boolean; multi?: boolean; arrayFilters?: Document[]; collation?: CollationOptions; hint?: Hint; sort?: Sort },
): Document {
  return assignDefined(
    { q: filter, u: update },
    {
      upsert: typeof o.upsert === 'boolean' ? o.upsert : undefined,
      multi: o.multi || undefined,
      hint: o.hint,
      arrayFilters: o.arrayFilters,
      collation: o.collation,
      sort: formatSort(o.sort),
    },
  );
}

export function deleteStatement(filter: Document, limit: 0 | 1, o: { collation?: CollationOptions; hint?: Hint }): Document {
  return copyDefined({ q: filter, limit }, o, ['hint', 'collation']);
}

/** The model names a bulkWrite operation may have, in the order they are looked for. */
const MODEL_NAMES = ['insertOne', 'updateMany', 'updateOne', 'replaceOne', 'deleteMany', 'deleteOne'] as const;

/** Bulk write models -> statements (validated; inserts get an `_id`). */
export function toStatements(operations: readonly AnyBulkWriteOperation<any>[], forceServerObjectId = false): Statement[] {
  return operations.map((op, index): Statement => {
    if (op === null || typeof op !== 'object') throw new MongoInvalidArgumentError(`Invalid bulkWrite operation at index ${index}`);
    const name = MODEL_NAMES.find((n) => n in op);
    if (name === undefined) throw new MongoInvalidArgumentError('bulkWrite only supports insertOne, updateOne, updateMany, deleteOne, deleteMany');
    const m = (op as unknown as Record<typeof name, Document>)[name];
    if (name === 'insertOne') {
      const document = m && typeof m === 'object' && 'document' in m ? m.document : m;
      return { type: 'insert', index, doc: ensureId(document as Document, forceServerObjectId), multi: false };
    }
    checkDocument(m.filter, 'Filter');
    const multi = name.endsWith('Many');
    if (name === 'deleteOne' || name === 'deleteMany') return { type: 'delete', index, doc: deleteStatement(m.filter, multi ? 0 : 1, m), multi };
    if (name === 'replaceOne') checkReplacement(m.replacement);
    else checkUpdate(m.update);
    const update = (name === 'replaceOne' ? m.replacement : m.update) as Document | Document[];
    return { type: 'update', index, doc: updateStatement(m.filter, update, { ...m, multi }), multi };
  });
}

/**
 * insertMany's statements, one per document, each given an `_id`: what toStatements makes
 * of `{ insertOne: { document } }` for every document, without the wrappers.
 */
export function toInsertStatements(documents: readonly unknown[], forceServerObjectId = false): Statement[] {
  const statements: Statement[] = [];
  for (let index = 0; index < documents.length; index++) {
    statements.push({ type: 'insert', index, doc: ensureId(documents[index] as Document, forceServerObjectId), multi: false });
  }
  return statements;
}

/** Room kept in a message for the command body and section headers. */
export const MESSAGE_OVERHEAD_BYTES = 16 * 1024;

/** The most a batch's section reserves ahead on the guess from its first document. */
const MAX_RESERVE_BYTES = 16 * 1024 * 1024;

const tooLarge = (maxBsonObjectSize: number): MongoInvalidArgumentError =>
  new MongoInvalidArgumentError(`Document is larger than the maximum size ${maxBsonObjectSize}`);

/**
 * A statement's document as BSON, encoded once: its length batches it and its bytes go
 * into the batch's document sequence. An insert over maxBsonObjectSize is refused with
 * MongoInvalidArgumentError; a document that cannot be encoded is a MongoDriverError
 * (InvalidBSON), as the connection reports one.
 */
export function encodeStatement(st: Statement, maxBsonObjectSize: number, ignoreUndefined = true): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encodeDocument(st.doc, ignoreUndefined ? undefined : { ignoreUndefined: false });
  } catch (cause) {
    // The encoder refuses documents past its buffer (17 MiB): measure to tell "too large" apart.
    let size = -1;
    try {
      size = calculateObjectSize(st.doc);
    } catch {
      // not measurable either: report the encoding error
    }
    if (st.type === 'insert' && size > maxBsonObjectSize) throw tooLarge(maxBsonObjectSize);
    throw new MongoDriverError(`cannot encode ${st.type}: ${(cause as Error).message}`, DriverErrorCode.InvalidBSON, { cause });
  }
  if (bytes.byteLength > DEFAULT_MAX_BSON_OBJECT_SIZE && calculateObjectSize(st.doc) !== bytes.byteLength) {
    // js-bson cuts a string that runs past its 17 MiB buffer short instead of failing: never send that.
    if (st.type === 'insert') throw tooLarge(maxBsonObjectSize);
    throw new MongoDriverError(`cannot encode ${st.type}: the document is larger than the encoder's buffer`, DriverErrorCode.InvalidBSON);
  }
  if (st.type === 'insert' && bytes.byteLength > maxBsonObjectSize) throw tooLarge(maxBsonObjectSize);
  return bytes;
}

/**
 * Split statements into batches. Ordered: runs of the same type, in order.
 * Unordered: all inserts, then all updates, then all deletes. Each batch holds at
 * most maxWriteBatchSize statements whose encoded documents total at most
 * maxMessageSizeBytes - MESSAGE_OVERHEAD_BYTES (a single larger statement goes alone).
 * Each statement is encoded once, in place into its batch's document sequence
 * (wire/section-buffer.ts: on Node the in-place writer, elsewhere encodeStatement for
 * every document; encodeStatement always for what only the bson package encodes); a
 * batch's `documents` carry that sequence for encodeOpMsg.
 */
export function makeBatches(statements: readonly Statement[], ordered: boolean, limits: WireLimits, ignoreUndefined = true): Batch[] {
  const undefinedAsNull = !ignoreUndefined;
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
    const type = group[0]!.type;
    const identifier = SEQUENCE_NAME[type];
    const capacity = Math.min(64 * 1024, 512 * group.length);
    let current: Statement[] = [];
    let section = openSection(identifier, capacity, undefinedAsNull);
    let bytes = 0;
    for (let g = 0; g < group.length; g++) {
      const st = group[g]!;
      const start = section.length;
      let size = section.tryAppend(st.doc);
      if (size < 0) {
        const encoded = encodeStatement(st, limits.maxBsonObjectSize, ignoreUndefined);
        section.append(encoded);
        size = encoded.byteLength;
      } else if (st.type === 'insert' && size > limits.maxBsonObjectSize) {
        throw tooLarge(limits.maxBsonObjectSize);
      }
      if (current.length > 0 && (current.length >= limits.maxWriteBatchSize || bytes + size > maxBytes)) {
        // this statement starts the next batch: move its bytes there
        const moved = section.cut(start);
        batches.push(sealBatch(type, current, section));
        current = [];
        section = openSection(identifier, capacity, undefinedAsNull);
        section.append(moved);
        bytes = 0;
      }
      current.push(st);
      bytes += size;
      if (current.length === 1 && g + 1 < group.length) {
        // Room for the whole batch at once, guessed from its first document (one insertMany's
        // documents are often alike) instead of doubling the buffer up to it.
        const expected = Math.min(group.length - g, limits.maxWriteBatchSize) * size;
        section.reserve(section.length + Math.min(expected - size, maxBytes - size, MAX_RESERVE_BYTES));
      }
    }
    batches.push(sealBatch(type, current, section));
  }
  return batches;
}

/** A section writer holding the kind-1 head (kind byte, size to be set, identifier, NUL). */
function openSection(identifier: string, capacity: number, undefinedAsNull: boolean): SectionBuffer {
  const section = newSectionBuffer(capacity, { undefinedAsNull });
  section.append(encodeSequenceSection(identifier, []));
  return section;
}

/** A batch whose documents carry their document sequence, written in place by `section`. */
function sealBatch(type: BatchType, statements: Statement[], section: SectionBuffer): Batch {
  const identifier = SEQUENCE_NAME[type];
  section.setInt32(1, section.length - 1);
  const documents = statements.map((s) => s.doc);
  return { type, statements, documents: attachEncodedSection(documents, identifier, section.bytes()) };
}

export interface BulkTarget extends CommandTarget {
  collection: string;
  /** The collection's BSON options (ignoreUndefined for the documents sent); default the client's. */
  bson?: BSONSerializeOptions;
}

/** The command body for one batch (the statements travel as a kind-1 sequence). */
export function batchCommand(target: BulkTarget, batch: Batch, ordered: boolean, options: BulkWriteOptions): Document {
  return assignDefined(
    { [batch.type]: target.collection, ordered },
    {
      writeConcern: writeConcernDocument(options.writeConcern ?? target.writeConcern),
      bypassDocumentValidation: batch.type === 'delete' ? undefined : options.bypassDocumentValidation,
      comment: options.comment,
      maxTimeMS: options.maxTimeMS,
      let: batch.type === 'insert' ? undefined : options.let,
    },
  );
}

/** Send one batch; unacknowledged batches go with moreToCome and no session. */
export async function sendBatch(
  target: BulkTarget,
  batch: Batch,
  ordered: boolean,
  options: BulkWriteOptions,
  session: ClientSession | undefined,
  unacknowledged: boolean,
  deadline: Pick<ExecuteOptions, 'timeout' | 'csot'>,
): Promise<Document> {
  const { reply } = await executeCommand(target.ctx, target.db, batchCommand(target, batch, ordered, options), {
    session,
    bson: target.bson,
    retryable: batch.statements.some((s) => s.multi) ? false : 'write',
    sequences: { [SEQUENCE_NAME[batch.type]]: batch.documents },
    moreToCome: unacknowledged || undefined,
    signal: options.signal,
    ...deadline,
  });
  return reply;
}

/** `n`, `nModified` and `upserted` of a write reply (0 and [] when absent). */
export function writeCounts(reply: Document): { n: number; nModified: number; upserted: Document[] } {
  return {
    n: typeof reply.n === 'number' ? reply.n : 0,
    nModified: typeof reply.nModified === 'number' ? reply.nModified : 0,
    upserted: Array.isArray(reply.upserted) ? (reply.upserted as Document[]) : [],
  };
}

/** The BSON option ignoreUndefined of the target (the collection's, else the client's); default false: undefined is null. */
export function ignoresUndefined(target: BulkTarget): boolean {
  return (target.bson ?? target.ctx.resolvedOptions.bsonOptions).ignoreUndefined === true;
}

/**
 * A single-statement write (insertOne, updateMany, deleteOne...): one command whose
 * first write error throws as a MongoServerError. Undefined when unacknowledged.
 */
export async function executeWrite(target: BulkTarget, statement: Statement, options: BulkWriteOptions): Promise<Document | undefined> {
  const [batch] = makeBatches([statement], true, (await target.ctx.getExecutor()).limits(), ignoresUndefined(target));
  // In a transaction the statements are acknowledged by its commit (no per-statement write concern).
  const unacknowledged = isUnacknowledged(options.writeConcern ?? target.writeConcern) && !options.session?.inTransaction();
  return await withSession(
    target.ctx,
    options.session,
    async (session) => {
      const reply = await sendBatch(target, batch!, true, options, session, unacknowledged, operationDeadline(target.ctx, options.timeoutMS, session));
      if (unacknowledged) return undefined;
      throwIfWriteFailed(reply);
      return reply;
    },
    unacknowledged,
  );
}
