import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { FramePool } from './frame-pool.js';

describe('FramePool', () => {
  it('gives buffers of exactly the size asked, and reuses a large one once it is given back', () => {
    const pool = new FramePool({ minBytes: 1024, maxIdleBytes: 1 << 20 });
    const a = pool.take(5000);
    expect(a.byteLength).toBe(5000);
    expect(a.buffer.byteLength).toBe(8192);
    pool.give(a);
    expect(pool.idleBytes).toBe(8192);
    const b = pool.take(6000);
    expect(b.byteLength).toBe(6000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.idleBytes).toBe(0);
    const c = pool.take(6000);
    expect(c.buffer).not.toBe(b.buffer);
  });

  it('keeps sizes apart: a buffer comes back only for a frame of its power-of-two class', () => {
    const pool = new FramePool({ minBytes: 1024 });
    const small = pool.take(2000);
    pool.give(small);
    expect(pool.take(3000).buffer).not.toBe(small.buffer);
    expect(pool.take(1500).buffer).toBe(small.buffer);
  });

  it('never pools frames under minBytes, nor buffers it did not make', () => {
    const pool = new FramePool({ minBytes: 1024 });
    const tiny = pool.take(100);
    expect(tiny.byteLength).toBe(100);
    pool.give(tiny);
    pool.give(Buffer.allocUnsafeSlow(2048));
    expect(pool.idleBytes).toBe(0);
  });

  it('keeps at most maxIdleBytes idle; the rest is left to the garbage collector', () => {
    const pool = new FramePool({ minBytes: 1024, maxIdleBytes: 4096 });
    const frames = [pool.take(2048), pool.take(2048), pool.take(2048)];
    for (const f of frames) pool.give(f);
    expect(pool.idleBytes).toBe(4096);
  });

  it('a buffer given twice is kept once', () => {
    const pool = new FramePool({ minBytes: 1024 });
    const f = pool.take(2048);
    pool.give(f);
    pool.give(f);
    expect(pool.idleBytes).toBe(2048);
    expect(pool.take(2048).buffer).toBe(f.buffer);
    expect(pool.take(2048).buffer).not.toBe(f.buffer);
  });
});
