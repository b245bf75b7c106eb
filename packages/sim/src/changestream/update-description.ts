/**
 * The `updateDescription` of an update event, as mongod 7.0 derives it from its update
 * diff: new or changed fields are `updatedFields` (dotted paths), fields that went away
 * are `removedFields`, arrays that got shorter are `truncatedArrays`.
 *
 * - An update with operators logs what each operator touched: the whole new value at its
 *   path (`$set`, `$inc`, `$pull`, ...; a path created under a missing parent logs the
 *   highest new field), a removal for `$unset` and the source of `$rename`, and
 *   `path.<i>` entries for elements `$push` / `$addToSet` appended. A positional path
 *   (`a.$.b`, `a.$[]`) is diffed below its array.
 * - A pipeline update (and $merge) is diffed structurally: recursing into embedded
 *   documents and array elements, truncated arrays listed.
 *
 * `disambiguatedPaths` (showExpandedEvents) lists, for every path with a field name that
 * is numeric or holds a dot, its components with array indexes as ints. Pure.
 */
import { Int32 } from 'bson';
import { isPlainObject, sameDocument, type Doc } from '../storage/values.js';

/** One path component: a field name, or an array index. */
type Part = string | number;

export interface UpdateDescription {
  updatedFields: Doc;
  removedFields: string[];
  truncatedArrays: Array<{ field: string; newSize: number }>;
  /** Ambiguous paths -> components (array indexes as numbers). */
  ambiguous: Record<string, Part[]>;
}

/** Same value, BSON types included. */
function sameValue(a: unknown, b: unknown): boolean {
  return sameDocument({ v: a }, { v: b });
}

const MISSING = Symbol('missing');

function child(container: unknown, part: Part): unknown {
  if (Array.isArray(container) && typeof part === 'number') return part < container.length ? container[part] : MISSING;
  if (isPlainObject(container) && typeof part === 'string' && Object.prototype.hasOwnProperty.call(container, part)) return container[part];
  return MISSING;
}

/** The components of a dotted path in `doc`: numeric segments under an array are indexes. */
function partsOf(doc: Doc, path: string): Part[] {
  const out: Part[] = [];
  let cur: unknown = doc;
  for (const seg of path.split('.')) {
    const part: Part = Array.isArray(cur) && /^\d+$/.test(seg) ? Number(seg) : seg;
    out.push(part);
    cur = cur === MISSING ? MISSING : child(cur, part);
  }
  return out;
}

function valueAt(doc: Doc, parts: Part[]): unknown {
  let cur: unknown = doc;
  for (const p of parts) {
    cur = child(cur, p);
    if (cur === MISSING) return MISSING;
  }
  return cur;
}

class Collector {
  readonly out: UpdateDescription = { updatedFields: {}, removedFields: [], truncatedArrays: [], ambiguous: {} };

  #note(parts: Part[]): string {
    const p = parts.join('.');
    if (parts.some((x) => typeof x === 'string' && (/^\d+$/.test(x) || x.includes('.')))) this.out.ambiguous[p] = parts;
    return p;
  }

  updated(parts: Part[], v: unknown): void {
    this.out.updatedFields[this.#note(parts)] = v;
  }

  removed(parts: Part[]): void {
    this.out.removedFields.push(this.#note(parts));
  }

  /** Structural diff of one value. */
  value(parts: Part[], a: unknown, b: unknown): void {
    if (a === MISSING && b === MISSING) return;
    if (b === MISSING) return this.removed(parts);
    if (a === MISSING) return this.updated(parts, b);
    if (sameValue(a, b)) return;
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const k of Object.keys(a)) if (!(k in b)) this.removed([...parts, k]);
      for (const k of Object.keys(b)) this.value([...parts, k], k in a ? a[k] : MISSING, b[k]);
    } else if (Array.isArray(a) && Array.isArray(b)) {
      if (b.length < a.length) this.out.truncatedArrays.push({ field: parts.join('.'), newSize: b.length });
      for (let i = 0; i < b.length; i++) this.value([...parts, i], i < a.length ? a[i] : MISSING, b[i]);
    } else this.updated(parts, b);
  }

  /** The whole new value at `parts` (or the highest field created above it); a removal when it is gone. */
  replaced(pre: Doc, post: Doc, parts: Part[]): void {
    const a = valueAt(pre, parts);
    const b = valueAt(post, parts);
    if (a !== MISSING && b !== MISSING && sameValue(a, b)) return;
    if (b === MISSING) {
      if (a !== MISSING) this.removed(parts);
      return;
    }
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i);
      if (valueAt(pre, prefix) === MISSING) return this.updated(prefix, valueAt(post, prefix));
    }
    this.updated(parts, b);
  }
}

/** A pipeline update or a $merge: the structural diff of the two documents. */
export function describeUpdate(pre: Doc, post: Doc): UpdateDescription {
  const c = new Collector();
  c.value([], pre, post);
  return c.out;
}

/** An update with operators: what each operator touched. */
export function describeOperatorUpdate(pre: Doc, post: Doc, update: Doc): UpdateDescription {
  const c = new Collector();
  const seen = new Set<string>();
  const once = (parts: Part[], f: () => void): void => {
    const key = parts.join('.');
    if (seen.has(key)) return;
    seen.add(key);
    f();
  };
  for (const [op, arg] of Object.entries(update)) {
    if (!isPlainObject(arg)) continue;
    for (const [path, operand] of Object.entries(arg)) {
      const segs = path.split('.');
      const positional = segs.findIndex((s) => s.startsWith('$'));
      if (positional >= 0) {
        const base = partsOf(post, segs.slice(0, positional).join('.'));
        once(base, () => c.value(base, valueAt(pre, base), valueAt(post, base)));
        continue;
      }
      const parts = partsOf(valueAt(post, partsOf(post, path)) === MISSING ? pre : post, path);
      switch (op) {
        case '$unset':
          once(parts, () => valueAt(pre, parts) !== MISSING && c.removed(parts));
          break;
        case '$rename': {
          once(parts, () => valueAt(pre, parts) !== MISSING && c.removed(parts));
          if (typeof operand === 'string') {
            const to = partsOf(post, operand);
            once(to, () => c.replaced(pre, post, to));
          }
          break;
        }
        case '$push':
        case '$addToSet': {
          const a = valueAt(pre, parts);
          const b = valueAt(post, parts);
          const appended = Array.isArray(a) && Array.isArray(b) && b.length >= a.length && a.every((x, i) => sameValue(x, b[i]));
          if (appended) {
            for (let i = (a as unknown[]).length; i < (b as unknown[]).length; i++) c.updated([...parts, i], (b as unknown[])[i]);
          } else once(parts, () => c.replaced(pre, post, parts));
          break;
        }
        default:
          once(parts, () => c.replaced(pre, post, parts));
      }
    }
  }
  return c.out;
}

/** The wire shape: `{ updatedFields, removedFields, truncatedArrays[, disambiguatedPaths] }`. */
export function updateDescriptionDoc(d: Doc, expanded: boolean): Doc {
  const out: Doc = { updatedFields: d.updatedFields ?? {}, removedFields: d.removedFields ?? [], truncatedArrays: d.truncatedArrays ?? [] };
  if (expanded) {
    const paths: Doc = {};
    for (const [p, parts] of Object.entries((d.ambiguous as Record<string, Part[]>) ?? {})) paths[p] = parts.map((x) => (typeof x === 'number' ? new Int32(x) : x));
    out.disambiguatedPaths = paths;
  }
  return out;
}
