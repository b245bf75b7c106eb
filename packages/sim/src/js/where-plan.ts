/**
 * `$where` in a filter, as mongod 7.0 parses it (src/mongo/db/matcher/expression_parser.cpp,
 * extensions_callback.cpp): allowed at the top level of a query and inside `$and` / `$or` /
 * `$nor`; its argument is a string or BSON Code (CodeWScope is refused since 4.4); under a
 * field it is "$where cannot be applied to a field", under `$elemMatch` "$where can only be
 * applied to the top-level document", and in an aggregation `$match` "$where is not allowed
 * in this context".
 *
 * Pure: the plan lists the clauses (their JavaScript) and rewrites the filter so that the
 * synchronous matcher reads each clause's verdict from a lookup (the verdicts are computed
 * beforehand, off the event loop: js/where-eval.ts).
 */
import { Code } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { isPlainObject, type Doc } from '../storage/values.js';

export interface WhereClause {
  /** Position in the plan (the lookup's index). */
  readonly index: number;
  /** The JavaScript as sent. */
  readonly code: string;
}

export interface WherePlan {
  readonly clauses: readonly WhereClause[];
  /**
   * The filter without its top-level `$where` clauses (and without top-level `$and` / `$or`
   * / `$nor` holding one): a document the full filter matches matches this one too, so
   * only these documents need their `$where` evaluated.
   */
  readonly relaxed: Doc;
  /** Every clause is a top-level key: a document matches when it matches `relaxed` and every clause holds. */
  readonly allTopLevel: boolean;
}

const LOGICAL = new Set(['$and', '$or', '$nor']);

export const WHERE_NOT_ALLOWED = '$where is not allowed in this context';

/** The JavaScript of a `$where` operand, or mongod's parse error. */
function whereCode(v: unknown): string {
  let code: string;
  if (typeof v === 'string') code = v;
  else if (v instanceof Code) {
    if (v.scope !== null && v.scope !== undefined) throw new CommandError(4649201, '$where no longer supports deprecated BSON type CodeWScope');
    code = v.code;
  } else throw new CommandError(ErrorCode.BadValue, '$where got bad type');
  if (code.length === 0) throw new CommandError(ErrorCode.BadValue, 'code for $where cannot be empty');
  return code;
}

/** Throws for a `$where` under a field path (directly, under `$not`, or inside `$elemMatch`). */
function checkFieldLevel(operand: unknown): void {
  if (!isPlainObject(operand)) return;
  for (const [op, v] of Object.entries(operand)) {
    if (op === '$where') throw new CommandError(ErrorCode.BadValue, '$where cannot be applied to a field');
    if (op === '$not') checkFieldLevel(v);
    if (op === '$elemMatch' && isPlainObject(v) && containsWhere(v)) {
      throw new CommandError(ErrorCode.BadValue, '$where can only be applied to the top-level document');
    }
  }
}

/** Whether a query holds a `$where` where mongod's parser would reach it (top level, logical operators). */
export function containsWhere(filter: unknown): boolean {
  if (!isPlainObject(filter)) return false;
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$where') return true;
    if (LOGICAL.has(k) && Array.isArray(v) && v.some(containsWhere)) return true;
  }
  return false;
}

/**
 * The `$where` plan of a filter, or undefined when it has none. Throws mongod's parse
 * errors (bad operand type, empty code, `$where` under a field or in `$elemMatch`).
 */
export function planWhere(filter: unknown): WherePlan | undefined {
  if (!isPlainObject(filter)) return undefined;
  const clauses: WhereClause[] = [];
  let allTopLevel = true;
  const walk = (f: Doc, top: boolean): void => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$where') {
        clauses.push({ index: clauses.length, code: whereCode(v) });
        if (!top) allTopLevel = false;
      } else if (LOGICAL.has(k)) {
        if (Array.isArray(v)) for (const sub of v) if (isPlainObject(sub)) walk(sub, false);
      } else if (!k.startsWith('$')) checkFieldLevel(v);
    }
  };
  walk(filter, true);
  if (clauses.length === 0) return undefined;
  const relaxed: Doc = {};
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$where' || (LOGICAL.has(k) && Array.isArray(v) && v.some(containsWhere))) continue;
    relaxed[k] = v;
  }
  return { clauses, relaxed, allTopLevel };
}

/**
 * The filter with each `$where` operand replaced by a function returning `verdict(index)`
 * (indexes in the order planWhere lists the clauses; other keys, `$text` included, as they are).
 */
export function rewriteWhere(filter: Doc, verdict: (index: number) => boolean): Doc {
  let next = 0;
  const copy = (f: Doc): Doc => {
    const out: Doc = {};
    for (const [k, v] of Object.entries(f)) {
      if (k === '$where') {
        const index = next++;
        out[k] = function whereVerdict(): boolean {
          return verdict(index);
        };
      } else if (LOGICAL.has(k) && Array.isArray(v)) out[k] = v.map((sub) => (isPlainObject(sub) ? copy(sub) : sub));
      else out[k] = v;
    }
    return out;
  };
  return copy(filter);
}

/**
 * An aggregation's `$match` stages (and `$graphLookup.restrictSearchWithMatch`), at any
 * depth of the pipeline ($lookup / $unionWith / $facet sub-pipelines): a `$where` there is
 * BadValue, as mongod's pipeline parser allows no JavaScript in a match expression.
 */
export function refuseWhereInPipeline(pipeline: unknown): void {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (!isPlainObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === '$match' || k === 'restrictSearchWithMatch') && containsWhere(x)) throw new CommandError(ErrorCode.BadValue, WHERE_NOT_ALLOWED);
      visit(x);
    }
  };
  visit(pipeline);
}
