import { Double, Int32, Long } from 'bson';
import { describe, expect, it } from 'vitest';
import { CHUNKS_INDEX, FILES_INDEX, hasIndex } from './indexes.js';

describe('GridFS index check (hasIndex)', () => {
  const id = { v: 2, key: { _id: 1 }, name: '_id_' };
  it('finds the index whatever the numeric type of its directions', () => {
    for (const one of [1, new Int32(1), new Double(1), Long.fromNumber(1), 1n]) {
      expect(hasIndex([id, { key: { filename: one, uploadDate: 1 }, name: 'x' }], FILES_INDEX)).toBe(true);
      expect(hasIndex([{ key: { files_id: 1, n: one }, name: 'y', unique: true }], CHUNKS_INDEX)).toBe(true);
    }
  });
  it('a different direction, field order, extra field or missing key is another index', () => {
    expect(hasIndex([], FILES_INDEX)).toBe(false);
    expect(hasIndex([id], FILES_INDEX)).toBe(false);
    expect(hasIndex([{ key: { filename: -1, uploadDate: 1 } }], FILES_INDEX)).toBe(false);
    expect(hasIndex([{ key: { uploadDate: 1, filename: 1 } }], FILES_INDEX)).toBe(false);
    expect(hasIndex([{ key: { filename: 1, uploadDate: 1, x: 1 } }], FILES_INDEX)).toBe(false);
    expect(hasIndex([{ key: { filename: 'text', uploadDate: 1 } }], FILES_INDEX)).toBe(false);
    expect(hasIndex([{ name: 'no key' }], CHUNKS_INDEX)).toBe(false);
  });
});
