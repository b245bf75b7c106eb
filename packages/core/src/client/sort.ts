/** Sort normalisation like the official driver's formatSort (index keys: collection-cold.ts). */
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import type { Sort, SortDirection } from './types.js';

/** The direction strings a sort accepts, case-insensitively. */
const DIRECTIONS = new Map<string, 1 | -1>([
  ['asc', 1],
  ['ascending', 1],
  ['1', 1],
  ['desc', -1],
  ['descending', -1],
  ['-1', -1],
]);

function direction(d: unknown): 1 | -1 | Document {
  if (d === 1 || d === -1) return d;
  const named = typeof d === 'string' ? DIRECTIONS.get(d.toLowerCase()) : undefined;
  if (named) return named;
  if (d !== null && typeof d === 'object' && '$meta' in (d as object)) return d as Document;
  throw new MongoInvalidArgumentError(`Invalid sort direction: ${JSON.stringify(d)}`);
}

const isPair = (v: unknown): v is [string, SortDirection] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Array.isArray(v[1]) && (typeof v[1] !== 'string' || DIRECTIONS.has(v[1].toLowerCase()));

/** undefined / null -> undefined; otherwise an ordered `{ key: 1 | -1 | { $meta } }`. */
export function formatSort(sort: Sort | undefined | null, dir?: SortDirection): Document | undefined {
  if (sort === undefined || sort === null) return undefined;
  if (typeof sort === 'string') return { [sort]: direction(dir ?? 1) };
  if (Array.isArray(sort)) {
    if ((sort as unknown[]).length === 0) return undefined;
    if (isPair(sort)) return { [sort[0]]: direction(sort[1]) };
    const out: Document = {};
    for (const item of sort as unknown[]) {
      if (typeof item === 'string') out[item] = 1;
      else if (isPair(item)) out[item[0]] = direction(item[1]);
      else throw invalidSort(sort);
    }
    return out;
  }
  if (typeof sort !== 'object') throw invalidSort(sort);
  const entries = sort instanceof Map ? [...sort] : Object.entries(sort);
  return Object.fromEntries(entries.map(([k, v]) => [k, direction(v)]));
}

const invalidSort = (sort: unknown): MongoInvalidArgumentError => new MongoInvalidArgumentError(`Invalid sort: ${JSON.stringify(sort)}`);
