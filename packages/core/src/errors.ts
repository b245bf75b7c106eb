/**
 * One error hierarchy for the whole driver, named as in the official `mongodb`
 * package so application code ports by changing the import.
 *
 *   MongoError (root: name, cause, error labels)
 *   ├─ MongoDriverError          (driver-side, stable string `code`)
 *   │  ├─ MongoAPIError → MongoInvalidArgumentError, MongoMissingCredentialsError, ...
 *   │  ├─ MongoParseError        (connection strings, options)
 *   │  ├─ MongoRuntimeError → MongoProtocolError (bad bytes from a peer)
 *   │  ├─ MongoTopologyClosedError, MongoCursorExhaustedError, MongoCompatibilityError
 *   │  └─ MongoAuthError
 *   ├─ MongoServerError          (a server reply with ok: 0; numeric `code`, `codeName`)
 *   │  ├─ MongoWriteConcernError
 *   │  └─ MongoBulkWriteError
 *   ├─ MongoNetworkError → MongoNetworkTimeoutError
 *   └─ MongoSystemError → MongoServerSelectionError (carries the topology snapshot)
 */

import { keyMirror } from './util/key-mirror.js';

/** A BSON document, typed loosely as the official driver's (`any` values). */
export interface Document {
  [key: string]: any;
}

/** Error labels the specs define. */
export const MongoErrorLabel = keyMirror(
  'RetryableWriteError',
  'TransientTransactionError',
  'UnknownTransactionCommitResult',
  'ResumableChangeStreamError',
  'HandshakeError',
  'ResetPool',
  'PoolRequestedRetry',
  'InterruptInUseConnections',
  'NoWritesPerformed',
  'SystemOverloadedError',
  'RetryableError',
);
export type MongoErrorLabel = (typeof MongoErrorLabel)[keyof typeof MongoErrorLabel];

/** Stable string codes for errors that do not come from a server. */
export const DriverErrorCode = Object.freeze({
  InvalidArgument: 'INVALID_ARGUMENT',
  Parse: 'PARSE',
  MissingCredentials: 'MISSING_CREDENTIALS',
  Runtime: 'RUNTIME',
  Protocol: 'PROTOCOL',
  MessageTooLarge: 'MESSAGE_TOO_LARGE',
  InvalidBSON: 'INVALID_BSON',
  TopologyClosed: 'TOPOLOGY_CLOSED',
  OperationTimeout: 'OPERATION_TIMEOUT',
  ClientClosed: 'CLIENT_CLOSED',
  CursorExhausted: 'CURSOR_EXHAUSTED',
  Compatibility: 'COMPATIBILITY',
  Auth: 'AUTH',
  Unsupported: 'UNSUPPORTED',
  Transaction: 'TRANSACTION',
  PoolClosed: 'POOL_CLOSED',
  WaitQueueTimeout: 'WAIT_QUEUE_TIMEOUT',
  Bridge: 'BRIDGE',
} as const);
export type DriverErrorCode = (typeof DriverErrorCode)[keyof typeof DriverErrorCode];

export interface MongoErrorOptions {
  cause?: unknown;
  labels?: Iterable<string>;
}

export class MongoError extends Error {
  /** For server errors the numeric code; for driver errors a stable string code. */
  code?: number | string | undefined;
  protected readonly errorLabelSet: Set<string>;

  constructor(message: string, options: MongoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorLabelSet = new Set(options.labels ?? []);
  }

  override get name(): string {
    return 'MongoError';
  }

  get errorLabels(): string[] {
    return [...this.errorLabelSet];
  }

  /** The message (the official driver's legacy name for it, which older code still reads). */
  get errmsg(): string {
    return this.message;
  }

  hasErrorLabel(label: string): boolean {
    return this.errorLabelSet.has(label);
  }

  addErrorLabel(label: string): void {
    this.errorLabelSet.add(label);
  }
}

// ---------------------------------------------------------------- driver errors

