/**
 * Unified Test Format matching ("Evaluating Matches"): expected values from a test
 * file against actual values from a driver. Pure: returns the first mismatch (with
 * its path) or undefined.
 *
 * Rules: numbers match numerically whatever their BSON type (int, long, double);
 * a root-level document may hold extra keys, a nested one may not (except under
 * `$$matchAsRoot`); arrays match element-wise with equal length, elements keep the
 * root-ness of the array; special operators `$$exists`, `$$type`, `$$unsetOrMatches`,
 * `$$matchesEntity`, `$$matchesHexBytes`, `$$matchAsDocument`, `$$matchAsRoot`,
 * `$$lte` and `$$sessionLsid`.
 */
import { EJSON } from 'bson';

export type Doc = Record<string, unknown>;

/** What the matcher needs from the entity map. */
export interface MatchContext {
  entity(id: string): unknown;
  /** The lsid document of a session entity. */
  sessionLsid(id: string): unknown;
}

export class MatchError extends Error {
  override name = 'MatchError';
}

const bsonType = (v: unknown): string | undefined => (v && typeof v === 'object' ? (v as { _bsontype?: string })._bsontype : undefined);

export function isNumberLike(v: unknown): boolean {
  if (typeof v === 'number' || typeof v === 'bigint') return true;
  const t = bsonType(v);
  return t === 'Int32' || t === 'Double' || t === 'Long' || t === 'Decimal128';
}

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const t = bsonType(v);
  if (t === 'Long') return (v as { toNumber(): number }).toNumber();
  if (t === 'Decimal128') return Number((v as object).toString());
  return Number((v as { valueOf(): unknown }).valueOf());
}

export function isPlainDoc(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Map) return false;
  if (bsonType(v)) return false;
  if (v instanceof Date || v instanceof RegExp || ArrayBuffer.isView(v)) return false;
  return true;
}

/** A Map (ordered document) or a plain document as a plain document. */
function asDoc(v: unknown): Doc | undefined {
  if (v instanceof Map) return Object.fromEntries(v) as Doc;
  return isPlainDoc(v) ? v : undefined;
}

/** BSON type name of a value (the `$$type` names). */
export function typeName(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 0x7fffffff && !Object.is(v, -0) ? 'int' : 'double';
  if (typeof v === 'bigint') return 'long';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  if (ArrayBuffer.isView(v)) return 'binData';
  switch (bsonType(v)) {
    case 'Int32': return 'int';
    case 'Double': return 'double';
    case 'Long': return 'long';
    case 'Decimal128': return 'decimal';
    case 'ObjectId': return 'objectId';
    case 'Binary': return 'binData';
    case 'Timestamp': return 'timestamp';
    case 'BSONRegExp': return 'regex';
    case 'Code': return (v as { scope?: unknown }).scope ? 'javascriptWithScope' : 'javascript';
    case 'BSONSymbol': return 'symbol';
    case 'MinKey': return 'minKey';
    case 'MaxKey': return 'maxKey';
    case 'DBRef': return 'object';
    case undefined: return 'object';
    default: return String(bsonType(v));
  }
}

function typeMatches(actual: unknown, names: string | string[]): boolean {
  const list = Array.isArray(names) ? names : [names];
  const t = typeName(actual);
  // A JS number may have been any BSON number on the wire (promoteValues).
  const numeric = typeof actual === 'number' ? ['int', 'long', 'double', 'number'] : ['int', 'long', 'double', 'decimal'].includes(t) ? [t, 'number'] : [t];
  return list.some((n) => numeric.includes(n));
}

const show = (v: unknown): string => {
  try {
    return EJSON.stringify(v as Doc, { relaxed: true }) ?? String(v);
  } catch {
    return String(v);
  }
};

function fail(path: string, msg: string): never {
  throw new MatchError(`${path || '<root>'}: ${msg}`);
}

function specialOperator(expected: unknown): [string, unknown] | undefined {
  if (!isPlainDoc(expected)) return undefined;
  const keys = Object.keys(expected);
  if (keys.length === 1 && keys[0]!.startsWith('$$')) return [keys[0]!, expected[keys[0]!]];
  return undefined;
}

