/**
 * ChangeStream: what `watch()` returns on a collection, a database or a client (Change
 * Streams spec; the official driver's API). A resumable view over a tailable awaitData
 * aggregate cursor (cursor.ts). Two ways to read it, never both (as the official driver):
 * iterator mode (`next`, `tryNext`, `hasNext`, `for await`, the streams) and event mode
 * (`on('change')`).
 *
 * Resume (spec "Resume Process"): a getMore error that isResumableChangeStreamError
 * (resumable.ts) closes the old cursor (killCursors to its server, best effort) and
 * starts a new aggregate, which selects a server anew with the stream's read
 * preference, from the cached resume token, else the saved operation time
 * (resume-token.ts), in the same session. An error of an aggregate is never resumed, so
 * each error is resumed once; any other error closes the stream and is thrown (emitted).
 *
 * Event mode's errors (a getMore error that is not resumed, a `change` listener that
 * throws) are emitted as 'error'. With no 'error' listener they are not dropped: as Node's
 * EventEmitter (the official driver's) throws an unheard 'error', they are raised as an
 * uncaught exception of the platform (util/report-uncaught.ts; a getMore error still
 * closes the stream); the same for an 'error' listener that itself throws.
 */
import {
  MongoAPIError,
  MongoChangeStreamError,
  MongoInvalidArgumentError,
  MongoRuntimeError,
  type Document,
} from '../errors.js';
import { TypedEmitter, type GenericListener, type Listener } from '../util/emitter.js';
import { reportUncaught } from '../util/report-uncaught.js';
import { withInherited } from '../client/concerns.js';
import type { ReadConcern } from '../concern/read-concern.js';
import type { BSONSerializeOptions } from '../wire/bson-options.js';
import { startImplicitSession, type ClientContext } from '../client/operation.js';
import type { ClientSession } from '../client/sessions.js';
import type { ReadPreference } from '../selection/read-preference.js';
import { cursorStream, cursorToReadableStream, type CursorStream, type CursorStreamOptions, type DocumentSource } from '../client/streams.js';
import { ChangeStreamCursor, type ChangeStreamCursorOptions } from './cursor.js';
import { isResumableChangeStreamError } from './resumable.js';
import { ResumeTokenCache, type ResumePoint } from './resume-token.js';
import type { ChangeStreamDocument, ChangeStreamEvents, ChangeStreamOptions, ResumeToken } from './types.js';

const CHANGE_STREAM_CLOSED = 'ChangeStream is closed';
const NO_RESUME_TOKEN = 'A change stream document has been received that lacks a resume token (_id).';

/** What a change stream watches: built by Collection.watch, Db.watch and MongoClient.watch. */
export interface ChangeStreamTarget {
  readonly ctx: ClientContext;
  /** The Collection, Db or MongoClient watch() was called on. */
  readonly parent: object;
  /** The database of the aggregate ('admin' for a client). */
  readonly db: string;
  /** The collection watched; undefined for a database or the whole cluster. */
  readonly collection: string | undefined;
  /** MongoClient.watch: `allChangesForCluster: true`. */
  readonly cluster: boolean;
  readonly readPreference: ReadPreference;
  readonly readConcern: ReadConcern | undefined;
  /** The parent's BSON options (promoteLongs, useBigInt64, ...): the changes are decoded with them. */
  readonly bsonOptions: BSONSerializeOptions;
}

type Mode = false | 'iterator' | 'emitter';

export class ChangeStream<TSchema extends Document = Document, TChange extends Document = ChangeStreamDocument<TSchema>> extends TypedEmitter<
  ChangeStreamEvents<TSchema, TChange>
