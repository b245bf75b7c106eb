/**
 * `db.runCursorCommand(command)`: a cursor over any command that answers with one
 * (Run Command spec): the command is sent as given (plus $db, lsid, $readPreference;
 * nothing inherited from the Db), and its getMores carry what `setBatchSize`,
 * `setMaxTimeMS` and `setComment` set. The builder methods that would change the
 * command itself are refused, as in the official driver.
 */
import { MongoAPIError, type Document } from '../errors.js';
import type { ReadConcernLike } from './concerns.js';
import type { ReadPreferenceLike } from '../selection/read-preference.js';
import { AbstractCursor, type CursorTimeoutMode } from './abstract-cursor.js';
import type { ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';
import type { ExecuteResult } from '../operation/executor.js';

export interface RunCursorCommandOptions {
  readPreference?: ReadPreferenceLike;
  session?: ClientSession;
  /** For a tailable awaitData cursor: getMores wait server-side. */
  tailable?: boolean;
  awaitData?: boolean;
  signal?: AbortSignal;
  /** Client Side Operations Timeout (AbstractCursorOptions). */
  timeoutMS?: number;
  timeoutMode?: CursorTimeoutMode;
}

export class RunCommandCursor extends AbstractCursor<any> {
  readonly command: Readonly<Document>;
  #getMoreMaxTimeMS: number | undefined;

  constructor(ctx: ClientContext, db: string, command: Document, options: RunCursorCommandOptions = {}) {
    super(ctx, { db, collection: '$cmd' }, options);
    this.command = Object.freeze({ ...command });
  }

  /** The getMore `comment`. */
  setComment(comment: unknown): this {
    this.cursorOptions.comment = comment;
    return this;
  }

  /** The getMore `maxTimeMS`. */
  setMaxTimeMS(maxTimeMS: number): this {
    this.#getMoreMaxTimeMS = maxTimeMS;
    return this;
  }

  /** The getMore `batchSize`. */
  setBatchSize(batchSize: number): this {
    this.cursorOptions.batchSize = batchSize;
    return this;
  }

  protected buildCommand(): Document {
    return { ...this.command };
  }

  /** Sent once: a command run as given is never retried (Run Command spec). */
  protected override async initialize(session: ClientSession | undefined): Promise<ExecuteResult> {
    return await this.send(this.buildCommand(), session, { retryable: false });
  }

  protected override getMoreMaxTimeMS(): number | undefined {
    return this.#getMoreMaxTimeMS;
  }

  override clone(): never {
    throw new MongoAPIError('Clone not supported, create a new cursor');
  }

  override withReadConcern(_readConcern: ReadConcernLike): never {
    throw new MongoAPIError('RunCommandCursor does not support readConcern it must be attached to the command being run');
  }

  override maxTimeMS(_value: number): never {
    throw new MongoAPIError('maxTimeMS must be configured on the command document directly, to configure getMore.maxTimeMS use cursor.setMaxTimeMS()');
  }

  override batchSize(_value: number): never {
    throw new MongoAPIError('batchSize must be configured on the command document directly, to configure getMore.batchSize use cursor.setBatchSize()');
  }
}
