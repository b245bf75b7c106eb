/**
 * Shared plumbing for every client operation: the client context, session
 * handling (explicit vs implicit), running a command through the executor, and
 * turning ok:1 replies with writeErrors / writeConcernError into errors.
 */
import {
  MongoAPIError,
  MongoInvalidArgumentError,
  MongoExpiredSessionError,
  MongoNetworkError,
  MongoServerError,
  type Document,
} from '../errors.js';
import type { ReadPreference } from '../selection/read-preference.js';
import { readConcernDocument, throwIfWriteConcernError, writeConcernDocument, type ReadConcernLike, type WriteConcernLike } from './concerns.js';
import type { ExecuteOptions, ExecuteResult, OperationExecutor } from '../operation/executor.js';
import { deserializeOptionsOf, type BSONSerializeOptions } from '../wire/bson-options.js';
import type { ClientLayerOptions } from './options.js';
import { ClientSession, type SessionOwner } from './sessions.js';
import { transactionStatement, transactionStatementFailed } from './transaction-commands.js';
import { deadlineOptions, monotonicNow, resolveTimeoutMS, validateTimeoutMS } from '../operation/timeout.js';

/** What Db, Collection and cursors need from their MongoClient. */
export interface ClientContext extends SessionOwner {
  readonly resolvedOptions: ClientLayerOptions;
  /** The executor, connecting on first use (auto-connect like the official driver). */
  getExecutor(): Promise<OperationExecutor>;
  /** True if `session` was started by this client. */
  ownsSession(session: ClientSession): boolean;
}

/** Options every operation accepts (official CommandOperationOptions subset). */
export interface OperationOptions {
  session?: ClientSession;
  readPreference?: ReadPreference;
  readConcern?: ReadConcernLike;
  writeConcern?: WriteConcernLike;
  comment?: unknown;
  maxTimeMS?: number;
  signal?: AbortSignal;
  timeoutMS?: number;
  /** @deprecated official driver spelling; ignored */
  bsonRegExp?: boolean;
  [key: string]: unknown;
}

/** Where a database- or collection-level command goes, and the write concern it inherits. */
export interface CommandTarget {
  ctx: ClientContext;
  db: string;
  writeConcern: WriteConcernLike | undefined;
}

/** The options runCommand reads (any operation's options qualify). */
export interface RunOptions {
  session?: ClientSession;
  signal?: AbortSignal;
  /** Client Side Operations Timeout for this operation (0 = none); default the session's, the collection's, ... */
  timeoutMS?: number;
  writeConcern?: WriteConcernLike;
  /** Resolved BSON options (decode of the application's documents, ignoreUndefined); default the client's. */
  bson?: BSONSerializeOptions;
  /** The official driver's `rawData` (timeseries buckets as stored); sent to servers 8.2+ only. */
  rawData?: boolean;
}

/**
 * The context a Db or Collection hands to its operations when it has its own timeoutMS
 * (Client Side Operations Timeout inheritance: client < database < collection < operation).
 * Everything else is the client's.
 */
export function contextWithTimeoutMS(ctx: ClientContext, timeoutMS: unknown): ClientContext {
  const own = validateTimeoutMS(timeoutMS);
  if (own === undefined || own === ctx.resolvedOptions.timeoutMS) return ctx;
  const resolvedOptions: ClientLayerOptions = Object.freeze({ ...ctx.resolvedOptions, timeoutMS: own });
  return {
    resolvedOptions,
    get sessionPool() {
      return ctx.sessionPool;
    },
    logicalSessionTimeoutMinutes: () => ctx.logicalSessionTimeoutMinutes(),
    onSessionEnded: (session) => ctx.onSessionEnded?.(session),
    getExecutor: () => ctx.getExecutor(),
    ownsSession: (session) => ctx.ownsSession(session),
  };
}

/**
 * The operation's deadline options: `timeout` started now from the operation's timeoutMS,
 * else the session's defaultTimeoutMS, else the context's; `csot` when any level sets one.
 */
export function operationDeadline(ctx: Pick<ClientContext, 'resolvedOptions'>, timeoutMS: unknown, session?: ClientSession): Pick<ExecuteOptions, 'timeout' | 'csot'> {
  const own = validateTimeoutMS(timeoutMS);
  // Inside withTransaction every operation of the session shares the transaction's deadline.
  const shared = session?.withTransactionDeadline;
  if (shared) {
    if (own !== undefined) throw new MongoInvalidArgumentError('timeoutMS cannot be overridden inside a withTransaction callback');
    return shared;
  }
  return deadlineOptions(resolveTimeoutMS(own, session?.defaultTimeoutMS, ctx.resolvedOptions.timeoutMS), monotonicNow());
}

