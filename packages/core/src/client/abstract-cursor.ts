/**
 * The cursor machinery shared by find, aggregate, listCollections and
 * listIndexes: lazy (no I/O until first use), a buffered batch, getMore to the
 * server that owns the cursor, killCursors on early close, the implicit session
 * released when the cursor is exhausted or closed.
 */
import { Long } from 'bson';
import { MongoCursorExhaustedError, MongoInvalidArgumentError, MongoNetworkError, MongoServerError, type Document } from '../errors.js';
import type { ReadPreference } from '../selection/read-preference.js';
import type { ReadConcernLike } from './concerns.js';
import { MongoCursorInUseError, MongoUnexpectedServerResponseError } from '../errors.js';
import type { ExecuteResult } from './executor.js';
import { executeCommand, startImplicitSession, type ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';

export interface CursorNamespace {
  readonly db: string;
  readonly collection: string;
}

export interface AbstractCursorOptions {
  session?: ClientSession;
  readPreference?: ReadPreference;
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
}

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

  private documents: Document[] = [];
  private docIndex = 0;
  private cursorId: Long | undefined;
  private server: string | undefined;
  private cursorNs: CursorNamespace;
  private session: ClientSession | undefined;
  private ownsSession = false;
  private initialized = false;
  private isClosed = false;
  private isKilled = false;
  /** close() killed a live server cursor: iterating further throws (as the official driver). */
  private killedByClose = false;
  private pendingCleanup: Promise<void> | undefined;
  private transforms: Transform[] = [];
  /** Documents handed out (for find's limit arithmetic). */
  protected numReturned = 0;

  protected constructor(ctx: ClientContext, namespace: CursorNamespace, options: AbstractCursorOptions = {}) {
    this.ctx = ctx;
    this.namespace = namespace;
    this.cursorNs = namespace;
    this.cursorOptions = { ...options };
    if (options.batchSize !== undefined) validateBatchSize(options.batchSize);
  }

  /** Send the command that creates the cursor (find, aggregate, ...). */
  protected abstract initialize(session: ClientSession | undefined): Promise<ExecuteResult>;

  /** A fresh, unstarted cursor with the same options. */
  abstract clone(): AbstractCursor<TSchema>;

  /** getMore batchSize; `null` means the cursor is done (e.g. find's limit reached). */
  protected getMoreBatchSize(): number | undefined | null {
    return this.cursorOptions.batchSize || undefined;
  }

  // ------------------------------------------------------------------ state

  /** The server cursor id (undefined before the first batch). */
  get id(): Long | undefined {
    return this.cursorId;
  }

  /** Closed, and every locally buffered document has been handed out (as the official driver). */
  get closed(): boolean {
    return this.isClosed && this.bufferedCount() === 0;
  }

  get killed(): boolean {
    return this.isKilled;
  }

  get readPreference(): ReadPreference | undefined {
    return this.cursorOptions.readPreference;
  }

  get readConcern(): ReadConcernLike | undefined {
    return this.cursorOptions.readConcern;
  }

  /** The address of the server that owns the cursor. */
  get serverAddress(): string | undefined {
    return this.server;
  }

  protected get started(): boolean {
    return this.initialized;
  }

  bufferedCount(): number {
    return this.documents.length - this.docIndex;
  }

  /** Take up to `number` buffered documents (all by default) without I/O; transforms are not applied. */
  readBufferedDocuments(number?: number): TSchema[] {
    const n = Math.min(number ?? this.bufferedCount(), this.bufferedCount());
    const out = this.documents.slice(this.docIndex, this.docIndex + n);
    this.docIndex += n;
    this.numReturned += n;
    return out as TSchema[];
  }

  // ------------------------------------------------------------------ modifiers

  protected throwIfInitialized(): void {
    if (this.initialized) throw new MongoCursorInUseError();
  }

  batchSize(value: number): this {
    this.throwIfInitialized();
    validateBatchSize(value);
    this.cursorOptions.batchSize = value;
    return this;
  }

  maxTimeMS(value: number): this {
    this.throwIfInitialized();
    if (typeof value !== 'number' || value < 0) throw new MongoInvalidArgumentError('maxTimeMS must be a non-negative number');
    this.cursorOptions.maxTimeMS = value;
    return this;
  }

  comment(value: unknown): this {
    this.throwIfInitialized();
    this.cursorOptions.comment = value;
    return this;
  }

  withReadPreference(readPreference: ReadPreference): this {
    this.throwIfInitialized();
    this.cursorOptions.readPreference = readPreference;
    return this;
  }

  withReadConcern(readConcern: ReadConcernLike): this {
    this.throwIfInitialized();
    this.cursorOptions.readConcern = readConcern;
    return this;
  }

  /** Apply `transform` to every document this cursor returns. */
  map<T = any>(transform: (doc: TSchema) => T): AbstractCursor<T> {
    this.throwIfInitialized();
    if (typeof transform !== 'function') throw new MongoInvalidArgumentError('map() requires a function');
    this.transforms.push(transform);
    return this as unknown as AbstractCursor<T>;
  }

  protected copyTransformsTo(other: AbstractCursor<any>): void {
    other.transforms = [...this.transforms];
  }

  // ------------------------------------------------------------------ iteration

  private get exhausted(): boolean {
    return this.isClosed || (this.initialized && (this.cursorId === undefined || this.cursorId.isZero()));
  }

  private applyTransforms(doc: Document): TSchema {
    let out: unknown = doc;
    for (const t of this.transforms) out = t(out);
    return out as TSchema;
  }

  private take(): Document {
    const doc = this.documents[this.docIndex]!;
    this.docIndex += 1;
    if (this.docIndex === this.documents.length) {
      this.documents = [];
      this.docIndex = 0;
    }
    this.numReturned += 1;
    return doc;
  }

  /** Fetch one batch (initial command or getMore). */
  private async fetchBatch(): Promise<void> {
    if (!this.initialized) {
      await this.init();
      return;
    }
    if (this.exhausted) return;
    const batchSize = this.getMoreBatchSize();
    if (batchSize === null) {
      await this.closeCursor(false);
      return;
    }
    const getMore: Document = { getMore: this.cursorId, collection: this.cursorNs.collection };
    if (batchSize !== undefined && batchSize > 0) getMore.batchSize = batchSize;
    if (this.cursorOptions.tailable && this.cursorOptions.awaitData && this.cursorOptions.maxAwaitTimeMS !== undefined) {
      getMore.maxTimeMS = this.cursorOptions.maxAwaitTimeMS;
    }
    if (this.cursorOptions.comment !== undefined) getMore.comment = this.cursorOptions.comment;
    let reply: Document;
    try {
      ({ reply } = await executeCommand(this.ctx, this.cursorNs.db, getMore, {
        session: this.session,
        pinnedServer: this.server,
        signal: this.cursorOptions.signal,
      }));
    } catch (error) {
      const serverGone = error instanceof MongoNetworkError || (error instanceof MongoServerError && error.code === CURSOR_NOT_FOUND);
      if (serverGone) this.markKilled();
      await this.closeCursor(false);
      throw error;
    }
    const cursor = reply.cursor as Document | undefined;
    if (!cursor) throw new MongoUnexpectedServerResponseError('getMore reply has no cursor');
    this.cursorId = toLong(cursor.id ?? 0);
    this.pushBatch(cursor.nextBatch);
    if (this.cursorId.isZero()) this.releaseSession();
  }

  private pushBatch(batch: unknown): void {
    if (!Array.isArray(batch) || batch.length === 0) return;
    if (this.bufferedCount() === 0) {
      this.documents = batch as Document[];
      this.docIndex = 0;
    } else {
      this.documents = [...this.documents.slice(this.docIndex), ...(batch as Document[])];
      this.docIndex = 0;
    }
  }

  private async init(): Promise<void> {
    if (this.pendingCleanup) {
      const p = this.pendingCleanup;
      this.pendingCleanup = undefined;
      await p;
    }
    this.initialized = true;
    const explicit = this.cursorOptions.session;
    if (explicit) {
      this.session = explicit;
      this.ownsSession = false;
    } else {
      this.session = startImplicitSession(this.ctx);
      this.ownsSession = true;
    }
    let result: ExecuteResult;
    try {
      result = await this.initialize(this.session);
    } catch (error) {
      this.isClosed = true;
      this.releaseSession();
      throw error;
    }
    this.server = result.address;
    const cursor = result.reply.cursor as Document | undefined;
    if (!cursor) {
      // e.g. explain or a command that answered without a cursor: the reply is the single document
      this.cursorId = Long.ZERO;
      this.pushBatch([result.reply]);
      this.releaseSession();
      return;
    }
    this.cursorId = toLong(cursor.id ?? 0);
    this.cursorNs = parseNamespace(cursor.ns, this.namespace);
    this.pushBatch(cursor.firstBatch);
    if (this.cursorId.isZero()) this.releaseSession();
  }

  /** Next document, or null when the cursor is exhausted. */
  async next(): Promise<TSchema | null> {
    this.throwIfKilledByClose();
    for (;;) {
      if (this.bufferedCount() > 0) return this.applyTransforms(this.take());
      if (this.exhausted) {
        await this.cleanupExhausted();
        return null;
      }
      await this.fetchBatch();
    }
  }

  /** Like next(), but fetches at most one batch: null if that batch is empty (tailable cursors). */
  async tryNext(): Promise<TSchema | null> {
    this.throwIfKilledByClose();
    if (this.bufferedCount() === 0 && !this.exhausted) await this.fetchBatch();
    if (this.bufferedCount() > 0) return this.applyTransforms(this.take());
    if (this.exhausted) await this.cleanupExhausted();
    return null;
  }

  async hasNext(): Promise<boolean> {
    this.throwIfKilledByClose();
    for (;;) {
      if (this.bufferedCount() > 0) return true;
      if (this.exhausted) {
        await this.cleanupExhausted();
        return false;
      }
      await this.fetchBatch();
    }
  }

  async toArray(): Promise<TSchema[]> {
    const out: TSchema[] = [];
    for (;;) {
      while (this.bufferedCount() > 0) out.push(this.applyTransforms(this.take()));
      if (this.exhausted) break;
      await this.fetchBatch();
    }
    await this.cleanupExhausted();
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
      for (;;) {
        const doc = await this.next();
        if (doc === null) return;
        yield doc;
      }
    } finally {
      if (!this.isClosed) await this.close();
    }
  }

  /** Kill the server cursor if still open (to its server), release the session. Idempotent. */
  async close(): Promise<void> {
    await this.closeCursor(true);
  }

  /** `byUser`: close() was called, so a killed cursor refuses further iteration. */
  private async closeCursor(byUser: boolean): Promise<void> {
    if (this.pendingCleanup) {
      const p = this.pendingCleanup;
      this.pendingCleanup = undefined;
      await p;
    }
    if (this.isClosed && !this.ownsSession) return;
    this.isClosed = true;
    // The buffer is kept (readBufferedDocuments, and `closed` stays false until it is
    // drained), as the official driver does; a killed cursor refuses further iteration.
    if ((await this.killServerCursor()) && byUser) this.killedByClose = true;
    this.releaseSession();
  }


  /**
   * Back to the unstarted state; iterating again re-runs the initial command. A
   * still-open server cursor is killed before that command is sent.
   */
  rewind(): void {
    if (!this.initialized) return;
    const id = this.cursorId;
    const server = this.server;
    const ns = this.cursorNs;
    const session = this.session;
    const owns = this.ownsSession;
    const live = !this.isKilled && id !== undefined && !id.isZero();
    this.documents = [];
    this.docIndex = 0;
    this.cursorId = undefined;
    this.server = undefined;
    this.cursorNs = this.namespace;
    this.session = undefined;
    this.ownsSession = false;
    this.initialized = false;
    this.isClosed = false;
    this.isKilled = false;
    this.killedByClose = false;
    this.numReturned = 0;
    const previous = this.pendingCleanup;
    this.pendingCleanup = (async () => {
      await previous;
      try {
        if (live) await this.sendKillCursors(id, server, ns, session);
      } catch {
        // best effort: the server reaps abandoned cursors
      } finally {
        if (owns) session?.endSync();
      }
    })();
  }

  // ------------------------------------------------------------------ cleanup

  private throwIfKilledByClose(): void {
    if (this.killedByClose) throw new MongoCursorExhaustedError();
  }

  private markKilled(): void {
    this.isKilled = true;
    this.cursorId = Long.ZERO;
  }

  private async cleanupExhausted(): Promise<void> {
    if (this.exhausted && !this.isClosed) this.isClosed = true;
    this.releaseSession();
  }

  /** True if a live server cursor was killed (killCursors attempted). */
  private async killServerCursor(): Promise<boolean> {
    const id = this.cursorId;
    if (this.isKilled || id === undefined || id.isZero()) return false;
    this.isKilled = true;
    try {
      await this.sendKillCursors(id, this.server, this.cursorNs, this.session);
    } catch {
      // best effort, like the official driver
    }
    return true;
  }

  private async sendKillCursors(id: Long, server: string | undefined, ns: CursorNamespace, session: ClientSession | undefined): Promise<void> {
    await executeCommand(this.ctx, ns.db, { killCursors: ns.collection, cursors: [id] }, {
      session: session && !session.hasEnded ? session : undefined,
      pinnedServer: server,
    });
  }

  private releaseSession(): void {
    if (this.ownsSession && this.session) this.session.endSync();
    this.ownsSession = false;
  }
}

function validateBatchSize(value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MongoInvalidArgumentError('batchSize must be a number');
}
