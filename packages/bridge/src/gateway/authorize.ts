/**
 * authorize(): the gateway's per-command rules, a pure function of (rules, principal,
 * command) -> allowed (with the command to forward, rewritten) | refused (code 13
 * Unauthorized, naming the rule). The same shape as the relay's admission.ts: who
 * asks, what for; the caller applies the result. Commands the gateway answers itself
 * (hello, getMore, killCursors, ...) never reach here (gatekeeper.ts routes them).
 *
 * Every command is on an allowlist with the fields it may carry; an unknown command or
 * field is refused. Reads get the rule's filter AND-ed in and the limits applied;
 * writes must keep every document inside the filter.
 */
import type { Document } from '@mongo-edge/core';
import {
  andFilter,
  boundProjection,
  checkQueryFields,
  checkSortFields,
  checkUpdateOperators,
  checkWrittenDocument,
  isPlainDocument,
  isReplacement,
  queryTouches,
  scanValue,
} from './filter.js';
import { collectionsAllowed, findRule, type BoundRule, type GatewayAction, type GatewayPrincipal, type RuleSet } from './rules.js';

export const UNAUTHORIZED = 13;

export interface AuthorizeLimits {
  readonly maxDocuments: number;
  readonly maxTimeMS: number;
  readonly maxBatchSize: number;
  readonly maxDepth: number;
}

export interface AuthorizePolicy extends RuleSet {
  readonly limits: AuthorizeLimits;
}

/** One decoded command without its envelope ($db, lsid, $readPreference, ... are the gateway's). */
export interface CommandRequest {
  readonly db: string;
  /** The command name (the first key). */
  readonly name: string;
  readonly body: Document;
  /** OP_MSG kind-1 sections (insert documents, update statements, ...). */
  readonly sequences: Readonly<Record<string, readonly Document[]>>;
}

export interface Authorized {
  readonly allowed: true;
  readonly action: GatewayAction;
  readonly namespace: string;
  readonly rule: string;
  /** The command to send (sequences folded into the body). */
  readonly command: Document;
  /** Goes to the primary whatever the read preference. */
  readonly write: boolean;
  /** The reply opens a cursor the caller owns. */
  readonly opensCursor: boolean;
}

export interface Refused {
  readonly allowed: false;
  readonly code: typeof UNAUTHORIZED;
  readonly message: string;
  readonly rule?: string | undefined;
  readonly action?: GatewayAction | undefined;
  readonly namespace?: string | undefined;
}

export type Authorization = Authorized | Refused;

const refuse = (message: string, extra: Partial<Pick<Refused, 'rule' | 'action' | 'namespace'>> = {}): Refused => ({ allowed: false, code: UNAUTHORIZED, message, ...extra });

interface CommandSpec {
  readonly action: GatewayAction;
  /** Fields besides the command name. */
  readonly fields: ReadonlySet<string>;
  readonly write: boolean;
  readonly opensCursor: boolean;
}

const spec = (action: GatewayAction, fields: string[], write = false, opensCursor = false): CommandSpec => ({ action, fields: new Set(fields), write, opensCursor });

/** The commands a client may send through authorize, by name. */
const COMMANDS: Readonly<Record<string, CommandSpec>> = Object.freeze({
  find: spec('find', ['filter', 'sort', 'projection', 'hint', 'skip', 'limit', 'batchSize', 'singleBatch', 'collation', 'allowDiskUse', 'let', 'allowPartialResults', 'max', 'min'], false, true),
  count: spec('count', ['query', 'limit', 'skip', 'hint', 'collation']),
  distinct: spec('distinct', ['key', 'query', 'collation', 'hint']),
  aggregate: spec('aggregate', ['pipeline', 'cursor', 'allowDiskUse', 'collation', 'hint', 'let'], false, true),
  insert: spec('insert', ['documents', 'ordered'], true),
  update: spec('update', ['updates', 'ordered', 'let'], true),
  delete: spec('delete', ['deletes', 'ordered', 'let'], true),
  findAndModify: spec('findAndModify', ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert', 'arrayFilters', 'collation', 'hint', 'let'], true),
  listCollections: spec('listCollections', ['filter', 'nameOnly', 'authorizedCollections', 'cursor'], false, true),
  listIndexes: spec('listIndexes', ['cursor'], false, true),
});

/** Fields any command may carry (read and write concerns, time limit, comment). */
const GENERIC_FIELDS: ReadonlySet<string> = new Set(['readConcern', 'writeConcern', 'maxTimeMS', 'comment']);

const clamp = (v: unknown, max: number): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(Math.floor(v), max) : max);

