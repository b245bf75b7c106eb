/**
 * The retry loop around one operation, combining the Retryable Reads / Retryable Writes
 * specs (one retry of a retryable error, or of a retryable writeConcernError in an ok
 * reply) with the Client Backpressure spec's overload retries (up to maxAdaptiveRetries
 * once an attempt failed with an overload error, with jittered exponential backoff).
 * Each attempt selects a server again, deprioritizing the failed mongos (and, with
 * enableOverloadRetargeting, any server that answered with an overload error). The
 * rules it applies are retryability.ts's and overload-retry.ts's.
 */
import { MongoServerError, MongoServerSelectionError } from '../errors.js';
import type { Server, Topology } from '../sdam/topology.js';
import { TopologyType } from '../sdam/topology-description.js';
import { SelectionOperation, type SelectionCriteria } from '../selection/select-servers.js';
import { sleep as timerSleep } from '../util/sleep.js';
import type { ExecuteOptions, ExecuteResult } from './executor.js';
import {
  DEFAULT_MAX_ADAPTIVE_RETRIES,
  decideRetry,
  overloadBackoffMS,
  overloadRetryAllowed,
  type CommandRetryKind,
  type OverloadRetryState,
} from './overload-retry.js';
import {
  errorToSurface,
  isRetryableReadError,
  isRetryableWriteError,
  labelRetryableWriteError,
  supportsRetryableWrites,
} from './retryability.js';
import { isExpired, monotonicNow, operationTimeoutError, stepLimit } from './timeout.js';

