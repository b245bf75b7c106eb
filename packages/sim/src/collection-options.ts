/**
 * Collection options as mongod 7.0 validates, stores and reports them: `create`'s options
 * (capped, validator, collation, timeseries, clusteredIndex, expireAfterSeconds,
 * changeStreamPreAndPostImages, views' viewOn/pipeline...) and `collMod`'s changes, and
 * the listCollections / listIndexes entries they produce.
 */
import { Collation } from './collation.js';
import { GENERIC_FIELDS } from './command-fields.js';
import { CommandError, ErrorCode } from './errors.js';
import type { CollectionState, IndexSpec } from './storage/engine.js';
import { isPlainObject, toView, type Doc } from './storage/values.js';
import { checkValidatorOptions } from './validation.js';

const MAX_CAPPED_SIZE = 1024 ** 5;

/** Seconds a bucket spans per granularity (mongod's defaults). */
const BUCKET_SPAN: Readonly<Record<string, number>> = { seconds: 3600, minutes: 86400, hours: 2592000 };

export function isView(c: CollectionState | undefined): boolean {
  return c !== undefined && typeof c.options.viewOn === 'string';
}

export function isTimeseries(c: CollectionState | undefined): boolean {
  return c !== undefined && isPlainObject(c.options.timeseries);
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean' && typeof v !== 'number') throw new CommandError(ErrorCode.TypeMismatch, `BSON field 'create.${field}' is the wrong type '${typeof v}', expected types '[bool, long, int, decimal, double]'`);
  return Boolean(v);
}

