/**
 * One change stream's cursor: where it stands in the history, the batches it reads from
 * the oplog (majority-committed entries only; updateLookup reads the document as of the
 * same majority commit point), the stages after $changeStream applied to
 * each event, and the wait of a getMore for new entries (the replication waiters wake it
 * on every append and commit point move; its timeout is the sim's one sleep, cleared
 * when the wait ends; closing the cursor ends the wait).
 */
import type { Timestamp } from 'bson';
import { Aggregator } from 'mingo';
import { CommandError, ErrorCode } from '../errors.js';
import type { LiveCursor } from '../cursors.js';
import { mingoOptions, type EvalOptions } from '../query.js';
import { isPlainObject, retypeDoc, toView, toViewDoc, type Doc } from '../storage/values.js';
import { eventsOf, type EventSource } from './events.js';
import { comparePositions, HWM_INDEX, highWaterMark, positionToken, type StreamPosition } from './resume-token.js';
import type { ChangeStreamSpec } from './spec.js';

/** What a stream reads: the oplog, how far it is majority-committed, and a wait for progress. */
export interface ChangeHistory {
  /** The newest majority-committed timestamp (events after it are not returned yet). */
  majorityTs(): Timestamp;
  firstTs(): Timestamp | undefined;
  lastTs(): Timestamp | undefined;
  /** Index of the first entry at or after ts. */
  lowerBound(ts: Timestamp): number;
  at(i: number): Doc | undefined;
  /** Resolves when pred() holds (true), or false at the timeout / abort. */
  waitUntil(pred: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
}

/**
 * The document with this key as of `at` (fullDocument: 'updateLookup'), or null. mongod
 * looks it up at majority read concern: `at` is the majority commit point the batch reads at.
 */
export type DocumentLookup = (db: string, coll: string, documentKey: Doc, at: Timestamp) => Doc | null;

export interface StreamBatch {
  readonly events: Doc[];
  readonly postBatchResumeToken: Doc;
  /** The stream was invalidated: the cursor is closed after this batch. */
  readonly closed: boolean;
}

/** mongod's default wait of an awaitData getMore without maxTimeMS. */
export const DEFAULT_AWAIT_MS = 1000;

const ID_MODIFIED =
  'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.';

function tsLess(a: Timestamp, b: Timestamp): boolean {
  return a.t !== b.t ? a.t < b.t : a.i < b.i;
}

export class ChangeStreamCursor implements LiveCursor {
  readonly #spec: ChangeStreamSpec;
  readonly #history: ChangeHistory;
  readonly #source: EventSource;
  readonly #pipeline: Aggregator | undefined;
  readonly #closed = new AbortController();
  #pos: StreamPosition;
  #token: Doc;
  /** The majority commit point of the current batch: its events end there, its lookups read there. */
  #readTs: Timestamp;
  #invalidated = false;

