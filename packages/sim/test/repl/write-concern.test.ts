import { describe, expect, it } from 'vitest';
import { defaultWriteConcern, resolveWriteConcern, validateWriteConcern, writeConcernError, writeConcernSatisfied } from '../../src/repl/write-concern.js';
import { config, ot, peer, state } from './fixtures.js';

describe('implicit default write concern (mongod 5.0+)', () => {
  // {w: 1} when there are voting arbiters and the data-bearing voters are not more than the voting majority.
  const rows: Array<[string, string, unknown]> = [
    ['PSS', 'SSS', 'majority'],
    ['PSA: 2 data-bearing voters, majority 2', 'SSA', 1],
    ['PSAA: 2 data-bearing voters, majority 3', 'SSAA', 1],
    ['PSSA: 3 data-bearing voters, majority 3', 'SSSA', 1],
    ['PSSSA: 4 data-bearing voters, majority 3', 'SSSSA', 'majority'],
    ['a single member', 'S', 'majority'],
  ];
  it.each(rows)('%s -> w: %s', (_name, shape, w) => {
    expect(defaultWriteConcern(config(shape))).toEqual({ w, wtimeout: 0 });
  });

  it('without a config: w 1', () => {
    expect(defaultWriteConcern(undefined)).toEqual({ w: 1, wtimeout: 0 });
  });
});

describe('resolving a command writeConcern', () => {
  const c = config('SSS');
  it.each([
    ['absent: the default, implicit', undefined, { w: 'majority', wtimeout: 0, provenance: 'implicitDefault', waits: true }],
    ['w 1: nothing to wait for', { w: 1 }, { w: 1, provenance: 'clientSupplied', waits: false }],
    ['w 0', { w: 0 }, { w: 0, waits: false }],
    ['without w: the default w, its wtimeout', { wtimeout: 500 }, { w: 'majority', wtimeout: 500, provenance: 'implicitDefault', waits: true }],
    ['j true', { w: 2, j: true }, { w: 2, j: true, waits: true }],
  ] as const)('%s', (_name, wc, expected) => {
    expect(resolveWriteConcern(c, wc as Record<string, unknown> | undefined)).toMatchObject(expected);
  });
});

describe('write concern validation', () => {
  it('refuses more data-bearing members than the set has (100) and unknown modes (79)', () => {
    const c = config('SSA');
    expect(() => validateWriteConcern(c, { w: 2 })).not.toThrow();
    expect(() => validateWriteConcern(c, { w: 3 })).toThrow(expect.objectContaining({ code: 100 }));
    expect(() => validateWriteConcern(c, { w: 'dc' })).toThrow(expect.objectContaining({ code: 79 }));
    expect(() => validateWriteConcern(c, { w: 'majority' })).not.toThrow();
  });
});

describe('write concern satisfaction', () => {
  const target = ot(20, 2);
  const rows: Array<{ name: string; shape: string; w: unknown; self: ReturnType<typeof ot>; peers: Array<ReturnType<typeof ot>>; commit?: ReturnType<typeof ot>; ok: boolean }> = [
    { name: 'majority: once the commit point reached it', shape: 'SSS', w: 'majority', self: target, peers: [target, target], commit: target, ok: true },
    { name: 'majority: not before, however many applied it', shape: 'SSS', w: 'majority', self: target, peers: [target, target], commit: ot(19, 2), ok: false },
    { name: 'w 2: the primary and one secondary', shape: 'SSS', w: 2, self: target, peers: [ot(21, 2), ot(5, 2)], ok: true },
    { name: 'w 3: one secondary behind', shape: 'SSS', w: 3, self: target, peers: [ot(21, 2), ot(5, 2)], ok: false },
    { name: 'w 2 in PSA: an arbiter never counts', shape: 'SSA', w: 2, self: target, peers: [ot(5, 2), ot(99, 2)], ok: false },
    { name: 'a mode name needs a write majority', shape: 'SSS', w: 'dc', self: target, peers: [target, ot(1, 2)], ok: true },
  ];
  it.each(rows)('$name', (r) => {
    const s = state({ memberState: 'PRIMARY', term: 2, lastApplied: r.self, commitPoint: r.commit, peers: r.peers.map((o, i) => peer(i + 1, { opTime: o })) });
    expect(writeConcernSatisfied(s, config(r.shape), target, r.w)).toBe(r.ok);
  });

  it('writeConcernError: 189 after a step-down, 64 with wtimeout on a timeout; both echo the write concern', () => {
    const wc = resolveWriteConcern(config('SSS'), { w: 3, wtimeout: 100 });
    expect(writeConcernError('steppedDown', wc)).toMatchObject({ code: 189, codeName: 'PrimarySteppedDown', errInfo: { writeConcern: { w: 3, wtimeout: 100, provenance: 'clientSupplied' } } });
    expect(writeConcernError('timeout', wc)).toMatchObject({ code: 64, codeName: 'WriteConcernFailed', errInfo: { wtimeout: true, writeConcern: { w: 3 } } });
  });
});
