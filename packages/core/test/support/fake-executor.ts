/**
 * An in-memory OperationExecutor for tests: records every command and answers
 * with canned replies (per command name, or a queue of one-off replies). Not a
 * database: handlers decide what each reply says.
 */
import { Long } from 'bson';
import { MongoServerError, type Document } from '../../src/errors.js';
import {
  DEFAULT_WIRE_LIMITS,
  type ExecuteOptions,
  type ExecuteResult,
  type ManagedOperationExecutor,
  type WireLimits,
} from '../../src/operation/executor.js';

export interface RecordedCall {
  db: string;
  command: Document;
  /** The command name (first key). */
  name: string;
  options: ExecuteOptions;
  /** lsid as the executor would have sent it (undefined when no session / sessions unsupported). */
  lsid: Document | undefined;
  txnNumber: Long | undefined;
}

export type FakeHandler = (command: Document, call: RecordedCall) => Document | Error | Promise<Document | Error>;

export class FakeExecutor implements ManagedOperationExecutor {
  readonly calls: RecordedCall[] = [];
  address = 'localhost:27017';
  wireLimits: WireLimits = { ...DEFAULT_WIRE_LIMITS };
  sessionTimeoutMinutes: number | null = 30;
  retryWritesSupported = true;
  connectCount = 0;
  closeCount = 0;
  connectError: Error | undefined;
  private readonly handlers = new Map<string, FakeHandler>();
  private readonly queue: Array<{ name: string | undefined; handler: FakeHandler }> = [];

  /** Answer every `name` command with `handler`. */
  on(name: string, handler: FakeHandler | Document): this {
    this.handlers.set(name, typeof handler === 'function' ? (handler as FakeHandler) : () => handler);
    return this;
  }

  /** Answer the next `name` command (or the next command of any name) once. */
  once(name: string | undefined, handler: FakeHandler | Document | Error): this {
    this.queue.push({ name, handler: typeof handler === 'function' ? (handler as FakeHandler) : () => handler });
    return this;
  }

  /** Calls with the given command name. */
  named(name: string): RecordedCall[] {
    return this.calls.filter((c) => c.name === name);
  }

  async connect(): Promise<void> {
    this.connectCount += 1;
    if (this.connectError) throw this.connectError;
  }

  async close(): Promise<void> {
    this.closeCount += 1;
  }

  limits(): WireLimits {
    return this.wireLimits;
  }

  logicalSessionTimeoutMinutes(): number | null {
    return this.sessionTimeoutMinutes;
  }

  async execute(db: string, command: Document, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const name = Object.keys(command)[0] ?? '';
    const session = options.session;
    let lsid: Document | undefined;
    let txnNumber: Long | undefined;
    if (session && this.sessionTimeoutMinutes !== null) {
      lsid = session.id as unknown as Document;
      if (options.retryable === 'write' && this.retryWritesSupported) {
        session.incrementTransactionNumber();
        txnNumber = session.txnNumber;
      }
    }
    const call: RecordedCall = { db, command: structuredCloneSafe(command), name, options, lsid, txnNumber };
    this.calls.push(call);
    const i = this.queue.findIndex((q) => q.name === undefined || q.name === name);
    const handler = i >= 0 ? this.queue.splice(i, 1)[0]!.handler : (this.handlers.get(name) ?? defaultHandler);
    const out = await handler(command, call);
    if (out instanceof Error) throw out;
    if (options.moreToCome) return { reply: { ok: 1 }, address: this.address };
    if (out.ok === 0) throw new MongoServerError(out);
    return { reply: out, address: this.address };
  }
}

/** Commands are recorded by reference to their top-level fields; keep Longs etc. intact. */
function structuredCloneSafe(command: Document): Document {
  return { ...command };
}

const defaultHandler: FakeHandler = (command, call) => {
  const name = call.name;
  const seq = call.options.sequences ?? {};
  switch (name) {
    case 'insert':
      return { ok: 1, n: (seq.documents ?? (command.documents as Document[] | undefined) ?? []).length };
    case 'update':
      return { ok: 1, n: (seq.updates ?? []).length, nModified: (seq.updates ?? []).length };
    case 'delete':
      return { ok: 1, n: (seq.deletes ?? []).length };
    case 'find':
    case 'aggregate':
    case 'listCollections':
    case 'listIndexes':
      return { ok: 1, cursor: { id: Long.ZERO, ns: `${call.db}.${String(command[name])}`, firstBatch: [] } };
    case 'getMore':
      return { ok: 1, cursor: { id: Long.ZERO, ns: `${call.db}.${String(command.collection)}`, nextBatch: [] } };
    case 'killCursors':
      return { ok: 1, cursorsKilled: command.cursors };
    case 'count':
      return { ok: 1, n: 0 };
    case 'distinct':
      return { ok: 1, values: [] };
    case 'findAndModify':
      return { ok: 1, value: null, lastErrorObject: { n: 0, updatedExisting: false } };
    default:
      return { ok: 1 };
  }
};
