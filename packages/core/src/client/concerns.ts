/**
 * Read/write concern plumbing for the client layer, on top of concern/: resolve
 * what users pass (ReadConcern / WriteConcern instances, plain objects, level
 * strings; read preferences likewise) and render the command fields.
 */
import { MongoWriteConcernError, type Document } from '../errors.js';
import { ReadPreference, type ReadPreferenceLike } from '../selection/read-preference.js';
import { ReadConcern, type ReadConcernLike } from '../concern/read-concern.js';
import { WriteConcern, type W, type WriteConcernSettings } from '../concern/write-concern.js';
import { resolveBsonOptions, type BSONSerializeOptions } from '../wire/bson-options.js';

export type { ReadConcernLike, W };
export type WriteConcernLike = WriteConcern | WriteConcernSettings;

/** ReadPreference for an option value, or `inherit` when none is given. */
export function resolveReadPreference<T extends ReadPreference | undefined>(value: ReadPreferenceLike | undefined, inherit: T): ReadPreference | T {
  return value !== undefined ? ReadPreference.from(value) : inherit;
}

/** The read preference and concerns a Db or Collection passes on. */
export interface InheritedOptions {
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  readonly writeConcern: WriteConcern | undefined;
  readonly bsonOptions: BSONSerializeOptions;
}

/** `options` with the read preference and concerns not given there taken from `parent`. */
export function withInherited<T extends { readPreference?: ReadPreferenceLike; readConcern?: ReadConcernLike; writeConcern?: WriteConcernLike }>(
  options: T,
  parent: InheritedOptions,
): T & { readPreference: ReadPreference; readConcern: ReadConcernLike | undefined; writeConcern: WriteConcernLike | undefined; bsonOptions: BSONSerializeOptions } {
  return {
    ...options,
    readPreference: resolveReadPreference(options.readPreference, parent.readPreference),
    readConcern: options.readConcern ?? parent.readConcern,
    writeConcern: options.writeConcern ?? parent.writeConcern,
    bsonOptions: resolveBsonOptions(options, parent.bsonOptions),
  };
}

/** ReadConcern for an option value, or `inherit` when none is given. */
export function resolveReadConcern(value: ReadConcernLike | undefined, inherit?: ReadConcern): ReadConcern | undefined {
  if (value === undefined || value === null) return inherit;
  return ReadConcern.fromOptions({ readConcern: value });
}

/**
 * WriteConcern for an option value, or `inherit` when none is given (or it sets nothing). A
 * value given replaces the inherited write concern whole, as the official driver's Db,
 * Collection and resolveOptions do (`WriteConcern.fromOptions(options) ?? parent.writeConcern`):
 * a collection's `{ w: 1 }` under a client's `w=majority&wtimeoutMS=2000` is `{ w: 1 }`.
 */
export function resolveWriteConcern(value: WriteConcernLike | W | undefined, inherit?: WriteConcern): WriteConcern | undefined {
  if (value === undefined || value === null) return inherit;
  return WriteConcern.fromOptions({ writeConcern: value }) ?? inherit;
}

/** `{ level }` for the command's `readConcern`, or undefined for the server default. */
export function readConcernDocument(rc: ReadConcernLike | undefined): Document | undefined {
  if (rc === undefined || rc === null) return undefined;
  const level = typeof rc === 'string' ? rc : rc.level;
  return level === undefined ? undefined : { level };
}

/** `{ w, j, wtimeout }` for the command's `writeConcern`, or undefined for the server default. */
export function writeConcernDocument(wc: WriteConcernLike | undefined): Document | undefined {
  if (!wc) return undefined;
  const s = wc as WriteConcernSettings;
  const doc: Document = {};
  if (s.w !== undefined) doc.w = s.w;
  const j = s.journal ?? s.j;
  if (j !== undefined) doc.j = j;
  const wt = s.wtimeoutMS ?? s.wtimeout;
  if (wt !== undefined) doc.wtimeout = wt;
  return Object.keys(doc).length > 0 ? doc : undefined;
}

/** w:0 without journal = fire and forget. */
export function isUnacknowledged(wc: WriteConcernLike | undefined): boolean {
  const doc = writeConcernDocument(wc);
  return doc?.w === 0 && !doc.j;
}

/** Throw for a writeConcernError in an ok:1 reply (single-statement operations). */
export function throwIfWriteConcernError(reply: Document): void {
  const wce = reply.writeConcernError as Document | undefined;
  if (!wce) return;
  const labels = [reply, wce].flatMap((doc) => (Array.isArray(doc.errorLabels) ? (doc.errorLabels as string[]) : []));
  throw new MongoWriteConcernError({ ...wce, errorLabels: labels, writeConcernError: wce, result: reply });
}