> {
  static readonly RESPONSE = 'response' as const;
  static readonly MORE = 'more' as const;
  static readonly INIT = 'init' as const;
  static readonly CLOSE = 'close' as const;
  static readonly CHANGE = 'change' as const;
  static readonly END = 'end' as const;
  static readonly ERROR = 'error' as const;
  static readonly RESUME_TOKEN_CHANGED = 'resumeTokenChanged' as const;

  /** The stages after `$changeStream`. */
  readonly pipeline: Document[];
  readonly options: ChangeStreamOptions;
  /** The Collection, Db or MongoClient watched. */
  readonly parent: object;
  /** The database and collection watched (no collection for a database or a client). */
  readonly namespace: { readonly db: string; readonly collection: string | undefined };

  readonly #target: ChangeStreamTarget;
  readonly #tokens: ResumeTokenCache;
  readonly #session: ClientSession;
  readonly #ownsSession: boolean;
  #cursor: ChangeStreamCursor;
  #mode: Mode = false;
  #closed = false;
  #streaming = false;

  /** @internal use Collection.watch, Db.watch or MongoClient.watch. */
  constructor(target: ChangeStreamTarget, pipeline: Document[] = [], options: ChangeStreamOptions = {}) {
    super();
    if (!Array.isArray(pipeline)) throw new MongoInvalidArgumentError('Argument "pipeline" must be an array of aggregation stages');
    this.#target = target;
    this.parent = target.parent;
    this.namespace = Object.freeze({ db: target.db, collection: target.collection });
    this.pipeline = pipeline;
    // a change stream never writes: no write concern is inherited
    const { writeConcern: _wc, ...inherited } = withInherited({ ...options }, { ...target, writeConcern: undefined });
    this.options = inherited;
    this.#tokens = new ResumeTokenCache(options);
    this.#ownsSession = options.session === undefined;
    this.#session = options.session ?? startImplicitSession(target.ctx);
    this.#cursor = this.#createCursor(undefined);
  }

  /** The cached resume token: a resume (or a new watch() with `resumeAfter`) starts after it. */
  get resumeToken(): ResumeToken {
    return this.#tokens.token ?? null;
  }

  /** Closed by close(), by an error, or by the server (after the last change is read). */
  get closed(): boolean {
    return this.#closed || this.#cursor.closed;
  }

  /** Changes received and not yet returned. */
  bufferedCount(): number {
    return this.#cursor.bufferedCount();
  }

  // ------------------------------------------------------------------ iterator mode

  /** Waits for the next change (resuming after resumable errors). */
  async next(): Promise<TChange> {
    this.#setMode('iterator');
    for (;;) {
      try {
        return this.#processChange(await this.#cursor.next());
      } catch (error) {
        await this.#afterIteratorError(error);
      }
    }
  }

  /** The next change if one is buffered or arrives in one getMore; null otherwise. */
  async tryNext(): Promise<TChange | null> {
    this.#setMode('iterator');
    for (;;) {
      try {
        const change = await this.#cursor.tryNext();
        return change === null ? null : this.#processChange(change);
      } catch (error) {
        await this.#afterIteratorError(error);
      }
    }
  }

  /** Waits until a change is available (true), or the server ended the stream (false). */
  async hasNext(): Promise<boolean> {
    this.#setMode('iterator');
    for (;;) {
      try {
        return await this.#cursor.hasNext();
      } catch (error) {
        await this.#afterIteratorError(error);
      }
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TChange, void, void> {
    if (this.closed) return;
    try {
      for (;;) yield await this.next();
    } finally {
      await this.close().catch(() => undefined);
    }
  }

  /**
   * @internal Send the aggregate now (the unified test runner's createChangeStream);
   * otherwise the first read sends it.
   */
  async init(): Promise<void> {
    try {
      await this.#cursor.start();
    } catch (error) {
      await this.close().catch(() => undefined);
      throw error;
    }
  }

  /** A Node.js Readable of the changes (on the Node entry), resuming as next() does; destroying it closes the stream. */
  stream(options?: CursorStreamOptions): CursorStream<TChange> {
    if (this.closed) throw new MongoChangeStreamError(CHANGE_STREAM_CLOSED);
    this.#setMode('iterator');
    return cursorStream<TChange>(this.#source(), options);
  }

  /** A WHATWG ReadableStream of the changes (any platform), resuming as next() does; cancelling it closes the stream. */
  toReadableStream(options?: CursorStreamOptions): ReadableStream<TChange> {
    if (this.closed) throw new MongoChangeStreamError(CHANGE_STREAM_CLOSED);
    this.#setMode('iterator');
    return cursorToReadableStream<TChange>(this.#source(), options);
  }

  // ------------------------------------------------------------------ event mode

  /** Adding a `change` listener starts event mode: changes are read and emitted until close(). */
  override on<K extends keyof ChangeStreamEvents<TSchema, TChange> & string>(event: K, listener: Listener<ChangeStreamEvents<TSchema, TChange>[K]>): this;
  override on(event: string, listener: GenericListener): this;
  override on(event: string, listener: GenericListener): this {
    if (event === 'change') this.#setMode('emitter');
    super.on(event, listener);
    if (event === 'change') this.#startStreaming();
    return this;
  }

  // ------------------------------------------------------------------ close

  /** Kill the server cursor (best effort), end the implicit session; idempotent. */
  async close(): Promise<void> {
    const first = !this.#closed;
    this.#closed = true;
    try {
      await this.#cursor.close();
    } finally {
      if (first) {
        if (this.#ownsSession) this.#session.endSync();
        this.emit('close');
      }
    }
  }

  // ------------------------------------------------------------------ internals

  #setMode(mode: 'iterator' | 'emitter'): void {
    if (this.#mode !== false && this.#mode !== mode) {
      throw new MongoAPIError(
        mode === 'iterator'
          ? 'ChangeStream cannot be used as an iterator after being used as an EventEmitter'
          : 'ChangeStream cannot be used as an EventEmitter after being used as an iterator',
      );
    }
    this.#mode = mode;
  }

  /** A cursor from the user's options (`resume` undefined), or from a resume point. */
  #createCursor(resume: ResumePoint | undefined): ChangeStreamCursor {
    const o = this.options;
    const start = resume ?? { resumeAfter: o.resumeAfter, startAfter: o.startAfter, startAtOperationTime: o.startAtOperationTime };
    const stage: Document = {};
    if (this.#target.cluster) stage.allChangesForCluster = true;
    for (const [k, v] of Object.entries({
      fullDocument: o.fullDocument,
      fullDocumentBeforeChange: o.fullDocumentBeforeChange,
      resumeAfter: start.resumeAfter,
      startAfter: start.startAfter,
      startAtOperationTime: start.startAtOperationTime,
      showExpandedEvents: o.showExpandedEvents,
    })) {
      if (v !== undefined) stage[k] = v;
    }
    const {
      fullDocument: _fd,
      fullDocumentBeforeChange: _fdbc,
      resumeAfter: _ra,
      startAfter: _sa,
      startAtOperationTime: _sat,
      showExpandedEvents: _see,
      ...cursorOptions
    } = o;
    const options: ChangeStreamCursorOptions = { ...cursorOptions, session: this.#session };
    const namespace = { db: this.#target.db, collection: this.#target.collection ?? (1 as const) };
    return new ChangeStreamCursor(this.#target.ctx, namespace, [{ $changeStream: stage }, ...this.pipeline], options, (reply, initial, wire) => {
      this.#onReply(reply, initial, wire);
    });
  }

  #onReply(reply: Document, initial: boolean, maxWireVersion: number | undefined): void {
    if (this.#tokens.onReply(reply, initial, maxWireVersion)) this.emit('resumeTokenChanged', this.#tokens.token);
    if (initial) this.emit('init', reply);
    else this.emit('more', reply);
    this.emit('response');
  }

  /** Check and account a change about to be returned: its token is cached. */
  #processChange(change: Document | null): TChange {
    if (this.#closed) throw new MongoAPIError(CHANGE_STREAM_CLOSED);
    if (change === null) {
      // the server closed the cursor (after an invalidate): the stream is over
      this.emit('end');
      throw new MongoRuntimeError(CHANGE_STREAM_CLOSED);
    }
    if (change._id === undefined || change._id === null) throw new MongoChangeStreamError(NO_RESUME_TOKEN);
    this.#tokens.onChange(change, this.#cursor.bufferedCount() === 0);
    this.emit('resumeTokenChanged', this.#tokens.token);
    return change as TChange;
  }

  /** A getMore error of a cursor that was established (an aggregate error never is resumable). */
  #isResumable(error: unknown): boolean {
    return this.#cursor.id !== undefined && isResumableChangeStreamError(error, this.#cursor.maxWireVersion);
  }

  /** Resume after a resumable error, else close and rethrow. */
  async #afterIteratorError(error: unknown): Promise<void> {
    if (this.#closed) throw new MongoAPIError(CHANGE_STREAM_CLOSED);
    if (!this.#isResumable(error)) {
      await this.close().catch(() => undefined);
      throw error;
    }
    await this.#resume();
  }

  async #resume(): Promise<void> {
    const old = this.#cursor;
    await old.close().catch(() => undefined);
    this.#cursor = this.#createCursor(this.#tokens.resumePoint());
  }

  #startStreaming(): void {
    if (this.#streaming || this.#closed) return;
    this.#streaming = true;
    // a throwing `error` listener ends the loop (nothing else can reject it): its error is
    // uncaught, as it would be from the official driver's stream callback
    void this.#streamEvents()
      .catch(reportUncaught)
      .finally(() => {
        this.#streaming = false;
      });
  }

  /** Event mode: read and emit changes while there are `change` listeners and the stream is open. */
  async #streamEvents(): Promise<void> {
    while (!this.#closed && this.listenerCount('change') > 0) {
      let change: TChange;
      try {
        const more = await this.#cursor.hasNext();
        if (this.#closed) return;
        // no listener any more: the change stays buffered for the next one
        if (more && this.listenerCount('change') === 0) return;
        change = this.#processChange(more ? await this.#cursor.next() : null);
      } catch (error) {
        if (this.#closed) return;
        if (this.#isResumable(error)) {
          await this.#resume();
          continue;
        }
        try {
          if (!(error instanceof MongoRuntimeError && error.message === CHANGE_STREAM_CLOSED)) this.#emitError(error);
        } finally {
          await this.close().catch(() => undefined);
        }
        return;
      }
      try {
        this.emit('change', change);
      } catch (error) {
        // a listener threw: reported, the stream goes on (as the official driver)
        this.#emitError(error);
      }
    }
  }

  /** 'error' to its listeners; with none, an uncaught exception (Node's EventEmitter throws an unheard 'error'). */
  #emitError(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else reportUncaught(error);
  }

  /** For the streams: null once the stream is over (closed, or ended by the server), errors otherwise. */
  #source(): DocumentSource<TChange> {
    const next = async (): Promise<TChange | null> => {
      if (this.#closed) return null;
      try {
        return await this.next();
      } catch (error) {
        if ((error instanceof MongoAPIError || error instanceof MongoRuntimeError) && error.message === CHANGE_STREAM_CLOSED) return null;
        throw error;
      }
    };
    return {
      next,
      close: async () => {
        await this.close();
      },
      async *[Symbol.asyncIterator]() {
        for (let change = await next(); change !== null; change = await next()) yield change;
      },
    };
  }
}
