/** Server error codes as mongod names them (src/mongo/base/error_codes.yml). */
import type { Doc } from './storage/values.js';

export const ErrorCode = Object.freeze({
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  HostUnreachable: 6,
  HostNotFound: 7,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  CommandNotFound: 59,
  WriteConcernFailed: 64,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  IndexAlreadyExists: 68,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  NodeNotFound: 74,
  NoReplicationEnabled: 76,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NetworkTimeout: 89,
  ShutdownInProgress: 91,
  NotYetInitialized: 94,
  OperationFailed: 96,
  UnsatisfiableWriteConcern: 100,
  WriteConflict: 112,
  CommandNotSupported: 115,
  NotSecondary: 135,
  InvalidReplicaSetConfig: 93,
  AlreadyInitialized: 23,
  InconsistentReplicaSetNames: 185,
  TransactionTooOld: 225,
  UnknownReplWriteConcern: 79,
  PrimarySteppedDown: 189,
  NoSuchTransaction: 251,
  ExceededTimeLimit: 262,
  UnsupportedOpQueryCommand: 352,
  DocumentValidationFailure: 121,
  APIVersionError: 322,
  APIStrictError: 323,
  APIDeprecationError: 363,
  InvalidViewDefinition: 182,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  CannotConvertIndexToUnique: 359,
  InvalidUUID: 341,
  SocketException: 9001,
  NotWritablePrimary: 10107,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  InterruptedAtShutdown: 11600,
  Interrupted: 11601,
  InterruptedDueToReplStateChange: 11602,
  NotPrimaryNoSecondaryOk: 13435,
  NotPrimaryOrSecondary: 13436,
  StaleConfig: 13388,
  NoMatchingDocument: 47,
  InvalidResumeToken: 260,
  SnapshotTooOld: 239,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  JSInterpreterFailure: 139,
  ExceededMemoryLimit: 146,
  CursorKilled: 237,
} as const);
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** mongod's codeName for a code; unknown codes are `Location<code>` as mongod prints them. */
export function codeName(code: number): string {
  return NAMES.get(code) ?? `Location${code}`;
}

/** A command failure: becomes `{ ok: 0, errmsg, code, codeName, ...extra }`. */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly extra: Doc = {},
    readonly errorLabels?: string[],
  ) {
    super(message);
    this.name = 'CommandError';
  }

  toReply(): Doc {
    const reply: Doc = { ok: 0, errmsg: this.message, code: this.code, codeName: codeName(this.code), ...this.extra };
    if (this.errorLabels?.length) reply.errorLabels = this.errorLabels;
    return reply;
  }
}

/** One failed write inside a batch: `{ index, code, errmsg, ...extra }`. */
export class WriteError extends CommandError {
  override name = 'WriteError';
}

export function errorReply(e: unknown): Doc {
  if (e instanceof CommandError) return e.toReply();
  const msg = e instanceof Error ? e.message : String(e);
  return { ok: 0, errmsg: msg, code: ErrorCode.InternalError, codeName: 'InternalError' };
}
