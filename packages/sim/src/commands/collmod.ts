/**
 * collMod, as mongod 7.0 runs it: validator / validationLevel / validationAction,
 * changeStreamPreAndPostImages, expireAfterSeconds (clustered and time-series),
 * a view's viewOn / pipeline, and one index's hidden / expireAfterSeconds /
 * prepareUnique / unique. The change is one `{ collMod }` catalog entry through the
 * engine's write path (so it journals and replicates like create/drop).
 */
import { Collation } from '../collation.js';
import { isTimeseries, isView } from '../collection-options.js';
import { registerCommands, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { IndexSpec } from '../storage/engine.js';
import { formatDoc, isPlainObject, keyOf, toView, toViewDoc, type Doc } from '../storage/values.js';
import { checkValidatorOptions } from '../validation.js';
import { collName } from './crud.js';
import { viewCycle } from './views.js';

const INDEX_FIELDS = new Set(['keyPattern', 'name', 'hidden', 'expireAfterSeconds', 'prepareUnique', 'unique', 'forceNonUnique']);

function indexChange(ctx: CommandContext, indexes: IndexSpec[], raw: unknown): { name: string; set: Doc; reply: Doc } {
  if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'collMod.index' is the wrong type, expected type 'object'");
  for (const k of Object.keys(raw)) if (!INDEX_FIELDS.has(k)) throw new CommandError(40415, `BSON field 'collMod.index.${k}' is an unknown field.`);
  const view = toViewDoc(raw);
  if ((view.keyPattern === undefined) === (view.name === undefined)) {
    throw new CommandError(ErrorCode.InvalidOptions, 'Must specify either index name or key pattern.');
  }
  const spec = view.name !== undefined ? indexes.find((i) => i.name === view.name) : indexes.find((i) => keyOf(toViewDoc(i.key)) === keyOf(view.keyPattern));
  if (!spec) {
    const what = view.name !== undefined ? `name ${String(view.name)}` : `key pattern ${formatDoc(raw.keyPattern as Doc)}`;
    throw new CommandError(ErrorCode.IndexNotFound, `cannot find index ${what} for ns ${ctx.db}.${String(ctx.args.collMod)}`);
  }
  const changes = ['hidden', 'expireAfterSeconds', 'prepareUnique', 'unique', 'forceNonUnique'].filter((k) => view[k] !== undefined);
  if (changes.length === 0) throw new CommandError(ErrorCode.InvalidOptions, 'no expireAfterSeconds, hidden, prepareUnique or unique field');
  const set: Doc = {};
  const reply: Doc = {};
  if (view.hidden !== undefined) {
    if (spec.name === '_id_') throw new CommandError(ErrorCode.BadValue, "can't hide _id index");
    const was = spec.hidden === true;
    reply.hidden_old = was;
    reply.hidden_new = view.hidden === true;
    set.hidden = view.hidden === true;
  }
  if (view.expireAfterSeconds !== undefined) {
    if (spec.expireAfterSeconds === undefined) throw new CommandError(ErrorCode.InvalidOptions, 'no expireAfterSeconds field to update');
    reply.expireAfterSeconds_old = spec.expireAfterSeconds;
    reply.expireAfterSeconds_new = raw.expireAfterSeconds;
    set.expireAfterSeconds = raw.expireAfterSeconds;
  }
  if (view.prepareUnique !== undefined) {
    if (spec.unique) throw new CommandError(ErrorCode.InvalidOptions, 'Cannot make index prepareUnique: index is already unique');
    reply.prepareUnique_old = spec.prepareUnique === true;
    reply.prepareUnique_new = view.prepareUnique === true;
    set.prepareUnique = view.prepareUnique === true;
  }
  if (view.unique !== undefined) {
    if (view.unique !== true) throw new CommandError(ErrorCode.BadValue, "collMod 'unique' field can only be set to true");
    if (spec.name === '_id_') throw new CommandError(ErrorCode.BadValue, 'The _id index is already unique');
    if (!spec.unique) {
      if (!spec.prepareUnique && view.prepareUnique !== true) {
        throw new CommandError(ErrorCode.InvalidOptions, 'Cannot make index unique with prepareUnique=false. Run collMod to set it first.');
      }
      reply.unique_new = true;
      set.unique = true;
    }
  }
  return { name: spec.name, set, reply };
}

function collMod(ctx: CommandContext): Doc {
  const name = collName(ctx);
  const engine = ctx.node.engine;
  const c = engine.getCollection(ctx.db, name);
  if (!c) throw new CommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  const b = ctx.body;
  const set: Doc = {};
  const unset: string[] = [];
  let reply: Doc = {};
  let index: { name: string; set: Doc } | undefined;
  if (b.viewOn !== undefined || b.pipeline !== undefined) {
    if (!isView(c)) throw new CommandError(ErrorCode.InvalidOptions, `option only supported on a view: ${b.viewOn !== undefined ? 'viewOn' : 'pipeline'}`);
    if (b.viewOn === undefined || b.pipeline === undefined) throw new CommandError(ErrorCode.InvalidOptions, 'Must specify both \'viewOn\' and \'pipeline\' when modifying a view and auth is enabled');
    if (typeof b.viewOn !== 'string' || !Array.isArray(b.pipeline)) throw new CommandError(ErrorCode.TypeMismatch, "'viewOn' must be a string and 'pipeline' an array");
    if (viewCycle(ctx, ctx.db, name, b.viewOn)) throw new CommandError(5, `View cycle detected: ${ctx.db}.${name} => ${ctx.db}.${b.viewOn}`);
    set.viewOn = b.viewOn;
    set.pipeline = b.pipeline;
  }
  if (isView(c)) {
    for (const k of ['validator', 'validationLevel', 'validationAction', 'index', 'changeStreamPreAndPostImages', 'expireAfterSeconds']) {
      if (b[k] !== undefined) throw new CommandError(ErrorCode.InvalidOptions, `option not supported on a view: ${k}`);
    }
  }
  checkValidatorOptions({ validator: b.validator, validationLevel: b.validationLevel, validationAction: b.validationAction });
  for (const k of ['validator', 'validationLevel', 'validationAction']) if (b[k] !== undefined) set[k] = b[k];
  if (b.changeStreamPreAndPostImages !== undefined) {
    const v = b.changeStreamPreAndPostImages;
    if (!isPlainObject(v) || typeof v.enabled !== 'boolean') throw new CommandError(40414, "BSON field 'collMod.changeStreamPreAndPostImages.enabled' is missing but a required field");
    if (v.enabled && isTimeseries(c)) throw new CommandError(ErrorCode.InvalidOptions, 'changeStreamPreAndPostImages not supported for a time-series collection');
    set.changeStreamPreAndPostImages = { enabled: v.enabled };
  }
  if (b.expireAfterSeconds !== undefined) {
    if (!isTimeseries(c) && !isPlainObject(c.options.clusteredIndex)) throw new CommandError(ErrorCode.InvalidOptions, "'expireAfterSeconds' option is only supported on time-series or clustered collections");
    const v = toView(b.expireAfterSeconds);
    if (v === 'off') unset.push('expireAfterSeconds');
    else if (typeof v === 'number' && v >= 0) set.expireAfterSeconds = b.expireAfterSeconds;
    else throw new CommandError(ErrorCode.InvalidOptions, "When 'expireAfterSeconds' is a string it must be 'off'; otherwise a non-negative number");
  }
  if (b.index !== undefined) {
    const ch = indexChange(ctx, c.indexes, b.index);
    index = { name: ch.name, set: ch.set };
    reply = ch.reply;
  }
  if (b.collation !== undefined) Collation.parse(toView(b.collation));
  if (b.dryRun === true) return reply;
  const entry: Doc = { collMod: name };
  if (Object.keys(set).length) entry.set = set;
  if (unset.length) entry.unset = unset;
  if (index) entry.index = index;
  engine.write({ op: 'c', ns: `${ctx.db}.$cmd`, o: entry });
  return reply;
}

registerCommands({
  collMod: { handler: collMod, write: true },
});
