/**
 * Pure rules of the Retryable Reads and Retryable Writes specs: which errors are
 * retryable, which servers support retryable writes, and which error to surface
 * when both attempts failed.
 */
import {
  MongoError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoServerError,
  isRetryableReadError as isRetryableNetworkOrCodeError,
  RETRYABLE_WRITE_CODES,
  type Document,
} from '../errors.js';
import { ServerType, type ServerDescription } from '../sdam/server-description.js';

/**
 * Retryable writes need sessions and a replica set member or mongos (not standalone); a
 * load balancer is assumed to support them (Load Balancer spec: its description carries
 * no logicalSessionTimeoutMinutes).
 */
export function supportsRetryableWrites(sd: ServerDescription): boolean {
  if (sd.type === ServerType.LoadBalancer) return true;
  return (
    sd.logicalSessionTimeoutMinutes !== null &&
    sd.type !== ServerType.Standalone &&
    sd.type !== ServerType.Unknown
  );
}

export function isRetryableReadError(error: unknown): boolean {
  // errors.ts's rule (network errors, retryable codes, legacy messages), plus "not primary" without a code.
  return isRetryableNetworkOrCodeError(error) || (error instanceof MongoServerError && !error.code && /not primary/i.test(error.message));
}

/**
 * Adds the RetryableWriteError label where the driver must (network errors; server
 * errors with a retryable code from servers < 4.4 that do not label themselves).
 */
export function labelRetryableWriteError(error: unknown, maxWireVersion: number): void {
  // Servers before 4.4 (wire version 9) do not label their own retryable errors: look at the
  // error's code and its writeConcernError's.
  const retryableServerError =
    error instanceof MongoServerError &&
    maxWireVersion < 9 &&
    [error.code, (error.errorResponse.writeConcernError as Document | undefined)?.code].some((code) =>
      RETRYABLE_WRITE_CODES.has(code as number),
    );
  if (error instanceof MongoNetworkError || retryableServerError) error.addErrorLabel(MongoErrorLabel.RetryableWriteError);
}

export function isRetryableWriteError(error: unknown): boolean {
  return error instanceof MongoError && error.hasErrorLabel(MongoErrorLabel.RetryableWriteError);
}

/**
 * After a failed retry: the spec says to surface the first error when the second
 * one says no writes were performed (NoWritesPerformed) or came before any I/O.
 */
export function errorToSurface(first: unknown, second: unknown): unknown {
  if (second instanceof MongoError && second.hasErrorLabel(MongoErrorLabel.NoWritesPerformed)) return first;
  return second;
}