/** Throws a MatchError naming the first difference. `root`: extra keys are allowed in documents at this level. */
export function assertMatches(expected: unknown, actual: unknown, ctx: MatchContext, root = true, path = ''): void {
  const op = specialOperator(expected);
  if (op) return matchOperator(op[0], op[1], actual, ctx, root, path);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) fail(path, `expected an array ${show(expected)}, got ${show(actual)}`);
    if (actual.length !== expected.length) fail(path, `expected ${expected.length} elements, got ${actual.length}: ${show(actual)}`);
    expected.forEach((e, i) => assertMatches(e, actual[i], ctx, root, `${path}[${i}]`));
    return;
  }
  if (isPlainDoc(expected)) {
    const a = asDoc(actual);
    if (!a) fail(path, `expected a document ${show(expected)}, got ${show(actual)}`);
    for (const [k, e] of Object.entries(expected)) {
      const sub = path ? `${path}.${k}` : k;
      const eop = specialOperator(e);
      if (eop && (eop[0] === '$$exists' || eop[0] === '$$unsetOrMatches')) {
        if (eop[0] === '$$exists') {
          if ((a[k] !== undefined) !== Boolean(eop[1])) fail(sub, eop[1] ? 'expected to exist' : `expected absent, got ${show(a[k])}`);
          continue;
        }
        if (a[k] === undefined) continue;
        assertMatches(eop[1], a[k], ctx, false, sub);
        continue;
      }
      if (!(k in a) || a[k] === undefined) {
        fail(sub, `missing, expected ${show(e)}`);
      }
      assertMatches(e, a[k], ctx, false, sub);
    }
    if (!root) {
      const extra = Object.keys(a).filter((k) => !(k in expected) && a[k] !== undefined);
      if (extra.length) fail(path, `unexpected keys ${extra.join(', ')} in ${show(a)}`);
    }
    return;
  }
  if (isNumberLike(expected)) {
    if (!isNumberLike(actual)) fail(path, `expected number ${show(expected)}, got ${show(actual)}`);
    const x = toNumber(expected);
    const y = toNumber(actual);
    if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) fail(path, `expected ${x}, got ${y}`);
    return;
  }
  if (expected === null) {
    if (actual !== null && actual !== undefined) fail(path, `expected null, got ${show(actual)}`);
    return;
  }
  if (typeof expected !== 'object') {
    if (expected !== actual) fail(path, `expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  // other BSON values: compare canonical Extended JSON
  const x = EJSON.stringify({ v: expected } as Doc, { relaxed: false });
  const y = EJSON.stringify({ v: actual } as Doc, { relaxed: false });
  if (x !== y) fail(path, `expected ${x}, got ${y}`);
}

function matchOperator(op: string, arg: unknown, actual: unknown, ctx: MatchContext, root: boolean, path: string): void {
  switch (op) {
    case '$$exists':
      if ((actual !== undefined) !== Boolean(arg)) fail(path, arg ? 'expected to exist' : 'expected absent');
      return;
    case '$$type':
      if (!typeMatches(actual, arg as string | string[])) fail(path, `expected type ${show(arg)}, got ${typeName(actual)} (${show(actual)})`);
      return;
    case '$$unsetOrMatches':
      if (actual === undefined) return;
      return assertMatches(arg, actual, ctx, root, path);
    case '$$matchesEntity':
      return assertMatches(ctx.entity(arg as string), actual, ctx, root, path);
    case '$$matchesHexBytes': {
      const bytes = bsonType(actual) === 'Binary' ? (actual as { buffer: Uint8Array }).buffer : actual;
      if (!ArrayBuffer.isView(bytes)) fail(path, `expected bytes, got ${show(actual)}`);
      const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
      if (hex !== String(arg).toLowerCase()) fail(path, `expected bytes ${String(arg)}, got ${hex}`);
      return;
    }
    case '$$sessionLsid':
      return assertMatches(ctx.sessionLsid(arg as string), actual, ctx, false, path);
    case '$$lte':
      if (!isNumberLike(actual) || !(toNumber(actual) <= toNumber(arg))) fail(path, `expected <= ${show(arg)}, got ${show(actual)}`);
      return;
    case '$$matchAsDocument': {
      if (typeof actual !== 'string') fail(path, `expected a JSON string, got ${show(actual)}`);
      let parsed: unknown;
      try {
        parsed = EJSON.parse(actual, { relaxed: false });
      } catch (e) {
        fail(path, `not JSON: ${String(e)}`);
      }
      return assertMatches(arg, parsed, ctx, true, path);
    }
    case '$$matchAsRoot':
      return assertMatches(arg, actual, ctx, true, path);
    default:
      fail(path, `unsupported special operator ${op}`);
  }
}

/** Whether `expected` matches `actual` (assertMatches without the throw). */
export function matches(expected: unknown, actual: unknown, ctx: MatchContext, root = true): boolean {
  try {
    assertMatches(expected, actual, ctx, root);
    return true;
  } catch (e) {
    if (e instanceof MatchError) return false;
    throw e;
  }
}
