/**
 * The storage engine: databases -> collections -> documents (typed BSON values) and
 * index metadata, with unique indexes enforced.
 *
 * Every change goes through `StorageEngine.write(entry)`: it validates, applies, appends
 * to the journal (when --dbpath is set) and then tells `onCommit` listeners. Entries
 * are shaped like oplog entries, so a replica-set layer can turn the listener into an
 * oplog and replay a peer's entries through `write` (or `applyReplicated`):
 *
 *   { op: 'i', ns, o: <document> }
 *   { op: 'u', ns, o2: { _id }, o: <full post-image> }
 *   { op: 'd', ns, o: { _id } }
 *   { op: 'c', ns: '<db>.$cmd', ui?, o: { create | drop | dropDatabase | createIndexes |
 *                                         dropIndexes | renameCollection ... } }
 */
import { mkdirSync } from 'node:fs';
import { UUID } from 'bson';
import { Query } from 'mingo';
import { CommandError, ErrorCode } from '../errors.js';
import { Journal } from './journal.js';
import { Collation } from '../collation.js';
import { bsonSize, type Doc, formatDoc, getPath, isPlainObject, keyOf, toView, toViewDoc } from './values.js';

const collationKeys = new WeakMap<Doc, (v: unknown) => unknown>();
/** A unique index with a collation compares strings by collation key. */
function collationKeyOf(spec: Doc): (v: unknown) => unknown {
  let f = collationKeys.get(spec);
  if (!f) {
    const c = Collation.parse(toView(spec));
    f = c ? (v: unknown) => c.keyValue(toView(v)) : (v: unknown) => v;
    collationKeys.set(spec, f);
  }
  return f;
}

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

export interface IndexSpec {
  v: number;
  key: Doc;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  [option: string]: unknown;
}

export type WriteEntry =
  | { op: 'i'; ns: string; o: Doc }
  | { op: 'u'; ns: string; o2: { _id: unknown }; o: Doc }
  | { op: 'd'; ns: string; o: { _id: unknown } }
  | { op: 'c'; ns: string; ui?: UUID; o: Doc };

export class StoredDoc {
  private cachedView: Doc | undefined;
  constructor(readonly doc: Doc) {}
  /** The mingo-evaluable view, computed once per stored version. */
  get view(): Doc {
    return (this.cachedView ??= toViewDoc(this.doc));
  }
}

export class CollectionState {
  readonly docs = new Map<string, StoredDoc>();
  indexes: IndexSpec[] = [{ v: 2, key: { _id: 1 }, name: '_id_' }];
  /** unique index name -> index key string -> _id key. */
  readonly uniqueKeys = new Map<string, Map<string, string>>();
  private partialFilters = new Map<string, Query>();

