/**
 * Change streams in mongod-sim: `aggregate` with `$changeStream` first (a collection, a
 * database with `{aggregate: 1}`, the cluster on admin) opens a live cursor over the
 * oplog; `getMore` on it reads the next events, waiting for new majority-committed
 * entries as an awaitData cursor does. The hooks crud.ts calls.
 */
import { Long } from 'bson';
import type { CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { ServerCursor } from '../cursors.js';
import { isView } from '../collection-options.js';
import { ReplicaSetRole } from '../repl/coordinator.js';
import { keyOf, toView, type Doc } from '../storage/values.js';
import type { EvalOptions } from '../query.js';
import { parseChangeStream } from './spec.js';
import { ChangeStreamCursor, DEFAULT_AWAIT_MS, type ChangeHistory, type DocumentLookup } from './stream.js';

export { isChangeStream } from './spec.js';
export { deleteEntry, updateEntry } from './write-info.js';

const DEFAULT_FIRST_BATCH = 101;

/**
 * Codes mongod labels ResumableChangeStreamError when a change stream's getMore fails with
 * them (network, not-primary, shutdown, stale routing, RetryChangeStream, read preference,
 * ExceededTimeLimit).
 */
const RESUMABLE_CODES = new Set([6, 7, 63, 89, 91, 133, 150, 189, 234, 262, 9001, 10107, 11600, 11602, 13388, 13435, 13436]);

/** The error of a change stream getMore, labelled as mongod labels it. */
function labelled(e: unknown): unknown {
  if (e instanceof CommandError && RESUMABLE_CODES.has(e.code) && !e.errorLabels?.length) {
    return new CommandError(e.code, e.message, e.extra, ['ResumableChangeStreamError']);
  }
  return e;
}

function historyOf(role: ReplicaSetRole): ChangeHistory {
  const oplog = role.oplog;
  return {
    majorityTs: () => role.majorityOpTime().ts,
    firstTs: () => oplog.first()?.ts as never,
    lastTs: () => oplog.last()?.ts as never,
    lowerBound: (ts) => oplog.lowerBound(ts),
    at: (i) => oplog.at(i),
    waitUntil: (pred, timeoutMs, signal) => role.waitUntil(pred, timeoutMs, signal),
  };
}

/** The aggregate reply of a `$changeStream` pipeline (its first stage is $changeStream). */
export function openChangeStream(ctx: CommandContext, stages: Doc[], batchSize: number | undefined, ev: EvalOptions): Doc {
  const role = ctx.node.role;
  if (!(role instanceof ReplicaSetRole)) throw new CommandError(40573, 'The $changeStream stage is only supported on replica sets');
  const coll = ctx.args.aggregate === 1 ? undefined : (ctx.args.aggregate as string);
  const spec = parseChangeStream(ctx.db, coll, stages);
  const engine = ctx.node.engine;
  if (coll !== undefined && isView(engine.getCollection(ctx.db, coll))) {
    throw new CommandError(ErrorCode.CommandNotSupportedOnView, `Namespace ${ctx.db}.${coll} is a view, not a collection`);
  }
  // mongod's updateLookup is a majority read: the document as of the batch's commit point
  const history = role.snapshotHistory;
  const lookup: DocumentLookup = (db, c, documentKey, at) => history.documentAt(at, db, c, keyOf(documentKey._id))?.doc ?? null;
  const cursor = new ChangeStreamCursor(spec, stages.slice(1), ev, historyOf(role), lookup);
  const ns = coll === undefined ? `${ctx.db}.$cmd.aggregate` : `${ctx.db}.${coll}`;
  const b = cursor.batch(batchSize ?? DEFAULT_FIRST_BATCH);
  const id = b.closed ? Long.ZERO : ctx.node.cursors.openLive(ns, ctx.conn.id, cursor);
  return { cursor: { firstBatch: b.events, postBatchResumeToken: b.postBatchResumeToken, id, ns } };
}

/** getMore on a change stream cursor. */
export async function changeStreamGetMore(ctx: CommandContext, c: ServerCursor): Promise<Doc> {
  const cursor = c.live as ChangeStreamCursor;
  c.lastUsed = Date.now();
  const batchSize = typeof ctx.args.batchSize === 'number' && ctx.args.batchSize > 0 ? ctx.args.batchSize : Infinity;
  const awaitMs = typeof ctx.args.maxTimeMS === 'number' && ctx.args.maxTimeMS > 0 ? ctx.args.maxTimeMS : DEFAULT_AWAIT_MS;
  try {
    // mongod's failGetMoreAfterCursorCheckout: the error comes from the cursor, so it gets the change stream labels
    const fp = ctx.node.failPoints.shouldFail('failGetMoreAfterCursorCheckout');
    if (fp && typeof toView(fp.errorCode) === 'number') throw new CommandError(toView(fp.errorCode) as number, "Failing getMore via 'failGetMoreAfterCursorCheckout' failpoint");
    const b = await cursor.next(batchSize, awaitMs, ctx.conn.signal);
    c.lastUsed = Date.now();
    if (cursor.closed && !b.closed) throw new CommandError(ErrorCode.CursorNotFound, `cursor id ${c.id.toString()} not found`);
    if (b.closed) ctx.node.cursors.kill(c.id);
    return { cursor: { nextBatch: b.events, postBatchResumeToken: b.postBatchResumeToken, id: b.closed ? Long.ZERO : c.id, ns: c.ns } };
  } catch (e) {
    ctx.node.cursors.kill(c.id);
    throw labelled(e);
  }
}

export function isChangeStreamCursor(c: ServerCursor): boolean {
  return c.live instanceof ChangeStreamCursor;
}
