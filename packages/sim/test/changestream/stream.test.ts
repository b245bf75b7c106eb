// ChangeStreamCursor over a history we control: only majority-committed entries become
// events, the high-water mark follows the commit point, and an awaiting getMore wakes
// when the commit point moves (no polling) or ends at its time limit or on close.
import { describe, expect, it } from 'vitest';
import { Timestamp } from 'bson';
import { ProgressWaiters } from '../../src/repl/progress-waiters.js';
import { ChangeStreamCursor, type ChangeHistory } from '../../src/changestream/stream.js';
import { decodeToken } from '../../src/changestream/resume-token.js';
import { parseChangeStream } from '../../src/changestream/spec.js';
import type { Doc } from '../../src/storage/values.js';

const ts = (t: number, i = 1): Timestamp => new Timestamp({ t, i });

function fakeHistory(entries: Doc[], majority: { ts: Timestamp }): ChangeHistory & { waiters: ProgressWaiters } {
  const waiters = new ProgressWaiters();
  const cmp = (a: Timestamp, b: Timestamp): number => (a.t !== b.t ? a.t - b.t : a.i - b.i);
  return {
    waiters,
    majorityTs: () => majority.ts,
    firstTs: () => entries[0]?.ts as Timestamp | undefined,
    lastTs: () => entries[entries.length - 1]?.ts as Timestamp | undefined,
    lowerBound: (t) => {
      const i = entries.findIndex((e) => cmp(e.ts as Timestamp, t) >= 0);
      return i < 0 ? entries.length : i;
    },
    at: (i) => entries[i],
    waitUntil: (pred, timeoutMs, signal) => waiters.waitUntil(pred, timeoutMs, signal),
  };
}

const insert = (t: number, id: number): Doc => ({ ts: ts(t), wall: new Date(t * 1000), op: 'i', ns: 'd.c', o: { _id: id } });

describe('ChangeStreamCursor', () => {
  it('returns only majority-committed entries; the resume token stops at the commit point', async () => {
    const entries = [insert(1, 0), insert(2, 1), insert(3, 2)];
    const majority = { ts: ts(2) };
    const h = fakeHistory(entries, majority);
    const spec = parseChangeStream('d', 'c', [{ $changeStream: { startAtOperationTime: ts(2) } }]);
    const c = new ChangeStreamCursor(spec, [], {}, h, () => null);
    const b = c.batch(100);
    expect(b.events.map((e) => (e.documentKey as Doc)._id)).toEqual([1]);
    expect(decodeToken(b.postBatchResumeToken, 'x')).toMatchObject({ highWaterMark: true });
    expect(decodeToken(b.postBatchResumeToken, 'x').ts.equals(ts(2))).toBe(true);

    // an awaiting getMore wakes when the commit point moves
    const waiting = c.next(100, 60_000, new AbortController().signal);
    await Promise.resolve();
    expect(h.waiters.size).toBe(1);
    majority.ts = ts(3);
    h.waiters.wake();
    const woke = await waiting;
    expect(woke.events.map((e) => (e.documentKey as Doc)._id)).toEqual([2]);
    expect(h.waiters.size).toBe(0);
  });

  it('a batch size cuts the batch at an event, whose token is the resume token', () => {
    const entries = [insert(1, 0), insert(2, 1), insert(3, 2)];
    const h = fakeHistory(entries, { ts: ts(3) });
    const c = new ChangeStreamCursor(parseChangeStream('d', 'c', [{ $changeStream: { startAtOperationTime: ts(1) } }]), [], {}, h, () => null);
    const b = c.batch(2);
    expect(b.events).toHaveLength(2);
    expect(b.postBatchResumeToken).toEqual(b.events[1]!._id);
    expect(c.batch(2).events.map((e) => (e.documentKey as Doc)._id)).toEqual([2]);
  });

  it('closing the cursor ends an awaiting getMore; without events it ends at its time limit', async () => {
    const h = fakeHistory([insert(1, 0)], { ts: ts(1) });
    const c = new ChangeStreamCursor(parseChangeStream('d', 'c', [{ $changeStream: {} }]), [], {}, h, () => null);
    const waiting = c.next(100, 60_000, new AbortController().signal);
    await Promise.resolve();
    c.close();
    expect((await waiting).events).toEqual([]);
    expect(h.waiters.size).toBe(0);
    const timed = await new ChangeStreamCursor(parseChangeStream('d', 'c', [{ $changeStream: {} }]), [], {}, h, () => null).next(100, 20, new AbortController().signal);
    expect(timed.events).toEqual([]);
    expect(h.waiters.size).toBe(0);
  });

  it('a resume point before the oldest entry is ChangeStreamHistoryLost', () => {
    const h = fakeHistory([insert(5, 0)], { ts: ts(5) });
    expect(() => new ChangeStreamCursor(parseChangeStream('d', 'c', [{ $changeStream: { startAtOperationTime: ts(4) } }]), [], {}, h, () => null)).toThrow(
      expect.objectContaining({ code: 286 }),
    );
  });

  it("updateLookup reads as of the batch's majority commit point", () => {
    const update = (t: number, id: number): Doc => ({
      ts: ts(t),
      op: 'u',
      ns: 'd.c',
      o2: { _id: id },
      o: { $v: 2, diff: { u: { n: t } } },
      changeStream: { updateDescription: { updatedFields: { n: t }, removedFields: [], truncatedArrays: [] } },
    });
    const majority = { ts: ts(2) };
    const h = fakeHistory([update(1, 7), update(2, 7), update(3, 7)], majority);
    const lookup = (_db: string, _coll: string, key: Doc, at: Timestamp): Doc => ({ _id: key._id, asOf: at.t });
    const spec = parseChangeStream('d', 'c', [{ $changeStream: { startAtOperationTime: ts(1), fullDocument: 'updateLookup' } }]);
    const c = new ChangeStreamCursor(spec, [], {}, h, lookup);
    const first = c.batch(100);
    expect(first.events.map((e) => e.fullDocument)).toEqual([{ _id: 7, asOf: 2 }, { _id: 7, asOf: 2 }]);
    majority.ts = ts(3);
    const second = c.batch(100);
    expect(second.events.map((e) => e.fullDocument)).toEqual([{ _id: 7, asOf: 3 }]);
  });
});
