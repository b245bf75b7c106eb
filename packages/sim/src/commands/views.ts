/**
 * Read-only views (`create` with viewOn/pipeline). A view is stored in the catalog as a
 * collection whose options hold viewOn/pipeline (so it replicates, journals, drops and
 * lists like one); reads resolve it to its backing collection and run the concatenated
 * pipelines, writes fail with CommandNotSupportedOnView (166), as in mongod.
 */
import { CommandError, ErrorCode } from '../errors.js';
import { isView } from '../collection-options.js';
import type { CommandContext } from '../dispatcher.js';
import { CollectionState, StoredDoc } from '../storage/engine.js';
import type { Doc } from '../storage/values.js';

const MAX_VIEW_DEPTH = 20;

export interface ResolvedView {
  /** The backing collection's name (not a view). */
  readonly source: string;
  /** The view pipelines, innermost first. */
  readonly pipeline: Doc[];
  readonly collation?: Doc;
}

/** Follows a view chain down to its collection; undefined for a collection (or nothing). */
export function resolveView(ctx: CommandContext, db: string, name: string): ResolvedView | undefined {
  const engine = ctx.node.engine;
  let c = engine.getCollection(db, name);
  if (!isView(c)) return undefined;
  const collation = c!.options.collation as Doc | undefined;
  const stages: Doc[][] = [];
  for (let depth = 0; isView(c); depth++) {
    if (depth >= MAX_VIEW_DEPTH) throw new CommandError(43, `View depth too deep or view cycle detected; maximum depth is ${MAX_VIEW_DEPTH}`);
    stages.unshift((c!.options.pipeline as Doc[] | undefined) ?? []);
    name = c!.options.viewOn as string;
    c = engine.getCollection(db, name);
  }
  return { source: name, pipeline: stages.flat(), collation };
}

/** Whether defining `name` as a view on `viewOn` would close a cycle. */
export function viewCycle(ctx: CommandContext, db: string, name: string, viewOn: string): boolean {
  let cur: string | undefined = viewOn;
  for (let i = 0; cur !== undefined && i <= MAX_VIEW_DEPTH; i++) {
    if (cur === name) return true;
    const c = ctx.node.engine.getCollection(db, cur);
    cur = isView(c) ? (c!.options.viewOn as string) : undefined;
  }
  return false;
}

/**
 * The collection a read runs over: the collection itself, or for a view a transient
 * collection holding the view's output (with the view's default collation).
 */
export function readSource(ctx: CommandContext, db: string, name: string, run: (docs: StoredDoc[], pipeline: Doc[]) => Doc[]): CollectionState | undefined {
  const c = ctx.node.engine.getCollection(db, name);
  if (!isView(c)) return c;
  const v = resolveView(ctx, db, name)!;
  const base = ctx.node.engine.getCollection(db, v.source);
  const docs = base ? [...base.docs.values()] : [];
  const out = v.pipeline.length ? run(docs, v.pipeline) : docs.map((d) => d.doc);
  const state = new CollectionState(db, name, c!.uuid, v.collation ? { collation: v.collation } : {});
  out.forEach((d, i) => state.docs.set(String(i), new StoredDoc(d)));
  return state;
}

/** Writes (and index builds) on a view fail as in mongod. */
export function refuseView(ctx: CommandContext, db: string, name: string): void {
  if (isView(ctx.node.engine.getCollection(db, name))) {
    throw new CommandError(ErrorCode.CommandNotSupportedOnView, `Namespace ${db}.${name} is a view, not a collection`);
  }
}
