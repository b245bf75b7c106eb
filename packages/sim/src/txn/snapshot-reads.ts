/**
 * Snapshot reads outside transactions (readConcern `{ level: 'snapshot' }` on find,
 * aggregate, distinct), as mongod 5.0+ serves them: the data as of a cluster time.
 *
 * SnapshotHistory follows the live engine the way a transaction's SnapshotEngine does
 * (StorageEngine.holdSnapshot: told before every write), but keeps what every write
 * replaced: the document version before it (the StoredDocs are immutable, so this is a
 * reference), or for a catalog change (create, drop, rename, indexes...) the database's
 * collections before it. The member stamps the changes with the timestamp of the oplog
 * entry they became (`stamp`, when lastApplied advances). Reading at T starts from the
 * live state and undoes, newest first, every change after T; each undo puts back the
 * value just before that change, so the result is the state as of T.
 *
 * History is kept for mongod's minSnapshotHistoryWindowInSeconds (300 s of cluster
 * time) and at most MAX_CHANGES changes, but never a change after the pinned time (the
 * member's majority commit point: mongod never discards history newer than its majority
 * snapshot, so a majority read always has one); a read before the oldest kept point fails
 * with SnapshotTooOld (239), as mongod's does. A read after the member's cluster time is
 * refused with InvalidOptions (72) (checkAtClusterTime), as mongod refuses it.
 */
import { Timestamp } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { StorageEngine, type CollectionState, type SnapshotHolder, type StoredDoc, type WriteEntry } from '../storage/engine.js';
import { isPlainObject, keyOf, type Doc } from '../storage/values.js';
import type { SimNode } from '../node.js';
import { tsCompare, type OpTime } from '../repl/optime.js';

/** mongod's minSnapshotHistoryWindowInSeconds default. */
export const SNAPSHOT_HISTORY_WINDOW_SECS = 300;
/** The sim's bound on kept changes (memory): older ones are forgotten like expired ones. */
export const MAX_CHANGES = 200_000;

/** One replaced document version: `before` undefined when the document did not exist. */
interface DocChange {
  readonly kind: 'doc';
  readonly db: string;
  readonly coll: string;
  readonly key: string;
  readonly before: StoredDoc | undefined;
  ts?: Timestamp;
}

/** A catalog change: the database's collections just before it (copies). */
interface CatalogChange {
  readonly kind: 'catalog';
  readonly db: string;
  readonly before: ReadonlyMap<string, CollectionState>;
  ts?: Timestamp;
}

type Change = DocChange | CatalogChange;

function splitNs(ns: string): { db: string; coll: string } {
  const i = ns.indexOf('.');
  return { db: ns.slice(0, i), coll: ns.slice(i + 1) };
}

function fmt(ts: Timestamp): string {
  return `Timestamp(${ts.t}, ${ts.i})`;
}

export class SnapshotHistory implements SnapshotHolder {
  /** Stamped changes, oldest first, then the unstamped ones (written, not yet in the oplog). */
  readonly #changes: Change[] = [];
  #stamped = 0;
  /** Reads at a time before this fail with SnapshotTooOld (changes before it are forgotten). */
  #oldest: Timestamp | undefined;
  /** Changes after this time are kept whatever their age (undefined: no pin). */
  #pinned: Timestamp | undefined;
  readonly #release: () => void;

  constructor(
    readonly live: StorageEngine,
    readonly windowSecs = SNAPSHOT_HISTORY_WINDOW_SECS,
    readonly maxChanges = MAX_CHANGES,
  ) {
    this.#release = live.holdSnapshot(this);
  }

  close(): void {
    this.#release();
  }

  /** The oldest readable cluster time (undefined: nothing stamped or forgotten yet). */
  get oldest(): Timestamp | undefined {
    return this.#oldest;
  }

  /** The live engine is about to apply `entry`: remember what it replaces. */
  preserve(entry: WriteEntry): void {
    const { db, coll } = splitNs(entry.ns);
    if (db === 'local' || db === 'config') return;
    if (entry.op !== 'c') {
      const id = entry.op === 'u' ? entry.o2._id : entry.o._id;
      const key = keyOf(id);
      this.#changes.push({ kind: 'doc', db, coll, key, before: this.live.getCollection(db, coll)?.docs.get(key) });
      return;
    }
    this.#changes.push({ kind: 'catalog', db, before: this.#copyDb(db) });
    const to = entry.o.to;
    if (typeof to === 'string') {
      const target = splitNs(to).db;
      if (target !== db) this.#changes.push({ kind: 'catalog', db: target, before: this.#copyDb(target) });
    }
  }

