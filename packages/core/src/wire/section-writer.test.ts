import { BSON, Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.js';
import { GenericSectionBuffer, newSectionBuffer } from './section-buffer.js';
import { SectionWriter } from './section-writer.js';

const CHARS = ['a', 'Z', '0', ' ', 'é', '€', '😀', '\ud800', '\udc00', '\0', '.', '$'];

function value(r: () => number, depth: number): unknown {
  const text = (n: number) => Array.from({ length: Math.floor(r() * n) }, () => CHARS[Math.floor(r() * CHARS.length)]).join('');
  switch (Math.floor(r() * (depth > 3 ? 12 : 15))) {
    case 0: return Math.floor(r() * 2 ** 33) - 2 ** 32;
    case 1: return [0, -0, NaN, Infinity, -Infinity, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 1.5][Math.floor(r() * 10)];
    case 2: return text(12);
    case 3: return 'x'.repeat(Math.floor(r() * 200)) + text(4);
    case 4: return r() < 0.5;
    case 5: return null;
    case 6: return undefined;
    case 7: return new ObjectId();
    case 8: return new Date(Math.floor(r() * 4e12) - 2e12);
    case 9: return new Date(NaN);
    case 10: return r() < 0.5 ? Long.fromNumber(5) : 10n;
    case 11: return text(3).replace(/\0/g, '');
    case 12: return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    case 13: return doc(r, depth + 1, r() < 0.2);
    default: return doc(r, depth + 1, false);
  }
}

function doc(r: () => number, depth = 0, nullProto = false): Record<string, unknown> {
  const d: Record<string, unknown> = nullProto ? Object.create(null) : {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) d[`${['k', 'é', '😀', 'a\0', '$x', 'a.b'][Math.floor(r() * 6)]}${i}`] = value(r, depth);
  return d;
}

describe('SectionWriter', () => {
  it('writes the bytes the bson package writes, or refuses and keeps nothing (seeded random documents)', () => {
    const r = seededRandom(1905);
    const w = new SectionWriter(16);
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const d = doc(r);
      let expected: Uint8Array | undefined;
      try {
        expected = BSON.serialize(d);
      } catch {
        expected = undefined;
      }
      const before = w.length;
      const n = w.tryAppend(d);
      if (n < 0) {
        expect(w.length).toBe(before);
        continue;
      }
      accepted++;
      expect(expected).toBeDefined();
      expect(Buffer.from(w.bytes().subarray(before)).equals(Buffer.from(expected!))).toBe(true);
    }
    // most documents take the in-place path (only bigint, Long and NUL keys refuse)
    expect(accepted).toBeGreaterThan(1500);
  });

  it('refuses a cycle, toBSON, a class instance, a root that is not a plain object; cut moves the tail out', () => {
    const w = new SectionWriter(8);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    class Point { x = 1; }
    for (const d of [cyclic, { a: { toBSON: () => ({}) } }, { p: new Point() }, new Point(), new Map([['a', 1]])]) {
      expect(w.tryAppend(d as never)).toBe(-1);
      expect(w.length).toBe(0);
    }
    expect(w.tryAppend({ a: 1 })).toBe(12);
    const n = w.tryAppend({ b: 'x' });
    expect(Array.from(w.cut(12))).toEqual(Array.from(BSON.serialize({ b: 'x' })));
    expect(n).toBe(14);
    expect(w.length).toBe(12);
  });
});

describe('SectionWriter scratch buffer', () => {
  const encoded = (docs: object[]) => docs.map((d) => BSON.serialize(d));
  const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

  it("keeps a sealed writer's bytes when the next writer writes into the scratch it gave back", () => {
    const first = new SectionWriter(16);
    const a = [{ _id: 1, s: 'a'.repeat(300) }, { _id: 2 }];
    for (const d of a) expect(first.tryAppend(d)).toBeGreaterThan(0);
    const sealed = first.bytes();
    const second = new SectionWriter(16);
    const b = [{ _id: 3, s: 'b'.repeat(900) }];
    for (const d of b) expect(second.tryAppend(d)).toBeGreaterThan(0);
    expect(sealed).toEqual(concat(encoded(a)));
    expect(second.bytes()).toEqual(concat(encoded(b)));
    expect(first.bytes()).toEqual(concat(encoded(a))); // and a second bytes() is the same
  });

  it('gives a writer left unsealed (an exception) a copy of its bytes when the next one takes the scratch', () => {
    const left = new SectionWriter(16);
    const a = [{ _id: 'left', n: 1.5 }];
    expect(left.tryAppend(a[0]!)).toBeGreaterThan(0);
    const next = new SectionWriter(16);
    const b = [{ _id: 'next', t: 'x'.repeat(100) }];
    expect(next.tryAppend(b[0]!)).toBeGreaterThan(0);
    expect(left.bytes()).toEqual(concat(encoded(a)));
    expect(left.tryAppend({ more: true })).toBeGreaterThan(0); // still usable, on its own buffer
    expect(next.bytes()).toEqual(concat(encoded(b)));
    expect(left.bytes()).toEqual(concat(encoded([...a, { more: true }])));
  });

  it('grows past the scratch and reserves, and still seals exact bytes', () => {
    const w = new SectionWriter(16);
    w.reserve(200_000);
    const docs = Array.from({ length: 50 }, (_, i) => ({ i, s: 'y'.repeat(5000) }));
    for (const d of docs) expect(w.tryAppend(d)).toBeGreaterThan(0);
    const bytes = w.bytes();
    expect(bytes.byteLength).toBe(bytes.buffer.byteLength); // an exact copy, not a view of the scratch
    expect(bytes).toEqual(concat(encoded(docs)));
  });
});

describe('registration', () => {
  it('is the section buffer once the Node entry is loaded (the generic one before)', async () => {
    expect(newSectionBuffer(16)).toBeInstanceOf(GenericSectionBuffer);
    await import('../runtime/node/index.js');
    expect(newSectionBuffer(16, { undefinedAsNull: true })).toBeInstanceOf(SectionWriter);
  });
});
