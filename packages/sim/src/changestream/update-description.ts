/**
 * The `updateDescription` of an update event, computed from the document before and after
 * the write the way mongod's pipeline-update diff reads: new or changed fields are
 * `updatedFields` (dotted paths, recursing into embedded documents and array elements),
 * fields that went away are `removedFields`, arrays that got shorter are
 * `truncatedArrays`. `disambiguatedPaths` (showExpandedEvents) lists, for every path with
 * a field name that is numeric or holds a dot, its components with array indexes as ints.
 * Pure.
 */
import { Int32 } from 'bson';
import { isPlainObject, sameDocument, type Doc } from '../storage/values.js';

/** Same value, BSON types included. */
function sameValue(a: unknown, b: unknown): boolean {
  return sameDocument({ v: a }, { v: b });
}

/** One path component: a field name, or an array index. */
type Part = string | number;

export interface UpdateDescription {
  updatedFields: Doc;
  removedFields: string[];
  truncatedArrays: Array<{ field: string; newSize: number }>;
  /** Ambiguous paths -> components (array indexes as numbers). */
  ambiguous: Record<string, Part[]>;
}

function pathOf(parts: Part[]): string {
  return parts.join('.');
}

function isAmbiguous(parts: Part[]): boolean {
  return parts.some((p) => typeof p === 'string' && (/^\d+$/.test(p) || p.includes('.')));
}

export function describeUpdate(pre: Doc, post: Doc): UpdateDescription {
  const out: UpdateDescription = { updatedFields: {}, removedFields: [], truncatedArrays: [], ambiguous: {} };
  const updated = (parts: Part[], v: unknown): void => {
    const p = pathOf(parts);
    out.updatedFields[p] = v;
    if (isAmbiguous(parts)) out.ambiguous[p] = parts;
  };
  const removed = (parts: Part[]): void => {
    const p = pathOf(parts);
    out.removedFields.push(p);
    if (isAmbiguous(parts)) out.ambiguous[p] = parts;
  };
  const value = (parts: Part[], a: unknown, b: unknown): void => {
    if (sameValue(a, b)) return;
    if (isPlainObject(a) && isPlainObject(b)) objectDiff(parts, a, b);
    else if (Array.isArray(a) && Array.isArray(b)) arrayDiff(parts, a, b);
    else updated(parts, b);
  };
  const objectDiff = (parts: Part[], a: Doc, b: Doc): void => {
    for (const k of Object.keys(a)) if (!(k in b)) removed([...parts, k]);
    for (const k of Object.keys(b)) {
      if (!(k in a)) updated([...parts, k], b[k]);
      else value([...parts, k], a[k], b[k]);
    }
  };
  const arrayDiff = (parts: Part[], a: unknown[], b: unknown[]): void => {
    if (b.length < a.length) out.truncatedArrays.push({ field: pathOf(parts), newSize: b.length });
    for (let i = 0; i < b.length; i++) {
      if (i >= a.length) updated([...parts, i], b[i]);
      else value([...parts, i], a[i], b[i]);
    }
  };
  objectDiff([], pre, post);
  return out;
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
