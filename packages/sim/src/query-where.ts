/**
 * `$where` for the commands that take a query filter (find, count, distinct, update,
 * delete, findAndModify): the clauses' verdicts are computed in the JavaScript sandbox
 * (js/sandbox.ts) while the event loop keeps serving, then the synchronous matcher
 * (query.ts) reads them. Only documents that match the rest of the filter are evaluated
 * (as mongod's planner runs `$where` last), and, when every clause is a top-level one and
 * the operation needs `need` documents at most, evaluation stops once it has them.
 *
 * Documents written while the sandbox ran are evaluated in a further round (at most
 * MAX_ROUNDS); the matcher treats a document version without verdicts as not matching.
 */
import type { CommandContext } from './dispatcher.js';
import { checkSyntax, WhereSandbox, wrapWhereCode, type Interrupts, type SandboxLimits } from './js/sandbox.js';
import { planWhere } from './js/where-plan.js';
import { compileFilter, matches, type EvalOptions, type WhereVerdicts } from './query.js';
import type { CollectionState, StoredDoc } from './storage/engine.js';
import { extractText } from './text.js';
import { writeDeadline } from './txn/write-blocking.js';

/** Documents per message to the sandbox. */
const BATCH = 64;
const MAX_ROUNDS = 3;

export interface WhereRun extends Interrupts {
  readonly limits?: SandboxLimits;
}

/** The interrupts of a command: its op's signal (killOp, connection closed) and its maxTimeMS. */
export function whereRunOf(ctx: CommandContext): WhereRun {
  return { signal: ctx.signal ?? ctx.conn.signal, deadline: writeDeadline(ctx.args.maxTimeMS) };
}

/** Whether a filter needs prepareWhere (throws mongod's `$where` parse errors). */
export function hasWhere(filter: unknown): boolean {
  return planWhere(filter) !== undefined;
}

/**
 * The verdicts of `filter`'s `$where` clauses over `coll`, or undefined when it has none.
 * Throws JSInterpreterFailure for a script that does not compile or fails, MaxTimeMSExpired,
 * Interrupted.
 */
export async function prepareWhere(coll: CollectionState | undefined, filter: unknown, ev: EvalOptions, run: WhereRun, need = Infinity): Promise<WhereVerdicts | undefined> {
  const plan = planWhere(filter);
  if (!plan) return undefined;
  const wrapped = plan.clauses.map((c) => wrapWhereCode(c.code));
  for (const w of wrapped) checkSyntax(w);
  const verdicts = new Map<StoredDoc, readonly boolean[]>();
  if (!coll || coll.docs.size === 0) return { plan, verdicts };
  // $text orders its results by score, not by the scan: no early stop then
  const textual = extractText(filter as Record<string, unknown>).text !== undefined;
  const stopAt = plan.allTopLevel && !textual ? need : Infinity;
  const relaxed = compileFilter(extractText(plan.relaxed).rest, ev);
  const sandbox = new WhereSandbox(wrapped, run.limits);
  let matched = 0;
  try {
    for (let round = 0; round < MAX_ROUNDS && matched < stopAt; round++) {
      const todo = [...coll.docs.values()].filter((d) => !verdicts.has(d) && matches(relaxed, d));
      if (todo.length === 0) break;
      for (let i = 0; i < todo.length && matched < stopAt; ) {
        const size = Math.min(BATCH, stopAt - matched);
        const batch = todo.slice(i, i + size);
        const out = await sandbox.evaluate(
          batch.map((d) => d.doc),
          plan.clauses.length,
          run,
        );
        batch.forEach((d, k) => verdicts.set(d, out[k]!));
        if (plan.allTopLevel) matched += out.filter((v) => v.every(Boolean)).length;
        i += batch.length;
      }
    }
  } finally {
    await sandbox.close();
  }
  return { plan, verdicts };
}
