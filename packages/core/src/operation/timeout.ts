/**
 * Client Side Operations Timeout (CSOT): the deadline of one operation. Pure: every
 * function takes the current time (`now`, milliseconds on a monotonic clock) and returns
 * a named result; the executor owns the clock and the timers.
 *
 * `timeoutMS` resolves operation > session (defaultTimeoutMS) > collection > database >
 * client; 0 means no timeout (and still switches the legacy options off); undefined means
 * CSOT is not in use (the legacy options apply).
 */
import { MongoInvalidArgumentError, MongoOperationTimeoutError } from '../errors.js';
export { monotonicNow } from '../util/clock.js';

/** A started operation deadline. */
export interface Timeout {
  /** The operation's timeoutMS (> 0). */
  readonly timeoutMS: number;
  /** When it expires, on the same clock as `now`. */
  readonly expiresAt: number;
}

/** Throws MongoInvalidArgumentError unless `timeoutMS` is undefined or a non-negative number. */
export function validateTimeoutMS(timeoutMS: unknown, name = 'timeoutMS'): number | undefined {
  if (timeoutMS === undefined || timeoutMS === null) return undefined;
  if (typeof timeoutMS !== 'number' || !Number.isFinite(timeoutMS) || timeoutMS < 0) {
    throw new MongoInvalidArgumentError(`${name} must be a non-negative number, got ${String(timeoutMS)}`);
  }
  return timeoutMS;
}

/** The first defined value, in precedence order (operation first). */
export function resolveTimeoutMS(...levels: ReadonlyArray<number | undefined>): number | undefined {
  for (const v of levels) if (v !== undefined) return v;
  return undefined;
}

/** The deadline of an operation starting at `now`; undefined for no timeout (undefined or 0). */
export function startTimeout(timeoutMS: number | undefined, now: number): Timeout | undefined {
  if (timeoutMS === undefined || timeoutMS === 0) return undefined;
  return Object.freeze({ timeoutMS, expiresAt: now + timeoutMS });
}

/** Milliseconds left (never negative). */
export function remainingMS(timeout: Timeout, now: number): number {
  return Math.max(0, timeout.expiresAt - now);
}

export function isExpired(timeout: Timeout, now: number): boolean {
  return now >= timeout.expiresAt;
}

/** A limit of a step (server selection, checkout, a reply) and whether the deadline is what bounds it. */
export interface StepLimit {
  /** Milliseconds; 0 = unbounded. */
  readonly timeoutMS: number;
  /** True when the operation's deadline is the binding limit (its expiry is an operation timeout). */
  readonly byDeadline: boolean;
}

/**
 * The limit of one step: the legacy limit (`legacyMS`, 0 = none) when there is no deadline,
 * else min(legacy, remaining) when the step keeps its own limit (server selection keeps
 * serverSelectionTimeoutMS), else the remaining time.
 */
export function stepLimit(timeout: Timeout | undefined, now: number, legacyMS: number, keepLegacy: boolean): StepLimit {
  if (!timeout) return { timeoutMS: legacyMS, byDeadline: false };
  const remaining = Math.max(1, remainingMS(timeout, now));
  if (keepLegacy && legacyMS > 0 && legacyMS < remaining) return { timeoutMS: legacyMS, byDeadline: false };
  return { timeoutMS: remaining, byDeadline: true };
}

export type MaxTimeMSResult =
  | { readonly kind: 'send'; readonly maxTimeMS: number }
  | { readonly kind: 'expired'; readonly remaining: number };

/**
 * The maxTimeMS to append to a command: the remaining time minus the server's
 * minRoundTripTime, rounded down; 'expired' when nothing would be left for the server
 * (the command must not be sent: the operation times out).
 */
export function commandMaxTimeMS(timeout: Timeout, now: number, minRoundTripTimeMS: number): MaxTimeMSResult {
  const remaining = remainingMS(timeout, now);
  const maxTimeMS = Math.floor(remaining - minRoundTripTimeMS);
  if (maxTimeMS <= 0) return { kind: 'expired', remaining };
  return { kind: 'send', maxTimeMS };
}

/** The error of an operation whose deadline expired; `cause` is the step's own error. */
export function operationTimeoutError(timeout: Timeout, step: string, cause?: unknown): MongoOperationTimeoutError {
  return new MongoOperationTimeoutError(`operation timed out after ${timeout.timeoutMS} ms (timeoutMS) during ${step}`, cause === undefined ? undefined : { cause });
}

/** What an operation hands the executor: its deadline, and whether CSOT is in use at all. */
export interface DeadlineOptions {
  readonly timeout?: Timeout;
  readonly csot?: boolean;
}

/** The executor options of a resolved timeoutMS (undefined: CSOT not in use; 0: in use, no deadline). */
export function deadlineOptions(timeoutMS: number | undefined, now: number): DeadlineOptions {
  if (timeoutMS === undefined) return {};
  const timeout = startTimeout(timeoutMS, now);
  return timeout ? { timeout, csot: true } : { csot: true };
}

/**
 * One deadline spread over the commands of a composite operation (a GridFS upload, download,
 * delete, rename or drop): each command is given the time that remains as its own
 * timeoutMS. `next()` is undefined without a timeoutMS (each command inherits its own), 0
 * for timeoutMS 0, else the remaining milliseconds; it throws MongoOperationTimeoutError
 * once the deadline has passed.
 */
export interface OperationBudget {
  next(step: string): number | undefined;
}

export function startBudget(timeoutMS: number | undefined, now: () => number): OperationBudget {
  const timeout = startTimeout(timeoutMS, now());
  return {
    next(step) {
      if (!timeout) return timeoutMS;
      const left = remainingMS(timeout, now());
      if (left <= 0) throw operationTimeoutError(timeout, step);
      return left;
    },
  };
}