interface Ctx {
  readonly policy: AuthorizePolicy;
  readonly principal: GatewayPrincipal;
  readonly db: string;
  readonly bound: BoundRule;
  readonly readable: ReadonlySet<string> | undefined;
  readonly writable: ReadonlySet<string> | undefined;
  readonly what: string;
}

type Rewrite = { ok: true; command: Document } | { ok: false; message: string };

export function authorize(policy: AuthorizePolicy, principal: GatewayPrincipal, request: CommandRequest): Authorization {
  const { db, name, body } = request;
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) return refuse(`command ${name} is not allowed through the gateway`);
  const collection = name === 'listCollections' ? '$cmd' : body[name];
  if (typeof collection !== 'string' || collection === '') return refuse(`${name} needs a collection name`);
  const namespace = `${db}.${collection}`;
  for (const k of Object.keys(body)) {
    if (k !== name && !cmd.fields.has(k) && !GENERIC_FIELDS.has(k)) return refuse(`${name}: field ${k} is not allowed through the gateway`, { action: cmd.action, namespace });
  }
  const scanned = scanValue(body, policy.limits.maxDepth);
  if (!scanned.ok) return refuse(`${name}: ${scanned.message}`, { action: cmd.action, namespace });
  for (const [id, docs] of Object.entries(request.sequences)) {
    const s = scanValue(docs, policy.limits.maxDepth);
    if (!s.ok) return refuse(`${name} ${id}: ${s.message}`, { action: cmd.action, namespace });
  }

  if (cmd.action === 'listCollections') return listCollections(policy, principal, db, body);
  const found = findRule(policy, principal, db, collection, cmd.action);
  if (!found.ok) return refuse(found.message, { rule: found.rule, action: cmd.action, namespace });
  const { rule } = found.bound;
  const ctx: Ctx = {
    policy,
    principal,
    db,
    bound: found.bound,
    readable: rule.readFields ? new Set(rule.readFields) : undefined,
    writable: rule.writeFields ? new Set(rule.writeFields) : undefined,
    what: `rule ${rule.name}: ${name} on ${namespace}`,
  };
  const rewritten = rewrite(ctx, name, body, request.sequences);
  if (!rewritten.ok) return refuse(rewritten.message, { rule: rule.name, action: cmd.action, namespace });
  return { allowed: true, action: cmd.action, namespace, rule: rule.name, command: rewritten.command, write: cmd.write, opensCursor: cmd.opensCursor };
}

