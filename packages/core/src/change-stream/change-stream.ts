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
 * A CSOT timeout (MongoOperationTimeoutError) does not close it: the next read resumes
 * (event mode: the error is emitted and the stream resumes at once).
 *
 * This class is light: the engine (engine.ts: the cursor, resuming, event mode's loop)
 * loads on the first read or `change` listener (cold/index.ts), so watch() stays synchronous
 * and an app that never watches does not load it.
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
import { loadCold } from '../cold/load.js';
import type { ChangeStreamEngine } from './engine.js';
import type { ResumePoint } from './resume-token.js';
import type { ChangeStreamDocument, ChangeStreamEvents, ChangeStreamOptions, ResumeToken } from './types.js';

export const CHANGE_STREAM_CLOSED = 'ChangeStream is closed';

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
  /** Where the stream starts (the options' start point); the engine's token cache starts from it. */
  readonly #start: ResumePoint;
  readonly #session: ClientSession;
  readonly #ownsSession: boolean;
  #engine: ChangeStreamEngine | undefined;
  #mode: Mode = false;
  #closed = false;

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
    this.#start = { startAfter: options.startAfter, resumeAfter: options.resumeAfter, startAtOperationTime: options.startAtOperationTime };
    this.#ownsSession = options.session === undefined;
    this.#session = options.session ?? startImplicitSession(target.ctx);
  }

  /** The cached resume token: a resume (or a new watch() with `resumeAfter`) starts after it. */
  get resumeToken(): ResumeToken {
    // before the engine loads, the token a resume would use is the start point's (as its cache starts)
    return (this.#engine ? this.#engine.resumeToken : (this.#start.startAfter ?? this.#start.resumeAfter)) ?? null;
  }

  /** Closed by close(), by an error, or by the server (after the last change is read). */
  get closed(): boolean {
    return this.#closed || (this.#engine?.cursorClosed ?? false);
  }

  /** Changes received and not yet returned. */
  bufferedCount(): number {
    return this.#engine?.bufferedCount() ?? 0;
  }

  // ------------------------------------------------------------------ iterator mode

  /**
   * Waits for the next change (resuming after resumable errors). Under `timeoutMS` each call
   * (its getMores and any resume) has that long; a call that times out throws
   * MongoOperationTimeoutError and leaves the stream open: call next() again (it resumes),
   * or close the stream and watch again. A timeout before any change arrived suggests the
   * server could not get through the oplog in time: watch again with a higher timeoutMS.
   */
  async next(): Promise<TChange> {
    this.#setMode('iterator');
    return (await (await this.#load()).next()) as TChange;
  }

  /** The next change if one is buffered or arrives in one getMore; null otherwise. */
  async tryNext(): Promise<TChange | null> {
    this.#setMode('iterator');
    return (await (await this.#load()).tryNext()) as TChange | null;
  }

  /** Waits until a change is available (true), or the server ended the stream (false). */
  async hasNext(): Promise<boolean> {
    this.#setMode('iterator');
    return await (await this.#load()).hasNext();
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
      await (await this.#load()).start();
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
    if (event === 'change' && !this.#closed) {
      // the engine loads first (at once when it is loaded); a failed load is the stream's error
      this.#load().then(
        (engine) => engine.startStreaming(),
        (error: unknown) => {
          if (this.#closed) return; // closed before the engine loaded: nothing to report
          if (this.listenerCount('error') > 0) this.emit('error', error);
          else reportUncaught(error);
        },
      );
    }
    return this;
  }

  // ------------------------------------------------------------------ close

  /** Kill the server cursor (best effort), end the implicit session; idempotent. */
  async close(): Promise<void> {
    const first = !this.#closed;
    this.#closed = true;
    try {
      await this.#engine?.closeCursor();
    } finally {
      if (first) {
        if (this.#ownsSession) this.#session.endSync();
        this.emit('close');
      }
    }
  }

  // ------------------------------------------------------------------ internals

  /** The engine (engine.ts), loaded and made on first use; its load failure is a MongoRuntimeError. */
  async #load(): Promise<ChangeStreamEngine> {
    if (this.#engine) return this.#engine;
    const { newChangeStreamEngine } = await loadCold();
    if (this.#closed) throw new MongoAPIError(CHANGE_STREAM_CLOSED);
    const self = this;
    const host = {
      emit: (event: string, ...args: unknown[]) => this.emit(event, ...args),
      listenerCount: (event: string) => this.listenerCount(event),
      close: () => this.close(),
      get closedByUser(): boolean {
        return self.#closed;
      },
    };
    this.#engine ??= newChangeStreamEngine(host, { target: this.#target, pipeline: this.pipeline, options: this.options, start: this.#start, session: this.#session });
    return this.#engine;
  }

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
