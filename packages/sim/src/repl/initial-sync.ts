/**
 * Initial sync (also rollback: wipe and resync): the serving side pages a consistent
 * snapshot of all non-local data (`_simInitialSync`), the syncing side installs the
 * pages it fetched. The coordinator does the fetching (sockets) and the state changes.
 */
import { BSON, UUID } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import type { StorageEngine, WriteEntry } from '../storage/engine.js';
import type { Doc } from '../storage/values.js';
import type { ApplyLogger } from './oplog-apply.js';
import type { Oplog } from './oplog.js';

/** mongod's InitialSyncFailure: the sync source refused a snapshot page. */
export const INITIAL_SYNC_FAILURE = 234;

/** How long an unread snapshot is kept, and the size of a page. */
export const SNAPSHOT_TTL_MS = 60000;
export const SNAPSHOT_PAGE_ENTRIES = 5000;
export const SNAPSHOT_PAGE_BYTES = 8 * 1024 * 1024;

interface Snapshot {
  readonly entries: WriteEntry[];
  pos: number;
  readonly last: Doc;
  expires: number;
}

/** One page of a snapshot, as `_simInitialSync` returns it (plus the sender's commit point). */
export interface SnapshotPage {
  readonly id: string;
  readonly entries: WriteEntry[];
  readonly done: boolean;
  /** The newest oplog entry when the snapshot was taken: the syncing member's first. */
  readonly lastEntry: Doc;
}

/** The serving side: snapshots being read by syncing members, by id. */
export class SnapshotStore {
  readonly #snapshots = new Map<string, Snapshot>();

  /** The next page of snapshot `id` (a new snapshot without one); CursorNotFound when it expired. */
  page(engine: StorageEngine, oplog: Oplog, id: string | undefined, now: number): SnapshotPage {
    for (const [k, s] of this.#snapshots) if (s.expires < now) this.#snapshots.delete(k);
    let snap = id ? this.#snapshots.get(id) : undefined;
    if (id && !snap) throw new CommandError(ErrorCode.CursorNotFound, 'initial sync snapshot expired');
    if (!snap) {
      const entries: WriteEntry[] = [];
      for (const e of engine.snapshot()) if (!e.ns.startsWith('local.')) entries.push(e);
      snap = { entries, pos: 0, last: oplog.last()!, expires: now + SNAPSHOT_TTL_MS };
      id = new UUID().toHexString();
      this.#snapshots.set(id, snap);
    }
    snap.expires = now + SNAPSHOT_TTL_MS;
    const out: WriteEntry[] = [];
    let bytes = 0;
    while (snap.pos < snap.entries.length && out.length < SNAPSHOT_PAGE_ENTRIES && bytes < SNAPSHOT_PAGE_BYTES) {
      const e = snap.entries[snap.pos++]!;
      bytes += BSON.calculateObjectSize(e as unknown as Doc);
      out.push(e);
    }
    const done = snap.pos >= snap.entries.length;
    if (done) this.#snapshots.delete(id!);
    return { id: id!, entries: out, done, lastEntry: snap.last };
  }
}

/** The syncing side: drops every non-local database and the oplog, then writes the snapshot. */
export function installSnapshot(engine: StorageEngine, oplog: Oplog, entries: readonly WriteEntry[], log: ApplyLogger): void {
  for (const db of [...engine.dbs.keys()]) if (db !== 'local') engine.write({ op: 'c', ns: `${db}.$cmd`, o: { dropDatabase: 1 } });
  oplog.reset();
  for (const w of entries) {
    try {
      engine.write(w);
    } catch (err) {
      log(21000, 'Initial sync: error applying snapshot entry', { error: String(err) });
    }
  }
}