  constructor(
    readonly db: string,
    public name: string,
    readonly uuid: UUID,
    /** The collection's options (create / collMod): validator, collation, capped, timeseries... */
    public options: Doc,
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** A time-series collection (no _id index; documents keyed by insertion). */
  get timeseries(): boolean {
    return isPlainObject(this.options.timeseries);
  }

  nextRecordId = 1;
  /** Total BSON size of the documents (kept by the write path; capped collections evict by it). */
  dataBytes = 0;

  /** Indexes that refuse duplicate keys: unique ones, and those being prepared for unique (collMod prepareUnique). */
  uniqueIndexes(): IndexSpec[] {
    return this.indexes.filter((i) => (i.unique || i.prepareUnique) && i.name !== '_id_' && !i.clustered);
  }

  /** Keys of `doc` in a unique index (several for a multikey field); none if excluded. */
  indexKeys(spec: IndexSpec, doc: Doc): string[] {
    const fields = Object.keys(spec.key);
    if (spec.partialFilterExpression) {
      let q = this.partialFilters.get(spec.name);
      if (!q) {
        q = new Query(spec.partialFilterExpression);
        this.partialFilters.set(spec.name, q);
      }
      if (!q.test(toViewDoc(doc))) return [];
    }
    const coll = spec.collation as Doc | undefined;
    const key = coll ? collationKeyOf(coll) : undefined;
    const values = fields.map((f) => (key ? key(getPath(doc, f)) : getPath(doc, f)));
    if (spec.sparse && values.every((v) => v === undefined)) return [];
    if (fields.length === 1 && Array.isArray(values[0])) {
      const arr = values[0] as unknown[];
      if (arr.length === 0) return [keyOf(undefined)];
      return [...new Set(arr.map(keyOf))];
    }
    return [values.map(keyOf).join('|')];
  }

  /** A copy sharing the immutable StoredDocs (a transaction's snapshot of this collection). */
  clone(): CollectionState {
    const c = new CollectionState(this.db, this.name, this.uuid, this.options);
    for (const [k, v] of this.docs) c.docs.set(k, v);
    c.indexes = [...this.indexes];
    for (const [name, keys] of this.uniqueKeys) c.uniqueKeys.set(name, new Map(keys));
    c.nextRecordId = this.nextRecordId;
    c.dataBytes = this.dataBytes;
    return c;
  }

  keyValue(spec: IndexSpec, doc: Doc, arrayElem?: unknown): Doc {
    const out: Doc = {};
    for (const f of Object.keys(spec.key)) {
      const v = getPath(doc, f);
      out[f] = arrayElem !== undefined && Array.isArray(v) ? arrayElem : (v ?? null);
    }
    return out;
  }
}

/** The record key of a document by _id (a time-series collection: its first document with that _id). */
function recordKey(c: CollectionState, id: unknown): string {
  const k = keyOf(id);
  if (!c.timeseries) return k;
  for (const [rk, d] of c.docs) if (keyOf(d.doc._id) === k) return rk;
  return k;
}

export function duplicateKeyError(coll: CollectionState, spec: IndexSpec, doc: Doc): CommandError {
  const keyValue = coll.keyValue(spec, doc);
  const pattern: Doc = {};
  for (const [k, v] of Object.entries(keyValue)) pattern[k] = v;
  const shown = formatDoc(Object.fromEntries(Object.entries(keyValue).map(([k, v]) => [k, v])));
  return new CommandError(
    ErrorCode.DuplicateKey,
    `E11000 duplicate key error collection: ${coll.ns} index: ${spec.name} dup key: ${shown}`,
    { keyPattern: spec.key, keyValue },
  );
}

export type CommitListener = (entry: WriteEntry) => void;

/** Told before the engine applies an entry: a transaction's snapshot keeps what the entry is about to change. */
/** Checks a document write before it is made (ns, _id); throws to refuse it. */
export type WriteGuard = (ns: string, id: unknown) => void;

export interface SnapshotHolder {
  preserve(entry: WriteEntry): void;
}

export interface StorageOptions {
  dbpath?: string;
  syncIntervalMs?: number;
}

export class StorageEngine {
  readonly dbs = new Map<string, Map<string, CollectionState>>();
  private journal: Journal | undefined;
  private listeners: CommitListener[] = [];
  private replaying = false;
  private readonly holders = new Set<SnapshotHolder>();

  constructor(readonly options: StorageOptions = {}) {}

  #writeGuard: WriteGuard | undefined;

  /**
   * Installs the check every document write of this engine passes first (the open
   * transactions' document locks, txn/write-blocking.ts); it throws to refuse the write
   * before anything changes.
   */
  setWriteGuard(guard: WriteGuard | undefined): void {
    this.#writeGuard = guard;
  }

  /** Runs the write guard for a document about to be written (a multi-document statement checks all first). */
  guardDocument(ns: string, id: unknown): void {
    this.#writeGuard?.(ns, id);
  }

  /** Registers a snapshot (an open transaction's view); the returned function releases it. */
  holdSnapshot(holder: SnapshotHolder): () => void {
    this.holders.add(holder);
    return () => this.holders.delete(holder);
  }

  /** Opens the journal and replays it (no-op in memory). */
  open(): { replayed: number; discardedBytes: number } {
    if (!this.options.dbpath) return { replayed: 0, discardedBytes: 0 };
    mkdirSync(this.options.dbpath, { recursive: true });
    this.journal = new Journal(this.options.dbpath, this.options.syncIntervalMs ?? 100);
    const res = this.journal.replay();
    this.replaying = true;
    try {
      for (const e of res.entries) this.apply(e as WriteEntry);
    } finally {
      this.replaying = false;
    }
    let live = 0;
    for (const db of this.dbs.values()) for (const c of db.values()) live += 1 + c.indexes.length + c.docs.size;
    if (res.entries.length > 2 * live + 1000) this.journal.compact(this.snapshot());
    return { replayed: res.entries.length, discardedBytes: res.discardedBytes };
  }

