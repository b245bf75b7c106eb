/** insert / find / getMore / killCursors / update / delete / findAndModify / count / distinct / aggregate. */
import { Long, ObjectId, UUID } from 'bson';
import { Aggregator } from 'mingo';
import { registerCommands, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode, WriteError } from '../errors.js';
import { effectiveCollation } from '../collation.js';
import { validateDocument, type ValidationContext } from '../validation.js';
import { isTimeseries } from '../collection-options.js';
import { checkSourceStagePositions, sourceStageDocs } from '../source-stages.js';
import { changeStreamGetMore, deleteEntry, isChangeStream, openChangeStream, updateEntry } from '../changestream/index.js';
import { extractText, metaFields, textSearch } from '../text.js';
import { readSource, refuseView } from './views.js';
import { applyUpdate, buildUpsert, classifyUpdate, compileFilter, evaluateLet, findStored, matches, mingoOptions, project, sameDocument, type EvalOptions, type UpdateKind, type WhereVerdicts } from '../query.js';
import { hasWhere, prepareWhere, whereRunOf } from '../query-where.js';
import { refuseWhereInPipeline } from '../js/where-plan.js';
import { duplicateKeyError, StoredDoc, type CollectionState } from '../storage/engine.js';
import type { RetryHooks } from '../node.js';
import type { ServerCursor } from '../cursors.js';
import { DEFAULT_AWAIT_MS } from '../changestream/stream.js';
import { TransactionConflict, waitOut, writeDeadline } from '../txn/write-blocking.js';
import { getPath, isPlainObject, keyOf, toView, toViewDoc, retypeDoc, type Doc } from '../storage/values.js';

// ---- argument helpers ----------------------------------------------------------------

export function collName(ctx: CommandContext): string {
  const v = ctx.args[ctx.name];
  if (typeof v !== 'string') {
    throw new CommandError(ErrorCode.InvalidNamespace, `collection name has invalid type ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v}`);
  }
  if (v === '' || v.includes('\0') || v.startsWith('.') || v.includes('$')) {
    throw new CommandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${ctx.db}.${v}'`);
  }
  return v;
}

export function optNumber(ctx: CommandContext, field: string, min = 0): number | undefined {
  const v = ctx.args[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') {
    throw new CommandError(ErrorCode.TypeMismatch, `BSON field '${ctx.name}.${field}' is the wrong type '${typeof v}', expected types '[long, int, decimal, double']`);
  }
  if (v < min) throw new CommandError(ErrorCode.BadValue, `${field} value must be non-negative, but received: ${v}`);
  return Math.trunc(v);
}

export function optDoc(ctx: CommandContext, field: string, from: Doc = ctx.body): Doc | undefined {
  const v = from[field];
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) {
    throw new CommandError(ErrorCode.TypeMismatch, `BSON field '${ctx.name}.${field}' is the wrong type '${Array.isArray(v) ? 'array' : typeof v}', expected type 'object'`);
  }
  return v;
}

/** The operation's `let` variables and collation (its own, else the collection's default). */
export function evalOptions(ctx: CommandContext, coll: CollectionState | undefined, collation: unknown = ctx.body.collation, letRaw: unknown = ctx.body.let): EvalOptions {
  return { variables: evaluateLet(toView(letRaw)), collation: effectiveCollation(toView(collation), toView(coll?.options.collation)) };
}

/** IDL: a statement of a write command with a field mongod does not know fails the whole command (40415). */
function checkStatementFields(cmd: string, field: string, st: Doc, known: ReadonlySet<string>): void {
  for (const k of Object.keys(st)) {
    if (!known.has(k)) throw new CommandError(40415, `BSON field '${cmd}.${field}.${k}' is an unknown field.`);
  }
}
const UPDATE_STATEMENT_FIELDS = new Set(['q', 'u', 'c', 'multi', 'upsert', 'arrayFilters', 'hint', 'collation', 'upsertSupplied', 'sampleId']);
const DELETE_STATEMENT_FIELDS = new Set(['q', 'limit', 'collation', 'hint', 'sampleId']);

/** Document validation for a write to `coll` (its validator, the command's bypassDocumentValidation). */
export function validationFor(ctx: CommandContext, db: string, coll: string): ValidationContext {
  const c = ctx.node.engine.getCollection(db, coll);
  return {
    options: c?.options ?? {},
    bypass: ctx.args.bypassDocumentValidation === true,
    warn: (info) => ctx.node.logger.log('STORAGE', 20294, `conn${ctx.conn.id}`, 'Document would fail validation', { namespace: `${db}.${coll}`, document: info }, { severity: 'W' }),
  };
}

function ordered(ctx: CommandContext): boolean {
  return ctx.args.ordered !== false;
}

function writeErrorEntry(index: number, e: unknown): Doc {
  if (e instanceof CommandError) return { index, code: e.code, ...e.extra, errmsg: e.message };
  return { index, code: ErrorCode.InternalError, errmsg: String((e as Error)?.message ?? e) };
}

function withWriteErrors(reply: Doc, errors: Doc[]): Doc {
  if (errors.length) reply.writeErrors = errors;
  return reply;
}

function j(ctx: CommandContext): { j?: boolean } {
  return { j: isPlainObject(ctx.args.writeConcern) && ctx.args.writeConcern.j === true };
}

// ---- insert --------------------------------------------------------------------------

/**
 * Big batches yield to the event loop now and then (as mongod yields), so that a replica
 * set member keeps answering heartbeats during a 100k-document insert. Each statement
 * still runs synchronously (retryable-write hooks bracket it).
 */
