/**
 * The Change Streams spec's "Resumable Error", as a pure function of the error and the
 * wire version of the connection that ran the failing command (read when the reply
 * arrived, never afterwards). Only getMore errors are candidates: an error of the
 * aggregate is never resumed (the caller checks that).
 */
import {
  MongoErrorLabel,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
} from '../errors.js';

/** CursorNotFound: resumable on every server version. */
export const CURSOR_NOT_FOUND = 43;

/** The wire version from which servers label resumable errors (4.4). */
export const RESUMABLE_LABEL_WIRE_VERSION = 9;

/** The spec's codes for servers older than 4.4 (wire version < 9). */
export const RESUMABLE_CHANGE_STREAM_CODES: ReadonlySet<number> = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  63, // StaleShardVersion
  150, // StaleEpoch
  13388, // StaleConfig
  234, // RetryChangeStream
  133, // FailedToSatisfyReadPreference
]);

/**
 * Whether a change stream resumes after `error` (of a getMore). `maxWireVersion`: of the
 * server that answered; undefined when unknown, which is read as a current server (the
 * label decides).
 */
export function isResumableChangeStreamError(error: unknown, maxWireVersion: number | undefined): boolean {
  if (error instanceof MongoServerError) {
    if (error.code === CURSOR_NOT_FOUND) return true;
    if (maxWireVersion === undefined || maxWireVersion >= RESUMABLE_LABEL_WIRE_VERSION) {
      return error.hasErrorLabel(MongoErrorLabel.ResumableChangeStreamError);
    }
    return typeof error.code === 'number' && RESUMABLE_CHANGE_STREAM_CODES.has(error.code);
  }
  // Not a server error: a network error or timeout (the pool's "cleared" is one), or no
  // server to send the getMore to. Driver errors of other kinds (misuse, bad replies) are not.
  return error instanceof MongoNetworkError || error instanceof MongoServerSelectionError;
}
