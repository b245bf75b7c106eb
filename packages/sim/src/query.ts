/** Query, sort, projection and update evaluation on top of mingo (see storage/values.ts for the two representations). */
import { ObjectId, Timestamp } from 'bson';
import { Aggregator, Query, update as mingoUpdate } from 'mingo';
import type { Collation } from './collation.js';
import { CommandError, ErrorCode } from './errors.js';
import { extractText, textSearch } from './text.js';
import { jsonSchemaPredicate } from './validation.js';
import { planWhere, rewriteWhere, WHERE_NOT_ALLOWED, type WherePlan } from './js/where-plan.js';
import type { CollectionState, StoredDoc } from './storage/engine.js';
import { compareValues, formatDoc, formatValue, getPath, hintFromPaths, isPlainObject, keyOf, retype, retypeDoc, sameDocument, toView, toViewDoc, type Doc } from './storage/values.js';

const MINGO_OPTS = { useStrictMode: true, scriptEnabled: false, jsonSchemaValidator: jsonSchemaPredicate } as const;

function mingoError(e: unknown): never {
  if (e instanceof CommandError) throw e;
  const msg = (e as Error)?.message ?? String(e);
  if (/immutable field '_id'/.test(msg)) throw new CommandError(ErrorCode.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  throw new CommandError(ErrorCode.BadValue, msg);
}

/** How an operation evaluates expressions: its `let` variables and its collation. */
export interface EvalOptions {
  /** Evaluated `let` variables (view values), see evaluateLet. */
  readonly variables?: Doc;
  readonly collation?: Collation;
}

/** mingo options for an operation. */
export function mingoOptions(opts: EvalOptions = {}): Record<string, unknown> {
  const o: Record<string, unknown> = { ...MINGO_OPTS };
  if (opts.variables) o.variables = opts.variables;
  if (opts.collation) o.collation = { ...opts.collation.spec, strength: Math.min(opts.collation.spec.strength, 3) };
  return o;
}

/**
 * The verdicts of a filter's `$where` clauses, computed off the event loop before the
 * synchronous matcher runs (query-where.ts): per stored document, one verdict per clause.
 * A document without verdicts (written after they were computed) does not match.
 */
export interface WhereVerdicts {
  readonly plan: WherePlan;
  readonly verdicts: ReadonlyMap<StoredDoc, readonly boolean[]>;
}

/** A compiled filter: with a collation that changes equality, documents and operands are compared by collation keys. */
export class Matcher {
  readonly #q: Query;
  readonly #collation: Collation | undefined;
  readonly #where: WhereVerdicts | undefined;
  #current: StoredDoc | undefined;
  constructor(filter: Doc, opts: EvalOptions, where?: WhereVerdicts) {
    this.#collation = opts.collation?.affectsEquality ? opts.collation : undefined;
    this.#where = where;
    // each $where operand becomes a function reading the verdict of the document under test
    const source = where ? rewriteWhere(filter, (i) => (this.#current ? (where.verdicts.get(this.#current)?.[i] ?? false) : false)) : filter;
    const view = toViewDoc(source);
    const o = mingoOptions(opts);
    if (where) o.scriptEnabled = true;
    this.#q = new Query((this.#collation ? this.#collation.keyFilter(view) : view) as Doc, o);
  }

  testView(view: Doc): boolean {
    try {
      return this.#q.test(this.#collation ? (this.#collation.keyValue(view) as Doc) : view);
    } catch (e) {
      mingoError(e);
    }
  }

  testStored(d: StoredDoc): boolean {
    if (!this.#where) return this.testView(d.view);
    this.#current = d;
    try {
      return this.testView(d.view);
    } finally {
      this.#current = undefined;
    }
  }
}

/**
 * Compiles a filter. A filter with `$where` needs its verdicts (`where`): without them
 * (a context that evaluates no JavaScript) it is BadValue, as in mongod's pipeline parser.
 */
export function compileFilter(filter: unknown, opts: EvalOptions = {}, where?: WhereVerdicts): Matcher | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (!isPlainObject(filter)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'filter' is the wrong type, expected type 'object'");
  if (Object.keys(filter).length === 0) return undefined;
  if (!where && planWhere(filter)) throw new CommandError(ErrorCode.BadValue, WHERE_NOT_ALLOWED);
  try {
    return new Matcher(filter, opts, where);
  } catch (e) {
    mingoError(e);
  }
}

export function matches(q: Matcher | undefined, d: StoredDoc): boolean {
  return q ? q.testStored(d) : true;
}

/**
 * Evaluates an operation's `let` document once (as mongod does): each value is an
 * aggregation expression (`{$literal: '$x'}`, `{$rand: {}}`...). Returns view values.
 */
export function evaluateLet(raw: unknown, field = 'let'): Doc | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, `BSON field '${field}' is the wrong type, expected type 'object'`);
  for (const name of Object.keys(raw)) {
    if (!/^[a-z\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*$/.test(name)) {
      throw new CommandError(ErrorCode.FailedToParse, `'${name}' starts with an invalid character for a user variable name`);
    }
  }
  if (Object.keys(raw).length === 0) return {};
  try {
    const out = new Aggregator([{ $replaceWith: toViewDoc(raw) }], MINGO_OPTS).run([{}]) as Doc[];
    return out[0] ?? {};
  } catch (e) {
    mingoError(e);
  }
}

/** Sort key value of a path: for arrays, the min (ascending) or max (descending) element. */
function sortValue(doc: Doc, path: string, dir: number, cmp: (a: unknown, b: unknown) => number): unknown {
  const v = getPath(doc, path);
  if (!Array.isArray(v)) return v;
  const flat = v.flat(Infinity);
  if (flat.length === 0) return undefined;
  let best = flat[0];
  for (const x of flat) if (dir > 0 ? cmp(x, best) < 0 : cmp(x, best) > 0) best = x;
  return best;
}

/** compareValues, with strings ordered by the collation when there is one. */
export function comparerFor(collation: Collation | undefined): (a: unknown, b: unknown) => number {
  if (!collation) return compareValues;
  return (a, b) => (typeof a === 'string' && typeof b === 'string' ? collation.compare(a, b) : compareValues(a, b));
}

export function sortStored(docs: StoredDoc[], sort: unknown, collation?: Collation, textScores?: Map<StoredDoc, number>): StoredDoc[] {
  const cmp = comparerFor(collation);
  const metaKeys = isPlainObject(sort) ? Object.values(sort).filter((d) => isPlainObject(d) && d.$meta === 'textScore').length : 0;
  if (metaKeys > 0 && !textScores) throw new CommandError(40218, 'query requires text score metadata, but it is not available');
  if (!isPlainObject(sort) || Object.keys(sort).length === 0) return docs;
  const keys = Object.entries(toViewDoc(sort))
    .filter(([k]) => k !== '$natural')
    .map(([k, d]) => {
      if (isPlainObject(d)) return [k, d.$meta === 'textScore' ? 2 : 0] as const; // { $meta: 'textScore' }: by score, highest first
      if (d !== 1 && d !== -1) throw new CommandError(ErrorCode.BadValue, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
      return [k, d] as const;
    })
    .filter(([, d]) => d !== 0);
  if (isPlainObject(sort) && (sort as Doc).$natural === -1) docs = [...docs].reverse();
  if (keys.length === 0) return docs;
  const decorated = docs.map((d) => ({ d, k: keys.map(([p, dir]) => (dir === 2 ? (textScores?.get(d) ?? 0) : sortValue(d.view, p, dir, cmp))) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const dir = keys[i]![1];
      const c = dir === 2 ? compareValues(b.k[i], a.k[i]) : cmp(a.k[i], b.k[i]) * dir;
      if (c !== 0) return c;
    }
    return 0;
  });
  return decorated.map((x) => x.d);
}

export function project(docs: Doc[], projection: unknown, opts: EvalOptions = {}): Doc[] {
  if (!isPlainObject(projection) || Object.keys(projection).length === 0) return docs;
  try {
    return new Query({}, mingoOptions(opts)).find<Doc>(docs, toViewDoc(projection)).all();
  } catch (e) {
    mingoError(e);
  }
}

export interface FindSpec {
  filter?: unknown;
  sort?: unknown;
  skip?: number;
  limit?: number;
  eval?: EvalOptions;
  /** Filled with the text scores when the filter has `$text`. */
  textScores?: Map<StoredDoc, number>;
  /** The verdicts of the filter's `$where` clauses (query-where.ts). */
  where?: WhereVerdicts;
  /** find's `min` / `max` index bounds (inclusive / exclusive), with the `hint` naming the index. */
  min?: unknown;
  max?: unknown;
  hint?: unknown;
}

/** The key pattern a find `hint` names (a key pattern, or an index name), if an index has it. */
function hintedKeyPattern(coll: CollectionState, hint: unknown): Doc | undefined {
  if (typeof hint === 'string') return coll.indexes.find((i) => i.name === hint)?.key as Doc | undefined;
  if (isPlainObject(hint) && Object.keys(hint).length > 0) return hint;
  return undefined;
}

/**
 * find's min / max as mongod applies them: an index scan of the hinted index from `min`
 * (inclusive) to `max` (exclusive), in the index's order (each field's direction). mongod
 * refuses min / max without a hint (query_planner.cpp, error 51173).
 */
function indexBounded(coll: CollectionState, docs: StoredDoc[], spec: FindSpec): StoredDoc[] {
  const min = isPlainObject(spec.min) && Object.keys(spec.min).length > 0 ? spec.min : undefined;
  const max = isPlainObject(spec.max) && Object.keys(spec.max).length > 0 ? spec.max : undefined;
  if (!min && !max) return docs;
  const pattern = hintedKeyPattern(coll, spec.hint);
  if (!pattern) throw new CommandError(51173, 'When using min()/max() a hint of which index to use must be provided');
  const fields = Object.entries(pattern).map(([path, dir]) => ({ path, dir: dir === -1 ? -1 : 1 }));
  const keyCompare = (doc: Doc, bound: Doc): number => {
    for (const { path, dir } of fields) {
      if (!(path in bound)) return 0;
      const c = compareValues(getPath(doc, path) ?? null, bound[path]) * dir;
      if (c !== 0) return c;
    }
    return 0;
  };
  const inBounds = docs.filter((d) => (!min || keyCompare(d.doc, min) >= 0) && (!max || keyCompare(d.doc, max) < 0));
  return inBounds
    .map((d, i) => ({ d, i }))
    .sort((x, y) => {
      for (const { path, dir } of fields) {
        const c = compareValues(getPath(x.d.doc, path) ?? null, getPath(y.d.doc, path) ?? null) * dir;
        if (c !== 0) return c;
      }
      return x.i - y.i;
    })
    .map(({ d }) => d);
}

/** Matching stored documents in order (sort, skip, limit applied). */
export function findStored(coll: CollectionState | undefined, spec: FindSpec): StoredDoc[] {
  const { text, rest } = extractText(isPlainObject(spec.filter) ? spec.filter : undefined);
  // mongod parses the filter before it looks for the collection: a bad filter is an error either way
  const q = compileFilter(text !== undefined ? rest : spec.filter, spec.eval, spec.where);
  if (!coll) return [];
  let scores: Map<StoredDoc, number> | undefined;
  if (text !== undefined) {
    scores = textSearch(coll, text);
    for (const [d, v] of scores) spec.textScores?.set(d, v);
  }
  let out: StoredDoc[] = [];
  const sorted = isPlainObject(spec.sort) && Object.keys(spec.sort).length > 0;
  const bounded = spec.min !== undefined || spec.max !== undefined;
  const stopAt = !sorted && !bounded && spec.limit && spec.limit > 0 ? (spec.skip ?? 0) + spec.limit : Infinity;
  for (const d of scores ? scores.keys() : coll.docs.values()) {
    if (matches(q, d)) {
      out.push(d);
      if (out.length >= stopAt) break;
    }
  }
  if (bounded) out = indexBounded(coll, out, spec);
  out = sortStored(out, spec.sort, spec.eval?.collation, scores);
  if (spec.skip && spec.skip > 0) out = out.slice(spec.skip);
  if (spec.limit && spec.limit > 0) out = out.slice(0, spec.limit);
  return out;
}

// ---- updates -------------------------------------------------------------------------

const UPDATE_OPERATORS = new Set(['$set', '$unset', '$inc', '$mul', '$rename', '$min', '$max', '$currentDate', '$addToSet', '$pop', '$pull', '$pullAll', '$push', '$bit', '$setOnInsert']);

export type UpdateKind = 'operators' | 'replacement' | 'pipeline';

/** Classifies and validates an update document the way mongod's parser does. */
export function classifyUpdate(u: unknown): UpdateKind {
  if (Array.isArray(u)) {
    for (const s of u) if (!isPlainObject(s)) throw new CommandError(ErrorCode.FailedToParse, 'Each element of the pipeline must be an object');
    return 'pipeline';
  }
  if (!isPlainObject(u)) throw new CommandError(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  if (keys.length === 0 || !keys[0]!.startsWith('$')) {
    for (const k of keys) {
      if (k.startsWith('$')) {
        throw new CommandError(
          ErrorCode.DollarPrefixedFieldName,
          `The dollar ($) prefixed field '${k}' in '${k}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
        );
      }
    }
    return 'replacement';
  }
  const paths: string[] = [];
  for (const k of keys) {
    if (!UPDATE_OPERATORS.has(k)) {
      throw new CommandError(ErrorCode.FailedToParse, `Unknown modifier: ${k}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    const operand = u[k];
    if (!isPlainObject(operand)) {
      throw new CommandError(
        ErrorCode.FailedToParse,
        `Modifiers operate on fields but we found type ${typeof operand} instead. For example: {$mod: {<field>: ...}} not {${k}: ${formatValue(operand)}}`,
      );
    }
    for (const p of Object.keys(operand)) {
      if (p === '') throw new CommandError(56, "An empty update path is not valid.");
      paths.push(p);
      if (k === '$rename' && typeof operand[p] === 'string') paths.push(operand[p] as string);
    }
  }
  for (let i = 0; i < paths.length; i++) {
    for (let j = 0; j < paths.length; j++) {
      if (i === j) continue;
      const a = paths[i]!.replace(/\.\$(\[[^\]]*\])?/g, '');
      const b = paths[j]!.replace(/\.\$(\[[^\]]*\])?/g, '');
      if (a === b || b.startsWith(`${a}.`)) {
        throw new CommandError(ErrorCode.ConflictingUpdateOperators, `Updating the path '${paths[j]}' would create a conflict at '${a}'`);
      }
    }
  }
  return 'operators';
}

export interface ApplyUpdateOptions {
  arrayFilters?: unknown[];
  /** The filter (for the positional `$` operator). */
  filter?: unknown;
  /** An upsert's insert: $setOnInsert applies. */
  inserting?: boolean;
  eval?: EvalOptions;
}

/** Whether an update names the positional `$` (mingo then re-checks the filter on the document). */
function usesPositional(mod: Doc): boolean {
  for (const operand of Object.values(mod)) {
    if (isPlainObject(operand) && Object.keys(operand).some((p) => /(^|\.)\$(\.|$)/.test(p))) return true;
  }
  return false;
}

/** The stages mongod allows in a pipeline-style update. */
const UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** Runs a pipeline-style update on one document (the view); the `_id` is kept when the output has none. */
function pipelineUpdate(view: Doc, pipeline: Doc[], opts: EvalOptions): Doc {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? '';
    if (!UPDATE_STAGES.has(name)) throw new CommandError(ErrorCode.InvalidOptions, `${name} is not allowed to be used within an update`);
  }
  let out: Doc[];
  try {
    out = new Aggregator(toView(pipeline) as Doc[], mingoOptions(opts)).run([view]) as Doc[];
  } catch (e) {
    mingoError(e);
  }
  const next = out[0] ?? {};
  if (next._id === undefined && view._id !== undefined) return { _id: view._id, ...next };
  return next;
}

let lastCurrentTimestamp = new Timestamp({ t: 0, i: 0 });

/**
 * `$currentDate: { f: { $type: 'timestamp' } }` stores a BSON Timestamp (mingo writes a
 * number there): seconds now, and an increment that orders stamps within a second.
 */
function stampCurrentTimestamps(view: Doc, currentDate: unknown): void {
  if (!isPlainObject(currentDate)) return;
  for (const [path, spec] of Object.entries(currentDate)) {
    if (!isPlainObject(spec) || spec.$type !== 'timestamp') continue;
    const secs = Math.floor(Date.now() / 1000);
    const prev = lastCurrentTimestamp;
    lastCurrentTimestamp = secs > prev.t ? new Timestamp({ t: secs, i: 1 }) : new Timestamp({ t: prev.t, i: prev.i + 1 });
    const parts = path.split('.');
    let at: unknown = view;
    for (const p of parts.slice(0, -1)) at = isPlainObject(at) || Array.isArray(at) ? (at as Record<string, unknown>)[p] : undefined;
    if (isPlainObject(at) || Array.isArray(at)) (at as Record<string, unknown>)[parts[parts.length - 1]!] = lastCurrentTimestamp;
  }
}

/**
 * `$currentDate` as mongod parses it: any boolean (false too) means a Date, else
 * `{ $type: 'date' | 'timestamp' }`; anything else is BadValue with mongod's message.
 */
function currentDateSpec(spec: Doc): Doc {
  const out: Doc = {};
  for (const [path, value] of Object.entries(spec)) {
    if (typeof value === 'boolean') out[path] = true;
    else if (isPlainObject(value)) {
      const keys = Object.keys(value);
      if (keys.length !== 1 || keys[0] !== '$type' || (value.$type !== 'date' && value.$type !== 'timestamp')) {
        throw new CommandError(ErrorCode.BadValue, "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}");
      }
      out[path] = value;
    } else {
      throw new CommandError(ErrorCode.BadValue, `${path}: ${formatValue(value)} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`);
    }
  }
  return out;
}

/** Applies an update to a typed document; returns the new typed document. Throws CommandError. */
export function applyUpdate(old: Doc, u: Doc | Doc[], kind: UpdateKind, opts: ApplyUpdateOptions = {}): Doc {
  let next: Doc;
  if (kind === 'replacement') {
    const repl = u as Doc;
    if (repl._id !== undefined && old._id !== undefined && keyOf(repl._id) !== keyOf(old._id)) {
      throw new CommandError(ErrorCode.ImmutableField, `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(repl._id)}`);
    }
    const { _id, ...rest } = repl;
    next = old._id !== undefined ? { _id: old._id, ...rest } : _id !== undefined ? { _id, ...rest } : { ...rest };
    return next;
  }
  const view = toViewDoc(old);
  if (kind === 'pipeline') {
    next = retypeDoc(pipelineUpdate(view, u as Doc[], opts.eval ?? {}), old);
  } else {
    const mod = { ...(u as Doc) };
    // mingo has no $setOnInsert: on an upsert's insert it is a $set, otherwise nothing.
    if (opts.inserting && isPlainObject(mod.$setOnInsert)) mod.$set = { ...(isPlainObject(mod.$set) ? mod.$set : {}), ...mod.$setOnInsert };
    const setOnInsert = mod.$setOnInsert as Doc | undefined;
    delete mod.$setOnInsert;
    if (isPlainObject(mod.$currentDate)) mod.$currentDate = currentDateSpec(mod.$currentDate);
    const modView = toViewDoc(mod);
    try {
      mingoUpdate(view, modView as never, opts.arrayFilters ? (toView(opts.arrayFilters) as Doc[]) : undefined, isPlainObject(opts.filter) && usesPositional(mod) ? toViewDoc(opts.filter) : undefined, {
        cloneMode: 'copy',
        queryOptions: mingoOptions(opts.eval) as never,
      });
    } catch (e) {
      mingoError(e);
    }
    stampCurrentTimestamps(view, mod.$currentDate);
    next = retypeDoc(view, hintFromPaths(mod.$set as Doc | undefined), hintFromPaths(setOnInsert), old);
  }
  if (old._id !== undefined && (next._id === undefined || keyOf(next._id) !== keyOf(old._id))) {
    throw new CommandError(ErrorCode.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  if (next._id !== undefined && Object.keys(next)[0] !== '_id') {
    const { _id, ...rest } = next;
    next = { _id, ...rest };
  }
  return next;
}

/** The document an upsert starts from: the filter's equality predicates. */
export function upsertBase(filter: unknown): Doc {
  const out: Doc = {};
  const add = (path: string, value: unknown): void => {
    const parts = path.split('.');
    let cur = out;
    for (let i = 0; i < parts.length - 1; i++) {
      if (!isPlainObject(cur[parts[i]!])) cur[parts[i]!] = {};
      cur = cur[parts[i]!] as Doc;
    }
    cur[parts[parts.length - 1]!] = value;
  };
  const walk = (f: unknown): void => {
    if (!isPlainObject(f)) return;
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) v.forEach(walk);
      else if (k.startsWith('$')) continue;
      else if (isPlainObject(v) && Object.keys(v)[0]?.startsWith('$')) {
        if ('$eq' in v) add(k, v.$eq);
      } else if (!(v instanceof RegExp)) add(k, v);
    }
  };
  walk(filter);
  return out;
}

/** Builds an upsert's new document. */
export function buildUpsert(filter: unknown, u: Doc | Doc[], kind: UpdateKind, opts: ApplyUpdateOptions): Doc {
  const base = upsertBase(filter);
  let doc: Doc;
  if (kind === 'replacement') {
    const { _id, ...rest } = u as Doc;
    // a replacement's own _id wins, null included (mongod stores `_id: null`)
    const id = _id !== undefined ? _id : base._id;
    doc = id !== undefined ? { _id: id, ...rest } : rest;
  } else {
    doc = applyUpdate(base, u, kind, { ...opts, inserting: true });
  }
  if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
  return doc;
}

export { sameDocument, formatDoc, retype };
