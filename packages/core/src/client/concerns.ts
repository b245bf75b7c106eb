/**
 * Read/write concern plumbing for the client layer. Accepts the concern/ classes
 * (duck-typed: `level`; `w`, `wtimeoutMS`, `journal`) or plain objects in the
 * official driver's shapes, and renders the command fields.
 */
import { MongoInvalidArgumentError, type Document } from '../errors.js';

export type ReadConcernLevel = 'local' | 'majority' | 'linearizable' | 'available' | 'snapshot';

export interface ReadConcernLike {
  readonly level?: ReadConcernLevel | string | undefined;
}

export type W = number | 'majority' | string;

export interface WriteConcernLike {
  readonly w?: W | undefined;
  readonly wtimeoutMS?: number | undefined;
  readonly journal?: boolean | undefined;
  /** @deprecated legacy spellings, accepted like the official driver */
  readonly j?: boolean | undefined;
  readonly wtimeout?: number | undefined;
}

/** `{ level }` for the command's `readConcern`, or undefined for the server default. */
export function readConcernDocument(rc: ReadConcernLike | undefined): Document | undefined {
  if (!rc || rc.level === undefined) return undefined;
  return { level: rc.level };
}

/** `{ w, j, wtimeout }` for the command's `writeConcern`, or undefined for the server default. */
export function writeConcernDocument(wc: WriteConcernLike | undefined): Document | undefined {
  if (!wc) return undefined;
  const doc: Document = {};
  if (wc.w !== undefined) doc.w = wc.w;
  const j = wc.journal ?? wc.j;
  if (j !== undefined) doc.j = j;
  const wt = wc.wtimeoutMS ?? wc.wtimeout;
  if (wt !== undefined) doc.wtimeout = wt;
  return Object.keys(doc).length > 0 ? doc : undefined;
}

/** w:0 without journal = fire and forget. */
export function isUnacknowledged(wc: WriteConcernLike | undefined): boolean {
  return wc !== undefined && wc.w === 0 && !(wc.journal ?? wc.j);
}

export function validateWriteConcern(wc: WriteConcernLike | undefined): void {
  if (!wc) return;
  if (wc.w === 0 && (wc.journal ?? wc.j) === true) {
    throw new MongoInvalidArgumentError('Write concern w:0 cannot be combined with journal:true');
  }
  if (typeof wc.w === 'number' && (!Number.isInteger(wc.w) || wc.w < 0)) {
    throw new MongoInvalidArgumentError(`Invalid write concern w: ${wc.w}`);
  }
}
