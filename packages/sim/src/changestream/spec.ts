/**
 * The `$changeStream` stage as mongod 7.0 parses it: its options, where the stream may be
 * opened (collection, database with `{aggregate: 1}`, cluster on admin with
 * `allChangesForCluster`), and the stages allowed after it. Pure.
 */
import { Timestamp } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { isPlainObject, type Doc } from '../storage/values.js';
import { decodeToken, type DecodedToken } from './resume-token.js';

export type StreamScope =
  | { readonly kind: 'collection'; readonly db: string; readonly coll: string }
  | { readonly kind: 'database'; readonly db: string }
  | { readonly kind: 'cluster' };

export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';
export type BeforeChangeMode = 'off' | 'whenAvailable' | 'required';

export type StartPoint =
  | { readonly kind: 'now' }
  | { readonly kind: 'resumeAfter'; readonly token: DecodedToken }
  | { readonly kind: 'startAfter'; readonly token: DecodedToken }
  | { readonly kind: 'startAtOperationTime'; readonly ts: Timestamp };

export interface ChangeStreamSpec {
  readonly scope: StreamScope;
  readonly fullDocument: FullDocumentMode;
  readonly fullDocumentBeforeChange: BeforeChangeMode;
  readonly showExpandedEvents: boolean;
  readonly start: StartPoint;
}

const KNOWN = new Set([
  'fullDocument', 'fullDocumentBeforeChange', 'resumeAfter', 'startAfter', 'startAtOperationTime',
  'allChangesForCluster', 'showExpandedEvents', 'showSystemEvents', 'showMigrationEvents', 'showRawUpdateDescription', 'allowToRunOnConfigDB', 'allowToRunOnSystemNS',
]);
/** mongod's allowlist of stages after $changeStream. */
const ALLOWED_AFTER = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$redact', '$changeStreamSplitLargeEvent']);
const INTERNAL_DBS = new Set(['admin', 'config', 'local']);

export function isChangeStream(stage: Doc | undefined): boolean {
  return stage !== undefined && isPlainObject(stage) && Object.keys(stage)[0] === '$changeStream';
}

function enumOption<T extends string>(v: unknown, field: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw new CommandError(ErrorCode.TypeMismatch, `BSON field '$changeStream.${field}' is the wrong type '${typeof v}', expected type 'string'`);
  if (!(allowed as readonly string[]).includes(v)) throw new CommandError(ErrorCode.BadValue, `Enumeration value '${v}' for field '$changeStream.${field}' is not a valid value.`);
  return v as T;
}

/**
 * Parses the stage and checks the namespace and the later stages. `coll` is the
 * aggregate's collection (undefined for `{aggregate: 1}`).
 */
export function parseChangeStream(db: string, coll: string | undefined, pipeline: readonly Doc[]): ChangeStreamSpec {
  const raw = pipeline[0]!.$changeStream;
  if (!isPlainObject(raw)) throw new CommandError(50808, '$changeStream stage expects a document as argument');
  for (const k of Object.keys(raw)) if (!KNOWN.has(k)) throw new CommandError(40415, `BSON field '$changeStream.${k}' is an unknown field.`);
  for (const s of pipeline.slice(1)) {
    const name = Object.keys(s)[0] ?? '';
    if (name === '$changeStream') throw new CommandError(40602, '$changeStream is only valid as the first stage in a pipeline');
    if (!ALLOWED_AFTER.has(name)) throw new CommandError(ErrorCode.IllegalOperation, `${name} is not permitted in a $changeStream pipeline`);
  }
  const cluster = raw.allChangesForCluster === true;
  let scope: StreamScope;
  if (cluster) {
    if (db !== 'admin' || coll !== undefined) throw new CommandError(ErrorCode.InvalidNamespace, "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name");
    scope = { kind: 'cluster' };
  } else {
    if (INTERNAL_DBS.has(db)) throw new CommandError(ErrorCode.InvalidNamespace, `$changeStream may not be opened on the internal ${db} database`);
    if (coll !== undefined && coll.startsWith('system.')) throw new CommandError(ErrorCode.InvalidNamespace, `$changeStream may not be opened on the internal ${db}.${coll} collection`);
    scope = coll === undefined ? { kind: 'database', db } : { kind: 'collection', db, coll };
  }
  const starts = ['resumeAfter', 'startAfter', 'startAtOperationTime'].filter((k) => raw[k] !== undefined);
  if (starts.length > 1) throw new CommandError(ErrorCode.BadValue, 'Only one type of resume option is allowed, but multiple were found.');
  let start: StartPoint = { kind: 'now' };
  if (raw.resumeAfter !== undefined) {
    const token = decodeToken(raw.resumeAfter, '$changeStream.resumeAfter');
    if (token.fromInvalidate) {
      throw new CommandError(ErrorCode.InvalidResumeToken, "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification.");
    }
    start = { kind: 'resumeAfter', token };
  } else if (raw.startAfter !== undefined) start = { kind: 'startAfter', token: decodeToken(raw.startAfter, '$changeStream.startAfter') };
  else if (raw.startAtOperationTime !== undefined) {
    if (!(raw.startAtOperationTime instanceof Timestamp)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field '$changeStream.startAtOperationTime' is the wrong type, expected type 'timestamp'");
    start = { kind: 'startAtOperationTime', ts: raw.startAtOperationTime };
  }
  const showExpandedEvents = raw.showExpandedEvents === true;
  return {
    scope,
    fullDocument: enumOption(raw.fullDocument, 'fullDocument', ['default', 'updateLookup', 'whenAvailable', 'required'] as const, 'default'),
    fullDocumentBeforeChange: enumOption(raw.fullDocumentBeforeChange, 'fullDocumentBeforeChange', ['off', 'whenAvailable', 'required'] as const, 'off'),
    showExpandedEvents,
    start,
  };
}