  close(): void {
    this.journal?.close();
    this.journal = undefined;
  }

  /** fsync the journal now (a write with `j: true`). */
  flush(): void {
    this.journal?.sync();
  }

  onCommit(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  // ---- reads -------------------------------------------------------------------------

  getCollection(db: string, name: string): CollectionState | undefined {
    return this.dbs.get(db)?.get(name);
  }

  collections(db: string): CollectionState[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  databaseNames(): string[] {
    return [...this.dbs.keys()].filter((d) => (this.dbs.get(d)?.size ?? 0) > 0);
  }

  /** The state as a list of entries that rebuild it (journal compaction, initial sync). */
  *snapshot(): Generator<WriteEntry> {
    for (const [db, colls] of this.dbs) {
      for (const c of colls.values()) {
        yield { op: 'c', ns: `${db}.$cmd`, ui: c.uuid, o: { create: c.name, ...c.options } };
        for (const spec of c.indexes) {
          if (spec.name !== '_id_') yield { op: 'c', ns: `${db}.$cmd`, o: { createIndexes: c.name, spec } };
        }
        for (const d of c.docs.values()) yield { op: 'i', ns: c.ns, o: d.doc };
      }
    }
  }

  // ---- the write path ----------------------------------------------------------------

  /** Creates the collection if missing (through the write path). Returns true if created. */
  ensureCollection(db: string, name: string): boolean {
    if (this.getCollection(db, name)) return false;
    this.write({ op: 'c', ns: `${db}.$cmd`, ui: new UUID(), o: { create: name } });
    return true;
  }

  /** The single write path: validate, apply, journal, notify. Throws CommandError. */
  write(entry: WriteEntry, opts: { j?: boolean } = {}): void {
    this.apply(entry);
    this.group(() => {
      if (this.journal && !this.replaying) this.journal.append(entry as unknown as Doc, opts.j === true, true);
      for (const l of this.listeners) l(entry);
    });
  }

  private groupDepth = 0;

  /**
   * Runs `fn` with journal appends buffered, then writes them with one write(2): a
   * write and the records its listeners add (its oplog entry) reach the file together,
   * so `kill -9` cannot keep one without the other.
   */
  group<T>(fn: () => T): T {
    this.groupDepth++;
    try {
      return fn();
    } finally {
      this.groupDepth--;
      if (this.groupDepth === 0) this.journal?.commit();
    }
  }

  private splitNs(ns: string): { db: string; coll: string } {
    const i = ns.indexOf('.');
    return { db: ns.slice(0, i), coll: ns.slice(i + 1) };
  }

  private requireColl(ns: string): CollectionState {
    const { db, coll } = this.splitNs(ns);
    const c = this.getCollection(db, coll);
    if (!c) throw new CommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ns}`);
    return c;
  }

  private apply(entry: WriteEntry): void {
    if (this.#writeGuard && entry.op !== 'c') this.#writeGuard(entry.ns, entry.op === 'u' ? entry.o2._id : entry.o._id);
    for (const h of this.holders) h.preserve(entry);
    switch (entry.op) {
      case 'i': {
        const c = this.requireColl(entry.ns);
        const doc = entry.o;
        const size = bsonSize(doc);
        if (size > MAX_BSON_OBJECT_SIZE) {
          throw new CommandError(ErrorCode.BSONObjectTooLarge, `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_OBJECT_SIZE}`);
        }
        // A time-series collection has no _id index: duplicate _ids are kept apart.
        const id = c.timeseries ? `${keyOf(doc._id)}#${c.nextRecordId++}` : keyOf(doc._id);
        if (c.docs.has(id)) throw duplicateKeyError(c, c.indexes[0]!, doc);
        const keys = this.checkUnique(c, doc, undefined);
        c.docs.set(id, new StoredDoc(doc));
        c.dataBytes += size;
        this.addKeys(c, keys, id);
        if (c.options.capped === true) this.evictCapped(c);
        return;
      }
      case 'u': {
        const c = this.requireColl(entry.ns);
        const id = recordKey(c, entry.o2._id);
        const old = c.docs.get(id);
        if (!old) throw new CommandError(ErrorCode.NoSuchKey, `no document with _id ${formatDoc({ _id: entry.o2._id })} in ${entry.ns}`);
        const size = bsonSize(entry.o);
        if (size > MAX_BSON_OBJECT_SIZE) {
          throw new CommandError(ErrorCode.BSONObjectTooLarge, `Resulting document after update is larger than ${MAX_BSON_OBJECT_SIZE}`);
        }
        const keys = this.checkUnique(c, entry.o, id);
        this.removeKeys(c, old.doc, id);
        c.dataBytes += size - bsonSize(old.doc);
        c.docs.set(id, new StoredDoc(entry.o));
        this.addKeys(c, keys, id);
        return;
      }
      case 'd': {
        const c = this.requireColl(entry.ns);
        const id = recordKey(c, entry.o._id);
        const old = c.docs.get(id);
        if (!old) return;
        this.removeKeys(c, old.doc, id);
        c.dataBytes -= bsonSize(old.doc);
        c.docs.delete(id);
        return;
      }
      case 'c':
        this.applyCommand(entry);
        return;
      default: {
        const never: never = entry;
        throw new Error(`unknown write entry ${JSON.stringify(never)}`);
      }
    }
  }

  /** A capped collection drops its oldest documents past `max` documents or `size` bytes (every member does the same). */
  private evictCapped(c: CollectionState): void {
    const max = Number(toView(c.options.max) ?? 0);
    const size = Number(toView(c.options.size) ?? 0);
    for (const [id, d] of c.docs) {
      const overCount = max > 0 && c.docs.size > max;
      const overSize = size > 0 && c.dataBytes > size && c.docs.size > 1;
      if (!overCount && !overSize) break;
      c.dataBytes -= bsonSize(d.doc);
      this.removeKeys(c, d.doc, id);
      c.docs.delete(id);
    }
  }

  private checkUnique(c: CollectionState, doc: Doc, selfId: string | undefined): Array<{ name: string; keys: string[] }> {
    const out: Array<{ name: string; keys: string[] }> = [];
    for (const spec of c.uniqueIndexes()) {
      const keys = c.indexKeys(spec, doc);
      const map = c.uniqueKeys.get(spec.name)!;
      for (const k of keys) {
        const owner = map.get(k);
        if (owner !== undefined && owner !== selfId) throw duplicateKeyError(c, spec, doc);
      }
      out.push({ name: spec.name, keys });
    }
    return out;
  }

  private addKeys(c: CollectionState, keys: Array<{ name: string; keys: string[] }>, id: string): void {
    for (const { name, keys: ks } of keys) {
      const map = c.uniqueKeys.get(name)!;
      for (const k of ks) map.set(k, id);
    }
  }

  private removeKeys(c: CollectionState, doc: Doc, id: string): void {
    for (const spec of c.uniqueIndexes()) {
      const map = c.uniqueKeys.get(spec.name)!;
      for (const k of c.indexKeys(spec, doc)) if (map.get(k) === id) map.delete(k);
    }
  }

  private applyCommand(entry: { ns: string; ui?: UUID; o: Doc }): void {
    const { db } = this.splitNs(entry.ns);
    const o = entry.o;
    if (typeof o.create === 'string') {
      if (this.getCollection(db, o.create)) throw new CommandError(ErrorCode.NamespaceExists, `Collection ${db}.${o.create} already exists.`);
      const { create, ...options } = o;
      let colls = this.dbs.get(db);
      if (!colls) this.dbs.set(db, (colls = new Map()));
      const created = new CollectionState(db, create as string, entry.ui ?? new UUID(), options);
      if (created.timeseries || typeof options.viewOn === 'string') created.indexes = [];
      colls.set(create as string, created);
    } else if (typeof o.drop === 'string') {
      this.dbs.get(db)?.delete(o.drop);
      if (this.dbs.get(db)?.size === 0) this.dbs.delete(db);
    } else if (o.dropDatabase !== undefined) {
      this.dbs.delete(db);
    } else if (typeof o.createIndexes === 'string') {
      const c = this.requireColl(`${db}.${o.createIndexes}`);
      const spec = o.spec as IndexSpec;
      if (spec.unique || spec.prepareUnique) {
        const map = new Map<string, string>();
        for (const [id, d] of c.docs) {
          for (const k of c.indexKeys(spec, d.doc)) {
            if (map.has(k) && map.get(k) !== id) {
              if (spec.unique) throw duplicateKeyError(c, spec, d.doc);
              continue;
            }
            map.set(k, id);
          }
        }
        c.uniqueKeys.set(spec.name, map);
      }
      c.indexes.push(spec);
    } else if (typeof o.dropIndexes === 'string') {
      const c = this.requireColl(`${db}.${o.dropIndexes}`);
      const name = o.index as string;
      c.indexes = c.indexes.filter((i) => i.name !== name);
      c.uniqueKeys.delete(name);
    } else if (typeof o.collMod === 'string') {
      const c = this.requireColl(`${db}.${o.collMod}`);
      applyCollMod(c, o);
    } else if (typeof o.renameCollection === 'string') {
      const from = this.splitNs(o.renameCollection);
      const to = this.splitNs(o.to as string);
      const c = this.requireColl(o.renameCollection);
      if (this.getCollection(to.db, to.coll)) {
        if (!o.dropTarget) throw new CommandError(ErrorCode.NamespaceExists, 'target namespace exists');
        this.dbs.get(to.db)!.delete(to.coll);
      }
      this.dbs.get(from.db)!.delete(from.coll);
      if (this.dbs.get(from.db)!.size === 0) this.dbs.delete(from.db);
      let colls = this.dbs.get(to.db);
      if (!colls) this.dbs.set(to.db, (colls = new Map()));
      const moved = new CollectionState(to.db, to.coll, c.uuid, c.options);
      moved.indexes = c.indexes;
      moved.nextRecordId = c.nextRecordId;
      moved.dataBytes = c.dataBytes;
      for (const [k, v] of c.docs) moved.docs.set(k, v);
      for (const [k, v] of c.uniqueKeys) moved.uniqueKeys.set(k, v);
      colls.set(to.coll, moved);
    } else {
      throw new CommandError(ErrorCode.BadValue, `unknown catalog entry ${formatDoc(o)}`);
    }
  }
}

