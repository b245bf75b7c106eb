/**
 * Change events from oplog entries, in mongod 7.0's shape: one entry (or one op of a
 * transaction's applyOps, with its lsid and txnNumber) gives the events of the stream's
 * scope, each with its position (for its resume token). CRUD events: insert, update,
 * replace, delete; DDL: drop, rename, dropDatabase (and create, createIndexes,
 * dropIndexes, modify with showExpandedEvents); an invalidate follows the drop or rename
 * of a watched collection and the dropDatabase of a watched database. Pure but for the
 * injected `lookup` (fullDocument: 'updateLookup').
 */
import { Timestamp } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { isPlainObject, type Doc } from '../storage/values.js';
import { encodeToken, type StreamPosition } from './resume-token.js';
import type { ChangeStreamSpec, StreamScope } from './spec.js';
import { updateDescriptionDoc } from './update-description.js';
import type { ChangeInfo } from './write-info.js';

export interface BuiltEvent {
  readonly position: StreamPosition;
  readonly event: Doc;
  /** An invalidate: the stream ends after it. */
  readonly invalidate: boolean;
}

/** One op of an entry: the entry itself, or an op of its applyOps with its index. */
interface OpRef {
  readonly op: Doc;
  readonly index: number;
  readonly txn?: { lsid: unknown; txnNumber: unknown };
}

export interface EventSource {
  readonly spec: ChangeStreamSpec;
  /** The document with this key as of the stream's read point, the majority commit point (fullDocument: 'updateLookup'), or null. */
  lookup(db: string, coll: string, documentKey: Doc): Doc | null;
  /** The oplog entry at ts (a transaction's earlier partialTxn entries), if still there. */
  entryAt?(ts: Timestamp): Doc | undefined;
}

const INTERNAL_DBS = new Set(['admin', 'config', 'local']);

function splitNs(ns: unknown): { db: string; coll: string } {
  const s = typeof ns === 'string' ? ns : '';
  const dot = s.indexOf('.');
  return dot < 0 ? { db: s, coll: '' } : { db: s.slice(0, dot), coll: s.slice(dot + 1) };
}

/** Whether a change to `db.coll` (coll undefined: the database itself) belongs to the scope. */
export function inScope(scope: StreamScope, db: string, coll: string | undefined): boolean {
  if (coll !== undefined && coll.startsWith('system.')) return false;
  switch (scope.kind) {
    case 'collection':
      return coll !== undefined && db === scope.db && coll === scope.coll;
    case 'database':
      return db === scope.db;
    case 'cluster':
      return !INTERNAL_DBS.has(db);
  }
}

function isApplyOps(entry: Doc | undefined): entry is Doc & { o: { applyOps: unknown[] } } {
  return entry !== undefined && entry.op === 'c' && isPlainObject(entry.o) && Array.isArray(entry.o.applyOps);
}

/**
 * The ops of an entry: a transaction's applyOps expanded. A partial one (partialTxn) is
 * not committed yet: none; the entry that ends a chain (linked by prevOpTime) gives the
 * ops of the whole chain, oldest first, at its own timestamp.
 */
function opsOf(entry: Doc, src: EventSource): OpRef[] {
  if (!isApplyOps(entry)) return [{ op: entry, index: 0 }];
  const o = entry.o as Doc;
  if (o.partialTxn === true || entry.partialTxn === true || o.prepare === true) return [];
  const chain: Doc[] = [entry];
  for (let prev = entry.prevOpTime; isPlainObject(prev) && prev.ts instanceof Timestamp && src.entryAt; ) {
    const ts = prev.ts as Timestamp;
    if (ts.t === 0 && ts.i === 0) break;
    const e = src.entryAt(ts);
    if (!isApplyOps(e)) break;
    chain.unshift(e);
    prev = e.prevOpTime;
  }
  const txn = entry.lsid !== undefined ? { lsid: entry.lsid, txnNumber: entry.txnNumber } : undefined;
  const ops = chain.flatMap((e) => ((e.o as Doc).applyOps as unknown[]).filter(isPlainObject));
  return ops.map((op, index) => ({ op, index, txn }));
}

function preImageOf(op: Doc): Doc | undefined {
  const info = op.changeStream as ChangeInfo | undefined;
  return isPlainObject(info) && isPlainObject(info.preImage) ? info.preImage : undefined;
}

function requiredImage(which: string, op: Doc, ts: Timestamp): never {
  throw new CommandError(
    ErrorCode.NoMatchingDocument,
    `Change stream was configured to require a ${which} for all update, delete and replace events, but the ${which} was not found for event: {ts: Timestamp(${ts.t}, ${ts.i}), ns: "${String(op.ns)}"}`,
  );
}

