import { describe, expect, it } from 'vitest';
import { ProgressWaiters } from '../../src/repl/progress-waiters.js';

describe('ProgressWaiters', () => {
  it('resolves true when a wake finds the predicate true', async () => {
    const w = new ProgressWaiters();
    let v = 0;
    const p = w.waitUntil(() => v >= 2, 0);
    v = 1;
    w.wake();
    v = 2;
    w.wake();
    expect(await p).toBe(true);
    expect(w.size).toBe(0);
  });

  it('resolves false on its timeout, on abort and on close', async () => {
    const w = new ProgressWaiters();
    expect(await w.waitUntil(() => false, 1)).toBe(false);
    const ctl = new AbortController();
    const aborted = w.waitUntil(() => false, Infinity, ctl.signal);
    ctl.abort();
    expect(await aborted).toBe(false);
    const closed = w.waitUntil(() => false, Infinity);
    w.close();
    expect(await closed).toBe(false);
    expect(await w.waitUntil(() => false, Infinity)).toBe(false);
    expect(w.size).toBe(0);
  });
});