export interface RetryableOperation {
  readonly topology: Pick<Topology, 'selectServer' | 'description'>;
  readonly options: Pick<ExecuteOptions, 'retryable' | 'readPreference' | 'session' | 'moreToCome' | 'signal' | 'timeout' | 'csot'>;
  /** The client's serverSelectionTimeoutMS: with a deadline, selection waits min(this, remaining). */
  readonly serverSelectionTimeoutMS?: number | undefined;
  /** The deadline's clock (tests inject one). */
  readonly now?: () => number;
  /** The client's retryReads / retryWrites. */
  readonly retryReads: boolean;
  readonly retryWrites: boolean;
  /** Client Backpressure: retries allowed once an overload error was seen (default 2). */
  readonly maxAdaptiveRetries?: number | undefined;
  /** Client Backpressure: deprioritize a server that answered with an overload error. */
  readonly enableOverloadRetargeting?: boolean | undefined;
  /**
   * A command of a transaction: never a retryable read or write (the transaction's own
   * rules apply), only overload retries; the server comes from `select`.
   */
  readonly inTransaction?: boolean;
  /**
   * Selects the server of an attempt; defaults to the topology's selection by the options.
   * `timeoutMS`: how long it may wait (undefined: the topology's serverSelectionTimeoutMS).
   */
  readonly select?: (deprioritized: readonly string[], timeoutMS: number | undefined) => Promise<Server>;
  /** One attempt on `server`; `txnNumber` is the retryable write's (undefined otherwise). */
  attempt(server: Server, txnNumber: unknown): Promise<ExecuteResult>;
  /** Injected by tests: the backoff's timer and jitter. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export async function executeWithRetry(op: RetryableOperation): Promise<ExecuteResult> {
  const { topology, options } = op;
  const signal = { signal: options.signal };
  const isWrite = options.retryable === 'write';
  // Retryable reads / writes (never inside a transaction, never an unacknowledged write).
  let retry = !op.inTransaction && (isWrite ? op.retryWrites && !options.moreToCome : options.retryable === 'read' && op.retryReads);
  const kind: CommandRetryKind = options.retryable === 'read' ? 'read' : isWrite ? 'write' : 'other';
  const overloadAllowed = !options.moreToCome && overloadRetryAllowed(kind, op);
  const maxAdaptiveRetries = op.maxAdaptiveRetries ?? DEFAULT_MAX_ADAPTIVE_RETRIES;
  const criteria: SelectionCriteria = {
    readPreference: options.readPreference,
    operation: isWrite ? SelectionOperation.write : SelectionOperation.read,
  };
  const selectOn =
    op.select ??
    (async (deprioritized: readonly string[], timeoutMS: number | undefined) =>
      topology.selectServer({ ...criteria, deprioritized: [...deprioritized] }, timeoutMS === undefined ? signal : { ...signal, timeoutMS }));
  const now = op.now ?? monotonicNow;
  const timeout = options.timeout;
  // CSOT: selection waits min(serverSelectionTimeoutMS, remaining); when the deadline is the
  // binding limit, its expiry is the operation's timeout.
  const select = async (deprioritized: readonly string[]): Promise<Server> => {
    if (!timeout) return await selectOn(deprioritized, undefined);
    const limit = stepLimit(timeout, now(), op.serverSelectionTimeoutMS ?? 0, true);
    try {
      return await selectOn(deprioritized, limit.timeoutMS);
    } catch (e) {
      if (limit.byDeadline && e instanceof MongoServerSelectionError) throw operationTimeoutError(timeout, 'server selection', e);
      throw e;
    }
  };
  const pause = op.sleep ?? (async (ms: number) => timerSleep(ms, undefined, options.signal));
  const random = op.random ?? Math.random;

  const first = await select([]);
  let txnNumber: unknown;
  if (isWrite && retry) {
    if (options.session && supportsRetryableWrites(first.description)) {
      options.session.incrementTransactionNumber();
      txnNumber = options.session.txnNumber;
    } else {
      retry = false;
    }
  }
  let server = first;
  // Under CSOT a retryable operation retries as long as time remains (timeoutMS 0: without limit).
  let state: OverloadRetryState = { retries: 0, allowedRetries: retry ? (options.csot ? Number.POSITIVE_INFINITY : 1) : 0 };
  const deprioritized: string[] = [];
  let surfaced: unknown;
  for (;;) {
    // The wire version of the server as selected: a failed attempt may turn its live
    // description Unknown (maxWireVersion 0) before the error is labelled.
    const wireVersion = server.description.maxWireVersion;
    let error: unknown;
    /** An ok reply with a retryable writeConcernError: returned as it is when not retried. */
    let wceResult: ExecuteResult | undefined;
    try {
      const result = await op.attempt(server, txnNumber);
      // An ok reply whose writeConcernError is labelled retryable is retried like an error.
      const wceError = isWrite && retry && result.reply.writeConcernError !== undefined ? new MongoServerError(result.reply) : undefined;
      if (!wceError || !isRetryableWriteError(wceError)) return result;
      error = wceError;
      wceResult = result;
    } catch (e) {
      // A write's error gets the RetryableWriteError label the driver must add.
      if (isWrite && retry) labelRetryableWriteError(e, wireVersion);
      error = e;
    }
    // After a failed retry: the error to surface (the earlier one when this says no writes were performed).
    surfaced = state.retries === 0 ? error : errorToSurface(surfaced, error);
    const retryableByOtherPolicy = retry && (isWrite ? isRetryableWriteError(error) : isRetryableReadError(error));
    const decision = decideRetry(state, error, { retryableByOtherPolicy, overloadAllowed, maxAdaptiveRetries });
    if (!decision.retry) {
      if (wceResult) return wceResult;
      throw surfaced;
    }
    state = decision.next;
    if (timeout && isExpired(timeout, now())) throw operationTimeoutError(timeout, 'a retry', surfaced);
    // Avoid the failed mongos when others exist; with overload retargeting, any overloaded server.
    if (topology.description.type === TopologyType.Sharded || (decision.backoff && op.enableOverloadRetargeting)) {
      if (!deprioritized.includes(server.address)) deprioritized.push(server.address);
    }
    if (decision.backoff) await pause(overloadBackoffMS(state.retries, random()));
    try {
      server = await select(deprioritized);
    } catch {
      throw surfaced;
    }
    // A retryable write's retry needs a server that supports retryable writes (its txnNumber).
    if (txnNumber !== undefined && !supportsRetryableWrites(server.description)) throw surfaced;
  }
}
