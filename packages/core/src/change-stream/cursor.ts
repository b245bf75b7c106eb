/**
 * One attempt of a change stream: the aggregate with `$changeStream` first, then
 * tailable awaitData getMores (maxAwaitTimeMS as their maxTimeMS) to the same server.
 * Every reply is reported to the ChangeStream with the wire version of the server that
 * answered, read when the reply arrived. A resume makes a new one of these. Under CSOT every
 * command runs under the deadline of the change stream's current next() call (not its own).
 */
import type { Document } from '../errors.js';
import { AggregationCursor, type AggregateNamespace } from '../client/aggregation-cursor.js';
import type { ClientContext } from '../client/operation.js';
import type { ClientSession } from '../client/sessions.js';
import type { ExecuteOptions, ExecuteResult, ManagedOperationExecutor, OperationExecutor } from '../operation/executor.js';
import type { ChangeStreamOptions } from './types.js';

/** What the cursor tells its change stream. */
export type CursorReplyObserver = (reply: Document, initial: boolean, maxWireVersion: number | undefined) => void;

/** The deadline of the change stream's current next() call (CSOT), which every command of the call shares. */
export type CallDeadline = () => Pick<ExecuteOptions, 'timeout' | 'csot'> | undefined;

/** The options that go to the aggregate command and getMore (not to the `$changeStream` stage). */
export type ChangeStreamCursorOptions = Omit<
  ChangeStreamOptions,
  'fullDocument' | 'fullDocumentBeforeChange' | 'resumeAfter' | 'startAfter' | 'startAtOperationTime' | 'showExpandedEvents'
>;

export class ChangeStreamCursor extends AggregationCursor<Document> {
  readonly #observe: CursorReplyObserver;
  readonly #callDeadline: CallDeadline;
  #executor: OperationExecutor | undefined;
  /** Of the server that answered the latest reply (undefined: not known). */
  maxWireVersion: number | undefined;

  constructor(ctx: ClientContext, namespace: AggregateNamespace, pipeline: Document[], options: ChangeStreamCursorOptions, observe: CursorReplyObserver, callDeadline: CallDeadline) {
    super(ctx, namespace, pipeline, { ...options, tailable: true, awaitData: true });
    this.#observe = observe;
    this.#callDeadline = callDeadline;
  }

  protected override imposedDeadline(): Pick<ExecuteOptions, 'timeout' | 'csot'> | undefined {
    return this.#callDeadline();
  }

  /**
   * At most one getMore's worth of changes (as the official driver's tryNext): on a cursor
   * not started yet, the aggregate, then a getMore when its first batch is empty.
   */
  override async tryNext(): Promise<Document | null> {
    await this.ensureInitialized();
    return await super.tryNext();
  }

  /** Send the aggregate now (ChangeStream.init). */
  async start(): Promise<void> {
    await this.ensureInitialized();
  }

  protected override async initialize(session: ClientSession | undefined): Promise<ExecuteResult> {
    this.#executor = await this.ctx.getExecutor();
    return await super.initialize(session);
  }

  protected override onCursorReply(reply: Document, initial: boolean): void {
    this.maxWireVersion = this.#wireVersionOf(this.serverAddress);
    this.#observe(reply, initial, this.maxWireVersion);
  }

  /** From the executor's topology description, when it keeps one (the topology executor does). */
  #wireVersionOf(address: string | undefined): number | undefined {
    if (address === undefined) return undefined;
    const description = (this.#executor as Partial<ManagedOperationExecutor> | undefined)?.description;
    const wire = description?.servers.get(address)?.maxWireVersion;
    return wire !== undefined && wire > 0 ? wire : undefined;
  }
}