export function startImplicitSession(ctx: ClientContext): ClientSession {
  return new ClientSession(ctx, {}, false);
}

/** The official driver's message when an operation is given an ended session (execute_operation.ts). */
export const EXPIRED_SESSION_USE = 'Use of expired sessions is not permitted';

/**
 * Run `fn` with the caller's session, or an implicit one that is ended afterwards.
 * `unacknowledged`: w:0 writes must not carry a session (explicit ones are refused).
 */
export async function withSession<T>(
  ctx: ClientContext,
  explicit: ClientSession | undefined,
  fn: (session: ClientSession | undefined) => Promise<T>,
  unacknowledged = false,
): Promise<T> {
  if (explicit) {
    if (explicit.hasEnded) throw new MongoExpiredSessionError(EXPIRED_SESSION_USE);
    if (!ctx.ownsSession(explicit)) throw new MongoAPIError('ClientSession must be from the same MongoClient');
    if (unacknowledged) throw new MongoAPIError('Cannot have explicit session with unacknowledged writes');
    return await fn(explicit);
  }
  if (unacknowledged) return await fn(undefined);
  const session = startImplicitSession(ctx);
  try {
    return await fn(session);
  } finally {
    session.endSync();
  }
}

/** What only the client layer knows of a command. */
export interface CommandKind {
  /** db.command(): a command as the user gave it (a transaction checks its read preference as a read's). */
  generic?: boolean;
  /** The operation's resolved BSON options (operation over collection over db over client); default the client's. */
  bson?: BSONSerializeOptions;
}

/** Send one command; keep the session's cluster/operation time; mark it dirty on network errors. */
export async function executeCommand(
  ctx: ClientContext,
  db: string,
  command: Document,
  options: ExecuteOptions & CommandKind & { timeoutMS?: number | undefined } = {},
): Promise<ExecuteResult> {
  const { generic, bson = ctx.resolvedOptions.bsonOptions, timeoutMS, ...rest } = options;
  const opts: ExecuteOptions = rest;
  // CSOT: the deadline starts here unless the operation (a cursor, a bulk write) started it.
  if (opts.timeout === undefined && opts.csot === undefined) Object.assign(opts, operationDeadline(ctx, timeoutMS, opts.session instanceof ClientSession ? opts.session : undefined));
  const executor = await ctx.getExecutor();
  opts.ignoreUndefined = bson.ignoreUndefined === true;
  opts.deserialize = deserializeOptionsOf(bson);
  const session = opts.session;
  // Every path (cursors too): an explicit session of another client is refused.
  if (session instanceof ClientSession && session.explicit && !ctx.ownsSession(session)) throw new MongoAPIError('ClientSession must be from the same MongoClient');
  // Before the retry flags below: a transaction reads `retryable` as the operation's kind.
  if (session instanceof ClientSession) transactionStatement(session, opts, generic === true);
  const { retryReads, retryWrites } = ctx.resolvedOptions;
  if ((opts.retryable === 'read' && !retryReads) || (opts.retryable === 'write' && !retryWrites)) opts.retryable = false;
  for (const k of Object.keys(opts) as (keyof ExecuteOptions)[]) if (opts[k] === undefined) delete opts[k];
  try {
    const result = await executor.execute(db, withCausalWrite(command, session, opts), opts);
    session?.observeReply(result.reply);
    return result;
  } catch (error) {
    if (error instanceof MongoServerError) session?.observeReply(error.errorResponse);
    else if (error instanceof MongoNetworkError) session?.markDirty();
    if (session instanceof ClientSession && opts.transaction) transactionStatementFailed(session, error);
    throw error;
  }
}

/**
 * One command with the caller's session (or an implicit one); resolves to the reply.
 * `command` may be built from the session (a read's `readConcern` depends on it).
 */
export async function runCommand(
  ctx: ClientContext,
  db: string,
  command: Document | ((session: ClientSession | undefined) => Document),
  options: RunOptions,
  route: Pick<ExecuteOptions, 'readPreference' | 'retryable'> & CommandKind = {},
): Promise<Document> {
  return await withSession(ctx, options.session, async (session) => {
    const cmd = typeof command === 'function' ? command(session) : command;
    const { reply } = await executeCommand(ctx, db, cmd, { bson: options.bson, ...route, session, signal: options.signal, rawData: options.rawData, timeoutMS: options.timeoutMS });
    return reply;
  });
}

