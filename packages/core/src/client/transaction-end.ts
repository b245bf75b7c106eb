/**
 * Ending transactions (Transactions and Convenient Transaction API specs), behind
 * ClientSession's commitTransaction / abortTransaction / withTransaction: the commit and
 * abort commands with their one retry, labels, unpinning, and withTransaction's retry loop.
 * Loaded on first use (cold/index.ts). The decisions are transaction.ts's.
 */
import {
  MongoError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoTransactionError,
  MongoWriteConcernError,
  type Document,
} from '../errors.js';
import type { ExecuteOptions } from '../operation/executor.js';
import { labelRetryableWriteError } from '../operation/retryability.js';
import { ReadPreference } from '../selection/read-preference.js';
import { monotonicNow } from '../util/clock.js';
import { deadlineOptions, operationTimeoutError, resolveTimeoutMS, validateTimeoutMS, type DeadlineOptions, type Timeout } from '../operation/timeout.js';
import { sleep } from '../util/sleep.js';
import { throwIfWriteConcernError, writeConcernDocument } from './concerns.js';
import type { ClientSession } from './sessions.js';
import { TxnState, type Transaction } from './transaction.js';
import { afterAbort, afterCommit, commitErrorOutcome, isMaxTimeMSExpiredError, onAbortTransaction, onCommitTransaction } from './transaction-end-state.js';

import { startTransaction, statementOf, type TransactionOptions, type TransactionOwner } from './transaction-commands.js';

/** The spec's `wtimeout` for a retried commit, when the write concern has none. */
const RETRY_COMMIT_WTIMEOUT_MS = 10_000;

/** Send commitTransaction / abortTransaction once, to the pinned mongos if any. */
async function sendEnd(session: ClientSession, owner: TransactionOwner, command: Document, deadline: DeadlineOptions): Promise<void> {
  const executor = await owner.getExecutor();
  const options: ExecuteOptions = {
    ...deadline,
    session,
    readPreference: ReadPreference.primary,
    retryable: 'write',
    transaction: statementOf(session, session.transaction, 'end'),
  };
  try {
    const { reply } = await executor.execute('admin', command, options);
    session.observeReply(reply);
    throwIfWriteConcernError(reply);
  } catch (error) {
    if (error instanceof MongoServerError && !(error instanceof MongoWriteConcernError)) session.observeReply(error.errorResponse);
    if (error instanceof MongoNetworkError) session.markDirty();
    // commitTransaction and abortTransaction are retryable writes: network errors are
    // retryable (servers 4.4+ label their own retryable errors).
    labelRetryableWriteError(error, Number.MAX_SAFE_INTEGER);
    throw error;
  }
}

function commitCommand(session: ClientSession, majority: boolean): Document {
  const txn = session.transaction;
  const command: Document = { commitTransaction: 1 };
  let wc = writeConcernDocument(txn.options?.writeConcern);
  if (majority) wc = { ...wc, w: 'majority', wtimeout: wc?.wtimeout ?? RETRY_COMMIT_WTIMEOUT_MS };
  if (wc) command.writeConcern = wc;
  if (txn.options?.maxCommitTimeMS !== undefined) command.maxTimeMS = txn.options.maxCommitTimeMS;
  if (txn.recoveryToken) command.recoveryToken = txn.recoveryToken;
  return command;
}

/**
 * CSOT for commitTransaction / abortTransaction: inside withTransaction its deadline, else
 * the call's timeoutMS, the session's defaultTimeoutMS or the client's, started now.
 */
function endDeadline(session: ClientSession, owner: TransactionOwner, timeoutMS: number | undefined): DeadlineOptions {
  if (session.withTransactionDeadline && timeoutMS === undefined) return session.withTransactionDeadline;
  return deadlineOptions(resolveTimeoutMS(validateTimeoutMS(timeoutMS), session.defaultTimeoutMS, owner.resolvedOptions.timeoutMS), monotonicNow());
}

