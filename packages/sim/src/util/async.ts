/**
 * The sim's one timer primitive and the owner of its background work.
 *
 * - `sleep(ms, signal?)`: resolves after `ms`, or at once when `signal` aborts. It never
 *   rejects; callers check their own state (stopped, stepped down) after it.
 * - `TaskGroup`: every loop and timer of a long-lived object (the replica set
 *   coordinator) is started through it, so `stop()` can cancel them all (one
 *   AbortSignal) and await them all. Nothing it starts outlives it, and nothing it
 *   starts rejects unhandled: a task's error goes to `onError`.
 */
import { setMaxListeners } from 'node:events';

/** Resolves after `ms` milliseconds, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A cancellable one-shot timer started by a TaskGroup. */
export interface TimerHandle {
  /** Cancels the timer if it has not fired; idempotent. */
  cancel(): void;
  /** True until it fired or was cancelled. */
  readonly pending: boolean;
}

export class TaskGroup {
  readonly #ctl = new AbortController();
  readonly #tasks = new Set<Promise<void>>();
  readonly #onError: (name: string, error: unknown) => void;

  constructor(onError: (name: string, error: unknown) => void = () => undefined) {
    this.#onError = onError;
    // every loop's sleep listens on this signal: many listeners are expected, not a leak
    setMaxListeners(0, this.#ctl.signal);
  }

  /** Aborted by stop(): loops end when they see it, sleeps wake on it. */
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }

  get stopped(): boolean {
    return this.#ctl.signal.aborted;
  }

  /** How many tasks are running (for tests and diagnostics). */
  get size(): number {
    return this.#tasks.size;
  }

  /** Runs `fn` as a tracked task; not started after stop(). Resolves with the task (never rejects). */
  run(name: string, fn: (signal: AbortSignal) => Promise<void> | void): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const task = (async () => {
      try {
        await fn(this.#ctl.signal);
      } catch (e) {
        this.#onError(name, e);
      }
    })();
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
    return task;
  }

  /**
   * A signal aborted by `cancel()` or by stop(), whichever comes first; `release()`
   * detaches it from the group (a timer that ended must not stay listed on it).
   */
  #linked(): { signal: AbortSignal; cancel(): void; release(): void } {
    const ctl = new AbortController();
    const onStop = (): void => ctl.abort();
    this.#ctl.signal.addEventListener('abort', onStop, { once: true });
    return { signal: ctl.signal, cancel: () => ctl.abort(), release: () => this.#ctl.signal.removeEventListener('abort', onStop) };
  }

  /** Sleeps `ms` unless stop() or `cancel` comes first (then resolves early). */
  async sleep(ms: number, cancel?: AbortSignal): Promise<void> {
    if (!cancel) return sleep(ms, this.#ctl.signal);
    const link = this.#linked();
    const onCancel = (): void => link.cancel();
    cancel.addEventListener('abort', onCancel, { once: true });
    if (cancel.aborted) link.cancel();
    try {
      await sleep(ms, link.signal);
    } finally {
      cancel.removeEventListener('abort', onCancel);
      link.release();
    }
  }

  /** Calls `fn` once after `ms` (as a tracked task) unless cancelled or the group stops first. */
  after(name: string, ms: number, fn: () => Promise<void> | void): TimerHandle {
    let pending = !this.stopped;
    const link = pending ? this.#linked() : undefined;
    const handle: TimerHandle = {
      cancel: () => {
        pending = false;
        link?.cancel();
      },
      get pending() {
        return pending;
      },
    };
    if (!link) return handle;
    void this.run(name, async () => {
      try {
        await sleep(ms, link.signal);
      } finally {
        link.release();
      }
      if (link.signal.aborted) {
        pending = false;
        return;
      }
      pending = false;
      await fn();
    });
    return handle;
  }

  /** Calls `fn` every `ms` (the next call starts `ms` after the previous one ended) until cancelled or stop. */
  every(name: string, ms: number | (() => number), fn: () => Promise<void> | void): TimerHandle {
    const link = this.stopped ? undefined : this.#linked();
    if (link) {
      void this.run(name, async () => {
        try {
          while (!link.signal.aborted) {
            await sleep(typeof ms === 'number' ? ms : ms(), link.signal);
            if (link.signal.aborted) return;
            try {
              await fn();
            } catch (e) {
              this.#onError(name, e);
            }
          }
        } finally {
          link.release();
        }
      });
    }
    return {
      cancel: () => link?.cancel(),
      get pending() {
        return link !== undefined && !link.signal.aborted;
      },
    };
  }

  /** Cancels every task (aborts the signal) and waits until all of them have ended. */
  async stop(): Promise<void> {
    this.#ctl.abort();
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }
}
