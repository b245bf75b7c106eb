/**
 * Fail points, as mongod's `configureFailPoint` test command drives them (always
 * enabled in the sim). `failCommand` is interpreted by the dispatcher; any other name
 * is stored so that tests can configure it and later layers can consult it.
 */
import { CommandError, ErrorCode, codeName } from './errors.js';
import { isPlainObject, toViewDoc, type Doc } from './storage/values.js';
import { labelTransactionError } from './txn/transactions.js';
import { sleep } from './util/async.js';

export interface FailPointState {
  mode: 'off' | 'alwaysOn' | 'times' | 'skip' | 'activationProbability';
  remaining: number;
  probability: number;
  data: Doc;
  timesEntered: number;
}

export class FailPoints {
  private points = new Map<string, FailPointState>();

  /** Applies a configureFailPoint command; returns mongod's reply fields ({ count }). */
  configure(name: string, mode: unknown, data: unknown): Doc {
    const prev = this.points.get(name);
    const count = prev?.timesEntered ?? 0;
    let state: FailPointState;
    if (mode === 'off') state = { mode: 'off', remaining: 0, probability: 0, data: {}, timesEntered: 0 };
    else if (mode === 'alwaysOn') state = { mode: 'alwaysOn', remaining: 0, probability: 1, data: {}, timesEntered: 0 };
    else if (isPlainObject(mode) && typeof mode.times === 'number') state = { mode: 'times', remaining: mode.times, probability: 1, data: {}, timesEntered: 0 };
    else if (isPlainObject(mode) && typeof mode.skip === 'number') state = { mode: 'skip', remaining: mode.skip, probability: 1, data: {}, timesEntered: 0 };
    else if (isPlainObject(mode) && typeof mode.activationProbability === 'number') {
      state = { mode: 'activationProbability', remaining: 0, probability: mode.activationProbability, data: {}, timesEntered: 0 };
    } else throw new CommandError(ErrorCode.BadValue, 'mode must be off, alwaysOn, or an object with times, skip or activationProbability');
    if (state.mode === 'times' && state.remaining <= 0) state.mode = 'off';
    if (data !== undefined && !isPlainObject(data)) throw new CommandError(ErrorCode.TypeMismatch, "'data' must be an object");
    state.data = (data as Doc | undefined) ?? {};
    if (state.mode === 'off') this.points.delete(name);
    else this.points.set(name, state);
    return { count };
  }

  /** Evaluates the fail point: returns its data when it fires (and counts the firing). */
  shouldFail(name: string, matches: (data: Doc) => boolean = () => true): Doc | undefined {
    const p = this.points.get(name);
    if (!p || !matches(p.data)) return undefined;
    switch (p.mode) {
      case 'off':
        return undefined;
      case 'alwaysOn':
        break;
      case 'times':
        p.remaining--;
        if (p.remaining <= 0) this.points.delete(name);
        break;
      case 'skip':
        if (p.remaining > 0) {
          p.remaining--;
          return undefined;
        }
        break;
      case 'activationProbability':
        if (Math.random() >= p.probability) return undefined;
        break;
      default: {
        const never: never = p.mode;
        throw new Error(`bad mode ${String(never)}`);
      }
    }
    p.timesEntered++;
    return p.data;
  }

  get(name: string): FailPointState | undefined {
    return this.points.get(name);
  }

  clear(): void {
    this.points.clear();
  }
}

/** What a firing `failCommand` does to one command (mongod's and mongos's test command). */
export type FailCommandEffect =
  /** Drop the connection without a reply. */
  | { readonly kind: 'close' }
  /** Answer this error instead of running the command. */
  | { readonly kind: 'error'; readonly reply: Doc }
  /** Run the command; an ok reply gets this writeConcernError (and labels). */
  | { readonly kind: 'writeConcernError'; readonly writeConcernError: Doc; readonly errorLabels: unknown };

/**
 * Aliases mongod registers for a command: `failCommands` names the command itself
 * (`Command::getName()`), so `{ ismaster: 1 }` (what the official driver's handshake sends)
 * is matched by "isMaster".
 */
const COMMAND_ALIASES: ReadonlyMap<string, string> = new Map([
  ['ismaster', 'isMaster'],
  ['findandmodify', 'findAndModify'],
  ['dbstats', 'dbStats'],
  ['collstats', 'collStats'],
  ['buildinfo', 'buildInfo'],
]);