const YIELD_EVERY_MS = 20;
function yielder(ctx: CommandContext): () => Promise<void> | undefined {
  let last = Date.now();
  const role = ctx.node.role;
  const epoch = role.epoch;
  return () => {
    if (Date.now() - last < YIELD_EVERY_MS) return undefined;
    return new Promise<void>((resolve, reject) =>
      setImmediate(() => {
        last = Date.now();
        // mongod kills user writes on step-down: the rest of the batch must not run
        if (role.epoch !== epoch) reject(new CommandError(ErrorCode.InterruptedDueToReplStateChange, 'operation was interrupted'));
        else resolve();
      }),
    );
  };
}

async function insert(ctx: CommandContext): Promise<Doc> {
  const coll = collName(ctx);
  const docs = ctx.sequences.documents ?? (ctx.body.documents as Doc[] | undefined);
  if (!Array.isArray(docs)) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'insert.documents' is missing but a required field");
  if (docs.length > 100000) throw new CommandError(ErrorCode.InvalidOptions, `Write batch sizes must be between 1 and 100000. Got ${docs.length} operations.`);
  const ns = `${ctx.db}.${coll}`;
  const engine = ctx.node.engine;
  refuseView(ctx, ctx.db, coll);
  const timeField = timeFieldOf(engine.getCollection(ctx.db, coll));
  let n = 0;
  const errors: Doc[] = [];
  const retry = ctx.node.retry;
  const maybeYield = yielder(ctx);
  const deadline = writeDeadline(ctx.args.maxTimeMS);
  const validation = validationFor(ctx, ctx.db, coll);
  for (let i = 0; i < docs.length; i++) {
    const y = maybeYield();
    if (y) await y;
    ctx.node.opcounters.insert++;
    if (retry?.executed(i)) {
      n++;
      continue;
    }
    try {
      const raw = docs[i];
      if (!isPlainObject(raw)) throw new WriteError(ErrorCode.TypeMismatch, 'document must be an object');
      let doc: Doc = raw;
      if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
      else if (Object.keys(doc)[0] !== '_id') {
        const { _id, ...rest } = doc;
        doc = { _id, ...rest };
      }
      if (Array.isArray(doc._id)) throw new WriteError(ErrorCode.InvalidIdField, "The '_id' value cannot be of type array");
      if (doc._id instanceof RegExp) throw new WriteError(ErrorCode.InvalidIdField, "can't use a regex for _id");
      checkIdForStorage(doc._id);
      if (timeField !== undefined && !(doc[timeField] instanceof Date)) {
        throw new WriteError(ErrorCode.BadValue, `'${timeField}' must be present and contain a valid BSON UTC datetime value`);
      }
      validateDocument(validation, doc);
      engine.ensureCollection(ctx.db, coll);
      retry?.begin(i);
      engine.write({ op: 'i', ns, o: doc }, j(ctx));
      retry?.end(i);
      n++;
    } catch (e) {
      retry?.abort();
      if (e instanceof TransactionConflict) {
        // an open transaction wrote this document: wait for it, then run the statement again
        await waitOut(e, deadline, ctx.conn.signal);
        i--;
        continue;
      }
      errors.push(writeErrorEntry(i, e));
      if (ordered(ctx)) break;
    }
  }
  return withWriteErrors({ n }, errors);
}

/**
 * `returnKey: true`: each document becomes the key of the index the query would use
 * (the index led by the first sort field, else by a filter field); `{}` for a collection scan.
 */
function returnKeys(c: CollectionState | undefined, docs: Doc[], filter: Doc | undefined, sort: Doc | undefined): Doc[] {
  const firstSort = sort ? Object.keys(sort)[0] : undefined;
  const filterFields = filter ? Object.keys(filter).filter((k) => !k.startsWith('$')) : [];
  const usable = (c?.indexes ?? []).filter((i) => !i.hidden && !i.partialFilterExpression && !i.key._fts);
  const index = usable.find((i) => Object.keys(i.key)[0] === firstSort) ?? usable.find((i) => filterFields.includes(Object.keys(i.key)[0]!));
  if (!index) return docs.map(() => ({}));
  const fields = Object.keys(index.key);
  return docs.map((d) => Object.fromEntries(fields.map((f) => [f, getPath(d, f) ?? null])));
}

/** Projects documents; `{$meta: 'textScore'}` fields get the `$text` score (40218 without a `$text` filter). */
function withTextScores(docs: Doc[], stored: StoredDoc[], projection: Doc | undefined, scores: Map<StoredDoc, number>, filter: Doc | undefined, ev: EvalOptions): Doc[] {
  const metas = metaFields(projection ? toViewDoc(projection) : undefined);
  if (metas.length === 0) return project(docs, projection, ev);
  if (extractText(filter).text === undefined) throw new CommandError(40218, 'query requires text score metadata, but it is not available');
  const rest = Object.fromEntries(Object.entries(projection!).filter(([k]) => !metas.includes(k)));
  const out = project(docs, rest, ev);
  return out.map((d, i) => {
    const next = { ...d };
    for (const m of metas) next[m] = scores.get(stored[i]!) ?? 0;
    return next;
  });
}

function timeFieldOf(c: CollectionState | undefined): string | undefined {
  return isTimeseries(c) ? ((c!.options.timeseries as Doc).timeField as string) : undefined;
}

