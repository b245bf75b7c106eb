/**
 * A transaction's private view of the storage engine: snapshot isolation by copy on
 * first touch. The view starts empty; the first time the transaction reads a
 * collection it copies it from the live engine (sharing the immutable StoredDocs), and
 * the live engine tells the view (SnapshotHolder.preserve) before it changes anything
 * the view has not copied yet, so the copy is always the state as of the transaction's
 * start. The transaction's own writes go to its copies only, and are kept in order
 * (`ops`) for the commit.
 *
 * Write conflicts (first writer wins): before the transaction's first write to a
 * document, the live version of that document must still be the snapshot's version
 * and no other open transaction may have written it; otherwise WriteConflict (112).
 * The commit checks the live versions again (a write outside any transaction that came
 * in between makes the transaction the loser: WriteConflict at commit, not a lost update).
 */
import { CommandError, ErrorCode } from '../errors.js';
import { StorageEngine, type CollectionState, type SnapshotHolder, type StoredDoc, type WriteEntry } from '../storage/engine.js';
import { keyOf } from '../storage/values.js';

export const WRITE_CONFLICT_MESSAGE = 'Caused by :: Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.';

export function writeConflict(): CommandError {
  return new CommandError(ErrorCode.WriteConflict, WRITE_CONFLICT_MESSAGE, {}, ['TransientTransactionError']);
}

/** The document a data entry is about, as `ns \0 _id key` (undefined for catalog entries). */
export function docKeyOf(entry: WriteEntry): string | undefined {
  switch (entry.op) {
    case 'i':
      return `${entry.ns}\0${keyOf(entry.o._id)}`;
    case 'u':
      return `${entry.ns}\0${keyOf(entry.o2._id)}`;
    case 'd':
      return `${entry.ns}\0${keyOf(entry.o._id)}`;
    case 'c':
      return undefined;
  }
}

function splitNs(ns: string): { db: string; coll: string } {
  const i = ns.indexOf('.');
  return { db: ns.slice(0, i), coll: ns.slice(i + 1) };
}

/** What the view asks of the other open transactions. */
export interface ConflictOracle {
  /** True when another open transaction has written this document. */
  writtenByOther(view: SnapshotEngine, docKey: string): boolean;
}

export class SnapshotEngine extends StorageEngine implements SnapshotHolder {
  /** The transaction's writes, in order (what the commit applies and logs). */
  readonly ops: WriteEntry[] = [];
  /** Documents written: doc key -> the snapshot's version (undefined: absent at the snapshot). */
  readonly #base = new Map<string, StoredDoc | undefined>();
  /** Namespaces copied (or known absent) in this view. */
  readonly #seen = new Set<string>();
  /** Databases whose every collection is in this view. */
  readonly #wholeDbs = new Set<string>();
  readonly #release: () => void;

  constructor(
    readonly live: StorageEngine,
    readonly oracle: ConflictOracle,
  ) {
    super({});
    this.#release = live.holdSnapshot(this);
  }

  /** Stops following the live engine (commit or abort). */
  release(): void {
    this.#release();
  }

  get writtenKeys(): Iterable<string> {
    return this.#base.keys();
  }

  hasWritten(docKey: string): boolean {
    return this.#base.has(docKey);
  }

  // ---- the snapshot ------------------------------------------------------------------

  #copy(db: string, coll: string): void {
    const ns = `${db}.${coll}`;
    if (this.#seen.has(ns) || this.#wholeDbs.has(db)) return;
    this.#seen.add(ns);
    const c = this.live.getCollection(db, coll);
    if (!c) return;
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map<string, CollectionState>()));
    colls.set(coll, c.clone());
  }

  #copyDb(db: string): void {
    if (this.#wholeDbs.has(db)) return;
    for (const c of this.live.collections(db)) this.#copy(db, c.name);
    this.#wholeDbs.add(db);
  }

  /** The live engine is about to apply `entry`: copy what it changes first. */
  preserve(entry: WriteEntry): void {
    const { db, coll } = splitNs(entry.ns);
    // the oplog and config.transactions: never read in a transaction (refused), never copied
    if (db === 'local' || db === 'config') return;
    if (entry.op !== 'c') {
      this.#copy(db, coll);
      return;
    }
    this.#copyDb(db);
    const to = entry.o.to;
    if (typeof to === 'string') this.#copyDb(splitNs(to).db);
  }

  override getCollection(db: string, name: string): CollectionState | undefined {
    this.#copy(db, name);
    return super.getCollection(db, name);
  }

  override collections(db: string): CollectionState[] {
    this.#copyDb(db);
    return super.collections(db);
  }

  override databaseNames(): string[] {
    for (const db of this.live.databaseNames()) this.#copyDb(db);
    return super.databaseNames();
  }

  // ---- writes ------------------------------------------------------------------------

  override write(entry: WriteEntry, opts: { j?: boolean } = {}): void {
    const key = docKeyOf(entry);
    if (key !== undefined && !this.#base.has(key)) {
      const { db, coll } = splitNs(entry.ns);
      const id = entry.op === 'u' ? entry.o2._id : entry.o._id;
      const mine = this.getCollection(db, coll)?.docs.get(keyOf(id));
      if (this.live.getCollection(db, coll)?.docs.get(keyOf(id)) !== mine || this.oracle.writtenByOther(this, key)) throw writeConflict();
      super.write(entry, opts);
      this.#base.set(key, mine);
    } else {
      super.write(entry, opts);
    }
    this.ops.push(entry);
  }

  /** At commit: every written document is still, in the live engine, the snapshot's version. */
  unchangedSinceSnapshot(): boolean {
    for (const [key, base] of this.#base) {
      const sep = key.indexOf('\0');
      const { db, coll } = splitNs(key.slice(0, sep));
      if (this.live.getCollection(db, coll)?.docs.get(key.slice(sep + 1)) !== base) return false;
    }
    return true;
  }

  /** The snapshot versions of the written documents (to undo a failed commit). */
  baseVersions(): ReadonlyMap<string, StoredDoc | undefined> {
    return this.#base;
  }
}
