import { describe, expect, it } from 'vitest';
import { sleep, TaskGroup } from '../../src/util/async.js';

describe('sleep', () => {
  it('resolves at once when the signal is already aborted, and early when it aborts', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await sleep(60_000, ctl.signal);
    const later = new AbortController();
    const p = sleep(60_000, later.signal);
    later.abort();
    await p;
  });
});

describe('TaskGroup', () => {
  it('stop() cancels loops and timers and waits for every task to end', async () => {
    const g = new TaskGroup();
    const ended: string[] = [];
    void g.run('loop', async (signal) => {
      while (!signal.aborted) await sleep(60_000, signal);
      ended.push('loop');
    });
    let fired = false;
    const t = g.after('timer', 60_000, () => {
      fired = true;
    });
    let ticks = 0;
    g.every('tick', 60_000, () => {
      ticks++;
    });
    expect(g.size).toBe(3);
    expect(t.pending).toBe(true);
    await g.stop();
    expect(ended).toEqual(['loop']);
    expect(fired).toBe(false);
    expect(ticks).toBe(0);
    expect(g.size).toBe(0);
  });

  it('a cancelled timer never fires; a due one fires once', async () => {
    const g = new TaskGroup();
    let a = 0;
    let b = 0;
    const ta = g.after('a', 60_000, () => {
      a++;
    });
    ta.cancel();
    expect(ta.pending).toBe(false);
    await new Promise<void>((resolve) => {
      g.after('b', 0, () => {
        b++;
        resolve();
      });
    });
    await g.stop();
    expect([a, b]).toEqual([0, 1]);
  });

  it('reports a task error to onError instead of rejecting, and starts nothing after stop', async () => {
    const errors: string[] = [];
    const g = new TaskGroup((name, e) => errors.push(`${name}: ${(e as Error).message}`));
    await g.run('bad', () => {
      throw new Error('boom');
    });
    expect(errors).toEqual(['bad: boom']);
    await g.stop();
    let ran = false;
    await g.run('late', () => {
      ran = true;
    });
    expect(ran).toBe(false);
    expect(g.after('late', 0, () => undefined).pending).toBe(false);
  });

  it('sleep() ends early on its own cancel signal and on stop()', async () => {
    const g = new TaskGroup();
    const cancel = new AbortController();
    const a = g.sleep(60_000, cancel.signal);
    cancel.abort();
    await a;
    const b = g.sleep(60_000, new AbortController().signal);
    const c = g.sleep(60_000);
    await g.stop();
    await Promise.all([b, c]);
  });
});