export class MongoDriverError extends MongoError {
  /** A stable string code for internal classification; undefined for the MongoAPIError family (as the official driver). */
  declare code: DriverErrorCode | undefined;
  constructor(message: string, code: DriverErrorCode = DriverErrorCode.Runtime, options?: MongoErrorOptions) {
    super(message, options);
    this.code = code;
  }
  override get name(): string {
    return 'MongoDriverError';
  }
}

/** Misuse of the API (bad arguments, closed client...). Like the official driver's, these carry no `code`. */
export class MongoAPIError extends MongoDriverError {
  constructor(message: string, code?: DriverErrorCode, options?: MongoErrorOptions) {
    super(message, code, options);
    delete (this as { code?: unknown }).code;
  }
  override get name(): string {
    return 'MongoAPIError';
  }
}

export class MongoInvalidArgumentError extends MongoAPIError {
  constructor(message: string, options?: MongoErrorOptions) {
    super(message, DriverErrorCode.InvalidArgument, options);
  }
  override get name(): string {
    return 'MongoInvalidArgumentError';
  }
}

export class MongoMissingCredentialsError extends MongoAPIError {
  constructor(message: string, options?: MongoErrorOptions) {
    super(message, DriverErrorCode.MissingCredentials, options);
  }
  override get name(): string {
    return 'MongoMissingCredentialsError';
  }
}

export class MongoCursorExhaustedError extends MongoAPIError {
  constructor(message = 'Cursor is exhausted', options?: MongoErrorOptions) {
    super(message, DriverErrorCode.CursorExhausted, options);
  }
  override get name(): string {
    return 'MongoCursorExhaustedError';
  }
}

export class MongoTransactionError extends MongoAPIError {
  constructor(message: string, options?: MongoErrorOptions) {
    super(message, DriverErrorCode.Transaction, options);
  }
  override get name(): string {
    return 'MongoTransactionError';
  }
}

export class MongoParseError extends MongoDriverError {
  constructor(message: string, options?: MongoErrorOptions) {
    super(message, DriverErrorCode.Parse, options);
  }
  override get name(): string {
    return 'MongoParseError';
  }
}

export class MongoRuntimeError extends MongoDriverError {
  override get name(): string {
    return 'MongoRuntimeError';
  }
}

/**
 * A change stream cannot go on: a change without a resume token (`_id` projected out),
 * or a misuse of a closed stream (as the official driver's).
 */
export class MongoChangeStreamError extends MongoRuntimeError {
  override get name(): string {
    return 'MongoChangeStreamError';
  }
}

/** A peer sent bytes that break the wire protocol (bad length, bad BSON, bad opcode). */
export class MongoProtocolError extends MongoRuntimeError {
  constructor(message: string, code: DriverErrorCode = DriverErrorCode.Protocol, options?: MongoErrorOptions) {
    super(message, code, options);
  }
  override get name(): string {
    return 'MongoProtocolError';
  }
}

export class MongoTopologyClosedError extends MongoAPIError {
  constructor(message = 'Topology is closed', options?: MongoErrorOptions) {
    super(message, DriverErrorCode.TopologyClosed, options);
  }
  override get name(): string {
    return 'MongoTopologyClosedError';
  }
}

export class MongoCompatibilityError extends MongoAPIError {
  constructor(message: string, options?: MongoErrorOptions) {
    super(message, DriverErrorCode.Compatibility, options);
  }
  override get name(): string {
    return 'MongoCompatibilityError';
  }
}

export class MongoAuthError extends MongoDriverError {
  constructor(message: string, options?: MongoErrorOptions) {
    super(message, DriverErrorCode.Auth, options);
  }
  override get name(): string {
    return 'MongoAuthError';
  }
}

// ---------------------------------------------------------------- client API errors

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

