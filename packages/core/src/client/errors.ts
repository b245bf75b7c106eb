/**
 * Client-layer errors named as in the official driver that errors.ts does not
 * have (yet). They extend the shared hierarchy so `instanceof MongoAPIError` holds.
 */
import { DriverErrorCode, MongoAPIError, MongoRuntimeError, type MongoErrorOptions } from '../errors.js';

/** A cursor option was changed after the cursor sent its first command. */
export class MongoCursorInUseError extends MongoAPIError {
  constructor(message = 'Cursor is already initialized', options?: MongoErrorOptions) {
    super(message, DriverErrorCode.InvalidArgument, options);
  }
  override get name(): string {
    return 'MongoCursorInUseError';
  }
}

/** A session was used after `endSession()` (or belongs to a closed client). */
export class MongoExpiredSessionError extends MongoAPIError {
  constructor(message = 'Cannot use a session that has ended', options?: MongoErrorOptions) {
    super(message, DriverErrorCode.InvalidArgument, options);
  }
  override get name(): string {
    return 'MongoExpiredSessionError';
  }
}

/** The client was closed while an operation was waiting. */
export class MongoClientClosedError extends MongoAPIError {
  constructor(message = 'Operation interrupted because client was closed', options?: MongoErrorOptions) {
    super(message, DriverErrorCode.ClientClosed, options);
  }
  override get name(): string {
    return 'MongoClientClosedError';
  }
}

/** A server reply lacked something the operation needs (e.g. no `cursor` field). */
export class MongoUnexpectedServerResponseError extends MongoRuntimeError {
  constructor(message: string, options?: MongoErrorOptions) {
    super(message, DriverErrorCode.Protocol, options);
  }
  override get name(): string {
    return 'MongoUnexpectedServerResponseError';
  }
}