function normalizeTimeseries(raw: unknown): Doc {
  if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'create.timeseries' is the wrong type, expected type 'object'");
  const known = new Set(['timeField', 'metaField', 'granularity', 'bucketMaxSpanSeconds', 'bucketRoundingSeconds']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new CommandError(40415, `BSON field 'TimeseriesOptions.${k}' is an unknown field.`);
  if (typeof raw.timeField !== 'string') throw new CommandError(40414, "BSON field 'TimeseriesOptions.timeField' is missing but a required field");
  if (raw.metaField !== undefined && typeof raw.metaField !== 'string') throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'TimeseriesOptions.metaField' is the wrong type, expected type 'string'");
  if (raw.metaField === raw.timeField) throw new CommandError(ErrorCode.InvalidOptions, "The 'metaField' and 'timeField' must be different");
  const out: Doc = { timeField: raw.timeField };
  if (raw.metaField !== undefined) out.metaField = raw.metaField;
  const custom = raw.bucketMaxSpanSeconds !== undefined || raw.bucketRoundingSeconds !== undefined;
  if (custom) {
    if (raw.granularity !== undefined) throw new CommandError(ErrorCode.InvalidOptions, "Time-series 'bucketMaxSpanSeconds' and 'bucketRoundingSeconds' cannot be set with 'granularity'");
    if (raw.bucketMaxSpanSeconds !== raw.bucketRoundingSeconds) throw new CommandError(ErrorCode.InvalidOptions, "Time-series 'bucketMaxSpanSeconds' and 'bucketRoundingSeconds' fields must be equal");
    out.bucketRoundingSeconds = raw.bucketRoundingSeconds;
    out.bucketMaxSpanSeconds = raw.bucketMaxSpanSeconds;
  } else {
    const g = raw.granularity ?? 'seconds';
    if (typeof g !== 'string' || BUCKET_SPAN[g] === undefined) throw new CommandError(ErrorCode.BadValue, `Enumeration value '${String(g)}' for field 'TimeseriesOptions.granularity' is not a valid value.`);
    out.granularity = g;
    out.bucketMaxSpanSeconds = BUCKET_SPAN[g];
  }
  return out;
}

function normalizeClusteredIndex(raw: unknown): Doc {
  if (raw === true) return { v: 2, key: { _id: 1 }, name: '_id_', unique: true };
  if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'create.clusteredIndex' is the wrong type, expected types '[bool, object]'");
  const known = new Set(['key', 'unique', 'name', 'v']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new CommandError(40415, `BSON field 'ClusteredIndexSpec.${k}' is an unknown field.`);
  const key = toView(raw.key);
  if (!isPlainObject(key) || Object.keys(key).length !== 1 || key._id !== 1) throw new CommandError(ErrorCode.InvalidOptions, "The clusteredIndex option is only supported for key: {_id: 1}");
  if (raw.unique !== true) throw new CommandError(ErrorCode.InvalidOptions, "The clusteredIndex option requires unique: true");
  return { v: raw.v ?? 2, key: raw.key, name: typeof raw.name === 'string' ? raw.name : '_id_', unique: true };
}

/**
 * Validates `create`'s options and returns what is stored (mongod's normalized forms:
 * the full collation, timeseries with its bucket span, clusteredIndex with v/name).
 */
export function createOptions(body: Doc, viewSourceExists: (name: string) => CollectionState | undefined): Doc {
  const opts: Doc = {};
  const keys = Object.keys(body).slice(1);
  for (const k of keys) if (!GENERIC_FIELDS.has(k)) opts[k] = body[k];
  for (const k of ['autoIndexId', 'flags', 'temp', 'recordIdsReplicated', 'encryptedFields', 'collectionUUID']) delete opts[k];
  const out: Doc = {};
  if (opts.viewOn !== undefined) {
    if (typeof opts.viewOn !== 'string') throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'create.viewOn' is the wrong type, expected type 'string'");
    if (opts.viewOn === '') throw new CommandError(ErrorCode.BadValue, "'viewOn' cannot be empty");
    for (const k of Object.keys(opts)) {
      if (k !== 'viewOn' && k !== 'pipeline' && k !== 'collation') throw new CommandError(ErrorCode.InvalidOptions, `option not supported on a view: ${k}`);
    }
    const pipeline = opts.pipeline ?? [];
    if (!Array.isArray(pipeline) || pipeline.some((s) => !isPlainObject(s))) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'create.pipeline' is the wrong type, expected type 'array'");
    for (const s of pipeline as Doc[]) {
      const stage = Object.keys(s)[0] ?? '';
      if (stage === '$out' || stage === '$merge') throw new CommandError(ErrorCode.OptionNotSupportedOnView, `${stage} cannot be used in a view definition`);
    }
    out.viewOn = opts.viewOn;
    out.pipeline = pipeline;
    const source = viewSourceExists(opts.viewOn);
    const coll = opts.collation !== undefined ? Collation.parse(toView(opts.collation)) : undefined;
    if (coll) out.collation = coll.toDoc();
    if (source && isView(source) && JSON.stringify(toView(source.options.collation ?? null)) !== JSON.stringify(toView(out.collation ?? null))) {
      throw new CommandError(ErrorCode.OptionNotSupportedOnView, `View ${String(opts.viewOn)} has a different default collation than this view`);
    }
    return out;
  }
  if (opts.pipeline !== undefined) throw new CommandError(ErrorCode.BadValue, "'pipeline' requires 'viewOn' to also be specified");
  if (opts.capped !== undefined) {
    const capped = bool(opts.capped, 'capped');
    if (capped) {
      if (opts.timeseries !== undefined) throw new CommandError(ErrorCode.InvalidOptions, 'Time-series collection cannot be capped');
      if (opts.clusteredIndex !== undefined) throw new CommandError(ErrorCode.InvalidOptions, 'Clustered collections cannot be capped');
      const size = toView(opts.size);
      if (size === undefined) throw new CommandError(ErrorCode.InvalidOptions, "the 'size' field is required when 'capped' is true");
      if (typeof size !== 'number' || size < 0) throw new CommandError(ErrorCode.BadValue, "'size' must be a non-negative number");
      if (size > MAX_CAPPED_SIZE) throw new CommandError(ErrorCode.InvalidOptions, 'Capped collection size exceeds the max allowed');
      out.capped = true;
      out.size = opts.size;
      if (opts.max !== undefined) out.max = opts.max;
    }
  }
  if (opts.timeseries !== undefined) out.timeseries = normalizeTimeseries(toView(opts.timeseries));
  if (opts.clusteredIndex !== undefined) {
    if (out.timeseries) throw new CommandError(ErrorCode.InvalidOptions, 'Cannot create a time-series collection with a clusteredIndex');
    out.clusteredIndex = normalizeClusteredIndex(opts.clusteredIndex);
  }
  if (opts.expireAfterSeconds !== undefined) {
    const s = toView(opts.expireAfterSeconds);
    if (!out.timeseries && !out.clusteredIndex) throw new CommandError(ErrorCode.InvalidOptions, "'expireAfterSeconds' requires clustering to be enabled");
    if (typeof s !== 'number' || s < 0) throw new CommandError(ErrorCode.InvalidOptions, "'expireAfterSeconds' must be a non-negative number");
    out.expireAfterSeconds = opts.expireAfterSeconds;
  }
  checkValidatorOptions({ validator: opts.validator, validationLevel: opts.validationLevel, validationAction: opts.validationAction });
  for (const k of ['validator', 'validationLevel', 'validationAction']) if (opts[k] !== undefined) out[k] = opts[k];
  if (opts.collation !== undefined) {
    const c = Collation.parse(toView(opts.collation));
    if (c) out.collation = c.toDoc();
  }
  if (opts.changeStreamPreAndPostImages !== undefined) {
    const v = opts.changeStreamPreAndPostImages;
    if (!isPlainObject(v) || typeof v.enabled !== 'boolean') throw new CommandError(40414, "BSON field 'create.changeStreamPreAndPostImages.enabled' is missing but a required field");
    if (v.enabled && out.timeseries) throw new CommandError(ErrorCode.InvalidOptions, 'changeStreamPreAndPostImages not supported for a time-series collection');
    out.changeStreamPreAndPostImages = { enabled: v.enabled };
  }
  for (const k of ['storageEngine', 'indexOptionDefaults', 'idIndex']) if (opts[k] !== undefined) out[k] = opts[k];
  if (out.idIndex !== undefined) delete out.idIndex;
  return out;
}

/** A listCollections entry for a collection or a view, as mongod 7.0 prints it. */
export function collectionInfo(c: CollectionState): Doc {
  if (isView(c)) return { name: c.name, type: 'view', options: c.options, info: { readOnly: true } };
  if (isTimeseries(c)) return { name: c.name, type: 'timeseries', options: c.options, info: { readOnly: false } };
  const entry: Doc = { name: c.name, type: 'collection', options: c.options, info: { readOnly: false, uuid: c.uuid } };
  if (!isPlainObject(c.options.clusteredIndex)) entry.idIndex = { v: 2, key: { _id: 1 }, name: '_id_' };
  return entry;
}

/** listIndexes: a clustered collection shows its clustered index in place of `_id_`; a time-series one its meta/time index. */
export function indexEntries(c: CollectionState): Doc[] {
  const clustered = c.options.clusteredIndex;
  return c.indexes.map((i: IndexSpec) => {
    if (i.name === '_id_' && isPlainObject(clustered)) return { v: clustered.v ?? 2, key: clustered.key, name: clustered.name, unique: true, clustered: true };
    return { ...i };
  });
}
