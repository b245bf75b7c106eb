/**
 * explain: runs the explained command's plan the way the sim runs it (a collection
 * scan, or the _id lookup) and answers with mongod 7.0's shape: explainVersion,
 * queryPlanner (namespace, parsedQuery, winningPlan, rejectedPlans), executionStats for
 * the executionStats / allPlansExecution verbosities, command, serverInfo, ok.
 * aggregate is explained by its own handler (`explain: true`).
 */
import { registerCommands, registry, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import { SIM_VERSION } from '../node.js';
import { isPlainObject, type Doc } from '../storage/values.js';

const VERBOSITIES = new Set(['queryPlanner', 'executionStats', 'allPlansExecution']);
const FILTER_FIELD: Record<string, string> = { find: 'filter', count: 'query', distinct: 'query', findAndModify: 'query' };

function winningPlan(filter: Doc, hasId: boolean): Doc {
  if (hasId) return { stage: 'IDHACK' };
  return Object.keys(filter).length === 0 ? { stage: 'COLLSCAN', direction: 'forward' } : { stage: 'COLLSCAN', filter, direction: 'forward' };
}

async function explain(ctx: CommandContext): Promise<Doc> {
  const inner = ctx.body.explain;
  const innerArgs = ctx.args.explain;
  if (!isPlainObject(inner) || !isPlainObject(innerArgs) || Object.keys(inner).length === 0) {
    throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'explain.explain' is the wrong type, expected type 'object'");
  }
  const verbosity = ctx.args.verbosity ?? 'allPlansExecution';
  if (typeof verbosity !== 'string' || !VERBOSITIES.has(verbosity)) {
    throw new CommandError(ErrorCode.BadValue, `Enumeration value '${String(verbosity)}' for field 'explain.verbosity' is not a valid value.`);
  }
  const name = Object.keys(inner)[0]!;
  const spec = registry.get(name);
  if (!spec || name === 'explain') throw new CommandError(ErrorCode.CommandNotFound, `Explain failed due to unknown command: ${name}`);
  const serverInfo = { host: ctx.node.host.split(':')[0], port: Number(ctx.node.host.split(':')[1] ?? 27017), version: SIM_VERSION.replace(/-sim$/, ''), gitVersion: '0000000000000000000000000000000000000000' };
  const command = { ...inner, $db: ctx.db };
  if (name === 'aggregate') {
    const reply = await spec.handler({ ...ctx, name, body: { ...inner, explain: true }, args: { ...innerArgs, explain: true } });
    return { ...reply, command, serverInfo };
  }
  const coll = typeof inner[name] === 'string' ? (inner[name] as string) : '';
  const filterField = FILTER_FIELD[name];
  const filter = filterField && isPlainObject(inner[filterField]) ? (inner[filterField] as Doc) : {};
  const hasId = Object.keys(filter).length === 1 && '_id' in filter && !isPlainObject(filter._id);
  const plan = winningPlan(filter, hasId);
  const out: Doc = {
    explainVersion: '1',
    queryPlanner: {
      namespace: `${ctx.db}.${coll}`,
      indexFilterSet: false,
      parsedQuery: filter,
      maxIndexedOrSolutionsReached: false,
      maxIndexedAndSolutionsReached: false,
      maxScansToExplodeReached: false,
      winningPlan: plan,
      rejectedPlans: [],
    },
  };
  if (verbosity !== 'queryPlanner' && name === 'find') {
    // run the query itself (one batch, no cursor left open) to report what it returns
    const total = ctx.node.engine.getCollection(ctx.db, coll)?.docs.size ?? 0;
    const all = { singleBatch: true, batchSize: total + 1 };
    const reply = await spec.handler({ ...ctx, name, body: { ...inner, ...all }, args: { ...innerArgs, ...all } });
    const batch = ((reply.cursor as Doc | undefined)?.firstBatch as unknown[] | undefined) ?? [];
    out.executionStats = {
      executionSuccess: true,
      nReturned: batch.length,
      executionTimeMillis: 0,
      totalKeysExamined: hasId ? batch.length : 0,
      totalDocsExamined: hasId ? batch.length : total,
      executionStages: { ...plan, nReturned: batch.length, docsExamined: hasId ? batch.length : total },
      ...(verbosity === 'allPlansExecution' ? { allPlansExecution: [] } : {}),
    };
  }
  out.command = command;
  out.serverInfo = serverInfo;
  return out;
}

registerCommands({ explain: { handler: explain, secondary: 'optIn' } });