export async function commitTransaction(session: ClientSession, owner: TransactionOwner, timeoutMS?: number): Promise<void> {
  const txn = session.transaction;
  const action = onCommitTransaction(txn.snapshot);
  if (action.kind === 'refused') throw new MongoTransactionError(action.message);
  if (action.kind === 'empty') {
    txn.apply(action.next);
    return;
  }
  let error: unknown;
  const deadline = endDeadline(session, owner, timeoutMS);
  try {
    await sendEnd(session, owner, commitCommand(session, action.retry), deadline);
    txn.apply(afterCommit(txn.snapshot, { failed: false, unpin: false }));
    return;
  } catch (first) {
    error = first;
  }
  if (commitErrorOutcome(error).retryable) {
    // Once, on any mongos (the recoveryToken finds the transaction), with w: majority.
    txn.unpin();
    try {
      await sendEnd(session, owner, commitCommand(session, true), deadline);
      txn.apply(afterCommit(txn.snapshot, { failed: false, unpin: false }));
      return;
    } catch (second) {
      error = second;
    }
  }
  const outcome = commitErrorOutcome(error);
  if (outcome.unknownCommitResult) (error as MongoError).addErrorLabel(MongoErrorLabel.UnknownTransactionCommitResult);
  txn.apply(afterCommit(txn.snapshot, { failed: true, unpin: outcome.unpin }));
  throw error;
}

export async function abortTransaction(session: ClientSession, owner: TransactionOwner, timeoutMS?: number): Promise<void> {
  const txn = session.transaction;
  const action = onAbortTransaction(txn.snapshot);
  if (action.kind === 'refused') throw new MongoTransactionError(action.message);
  if (action.kind === 'empty') {
    txn.apply(action.next);
    return;
  }
  const command: Document = { abortTransaction: 1 };
  const wc = writeConcernDocument(txn.options?.writeConcern);
  if (wc) command.writeConcern = wc;
  if (txn.recoveryToken) command.recoveryToken = txn.recoveryToken;
  const deadline = endDeadline(session, owner, timeoutMS);
  try {
    await sendEnd(session, owner, command, deadline);
  } catch (first) {
    // Best effort: unpinned before the one retry; every error is ignored.
    txn.unpin();
    if (first instanceof MongoError && first.hasErrorLabel(MongoErrorLabel.RetryableWriteError)) {
      await sendEnd(session, owner, command, deadline).catch(() => undefined);
    }
  } finally {
    txn.apply(afterAbort(txn.snapshot));
  }
}

// ------------------------------------------------------------------ withTransaction

/** The Convenient Transaction API's limit on retries. */
export const WITH_TRANSACTION_TIMEOUT_MS = 120_000;
const BACKOFF_INITIAL_MS = 5;
const BACKOFF_MAX_MS = 500;
const BACKOFF_GROWTH = 1.5;

/** Time and randomness of the retry loop (injected by tests). */
export interface WithTransactionClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

const systemClock: WithTransactionClock = { now: monotonicNow, sleep: (ms) => sleep(ms), random: Math.random };

/**
 * The Convenient Transaction API: start, run `fn`, commit; retry the whole transaction
 * on TransientTransactionError and the commit on UnknownTransactionCommitResult (not
 * after MaxTimeMSExpired), with jittered backoff, until 120 s have passed. Resolves to
 * what `fn` resolved to.
 */