/** An operation was started on a client after close() (connect() again to reuse it). */
export class MongoNotConnectedError extends MongoAPIError {
  constructor(message = 'Client must be connected before running operations', options?: MongoErrorOptions) {
    super(message, undefined, options);
  }
  override get name(): string {
    return 'MongoNotConnectedError';
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

// ---------------------------------------------------------------- server errors

/** An `ok: 0` reply from a server. The whole reply is kept as `errorResponse`. */
export class MongoServerError extends MongoError {
  declare code: number;
  readonly codeName: string | undefined;
  readonly errorResponse: Document;
  /** The reply's `errInfo` (e.g. a validation failure's details), as the official driver types it. */
  declare errInfo?: Document;
  /** Extra fields of the reply (e.g. `keyPattern`, `keyValue` for 11000); `any` as in the official driver. */
  [key: string]: any;

  constructor(response: Document, options: MongoErrorOptions = {}) {
    const message = [response.errmsg, response.errMsg, response.$err].find((m) => typeof m === 'string') ?? 'server error';
    const labels = Array.isArray(response.errorLabels) ? (response.errorLabels as string[]) : [];
    super(message, { ...options, labels: [...labels, ...(options.labels ?? [])] });
    this.code = typeof response.code === 'number' ? response.code : 0;
    this.codeName = typeof response.codeName === 'string' ? response.codeName : undefined;
    this.errorResponse = response;
    for (const [k, v] of Object.entries(response)) {
      if (!(k in this) && k !== 'ok' && k !== 'errmsg' && k !== 'errorLabels') (this as Record<string, unknown>)[k] = v;
    }
  }
  override get name(): string {
    return 'MongoServerError';
  }
}

export class MongoWriteConcernError extends MongoServerError {
  override get name(): string {
    return 'MongoWriteConcernError';
  }
}

/** What MongoBulkWriteError.result offers (the client's BulkWriteResult satisfies it). */
export interface BulkWriteResultLike {
  readonly ok: number;
  readonly insertedCount: number;
  readonly matchedCount: number;
  readonly modifiedCount: number;
  readonly deletedCount: number;
  readonly upsertedCount: number;
  readonly insertedIds: { [key: number]: any };
  readonly upsertedIds: { [key: number]: any };
  [key: string]: any;
}

/** Thrown by bulkWrite/insertMany when some writes failed; `result` holds what did happen. */
export class MongoBulkWriteError extends MongoServerError {
  readonly writeErrors: Document[];
  /** The BulkWriteResult (client/results.ts) of what did happen; typed structurally to keep errors.ts independent of client/. */
  readonly result: BulkWriteResultLike;
  constructor(response: Document, writeErrors: Document[], result: BulkWriteResultLike, options?: MongoErrorOptions) {
    super(response, options);
    this.writeErrors = writeErrors;
    this.result = result;
  }
  get insertedCount(): number {
    return this.result.insertedCount;
  }
  get matchedCount(): number {
    return this.result.matchedCount;
  }
  get modifiedCount(): number {
    return this.result.modifiedCount;
  }
  get deletedCount(): number {
    return this.result.deletedCount;
  }
  get upsertedCount(): number {
    return this.result.upsertedCount;
  }
  get insertedIds(): { [key: number]: any } {
    return this.result.insertedIds;
  }
  get upsertedIds(): { [key: number]: any } {
    return this.result.upsertedIds;
  }
  override get name(): string {
    return 'MongoBulkWriteError';
  }
}

// ---------------------------------------------------------------- network errors

export interface MongoNetworkErrorOptions extends MongoErrorOptions {
  /** True if the error happened before the connection finished its handshake. */
  beforeHandshake?: boolean;
}

export class MongoNetworkError extends MongoError {
  readonly beforeHandshake: boolean;
  constructor(message: string, options: MongoNetworkErrorOptions = {}) {
    super(message, options);
    this.beforeHandshake = options.beforeHandshake ?? false;
  }
  override get name(): string {
    return 'MongoNetworkError';
  }
}

/**
 * Client Side Operations Timeout: the operation's `timeoutMS` expired, client-side
 * (server selection, connection checkout, waiting for a reply, or too little time left
 * to send the command), or the server answered MaxTimeMSExpired to a command whose
 * maxTimeMS the driver derived from `timeoutMS`. `cause` is the error it replaces.
 */
export class MongoOperationTimeoutError extends MongoDriverError {
  constructor(message: string, options?: MongoErrorOptions) {
    super(message, DriverErrorCode.OperationTimeout, options);
  }
  override get name(): string {
    return 'MongoOperationTimeoutError';
  }
}

export class MongoNetworkTimeoutError extends MongoNetworkError {
  override get name(): string {
    return 'MongoNetworkTimeoutError';
  }
}

/**
 * The runtime refused I/O on a socket because it belongs to another request (Cloudflare
 * Workers: "Cannot perform I/O on behalf of a different request"). Nothing was sent.
 * The executor does not count it against the server: it runs the operation again on a
 * fresh set of servers for the current request (Topology.enterIoScope).
 */
export class MongoRequestScopeError extends MongoNetworkError {
  override get name(): string {
    return 'MongoRequestScopeError';
  }
}

/** The pool for a server was cleared while this operation waited on it. */
export class MongoPoolClearedError extends MongoNetworkError {
  override get name(): string {
    return 'MongoPoolClearedError';
  }
}

// ---------------------------------------------------------------- selection errors

export class MongoSystemError extends MongoError {
  override get name(): string {
    return 'MongoSystemError';
  }
}

/**
 * No suitable server within serverSelectionTimeoutMS. `reason` is the topology
 * description at the time of failure (typed loosely here to keep errors.ts
 * independent of sdam/; the client narrows it to TopologyDescription).
 */
export class MongoServerSelectionError extends MongoSystemError {
  readonly reason: unknown;
  constructor(message: string, topologyDescription: unknown, options?: MongoErrorOptions) {
    super(message, options);
    this.reason = topologyDescription;
  }
  override get name(): string {
    return 'MongoServerSelectionError';
  }
}

// ---------------------------------------------------------------- guards

export const isMongoError = (e: unknown): e is MongoError => e instanceof MongoError;
export const isServerError = (e: unknown): e is MongoServerError => e instanceof MongoServerError;
export const isNetworkError = (e: unknown): e is MongoNetworkError => e instanceof MongoNetworkError;
export const isNetworkTimeoutError = (e: unknown): e is MongoNetworkTimeoutError => e instanceof MongoNetworkTimeoutError;
export const isDriverError = (e: unknown): e is MongoDriverError => e instanceof MongoDriverError;
export const isServerSelectionError = (e: unknown): e is MongoServerSelectionError =>
  e instanceof MongoServerSelectionError;

// Codes from the SDAM and retryability specs.
export const NOT_PRIMARY_CODES: ReadonlySet<number> = new Set([10107, 13435, 10058]);
export const NODE_IS_RECOVERING_CODES: ReadonlySet<number> = new Set([11600, 11602, 13436, 189, 91]);
export const SHUTDOWN_CODES: ReadonlySet<number> = new Set([11600, 91]);
export const RETRYABLE_WRITE_CODES: ReadonlySet<number> = new Set([
  11600, 11602, 10107, 13435, 13436, 189, 91, 7, 6, 89, 9001, 262,
]);
/** The retryable write codes and 134 (ReadConcernMajorityNotAvailableYet). */
export const RETRYABLE_READ_CODES: ReadonlySet<number> = new Set([...RETRYABLE_WRITE_CODES, 134]);

/** SDAM "not writable primary" classification: by code, else by legacy message. */
export function isNotWritablePrimaryError(e: MongoServerError): boolean {
  if (e.code) return NOT_PRIMARY_CODES.has(e.code);
  if (isNodeIsRecoveringError(e)) return false;
  return /not master|not primary/i.test(e.message);
}

/** SDAM "node is recovering" classification: by code, else by legacy message. */
export function isNodeIsRecoveringError(e: MongoServerError): boolean {
  if (e.code) return NODE_IS_RECOVERING_CODES.has(e.code);
  return /not master or secondary|node is recovering/i.test(e.message);
}

export function isStateChangeError(e: MongoServerError): boolean {
  return isNotWritablePrimaryError(e) || isNodeIsRecoveringError(e);
}

export function isRetryableReadError(e: unknown): boolean {
  if (e instanceof MongoNetworkError) return true;
  if (e instanceof MongoServerError) {
    if (RETRYABLE_READ_CODES.has(e.code)) return true;
    return !e.code && /not master|node is recovering/i.test(e.message);
  }
  return false;
}
