/**
 * Document-level pieces of authorization, pure: forbidden operators anywhere in a
 * value, the fields a query reads, AND-ing a rule's filter into a client's, and the
 * checks on written documents and update specifications. Each returns a named result;
 * nothing here throws on hostile input.
 */
import type { Document } from '@mongo-edge/core';

/** Operators that run server-side JavaScript: never allowed, at any depth. */
export const JAVASCRIPT_OPERATORS: ReadonlySet<string> = new Set(['$where', '$function', '$accumulator']);

export type Check = { readonly ok: true } | { readonly ok: false; readonly message: string };
const OK: Check = Object.freeze({ ok: true });
const fail = (message: string): Check => ({ ok: false, message });

/** A plain BSON document (not an array, not a BSON value class such as ObjectId). */
export function isPlainDocument(v: unknown): v is Document {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Walks a value: refuses JavaScript operators and nesting deeper than maxDepth (iterative, never a stack overflow). */
export function scanValue(value: unknown, maxDepth: number): Check {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  let visited = 0;
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (++visited > 1_000_000) return fail('the command has too many values');
    if (Array.isArray(v)) {
      if (d >= maxDepth) return fail(`the command nests deeper than ${maxDepth} levels`);
      for (const x of v) stack.push({ v: x, d: d + 1 });
    } else if (isPlainDocument(v)) {
      if (d >= maxDepth) return fail(`the command nests deeper than ${maxDepth} levels`);
      for (const [k, x] of Object.entries(v)) {
        if (JAVASCRIPT_OPERATORS.has(k)) return fail(`${k} (server-side JavaScript) is never allowed`);
        stack.push({ v: x, d: d + 1 });
      }
    }
  }
  return OK;
}

const top = (path: string): string => path.split('.')[0]!;

/**
 * The top-level fields a query filter reads. `readable` undefined: everything is.
 * $expr may read any field, so it is refused when fields are restricted.
 */
export function checkQueryFields(filter: Document, readable: ReadonlySet<string> | undefined, what: string): Check {
  if (readable === undefined) return OK;
  const stack: unknown[] = [filter];
  while (stack.length > 0) {
    const q = stack.pop();
    if (!isPlainDocument(q)) return fail(`${what}: a query must be a document`);
    for (const [k, v] of Object.entries(q)) {
      if (k === '$and' || k === '$or' || k === '$nor') {
        if (!Array.isArray(v)) return fail(`${what}: ${k} must be an array`);
        stack.push(...(v as unknown[]));
      } else if (k === '$comment') {
        continue;
      } else if (k.startsWith('$')) {
        return fail(`${what}: ${k} is not allowed where fields are restricted`);
      } else if (top(k) !== '_id' && !readable.has(top(k))) {
        return fail(`${what}: field ${top(k)} is not readable`);
      }
    }
  }
  return OK;
}

/** Sort keys must be readable too (a sort order leaks what it sorts by). */
export function checkSortFields(sort: unknown, readable: ReadonlySet<string> | undefined, what: string): Check {
  if (sort === undefined) return OK;
  if (!isPlainDocument(sort)) return fail(`${what}: sort must be a document`);
  if (readable === undefined) return OK;
  for (const k of Object.keys(sort)) if (top(k) !== '_id' && !readable.has(top(k))) return fail(`${what}: field ${top(k)} is not readable`);
  return OK;
}

/** `bound AND client`: the rule's equality filter first, the client's query unchanged inside. */
export function andFilter(bound: Readonly<Record<string, unknown>>, client: unknown): Document {
  const hasClient = isPlainDocument(client) && Object.keys(client).length > 0;
  if (Object.keys(bound).length === 0) return hasClient ? (client as Document) : {};
  return hasClient ? { $and: [{ ...bound }, client] } : { ...bound };
}

/**
 * The projection a reader gets: theirs when it includes only readable fields, an
 * exclusion turned into the readable fields minus the excluded, or all readable fields.
 */
export function boundProjection(projection: unknown, readable: ReadonlySet<string> | undefined, what: string): { ok: true; projection: Document | undefined } | { ok: false; message: string } {
  if (projection !== undefined && !isPlainDocument(projection)) return { ok: false, message: `${what}: projection must be a document` };
  if (readable === undefined) return { ok: true, projection: projection as Document | undefined };
  const all = (): Document => Object.fromEntries([...readable].map((f) => [f, 1]));
  if (projection === undefined || Object.keys(projection).length === 0) return { ok: true, projection: all() };
  const entries = Object.entries(projection);
  for (const [k, v] of entries) {
    if (typeof v !== 'number' && typeof v !== 'boolean') return { ok: false, message: `${what}: projection ${k} must be 0 or 1 where fields are restricted` };
    if (k.startsWith('$')) return { ok: false, message: `${what}: projection ${k} is not allowed` };
  }
  const included = entries.filter(([k, v]) => Boolean(v) && k !== '_id');
  if (included.length === 0) {
    const excluded = new Set(entries.map(([k]) => k));
    const out = Object.fromEntries([...readable].filter((f) => !excluded.has(f)).map((f) => [f, 1]));
    if (excluded.has('_id')) out._id = 0;
    return { ok: true, projection: out };
  }
  for (const [k] of included) if (!readable.has(top(k))) return { ok: false, message: `${what}: field ${top(k)} is not readable` };
  return { ok: true, projection };
}

