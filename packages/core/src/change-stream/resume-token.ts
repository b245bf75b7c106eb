/**
 * The resume state of a change stream (Change Streams spec "Updating the Cached Resume
 * Token", "startAtOperationTime" and "Resume Process"): which token is cached, and what
 * the `$changeStream` stage of a resume says. No I/O; the ChangeStream feeds it every
 * reply and every change it hands out.
 */
import type { Document } from '../errors.js';
import type { OperationTime, ResumeToken } from './types.js';

/** `startAtOperationTime` (saving and resuming with it) needs 4.0+ (wire version 7). */
const START_AT_OPERATION_TIME_WIRE_VERSION = 7;

/** The stage options a (re)started change stream begins from. */
export interface ResumePoint {
  resumeAfter?: ResumeToken;
  startAfter?: ResumeToken;
  startAtOperationTime?: OperationTime;
}

export class ResumeTokenCache {
  #token: ResumeToken | undefined;
  #postBatchResumeToken: ResumeToken | undefined;
  /** A change was returned to the user (startAfter no longer applies on resume). */
  #hasReceived = false;
  #startAtOperationTime: OperationTime | undefined;
  readonly #startedWithStartAfter: boolean;
  readonly #userStartPoint: boolean;
  #maxWireVersion: number | undefined;

  constructor(options: ResumePoint) {
    this.#startedWithStartAfter = options.startAfter !== undefined;
    this.#userStartPoint = options.startAfter !== undefined || options.resumeAfter !== undefined || options.startAtOperationTime !== undefined;
    // When the change stream is started: startAfter, else resumeAfter, is cached.
    this.#token = options.startAfter ?? options.resumeAfter;
    this.#startAtOperationTime = options.startAtOperationTime;
  }

  /** The token a resume would use now (undefined before there is one). */
  get token(): ResumeToken | undefined {
    return this.#token;
  }

  /**
   * A reply with a batch arrived (`initial`: the aggregate's). Returns true when the
   * cached token changed (an empty batch with a postBatchResumeToken).
   */
  onReply(reply: Document, initial: boolean, maxWireVersion: number | undefined): boolean {
    if (maxWireVersion !== undefined) this.#maxWireVersion = maxWireVersion;
    const cursor = (reply.cursor ?? {}) as Document;
    const batch = (initial ? cursor.firstBatch : cursor.nextBatch) as unknown[] | undefined;
    const empty = !Array.isArray(batch) || batch.length === 0;
    const pbrt = cursor.postBatchResumeToken as ResumeToken | undefined;
    this.#postBatchResumeToken = pbrt;
    if (
      initial &&
      !this.#userStartPoint &&
      this.#startAtOperationTime === undefined &&
      this.#wireAtLeast(START_AT_OPERATION_TIME_WIRE_VERSION) &&
      empty &&
      pbrt === undefined &&
      reply.operationTime !== undefined
    ) {
      this.#startAtOperationTime = reply.operationTime as OperationTime;
    }
    if (empty && pbrt !== undefined) {
      this.#token = pbrt;
      return true;
    }
    return false;
  }

  /**
   * A change is returned to the user; `lastInBatch`: nothing else is buffered. The last
   * change of a batch caches the batch's postBatchResumeToken, any other its `_id`.
   */
  onChange(change: Document, lastInBatch: boolean): void {
    this.#token = lastInBatch && this.#postBatchResumeToken !== undefined ? this.#postBatchResumeToken : change._id;
    this.#hasReceived = true;
  }

  /** The start point of a resume: the cached token, else the operation time, else none. */
  resumePoint(): ResumePoint {
    if (this.#token !== undefined) {
      return this.#startedWithStartAfter && !this.#hasReceived ? { startAfter: this.#token } : { resumeAfter: this.#token };
    }
    if (this.#startAtOperationTime !== undefined && this.#wireAtLeast(START_AT_OPERATION_TIME_WIRE_VERSION)) {
      return { startAtOperationTime: this.#startAtOperationTime };
    }
    return {};
  }

  /** Unknown wire versions (executors that do not track servers) count as current servers. */
  #wireAtLeast(version: number): boolean {
    return this.#maxWireVersion === undefined || this.#maxWireVersion >= version;
  }
}