  #copyDb(db: string): Map<string, CollectionState> {
    const m = new Map<string, CollectionState>();
    for (const c of this.live.collections(db)) m.set(c.name, c.clone());
    return m;
  }

  /**
   * Keeps every change after `ts` from now on (the member's majority commit point, moved
   * as it moves): a read at the pinned time never fails for lack of history kept since.
   */
  pin(ts: Timestamp): void {
    this.#pinned = ts;
  }

  /** The changes not stamped yet became the oplog entry at `ts` (lastApplied advanced). */
  stamp(ts: Timestamp): void {
    for (let i = this.#stamped; i < this.#changes.length; i++) this.#changes[i]!.ts = ts;
    this.#stamped = this.#changes.length;
    this.#prune(ts);
    if (this.#oldest === undefined) this.#oldest = ts;
  }

  #prune(now: Timestamp): void {
    const horizon = now.t - this.windowSecs;
    let drop = 0;
    while (drop < this.#stamped) {
      const c = this.#changes[drop]!;
      if (this.#pinned !== undefined && tsCompare(c.ts!, this.#pinned) > 0) break;
      if (c.ts!.t >= horizon && this.#changes.length - drop <= this.maxChanges) break;
      drop++;
    }
    if (drop === 0) return;
    // a read before a forgotten change's time can no longer be served
    this.#oldest = this.#changes[drop - 1]!.ts;
    this.#changes.splice(0, drop);
    this.#stamped -= drop;
  }

  /**
   * A read-only engine with the data as of `ts`; SnapshotTooOld when history before
   * `ts` is gone. The caller has checked `ts` is not in the future.
   */
  readAt(ts: Timestamp): StorageEngine {
    if (this.#oldest === undefined || tsCompare(ts, this.#oldest) < 0) {
      const oldest = this.#oldest ? fmt(this.#oldest) : 'none';
      throw new CommandError(ErrorCode.SnapshotTooOld, `Read timestamp ${fmt(ts)} is older than the oldest available timestamp (${oldest}).`);
    }
    let first = this.#changes.length;
    while (first > 0) {
      const c = this.#changes[first - 1]!;
      if (c.ts !== undefined && tsCompare(c.ts, ts) <= 0) break;
      first--;
    }
    return new PointInTimeEngine(this.live, this.#changes.slice(first));
  }

  /**
   * One document as of `ts` (undefined: it did not exist), without building a snapshot:
   * the oldest change after `ts` to it, or to its database's catalog, holds its value
   * then; no such change: the live one. Never SnapshotTooOld: history that no longer
   * reaches back to `ts` (a member that restarted or resynced after it) gives the oldest
   * value it knows.
   */
  documentAt(ts: Timestamp, db: string, coll: string, key: string): StoredDoc | undefined {
    let oldest: Change | undefined;
    for (let i = this.#changes.length - 1; i >= 0; i--) {
      const c = this.#changes[i]!;
      if (c.ts !== undefined && tsCompare(c.ts, ts) <= 0) break;
      if (c.db === db && (c.kind === 'catalog' || (c.coll === coll && c.key === key))) oldest = c;
    }
    if (!oldest) return this.live.getCollection(db, coll)?.docs.get(key);
    return oldest.kind === 'doc' ? oldest.before : oldest.before.get(coll)?.docs.get(key);
  }
}

/** The live engine's state with `undo` (the changes after the read time, oldest first) undone. */
class PointInTimeEngine extends StorageEngine {
  readonly #built = new Set<string>();

  constructor(
    readonly live: StorageEngine,
    readonly undo: readonly Change[],
  ) {
    super({});
  }

  #build(db: string): void {
    if (this.#built.has(db)) return;
    this.#built.add(db);
    let colls = new Map<string, CollectionState>();
    for (const c of this.live.collections(db)) colls.set(c.name, c.clone());
    for (let i = this.undo.length - 1; i >= 0; i--) {
      const ch = this.undo[i]!;
      if (ch.db !== db) continue;
      if (ch.kind === 'catalog') {
        colls = new Map([...ch.before].map(([name, c]) => [name, c.clone()]));
        continue;
      }
      const c = colls.get(ch.coll);
      if (!c) continue;
      if (ch.before) c.docs.set(ch.key, ch.before);
      else c.docs.delete(ch.key);
    }
    if (colls.size) this.dbs.set(db, colls);
  }

  override getCollection(db: string, name: string): CollectionState | undefined {
    this.#build(db);
    return super.getCollection(db, name);
  }

  override collections(db: string): CollectionState[] {
    this.#build(db);
    return super.collections(db);
  }

  override databaseNames(): string[] {
    for (const db of this.live.databaseNames()) this.#build(db);
    return super.databaseNames();
  }

  override write(): void {
    throw new CommandError(ErrorCode.InvalidOptions, 'a snapshot read cannot write');
  }
}

/** The read concern of a snapshot read outside a transaction, or undefined for any other command. */
export function snapshotReadConcern(args: Doc): Doc | undefined {
  const rc = args.readConcern;
  if (!isPlainObject(rc) || rc.level !== 'snapshot') return undefined;
  if (args.startTransaction !== undefined || args.autocommit !== undefined) return undefined;
  return rc;
}

/** mongod refuses an atClusterTime later than its cluster time (InvalidOptions). */
export function checkAtClusterTime(at: Timestamp, clusterTime: Timestamp): void {
  if (tsCompare(at, clusterTime) > 0) {
    throw new CommandError(
      ErrorCode.InvalidOptions,
      `readConcern atClusterTime value must not be greater than the current clusterTime. Requested clusterTime: ${fmt(at)}; current clusterTime: ${fmt(clusterTime)}`,
    );
  }
}

/** Puts the read's time where mongod's reply carries it: cursor.atClusterTime, or atClusterTime for distinct. */
export function stampReply(name: string, reply: Doc, ts: Timestamp): void {
  if (reply.ok !== 1) return;
  if (isPlainObject(reply.cursor)) reply.cursor.atClusterTime = ts;
  else if (name === 'distinct') reply.atClusterTime = ts;
}

/** What a snapshot read needs of the member (ReplicaSetRole implements it). */
export interface SnapshotReadHost {
  readonly snapshotHistory: SnapshotHistory;
  /** The majority commit point: the time a snapshot read without atClusterTime reads at. */
  majorityOpTime(): OpTime;
}

function isSnapshotReadHost(v: unknown): v is SnapshotReadHost {
  return (v as Partial<SnapshotReadHost> | undefined)?.snapshotHistory instanceof SnapshotHistory;
}

export interface SnapshotRead {
  /** The node the read runs on: its `engine` is the data as of `atClusterTime`. */
  readonly node: SimNode;
  readonly atClusterTime: Timestamp;
}

/**
 * A snapshot read outside a transaction: the node to run it on and its time (atClusterTime,
 * else the majority commit point). Undefined for any other command, and off a replica set.
 * The member has already waited for the time to be majority committed (its read concern wait).
 */
export function openSnapshotRead(node: SimNode, body: Doc): SnapshotRead | undefined {
  const rc = snapshotReadConcern(body);
  const host = node.role;
  if (!rc || !isSnapshotReadHost(host)) return undefined;
  const at = rc.atClusterTime instanceof Timestamp ? rc.atClusterTime : host.majorityOpTime().ts;
  const engine = host.snapshotHistory.readAt(at);
  return { node: Object.create(node, { engine: { value: engine, enumerable: true } }) as SimNode, atClusterTime: at };
}

/**
 * The atClusterTime of a read concern, checked as mongod parses it: a Timestamp
 * (TypeMismatch), only with level snapshot and without afterClusterTime/afterOpTime
 * (InvalidOptions). Undefined when absent.
 */
export function parseAtClusterTime(rc: Doc): Timestamp | undefined {
  const at = rc.atClusterTime;
  if (at === undefined) return undefined;
  if (!(at instanceof Timestamp)) throw new CommandError(ErrorCode.TypeMismatch, `BSON field 'atClusterTime' is the wrong type '${typeof at}', expected type 'timestamp'`);
  if (rc.level !== 'snapshot') throw new CommandError(ErrorCode.InvalidOptions, 'readConcern level must be snapshot to specify atClusterTime');
  if (rc.afterClusterTime !== undefined || rc.afterOpTime !== undefined) throw new CommandError(ErrorCode.InvalidOptions, 'Can not specify both atClusterTime and afterClusterTime or afterOpTime');
  return at;
}