/**
 * The deadline (ms since epoch) a command's maxTimeMS sets when it arrives, as mongod sets it
 * on the operation before running it (so a failCommand block counts against it); none for a
 * getMore, whose maxTimeMS is an awaitData cursor's wait for new documents, not a deadline.
 */
export function commandDeadline(name: string, args: Doc, now = Date.now()): number | undefined {
  if (name === 'getMore' || typeof args.maxTimeMS !== 'number' || !(args.maxTimeMS > 0)) return undefined;
  return now + args.maxTimeMS;
}

/**
 * Evaluates `failCommand` for a command (`name`, its `args`, the connection's appName),
 * waiting out `blockConnection` first. The block is an interruptible sleep of the operation,
 * as in mongod (`opCtx->sleepFor`): when the command's maxTimeMS deadline (`deadline`,
 * commandDeadline) comes first, the command fails there with MaxTimeMSExpired. An error
 * without `errorLabels` of its own gets the labels the server would add (the transaction
 * ones: txn/transactions.ts).
 */
export async function failCommandEffect(
  points: FailPoints,
  name: string,
  args: Doc,
  appName: string | undefined,
  signal?: AbortSignal,
  deadline = commandDeadline(name, args),
): Promise<FailCommandEffect | undefined> {
  if (name === 'configureFailPoint') return undefined;
  const canonical = COMMAND_ALIASES.get(name) ?? name;
  const data = points.shouldFail('failCommand', (d) => {
    const list = Array.isArray(d.failCommands) ? (d.failCommands as unknown[]) : [];
    if (!list.includes(canonical)) return false;
    if (typeof d.appName === 'string' && d.appName !== appName) return false;
    return true;
  });
  if (!data) return undefined;
  const d = toViewDoc(data);
  if (d.blockConnection === true && typeof d.blockTimeMS === 'number') {
    const left = deadline === undefined ? Infinity : deadline - Date.now();
    if (left < d.blockTimeMS) {
      await sleep(Math.max(0, left), signal);
      return { kind: 'error', reply: new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit').toReply() };
    }
    await sleep(d.blockTimeMS, signal);
  }
  if (d.closeConnection === true) return { kind: 'close' };
  if (typeof d.errorCode === 'number') {
    const reply: Doc = { ok: 0, errmsg: "Failing command via 'failCommand' failpoint", code: d.errorCode, codeName: codeName(d.errorCode) };
    if (Array.isArray(data.errorLabels)) reply.errorLabels = data.errorLabels;
    else labelTransactionError(name, args, reply);
    return { kind: 'error', reply };
  }
  if (isPlainObject(data.writeConcernError)) return { kind: 'writeConcernError', writeConcernError: data.writeConcernError, errorLabels: data.errorLabels };
  return undefined;
}

/** What a firing `onPrimaryTransactionalWrite` does to one statement of a retryable write. */
export interface TransactionalWriteEffect {
  /** `data.closeConnection` (default true): drop the connection instead of replying. */
  readonly closeConnection: boolean;
  /** `data.failBeforeCommitExceptionCode`: the statement fails with this code, its write not made. */
  readonly failCode: number | undefined;
}

/**
 * `onPrimaryTransactionalWrite`, as mongod evaluates it once per statement of a retryable
 * write on a primary, inside the statement's storage transaction after the write and its
 * retry record: closing the connection keeps the write (a retry answers from the record);
 * `failBeforeCommitExceptionCode` then throws, so the write is rolled back. The sim cannot
 * roll a statement back, so a fail point carrying that code is evaluated at the statement's
 * `before` phase (the write is never made) and any other at its `after` phase; each
 * statement evaluates it exactly once either way, which is what times/skip count.
 */
export function transactionalWriteEffect(points: FailPoints, phase: 'before' | 'after'): TransactionalWriteEffect | undefined {
  const name = 'onPrimaryTransactionalWrite';
  const configured = points.get(name);
  if (!configured) return undefined;
  const failsBeforeCommit = toViewDoc(configured.data).failBeforeCommitExceptionCode !== undefined;
  if (failsBeforeCommit !== (phase === 'before')) return undefined;
  const data = points.shouldFail(name);
  if (!data) return undefined;
  const d = toViewDoc(data);
  const code = d.failBeforeCommitExceptionCode;
  return { closeConnection: d.closeConnection === undefined || d.closeConnection === true, failCode: typeof code === 'number' ? code : undefined };
}
