/**
 * Aggregation stages that produce documents instead of reading a collection, as mongod
 * runs them: `$documents`, `$listLocalSessions`, `$collStats`, `$indexStats` and
 * `$currentOp` (and `$listSearchIndexes`, refused as off Atlas). Each must be the first stage; the ones that are not about a collection
 * need `{aggregate: 1}` (and `$currentOp` the admin database; `$listLocalSessions` runs on
 * any database, as mongod's does).
 */
import { Long } from 'bson';
import { authOf } from './auth/sim-auth.js';
import type { CommandContext } from './dispatcher.js';
import { CommandError, ErrorCode } from './errors.js';
import { currentOps } from './ops.js';
import { LIST_SEARCH_INDEXES_CODE, LIST_SEARCH_INDEXES_MESSAGE } from './commands/search-indexes.js';
import { sessionsOf } from './sessions.js';
import type { CollectionState } from './storage/engine.js';
import { storageStats } from './storage/stats.js';
import { isPlainObject, toView, type Doc } from './storage/values.js';

const SOURCE_STAGES = new Set(['$changeStream', '$documents', '$listLocalSessions', '$collStats', '$indexStats', '$currentOp', '$listSessions', '$listSearchIndexes']);
const COLLECTIONLESS = new Set(['$documents', '$listLocalSessions', '$currentOp', '$listSessions']);

export function isSourceStage(stage: Doc | undefined): boolean {
  return stage !== undefined && SOURCE_STAGES.has(Object.keys(stage)[0] ?? '');
}

/** Source stages anywhere but first are refused (mongod: 40602). */
export function checkSourceStagePositions(pipeline: Doc[]): void {
  pipeline.forEach((s, i) => {
    const name = Object.keys(s)[0] ?? '';
    if (i > 0 && SOURCE_STAGES.has(name)) throw new CommandError(40602, `${name} is only valid as the first stage in a pipeline`);
  });
}

function collStatsDoc(ctx: CommandContext, c: CollectionState | undefined, ns: string, spec: Doc): Doc {
  const out: Doc = { ns, host: ctx.node.host, localTime: new Date() };
  if (isPlainObject(spec.latencyStats)) {
    const zero = { latency: Long.ZERO, ops: Long.ZERO };
    out.latencyStats = { reads: zero, writes: zero, commands: zero, transactions: zero };
  }
  if (isPlainObject(spec.storageStats)) out.storageStats = storageStats(c);
  if (isPlainObject(spec.count)) out.count = c?.docs.size ?? 0;
  if (isPlainObject(spec.queryExecStats)) out.queryExecStats = { collectionScans: { total: Long.ZERO, nonTailable: Long.ZERO } };
  return out;
}

/**
 * The documents a leading source stage produces, or undefined when the pipeline does
 * not start with one. `coll` is the aggregate's collection (undefined for `aggregate: 1`).
 */
export function sourceStageDocs(ctx: CommandContext, first: Doc | undefined, coll: string | undefined): Doc[] | undefined {
  if (!first || !isSourceStage(first)) return undefined;
  const name = Object.keys(first)[0]!;
  const spec = first[name];
  if (COLLECTIONLESS.has(name) && coll !== undefined) {
    throw new CommandError(ErrorCode.InvalidNamespace, `${name} must be run against the database with {aggregate: 1}`);
  }
  if (!COLLECTIONLESS.has(name) && coll === undefined) {
    throw new CommandError(ErrorCode.InvalidNamespace, `${name} cannot be run with {aggregate: 1}, it needs a collection`);
  }
  switch (name) {
    case '$documents': {
      const v = spec;
      if (!Array.isArray(v) || v.some((d) => !isPlainObject(d))) throw new CommandError(5858203, 'an array is expected');
      return v as Doc[];
    }
    case '$listLocalSessions':
    case '$listSessions': {
      if (!isPlainObject(spec)) throw new CommandError(ErrorCode.TypeMismatch, `${name} options must be specified in an object, but found: ${typeof spec}`);
      const view = toView(spec) as Doc;
      for (const k of Object.keys(view)) if (k !== 'allUsers' && k !== 'users') throw new CommandError(40415, `BSON field '${name}.${k}' is an unknown field.`);
      if (view.allUsers === true && view.users !== undefined) throw new CommandError(ErrorCode.FailedToParse, `${name} may not specify both 'allUsers' and 'users'`);
      const me = authOf(ctx.node).authenticatedUsers(ctx.conn)[0];
      const users = Array.isArray(view.users) ? (view.users as Array<{ user: string; db: string }>) : undefined;
      return sessionsOf(ctx.node).list({ allUsers: view.allUsers === true, users }, me ? `${me.user}@${me.db}` : '');
    }
    case '$listSearchIndexes':
      // a mongod that is not Atlas (commands/search-indexes.ts)
      throw new CommandError(LIST_SEARCH_INDEXES_CODE, LIST_SEARCH_INDEXES_MESSAGE);
    case '$collStats': {
      if (!isPlainObject(spec)) throw new CommandError(5447000, '$collStats must take a nested object but found a non-object');
      const c = ctx.node.engine.getCollection(ctx.db, coll!);
      return [collStatsDoc(ctx, c, `${ctx.db}.${coll!}`, spec)];
    }
    case '$indexStats': {
      const c = ctx.node.engine.getCollection(ctx.db, coll!);
      const since = new Date(ctx.node.startedAt);
      return (c?.indexes ?? []).map((i) => ({ name: i.name, key: i.key, host: ctx.node.host, accesses: { ops: Long.ZERO, since }, spec: { ...i } }));
    }
    case '$currentOp': {
      if (ctx.db !== 'admin') throw new CommandError(ErrorCode.InvalidNamespace, "$currentOp must be run against the 'admin' database with {aggregate: 1}");
      const view = isPlainObject(spec) ? (toView(spec) as Doc) : {};
      return currentOps(ctx, { idleConnections: view.idleConnections === true, allUsers: view.allUsers !== false });
    }
    default:
      return undefined;
  }
}