function rewrite(ctx: Ctx, name: string, body: Document, sequences: Readonly<Record<string, readonly Document[]>>): Rewrite {
  const { limits } = ctx.policy;
  const out: Document = { ...body };
  if (!cmdIsWrite(name)) out.maxTimeMS = clamp(body.maxTimeMS, limits.maxTimeMS);
  switch (name) {
    case 'find': {
      const q = readQuery(ctx, body.filter);
      if (!q.ok) return q;
      const s = checkSortFields(body.sort, ctx.readable, ctx.what);
      if (!s.ok) return s;
      const p = boundProjection(body.projection, ctx.readable, ctx.what);
      if (!p.ok) return p;
      if (body.min !== undefined || body.max !== undefined) {
        if (ctx.readable) return { ok: false, message: `${ctx.what}: min/max are not allowed where fields are restricted` };
      }
      out.filter = q.filter;
      if (p.projection !== undefined) out.projection = p.projection;
      out.limit = clamp(body.limit, limits.maxDocuments);
      if (body.batchSize !== undefined) out.batchSize = clamp(body.batchSize, limits.maxBatchSize);
      return { ok: true, command: out };
    }
    case 'count': {
      const q = readQuery(ctx, body.query);
      if (!q.ok) return q;
      out.query = q.filter;
      return { ok: true, command: out };
    }
    case 'distinct': {
      if (typeof body.key !== 'string') return { ok: false, message: `${ctx.what}: key must be a string` };
      if (ctx.readable && body.key.split('.')[0] !== '_id' && !ctx.readable.has(body.key.split('.')[0]!)) {
        return { ok: false, message: `${ctx.what}: field ${body.key} is not readable` };
      }
      const q = readQuery(ctx, body.query);
      if (!q.ok) return q;
      out.query = q.filter;
      return { ok: true, command: out };
    }
    case 'aggregate': {
      if (!Array.isArray(body.pipeline)) return { ok: false, message: `${ctx.what}: pipeline must be an array` };
      if (!isPlainDocument(body.cursor)) return { ok: false, message: `${ctx.what}: aggregate needs a cursor document (explain is not allowed)` };
      const p = checkPipeline(ctx, body.pipeline, 0);
      if (!p.ok) return p;
      out.pipeline = [...prefix(ctx.bound, ctx.readable), ...p.pipeline, { $limit: limits.maxDocuments }];
      const batch = (body.cursor as Document).batchSize;
      out.cursor = batch === undefined ? {} : { batchSize: clamp(batch, limits.maxBatchSize) };
      return { ok: true, command: out };
    }
    case 'insert': {
      const docs = statements(body, sequences, 'documents');
      if (!docs) return { ok: false, message: `${ctx.what}: documents must be an array` };
      const written: Document[] = [];
      for (const [i, d] of docs.entries()) {
        const w = checkWrittenDocument(d, ctx.bound.filter, ctx.writable, `${ctx.what} document ${i}`);
        if (!w.ok) return w;
        written.push(w.doc);
      }
      out.documents = written;
      return { ok: true, command: out };
    }
    case 'update': {
      const ups = statements(body, sequences, 'updates');
      if (!ups) return { ok: false, message: `${ctx.what}: updates must be an array` };
      const rewrittenUpdates: Document[] = [];
      for (const [i, st] of ups.entries()) {
        const what = `${ctx.what} statement ${i}`;
        if (!isPlainDocument(st)) return { ok: false, message: `${what}: must be a document` };
        for (const k of Object.keys(st)) if (!UPDATE_STATEMENT_FIELDS.has(k)) return { ok: false, message: `${what}: field ${k} is not allowed` };
        const q = writeQuery(ctx, st.q, what);
        if (!q.ok) return q;
        const bad = upsertQuery(ctx, st.q, st.upsert === true, what);
        if (bad) return bad;
        const u = checkUpdate(ctx, st.u, st.upsert === true, what);
        if (!u.ok) return u;
        rewrittenUpdates.push({ ...st, q: q.filter, u: u.update });
      }
      out.updates = rewrittenUpdates;
      return { ok: true, command: out };
    }
    case 'delete': {
      const dels = statements(body, sequences, 'deletes');
      if (!dels) return { ok: false, message: `${ctx.what}: deletes must be an array` };
      const rewrittenDeletes: Document[] = [];
      for (const [i, st] of dels.entries()) {
        const what = `${ctx.what} statement ${i}`;
        if (!isPlainDocument(st)) return { ok: false, message: `${what}: must be a document` };
        for (const k of Object.keys(st)) if (!DELETE_STATEMENT_FIELDS.has(k)) return { ok: false, message: `${what}: field ${k} is not allowed` };
        const q = writeQuery(ctx, st.q, what);
        if (!q.ok) return q;
        rewrittenDeletes.push({ ...st, q: q.filter });
      }
      out.deletes = rewrittenDeletes;
      return { ok: true, command: out };
    }
    case 'findAndModify': {
      const q = writeQuery(ctx, body.query ?? {}, ctx.what);
      if (!q.ok) return q;
      const s = checkSortFields(body.sort, ctx.readable, ctx.what);
      if (!s.ok) return s;
      const p = boundProjection(body.fields, ctx.readable, ctx.what);
      if (!p.ok) return p;
      out.query = q.filter;
      if (p.projection !== undefined) out.fields = p.projection;
      if (body.remove === true) {
        if (body.update !== undefined || body.upsert === true) return { ok: false, message: `${ctx.what}: remove with update or upsert` };
        return ruleAllows(ctx, 'delete') ?? { ok: true, command: out };
      }
      const bad = upsertQuery(ctx, body.query, body.upsert === true, ctx.what);
      if (bad) return bad;
      const u = checkUpdate(ctx, body.update, body.upsert === true, ctx.what);
      if (!u.ok) return u;
      out.update = u.update;
      return ruleAllows(ctx, 'update') ?? { ok: true, command: out };
    }
    case 'listIndexes':
      return { ok: true, command: out };
    default:
      return { ok: false, message: `${ctx.what}: not allowed` };
  }
}

const UPDATE_STATEMENT_FIELDS: ReadonlySet<string> = new Set(['q', 'u', 'upsert', 'multi', 'arrayFilters', 'collation', 'hint']);
const DELETE_STATEMENT_FIELDS: ReadonlySet<string> = new Set(['q', 'limit', 'collation', 'hint']);

const cmdIsWrite = (name: string): boolean => name === 'insert' || name === 'update' || name === 'delete' || name === 'findAndModify';

