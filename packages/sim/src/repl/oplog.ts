/**
 * The oplog (`local.oplog.rs`): the in-memory list of entries in timestamp order, kept
 * in step with the collection, bounded by `maxEntries`; entry building for the
 * primary's writes; and where an oplog fetch resumes. Storage only: no timers, no
 * sockets (the coordinator decides when to append, fetch or truncate).
 */
import { BSON, Long, Timestamp, type UUID } from 'bson';
import type { StorageEngine, WriteEntry } from '../storage/engine.js';
import type { Doc } from '../storage/values.js';
import { asNumber, fromWire, tsCompare, type OpTime } from './optime.js';
import { statementFields, type StatementRef } from './retryable-write.js';
import { changeInfoOf } from '../changestream/write-info.js';

export const OPLOG_DB = 'local';
export const OPLOG_COLL = 'oplog.rs';
export const OPLOG_NS = `${OPLOG_DB}.${OPLOG_COLL}`;

/** The entry's wall clock time (now for an entry without one). */
export function wallOf(e: Doc): Date {
  return e.wall instanceof Date ? e.wall : new Date();
}

/**
 * The oplog entry of one engine write on the primary, not yet stamped (see stampEntry):
 * lsid/txnNumber/stmtId when a retryable write statement made it, the collection's uuid.
 */
export function entryForWrite(e: WriteEntry, stmt: StatementRef | undefined, collectionUuid: UUID | undefined): Doc {
  const entry: Doc = {};
  const s = stmt && e.op !== 'c' ? statementFields(stmt) : undefined;
  if (s) {
    entry.lsid = s.lsid;
    entry.txnNumber = s.txnNumber;
  }
  entry.op = e.op;
  entry.ns = e.ns;
  if (e.op === 'c') {
    if (e.ui) entry.ui = e.ui;
  } else if (collectionUuid) entry.ui = collectionUuid;
  entry.o = e.o;
  if (e.op === 'u') entry.o2 = e.o2;
  const cs = changeInfoOf(e);
  if (cs) entry.changeStream = cs;
  if (s) entry.stmtId = s.stmtId;
  return entry;
}

/**
 * A committed transaction as mongod logs it: one command entry on `admin.$cmd` whose
 * `o.applyOps` lists the transaction's writes in order (each with its collection's uuid),
 * with the session's lsid/txnNumber and `prevOpTime` null (the transaction's only entry).
 */
export function applyOpsEntry(lsid: Doc, txnNumber: number, ops: readonly WriteEntry[], uuidOf: (ns: string) => UUID | undefined): Doc {
  const inner = ops.map((e) => {
    const op = entryForWrite(e, undefined, e.op === 'c' ? undefined : uuidOf(e.ns));
    if (e.op === 'c' && !op.ui) {
      const name = typeof e.o.create === 'string' ? e.o.create : typeof e.o.createIndexes === 'string' ? e.o.createIndexes : undefined;
      const dot = e.ns.indexOf('.');
      const ui = name !== undefined ? uuidOf(`${e.ns.slice(0, dot)}.${name}`) : undefined;
      if (ui) op.ui = ui;
    }
    return op;
  });
  return {
    lsid,
    txnNumber: Long.fromNumber(txnNumber),
    op: 'c',
    ns: 'admin.$cmd',
    o: { applyOps: inner },
    prevOpTime: { ts: new Timestamp({ t: 0, i: 0 }), t: Long.fromNumber(-1) },
  };
}

/** A no-op entry ('n'), e.g. "new primary", "periodic noop" or a retried statement's outcome. */
export function noopEntry(o: Doc, stmt?: StatementRef): Doc {
  const entry: Doc = {};
  const s = stmt ? statementFields(stmt) : undefined;
  if (s) {
    entry.lsid = s.lsid;
    entry.txnNumber = s.txnNumber;
  }
  entry.op = 'n';
  entry.ns = '';
  entry.o = o;
  if (s) entry.stmtId = s.stmtId;
  return entry;
}

/** Stamps the optime (ts, t), version and wall time of a new entry (in place; returns it). */
export function stampEntry(entry: Doc, ts: Timestamp, term: number, wall: Date): Doc {
  entry.ts = ts;
  entry.t = Long.fromNumber(term);
  entry.v = Long.fromNumber(2);
  entry.wall = wall;
  return entry;
}