/**
 * A `collMod` catalog entry: `{ collMod, set?: {option: value}, unset?: [option], index?: { name, set } }`
 * (already validated by the command). Turning an index unique builds its key map and
 * fails with 359 when existing documents collide.
 */
function applyCollMod(c: CollectionState, o: Doc): void {
  if (isPlainObject(o.index)) {
    const spec = c.indexes.find((i) => i.name === (o.index as Doc).name);
    if (!spec) throw new CommandError(ErrorCode.IndexNotFound, `cannot find index ${String((o.index as Doc).name)} for ns ${c.ns}`);
    const set = isPlainObject((o.index as Doc).set) ? ((o.index as Doc).set as Doc) : {};
    const next: IndexSpec = { ...spec };
    for (const [k, v] of Object.entries(set)) {
      if (v === false && (k === 'hidden' || k === 'prepareUnique')) delete next[k];
      else next[k] = v;
    }
    if (next.unique && !spec.unique) {
      const groups = new Map<string, unknown[]>();
      for (const d of c.docs.values()) for (const k of c.indexKeys(next, d.doc)) groups.set(k, [...(groups.get(k) ?? []), d.doc._id]);
      const violations = [...groups.values()].filter((ids) => ids.length > 1).map((ids) => ({ ids }));
      if (violations.length) throw new CommandError(ErrorCode.CannotConvertIndexToUnique, 'Cannot convert the index to unique. Please resolve conflicting documents before running collMod again.', { violations });
      delete next.prepareUnique;
    }
    c.indexes = c.indexes.map((i) => (i === spec ? next : i));
    if ((next.unique || next.prepareUnique) && !c.uniqueKeys.has(next.name)) {
      const map = new Map<string, string>();
      for (const [id, d] of c.docs) for (const k of c.indexKeys(next, d.doc)) if (!map.has(k)) map.set(k, id);
      c.uniqueKeys.set(next.name, map);
    }
  }
  const options = { ...c.options };
  if (isPlainObject(o.set)) Object.assign(options, o.set);
  if (Array.isArray(o.unset)) for (const k of o.unset) delete options[k as string];
  c.options = options;
}

export function isIndexSpec(v: unknown): v is IndexSpec {
  return isPlainObject(v) && isPlainObject(v.key) && typeof v.name === 'string';
}
