/**
 * The client-side-operations-timeout suite's durations, scaled. Its tests race deadlines of
 * 1-50 ms against fail points that block for a little longer (or shorter), which a loaded
 * 2-core machine cannot hold from one run to the next. Every duration a test sets or
 * compares (the keys below, wherever they appear: client options, operation arguments,
 * fail point data, expected commands, `$$lte` bounds on maxTimeMS) is multiplied by the
 * same factor, so each relation the test checks (block > timeout, maxTimeMS <= bound,
 * maxAwaitTimeMS < timeoutMS) holds as written, with wider margins. 0 stays 0 (no timeout).
 * Pure.
 */
import type { Doc } from './match.js';

/** The factor the runner applies to the CSOT suite (documented in plan.ts and docs/conformance.md). */
export const CSOT_TIME_SCALE = 3;

/** The spec folder whose files are scaled. */
export const SCALED_SUITE = 'client-side-operations-timeout';

/** Keys whose numeric values are durations in milliseconds set or compared by the tests. */
export const SCALED_KEYS: ReadonlySet<string> = new Set([
  'timeoutMS',
  'defaultTimeoutMS',
  'blockTimeMS',
  'maxAwaitTimeMS',
  'maxCommitTimeMS',
  'maxTimeMS',
  'socketTimeoutMS',
  'wTimeoutMS',
  // the write concern field a wTimeoutMS becomes in an expected command
  'wtimeout',
  'waitQueueTimeoutMS',
  '$$lte',
]);

/** A copy of `value` with the number under every SCALED_KEYS key multiplied by `factor`. */
export function scaleDurations<T>(value: T, factor: number): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return v;
    const out: Doc = {};
    for (const [k, x] of Object.entries(v as Doc)) out[k] = SCALED_KEYS.has(k) && typeof x === 'number' ? x * factor : walk(x);
    return out;
  };
  return walk(value) as T;
}
