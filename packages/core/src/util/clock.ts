/** Monotonic milliseconds: performance.now() where the runtime has it, else Date.now(). */
export function monotonicNow(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf ? perf.now() : Date.now();
}
