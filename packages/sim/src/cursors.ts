/**
 * Server-side cursors: results are materialized at creation and handed out in batches. A
 * tailable awaitData cursor's getMore at the end of the collection waits for new documents
 * (`awaitData`): a committed write re-checks it (`wake`), killCursors and the connection
 * closing end the wait.
 */
import { BSON, Long } from 'bson';
import { ProgressWaiters } from './repl/progress-waiters.js';
import type { Doc } from './storage/values.js';

/** mongod's first-batch default (101 documents) and reply size bound. */
export const DEFAULT_FIRST_BATCH = 101;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** A cursor whose batches are produced on demand (a change stream); told when the cursor goes away. */
export interface LiveCursor {
  close(): void;
}

export interface ServerCursor {
  readonly id: Long;
  readonly ns: string;
  readonly docs: Doc[];
  pos: number;
  /** Documents still allowed by `limit` (Infinity if none). */
  remainingLimit: number;
  lastUsed: number;
  readonly connectionId: number;
  /** A tailable cursor (capped collection): stays open when exhausted; `refill` fetches documents inserted since. */
  readonly tailable?: boolean;
  /** A tailable cursor opened with awaitData: its getMore waits for new documents. */
  readonly awaitData?: boolean;
  readonly refill?: () => Doc[];
  /** Set for a change stream cursor: getMore asks it for batches. */
  readonly live?: LiveCursor;
}

/** What ended an awaitData wait. */
export type AwaitDataOutcome = 'data' | 'timeout' | 'killed' | 'interrupted';

export class CursorManager {
  private cursors = new Map<string, ServerCursor>();
  private timer: NodeJS.Timeout | undefined;
  /** The pending awaitData getMores. */
  readonly #awaiting = new ProgressWaiters();

  /** idleTimeoutMs: mongod's cursorTimeoutMillis (10 minutes); 0 disables the reaper. */
  constructor(private readonly idleTimeoutMs = 10 * 60 * 1000) {
    if (idleTimeoutMs > 0) {
      this.timer = setInterval(() => this.reap(), Math.min(idleTimeoutMs, 60_000));
      this.timer.unref();
    }
  }

  get size(): number {
    return this.cursors.size;
  }

  /** Takes the first batch; registers a cursor only if documents remain. */
  open(
    ns: string,
    docs: Doc[],
    opts: { batchSize?: number; limit?: number; singleBatch?: boolean; connectionId: number; tailable?: boolean; awaitData?: boolean; refill?: () => Doc[] },
  ): { id: Long; batch: Doc[] } {
    const remainingLimit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const c: ServerCursor = {
      id: Long.ZERO,
      ns,
      docs,
      pos: 0,
      remainingLimit,
      lastUsed: Date.now(),
      connectionId: opts.connectionId,
      tailable: opts.tailable,
      awaitData: opts.tailable === true && opts.awaitData === true,
      refill: opts.refill,
    };
    const batch = this.take(c, opts.batchSize ?? DEFAULT_FIRST_BATCH);
    const exhausted = !c.tailable && c.pos >= c.docs.length;
    if (opts.singleBatch || exhausted || c.remainingLimit <= 0) return { id: Long.ZERO, batch };
    const id = this.newId();
    const stored = { ...c, id };
    this.cursors.set(id.toString(), stored);
    return { id, batch };
  }

  /** Registers a live cursor (its first batch is already taken). */
  openLive(ns: string, connectionId: number, live: LiveCursor): Long {
    const id = this.newId();
    this.cursors.set(id.toString(), { id, ns, docs: [], pos: 0, remainingLimit: Infinity, lastUsed: Date.now(), connectionId, live });
    return id;
  }

  get(id: Long): ServerCursor | undefined {
    return this.cursors.get(id.toString());
  }

  /** The next batch; the cursor is closed (id 0) when exhausted. */
  next(c: ServerCursor, batchSize: number | undefined): { id: Long; batch: Doc[] } {
    c.lastUsed = Date.now();
    if (c.tailable && c.refill && c.pos >= c.docs.length) c.docs.push(...c.refill());
    const batch = this.take(c, batchSize && batchSize > 0 ? batchSize : Infinity);
    if ((!c.tailable && c.pos >= c.docs.length) || c.remainingLimit <= 0) {
      this.cursors.delete(c.id.toString());
      return { id: Long.ZERO, batch };
    }
    return { id: c.id, batch };
  }

  /** True while the tailable cursor has documents its next batch would return (fetching those inserted since). */
  #hasMore(c: ServerCursor): boolean {
    if (c.refill && c.pos >= c.docs.length) c.docs.push(...c.refill());
    return c.pos < c.docs.length;
  }

  /**
   * An awaitData getMore with nothing to return yet, as mongod's: waits up to `awaitMs` for a
   * document to arrive (re-checked on every `wake()`); 'killed' when killCursors (or the
   * cursor manager closing) ends the cursor meanwhile, 'interrupted' when `signal` aborts
   * (the connection closed).
   */
  async awaitData(c: ServerCursor, awaitMs: number, signal: AbortSignal): Promise<AwaitDataOutcome> {
    const key = c.id.toString();
    const gone = (): boolean => this.cursors.get(key) !== c;
    if (gone()) return 'killed';
    if (this.#hasMore(c)) return 'data';
    if (awaitMs <= 0) return 'timeout';
    await this.#awaiting.waitUntil(() => gone() || this.#hasMore(c), awaitMs, signal);
    if (gone()) return 'killed';
    if (signal.aborted) return 'interrupted';
    return this.#hasMore(c) ? 'data' : 'timeout';
  }

  /** A write committed: pending awaitData getMores look for new documents. */
  wake(): void {
    if (this.#awaiting.size > 0) this.#awaiting.wake();
  }

  kill(id: Long): boolean {
    const c = this.cursors.get(id.toString());
    c?.live?.close();
    const killed = this.cursors.delete(id.toString());
    if (killed) this.wake();
    return killed;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const c of this.cursors.values()) c.live?.close();
    this.cursors.clear();
    this.#awaiting.close();
  }

  private take(c: ServerCursor, batchSize: number): Doc[] {
    const out: Doc[] = [];
    let bytes = 0;
    const n = Math.min(batchSize === 0 ? Infinity : batchSize, c.remainingLimit);
    while (out.length < n && c.pos < c.docs.length) {
      const d = c.docs[c.pos]!;
      const size = BSON.calculateObjectSize(d);
      if (out.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
      out.push(d);
      bytes += size;
      c.pos++;
    }
    c.remainingLimit -= out.length;
    return out;
  }

  private newId(): Long {
    for (;;) {
      const hi = Math.floor(Math.random() * 0x7fffffff);
      const lo = Math.floor(Math.random() * 0xffffffff);
      const id = Long.fromBits(lo | 0, hi | 0);
      if (!id.isZero() && !this.cursors.has(id.toString())) return id;
    }
  }

  private reap(): void {
    const now = Date.now();
    for (const [k, c] of this.cursors) {
      if (now - c.lastUsed <= this.idleTimeoutMs) continue;
      c.live?.close();
      this.cursors.delete(k);
    }
  }
}
