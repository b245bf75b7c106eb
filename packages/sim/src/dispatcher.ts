/**
 * The command dispatcher: routes a decoded command to its handler, applies the
 * `failCommand` fail point, the role's checks (write concern, writability) and
 * shapes the reply the way mongod does (`ok` last; errmsg/code/codeName on failure).
 */
import { authOf } from './auth/sim-auth.js';
import { checkApiParameters } from './api-version.js';
import { checkCommandFields } from './command-fields.js';
import { opsOf } from './ops.js';
import { checkSnapshotReadConcern } from './read-concern.js';
import { sessionsOf } from './sessions.js';
import { CommandError, ErrorCode, errorReply } from './errors.js';
import type { ConnectionInfo, SimNode } from './node.js';
import type { OpInfo, SecondaryAllowed } from './role.js';
import { isPlainObject, toViewDoc, type Doc } from './storage/values.js';
import { commandDeadline, failCommandEffect } from './failpoints.js';
import { openSnapshotRead, stampReply, type SnapshotRead } from './txn/snapshot-reads.js';
import { ENDS_TRANSACTION, labelTransactionError, transactionsOf, type TxnStatement } from './txn/transactions.js';

export interface CommandContext {
  readonly node: SimNode;
  readonly conn: ConnectionInfo;
  /** The `$db` of the request. */
  readonly db: string;
  /** The command name as sent (first key). */
  readonly name: string;
  /** The body with BSON types intact (Int32, Double, Long...). */
  readonly body: Doc;
  /** The body with numbers as JS numbers: read parameters from here. */
  readonly args: Doc;
  /** Kind 1 sections, typed. */
  readonly sequences: Readonly<Record<string, Doc[]>>;
  readonly exhaustAllowed: boolean;
  /** The operation's interrupt (killOp, its connection closing); absent: the connection's. */
  readonly signal?: AbortSignal;
}

export type CommandHandler = (ctx: CommandContext) => Doc | Promise<Doc>;

export interface CommandSpec {
  readonly handler: CommandHandler;
  /** A write: the write concern is validated and the role must accept writes. */
  readonly write?: boolean;
  readonly adminOnly?: boolean;
  /** Which opcounter this command bumps (default: command). */
  readonly counter?: 'query' | 'getmore' | 'command' | 'none';
  /** On a replica set secondary: 'optIn' reads need secondaryOk; default 'never' for writes, else 'always'. */
  readonly secondary?: SecondaryAllowed;
}

export interface DispatchOptions {
  /** OP_QUERY's secondaryOk flag bit. */
  secondaryOk?: boolean;
}

/** OP_MSG: a $readPreference whose mode is not primary allows secondary reads. */
function secondaryOkOf(body: Doc, opts: DispatchOptions): boolean {
  if (opts.secondaryOk) return true;
  const rp = body.$readPreference;
  return isPlainObject(rp) && typeof rp.mode === 'string' && rp.mode !== 'primary';
}

/** An aggregate ending in $out / $merge writes. */
function isWrite(name: string, spec: CommandSpec, body: Doc): boolean {
  if (spec.write) return true;
  if (name === 'aggregate' && Array.isArray(body.pipeline)) {
    const last = body.pipeline[body.pipeline.length - 1] as Doc | undefined;
    return isPlainObject(last) && ('$out' in last || '$merge' in last);
  }
  return false;
}

export const registry = new Map<string, CommandSpec>();

export function registerCommands(specs: Record<string, CommandSpec | CommandHandler>): void {
  for (const [name, spec] of Object.entries(specs)) {
    registry.set(name, typeof spec === 'function' ? { handler: spec } : spec);
  }
}

export interface DispatchResult {
  reply: Doc;
  /** failCommand closeConnection: drop the socket without replying. */
  closeConnection?: boolean;
}