/** mongod's storage validation of `_id`: no `$`-prefixed field names inside it (DBRef fields aside). */
export function checkIdForStorage(id: unknown): void {
  if (!isPlainObject(id)) return;
  for (const [k, v] of Object.entries(id)) {
    if (k.startsWith('$') && k !== '$ref' && k !== '$id' && k !== '$db') {
      throw new WriteError(ErrorCode.DollarPrefixedFieldName, `_id fields may not contain '$'-prefixed fields: ${k} is not valid for storage.`);
    }
    checkIdForStorage(v);
  }
}

// ---- find / getMore / killCursors ----------------------------------------------------

/** A find whose filter has `$where` waits for its verdicts (query-where.ts); any other runs at once. */
function find(ctx: CommandContext): Doc | Promise<Doc> {
  const filter = optDoc(ctx, 'filter');
  if (!hasWhere(filter)) return findWith(ctx, undefined);
  const run = whereRunOf(ctx);
  return (async () => {
    const c = readSource(ctx, ctx.db, collName(ctx), (src, p) => runPipeline(ctx, src, p));
    const sorted = isPlainObject(ctx.args.sort) && Object.keys(ctx.args.sort).length > 0;
    const limit = typeof ctx.args.limit === 'number' && ctx.args.limit !== 0 ? Math.abs(Math.trunc(ctx.args.limit)) : Infinity;
    const skip = typeof ctx.args.skip === 'number' && ctx.args.skip > 0 ? Math.trunc(ctx.args.skip) : 0;
    const where = await prepareWhere(c, filter, evalOptions(ctx, c), run, sorted ? Infinity : skip + limit);
    return findWith(ctx, where);
  })();
}

function findWith(ctx: CommandContext, where: WhereVerdicts | undefined): Doc {
  const coll = collName(ctx);
  const ns = `${ctx.db}.${coll}`;
  const filter = optDoc(ctx, 'filter');
  const sort = optDoc(ctx, 'sort');
  const projection = optDoc(ctx, 'projection');
  const skip = optNumber(ctx, 'skip');
  let singleBatch = ctx.args.singleBatch === true;
  let limit: number | undefined;
  if (typeof ctx.args.limit === 'number' && ctx.args.limit < 0) {
    // legacy negative limit: a single batch of |limit|
    limit = Math.trunc(-ctx.args.limit);
    singleBatch = true;
  } else limit = optNumber(ctx, 'limit');
  const batchSize = optNumber(ctx, 'batchSize');
  const c = readSource(ctx, ctx.db, coll, (src, p) => runPipeline(ctx, src, p));
  const ev = evalOptions(ctx, c);
  const textScores = new Map<StoredDoc, number>();
  const stored = findStored(c, { filter, sort, skip, limit, eval: ev, textScores, where, min: ctx.args.min, max: ctx.args.max, hint: ctx.args.hint });
  let docs = stored.map((d) => d.doc);
  if (ns === 'local.oplog.rs') docs = docs.map(({ _id, ...entry }) => entry);
  const out = ctx.args.returnKey === true ? returnKeys(c, docs, filter, sort) : withTextScores(docs, stored, projection, textScores, filter, ev);
  const tailable = ctx.args.tailable === true;
  if (ctx.args.awaitData === true && !tailable) throw new CommandError(ErrorCode.FailedToParse, 'Cannot set awaitData without tailable');
  if (tailable && c && c.options.capped !== true && ns !== 'local.oplog.rs') {
    throw new CommandError(ErrorCode.BadValue, `error processing query: ${ns} tailable cursor requested on non capped collection`);
  }
  let refill: (() => Doc[]) | undefined;
  if (tailable) {
    // Capped collections keep insertion order: new documents are the ones not yet seen.
    const seen = new Set(docs.map((d) => keyOf(d._id)));
    refill = () => {
      const fresh = findStored(ctx.node.engine.getCollection(ctx.db, coll), { filter, eval: ev })
        .map((d) => d.doc)
        .filter((d) => !seen.has(keyOf(d._id)));
      for (const d of fresh) seen.add(keyOf(d._id));
      return project(fresh, projection, ev);
    };
  }
  const awaitData = ctx.args.awaitData === true;
  const { id, batch } = ctx.node.cursors.open(ns, out, { batchSize, limit, singleBatch, connectionId: ctx.conn.id, tailable, awaitData, refill });
  return { cursor: { firstBatch: batch, id, ns } };
}

