/**
 * Diagnostic and session commands, as mongod 7.0 answers them: currentOp / killOp,
 * validate, explain, serverStatus's `repl` section, and the logical-session commands
 * (startSession, endSessions, refreshSessions, killSessions, killAllSessions...).
 */
import { UUID } from 'bson';
import { Query } from 'mingo';
import { authOf } from '../auth/sim-auth.js';
import { isTimeseries, isView } from '../collection-options.js';
import { registerCommands, registry, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { SimNode } from '../node.js';
import { currentOps, opsOf } from '../ops.js';
import { findStored } from '../query.js';
import { LOGICAL_SESSION_TIMEOUT_MINUTES, sessionsOf } from '../sessions.js';
import { isPlainObject, toView, toViewDoc, type Doc } from '../storage/values.js';
import { validatorFailure } from '../validation.js';
import { collName, evalOptions } from './crud.js';

/** serverStatus's `repl` section on a replica set member: the role's hello fields (4.9+: isWritablePrimary). */
export function replSection(node: SimNode): Doc {
  if (node.role.kind === 'standalone') return {};
  const tv = node.role.topologyVersion();
  return { repl: { topologyVersion: { processId: tv.processId, counter: tv.counter }, ...node.role.helloFields(false) } };
}

// ---- currentOp / killOp ----------------------------------------------------------------

function currentOp(ctx: CommandContext): Doc {
  const { currentOp: _c, $all, $ownOps, ...rest } = ctx.args;
  const filter: Doc = {};
  for (const [k, v] of Object.entries(rest)) {
    if (k.startsWith('$') || ['lsid', 'comment', 'maxTimeMS', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'readConcern', 'writeConcern', 'txnNumber', 'autocommit', 'startTransaction'].includes(k)) continue;
    filter[k] = v;
  }
  let inprog = currentOps(ctx, { idleConnections: $all === true });
  if (Object.keys(filter).length) {
    const q = new Query(filter, { useStrictMode: true });
    inprog = inprog.filter((d) => q.test(toViewDoc(d)));
  }
  void $ownOps;
  return { inprog };
}

function killOp(ctx: CommandContext): Doc {
  const op = ctx.args.op;
  if (op === undefined) throw new CommandError(40414, "BSON field 'killOp.op' is missing but a required field");
  if (typeof op !== 'number' || !Number.isInteger(op)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'killOp.op' is the wrong type, expected type 'int'");
  opsOf(ctx.node).kill(op);
  // mongod answers the same whether or not the op exists.
  return { info: 'attempting to kill op' };
}

// ---- validate -----------------------------------------------------------------------

function validate(ctx: CommandContext): Doc {
  const name = collName(ctx);
  const ns = `${ctx.db}.${name}`;
  const c = ctx.node.engine.getCollection(ctx.db, name);
  if (!c) throw new CommandError(ErrorCode.NamespaceNotFound, `Collection '${ns}' does not exist to validate.`);
  if (isView(c)) throw new CommandError(ErrorCode.CommandNotSupportedOnView, 'Cannot validate a view');
  const keysPerIndex: Doc = {};
  const indexDetails: Doc = {};
  for (const i of c.indexes) {
    let keys = 0;
    for (const d of c.docs.values()) keys += Math.max(1, c.indexKeys(i, d.doc).length);
    keysPerIndex[i.name] = keys;
    indexDetails[i.name] = { valid: true };
  }
  let nNonCompliant = 0;
  const validator = c.options.validator;
  if (isPlainObject(validator) && Object.keys(validator).length) {
    for (const d of c.docs.values()) if (validatorFailure(validator, d.doc)) nNonCompliant++;
  }
  const warnings = nNonCompliant ? ['Detected one or more documents not compliant with the collection\'s schema. See logs.'] : [];
  const reply: Doc = {
    ns,
    uuid: c.uuid,
    nInvalidDocuments: 0,
    nNonCompliantDocuments: nNonCompliant,
    nrecords: c.docs.size,
    nIndexes: c.indexes.length,
    keysPerIndex,
    indexDetails,
    valid: true,
    repaired: false,
    warnings,
    errors: [],
    extraIndexEntries: [],
    missingIndexEntries: [],
    corruptRecords: [],
  };
  if (isTimeseries(c)) reply.nrecords = c.docs.size;
  return reply;
}

// ---- explain ------------------------------------------------------------------------

const EXPLAINABLE = new Set(['find', 'aggregate', 'count', 'distinct', 'update', 'delete', 'findAndModify', 'findandmodify']);
const VERBOSITIES = new Set(['queryPlanner', 'executionStats', 'allPlansExecution']);

function explain(ctx: CommandContext): Doc {
  const inner = ctx.body.explain;
  if (!isPlainObject(inner)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'explain.explain' is the wrong type, expected type 'object'");
  const verbosity = ctx.args.verbosity ?? 'allPlansExecution';
  if (typeof verbosity !== 'string' || !VERBOSITIES.has(verbosity)) {
    throw new CommandError(ErrorCode.BadValue, `Enumeration value '${String(verbosity)}' for field 'explain.verbosity' is not a valid value.`);
  }
  const cmd = Object.keys(inner)[0] ?? '';
  if (!EXPLAINABLE.has(cmd) || !registry.has(cmd)) throw new CommandError(ErrorCode.CommandNotFound, `Explain failed due to unknown command: ${cmd}`);
  const coll = inner[cmd];
  if (typeof coll !== 'string') throw new CommandError(ErrorCode.InvalidNamespace, `collection name has invalid type ${typeof coll}`);
  const ns = `${ctx.db}.${coll}`;
  const view = toView(inner) as Doc;
  const filter = (view.filter ?? view.query ?? (Array.isArray(view.updates) ? (view.updates[0] as Doc)?.q : undefined) ?? (Array.isArray(view.deletes) ? (view.deletes[0] as Doc)?.q : undefined) ?? {}) as Doc;
  const c = ctx.node.engine.getCollection(ctx.db, coll);
  const started = Date.now();
  const matched = cmd === 'aggregate' ? [] : findStored(c, { filter, eval: evalOptions({ ...ctx, body: inner, args: view }, c) });
  const winningPlan: Doc = c ? { stage: 'COLLSCAN', filter, direction: 'forward' } : { stage: 'EOF' };
  const out: Doc = {
    explainVersion: '1',
    queryPlanner: { namespace: ns, indexFilterSet: false, parsedQuery: filter, maxIndexedOrSolutionsReached: false, maxIndexedAndSolutionsReached: false, maxScansToExplodeReached: false, winningPlan, rejectedPlans: [] },
  };
  if (verbosity !== 'queryPlanner') {
    out.executionStats = {
      executionSuccess: true,
      nReturned: matched.length,
      executionTimeMillis: Date.now() - started,
      totalKeysExamined: 0,
      totalDocsExamined: c?.docs.size ?? 0,
      executionStages: { ...winningPlan, nReturned: matched.length, docsExamined: c?.docs.size ?? 0 },
      ...(verbosity === 'allPlansExecution' ? { allPlansExecution: [] } : {}),
    };
  }
  out.command = { ...inner, $db: ctx.db };
  out.serverInfo = { host: ctx.node.host.split(':')[0], port: Number(ctx.node.host.split(':')[1] ?? 27017), version: '7.0.14', gitVersion: 'sim' };
  out.serverParameters = { internalQueryFacetBufferSizeBytes: 104857600, internalQueryMaxBlockingSortMemoryUsageBytes: 104857600 };
  return out;
}

// ---- sessions -----------------------------------------------------------------------

function lsidList(ctx: CommandContext, field: string): unknown[] {
  const v = ctx.body[field];
  if (!Array.isArray(v)) throw new CommandError(ErrorCode.TypeMismatch, `BSON field '${field}.${field}' is the wrong type, expected type 'array'`);
  if (v.length > 10000) throw new CommandError(ErrorCode.BadValue, `${field} may only be run with up to 10000 sessions`);
  return v;
}

function startSession(ctx: CommandContext): Doc {
  const id = new UUID();
  const user = authOf(ctx.node).authenticatedUsers(ctx.conn)[0];
  sessionsOf(ctx.node).touch({ id }, user ? `${user.user}@${user.db}` : undefined);
  return { id: { id }, timeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES };
}

function refreshSessions(ctx: CommandContext): Doc {
  const user = authOf(ctx.node).authenticatedUsers(ctx.conn)[0];
  for (const l of lsidList(ctx, 'refreshSessions')) sessionsOf(ctx.node).touch(l, user ? `${user.user}@${user.db}` : undefined);
  return {};
}

registerCommands({
  currentOp: { handler: currentOp, adminOnly: true },
  killOp: { handler: killOp, adminOnly: true },
  validate: { handler: validate },
  explain: { handler: explain, secondary: 'optIn' },
  startSession,
  endSessions: (ctx) => {
    sessionsOf(ctx.node).end(lsidList(ctx, 'endSessions'));
    return {};
  },
  refreshSessions,
  killSessions: (ctx) => {
    sessionsOf(ctx.node).end(lsidList(ctx, 'killSessions'));
    return {};
  },
  killAllSessions: (ctx) => {
    sessionsOf(ctx.node).clear();
    return {};
  },
  killAllSessionsByPattern: (ctx) => {
    sessionsOf(ctx.node).clear();
    return {};
  },
});