export async function dispatch(
  node: SimNode,
  conn: ConnectionInfo,
  body: Doc,
  sequences: Readonly<Record<string, Doc[]>> = {},
  exhaustAllowed = false,
  opts: DispatchOptions = {},
): Promise<DispatchResult> {
  const name = Object.keys(body)[0];
  if (name === undefined) return { reply: new CommandError(ErrorCode.FailedToParse, 'Command document is empty').toReply() };
  const db = body.$db;
  if (typeof db !== 'string') {
    return { reply: new CommandError(40571, 'OP_MSG requests require a $db argument').toReply() };
  }
  const args = toViewDoc(body);
  // --auth: mongod refuses unauthenticated commands before running (or failing) them.
  const denied = authOf(node).gate(conn, name, db, registry.has(name));
  if (denied) return { reply: denied };

  // failCommand, as mongod's test command implements it: before the command runs.
  let wceAfter: Doc | undefined;
  let labelsAfter: unknown;
  // mongod sets the maxTimeMS deadline first: a blockConnection wait counts against it
  const deadline = commandDeadline(name, args);
  const failed = await failCommandEffect(node.failPoints, name, args, conn.appName, conn.signal, deadline);
  // the command runs with what is left of its maxTimeMS
  if (deadline !== undefined) args.maxTimeMS = Math.max(1, deadline - Date.now());
  if (failed?.kind === 'close') return { reply: {}, closeConnection: true };
  if (failed?.kind === 'error') return { reply: failed.reply };
  if (failed?.kind === 'writeConcernError') {
    wceAfter = failed.writeConcernError;
    labelsAfter = failed.errorLabels;
  }

  const spec = registry.get(name);
  if (!spec) {
    node.opcounters.command++;
    return { reply: new CommandError(ErrorCode.CommandNotFound, `no such command: '${name}'`).toReply() };
  }
  const counter = spec.counter ?? 'command';
  if (counter !== 'none') node.opcounters[counter]++;

  let result: DispatchResult;
  const running = opsOf(node).begin(conn, name, db, body);
  try {
    result = await runCommand(node, conn, spec, name, db, body, args, sequences, exhaustAllowed, opts, running.signal);
  } finally {
    opsOf(node).end(running);
  }
  const reply = result.reply;
  if (wceAfter && reply.ok === 1) {
    reply.writeConcernError = wceAfter;
    if (Array.isArray(labelsAfter)) reply.errorLabels = labelsAfter;
  }
  return result;
}

async function runCommand(
  node: SimNode,
  conn: ConnectionInfo,
  spec: CommandSpec,
  name: string,
  db: string,
  body: Doc,
  args: Doc,
  sequences: Readonly<Record<string, Doc[]>>,
  exhaustAllowed: boolean,
  opts: DispatchOptions,
  signal: AbortSignal,
): Promise<DispatchResult> {
  let reply: Doc;
  let stmt: TxnStatement | undefined;
  let retry: typeof node.retry;
  let snapshot: SnapshotRead | undefined;
  const hooks = node.role.hooks;
  const write = isWrite(name, spec, body);
  const op: OpInfo = { name, db, body, args, write, secondary: spec.secondary ?? (write ? 'never' : 'always'), secondaryOk: secondaryOkOf(body, opts), conn };
  try {
    if (spec.adminOnly && db !== 'admin') throw new CommandError(ErrorCode.Unauthorized, `${name} may only be run against the admin database.`);
    checkApiParameters(name, args);
    checkCommandFields(name, body);
    checkSnapshotReadConcern(name, args, node.role.kind);
    if (body.lsid !== undefined) {
      const user = authOf(node).authenticatedUsers(conn)[0];
      sessionsOf(node).touch(body.lsid, user ? `${user.user}@${user.db}` : undefined);
    }
    node.role.checkTransactionFields(args);
    const wc = isPlainObject(args.writeConcern) ? args.writeConcern : undefined;
    if (write) {
      // commit/abort apply first: a write concern they cannot satisfy is their writeConcernError (repl/coordinator.ts)
      if (!ENDS_TRANSACTION.has(name)) node.role.validateWriteConcern(wc);
      node.role.checkWritable(db);
    }
    if (hooks) await hooks.before(op);
    // A statement of a multi-document transaction runs on the transaction's snapshot.
    if (node.role.kind === 'replicaSet') stmt = transactionsOf(node).enter(name, db, args);
    // A snapshot read outside a transaction runs on the data as of its cluster time.
    if (!stmt) snapshot = openSnapshotRead(node, body);
    const runOn = stmt ? stmt.txn.node : (snapshot?.node ?? node);
    retry = hooks && write ? (node.role as { retryHooks?: (op: OpInfo) => typeof node.retry }).retryHooks?.(op) : undefined;
    node.retry = retry;
    let pending: Doc | Promise<Doc>;
    try {
      // Synchronous handlers run to completion here, with node.retry set for them only.
      pending = spec.handler({ node: runOn, conn, db, name, body, args, sequences, exhaustAllowed, signal });
    } finally {
      node.retry = undefined;
      if (retry) (node.role as { endRetry?: () => void }).endRetry?.();
    }
    const out = await pending;
    reply = 'ok' in out ? out : { ...out, ok: 1 };
    if (snapshot) stampReply(name, reply, snapshot.atClusterTime);
    if (write && wc?.j === true) node.engine.flush();
  } catch (e) {
    if (!(e instanceof CommandError)) {
      node.logger.log('COMMAND', 21962, `conn${conn.id}`, 'Assertion while executing command', { command: name, error: String((e as Error)?.stack ?? e) }, { severity: 'E' });
    }
    reply = errorReply(e);
  }
  if (stmt) reply = transactionsOf(node).finish(stmt, reply);
  labelTransactionError(name, args, reply);
  if (hooks) {
    try {
      reply = await hooks.after(op, reply);
    } catch (e) {
      reply = errorReply(e);
    }
  }
  // onPrimaryTransactionalWrite (repl/retryable-write.ts): the write stands, the reply is lost
  if (retry?.closeConnection) return { reply, closeConnection: true };
  return { reply };
}
