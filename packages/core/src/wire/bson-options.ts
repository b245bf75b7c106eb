/**
 * The BSON options of the official driver (`promoteLongs`, `promoteValues`,
 * `promoteBuffers`, `bsonRegExp`, `useBigInt64`, `enableUtf8Validation`,
 * `ignoreUndefined`), inherited client → Db → Collection → operation as there. The
 * decode options shape only the documents handed to the application (cursor batches,
 * findOneAnd* values, `db.command` replies); the driver reads every reply with the
 * defaults, so `promoteValues: false` cannot confuse its own bookkeeping.
 */
import type { BsonDeserializeOptions } from './bson-io.js';

export interface BSONSerializeOptions {
  /** int64 values within ±2^53 as numbers (default true); false gives Long. */
  promoteLongs?: boolean;
  /** int32/double as JS numbers (default true); false gives Int32/Double/Long. */
  promoteValues?: boolean;
  /** Binary as byte arrays instead of Binary (default false). */
  promoteBuffers?: boolean;
  /** Regular expressions as BSONRegExp (default false: RegExp). */
  bsonRegExp?: boolean;
  /** int64 values as bigint (default false). */
  useBigInt64?: boolean;
  /** Validate UTF-8 in strings (default true). */
  enableUtf8Validation?: boolean;
  /** Leave out undefined values (true) or send them as null (false, the default). */
  ignoreUndefined?: boolean;
}

export const BSON_OPTION_KEYS = Object.freeze([
  'promoteLongs',
  'promoteValues',
  'promoteBuffers',
  'bsonRegExp',
  'useBigInt64',
  'enableUtf8Validation',
  'ignoreUndefined',
] as const satisfies readonly (keyof BSONSerializeOptions)[]);

/**
 * The BSON options set in `options`, each over the one of `parent` (or of
 * `options.bsonOptions`, an options bag already resolved by the client layer).
 */
export function resolveBsonOptions(options: object | undefined, parent: BSONSerializeOptions = {}): BSONSerializeOptions {
  const resolved = (options as { bsonOptions?: BSONSerializeOptions } | undefined)?.bsonOptions;
  const out: BSONSerializeOptions = { ...(resolved ?? parent) };
  for (const k of BSON_OPTION_KEYS) {
    const v = (options as Record<string, unknown> | undefined)?.[k];
    if (typeof v === 'boolean') out[k] = v;
  }
  return out;
}

/** The decode options for application documents; undefined when every one is the default. */
export function deserializeOptionsOf(bson: BSONSerializeOptions | undefined): BsonDeserializeOptions | undefined {
  if (!bson) return undefined;
  const out: BsonDeserializeOptions = {};
  let changed = false;
  if (bson.promoteLongs === false) ((out.promoteLongs = false), (changed = true));
  if (bson.promoteValues === false) ((out.promoteValues = false), (changed = true));
  if (bson.promoteBuffers === true) ((out.promoteBuffers = true), (changed = true));
  if (bson.bsonRegExp === true) ((out.bsonRegExp = true), (changed = true));
  if (bson.useBigInt64 === true) ((out.useBigInt64 = true), (changed = true));
  if (bson.enableUtf8Validation === false) ((out.validation = { utf8: false }), (changed = true));
  return changed ? out : undefined;
}
