/**
 * Bulk writes of many statements (insertMany, bulkWrite): the batches' results merged into
 * one BulkWriteResult, write errors into a MongoBulkWriteError. Loaded on first use
 * (cold/index.ts); single-statement writes (insertOne, updateOne...) run in bulk.ts.
 */
import {
  MongoBulkWriteError,
  MongoError,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerError,
  type Document,
} from '../errors.js';
import { isUnacknowledged } from './concerns.js';
import { operationDeadline, withSession } from './operation.js';
import { BulkWriteResult, WriteConcernError, WriteError, emptyBulkState, type BulkResultState } from './results.js';
import { ignoresUndefined, makeBatches, sendBatch, writeCounts, type Batch, type BulkTarget, type BulkWriteOptions, type Statement } from './bulk.js';

function mergeBatch(state: BulkResultState, batch: Batch, reply: Document, ordered: boolean): void {
  const { n, nModified, upserted } = writeCounts(reply);
  const errors = Array.isArray(reply.writeErrors) ? (reply.writeErrors as Document[]) : [];
  const errorPositions = new Set(errors.map((e) => e.index as number));
  const firstError = errors.length > 0 ? Math.min(...errorPositions) : Infinity;
  /** The caller's index of the batch's `i`-th statement. */
  const callerIndex = (i: number): number => batch.statements[i]?.index ?? i;
  switch (batch.type) {
    case 'insert':
      state.nInserted += n;
      batch.statements.forEach((st, i) => {
        if (errorPositions.has(i) || (ordered && i > firstError)) return;
        state.insertedIds.push({ index: st.index, _id: st.doc._id });
      });
      break;
    case 'update':
      state.nUpserted += upserted.length;
      state.nMatched += n - upserted.length;
      state.nModified += nModified;
      for (const u of upserted) state.upserted.push({ index: callerIndex(u.index as number), _id: u._id });
      break;
    case 'delete':
      state.nRemoved += n;
      break;
    default: {
      const never: never = batch.type;
      throw new MongoInvalidArgumentError(`unknown batch type ${String(never)}`);
    }
  }
  for (const e of errors) {
    const i = e.index as number;
    state.writeErrors.push(new WriteError({ ...e, index: callerIndex(i), code: e.code as number, op: batch.statements[i]?.doc }));
  }
  if (reply.writeConcernError) state.writeConcernErrors.push(new WriteConcernError(reply.writeConcernError as Document));
}

export function bulkWriteError(state: BulkResultState, reply?: Document): MongoBulkWriteError {
  const result = new BulkWriteResult(state);
  const first = state.writeErrors[0];
  const wce = result.getWriteConcernError();
  const response: Document = {
    errmsg: first?.errmsg ?? wce?.errmsg ?? 'write concern error',
    code: first?.code ?? wce?.code ?? 0,
    errorLabels: reply?.errorLabels,
    // the counts and id maps, as the official driver's error carries them
    ...result,
  };
  if (wce) response.writeConcernError = wce.serverError;
  return new MongoBulkWriteError(response, state.writeErrors as unknown as Document[], result);
}

/**
 * The error of a bulk write interrupted by a batch that failed as a whole (a network
 * error after the retry, a command error): a MongoBulkWriteError whose `result` is what
 * the earlier batches applied (CRUD spec, BulkWriteException.writeResult: "the
 * intermediary write result for any operations that succeeded before the bulk write was
 * interrupted"), with the failure's message, code and labels, and the failure as its
 * `cause`; as the official driver. An error raised before anything was sent (server
 * selection, a driver check) while no batch has run is returned unchanged.
 */
export function interruptedBulkError(state: BulkResultState, error: unknown, batchesApplied: number): unknown {
  if (!(error instanceof MongoError) || error instanceof MongoOperationTimeoutError) return error;
  const reachedServer = error instanceof MongoNetworkError || error instanceof MongoServerError;
  if (!reachedServer && batchesApplied === 0) return error;
  const result = new BulkWriteResult(state);
  const response: Document = {
    ...(error instanceof MongoServerError ? error.errorResponse : {}),
    errmsg: error.message,
    code: error.code,
    errorLabels: error.errorLabels,
    ...result,
  };
  return new MongoBulkWriteError(response, state.writeErrors as unknown as Document[], result, { cause: error });
}

export interface BulkOutcome {
  acknowledged: boolean;
  result: BulkWriteResult;
}

/** Run the statements; throws MongoBulkWriteError on write or write-concern errors. */
export async function executeBulk(target: BulkTarget, statements: Statement[], options: BulkWriteOptions = {}): Promise<BulkOutcome> {
  const ordered = options.ordered ?? true;
  // In a transaction the statements are acknowledged by its commit (no per-statement write concern).
  const unacknowledged = isUnacknowledged(options.writeConcern ?? target.writeConcern) && !options.session?.inTransaction();
  if (statements.length === 0) throw new MongoInvalidArgumentError('Invalid BulkOperation, Batch cannot be empty');
  const executor = await target.ctx.getExecutor();
  const batches = makeBatches(statements, ordered, executor.limits(), ignoresUndefined(target));
  const state = emptyBulkState();
  let lastReply: Document | undefined;
  await withSession(
    target.ctx,
    options.session,
    async (session) => {
      // CSOT: one deadline for the whole write, however many batches it takes.
      const deadline = operationDeadline(target.ctx, options.timeoutMS, session);
      let sent = 0;
      for (const batch of batches) {
        let reply: Document | undefined;
        try {
          reply = await sendBatch(target, batch, ordered, options, session, unacknowledged, deadline);
        } catch (error) {
          throw unacknowledged ? error : interruptedBulkError(state, error, sent);
        }
        sent++;
        if (unacknowledged || reply === undefined) continue;
        lastReply = reply;
        mergeBatch(state, batch, reply, ordered);
        if (ordered && state.writeErrors.length > 0) break;
      }
    },
    unacknowledged,
  );
  if (unacknowledged) {
    for (const st of statements) if (st.type === 'insert') state.insertedIds.push({ index: st.index, _id: st.doc._id });
  } else if (state.writeErrors.length > 0 || state.writeConcernErrors.length > 0) {
    throw bulkWriteError(state, lastReply);
  }
  return { acknowledged: !unacknowledged, result: new BulkWriteResult(state) };
}

