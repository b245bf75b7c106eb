import { Code } from 'bson';
import { describe, expect, it } from 'vitest';
import { CommandError } from '../errors.js';
import { wrapWhereCode } from './sandbox.js';
import { planWhere, refuseWhereInPipeline, rewriteWhere } from './where-plan.js';

describe('planWhere', () => {
  it.each([
    [{ a: 1 }, undefined],
    [{ $where: 'true' }, { codes: ['true'], relaxed: {}, allTopLevel: true }],
    [{ a: 1, $where: new Code('this.b') }, { codes: ['this.b'], relaxed: { a: 1 }, allTopLevel: true }],
    [{ b: 2, $or: [{ a: 1 }, { $where: 'x' }] }, { codes: ['x'], relaxed: { b: 2 }, allTopLevel: false }],
    [{ $and: [{ $where: 'x' }, { $nor: [{ $where: 'y' }] }] }, { codes: ['x', 'y'], relaxed: {}, allTopLevel: false }],
  ])('%j', (filter, want) => {
    const plan = planWhere(filter);
    if (!want) return expect(plan).toBeUndefined();
    expect({ codes: plan!.clauses.map((c) => c.code), relaxed: plan!.relaxed, allTopLevel: plan!.allTopLevel }).toEqual(want);
  });

  it.each([
    [{ $where: 1 }, 2, '$where got bad type'],
    [{ $where: '' }, 2, 'code for $where cannot be empty'],
    [{ $where: new Code('x', { a: 1 }) }, 4649201, '$where no longer supports deprecated BSON type CodeWScope'],
    [{ a: { $where: 'x' } }, 2, '$where cannot be applied to a field'],
    [{ a: { $not: { $where: 'x' } } }, 2, '$where cannot be applied to a field'],
    [{ a: { $elemMatch: { $or: [{ $where: 'x' }] } } }, 2, '$where can only be applied to the top-level document'],
  ])('%j is refused', (filter, code, message) => {
    const e = (() => {
      try {
        planWhere(filter);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(CommandError);
    expect(e).toMatchObject({ code, message });
  });
});

describe('rewriteWhere', () => {
  it('numbers the clauses in planWhere order and keeps every other key', () => {
    const filter = { $text: { $search: 'x' }, $where: 'a', $or: [{ $where: 'b' }, { c: 1 }] };
    const seen: number[] = [];
    const out = rewriteWhere(filter, (i) => {
      seen.push(i);
      return true;
    });
    expect(out.$text).toEqual({ $search: 'x' });
    (out.$where as () => boolean)();
    ((out.$or as Array<{ $where: () => boolean }>)[0]!.$where)();
    expect(seen).toEqual([0, 1]);
    expect((out.$or as unknown[])[1]).toEqual({ c: 1 });
  });
});

describe('refuseWhereInPipeline', () => {
  it.each([
    [[{ $match: { $where: 'x' } }], true],
    [[{ $facet: { a: [{ $match: { $nor: [{ $where: 'x' }] } }] } }], true],
    [[{ $lookup: { from: 'c', as: 'x', pipeline: [{ $match: { $where: 'x' } }] } }], true],
    [[{ $match: { a: 1 } }, { $project: { $where: 1 } }], false],
  ])('%j', (pipeline, refused) => {
    if (refused) expect(() => refuseWhereInPipeline(pipeline)).toThrow('$where is not allowed in this context');
    else expect(() => refuseWhereInPipeline(pipeline)).not.toThrow();
  });
});

describe('wrapWhereCode (mongod script engine rules)', () => {
  it.each([
    ['this.a > 1', '(function () { return this.a > 1\n})'],
    ['  function () { return 1; }', '(function () { return 1; }\n)'],
    ['return this.a;', '(function () { return this.a;\n})'],
    ['var x = 1; return x', '(function () { var x = 1; return x\n})'],
    ['sleep(1);', '(function () { return sleep(1);\n})'],
  ])('%j', (code, wrapped) => {
    expect(wrapWhereCode(code)).toBe(wrapped);
  });
});
