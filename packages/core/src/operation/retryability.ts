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
  RETRYABLE_READ_CODES,
  RETRYABLE_WRITE_CODES,
  type Document,
} from '../errors.js';
import { ServerType, type ServerDescription } from '../sdam/server-description.js';

/** Retryable writes need sessions and a replica set member or mongos (not standalone). */
export function supportsRetryableWrites(sd: ServerDescription): boolean {
  return (
    sd.logicalSessionTimeoutMinutes !== null &&
    sd.type !== ServerType.Standalone &&
    sd.type !== ServerType.Unknown
  );
}

export function isRetryableReadError(error: unknown): boolean {
  if (error instanceof MongoNetworkError) return true;
  if (error instanceof MongoServerError) {
    if (RETRYABLE_READ_CODES.has(error.code)) return true;
    return !error.code && /not master|node is recovering|not primary/i.test(error.message);
  }
  return false;
}

/**
 * Adds the RetryableWriteError label where the driver must (network errors; server
 * errors with a retryable code from servers < 4.4 that do not label themselves).
 */
export function labelRetryableWriteError(error: unknown, maxWireVersion: number): void {
  if (error instanceof MongoNetworkError) {
    error.addErrorLabel(MongoErrorLabel.RetryableWriteError);
    return;
  }
  if (error instanceof MongoServerError && maxWireVersion < 9) {
    const wceCode = (error.errorResponse.writeConcernError as Document | undefined)?.code;
    if (RETRYABLE_WRITE_CODES.has(error.code) || (typeof wceCode === 'number' && RETRYABLE_WRITE_CODES.has(wceCode))) {
      error.addErrorLabel(MongoErrorLabel.RetryableWriteError);
    }
  }
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
