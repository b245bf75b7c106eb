/**
 * The retryable-writes table (mongod's config.transactions): per session, the
 * current txnNumber and the statements (stmtId) already executed with the oplog
 * operation each produced. The primary fills it as it writes; secondaries fill it
 * from the lsid/txnNumber/stmtId of the oplog entries they apply, so a retry that
 * reaches a new primary after a failover finds the statement done.
 * Persisted in `config.transactions` (not replicated, as in mongod). The coordinator
 * sees it only as `RetryableWriteRecords` (retryable-write.ts).
 */
import { Long } from 'bson';
import type { StmtRecord } from '../node.js';
import type { StorageEngine } from '../storage/engine.js';
import { isPlainObject, keyOf, type Doc } from '../storage/values.js';
import { asNumber } from './optime.js';
import type { RetryableWriteRecords } from './retryable-write.js';

export const TXN_DB = 'config';
export const TXN_COLL = 'transactions';

interface SessionRecord {
  lsid: Doc;
  txnNumber: number;
  stmts: Map<number, StmtRecord[]>;
  lastWriteOpTime?: Doc;
  lastWriteDate?: Date;
  /** 'committed': txnNumber was a multi-document transaction that committed (its applyOps entry). */
  state?: string;
}

export class TxnTable implements RetryableWriteRecords {
  private sessions = new Map<string, SessionRecord>();
  private dirty = new Set<string>();

  constructor(private readonly engine: StorageEngine) {}

  load(): void {
    this.sessions.clear();
    const c = this.engine.getCollection(TXN_DB, TXN_COLL);
    if (!c) return;
    for (const d of c.docs.values()) {
      const doc = d.doc;
      if (!isPlainObject(doc._id)) continue;
      const stmts = new Map<number, StmtRecord[]>();
      for (const s of Array.isArray(doc.stmts) ? (doc.stmts as Doc[]) : []) {
        const id = asNumber(s.stmtId, -1);
        const list = stmts.get(id) ?? [];
        list.push({ op: String(s.op), id: s.id, o: isPlainObject(s.o) ? s.o : undefined });
        stmts.set(id, list);
      }
      this.sessions.set(keyOf(doc._id), {
        lsid: doc._id,
        txnNumber: asNumber(doc.txnNumber, -1),
        stmts,
        lastWriteOpTime: doc.lastWriteOpTime as Doc,
        lastWriteDate: doc.lastWriteDate as Date,
        state: typeof doc.state === 'string' ? doc.state : undefined,
      });
    }
  }

  /** The highest txnNumber seen on the session (-1 if none). */
  txnNumber(lsid: Doc): number {
    return this.sessions.get(keyOf(lsid))?.txnNumber ?? -1;
  }

  committedTransaction(lsid: Doc, txnNumber: number): boolean {
    const s = this.sessions.get(keyOf(lsid));
    return s !== undefined && s.txnNumber === txnNumber && s.state === 'committed';
  }

  executed(lsid: Doc, txnNumber: number, stmtId: number): StmtRecord[] | undefined {
    const s = this.sessions.get(keyOf(lsid));
    if (!s || s.txnNumber !== txnNumber) return undefined;
    return s.stmts.get(stmtId);
  }

  /** Records one oplog entry carrying lsid/txnNumber/stmtId. */
  record(entry: Doc): void {
    const lsid = entry.lsid;
    if (!isPlainObject(lsid)) return;
    const txnNumber = asNumber(entry.txnNumber, -1);
    const stmtId = asNumber(entry.stmtId, -1);
    const key = keyOf(lsid);
    let s = this.sessions.get(key);
    if (!s || s.txnNumber < txnNumber) {
      s = { lsid, txnNumber, stmts: new Map() };
      this.sessions.set(key, s);
    } else if (s.txnNumber > txnNumber) return;
    if (entry.op === 'c' && isPlainObject(entry.o) && Array.isArray(entry.o.applyOps)) {
      // a committed transaction (mongod's config.transactions record has state: 'committed')
      s.state = 'committed';
      s.lastWriteOpTime = { ts: entry.ts, t: entry.t };
      s.lastWriteDate = entry.wall as Date;
      this.dirty.add(key);
      return;
    }
    const list = s.stmts.get(stmtId) ?? [];
    const op = String(entry.op);
    list.push({ op, id: op === 'i' && isPlainObject(entry.o) ? entry.o._id : undefined, o: op === 'n' && isPlainObject(entry.o) ? entry.o : undefined });
    s.stmts.set(stmtId, list);
    s.lastWriteOpTime = { ts: entry.ts, t: entry.t };
    s.lastWriteDate = entry.wall as Date;
    this.dirty.add(key);
  }

  /** Starts a newer txnNumber on the session (forgets older statements). */
  begin(lsid: Doc, txnNumber: number): void {
    const key = keyOf(lsid);
    const s = this.sessions.get(key);
    if (!s || s.txnNumber < txnNumber) this.sessions.set(key, { lsid, txnNumber, stmts: new Map() });
  }

  /** Writes changed sessions to config.transactions (through the engine's write path). */
  flush(): void {
    if (this.dirty.size === 0) return;
    this.engine.ensureCollection(TXN_DB, TXN_COLL);
    const c = this.engine.getCollection(TXN_DB, TXN_COLL)!;
    const ns = `${TXN_DB}.${TXN_COLL}`;
    for (const key of this.dirty) {
      const s = this.sessions.get(key);
      if (!s) continue;
      const stmts: Doc[] = [];
      for (const [stmtId, list] of s.stmts) {
        for (const r of list) {
          const d: Doc = { stmtId, op: r.op };
          if (r.id !== undefined) d.id = r.id;
          if (r.o !== undefined) d.o = r.o;
          stmts.push(d);
        }
      }
      let doc: Doc = { _id: s.lsid, txnNumber: Long.fromNumber(s.txnNumber), lastWriteOpTime: s.lastWriteOpTime ?? {}, lastWriteDate: s.lastWriteDate ?? new Date(), stmts };
      if (s.state !== undefined) doc.state = s.state;
      // A huge batch's statement list may not fit in a document: keep the session record
      // (the in-memory table still answers retries until a restart).
      if (stmts.length > 50000) doc = { ...doc, stmts: [] };
      try {
        if (c.docs.has(keyOf(s.lsid))) this.engine.write({ op: 'u', ns, o2: { _id: s.lsid }, o: doc });
        else this.engine.write({ op: 'i', ns, o: doc });
      } catch {
        /* never fail the user's write over its retry record */
      }
    }
    this.dirty.clear();
  }

  clear(): void {
    this.sessions.clear();
    this.dirty.clear();
  }

  reload(): void {
    this.clear();
    this.load();
  }
}
