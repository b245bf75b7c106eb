/**
 * Pure rules of the Client Backpressure spec's overload retry policy: which errors are
 * overload errors, which are retryable overload errors, how many retries an operation
 * gets once it saw one (maxAdaptiveRetries), and the backoff before each retry.
 *
 * - An overload error carries the SystemOverloadedError label; a retryable overload error
 *   also carries RetryableError (a server under load sheds the command before running it,
 *   so any command may be sent again, reads, writes, getMore and runCommand alike).
 * - Once an attempt failed with an overload error, the operation's retry budget becomes
 *   maxAdaptiveRetries (default 2), whatever the retryable reads/writes budget was (1).
 * - Before a retry after an overload error: backoff = jitter * min(MAX_BACKOFF_MS,
 *   BASE_BACKOFF_MS * 2^(retry - 1)), jitter uniform in [0, 1); retries after other errors
 *   are immediate.
 * - A command may be retried on overload only when the client allows its kind: a read
 *   with retryReads, a write with retryWrites, any other command (runCommand, getMore,
 *   updateMany, ...) with both.
 */
import { MongoError, MongoErrorLabel } from '../errors.js';

export const DEFAULT_MAX_ADAPTIVE_RETRIES = 2;
export const BASE_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 10_000;

export function isOverloadError(error: unknown): boolean {
  return error instanceof MongoError && error.hasErrorLabel(MongoErrorLabel.SystemOverloadedError);
}

export function isRetryableOverloadError(error: unknown): boolean {
  return isOverloadError(error) && (error as MongoError).hasErrorLabel(MongoErrorLabel.RetryableError);
}

/** The backoff before retry number `retry` (1 for the first retry) after an overload error. */
export function overloadBackoffMS(retry: number, jitter: number): number {
  return jitter * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (retry - 1));
}

/** The command's kind as the retry policies see it. */
export type CommandRetryKind = 'read' | 'write' | 'other';

/** Whether the client's retryReads / retryWrites allow overload retries of a command of `kind`. */
export function overloadRetryAllowed(kind: CommandRetryKind, flags: { readonly retryReads: boolean; readonly retryWrites: boolean }): boolean {
  switch (kind) {
    case 'read':
      return flags.retryReads;
    case 'write':
      return flags.retryWrites;
    case 'other':
      return flags.retryReads && flags.retryWrites;
    default: {
      const never: never = kind;
      return never;
    }
  }
}

export interface OverloadRetryState {
  /** Retries done so far (of any policy). */
  readonly retries: number;
  /** Retries allowed so far: 1 (or 0) under retryable reads/writes, maxAdaptiveRetries once an overload error was seen. */
  readonly allowedRetries: number;
}

export interface RetryDecision {
  readonly retry: boolean;
  /** The state for the next attempt. */
  readonly next: OverloadRetryState;
  /** Back off before the retry (the error was an overload error). */
  readonly backoff: boolean;
}

/**
 * After a failed attempt: retry or not. `retryableByOtherPolicy` says whether retryable
 * reads/writes would retry `error`; `overloadAllowed` whether the overload policy may
 * retry this command at all (overloadRetryAllowed).
 */
export function decideRetry(
  state: OverloadRetryState,
  error: unknown,
  input: { readonly retryableByOtherPolicy: boolean; readonly overloadAllowed: boolean; readonly maxAdaptiveRetries: number },
): RetryDecision {
  const overload = isOverloadError(error);
  const retryable = input.retryableByOtherPolicy || (input.overloadAllowed && isRetryableOverloadError(error));
  const next: OverloadRetryState = {
    retries: state.retries + 1,
    allowedRetries: overload ? input.maxAdaptiveRetries : state.allowedRetries,
  };
  if (!retryable || next.retries > next.allowedRetries) return { retry: false, next: state, backoff: false };
  return { retry: true, next, backoff: overload };
}
