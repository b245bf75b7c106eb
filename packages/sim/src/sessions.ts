/**
 * The logical session cache of one node, as mongod keeps it: every command carrying an
 * `lsid` records (or refreshes) that session with its last use; `startSession` creates
 * one; `endSessions` / `killSessions` remove them; `$listLocalSessions` lists them.
 * Sessions expire after logicalSessionTimeoutMinutes (30) without use.
 */
import { createHash } from 'node:crypto';
import { Binary, UUID } from 'bson';
import type { SimNode } from './node.js';
import { isPlainObject, type Doc } from './storage/values.js';

export const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;

interface SessionRecord {
  readonly id: UUID | Binary;
  readonly uid: Binary;
  readonly user?: string;
  lastUse: Date;
}

/** mongod's session uid: SHA-256 of the user name ('' when not authenticated). */
export function sessionUid(user = ''): Binary {
  return new Binary(createHash('sha256').update(user).digest(), 0);
}

function idKey(id: unknown): string | undefined {
  if (id instanceof Binary) return Buffer.from(id.buffer.subarray(0, id.position)).toString('hex');
  return undefined;
}

/** Told when sessions end or are killed (their ids), or all of them (`undefined`). */
export type SessionEndListener = (ids: unknown[] | undefined) => void;

export class SessionCache {
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #endListeners = new Set<SessionEndListener>();

  /** Registers a listener for ended / killed sessions (transactions abort theirs). */
  onEnd(listener: SessionEndListener): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /** Records the use of a session (`lsid` of a command); ignores malformed ones (the command's own checks report them). */
  touch(lsid: unknown, user?: string): void {
    if (!isPlainObject(lsid)) return;
    const id = lsid.id;
    const key = idKey(id);
    if (!key) return;
    const rec = this.#sessions.get(key);
    if (rec) rec.lastUse = new Date();
    else this.#sessions.set(key, { id: id as Binary, uid: lsid.uid instanceof Binary ? lsid.uid : sessionUid(user), user, lastUse: new Date() });
  }

  /** Ends sessions by lsid document ({ id }); unknown ones are ignored, as in mongod. */
  end(lsids: unknown[]): void {
    const ids: unknown[] = [];
    for (const l of lsids) {
      const key = isPlainObject(l) ? idKey(l.id) : undefined;
      if (key) this.#sessions.delete(key);
      if (isPlainObject(l)) ids.push(l.id);
    }
    for (const f of this.#endListeners) f(ids);
  }

  clear(): void {
    this.#sessions.clear();
    for (const f of this.#endListeners) f(undefined);
  }

  /** `$listLocalSessions` documents: `{ _id: { id, uid }, lastUse, user? }`, unexpired. */
  list(filter: { allUsers?: boolean; users?: Array<{ user: string; db: string }> } = {}, currentUser?: string): Doc[] {
    const cutoff = Date.now() - LOGICAL_SESSION_TIMEOUT_MINUTES * 60_000;
    const out: Doc[] = [];
    for (const [key, s] of this.#sessions) {
      if (s.lastUse.getTime() < cutoff) {
        this.#sessions.delete(key);
        continue;
      }
      if (!filter.allUsers) {
        const wanted = filter.users ? filter.users.map((u) => `${u.user}@${u.db}`) : [currentUser ?? ''];
        if (!wanted.includes(s.user ?? '')) continue;
      }
      const doc: Doc = { _id: { id: s.id, uid: s.uid }, lastUse: s.lastUse };
      if (s.user) doc.user = { name: s.user };
      out.push(doc);
    }
    return out;
  }

  get size(): number {
    return this.#sessions.size;
  }
}

const caches = new WeakMap<SimNode, SessionCache>();

export function sessionsOf(node: SimNode): SessionCache {
  let c = caches.get(node);
  if (!c) caches.set(node, (c = new SessionCache()));
  return c;
}

export function newSessionId(): UUID {
  return new UUID();
}
