/**
 * The engine of a ChangeStream (change-stream.ts, the light public class watch() returns):
 * the aggregate cursor, resuming, event mode's read loop. Loaded on the stream's first
 * read or `change` listener (cold/index.ts); see change-stream.ts for the behaviour.
 */
import { MongoAPIError, MongoChangeStreamError, MongoOperationTimeoutError, MongoRuntimeError, type Document } from '../errors.js';
import { operationDeadline } from '../client/operation.js';
import type { ExecuteOptions } from '../operation/executor.js';
import { reportUncaught } from '../util/report-uncaught.js';
import type { ClientSession } from '../client/sessions.js';
import { ChangeStreamCursor, type ChangeStreamCursorOptions } from './cursor.js';
import { isResumableChangeStreamError } from './resumable.js';
import { ResumeTokenCache, type ResumePoint } from './resume-token.js';
import { CHANGE_STREAM_CLOSED, type ChangeStreamTarget } from './change-stream.js';
import type { ChangeStreamOptions, ResumeToken } from './types.js';

const NO_RESUME_TOKEN = 'A change stream document has been received that lacks a resume token (_id).';

/** What the engine needs of its ChangeStream. */
export interface ChangeStreamHost {
  emit(event: string, ...args: unknown[]): boolean;
  listenerCount(event: string): number;
  /** close() was called (or the stream closed itself). */
  readonly closedByUser: boolean;
  close(): Promise<void>;
}

export interface ChangeStreamParts {
  readonly target: ChangeStreamTarget;
  readonly pipeline: Document[];
  readonly options: ChangeStreamOptions;
  readonly tokens: ResumeTokenCache;
  readonly session: ClientSession;
}

/** The engine of a stream; its resume-token cache starts from `start` (the options' start point). */
export function newChangeStreamEngine(host: ChangeStreamHost, { start, ...parts }: Omit<ChangeStreamParts, 'tokens'> & { readonly start: ResumePoint }): ChangeStreamEngine {
  return new ChangeStreamEngine(host, { ...parts, tokens: new ResumeTokenCache(start) });
}

export class ChangeStreamEngine {
  readonly #host: ChangeStreamHost;
  readonly #parts: ChangeStreamParts;
  #cursor: ChangeStreamCursor;
  #streaming = false;
  /** CSOT: the deadline of the read in progress (undefined between reads: a command takes its own). */
  #callDeadline: Pick<ExecuteOptions, 'timeout' | 'csot'> | undefined;
  /** A read timed out: the next one resumes before reading. */
  #resumeOnNextRead = false;

  constructor(host: ChangeStreamHost, parts: ChangeStreamParts) {
    this.#host = host;
    this.#parts = parts;
    this.#cursor = this.#createCursor(undefined);
  }

  /** The cached resume token (undefined before there is one). */
  get resumeToken(): ResumeToken | undefined {
    return this.#parts.tokens.token;
  }

  get cursorClosed(): boolean {
    return this.#cursor.closed;
  }

  bufferedCount(): number {
    return this.#cursor.bufferedCount();
  }

  async next(): Promise<Document> {
    return await this.#read(async () => this.#processChange(await this.#cursor.next()));
  }