/**
 * A command that writes (createIndexes, drop, findAndModify...): the option fields
 * `keys`, then the write concern; a writeConcernError in the reply throws.
 */
export async function runWriteCommand(
  target: CommandTarget,
  command: Document,
  options: RunOptions,
  keys: readonly string[],
  retryable: 'write' | false = false,
): Promise<Document> {
  copyDefined(command, options, keys);
  assignDefined(command, { writeConcern: writeConcernDocument(options.writeConcern ?? target.writeConcern) });
  const reply = await runCommand(target.ctx, target.db, command, options, { retryable });
  throwIfWriteConcernError(reply);
  return reply;
}

export { throwIfWriteConcernError };

const NAMESPACE_NOT_FOUND = 26;

/** The server's NamespaceNotFound (dropping what does not exist). */
export function isNamespaceNotFound(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND;
}

/**
 * Single-statement writes throw the first write error as a MongoServerError (code
 * 11000 etc.), else a writeConcernError.
 */
export function throwIfWriteFailed(reply: Document): void {
  const writeErrors = reply.writeErrors as Document[] | undefined;
  if (writeErrors && writeErrors.length > 0) {
    // errorResponse is the write error as the server sent it (the official driver's), with the
    // reply's labels only when it has some
    throw new MongoServerError(reply.errorLabels === undefined ? writeErrors[0]! : { ...writeErrors[0]!, errorLabels: reply.errorLabels });
  }
  throwIfWriteConcernError(reply);
}

/**
 * The `readConcern` field for a read: the configured level, plus `afterClusterTime`
 * for causally consistent explicit sessions that have seen an operationTime.
 */
export function readConcernFor(rc: ReadConcernLike | undefined, session: ClientSession | undefined): Document | undefined {
  const doc = readConcernDocument(rc);
  if (session && session.explicit && session.supports.causalConsistency && session.operationTime) {
    return { ...doc, afterClusterTime: session.operationTime };
  }
  if (session?.snapshotEnabled) return snapshotReadConcern(doc, session);
  return doc;
}

/** A snapshot session's readConcern: level snapshot, at the session's snapshotTime once it has one. */
function snapshotReadConcern(doc: Document | undefined, session: ClientSession): Document {
  return session.snapshotTime ? { ...doc, level: 'snapshot', atClusterTime: session.snapshotTime } : { ...doc, level: 'snapshot' };
}

/** The write commands that carry `afterClusterTime` in a causally consistent session (Causal Consistency spec, as the official driver). */
const CAUSAL_WRITE_COMMANDS = new Set(['bulkWrite', 'create', 'createIndexes', 'delete', 'drop', 'dropDatabase', 'dropIndexes', 'findAndModify', 'insert', 'update']);

/**
 * The session's readConcern on commands built without one, as the official driver's
 * applySession: a write outside a transaction in an explicit causally consistent
 * session that has seen an operationTime gets `afterClusterTime`; every command of a
 * snapshot session gets `level: 'snapshot'` (reads get theirs from `readConcernFor`).
 */
function withCausalWrite(command: Document, session: ExecuteOptions['session'], opts: ExecuteOptions): Document {
  if (opts.transaction || !(session instanceof ClientSession) || !session.explicit) return command;
  // A snapshot session sends `level: snapshot` with every command (the server refuses the ones it cannot serve).
  // getMore / killCursors continue a cursor that was opened with it.
  if (session.snapshotEnabled) {
    const name = Object.keys(command)[0];
    if (command.readConcern !== undefined || name === 'getMore' || name === 'killCursors') return command;
    return { ...command, readConcern: snapshotReadConcern(undefined, session) };
  }
  if (!session.supports.causalConsistency || !session.operationTime) return command;
  if (!CAUSAL_WRITE_COMMANDS.has(Object.keys(command)[0]!)) return command;
  const readConcern = command.readConcern as Document | undefined;
  if (readConcern?.afterClusterTime !== undefined) return command;
  return { ...command, readConcern: { ...readConcern, afterClusterTime: session.operationTime } };
}

/** Copy the defined entries of `fields` onto `target` in order. */
export function assignDefined(target: Document, fields: Document): Document {
  return copyDefined(target, fields, Object.keys(fields));
}

/** Copy the defined fields `keys` of `source` onto `target`, in the order given. */
export function copyDefined(target: Document, source: object, keys: readonly string[]): Document {
  for (const k of keys) {
    const v = (source as Document)[k];
    if (v !== undefined) target[k] = v;
  }
  return target;
}