function getMore(ctx: CommandContext): Doc | Promise<Doc> {
  const raw = ctx.body.getMore;
  if (!Long.isLong(raw)) throw new CommandError(ErrorCode.TypeMismatch, `BSON field 'getMore.getMore' is the wrong type '${typeof raw}', expected type 'long'`);
  const coll = ctx.args.collection;
  if (typeof coll !== 'string') throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'getMore.collection' is missing but a required field");
  const c = ctx.node.cursors.get(raw);
  if (!c) throw new CommandError(ErrorCode.CursorNotFound, `cursor id ${raw.toString()} not found`);
  const ns = `${ctx.db}.${coll}`;
  if (c.ns !== ns) throw new CommandError(ErrorCode.Unauthorized, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`);
  if (c.live) return changeStreamGetMore(ctx, c);
  if (c.awaitData) return awaitDataGetMore(ctx, c, ns);
  // mongod (getmore_cmd.cpp): a getMore's maxTimeMS is an awaitData cursor's wait for new
  // documents; on any other cursor it is refused, before the cursor is touched (it stays open).
  const maxTimeMS = ctx.args.maxTimeMS;
  if (typeof maxTimeMS === 'number' && maxTimeMS !== 0) {
    throw new CommandError(ErrorCode.BadValue, 'cannot set maxTimeMS on getMore command for a non-awaitData cursor');
  }
  const { id, batch } = ctx.node.cursors.next(c, optNumber(ctx, 'batchSize'));
  return { cursor: { nextBatch: batch, id, ns } };
}

/**
 * getMore on a tailable awaitData cursor, as mongod's: at the end of the collection it
 * waits for an insert up to its maxTimeMS (the await time, not a deadline: a timed-out
 * wait answers an empty batch; mongod's default is 1 s), answering as soon as one arrives;
 * killCursors meanwhile fails it with CursorKilled.
 */
async function awaitDataGetMore(ctx: CommandContext, c: ServerCursor, ns: string): Promise<Doc> {
  const awaitMs = typeof ctx.args.maxTimeMS === 'number' && ctx.args.maxTimeMS > 0 ? ctx.args.maxTimeMS : DEFAULT_AWAIT_MS;
  c.lastUsed = Date.now();
  const outcome = await ctx.node.cursors.awaitData(c, awaitMs, ctx.signal ?? ctx.conn.signal);
  if (outcome === 'killed') throw new CommandError(ErrorCode.CursorKilled, `cursor id ${c.id.toString()} was killed`);
  if (outcome === 'interrupted') throw new CommandError(ErrorCode.Interrupted, 'operation was interrupted');
  const { id, batch } = ctx.node.cursors.next(c, optNumber(ctx, 'batchSize'));
  return { cursor: { nextBatch: batch, id, ns } };
}

function killCursors(ctx: CommandContext): Doc {
  collName(ctx);
  const ids = ctx.body.cursors;
  if (!Array.isArray(ids)) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'killCursors.cursors' is missing but a required field");
  const cursorsKilled: Long[] = [];
  const cursorsNotFound: Long[] = [];
  for (const raw of ids) {
    const id = Long.isLong(raw) ? raw : Long.fromValue(raw as number);
    if (ctx.node.cursors.kill(id)) cursorsKilled.push(id);
    else cursorsNotFound.push(id);
  }
  return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [] };
}

// ---- update --------------------------------------------------------------------------

/** The `$where` verdicts of a write statement's filter over the collection as it is now. */
async function whereFor(ctx: CommandContext, coll: string, q: unknown, collation: unknown, need: number): Promise<WhereVerdicts | undefined> {
  const c = ctx.node.engine.getCollection(ctx.db, coll);
  const role = ctx.node.role;
  const epoch = role.epoch;
  const where = await prepareWhere(c, q, evalOptions(ctx, c, collation), whereRunOf(ctx), need);
  // mongod kills user writes on step-down: the statement must not run after one
  if (role.epoch !== epoch) throw new CommandError(ErrorCode.InterruptedDueToReplStateChange, 'operation was interrupted');
  return where;
}

interface UpdateStatement {
  q: Doc;
  u: Doc | Doc[];
  multi: boolean;
  upsert: boolean;
  arrayFilters?: unknown[];
  collation?: unknown;
  /** Pipeline constants (`c`). */
  c?: unknown;
}

function parseStatement(raw: unknown): UpdateStatement {
  if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, 'update statement must be an object');
  const q = raw.q;
  const u = raw.u;
  if (!isPlainObject(q)) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'update.updates.q' is missing but a required field");
  if (u === undefined) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'update.updates.u' is missing but a required field");
  return {
    q,
    u: u as Doc | Doc[],
    multi: raw.multi === true,
    upsert: raw.upsert === true,
    arrayFilters: Array.isArray(raw.arrayFilters) ? raw.arrayFilters : undefined,
    collation: raw.collation,
    c: raw.c,
  };
}

interface UpdateOutcome {
  n: number;
  nModified: number;
  upsertedId?: unknown;
}

/** Runs one update statement through the write path. */
function runUpdate(ctx: CommandContext, coll: string, st: UpdateStatement, where?: WhereVerdicts): UpdateOutcome {
  const kind: UpdateKind = classifyUpdate(st.u);
  if (st.multi && kind === 'replacement') throw new CommandError(ErrorCode.FailedToParse, 'multi update is not supported for replacement-style update');
  const engine = ctx.node.engine;
  const ns = `${ctx.db}.${coll}`;
  const c = engine.getCollection(ctx.db, coll);
  const base = evalOptions(ctx, c, st.collation);
  if (st.c !== undefined && kind !== 'pipeline') throw new CommandError(ErrorCode.FailedToParse, 'Constant values may only be specified for pipeline updates');
  const constants = evaluateLet(toView(st.c), 'update.updates.c');
  const ev: EvalOptions = constants ? { ...base, variables: { ...base.variables, ...constants } } : base;
  const targets = findStored(c, { filter: st.q, limit: st.multi ? 0 : 1, eval: ev, where });
  if (targets.length === 0) {
    if (!st.upsert) return { n: 0, nModified: 0 };
    const doc = buildUpsert(st.q, st.u, kind, { arrayFilters: st.arrayFilters, filter: st.q, eval: ev });
    checkIdForStorage(doc._id);
    validateDocument(validationFor(ctx, ctx.db, coll), doc);
    engine.ensureCollection(ctx.db, coll);
    engine.write({ op: 'i', ns, o: doc }, j(ctx));
    return { n: 1, nModified: 0, upsertedId: doc._id };
  }
  let nModified = 0;
  // a multi-document statement waits for every document before writing any
  if (targets.length > 1) for (const t of targets) engine.guardDocument(ns, t.doc._id);
  for (const t of targets) {
    const next = applyUpdate(t.doc, st.u, kind, { arrayFilters: st.arrayFilters, filter: st.q, eval: ev });
    if (sameDocument(t.doc, next)) continue;
    validateDocument(validationFor(ctx, ctx.db, coll), next, t.doc);
    engine.write(updateEntry(c, ns, t.doc, next, kind, st.u), j(ctx));
    nModified++;
  }
  return { n: targets.length, nModified };
}

async function update(ctx: CommandContext): Promise<Doc> {
  const coll = collName(ctx);
  const raw = ctx.sequences.updates ?? (ctx.body.updates as unknown[] | undefined);
  if (!Array.isArray(raw)) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'update.updates' is missing but a required field");
  refuseView(ctx, ctx.db, coll);
  for (const st of raw) if (isPlainObject(st)) checkStatementFields('update', 'updates', st, UPDATE_STATEMENT_FIELDS);
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const errors: Doc[] = [];
  const retry = ctx.node.retry;
  const maybeYield = yielder(ctx);
  const deadline = writeDeadline(ctx.args.maxTimeMS);
  for (let i = 0; i < raw.length; i++) {
    const y = maybeYield();
    if (y) await y;
    ctx.node.opcounters.update++;
    const done = retry?.executed(i);
    if (done) {
      for (const r of done) {
        if (r.op === 'i') {
          n++;
          upserted.push({ index: i, _id: r.id });
        } else if (r.op === 'u') {
          n++;
          nModified++;
        } else if (r.op === 'n' && r.o) {
          n += Number(r.o.n ?? 0);
          nModified += Number(r.o.nModified ?? 0);
        }
      }
      continue;
    }
    try {
      const st = parseStatement(raw[i]);
      const where = hasWhere(st.q) ? await whereFor(ctx, coll, st.q, st.collation, st.multi ? Infinity : 1) : undefined;
      retry?.begin(i);
      const res = runUpdate(ctx, coll, st, where);
      retry?.end(i, { msg: 'retryable write', n: res.n, nModified: res.nModified });
      n += res.n;
      nModified += res.nModified;
      if (res.upsertedId !== undefined) upserted.push({ index: i, _id: res.upsertedId });
    } catch (e) {
      retry?.abort();
      if (e instanceof TransactionConflict) {
        await waitOut(e, deadline, ctx.conn.signal);
        i--;
        continue;
      }
      errors.push(writeErrorEntry(i, e));
      if (ordered(ctx)) break;
    }
  }
  const reply: Doc = { n, nModified };
  if (upserted.length) reply.upserted = upserted;
  return withWriteErrors(reply, errors);
}

// ---- delete --------------------------------------------------------------------------

async function del(ctx: CommandContext): Promise<Doc> {
  const coll = collName(ctx);
  const raw = ctx.sequences.deletes ?? (ctx.body.deletes as unknown[] | undefined);
  if (!Array.isArray(raw)) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'delete.deletes' is missing but a required field");
  refuseView(ctx, ctx.db, coll);
  const ns = `${ctx.db}.${coll}`;
  for (const st of raw) if (isPlainObject(st)) checkStatementFields('delete', 'deletes', st, DELETE_STATEMENT_FIELDS);
  let n = 0;
  const errors: Doc[] = [];
  const retry = ctx.node.retry;
  const maybeYield = yielder(ctx);
  const deadline = writeDeadline(ctx.args.maxTimeMS);
  for (let i = 0; i < raw.length; i++) {
    const y = maybeYield();
    if (y) await y;
    ctx.node.opcounters.delete++;
    const done = retry?.executed(i);
    if (done) {
      for (const r of done) n += r.op === 'd' ? 1 : r.op === 'n' && r.o ? Number(r.o.n ?? 0) : 0;
      continue;
    }
    try {
      const st = raw[i];
      if (!isPlainObject(st) || !isPlainObject(st.q)) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'delete.deletes.q' is missing but a required field");
      const limit = toView(st.limit);
      if (limit !== 0 && limit !== 1) throw new CommandError(ErrorCode.FailedToParse, `The limit field in delete objects must be 0 or 1. Got ${String(limit)}`);
      const where = hasWhere(st.q) ? await whereFor(ctx, coll, st.q, st.collation, limit === 1 ? 1 : Infinity) : undefined;
      retry?.begin(i);
      const c = ctx.node.engine.getCollection(ctx.db, coll);
      const targets = findStored(c, { filter: st.q, limit: limit === 1 ? 1 : 0, eval: evalOptions(ctx, c, st.collation), where });
      let deleted = 0;
      if (targets.length > 1) for (const t of targets) ctx.node.engine.guardDocument(ns, t.doc._id);
      for (const t of targets) {
        ctx.node.engine.write(deleteEntry(c, ns, t.doc), j(ctx));
        deleted++;
      }
      retry?.end(i, { msg: 'retryable write', n: deleted });
      n += deleted;
    } catch (e) {
      retry?.abort();
      if (e instanceof TransactionConflict) {
        await waitOut(e, deadline, ctx.conn.signal);
        i--;
        continue;
      }
      errors.push(writeErrorEntry(i, e));
      if (ordered(ctx)) break;
    }
  }
  return withWriteErrors({ n }, errors);
}

// ---- findAndModify -------------------------------------------------------------------

/** findAndModify waits out an open transaction that wrote its document, then runs again. */
async function findAndModify(ctx: CommandContext): Promise<Doc> {
  const retry = ctx.node.retry;
  const deadline = writeDeadline(ctx.args.maxTimeMS);
  for (;;) {
    try {
      const query = optDoc(ctx, 'query');
      const where = hasWhere(query) && !retry?.executed(0) ? await whereFor(ctx, collName(ctx), query, ctx.body.collation, isPlainObject(ctx.args.sort) && Object.keys(ctx.args.sort).length > 0 ? Infinity : 1) : undefined;
      return findAndModifyRetryable(ctx, retry, where);
    } catch (e) {
      if (!(e instanceof TransactionConflict)) throw e;
      await waitOut(e, deadline, ctx.conn.signal);
    }
  }
}

/** A retryable findAndModify answers a retry from the reply recorded in a no-op oplog entry. */
function findAndModifyRetryable(ctx: CommandContext, retry: RetryHooks | undefined, where: WhereVerdicts | undefined): Doc {
  if (!retry) return findAndModifyOnce(ctx, where);
  const done = retry.executed(0);
  const image = done?.find((r) => r.op === 'n' && r.o && typeof r.o.findAndModifyReply === 'object');
  if (image) return image.o!.findAndModifyReply as Doc;
  retry.begin(0);
  try {
    const reply = findAndModifyOnce(ctx, where);
    retry.end(0, { msg: 'retryable findAndModify', findAndModifyReply: reply }, true);
    return reply;
  } catch (e) {
    retry.abort();
    throw e;
  }
}

function findAndModifyOnce(ctx: CommandContext, where: WhereVerdicts | undefined): Doc {
  const coll = collName(ctx);
  refuseView(ctx, ctx.db, coll);
  const ns = `${ctx.db}.${coll}`;
  const engine = ctx.node.engine;
  const query = optDoc(ctx, 'query') ?? {};
  const sort = optDoc(ctx, 'sort');
  const fields = optDoc(ctx, 'fields');
  const remove = ctx.args.remove === true;
  const u = ctx.body.update as Doc | Doc[] | undefined;
  const returnNew = ctx.args.new === true;
  const upsert = ctx.args.upsert === true;
  const arrayFilters = Array.isArray(ctx.body.arrayFilters) ? (ctx.body.arrayFilters as unknown[]) : undefined;
  if (remove && u !== undefined) throw new CommandError(ErrorCode.FailedToParse, 'Cannot specify both an update and remove=true');
  if (!remove && u === undefined) throw new CommandError(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && upsert) throw new CommandError(ErrorCode.FailedToParse, 'Cannot specify both upsert=true and remove=true ');
  if (remove && returnNew) throw new CommandError(ErrorCode.FailedToParse, 'Cannot specify both new=true and remove=true; \'remove\' always returns the deleted document');
  const c = engine.getCollection(ctx.db, coll);
  const ev = evalOptions(ctx, c);
  const target = findStored(c, { filter: query, sort, limit: 1, eval: ev, where })[0];
  const shape = (d: Doc | undefined): Doc | null => (d ? (project([d], fields, ev)[0] ?? null) : null);
  if (remove) {
    ctx.node.opcounters.delete++;
    if (!target) return { lastErrorObject: { n: 0 }, value: null };
    engine.write(deleteEntry(c, ns, target.doc), j(ctx));
    return { lastErrorObject: { n: 1 }, value: shape(target.doc) };
  }
  ctx.node.opcounters.update++;
  const kind = classifyUpdate(u);
  if (!target) {
    if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
    const doc = buildUpsert(query, u!, kind, { arrayFilters, filter: query, eval: ev });
    checkIdForStorage(doc._id);
    validateDocument(validationFor(ctx, ctx.db, coll), doc);
    engine.ensureCollection(ctx.db, coll);
    engine.write({ op: 'i', ns, o: doc }, j(ctx));
    return { lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id }, value: returnNew ? shape(doc) : null };
  }
  const next = applyUpdate(target.doc, u!, kind, { arrayFilters, filter: query, eval: ev });
  if (!sameDocument(target.doc, next)) validateDocument(validationFor(ctx, ctx.db, coll), next, target.doc);
  if (!sameDocument(target.doc, next)) engine.write(updateEntry(c, ns, target.doc, next, kind, u), j(ctx));
  return { lastErrorObject: { n: 1, updatedExisting: true }, value: shape(returnNew ? next : target.doc) };
}

// ---- count / distinct ----------------------------------------------------------------

function count(ctx: CommandContext): Doc | Promise<Doc> {
  const query = optDoc(ctx, 'query');
  if (!hasWhere(query)) return countWith(ctx, undefined);
  const run = whereRunOf(ctx);
  return (async () => {
    const c = readSource(ctx, ctx.db, collName(ctx), (src, p) => runPipeline(ctx, src, p));
    return countWith(ctx, await prepareWhere(c, query, evalOptions(ctx, c), run));
  })();
}

function countWith(ctx: CommandContext, where: WhereVerdicts | undefined): Doc {
  const coll = collName(ctx);
  const c = readSource(ctx, ctx.db, coll, (src, p) => runPipeline(ctx, src, p));
  const query = optDoc(ctx, 'query');
  const skip = optNumber(ctx, 'skip') ?? 0;
  let limit = typeof ctx.args.limit === 'number' ? Math.abs(ctx.args.limit) : 0;
  const ev = evalOptions(ctx, c);
  if (!c) return { n: 0 };
  let n: number;
  if (!query || Object.keys(query).length === 0) n = c.docs.size;
  else if (extractText(query).text !== undefined) n = findStored(c, { filter: query, eval: ev, where }).length;
  else {
    const q = compileFilter(query, ev, where);
    n = 0;
    for (const d of c.docs.values()) if (matches(q, d)) n++;
  }
  n = Math.max(0, n - skip);
  if (limit > 0) n = Math.min(n, limit);
  limit = 0;
  return { n };
}

function distinct(ctx: CommandContext): Doc | Promise<Doc> {
  const query = optDoc(ctx, 'query');
  if (!hasWhere(query)) return distinctWith(ctx, undefined);
  const run = whereRunOf(ctx);
  return (async () => {
    const c = readSource(ctx, ctx.db, collName(ctx), (src, p) => runPipeline(ctx, src, p));
    return distinctWith(ctx, await prepareWhere(c, query, evalOptions(ctx, c), run));
  })();
}

function distinctWith(ctx: CommandContext, where: WhereVerdicts | undefined): Doc {
  const coll = collName(ctx);
  const key = ctx.args.key;
  if (typeof key !== 'string') throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'distinct.key' is the wrong type, expected type 'string'");
  const c = readSource(ctx, ctx.db, coll, (src, p) => runPipeline(ctx, src, p));
  const ev = evalOptions(ctx, c);
  const docs = findStored(c, { filter: optDoc(ctx, 'query'), eval: ev, where });
  const collation = ev.collation;
  const seen = new Set<string>();
  const values: unknown[] = [];
  for (const d of docs) {
    let v = getPath(d.doc, key);
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [v];
    for (const x of list) {
      v = x;
      const k = keyOf(collation ? collation.keyValue(toView(x)) : x);
      if (seen.has(k)) continue;
      seen.add(k);
      values.push(x);
    }
  }
  return { values };
}

// ---- aggregate -----------------------------------------------------------------------

function resolverFor(ctx: CommandContext) {
  return (name: string): Doc[] => {
    const c = ctx.node.engine.getCollection(ctx.db, name);
    return c ? [...c.docs.values()].map((d) => d.view) : [];
  };
}

/** Runs a pipeline over stored documents; passthrough documents keep their BSON types. */
export function runPipeline(ctx: CommandContext, source: StoredDoc[] | Doc[], pipeline: Doc[], ev: EvalOptions = {}): Doc[] {
  const typedOf = new WeakMap<object, Doc>();
  const input = source.map((s) => {
    if (s instanceof StoredDoc) {
      const v = (s as StoredDoc).view;
      typedOf.set(v, (s as StoredDoc).doc);
      return v;
    }
    return toViewDoc(s as Doc);
  });
  let out: Doc[];
  try {
    out = new Aggregator(toView(pipeline) as Doc[], { ...mingoOptions(ev), collectionResolver: resolverFor(ctx) }).run(input) as Doc[];
  } catch (e) {
    if (e instanceof CommandError) throw e;
    throw new CommandError(ErrorCode.BadValue, (e as Error)?.message ?? String(e));
  }
  return out.map((d) => typedOf.get(d) ?? retypeDoc(d, undefined));
}

function writeStage(ctx: CommandContext, pipeline: Doc[]): { stage?: Doc; rest: Doc[] } {
  const last = pipeline[pipeline.length - 1];
  if (last && ('$out' in last || '$merge' in last)) return { stage: last, rest: pipeline.slice(0, -1) };
  return { rest: pipeline };
}

function target(ctx: CommandContext, spec: unknown): { db: string; coll: string } {
  if (typeof spec === 'string') return { db: ctx.db, coll: spec };
  if (isPlainObject(spec) && typeof spec.coll === 'string') return { db: typeof spec.db === 'string' ? spec.db : ctx.db, coll: spec.coll };
  throw new CommandError(ErrorCode.FailedToParse, '$out/$merge target must be a string or { db, coll }');
}

function applyOut(ctx: CommandContext, stage: Doc, results: Doc[]): void {
  const engine = ctx.node.engine;
  if ('$out' in stage) {
    const t = target(ctx, stage.$out);
    const old = engine.getCollection(t.db, t.coll);
    const indexes = old?.indexes.filter((i) => i.name !== '_id_') ?? [];
    // mongod writes into a temporary collection and renames it: a failure leaves the target as it was.
    const validation = validationFor(ctx, t.db, t.coll);
    const docs = results.map((d) => (d._id === undefined ? { _id: new ObjectId(), ...d } : d));
    for (const d of docs) validateDocument(validation, d);
    if (old) engine.write({ op: 'c', ns: `${t.db}.$cmd`, o: { drop: t.coll } });
    engine.write({ op: 'c', ns: `${t.db}.$cmd`, ui: new UUID(), o: { create: t.coll, ...(old?.options ?? {}) } });
    for (const spec of indexes) engine.write({ op: 'c', ns: `${t.db}.$cmd`, o: { createIndexes: t.coll, spec } });
    for (const d of docs) engine.write({ op: 'i', ns: `${t.db}.${t.coll}`, o: d });
    return;
  }
  const m = stage.$merge as Doc | string;
  const spec: Doc = typeof m === 'string' ? { into: m } : m;
  const t = target(ctx, spec.into);
  const whenMatched = spec.whenMatched ?? 'merge';
  const whenNotMatched = spec.whenNotMatched ?? 'insert';
  engine.ensureCollection(t.db, t.coll);
  const ns = `${t.db}.${t.coll}`;
  const validation = validationFor(ctx, t.db, t.coll);
  for (let d of results) {
    if (d._id === undefined) d = { _id: new ObjectId(), ...d };
    const c = engine.getCollection(t.db, t.coll)!;
    const existing = c.docs.get(keyOf(d._id));
    if (!existing) {
      if (whenNotMatched === 'insert') {
        validateDocument(validation, d);
        engine.write({ op: 'i', ns, o: d });
      }
      else if (whenNotMatched === 'fail') throw new CommandError(13113, '$merge could not find a matching document in the target collection for at least one document in the source collection');
      continue;
    }
    if (whenMatched === 'keepExisting') continue;
    if (whenMatched === 'fail') throw duplicateKeyError(c, c.indexes.find((i) => i.name === '_id_') ?? { v: 2, key: { _id: 1 }, name: '_id_' }, d);
    const next = whenMatched === 'replace' ? d : { ...existing.doc, ...d };
    validateDocument(validation, next, existing.doc);
    engine.write(updateEntry(c, ns, existing.doc, next, whenMatched === 'replace' ? 'replacement' : 'operators', { $set: d }));
  }
}

function aggregate(ctx: CommandContext): Doc {
  const pipeline = ctx.body.pipeline;
  if (!Array.isArray(pipeline)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'aggregate.pipeline' is the wrong type, expected type 'array'");
  const explain = ctx.args.explain === true;
  const cursorOpt = ctx.args.cursor;
  if (cursorOpt === undefined && !explain) {
    throw new CommandError(ErrorCode.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  }
  if (cursorOpt !== undefined && !isPlainObject(cursorOpt)) throw new CommandError(ErrorCode.TypeMismatch, "cursor field must be missing or an object");
  const batchSize = isPlainObject(cursorOpt) && typeof cursorOpt.batchSize === 'number' ? cursorOpt.batchSize : undefined;
  const stages = pipeline as Doc[];
  for (const s of stages) {
    if (!isPlainObject(s) || Object.keys(s).length !== 1) throw new CommandError(40323, 'A pipeline stage specification object must contain exactly one field.');
  }
  refuseWhereInPipeline(stages);
  checkSourceStagePositions(stages);
  if (isChangeStream(stages[0]) && !explain) {
    const coll = ctx.args.aggregate === 1 ? undefined : ctx.node.engine.getCollection(ctx.db, collName(ctx));
    return openChangeStream(ctx, stages, batchSize, evalOptions(ctx, coll));
  }
  const { stage, rest } = writeStage(ctx, stages);
  const rc = ctx.args.readConcern;
  if (stage && isPlainObject(rc) && rc.level === 'linearizable') {
    throw new CommandError(ErrorCode.InvalidOptions, `${Object.keys(stage)[0]!} cannot be used with a 'linearizable' read concern level`);
  }
  let source: StoredDoc[] | Doc[];
  let ns: string;
  let ev: EvalOptions;
  const generated = sourceStageDocs(ctx, rest[0], ctx.args.aggregate === 1 ? undefined : collName(ctx));
  if (generated) {
    rest.shift();
    source = generated;
    ns = ctx.args.aggregate === 1 ? `${ctx.db}.$cmd.aggregate` : `${ctx.db}.${collName(ctx)}`;
    ev = evalOptions(ctx, ctx.args.aggregate === 1 ? undefined : ctx.node.engine.getCollection(ctx.db, collName(ctx)));
  } else if (ctx.args.aggregate === 1) {
    // Collection-less aggregations start with a source stage; $changeStream is handled by the pipeline.
    const first = Object.keys(rest[0] ?? {})[0] ?? '';
    if (first !== '$changeStream') throw new CommandError(ErrorCode.InvalidNamespace, `{aggregate: 1} is not valid for '${first}'; a collection is required.`);
    ns = `${ctx.db}.$cmd.aggregate`;
    source = [];
    ev = evalOptions(ctx, undefined);
  } else {
    const coll = collName(ctx);
    ns = `${ctx.db}.${coll}`;
    const c = readSource(ctx, ctx.db, coll, (src, p) => runPipeline(ctx, src, p));
    ev = evalOptions(ctx, c);
    // Push a leading $match into the scan.
    if (rest[0] && '$match' in rest[0] && c) {
      const { text, rest: others } = extractText(isPlainObject(rest[0].$match) ? rest[0].$match : undefined);
      const q = compileFilter(text !== undefined ? others : rest[0].$match, ev);
      const candidates = text !== undefined ? [...textSearch(c, text).keys()] : [...c.docs.values()];
      source = candidates.filter((d) => matches(q, d));
      rest.shift();
    } else source = c ? [...c.docs.values()] : [];
  }
  const results = rest.length === 0 ? (source as Array<StoredDoc | Doc>).map((d) => (d instanceof StoredDoc ? d.doc : d)) : runPipeline(ctx, source, rest, ev);
  if (explain) return { explainVersion: '1', stages: stages, queryPlanner: { namespace: ns, winningPlan: { stage: 'COLLSCAN' } } };
  if (stage) {
    applyOut(ctx, stage, results);
    return { cursor: { firstBatch: [], id: Long.ZERO, ns } };
  }
  const { id, batch } = ctx.node.cursors.open(ns, results, { batchSize, connectionId: ctx.conn.id });
  return { cursor: { firstBatch: batch, id, ns } };
}

registerCommands({
  insert: { handler: insert, write: true, counter: 'none' },
  find: { handler: find, counter: 'query', secondary: 'optIn' },
  getMore: { handler: getMore, counter: 'getmore' },
  killCursors,
  update: { handler: update, write: true, counter: 'none' },
  delete: { handler: del, write: true, counter: 'none' },
  findAndModify: { handler: findAndModify, write: true },
  findandmodify: { handler: findAndModify, write: true },
  count: { handler: count, secondary: 'optIn' },
  distinct: { handler: distinct, secondary: 'optIn' },
  aggregate: {
    handler: aggregate,
    secondary: 'optIn',
    // $out/$merge make it a write; validated inside the write path like any other.
  },
});

export { toViewDoc };