  /** Where the stream starts; ChangeStreamHistoryLost when the oplog no longer reaches back there. */
  constructor(spec: ChangeStreamSpec, rest: Doc[], ev: EvalOptions, history: ChangeHistory, lookup: DocumentLookup) {
    this.#spec = spec;
    this.#history = history;
    this.#readTs = history.majorityTs();
    this.#source = {
      spec,
      lookup: (db, coll, documentKey) => lookup(db, coll, documentKey, this.#readTs),
      entryAt: (ts) => {
        const e = history.at(history.lowerBound(ts));
        return e && (e.ts as Timestamp).equals(ts) ? e : undefined;
      },
    };
    // $changeStreamSplitLargeEvent only splits events over 16 MB, which the sim's never are
    const stages = rest.filter((st) => !('$changeStreamSplitLargeEvent' in st));
    this.#pipeline = stages.length ? new Aggregator(toView(stages) as Doc[], mingoOptions(ev)) : undefined;
    const start = spec.start;
    switch (start.kind) {
      case 'now': {
        const ts = history.lastTs() ?? history.majorityTs();
        this.#pos = { ts, index: HWM_INDEX, sub: 0xff };
        break;
      }
      case 'resumeAfter':
      case 'startAfter':
        this.#pos = { ts: start.token.ts, index: start.token.index, sub: start.token.sub };
        break;
      case 'startAtOperationTime':
        this.#pos = { ts: start.ts, index: -1, sub: 0 };
        break;
    }
    if (start.kind !== 'now') {
      const first = history.firstTs();
      if (first && tsLess(this.#pos.ts, first)) {
        throw new CommandError(ErrorCode.ChangeStreamHistoryLost, 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.', {}, ['NonResumableChangeStreamError']);
      }
    }
    if ((start.kind === 'resumeAfter' || start.kind === 'startAfter') && !start.token.highWaterMark && start.token.index >= 0) {
      // an event token names an entry: when this member has passed its time, the entry must be here
      const last = history.lastTs();
      if (last && !tsLess(last, start.token.ts) && !this.#source.entryAt!(start.token.ts)) {
        throw new CommandError(ErrorCode.ChangeStreamFatalError, 'cannot resume stream; the resume token was not found.', {}, ['NonResumableChangeStreamError']);
      }
    }
    this.#token = positionToken(this.#pos);
  }

  get closed(): boolean {
    return this.#closed.signal.aborted;
  }

  close(): void {
    this.#closed.abort();
  }

  /** The events the history holds now after the stream's position, up to `limit`. */
  batch(limit: number): StreamBatch {
    const events: Doc[] = [];
    const majority = this.#history.majorityTs();
    this.#readTs = majority;
    const full = (): boolean => events.length >= limit;
    if (limit > 0 && !this.#invalidated) {
      for (let i = this.#history.lowerBound(this.#pos.ts); !full(); i++) {
        const entry = this.#history.at(i);
        if (!entry || tsLess(majority, entry.ts as Timestamp)) break;
        for (const b of eventsOf(entry, this.#source)) {
          if (comparePositions(b.position, this.#pos) <= 0) continue;
          if (full()) return this.#done(events);
          const out = this.#transform(b.event);
          this.#pos = b.position;
          this.#token = b.event._id as Doc;
          if (out) events.push(out);
          if (b.invalidate) {
            this.#invalidated = true;
            return this.#done(events);
          }
        }
        // a full batch ends at its last event: that event's token is the resume token
        if (!full()) this.#advanceTo(entry.ts as Timestamp);
      }
    }
    if (!full()) this.#advanceTo(majority);
    return this.#done(events);
  }

  /** A getMore: a batch, waiting up to `awaitMs` for one event when none is there yet. */
  async next(limit: number, awaitMs: number, signal: AbortSignal): Promise<StreamBatch> {
    const deadline = Date.now() + awaitMs;
    const both = AbortSignal.any([signal, this.#closed.signal]);
    for (;;) {
      const b = this.batch(limit);
      const left = deadline - Date.now();
      if (b.events.length > 0 || b.closed || left <= 0 || both.aborted) return b;
      const seen = this.#history.majorityTs();
      await this.#history.waitUntil(() => tsLess(seen, this.#history.majorityTs()), left, both);
    }
  }

  #done(events: Doc[]): StreamBatch {
    return { events, postBatchResumeToken: this.#token, closed: this.#invalidated };
  }

  /** Moves to the high-water mark at ts (all of ts seen), if that is ahead. */
  #advanceTo(ts: Timestamp): void {
    const hwm: StreamPosition = { ts, index: HWM_INDEX, sub: 0xff };
    if (comparePositions(hwm, this.#pos) <= 0) return;
    this.#pos = hwm;
    this.#token = highWaterMark(ts);
  }

  /** The stages after $changeStream on one event (undefined: filtered out); the _id must come through unchanged. */
  #transform(event: Doc): Doc | undefined {
    if (!this.#pipeline) return event;
    let out: Doc[];
    try {
      out = this.#pipeline.run([toViewDoc(event)]) as Doc[];
    } catch (e) {
      if (e instanceof CommandError) throw e;
      throw new CommandError(ErrorCode.BadValue, (e as Error)?.message ?? String(e));
    }
    const d = out[0];
    if (!d) return undefined;
    const id = d._id;
    const want = (event._id as Doc)._data;
    if (!isPlainObject(id) || Object.keys(id).length !== 1 || id._data !== want) {
      throw new CommandError(ErrorCode.ChangeStreamFatalError, ID_MODIFIED, {}, ['NonResumableChangeStreamError']);
    }
    return retypeDoc(d, event);
  }
}