export async function withTransaction<T>(
  session: ClientSession,
  owner: TransactionOwner,
  fn: (session: ClientSession) => Promise<T>,
  options?: TransactionOptions,
  clock: WithTransactionClock = systemClock,
): Promise<T> {
  // CSOT: with a timeoutMS the whole call has one deadline (shared by the callback's
  // operations and the commit) instead of the 120 s retry limit.
  const timeoutMS = resolveTimeoutMS(validateTimeoutMS(options?.timeoutMS), session.defaultTimeoutMS, owner.resolvedOptions.timeoutMS);
  const shared = deadlineOptions(timeoutMS, clock.now());
  const { timeoutMS: _own, ...transactionOptions } = options ?? {};
  const deadline = shared.timeout ? shared.timeout.expiresAt : clock.now() + WITH_TRANSACTION_TIMEOUT_MS;
  const previous = session.withTransactionDeadline;
  session.withTransactionDeadline = shared.csot ? shared : undefined;
  try {
    return await runWithTransaction(session, owner, fn, options === undefined ? undefined : transactionOptions, clock, deadline, timeoutMS);
  } catch (error) {
    if (shared.timeout && !(error instanceof MongoOperationTimeoutError) && (error instanceof RetryTimeExhausted || clock.now() >= deadline)) {
      throw withTransactionTimeoutError(shared.timeout, error instanceof RetryTimeExhausted ? error.lastError : error);
    }
    throw error instanceof RetryTimeExhausted ? error.lastError : error;
  } finally {
    session.withTransactionDeadline = previous;
  }
}

/** The retry loop stopped because no time is left for another attempt (the spec's Note 1); `lastError` is the attempt's. */
class RetryTimeExhausted {
  constructor(readonly lastError: unknown) {}
}

/**
 * withTransaction's timeout (CSOT): a MongoOperationTimeoutError whose cause is the last
 * error that made it retry, with that error's labels (TransientTransactionError, ...).
 */
function withTransactionTimeoutError(timeout: Timeout, lastError: unknown): MongoOperationTimeoutError {
  const error = operationTimeoutError(timeout, 'withTransaction', lastError);
  if (lastError instanceof MongoError) for (const label of lastError.errorLabels) error.addErrorLabel(label);
  return error;
}

async function runWithTransaction<T>(
  session: ClientSession,
  owner: TransactionOwner,
  fn: (session: ClientSession) => Promise<T>,
  options: TransactionOptions | undefined,
  clock: WithTransactionClock,
  deadline: number,
  timeoutMS: number | undefined,
): Promise<T> {
  let lastError: unknown;
  retryTransaction: for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      const backoffMS = clock.random() * Math.min(BACKOFF_INITIAL_MS * BACKOFF_GROWTH ** (attempt - 1), BACKOFF_MAX_MS);
      if (clock.now() + backoffMS >= deadline) throw new RetryTimeExhausted(lastError);
      await clock.sleep(backoffMS);
    }
    startTransaction(session, owner, options);
    let result: T;
    try {
      result = await fn(session);
    } catch (error) {
      lastError = error;
      // The abort gets a deadline of its own (the callback may have spent the shared one).
      if (session.transaction.isActive) {
        const shared = session.withTransactionDeadline;
        session.withTransactionDeadline = undefined;
        try {
          await abortTransaction(session, owner, timeoutMS);
        } finally {
          session.withTransactionDeadline = shared;
        }
      }
      if (error instanceof MongoError && error.hasErrorLabel(MongoErrorLabel.TransientTransactionError) && clock.now() < deadline) {
        continue retryTransaction;
      }
      throw error;
    }
    const state = session.transaction.state;
    if (state === TxnState.NO_TRANSACTION || state === TxnState.TRANSACTION_COMMITTED || state === TxnState.TRANSACTION_ABORTED) return result;
    // CSOT: the callback used up the deadline: abort (with a deadline of its own), then time out.
    const shared = session.withTransactionDeadline?.timeout;
    if (shared && clock.now() >= deadline) {
      session.withTransactionDeadline = undefined;
      await abortTransaction(session, owner, timeoutMS).catch(() => undefined);
      throw operationTimeoutError(shared, 'withTransaction, before its commit', lastError);
    }
    for (;;) {
      try {
        await commitTransaction(session, owner);
        return result;
      } catch (error) {
        lastError = error;
        if (!(error instanceof MongoError) || clock.now() >= deadline) throw error;
        if (error.hasErrorLabel(MongoErrorLabel.UnknownTransactionCommitResult) && !isMaxTimeMSExpiredError(error)) continue;
        if (error.hasErrorLabel(MongoErrorLabel.TransientTransactionError)) continue retryTransaction;
        throw error;
      }
    }
  }
}