/** Where an oplog fetch after `after` stands on this oplog. */
export type FetchPosition =
  | { readonly kind: 'found'; readonly index: number }
  /** `after` is older than our oldest entry: the fetcher must resync. */
  | { readonly kind: 'tooStale' }
  /** `after` is not in our history (another term's entry at that time): the fetcher diverged. */
  | { readonly kind: 'rollback' };

export class Oplog {
  #entries: Doc[] = [];

  constructor(
    private readonly engine: StorageEngine,
    private readonly maxEntries: number,
  ) {}

  /** Reads local.oplog.rs (creating it) into memory. */
  load(): void {
    this.engine.ensureCollection(OPLOG_DB, OPLOG_COLL);
    const oc = this.engine.getCollection(OPLOG_DB, OPLOG_COLL)!;
    this.#entries = [];
    for (const d of oc.docs.values()) {
      const { _id, ...entry } = d.doc;
      this.#entries.push(entry);
    }
    this.#entries.sort((a, b) => tsCompare(a.ts as Timestamp, b.ts as Timestamp));
  }

  get length(): number {
    return this.#entries.length;
  }

  get isEmpty(): boolean {
    return this.#entries.length === 0;
  }

  first(): Doc | undefined {
    return this.#entries[0];
  }

  last(): Doc | undefined {
    return this.#entries[this.#entries.length - 1];
  }

  /** Writes the entry to local.oplog.rs and appends it; drops the oldest tenth past maxEntries. */
  append(entry: Doc): void {
    this.engine.write({ op: 'i', ns: OPLOG_NS, o: { _id: entry.ts, ...entry } });
    this.#entries.push(entry);
    if (this.#entries.length > this.maxEntries) this.#truncate();
  }

  #truncate(): void {
    const removed = this.#entries.splice(0, Math.ceil(this.maxEntries / 10));
    for (const e of removed) this.engine.write({ op: 'd', ns: OPLOG_NS, o: { _id: e.ts } });
  }

  /** Drops local.oplog.rs and starts empty (initial sync, rollback). */
  reset(): void {
    if (this.engine.getCollection(OPLOG_DB, OPLOG_COLL)) this.engine.write({ op: 'c', ns: `${OPLOG_DB}.$cmd`, o: { drop: OPLOG_COLL } });
    this.engine.ensureCollection(OPLOG_DB, OPLOG_COLL);
    this.#entries = [];
  }

  /** The index of the entry at `ts`, or -1. */
  findIndex(ts: Timestamp): number {
    let lo = 0;
    let hi = this.#entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = tsCompare(this.#entries[mid]!.ts as Timestamp, ts);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The index of the first entry at or after `ts` (length when none): where a change stream scan starts. */
  lowerBound(ts: Timestamp): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tsCompare(this.#entries[mid]!.ts as Timestamp, ts) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The entry at index `i`. */
  at(i: number): Doc | undefined {
    return this.#entries[i];
  }

  /** The wall time of the entry at `o` (its timestamp's seconds when it is not here). */
  entryWall(o: OpTime): Date {
    const i = this.findIndex(o.ts);
    return i >= 0 ? wallOf(this.#entries[i]!) : new Date(o.ts.t * 1000);
  }

  /** Where a fetch after `after` resumes: at its entry (same ts and term), or why it cannot. */
  fetchPosition(after: OpTime): FetchPosition {
    const i = this.findIndex(after.ts);
    if (i >= 0 && asNumber(this.#entries[i]!.t, -1) === after.t) return { kind: 'found', index: i };
    const first = this.#entries[0];
    if (first && tsCompare(after.ts, first.ts as Timestamp) < 0) return { kind: 'tooStale' };
    return { kind: 'rollback' };
  }

  /** Up to `batchSize` entries (and about `maxBytes`) after index `i`. */
  batchAfter(i: number, batchSize: number, maxBytes: number): Doc[] {
    const out: Doc[] = [];
    let bytes = 0;
    for (let k = i + 1; k < this.#entries.length && out.length < batchSize && bytes < maxBytes; k++) {
      out.push(this.#entries[k]!);
      bytes += BSON.calculateObjectSize(this.#entries[k]!);
    }
    return out;
  }

  /** The optime of the newest entry (undefined when empty). */
  lastOpTime(): OpTime | undefined {
    const l = this.last();
    return l ? fromWire(l) : undefined;
  }
}
