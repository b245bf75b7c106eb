/**
 * The one timer of the topology's waits: resolves after `ms`, when the function it adds
 * to `wakers` is called (that wakes it early), or when `signal` aborts. It never rejects;
 * callers check their own state (closed, aborted) after it.
 */
export function sleep(ms: number, wakers?: Set<() => void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      wakers?.delete(wake);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, Math.max(0, ms));
    wakers?.add(wake);
    // An already-aborted signal never fires 'abort'.
    if (signal?.aborted) wake();
    else signal?.addEventListener('abort', wake);
  });
}

/** Calls every waker in `wakers` (each removes itself). */
export function wakeAll(wakers: Set<() => void>): void {
  for (const wake of [...wakers]) wake();
}