/** findAndModify also needs the rule to allow the write it does. */
function ruleAllows(ctx: Ctx, action: GatewayAction): Rewrite | undefined {
  return ctx.bound.rule.actions.includes(action) ? undefined : { ok: false, message: `${ctx.what}: rule ${ctx.bound.rule.name} does not allow ${action}` };
}

function statements(body: Document, sequences: Readonly<Record<string, readonly Document[]>>, id: string): readonly unknown[] | undefined {
  const inBody = body[id];
  const inSeq = sequences[id];
  if (inBody !== undefined && inSeq !== undefined) return undefined;
  const list = inSeq ?? inBody;
  return Array.isArray(list) ? list : undefined;
}

function readQuery(ctx: Ctx, q: unknown): { ok: true; filter: Document } | { ok: false; message: string } {
  if (q !== undefined && !isPlainDocument(q)) return { ok: false, message: `${ctx.what}: the query must be a document` };
  const f = checkQueryFields(q ?? {}, ctx.readable, ctx.what);
  if (!f.ok) return f;
  return { ok: true, filter: andFilter(ctx.bound.filter, q) };
}

/** An upsert's query may not name the rule's filter fields (see queryTouches). */
function upsertQuery(ctx: Ctx, q: unknown, upsert: boolean, what: string): Rewrite | undefined {
  if (!upsert) return undefined;
  const hit = queryTouches(q, Object.keys(ctx.bound.filter));
  return hit === undefined ? undefined : { ok: false, message: `${what}: an upsert's query may not constrain ${hit}, which the rule's filter sets` };
}

const writeQuery = (ctx: Ctx, q: unknown, what: string) => readQuery({ ...ctx, what }, q);

function checkUpdate(ctx: Ctx, u: unknown, upsert: boolean, what: string): { ok: true; update: Document } | { ok: false; message: string } {
  if (Array.isArray(u)) return { ok: false, message: `${what}: pipeline updates are not allowed through the gateway` };
  if (!isPlainDocument(u)) return { ok: false, message: `${what}: the update must be a document` };
  if (isReplacement(u)) {
    const w = checkWrittenDocument(u, ctx.bound.filter, ctx.writable, `${what} replacement`);
    return w.ok ? { ok: true, update: w.doc } : w;
  }
  return checkUpdateOperators(u, ctx.bound.filter, ctx.writable, upsert, what);
}

/** The stages every pipeline on a rule's collection starts with: its filter, then (if restricted) its readable fields. */
function prefix(bound: BoundRule, readable: ReadonlySet<string> | undefined): Document[] {
  const stages: Document[] = [{ $match: andFilter(bound.filter, undefined) }];
  if (readable) stages.push({ $project: Object.fromEntries([['_id', 1], ...[...readable].map((f) => [f, 1])]) });
  return stages;
}

/** Stages a client may use. */
const STAGES: ReadonlySet<string> = new Set([
  '$match', '$project', '$addFields', '$set', '$unset', '$sort', '$limit', '$skip', '$group', '$count', '$unwind', '$sortByCount',
  '$bucket', '$bucketAuto', '$replaceRoot', '$replaceWith', '$sample', '$facet', '$lookup', '$unionWith', '$graphLookup',
]);

