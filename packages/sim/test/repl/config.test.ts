import { describe, expect, it } from 'vitest';
import { nextConfig } from '../../src/repl/config.js';
import { config, DEFAULTS } from './fixtures.js';

function raw(members: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { _id: 'rs', version: 2, members, ...extra };
}

const m = (i: number, o: Record<string, unknown> = {}): Record<string, unknown> => ({ _id: i, host: `h${i}:27017`, ...o });

describe('replSetReconfig rules', () => {
  const old = config('SSS');
  const rows: Array<{ name: string; raw: Record<string, unknown>; force?: boolean; error?: { code: number; msg: RegExp }; version?: number; term?: number }> = [
    { name: 'a higher version with the same voters: takes the current term', raw: raw([m(0), m(1), m(2, { priority: 0 })]), version: 2, term: 7 },
    { name: 'adding one voter', raw: raw([m(0), m(1), m(2), m(3)]), version: 2, term: 7 },
    { name: 'removing one voter', raw: raw([m(0), m(1)]), version: 2, term: 7 },
    { name: 'making one member a non-voter', raw: raw([m(0), m(1), m(2, { votes: 0, priority: 0 })]), version: 2, term: 7 },
    { name: 'two voting changes at once', raw: raw([m(0)]), error: { code: 103, msg: /Only one voting member may be added or removed at a time/ } },
    { name: 'the same version', raw: raw([m(0), m(1), m(2)], { version: 1 }), error: { code: 103, msg: /1 is not greater than 1/ } },
    { name: 'another set name', raw: raw([m(0), m(1), m(2)], { _id: 'other' }), error: { code: 93, msg: /differ in replica set name; old was rs, and new is other/ } },
    { name: 'force: two voting changes are allowed; version + 10000..99999, term -1', raw: raw([m(0)], { version: 1 }), force: true, version: 10001, term: -1 },
  ];
  it.each(rows)('$name', (r) => {
    const run = (): ReturnType<typeof nextConfig> => nextConfig(old, r.raw, { force: r.force === true, term: 7, defaults: DEFAULTS, random: () => 0 });
    if (r.error) {
      expect(run).toThrow(expect.objectContaining({ code: r.error.code, message: expect.stringMatching(r.error.msg) }));
      return;
    }
    expect(run()).toMatchObject({ version: r.version, term: r.term });
  });
});
