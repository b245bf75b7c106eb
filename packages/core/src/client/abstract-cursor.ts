/**
 * The cursor machinery shared by find, aggregate, listCollections and
 * listIndexes: lazy (no I/O until first use), a buffered batch, getMore to the
 * server that owns the cursor, killCursors on early close, the implicit session
 * released when the cursor is exhausted or closed.
 */
import { applicationView } from '../wire/application-view.js';
import { resolveBsonOptions, type BSONSerializeOptions } from '../wire/bson-options.js';
import { Long } from 'bson';
import { keyMirror } from '../util/key-mirror.js';
import {
  MongoCursorExhaustedError,
  MongoCursorInUseError,
  MongoExpiredSessionError,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoUnexpectedServerResponseError,
  type Document,
} from '../errors.js';
import { ReadPreference, type ReadPreferenceLike } from '../selection/read-preference.js';
import type { ReadConcernLike } from './concerns.js';
import type { ExecuteOptions, ExecuteResult } from '../operation/executor.js';
import { EXPIRED_SESSION_USE, assignDefined, executeCommand, operationDeadline, startImplicitSession, type ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';
import { cursorStream, cursorToReadableStream, type CursorStream, type CursorStreamOptions } from './streams.js';

export interface CursorNamespace {
  readonly db: string;
  readonly collection: string;
}

/** The explain verbosities (the official driver's constant; queryPlannerExtended needs MongoDB 8.0). */
export const ExplainVerbosity = keyMirror('queryPlanner', 'queryPlannerExtended', 'executionStats', 'allPlansExecution');
export type ExplainVerbosity = (typeof ExplainVerbosity)[keyof typeof ExplainVerbosity];
/** A verbosity, or a boolean: true = allPlansExecution, false = queryPlanner (as the official driver). */
export type ExplainVerbosityLike = ExplainVerbosity | boolean;
export interface ExplainCommandOptions {
  verbosity: ExplainVerbosityLike;
  maxTimeMS?: number;
}

/** The flags addCursorFlag takes (the official driver's list). */
export const CURSOR_FLAGS = ['tailable', 'oplogReplay', 'noCursorTimeout', 'awaitData', 'exhaust', 'partial'] as const;
export type CursorFlag = (typeof CURSOR_FLAGS)[number];

export interface AbstractCursorOptions extends BSONSerializeOptions {
  session?: ClientSession;
  /** The BSON options resolved by the collection or Db that made the cursor (client/concerns.ts withInherited). */
  bsonOptions?: BSONSerializeOptions;
  /** A ReadPreference, or its mode / options document (as the official driver: `readPreference: 'secondary'`). */
  readPreference?: ReadPreferenceLike;
  readConcern?: ReadConcernLike;
  batchSize?: number;
  maxTimeMS?: number;
  /** getMore maxTimeMS for tailable awaitData cursors. */
  maxAwaitTimeMS?: number;
  comment?: unknown;
  tailable?: boolean;
  awaitData?: boolean;
  noCursorTimeout?: boolean;
  signal?: AbortSignal;
  /** Client Side Operations Timeout (0 = none); default the collection's, the Db's, the client's. */
  timeoutMS?: number;
  /**
   * How timeoutMS applies: 'cursorLifetime' (the default of non-tailable cursors: one deadline
   * for the initial command and every getMore) or 'iteration' (each command its own; the
   * only mode of tailable cursors).
   */
  timeoutMode?: CursorTimeoutMode;
  /** Set by aggregation cursors whose pipeline ends in $out or $merge (timeoutMode 'iteration' is refused). */
  writesOutput?: boolean;
}

export const CursorTimeoutMode = Object.freeze({ ITERATION: 'iteration', LIFETIME: 'cursorLifetime' } as const);
export type CursorTimeoutMode = (typeof CursorTimeoutMode)[keyof typeof CursorTimeoutMode];

const CURSOR_NOT_FOUND = 43;

/** Cursor ids arrive as Long, bigint or number depending on decode options; always send a Long. */
export function toLong(id: unknown): Long {
  if (Long.isLong(id)) return id;
  if (typeof id === 'bigint') return Long.fromBigInt(id);
  if (typeof id === 'number') return Long.fromNumber(id);
  throw new MongoUnexpectedServerResponseError(`Invalid cursor id ${String(id)}`);
}

export function parseNamespace(ns: unknown, fallback: CursorNamespace): CursorNamespace {
  if (typeof ns !== 'string') return fallback;
  const dot = ns.indexOf('.');
  if (dot < 0) return fallback;
  return { db: ns.slice(0, dot), collection: ns.slice(dot + 1) };
}

type Transform = (doc: any) => any;

export abstract class AbstractCursor<TSchema = any> implements AsyncIterable<TSchema> {
  protected readonly ctx: ClientContext;
  /** The namespace the cursor was opened on (getMore uses the reply's `ns`). */
  readonly namespace: CursorNamespace;
  protected cursorOptions: AbstractCursorOptions;

  /** The buffered batch; documents before `#docIndex` were handed out. */
  #documents: Document[] = [];
  #docIndex = 0;
  #cursorId: Long | undefined;
  #server: string | undefined;
  #cursorNs: CursorNamespace;
  #session: ClientSession | undefined;
  #ownsSession = false;
  #initialized = false;
  #isClosed = false;
  #isKilled = false;
  /** close() killed a live server cursor: iterating further throws (as the official driver). */
  #killedByClose = false;
  #pendingCleanup: Promise<void> | undefined;
  #transforms: Transform[] = [];
  /** Documents handed out (for find's limit arithmetic). */
  protected numReturned = 0;

  protected constructor(ctx: ClientContext, namespace: CursorNamespace, options: AbstractCursorOptions = {}) {
    this.ctx = ctx;
    this.namespace = namespace;
    this.#cursorNs = namespace;
    this.cursorOptions = { ...options };
    if (options.readPreference !== undefined) this.cursorOptions.readPreference = ReadPreference.from(options.readPreference);
    if (options.batchSize !== undefined) validateBatchSize(options.batchSize);
    validateCursorTimeout(this.cursorOptions, ctx.resolvedOptions.timeoutMS);
  }

  /** CSOT: the deadline of the cursor's lifetime (cursorLifetime mode), started by the initial command. */
  #lifetime: Pick<ExecuteOptions, 'timeout' | 'csot'> | undefined;

  /** The timeoutMode in force: the option, else cursorLifetime (iteration for tailable cursors). */
  get #timeoutMode(): CursorTimeoutMode {
    return this.cursorOptions.timeoutMode ?? (this.cursorOptions.tailable ? CursorTimeoutMode.ITERATION : CursorTimeoutMode.LIFETIME);
  }

  /**
   * A deadline the cursor's owner imposes on its next commands (a change stream's next()
   * call: its getMores and the aggregate of a resume share one); undefined: the cursor's own.
   */
  protected imposedDeadline(): Pick<ExecuteOptions, 'timeout' | 'csot'> | undefined {
    return undefined;
  }

  /** The deadline of the next command: the lifetime's, else a new one (iteration mode, or the initial command). */
  #deadline(session: ClientSession | undefined, initial: boolean): Pick<ExecuteOptions, 'timeout' | 'csot'> {
    const imposed = this.imposedDeadline();
    if (imposed) return imposed;
    if (!initial && this.#lifetime && this.#timeoutMode === CursorTimeoutMode.LIFETIME) return this.#lifetime;
    const deadline = operationDeadline(this.ctx, this.cursorOptions.timeoutMS, session);
    if (initial) this.#lifetime = deadline;
    return deadline;
  }

  /**
   * The deadline of one iteration call (next, hasNext, tryNext; one fill of toArray): in
   * timeoutMode 'iteration' the whole call shares one, however many getMores a tailable
   * cursor sends before a document arrives (CSOT spec, Cursors); undefined otherwise (each
   * getMore takes the lifetime's, see #deadline).
   */
  #iterationDeadline(): Pick<ExecuteOptions, 'timeout' | 'csot'> | undefined {
    if (!this.#initialized || this.#timeoutMode !== CursorTimeoutMode.ITERATION) return undefined;
    return operationDeadline(this.ctx, this.cursorOptions.timeoutMS, this.#session);
  }

  /** The command that creates the cursor (find, aggregate, ...), without session/cluster fields. */
  protected abstract buildCommand(session?: ClientSession): Document;

  /** Send the command that creates the cursor. */
  protected async initialize(session: ClientSession | undefined): Promise<ExecuteResult> {
    return await this.send(this.buildCommand(session), session);
  }

  /**
   * Called with each reply that carries a batch (the initial command's and every
   * getMore's), before the batch is buffered. Change streams read `postBatchResumeToken`
   * and `operationTime` here.
   */
  protected onCursorReply(_reply: Document, _initial: boolean): void {}

  /** True when the command answers without a cursor and the reply itself is the result (aggregate's `explain` option). */
  protected replyIsTheDocument(): boolean {
    return false;
  }

  /** A fresh, unstarted cursor with the same options. */
  abstract clone(): AbstractCursor<TSchema>;

  /** getMore batchSize; `null` means the cursor is done (e.g. find's limit reached). */
  protected getMoreBatchSize(): number | undefined | null {
    return this.cursorOptions.batchSize || undefined;
  }

  /** getMore maxTimeMS: maxAwaitTimeMS for tailable awaitData cursors, else none. */
  protected getMoreMaxTimeMS(): number | undefined {
    const { tailable, awaitData, maxAwaitTimeMS } = this.cursorOptions;
    return tailable && awaitData ? maxAwaitTimeMS : undefined;
  }

  /** Send `command` to the cursor's database as a retryable read with the cursor's read preference. */
  protected async send(command: Document, session: ClientSession | undefined, route: ExecuteOptions = {}): Promise<ExecuteResult> {
    const { signal } = this.cursorOptions;
    const readPreference = this.readPreference;
    // a copy: the flag below must not reach a deadline shared with other commands
    const deadline = route.timeout !== undefined || route.csot !== undefined ? {} : { ...this.#deadline(session, true) };
    // timeoutMode 'iteration' bounds each next(), not the server's work for the cursor: no
    // maxTimeMS on the initial command (but for a tailable awaitData cursor's).
    const awaitData = this.cursorOptions.tailable && this.cursorOptions.awaitData;
    if (this.#timeoutMode === CursorTimeoutMode.ITERATION && !awaitData) Object.assign(deadline, { omitMaxTimeMS: true });
    return await executeCommand(this.ctx, this.namespace.db, command, { session, readPreference, retryable: 'read', signal, bson: this.#bson(), ...deadline, ...route });
  }

  /** The cursor's BSON options: its own over those it was made with; the client's when it has none. */
  #bson(): BSONSerializeOptions | undefined {
    const { bsonOptions } = this.cursorOptions;
    return bsonOptions ? resolveBsonOptions(this.cursorOptions, bsonOptions) : undefined;
  }

  /** The server cursor id (undefined before the first batch). */
  get id(): Long | undefined {
    return this.#cursorId;
  }

  /** Closed, and every locally buffered document has been handed out (as the official driver). */
  get closed(): boolean {
    return this.#isClosed && this.bufferedCount() === 0;
  }

  get killed(): boolean {
    return this.#isKilled;
  }

  get readPreference(): ReadPreference | undefined {
    // normalized to a ReadPreference by the constructor and withReadPreference()
    return this.cursorOptions.readPreference as ReadPreference | undefined;
  }

  get readConcern(): ReadConcernLike | undefined {
    return this.cursorOptions.readConcern;
  }

  /** The address of the server that owns the cursor. */
  get serverAddress(): string | undefined {
    return this.#server;
  }

  protected get started(): boolean {
    return this.#initialized;
  }

  bufferedCount(): number {
    return this.#documents.length - this.#docIndex;
  }

  /** Take up to `number` buffered documents (all by default) without I/O; transforms are not applied. */
  readBufferedDocuments(number?: number): TSchema[] {
    const n = Math.min(number ?? Infinity, this.bufferedCount());
    const out = this.#documents.slice(this.#docIndex, this.#docIndex + n);
    this.#docIndex += n;
    this.numReturned += n;
    return out as TSchema[];
  }

  // ------------------------------------------------------------------ modifiers

  protected throwIfInitialized(): void {
    if (this.#initialized) throw new MongoCursorInUseError();
  }

  /** Set options before the cursor starts (the builder methods). */
  protected configure(options: AbstractCursorOptions & Document): this {
    this.throwIfInitialized();
    Object.assign(this.cursorOptions, options);
    return this;
  }

  /** Set a cursor flag before the cursor starts (the official driver's CURSOR_FLAGS; find sends tailable, noCursorTimeout, awaitData). */
  addCursorFlag(flag: CursorFlag, value: boolean): this {
    this.throwIfInitialized();
    if (!CURSOR_FLAGS.includes(flag)) throw new MongoInvalidArgumentError(`Flag ${flag} is not one of ${CURSOR_FLAGS.join(',')}`);
    if (typeof value !== 'boolean') throw new MongoInvalidArgumentError(`Flag ${flag} must be a boolean value`);
    return this.configure({ [flag]: value });
  }

  batchSize(value: number): this {
    this.throwIfInitialized();
    validateBatchSize(value);
    return this.configure({ batchSize: value });
  }

  maxTimeMS(value: number): this {
    this.throwIfInitialized();
    if (typeof value !== 'number' || value < 0) throw new MongoInvalidArgumentError('maxTimeMS must be a non-negative number');
    return this.configure({ maxTimeMS: value });
  }

  comment(value: unknown): this {
    return this.configure({ comment: value });
  }

  withReadPreference(readPreference: ReadPreferenceLike): this {
    return this.configure({ readPreference: ReadPreference.from(readPreference) });
  }

  withReadConcern(readConcern: ReadConcernLike): this {
    return this.configure({ readConcern });
  }

  /** Apply `transform` to every document this cursor returns. */
  map<T = any>(transform: (doc: TSchema) => T): AbstractCursor<T> {
    this.throwIfInitialized();
    if (typeof transform !== 'function') throw new MongoInvalidArgumentError('map() requires a function');
    this.#transforms.push(transform);
    return this as unknown as AbstractCursor<T>;
  }

  /** Give `other` (a clone) this cursor's transforms; returns it. */
  protected copyTransformsTo<C extends AbstractCursor<any>>(other: C): C {
    other.#transforms = [...this.#transforms];
    return other;
  }

  // ------------------------------------------------------------------ iteration

  get #exhausted(): boolean {
    return this.#isClosed || (this.#initialized && (this.#cursorId === undefined || this.#cursorId.isZero()));
  }

  /** The next buffered document, transformed. */
  #take(): TSchema {
    let doc: unknown = this.#documents[this.#docIndex++]!;
    if (this.#docIndex === this.#documents.length) {
      this.#documents = [];
      this.#docIndex = 0;
    }
    this.numReturned += 1;
    for (const t of this.#transforms) doc = t(doc);
    return doc as TSchema;
  }

  /** Fetch one batch (initial command or getMore); `call`: the deadline of the iteration call it belongs to. */
  async #fetchBatch(call?: Pick<ExecuteOptions, 'timeout' | 'csot'>): Promise<void> {
    if (!this.#initialized) {
      await this.#init();
      return;
    }
    if (this.#exhausted) return;
    const batchSize = this.getMoreBatchSize();
    if (batchSize === null) {
      await this.#closeCursor(false);
      return;
    }
    const getMore = assignDefined(
      { getMore: this.#cursorId, collection: this.#cursorNs.collection },
      {
        batchSize: batchSize !== undefined && batchSize > 0 ? batchSize : undefined,
        maxTimeMS: this.getMoreMaxTimeMS(),
        comment: this.cursorOptions.comment,
      },
    );
    let reply: Document;
    try {
      ({ reply } = await executeCommand(this.ctx, this.#cursorNs.db, getMore, {
        session: this.#session,
        pinnedServer: this.#server,
        signal: this.cursorOptions.signal,
        bson: this.#bson(),
        awaitData: (this.cursorOptions.tailable && this.cursorOptions.awaitData) || undefined,
        ...(call ?? this.#deadline(this.#session, false)),
      }));
    } catch (error) {
      // CSOT, timeoutMode 'iteration': a next() that ran out of time leaves the cursor open
      // for the next one (its getMore can be sent again).
      if (error instanceof MongoOperationTimeoutError && this.#timeoutMode === CursorTimeoutMode.ITERATION) throw error;
      if (error instanceof MongoNetworkError || (error instanceof MongoServerError && error.code === CURSOR_NOT_FOUND)) {
        // the server cursor is gone: nothing to kill
        this.#isKilled = true;
        this.#cursorId = Long.ZERO;
      }
      await this.#closeCursor(false);
      throw error;
    }
    const cursor = reply.cursor as Document | undefined;
    if (!cursor) throw new MongoUnexpectedServerResponseError('getMore reply has no cursor');
    this.onCursorReply(reply, false);
    this.#pushBatch(cursor.id, (applicationView(reply).cursor as Document).nextBatch);
  }

  /** Record the cursor id and buffer a batch; the session goes back once the server cursor is done. */
  #pushBatch(id: unknown, batch: unknown): void {
    this.#cursorId = toLong(id ?? 0);
    if (Array.isArray(batch) && batch.length > 0) {
      this.#documents = this.bufferedCount() > 0 ? [...this.#documents.slice(this.#docIndex), ...batch] : batch;
      this.#docIndex = 0;
    }
    if (this.#cursorId.isZero()) this.#releaseSession();
  }

  async #awaitPendingCleanup(): Promise<void> {
    const pending = this.#pendingCleanup;
    this.#pendingCleanup = undefined;
    await pending;
  }

  async #init(): Promise<void> {
    await this.#awaitPendingCleanup();
    const explicit = this.cursorOptions.session;
    // as every operation (client/operation.ts withSession; the official driver's executeOperation)
    if (explicit?.hasEnded) throw new MongoExpiredSessionError(EXPIRED_SESSION_USE);
    this.#initialized = true;
    this.#ownsSession = !explicit;
    this.#session = explicit ?? startImplicitSession(this.ctx);
    let result: ExecuteResult;
    try {
      result = await this.initialize(this.#session);
    } catch (error) {
      this.#isClosed = true;
      this.#releaseSession();
      throw error;
    }
    this.#server = result.address;
    const cursor = result.reply.cursor as Document | undefined;
    if (cursor !== null && typeof cursor === 'object' && Array.isArray(cursor.firstBatch)) {
      this.#cursorNs = parseNamespace(cursor.ns, this.namespace);
      this.onCursorReply(result.reply, true);
      this.#pushBatch(cursor.id, (applicationView(result.reply).cursor as Document).firstBatch);
    } else if (!cursor && this.replyIsTheDocument()) {
      // aggregate with `explain`: the reply is the single document
      this.#pushBatch(0, [applicationView(result.reply)]);
    } else {
      this.#isClosed = true;
      this.#releaseSession();
      throw new MongoUnexpectedServerResponseError('Server reply has no cursor with a firstBatch');
    }
  }

  /** Fetch until a document is buffered (true) or the cursor is exhausted (false; it is then closed). */
  async #fill(): Promise<boolean> {
    let call: Pick<ExecuteOptions, 'timeout' | 'csot'> | undefined;
    for (;;) {
      if (this.bufferedCount() > 0) return true;
      if (this.#exhausted) {
        this.#closeExhausted();
        return false;
      }
      call ??= this.#iterationDeadline();
      await this.#fetchBatch(call);
    }
  }

  /** Send the initial command now if it was not sent yet (no document is taken). */
  protected async ensureInitialized(): Promise<void> {
    if (!this.#initialized) await this.#init();
  }

  /** Next document, or null when the cursor is exhausted. */
  async next(): Promise<TSchema | null> {
    return (await this.hasNext()) ? this.#take() : null;
  }

  /** Like next(), but fetches at most one batch: null if that batch is empty (tailable cursors). */
  async tryNext(): Promise<TSchema | null> {
    this.#throwIfKilledByClose();
    if (this.bufferedCount() === 0 && !this.#exhausted) await this.#fetchBatch(this.#iterationDeadline());
    if (this.bufferedCount() > 0) return this.#take();
    if (this.#exhausted) this.#closeExhausted();
    return null;
  }

  async hasNext(): Promise<boolean> {
    this.#throwIfKilledByClose();
    return await this.#fill();
  }

  async toArray(): Promise<TSchema[]> {
    const out: TSchema[] = [];
    while (await this.#fill()) while (this.bufferedCount() > 0) out.push(this.#take());
    return out;
  }

  /** Calls `iterator` for each document; stops (and closes the cursor) when it returns false. */
  async forEach(iterator: (doc: TSchema) => boolean | void): Promise<void> {
    if (typeof iterator !== 'function') throw new MongoInvalidArgumentError('forEach() requires a function');
    for await (const doc of this) {
      if (iterator(doc) === false) break;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TSchema, void, void> {
    try {
      for (let doc = await this.next(); doc !== null; doc = await this.next()) yield doc;
    } finally {
      if (!this.#isClosed) await this.close();
    }
  }

  /** A Node.js Readable of the documents (on the Node entry; as the official driver's). */
  stream(options?: CursorStreamOptions): CursorStream<TSchema> {
    return cursorStream<TSchema>(this, options);
  }

  /** A WHATWG ReadableStream of the documents (any platform); cancelling it closes the cursor. */
  toReadableStream(options?: CursorStreamOptions): ReadableStream<TSchema> {
    return cursorToReadableStream<TSchema>(this, options);
  }

  /** Kill the server cursor if still open (to its server), release the session. Idempotent. */
  async close(): Promise<void> {
    await this.#closeCursor(true);
  }

  /** `byUser`: close() was called, so a killed cursor refuses further iteration. */
  async #closeCursor(byUser: boolean): Promise<void> {
    await this.#awaitPendingCleanup();
    if (this.#isClosed && !this.#ownsSession) return;
    this.#isClosed = true;
    // The buffer is kept (readBufferedDocuments, and `closed` stays false until it is
    // drained), as the official driver does; a killed cursor refuses further iteration.
    const kill = this.#killer();
    if (kill) {
      this.#isKilled = true;
      await kill();
      if (byUser) this.#killedByClose = true;
    }
    this.#releaseSession();
  }

  /**
   * Back to the unstarted state; iterating again re-runs the initial command. A
   * still-open server cursor is killed before that command is sent.
   */
  rewind(): void {
    if (!this.#initialized) return;
    const kill = this.#killer();
    const ownedSession = this.#ownsSession ? this.#session : undefined;
    this.#documents = [];
    this.#docIndex = 0;
    this.#cursorId = undefined;
    this.#server = undefined;
    this.#cursorNs = this.namespace;
    this.#session = undefined;
    this.#ownsSession = false;
    this.#initialized = false;
    this.#isClosed = false;
    this.#isKilled = false;
    this.#killedByClose = false;
    this.numReturned = 0;
    const previous = this.#pendingCleanup;
    this.#pendingCleanup = (async () => {
      await previous;
      await kill?.();
      ownedSession?.endSync();
    })();
  }

  // ------------------------------------------------------------------ cleanup

  #throwIfKilledByClose(): void {
    if (this.#killedByClose) throw new MongoCursorExhaustedError();
  }

  #closeExhausted(): void {
    this.#isClosed = true;
    this.#releaseSession();
  }

  /**
   * killCursors for the server cursor as it is now, to its server (undefined if none is
   * open); best effort, like the official driver (the server reaps abandoned cursors).
   */
  #killer(): (() => Promise<void>) | undefined {
    const id = this.#cursorId;
    if (this.#isKilled || id === undefined || id.isZero()) return undefined;
    const ns = this.#cursorNs;
    const server = this.#server;
    const session = this.#session;
    return async () => {
      try {
        await executeCommand(this.ctx, ns.db, { killCursors: ns.collection, cursors: [id] }, {
          session: session?.hasEnded ? undefined : session,
          pinnedServer: server,
        });
      } catch {
        // best effort
      }
    };
  }

  #releaseSession(): void {
    if (this.#ownsSession) this.#session?.endSync();
    this.#ownsSession = false;
  }
}

/**
 * CSOT cursor rules: timeoutMode needs a timeoutMS; a tailable cursor cannot use
 * cursorLifetime; an awaitData cursor's maxAwaitTimeMS must be under its timeoutMS.
 */
function validateCursorTimeout(options: AbstractCursorOptions, inherited: number | undefined): void {
  const timeoutMS = options.timeoutMS ?? inherited;
  const mode = options.timeoutMode;
  if (mode !== undefined && mode !== CursorTimeoutMode.ITERATION && mode !== CursorTimeoutMode.LIFETIME) {
    throw new MongoInvalidArgumentError(`Invalid timeoutMode ${String(mode)}: 'iteration' or 'cursorLifetime'`);
  }
  if (mode !== undefined && timeoutMS === undefined) throw new MongoInvalidArgumentError('timeoutMode requires timeoutMS');
  if (mode === CursorTimeoutMode.ITERATION && options.writesOutput) throw new MongoInvalidArgumentError("timeoutMode 'iteration' cannot be used with an aggregation that writes ($out or $merge)");
  if (mode === CursorTimeoutMode.LIFETIME && options.tailable) throw new MongoInvalidArgumentError("a tailable cursor cannot use timeoutMode 'cursorLifetime'");
  if (options.tailable && options.awaitData) validateMaxAwaitTimeMS(options.maxAwaitTimeMS, timeoutMS);
}

/**
 * An awaitData getMore waits maxAwaitTimeMS on the server: with a non-zero timeoutMS it must be
 * shorter, else an empty batch could never arrive in time (CSOT spec, Tailable awaitData Cursors).
 */
export function validateMaxAwaitTimeMS(maxAwaitTimeMS: number | undefined, timeoutMS: number | undefined): void {
  if (timeoutMS !== undefined && timeoutMS > 0 && maxAwaitTimeMS !== undefined && maxAwaitTimeMS >= timeoutMS) {
    throw new MongoInvalidArgumentError('maxAwaitTimeMS must be less than timeoutMS');
  }
}

function validateBatchSize(value: number): void {
  // the official driver's message (it checks the type only; ours also refuses NaN and Infinity)
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MongoInvalidArgumentError('Operation "batchSize" requires an integer');
}

/** A cursor whose command can be explained: FindCursor and AggregationCursor (the official driver's class of the same name). */
export abstract class ExplainableCursor<TSchema = any> extends AbstractCursor<TSchema> {
  /** Run the cursor's command under `explain` and return the plan. */
  abstract explain(verbosity?: ExplainVerbosityLike | ExplainCommandOptions): Promise<Document>;

  /**
   * Run `{ explain: command, verbosity }` (true or none = allPlansExecution, false =
   * queryPlanner; `{ verbosity, maxTimeMS }` as the official driver's ExplainCommandOptions).
   */
  protected async explainCommand(command: Document, explain: ExplainVerbosityLike | ExplainCommandOptions | undefined): Promise<Document> {
    const { verbosity, maxTimeMS } = typeof explain === 'object' && explain !== null ? explain : { verbosity: explain, maxTimeMS: undefined };
    const v = verbosity === true || verbosity === undefined ? 'allPlansExecution' : verbosity === false ? 'queryPlanner' : verbosity;
    const cmd = assignDefined({ explain: command, verbosity: v }, { maxTimeMS });
    const { reply } = await this.send(cmd, this.cursorOptions.session, { signal: undefined });
    return reply;
  }
}
