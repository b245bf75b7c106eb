import { Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { ResumeTokenCache } from './resume-token.js';

const T = (n: number) => ({ _data: `token-${n}` });
const OP_TIME = new Timestamp({ t: 100, i: 1 });
const first = (batch: unknown[], pbrt?: unknown, operationTime: unknown = OP_TIME) => ({
  ok: 1,
  cursor: { id: 1, firstBatch: batch, ...(pbrt === undefined ? {} : { postBatchResumeToken: pbrt }) },
  operationTime,
});
const more = (batch: unknown[], pbrt?: unknown) => ({ ok: 1, cursor: { id: 1, nextBatch: batch, ...(pbrt === undefined ? {} : { postBatchResumeToken: pbrt }) } });

describe('ResumeTokenCache (spec "Updating the Cached Resume Token", "Resume Process")', () => {
  it('caches startAfter, else resumeAfter, when started; nothing otherwise', () => {
    expect(new ResumeTokenCache({ startAfter: T(1), resumeAfter: T(2) }).token).toEqual(T(1));
    expect(new ResumeTokenCache({ resumeAfter: T(2) }).token).toEqual(T(2));
    expect(new ResumeTokenCache({}).token).toBeUndefined();
  });

  it('an empty batch with a postBatchResumeToken caches it (and says so)', () => {
    const c = new ResumeTokenCache({});
    expect(c.onReply(first([], T(5)), true, 21)).toBe(true);
    expect(c.token).toEqual(T(5));
    expect(c.onReply(more([], T(6)), false, 21)).toBe(true);
    expect(c.token).toEqual(T(6));
    expect(c.onReply(more([]), false, 21)).toBe(false);
    expect(c.token).toEqual(T(6));
  });

  it('a non-empty batch caches nothing until its changes are returned: _id, then the pbrt for the last', () => {
    const c = new ResumeTokenCache({});
    expect(c.onReply(more([{ _id: T(1) }, { _id: T(2) }], T(9)), false, 21)).toBe(false);
    expect(c.token).toBeUndefined();
    c.onChange({ _id: T(1) }, false);
    expect(c.token).toEqual(T(1));
    c.onChange({ _id: T(2) }, true);
    expect(c.token).toEqual(T(9));
  });

  it('the last change of a batch without a pbrt caches its _id', () => {
    const c = new ResumeTokenCache({});
    c.onReply(more([{ _id: T(3) }]), false, 21);
    c.onChange({ _id: T(3) }, true);
    expect(c.token).toEqual(T(3));
  });

  it('resume point: resumeAfter the cached token', () => {
    const c = new ResumeTokenCache({ startAtOperationTime: OP_TIME });
    c.onReply(first([], T(4)), true, 21);
    expect(c.resumePoint()).toEqual({ resumeAfter: T(4) });
  });

  it('resume point: startAfter while started with startAfter and no change returned, resumeAfter after one', () => {
    const c = new ResumeTokenCache({ startAfter: T(1) });
    expect(c.resumePoint()).toEqual({ startAfter: T(1) });
    c.onReply(first([], T(2)), true, 21);
    expect(c.resumePoint()).toEqual({ startAfter: T(2) });
    c.onReply(more([{ _id: T(3) }]), false, 21);
    c.onChange({ _id: T(3) }, true);
    expect(c.resumePoint()).toEqual({ resumeAfter: T(3) });
  });

  it('resume point: the initial operationTime when there is no token (empty first batch, no pbrt, 4.0+)', () => {
    const c = new ResumeTokenCache({});
    c.onReply(first([]), true, 21);
    expect(c.token).toBeUndefined();
    expect(c.resumePoint()).toEqual({ startAtOperationTime: OP_TIME });
  });

  it('the operationTime is not saved when the first batch has changes, has a pbrt, or a start point was given', () => {
    const withDocs = new ResumeTokenCache({});
    withDocs.onReply(first([{ _id: T(1) }]), true, 21);
    expect(withDocs.resumePoint()).toEqual({});
    const given = new ResumeTokenCache({ startAtOperationTime: new Timestamp({ t: 5, i: 0 }) });
    given.onReply(first([]), true, 21);
    expect(given.resumePoint()).toEqual({ startAtOperationTime: new Timestamp({ t: 5, i: 0 }) });
  });

  it('before 4.0 (wire < 7) no operation time is saved or sent: the original command is re-run', () => {
    const c = new ResumeTokenCache({});
    c.onReply(first([]), true, 6);
    expect(c.resumePoint()).toEqual({});
  });
});
