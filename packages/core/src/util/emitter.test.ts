import { describe, expect, it } from 'vitest';
import { TypedEmitter } from './emitter.js';

describe('TypedEmitter', () => {
  type Events = { a: { n: number }; b: void };
  it('on/off/once/emit', () => {
    const e = new TypedEmitter<Events>();
    const seen: string[] = [];
    const l = (p: { n: number }) => seen.push(`a${p.n}`);
    e.on('a', l);
    e.once('a', (p) => seen.push(`once${p.n}`));
    e.on('b', () => seen.push('b'));
    expect(e.emit('a', { n: 1 })).toBe(true);
    e.emit('a', { n: 2 });
    e.off('a', l);
    e.emit('a', { n: 3 });
    e.emit('b');
    expect(seen).toEqual(['a1', 'once1', 'a2', 'b']);
    expect(e.listenerCount('a')).toBe(0);
    const b2 = () => seen.push('b2');
    e.on('b', b2);
    e.off('b', b2);
    e.emit('b');
    expect(seen.length).toBe(5);
  });

  it("a throwing listener's error propagates from emit and ends it (Node's EventEmitter semantics)", () => {
    const e = new TypedEmitter<Events>();
    const seen: number[] = [];
    const boom = new Error('boom');
    e.on('a', (p) => seen.push(p.n));
    e.on('a', () => {
      throw boom;
    });
    e.on('a', (p) => seen.push(-p.n));
    expect(() => e.emit('a', { n: 7 })).toThrow(boom);
    expect(seen).toEqual([7]);
    // The emitter is intact: the next emit calls every listener again.
    expect(() => e.emit('a', { n: 8 })).toThrow(boom);
    expect(seen).toEqual([7, 8]);
  });

  it('off removes a once registration and the most recently added duplicate', () => {
    const e = new TypedEmitter<Events>();
    const seen: string[] = [];
    const l = (p: { n: number }) => seen.push(`l${p.n}`);
    e.once('a', l);
    e.off('a', l);
    e.emit('a', { n: 1 });
    e.on('a', l).on('a', l);
    e.off('a', l);
    e.emit('a', { n: 2 });
    expect(seen).toEqual(['l2']);
  });
});
