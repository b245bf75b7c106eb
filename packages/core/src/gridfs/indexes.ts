/**
 * The GridFS spec's indexes ("Indexes"): which must exist, and whether a listIndexes answer
 * already has one. Pure. Numeric key values compare by value whatever their BSON type (an
 * index made by the shell has doubles: `{ filename: 1.0, uploadDate: 1.0 }` is the same index).
 */
import type { Document } from '../errors.js';

/** On the files collection. */
export const FILES_INDEX: Readonly<Record<string, number>> = Object.freeze({ filename: 1, uploadDate: 1 });
/** On the chunks collection (unique). */
export const CHUNKS_INDEX: Readonly<Record<string, number>> = Object.freeze({ files_id: 1, n: 1 });

/** A key value as a number (Int32, Double, Long, bigint, number); NaN for anything else (e.g. 'text'). */
function numeric(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object') {
    const v = value as { toNumber?: () => number; valueOf: () => unknown };
    if (typeof v.toNumber === 'function') return v.toNumber();
    const primitive = v.valueOf();
    if (typeof primitive === 'number') return primitive;
  }
  return Number.NaN;
}

/** Whether `key` (same fields, same order, equal directions by value) is the key of one of `indexes`. */
export function hasIndex(indexes: readonly Document[], key: Readonly<Record<string, number>>): boolean {
  const wanted = Object.entries(key);
  return indexes.some((index) => {
    const actual = index.key;
    if (actual === null || typeof actual !== 'object') return false;
    const entries = Object.entries(actual as Document);
    return entries.length === wanted.length && entries.every(([field, value], i) => field === wanted[i]![0] && numeric(value) === wanted[i]![1]);
  });
}