function checkPipeline(ctx: Ctx, pipeline: readonly unknown[], depth: number): { ok: true; pipeline: Document[] } | { ok: false; message: string } {
  if (depth > 4) return { ok: false, message: `${ctx.what}: sub-pipelines nest too deep` };
  const out: Document[] = [];
  for (const [i, stage] of pipeline.entries()) {
    if (!isPlainDocument(stage) || Object.keys(stage).length !== 1) return { ok: false, message: `${ctx.what}: stage ${i} must be a document with one stage name` };
    const [op, arg] = Object.entries(stage)[0]!;
    if (!STAGES.has(op)) return { ok: false, message: `${ctx.what}: stage ${op} is not allowed` };
    switch (op) {
      case '$facet': {
        if (!isPlainDocument(arg)) return { ok: false, message: `${ctx.what}: $facet needs a document` };
        const facets: Document = {};
        for (const [k, sub] of Object.entries(arg)) {
          if (!Array.isArray(sub)) return { ok: false, message: `${ctx.what}: $facet.${k} must be a pipeline` };
          const p = checkPipeline(ctx, sub, depth + 1);
          if (!p.ok) return p;
          facets[k] = p.pipeline;
        }
        out.push({ $facet: facets });
        break;
      }
      case '$lookup': {
        if (!isPlainDocument(arg) || typeof arg.from !== 'string') return { ok: false, message: `${ctx.what}: $lookup needs from: a collection name` };
        const inner = foreign(ctx, arg.from, '$lookup');
        if (!inner.ok) return inner;
        const sub = arg.pipeline === undefined ? [] : arg.pipeline;
        if (!Array.isArray(sub)) return { ok: false, message: `${ctx.what}: $lookup.pipeline must be an array` };
        const p = checkPipeline(inner.ctx, sub, depth + 1);
        if (!p.ok) return p;
        for (const k of Object.keys(arg)) if (!['from', 'as', 'localField', 'foreignField', 'let', 'pipeline'].includes(k)) return { ok: false, message: `${ctx.what}: $lookup.${k} is not allowed` };
        if (typeof arg.foreignField === 'string' && inner.ctx.readable && !inner.ctx.readable.has(arg.foreignField.split('.')[0]!) && arg.foreignField !== '_id') {
          return { ok: false, message: `${inner.ctx.what}: field ${arg.foreignField} is not readable` };
        }
        out.push({ $lookup: { ...arg, pipeline: [...prefix(inner.ctx.bound, inner.ctx.readable), ...p.pipeline] } });
        break;
      }
      case '$unionWith': {
        const spec = typeof arg === 'string' ? { coll: arg } : arg;
        if (!isPlainDocument(spec) || typeof spec.coll !== 'string') return { ok: false, message: `${ctx.what}: $unionWith needs coll: a collection name` };
        for (const k of Object.keys(spec)) if (k !== 'coll' && k !== 'pipeline') return { ok: false, message: `${ctx.what}: $unionWith.${k} is not allowed` };
        const inner = foreign(ctx, spec.coll, '$unionWith');
        if (!inner.ok) return inner;
        const sub = spec.pipeline === undefined ? [] : spec.pipeline;
        if (!Array.isArray(sub)) return { ok: false, message: `${ctx.what}: $unionWith.pipeline must be an array` };
        const p = checkPipeline(inner.ctx, sub, depth + 1);
        if (!p.ok) return p;
        out.push({ $unionWith: { coll: spec.coll, pipeline: [...prefix(inner.ctx.bound, inner.ctx.readable), ...p.pipeline] } });
        break;
      }
      case '$graphLookup': {
        if (!isPlainDocument(arg) || typeof arg.from !== 'string') return { ok: false, message: `${ctx.what}: $graphLookup needs from: a collection name` };
        const inner = foreign(ctx, arg.from, '$graphLookup');
        if (!inner.ok) return inner;
        if (inner.ctx.readable) return { ok: false, message: `${inner.ctx.what}: $graphLookup returns whole documents, not allowed where fields are restricted` };
        const r = arg.restrictSearchWithMatch;
        if (r !== undefined && !isPlainDocument(r)) return { ok: false, message: `${ctx.what}: restrictSearchWithMatch must be a document` };
        out.push({ $graphLookup: { ...arg, restrictSearchWithMatch: andFilter(inner.ctx.bound.filter, r) } });
        break;
      }
      default:
        out.push(stage);
    }
  }
  return { ok: true, pipeline: out };
}

/** A stage reading another collection: the principal needs a find rule there, whose filter applies inside. */
function foreign(ctx: Ctx, coll: string, stage: string): { ok: true; ctx: Ctx } | { ok: false; message: string } {
  const found = findRule(ctx.policy, ctx.principal, ctx.db, coll, 'find');
  if (!found.ok) return { ok: false, message: `${ctx.what}: ${stage} into ${ctx.db}.${coll}: ${found.message}` };
  const r = found.bound.rule;
  return {
    ok: true,
    ctx: {
      ...ctx,
      bound: found.bound,
      readable: r.readFields ? new Set(r.readFields) : undefined,
      writable: undefined,
      what: `rule ${r.name}: ${stage} into ${ctx.db}.${coll}`,
    },
  };
}

function listCollections(policy: AuthorizePolicy, principal: GatewayPrincipal, db: string, body: Document): Authorization {
  const names = collectionsAllowed(policy, principal, db, 'listCollections');
  if (names.length === 0) return refuse(`no rule allows listCollections on ${db}`, { action: 'listCollections', namespace: `${db}.$cmd` });
  const filter = body.filter;
  if (filter !== undefined && !isPlainDocument(filter)) return refuse('listCollections: filter must be a document');
  return {
    allowed: true,
    action: 'listCollections',
    namespace: `${db}.$cmd`,
    rule: 'listCollections',
    command: { ...body, filter: andFilter({ name: { $in: names } }, filter) },
    write: false,
    opensCursor: true,
  };
}
