/**
 * Waits on replication progress: a waiter re-checks its predicate whenever the
 * coordinator calls `wake()` (an oplog entry appended or applied, the commit point or a
 * member's position moved, a state change). Used by write and read concern waits,
 * replSetStepDown's catch-up and the oplog fetch long-poll. Timeouts use the sim's one
 * `sleep`; nothing here outlives `close()`.
 */
import { sleep } from '../util/async.js';

export class ProgressWaiters {
  readonly #checks = new Set<() => void>();
  #closed = false;

  /** How many waits are pending. */
  get size(): number {
    return this.#checks.size;
  }

  /**
   * Resolves true once `pred()` holds, false when `timeoutMs` passes first (<= 0 or not
   * finite: no timeout), `signal` aborts or the waiters are closed.
   */
  async waitUntil(pred: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (pred()) return true;
    if (this.#closed || signal?.aborted) return false;
    const ctl = new AbortController();
    const check = (): void => {
      if (this.#closed || signal?.aborted || pred()) ctl.abort();
    };
    this.#checks.add(check);
    signal?.addEventListener('abort', check, { once: true });
    try {
      const bounded = timeoutMs > 0 && Number.isFinite(timeoutMs);
      // without a timeout, wait in slices (a timer delay must fit in 31 bits)
      do await sleep(bounded ? timeoutMs : 2 ** 30, ctl.signal);
      while (!bounded && !ctl.signal.aborted);
    } finally {
      this.#checks.delete(check);
      signal?.removeEventListener('abort', check);
    }
    return !this.#closed && !signal?.aborted && pred();
  }

  /** Re-checks every pending wait. */
  wake(): void {
    for (const check of [...this.#checks]) check();
  }

  /** Ends every pending wait (false) and makes later ones fail at once. */
  close(): void {
    this.#closed = true;
    this.wake();
  }
}
