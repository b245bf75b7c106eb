/**
 * Change stream resume tokens: `{ _data: <hex string> }`, opaque to clients, ordered as
 * strings in the order of the events they name, and stable across members (they are
 * built only from replicated oplog fields, so a token from one member resumes on another).
 *
 *   "82" | ts.t (8 hex) | ts.i (8 hex) | txnOpIndex + 1 (8 hex) | sub (2 hex) | documentKey BSON (hex)
 *
 * `txnOpIndex` is the op's index inside a transaction's applyOps (0 otherwise); `sub` is
 * 00 for the event of that op and 01 for the invalidate that follows it. A high-water-mark
 * token (an empty batch's postBatchResumeToken) has txnOpIndex FFFFFFFF and sub FF: it
 * sorts after every event at its timestamp and says "everything up to ts was seen".
 */
import { BSON, Timestamp } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { isPlainObject, type Doc } from '../storage/values.js';

const VERSION = '82';
const HEADER_LEN = 2 + 16 + 8 + 2;
export const HWM_INDEX = 0xffffffff;

/** A point in the change history: everything at or before it has been seen. */
export interface StreamPosition {
  readonly ts: Timestamp;
  /** The op index inside the entry (applyOps); HWM_INDEX: the whole timestamp; -1: nothing at ts yet. */
  readonly index: number;
  /** 0: the op's event, 1: the invalidate after it (HWM: 0xff). */
  readonly sub: number;
}

export interface DecodedToken extends StreamPosition {
  readonly fromInvalidate: boolean;
  readonly highWaterMark: boolean;
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/** The token of the event at `p` (documentKey, when the event has one, makes it unique to the document). */
export function encodeToken(p: StreamPosition, documentKey?: Doc): Doc {
  // an op index is written plus one, so that -1 ("before every op at ts") is 0
  const index = p.index === HWM_INDEX ? HWM_INDEX : p.index + 1;
  let data = VERSION + hex(p.ts.t, 8) + hex(p.ts.i, 8) + hex(index, 8) + hex(p.sub, 2);
  if (documentKey) data += Buffer.from(BSON.serialize(documentKey)).toString('hex').toUpperCase();
  return { _data: data };
}

/** The token of a position that is not an event (a high-water mark, or "before ts" for startAtOperationTime). */
export function positionToken(p: StreamPosition): Doc {
  return encodeToken(p);
}

/** A high-water-mark token: every event at or before `ts` was seen. */
export function highWaterMark(ts: Timestamp): Doc {
  return encodeToken({ ts, index: HWM_INDEX, sub: 0xff });
}

export function decodeToken(raw: unknown, field: string): DecodedToken {
  const data = isPlainObject(raw) ? raw._data : undefined;
  if (typeof data !== 'string' || data.length < HEADER_LEN || !data.startsWith(VERSION) || !/^[0-9A-Fa-f]+$/.test(data)) {
    throw new CommandError(ErrorCode.BadValue, `${field}: the resume token is invalid (expected { _data: <hex string> } from a change event or postBatchResumeToken)`);
  }
  const t = parseInt(data.slice(2, 10), 16);
  const i = parseInt(data.slice(10, 18), 16);
  const field8 = parseInt(data.slice(18, 26), 16);
  const sub = parseInt(data.slice(26, 28), 16);
  const highWaterMark = field8 === HWM_INDEX && sub === 0xff;
  const index = field8 === HWM_INDEX ? HWM_INDEX : field8 - 1;
  return { ts: new Timestamp({ t, i }), index, sub, fromInvalidate: !highWaterMark && sub === 1, highWaterMark };
}

export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  if (a.ts.t !== b.ts.t) return a.ts.t < b.ts.t ? -1 : 1;
  if (a.ts.i !== b.ts.i) return a.ts.i < b.ts.i ? -1 : 1;
  if (a.index !== b.index) return a.index < b.index ? -1 : 1;
  return a.sub === b.sub ? 0 : a.sub < b.sub ? -1 : 1;
}