/** The events of one oplog entry for the stream (oplog order; positions ascending). */
export function eventsOf(entry: Doc, src: EventSource): BuiltEvent[] {
  const ts = entry.ts as Timestamp;
  const out: BuiltEvent[] = [];
  for (const ref of opsOf(entry, src)) {
    const { op } = ref;
    const position: StreamPosition = { ts, index: ref.index, sub: 0 };
    const head = (operationType: string, documentKey?: Doc): Doc => {
      const e: Doc = { _id: encodeToken(position, documentKey), operationType, clusterTime: ts };
      if (entry.wall instanceof Date) e.wallTime = entry.wall;
      return e;
    };
    const tail = (e: Doc): Doc => {
      if (ref.txn) {
        e.lsid = ref.txn.lsid;
        e.txnNumber = ref.txn.txnNumber;
      }
      return e;
    };
    const invalidate = (): void => {
      const p: StreamPosition = { ts, index: ref.index, sub: 1 };
      const e: Doc = { _id: encodeToken(p), operationType: 'invalidate', clusterTime: ts };
      if (entry.wall instanceof Date) e.wallTime = entry.wall;
      out.push({ position: p, event: e, invalidate: true });
    };
    const push = (e: Doc): void => {
      out.push({ position, event: tail(e), invalidate: false });
    };
    const spec = src.spec;
    const expanded = spec.showExpandedEvents;
    const withUuid = (e: Doc): Doc => {
      if (expanded && op.ui !== undefined) e.collectionUUID = op.ui;
      return e;
    };
    const beforeChange = (e: Doc): void => {
      if (spec.fullDocumentBeforeChange === 'off') return;
      const pre = preImageOf(op);
      if (!pre && spec.fullDocumentBeforeChange === 'required') requiredImage('pre-image', op, ts);
      e.fullDocumentBeforeChange = pre ?? null;
    };
    switch (op.op) {
      case 'i':
      case 'u':
      case 'd': {
        const { db, coll } = splitNs(op.ns);
        if (!inScope(spec.scope, db, coll)) break;
        const o = op.o as Doc;
        const ns = { db, coll };
        if (op.op === 'i') {
          const documentKey = isPlainObject(op.o2) ? op.o2 : { _id: o._id };
          const e = withUuid(head('insert', documentKey));
          e.fullDocument = o;
          e.ns = ns;
          e.documentKey = documentKey;
          push(e);
        } else if (op.op === 'd') {
          const documentKey = { _id: o._id };
          const e = withUuid(head('delete', documentKey));
          e.ns = ns;
          e.documentKey = documentKey;
          beforeChange(e);
          push(e);
        } else {
          const documentKey = isPlainObject(op.o2) ? { _id: op.o2._id } : { _id: o._id };
          const info = op.changeStream as ChangeInfo | undefined;
          const desc = isPlainObject(info) && isPlainObject(info.updateDescription) ? info.updateDescription : undefined;
          if (!desc) {
            const e = withUuid(head('replace', documentKey));
            e.fullDocument = o;
            e.ns = ns;
            e.documentKey = documentKey;
            beforeChange(e);
            push(e);
            break;
          }
          const e = withUuid(head('update', documentKey));
          e.ns = ns;
          e.documentKey = documentKey;
          e.updateDescription = updateDescriptionDoc(desc, expanded);
          switch (spec.fullDocument) {
            case 'default':
              break;
            case 'updateLookup':
              e.fullDocument = src.lookup(db, coll, documentKey);
              break;
            case 'whenAvailable':
            case 'required': {
              const post = preImageOf(op) ? o : undefined;
              if (!post && spec.fullDocument === 'required') requiredImage('post-image', op, ts);
              e.fullDocument = post ?? null;
              break;
            }
          }
          beforeChange(e);
          push(e);
        }
        break;
      }
      case 'c':
        commandEvents(op, splitNs(op.ns).db, spec, head, withUuid, push, invalidate);
        break;
      default:
        break;
    }
  }
  return out;
}

function commandEvents(
  op: Doc,
  db: string,
  spec: ChangeStreamSpec,
  head: (operationType: string) => Doc,
  withUuid: (e: Doc) => Doc,
  push: (e: Doc) => void,
  invalidate: () => void,
): void {
  const o = isPlainObject(op.o) ? op.o : {};
  const scope = spec.scope;
  const expanded = spec.showExpandedEvents;
  const ddl = (operationType: string, coll: string, operationDescription: Doc): void => {
    if (!expanded || !inScope(scope, db, coll)) return;
    const e = withUuid(head(operationType));
    e.ns = { db, coll };
    e.operationDescription = operationDescription;
    push(e);
  };
  if (typeof o.create === 'string') {
    const { create, ...options } = o;
    const desc: Doc = options.viewOn === undefined ? { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' }, ...options } : options;
    ddl('create', create, desc);
  } else if (typeof o.drop === 'string') {
    if (!inScope(scope, db, o.drop)) return;
    const e = withUuid(head('drop'));
    e.ns = { db, coll: o.drop };
    push(e);
    if (scope.kind === 'collection') invalidate();
  } else if (typeof o.renameCollection === 'string') {
    const from = splitNs(o.renameCollection);
    const to = splitNs(o.to);
    if (inScope(scope, from.db, from.coll)) {
      const e = withUuid(head('rename'));
      e.ns = from;
      e.to = to;
      if (expanded) e.operationDescription = { to };
      push(e);
      if (scope.kind === 'collection') invalidate();
    } else if (scope.kind === 'collection' && o.dropTarget && inScope(scope, to.db, to.coll)) invalidate();
  } else if (o.dropDatabase !== undefined) {
    if (scope.kind === 'collection' || !inScope(scope, db, undefined)) return;
    const e = head('dropDatabase');
    e.ns = { db };
    push(e);
    if (scope.kind === 'database') invalidate();
  } else if (typeof o.createIndexes === 'string') {
    const { createIndexes, spec: indexSpec, ...rest } = o;
    ddl('createIndexes', createIndexes, { indexes: [isPlainObject(indexSpec) ? indexSpec : rest] });
  } else if (typeof o.dropIndexes === 'string') {
    const index = isPlainObject(op.o2) ? op.o2 : { name: o.index };
    ddl('dropIndexes', o.dropIndexes, { indexes: [index] });
  } else if (typeof o.collMod === 'string') {
    const { collMod, ...rest } = o;
    ddl('modify', collMod, rest);
  }
}