function valueAt(doc: Document, path: string): unknown {
  let v: unknown = doc;
  for (const p of path.split('.')) {
    if (!isPlainDocument(v) || !Object.hasOwn(v, p)) return undefined;
    v = v[p];
  }
  return v;
}

/**
 * A document about to be written (insert, replacement, upsert): every filter field
 * equals the bound value (a missing top-level one is filled in), every other
 * top-level field is writable. Returns the document to write.
 */
export function checkWrittenDocument(
  doc: unknown,
  bound: Readonly<Record<string, unknown>>,
  writable: ReadonlySet<string> | undefined,
  what: string,
): { ok: true; doc: Document } | { ok: false; message: string } {
  if (!isPlainDocument(doc)) return { ok: false, message: `${what}: a document is required` };
  const out: Document = { ...doc };
  for (const [path, value] of Object.entries(bound)) {
    const current = valueAt(out, path);
    if (current === undefined && !path.includes('.')) out[path] = value;
    else if (current !== value) return { ok: false, message: `${what}: field ${path} must equal the rule's filter value` };
  }
  if (writable) {
    const filterTops = new Set(Object.keys(bound).map(top));
    for (const k of Object.keys(out)) {
      if (k === '_id' || filterTops.has(k)) continue;
      if (!writable.has(k)) return { ok: false, message: `${what}: field ${k} is not writable` };
    }
  }
  return { ok: true, doc: out };
}

/** Update operators a client may use. */
const UPDATE_OPERATORS: ReadonlySet<string> = new Set([
  '$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$push', '$pull', '$addToSet', '$pop', '$pullAll', '$currentDate', '$setOnInsert',
]);

const touches = (a: string, b: string): boolean => a === b || a.startsWith(b + '.') || b.startsWith(a + '.');

/** Does `u` replace the document (no operators) or modify it (all operators)? */
export function isReplacement(u: Document): boolean {
  const keys = Object.keys(u);
  return keys.length === 0 || !keys[0]!.startsWith('$');
}

/**
 * An update with operators: every operator allowed, no path touches a filter field
 * (the owner can never change), every path's top field writable. On upsert the
 * filter's fields are added with $setOnInsert so the new document satisfies it.
 */
export function checkUpdateOperators(
  u: Document,
  bound: Readonly<Record<string, unknown>>,
  writable: ReadonlySet<string> | undefined,
  upsert: boolean,
  what: string,
): { ok: true; update: Document } | { ok: false; message: string } {
  const filterPaths = Object.keys(bound);
  for (const [op, spec] of Object.entries(u)) {
    if (!UPDATE_OPERATORS.has(op)) return { ok: false, message: `${what}: update operator ${op} is not allowed` };
    if (!isPlainDocument(spec)) return { ok: false, message: `${what}: ${op} needs a document` };
    const paths = Object.keys(spec);
    if (op === '$rename') for (const v of Object.values(spec)) if (typeof v === 'string') paths.push(v);
    for (const p of paths) {
      const clean = p.replace(/\.\$(\[[^\]]*\])?/g, '');
      if (filterPaths.some((f) => touches(clean, f))) return { ok: false, message: `${what}: ${op} may not change ${clean}, which the rule's filter constrains` };
      if (top(clean) === '_id') return { ok: false, message: `${what}: _id cannot be updated` };
      if (writable && !writable.has(top(clean))) return { ok: false, message: `${what}: field ${top(clean)} is not writable` };
    }
  }
  if (!upsert || filterPaths.length === 0) return { ok: true, update: u };
  const setOnInsert = { ...((u.$setOnInsert as Document | undefined) ?? {}), ...bound };
  return { ok: true, update: { ...u, $setOnInsert: setOnInsert } };
}

/**
 * The first rule-filter path a query's fields touch (through $and/$or/$nor), or
 * undefined. An upsert's query must touch none: the new document's filter fields
 * then come only from the rule (its $setOnInsert), never from the client's equalities.
 */
export function queryTouches(filter: unknown, paths: readonly string[]): string | undefined {
  const stack: unknown[] = [filter];
  while (stack.length > 0) {
    const q = stack.pop();
    if (!isPlainDocument(q)) continue;
    for (const [k, v] of Object.entries(q)) {
      if (k === '$and' || k === '$or' || k === '$nor') {
        if (Array.isArray(v)) stack.push(...(v as unknown[]));
      } else if (!k.startsWith('$')) {
        const hit = paths.find((p) => touches(k, p));
        if (hit !== undefined) return hit;
      }
    }
  }
  return undefined;
}
