import { describe, expect, it } from 'vitest';
import { MongoInvalidArgumentError } from '../errors.js';
import { ReadConcern } from './read-concern.js';
import { WriteConcern } from './write-concern.js';

describe('WriteConcern', () => {
  it('builds the command document', () => {
    expect(new WriteConcern('majority', 500, true).toJSON()).toEqual({ w: 'majority', wtimeout: 500, j: true });
    expect(new WriteConcern().toJSON()).toEqual({});
  });
  it.each([
    [-1, undefined, undefined],
    [1.5, undefined, undefined],
    [undefined, -1, undefined],
    [0, undefined, true],
  ])('rejects w=%s wtimeoutMS=%s journal=%s', (w, t, j) => {
    expect(() => new WriteConcern(w, t, j)).toThrow(MongoInvalidArgumentError);
  });
  it('fromOptions reads nested, top-level and legacy spellings and inherits', () => {
    expect(WriteConcern.fromOptions({})).toBeUndefined();
    expect(WriteConcern.fromOptions({ writeConcern: { w: 2, j: true } })?.toJSON()).toEqual({ w: 2, j: true });
    expect(WriteConcern.fromOptions({ w: 1, wtimeout: 5 })?.toJSON()).toEqual({ w: 1, wtimeout: 5 });
    expect(WriteConcern.fromOptions({ writeConcern: 'majority' })?.w).toBe('majority');
    const parent = new WriteConcern(3, 100);
    expect(WriteConcern.fromOptions({ journal: true }, parent)?.toJSON()).toEqual({ w: 3, wtimeout: 100, j: true });
    expect(WriteConcern.fromOptions(undefined, parent)).toBe(parent);
  });
  it('isAcknowledged / isServerDefault', () => {
    expect(new WriteConcern(0).isAcknowledged).toBe(false);
    expect(new WriteConcern(1).isAcknowledged).toBe(true);
    expect(new WriteConcern().isServerDefault).toBe(true);
  });
});

describe('ReadConcern', () => {
  it('accepts any non-empty level and builds the document', () => {
    expect(new ReadConcern('majority').toJSON()).toEqual({ level: 'majority' });
    expect(new ReadConcern('futureLevel').level).toBe('futureLevel');
    expect(new ReadConcern().toJSON()).toEqual({});
    expect(() => new ReadConcern('')).toThrow(MongoInvalidArgumentError);
  });
  it('fromOptions', () => {
    expect(ReadConcern.fromOptions({})).toBeUndefined();
    expect(ReadConcern.fromOptions({ readConcern: { level: 'local' } })?.level).toBe('local');
    expect(ReadConcern.fromOptions({ readConcern: 'snapshot' })?.level).toBe('snapshot');
    expect(ReadConcern.fromOptions({ readConcernLevel: 'available' })?.level).toBe('available');
  });
});