  async tryNext(): Promise<Document | null> {
    return await this.#read(async () => {
      const change = await this.#cursor.tryNext();
      return change === null ? null : this.#processChange(change);
    });
  }

  async hasNext(): Promise<boolean> {
    return await this.#read(() => this.#cursor.hasNext());
  }

  /**
   * One read of iterator mode under one CSOT deadline (spec "Cursors" and "Change Streams"):
   * the getMores and every command of a resume attempt share it. A read that times out
   * leaves the stream open, and the next read resumes first.
   */
  async #read<T>(step: () => Promise<T>): Promise<T> {
    this.#callDeadline = operationDeadline(this.#parts.target.ctx, this.#parts.options.timeoutMS, this.#parts.session);
    try {
      for (;;) {
        try {
          if (this.#resumeOnNextRead) {
            this.#resumeOnNextRead = false;
            await this.#resume();
          }
          return await step();
        } catch (error) {
          await this.#afterIteratorError(error);
        }
      }
    } finally {
      this.#callDeadline = undefined;
    }
  }

  async start(): Promise<void> {
    await this.#cursor.start();
  }

  async closeCursor(): Promise<void> {
    await this.#cursor.close();
  }

  /** A cursor from the user's options (`resume` undefined), or from a resume point. */
  #createCursor(resume: ResumePoint | undefined): ChangeStreamCursor {
    const o = this.#parts.options;
    const start = resume ?? { resumeAfter: o.resumeAfter, startAfter: o.startAfter, startAtOperationTime: o.startAtOperationTime };
    const stage: Document = {};
    if (this.#parts.target.cluster) stage.allChangesForCluster = true;
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
    const options: ChangeStreamCursorOptions = { ...cursorOptions, session: this.#parts.session };
    const namespace = { db: this.#parts.target.db, collection: this.#parts.target.collection ?? (1 as const) };
    return new ChangeStreamCursor(
      this.#parts.target.ctx,
      namespace,
      [{ $changeStream: stage }, ...this.#parts.pipeline],
      options,
      (reply, initial, wire) => {
        this.#onReply(reply, initial, wire);
      },
      () => this.#callDeadline,
    );
  }

  #onReply(reply: Document, initial: boolean, maxWireVersion: number | undefined): void {
    if (this.#parts.tokens.onReply(reply, initial, maxWireVersion)) this.#host.emit('resumeTokenChanged', this.#parts.tokens.token);
    if (initial) this.#host.emit('init', reply);
    else this.#host.emit('more', reply);
    this.#host.emit('response');
  }

  /** Check and account a change about to be returned: its token is cached. */
  #processChange(change: Document | null): Document {
    if (this.#host.closedByUser) throw new MongoAPIError(CHANGE_STREAM_CLOSED);
    if (change === null) {
      // the server closed the cursor (after an invalidate): the stream is over
      this.#host.emit('end');
      throw new MongoRuntimeError(CHANGE_STREAM_CLOSED);
    }
    if (change._id === undefined || change._id === null) throw new MongoChangeStreamError(NO_RESUME_TOKEN);
    this.#parts.tokens.onChange(change, this.#cursor.bufferedCount() === 0);
    this.#host.emit('resumeTokenChanged', this.#parts.tokens.token);
    return change;
  }

  /** A getMore error of a cursor that was established (an aggregate error never is resumable). */
  #isResumable(error: unknown): boolean {
    return this.#cursor.id !== undefined && isResumableChangeStreamError(error, this.#cursor.maxWireVersion);
  }

  /**
   * Resume after a resumable error, else close and rethrow. A timeout (CSOT) is thrown and
   * the stream stays open: the next read resumes (the server cursor may be mid-getMore).
   */
  async #afterIteratorError(error: unknown): Promise<void> {
    if (this.#host.closedByUser) throw new MongoAPIError(CHANGE_STREAM_CLOSED);
    if (error instanceof MongoOperationTimeoutError) {
      this.#resumeOnNextRead = true;
      throw error;
    }
    if (!this.#isResumable(error)) {
      await this.#host.close().catch(() => undefined);
      throw error;
    }
    await this.#resume();
  }

  async #resume(): Promise<void> {
    const old = this.#cursor;
    await old.close().catch(() => undefined);
    this.#cursor = this.#createCursor(this.#parts.tokens.resumePoint());
  }

  /** Event mode: start the read loop (once). */
  startStreaming(): void {
    if (this.#streaming || this.#host.closedByUser) return;
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
    try {
      await this.#streamRounds();
    } finally {
      this.#callDeadline = undefined;
    }
  }

  async #streamRounds(): Promise<void> {
    while (!this.#host.closedByUser && this.#host.listenerCount('change') > 0) {
      let change: Document;
      // CSOT: each round (its getMores and a resume's aggregate) under one deadline, as a read
      this.#callDeadline = operationDeadline(this.#parts.target.ctx, this.#parts.options.timeoutMS, this.#parts.session);
      try {
        const more = await this.#cursor.hasNext();
        if (this.#host.closedByUser) return;
        // no listener any more: the change stays buffered for the next one
        if (more && this.#host.listenerCount('change') === 0) return;
        change = this.#processChange(more ? await this.#cursor.next() : null);
      } catch (error) {
        if (this.#host.closedByUser) return;
        if (this.#isResumable(error)) {
          await this.#resume();
          continue;
        }
        if (error instanceof MongoOperationTimeoutError) {
          // a timeout does not end the stream: it is reported, and the stream resumes
          await this.#resume();
          this.#emitError(error);
          continue;
        }
        try {
          if (!(error instanceof MongoRuntimeError && error.message === CHANGE_STREAM_CLOSED)) this.#emitError(error);
        } finally {
          await this.#host.close().catch(() => undefined);
        }
        return;
      }
      try {
        this.#host.emit('change', change);
      } catch (error) {
        // a listener threw: reported, the stream goes on (as the official driver)
        this.#emitError(error);
      }
    }
  }

  /** 'error' to its listeners; with none, an uncaught exception (Node's EventEmitter throws an unheard 'error'). */
  #emitError(error: unknown): void {
    if (this.#host.listenerCount('error') > 0) this.#host.emit('error', error);
    else reportUncaught(error);
  }
}
