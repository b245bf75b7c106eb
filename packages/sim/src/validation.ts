/**
 * Collection validators, as mongod enforces them on inserts and updates:
 * `validator` (a query, possibly with `$jsonSchema`), `validationLevel` (strict: every
 * write; moderate: updates of documents that were valid; off) and `validationAction`
 * (error: DocumentValidationFailure 121 with `errInfo`; warn: logged, written).
 * `bypassDocumentValidation: true` skips it. Replicated writes are never validated
 * (the check sits in the command layer, not in the storage engine).
 *
 * `$jsonSchema` is evaluated here (mongod's draft-4 subset with `bsonType`), both for
 * validators and inside query filters (registered with mingo as its schema validator).
 */
import { Binary, BSONRegExp, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { Query } from 'mingo';
import { CommandError, ErrorCode, WriteError } from './errors.js';
import { isPlainObject, keyOf, toViewDoc, type Doc } from './storage/values.js';

export const DocumentValidationFailure = 121;

const BSON_TYPES = new Set([
  'double', 'string', 'object', 'array', 'binData', 'undefined', 'objectId', 'bool', 'date', 'null', 'regex',
  'dbPointer', 'javascript', 'symbol', 'javascriptWithScope', 'int', 'timestamp', 'long', 'decimal', 'minKey', 'maxKey', 'number',
]);
const JSON_TYPES = new Set(['object', 'array', 'number', 'boolean', 'string', 'null']);

/** The BSON type alias of a typed value (values decoded with promoteValues: false). */
export function bsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 'int' : 'double';
  if (typeof v === 'bigint' || v instanceof Long) return 'long';
  if (v instanceof Int32) return 'int';
  if (v instanceof Double) return 'double';
  if (v instanceof Decimal128) return 'decimal';
  if (v instanceof ObjectId) return 'objectId';
  if (v instanceof Date) return 'date';
  if (v instanceof Binary || v instanceof Uint8Array) return 'binData';
  if (v instanceof RegExp || v instanceof BSONRegExp) return 'regex';
  if (v instanceof Timestamp) return 'timestamp';
  if (v instanceof MinKey) return 'minKey';
  if (v instanceof MaxKey) return 'maxKey';
  if (v instanceof Code) return 'javascript';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function isNumberType(t: string): boolean {
  return t === 'int' || t === 'long' || t === 'double' || t === 'decimal';
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof Int32 || v instanceof Double) return v.value;
  if (v instanceof Long) return v.toNumber();
  if (v instanceof Decimal128) return Number.parseFloat(v.toString());
  return undefined;
}

function jsonTypeMatches(t: string, v: unknown): boolean {
  const b = bsonTypeOf(v);
  switch (t) {
    case 'object':
      return b === 'object';
    case 'array':
      return b === 'array';
    case 'number':
      return isNumberType(b);
    case 'boolean':
      return b === 'bool';
    case 'string':
      return b === 'string';
    case 'null':
      return b === 'null';
    default:
      return false;
  }
}

function bsonTypeMatches(t: string, v: unknown): boolean {
  const b = bsonTypeOf(v);
  return t === 'number' ? isNumberType(b) : t === b;
}

/** One unsatisfied schema rule, shaped like mongod's `schemaRulesNotSatisfied` entries. */
type Detail = Doc;

const KEYWORDS = new Set([
  'bsonType', 'type', 'required', 'properties', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength',
  'pattern', 'enum', 'items', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems', 'additionalProperties', 'patternProperties',
  'minProperties', 'maxProperties', 'anyOf', 'allOf', 'oneOf', 'not', 'dependencies', 'multipleOf', 'title', 'description', 'encrypt', 'encryptMetadata',
]);

/** Validates a schema as mongod's parser does (unknown keywords, bad types): code 9 / 14. */
export function checkSchema(schema: unknown, path = '$jsonSchema'): void {
  if (!isPlainObject(schema)) throw new CommandError(ErrorCode.TypeMismatch, `${path} must be an object`);
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$schema' || k === 'id' || k === 'default' || k === 'definitions' || k === 'format' || k === '$ref') {
      throw new CommandError(ErrorCode.FailedToParse, `$jsonSchema keyword '${k}' is not currently supported`);
    }
    if (!KEYWORDS.has(k)) throw new CommandError(ErrorCode.FailedToParse, `Unknown $jsonSchema keyword: ${k}`);
    if (k === 'bsonType') {
      for (const t of Array.isArray(v) ? v : [v]) if (typeof t !== 'string' || !BSON_TYPES.has(t)) throw new CommandError(ErrorCode.BadValue, `Unknown type name alias: ${String(t)}`);
    }
    if (k === 'type') {
      for (const t of Array.isArray(v) ? v : [v]) {
        if (typeof t !== 'string' || !JSON_TYPES.has(t)) throw new CommandError(ErrorCode.BadValue, `Unknown type name alias: ${String(t)}`);
      }
    }
    if (k === 'required' && (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string'))) {
      throw new CommandError(ErrorCode.FailedToParse, "$jsonSchema keyword 'required' must be a nonempty array of strings");
    }
    if ((k === 'properties' || k === 'patternProperties') && isPlainObject(v)) for (const [p, s] of Object.entries(v)) checkSchema(s, `${path}.${k}.${p}`);
    if (k === 'items' || k === 'additionalItems' || k === 'additionalProperties' || k === 'not') {
      if (isPlainObject(v)) checkSchema(v, `${path}.${k}`);
      else if (Array.isArray(v)) v.forEach((s, i) => checkSchema(s, `${path}.${k}.${i}`));
    }
    if ((k === 'anyOf' || k === 'allOf' || k === 'oneOf') && (!Array.isArray(v) || v.length === 0)) {
      throw new CommandError(ErrorCode.FailedToParse, `$jsonSchema keyword '${k}' must be a nonempty array`);
    }
    if (k === 'anyOf' || k === 'allOf' || k === 'oneOf') (v as unknown[]).forEach((s, i) => checkSchema(s, `${path}.${k}.${i}`));
  }
}

/** The rules of `schema` that `value` does not satisfy (empty: valid). `value` is typed. */
export function schemaFailures(schema: Doc, value: unknown): Detail[] {
  const out: Detail[] = [];
  const t = bsonTypeOf(value);
  const fail = (operatorName: string, specifiedAs: Doc, reason: string, extra: Doc = {}): void => {
    out.push({ operatorName, specifiedAs, reason, ...extra });
  };
  const typeFail = (op: string, spec: unknown): void => fail(op, { [op]: spec }, 'type did not match', { consideredValue: value, consideredType: t });
  if (schema.bsonType !== undefined) {
    const list = (Array.isArray(schema.bsonType) ? schema.bsonType : [schema.bsonType]) as string[];
    if (!list.some((x) => bsonTypeMatches(x, value))) typeFail('bsonType', schema.bsonType);
  }
  if (schema.type !== undefined) {
    const list = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
    if (!list.some((x) => jsonTypeMatches(x, value))) typeFail('type', schema.type);
  }
  if (schema.enum !== undefined && Array.isArray(schema.enum) && !schema.enum.some((e) => keyOf(e) === keyOf(value))) {
    fail('enum', { enum: schema.enum }, 'value was not found in enum', { consideredValue: value });
  }
  const n = num(value);
  if (n !== undefined) {
    const min = num(schema.minimum);
    const max = num(schema.maximum);
    if (min !== undefined && (schema.exclusiveMinimum === true ? n <= min : n < min)) fail('minimum', { minimum: schema.minimum, ...(schema.exclusiveMinimum === true ? { exclusiveMinimum: true } : {}) }, 'comparison failed', { consideredValue: value });
    if (max !== undefined && (schema.exclusiveMaximum === true ? n >= max : n > max)) fail('maximum', { maximum: schema.maximum, ...(schema.exclusiveMaximum === true ? { exclusiveMaximum: true } : {}) }, 'comparison failed', { consideredValue: value });
    const mult = num(schema.multipleOf);
    if (mult !== undefined && mult !== 0 && n % mult !== 0) fail('multipleOf', { multipleOf: schema.multipleOf }, 'considered value is not a multiple of the specified value', { consideredValue: value });
  }
  if (typeof value === 'string') {
    const len = [...value].length;
    const minL = num(schema.minLength);
    const maxL = num(schema.maxLength);
    if (minL !== undefined && len < minL) fail('minLength', { minLength: schema.minLength }, 'specified string length was not satisfied', { consideredValue: value });
    if (maxL !== undefined && len > maxL) fail('maxLength', { maxLength: schema.maxLength }, 'specified string length was not satisfied', { consideredValue: value });
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      fail('pattern', { pattern: schema.pattern }, 'regular expression did not match', { consideredValue: value });
    }
  }
  if (Array.isArray(value)) {
    const minI = num(schema.minItems);
    const maxI = num(schema.maxItems);
    if (minI !== undefined && value.length < minI) fail('minItems', { minItems: schema.minItems }, 'array did not match specified length', { consideredValue: value });
    if (maxI !== undefined && value.length > maxI) fail('maxItems', { maxItems: schema.maxItems }, 'array did not match specified length', { consideredValue: value });
    if (schema.uniqueItems === true && new Set(value.map(keyOf)).size !== value.length) fail('uniqueItems', { uniqueItems: true }, 'found a duplicate item', { consideredValue: value });
    if (isPlainObject(schema.items)) {
      const items = schema.items;
      const bad = value.map((x, i) => ({ i, d: schemaFailures(items, x) })).filter((x) => x.d.length > 0);
      if (bad.length) fail('items', { items }, 'At least one item did not match the sub-schema', { itemIndex: bad[0]!.i, details: bad[0]!.d });
    } else if (Array.isArray(schema.items)) {
      const tuple = schema.items as Doc[];
      for (let i = 0; i < Math.min(tuple.length, value.length); i++) {
        const d = schemaFailures(tuple[i]!, value[i]);
        if (d.length) {
          fail('items', { items: tuple }, 'At least one item did not match the sub-schema', { itemIndex: i, details: d });
          break;
        }
      }
      if (schema.additionalItems === false && value.length > tuple.length) fail('additionalItems', { additionalItems: false }, 'found additional items', { consideredValue: value });
    }
  }
  if (isPlainObject(value)) {
    if (Array.isArray(schema.required)) {
      const missing = (schema.required as string[]).filter((p) => value[p] === undefined);
      if (missing.length) fail('required', { required: schema.required }, '', { missingProperties: missing });
      if (missing.length) delete out[out.length - 1]!.reason;
    }
    const keys = Object.keys(value);
    const minP = num(schema.minProperties);
    const maxP = num(schema.maxProperties);
    if (minP !== undefined && keys.length < minP) fail('minProperties', { minProperties: schema.minProperties }, 'specified number of properties was not satisfied', { numberOfProperties: keys.length });
    if (maxP !== undefined && keys.length > maxP) fail('maxProperties', { maxProperties: schema.maxProperties }, 'specified number of properties was not satisfied', { numberOfProperties: keys.length });
    const props = isPlainObject(schema.properties) ? schema.properties : {};
    const notSatisfied: Doc[] = [];
    for (const [p, sub] of Object.entries(props)) {
      if (value[p] === undefined || !isPlainObject(sub)) continue;
      const d = schemaFailures(sub, value[p]);
      if (d.length) notSatisfied.push({ propertyName: p, details: d });
    }
    if (notSatisfied.length) out.push({ operatorName: 'properties', propertiesNotSatisfied: notSatisfied });
    const patterns = isPlainObject(schema.patternProperties) ? Object.entries(schema.patternProperties).map(([re, s]) => [new RegExp(re, 'u'), s as Doc] as const) : [];
    for (const [re, sub] of patterns) {
      for (const k of keys) {
        if (!re.test(k)) continue;
        const d = schemaFailures(sub, value[k]);
        if (d.length) out.push({ operatorName: 'patternProperties', propertiesNotSatisfied: [{ propertyName: k, details: d }] });
      }
    }
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== true) {
      const extra = keys.filter((k) => !(k in props) && !patterns.some(([re]) => re.test(k)));
      if (schema.additionalProperties === false) {
        if (extra.length) fail('additionalProperties', { additionalProperties: false }, 'found additional properties', { additionalProperties: extra });
      } else if (isPlainObject(schema.additionalProperties)) {
        const sub = schema.additionalProperties;
        for (const k of extra) {
          const d = schemaFailures(sub, value[k]);
          if (d.length) out.push({ operatorName: 'additionalProperties', reason: 'at least one additional property did not match the subschema', failingProperty: k, details: d });
        }
      }
    }
    if (isPlainObject(schema.dependencies)) {
      for (const [k, dep] of Object.entries(schema.dependencies)) {
        if (value[k] === undefined) continue;
        if (Array.isArray(dep)) {
          const missing = (dep as string[]).filter((p) => value[p] === undefined);
          if (missing.length) out.push({ operatorName: 'dependencies', failingDependencies: [{ conditionalProperty: k, missingProperties: missing }] });
        } else if (isPlainObject(dep) && schemaFailures(dep, value).length) {
          out.push({ operatorName: 'dependencies', failingDependencies: [{ conditionalProperty: k, details: schemaFailures(dep, value) }] });
        }
      }
    }
  }
  if (Array.isArray(schema.allOf)) {
    const d = (schema.allOf as Doc[]).map((s) => schemaFailures(s, value)).filter((x) => x.length);
    if (d.length) out.push({ operatorName: 'allOf', schemasNotSatisfied: d.map((details, index) => ({ index, details })) });
  }
  if (Array.isArray(schema.anyOf) && !(schema.anyOf as Doc[]).some((s) => schemaFailures(s, value).length === 0)) {
    out.push({ operatorName: 'anyOf', schemasNotSatisfied: (schema.anyOf as Doc[]).map((s, index) => ({ index, details: schemaFailures(s, value) })) });
  }
  if (Array.isArray(schema.oneOf)) {
    const ok = (schema.oneOf as Doc[]).filter((s) => schemaFailures(s, value).length === 0).length;
    if (ok !== 1) out.push({ operatorName: 'oneOf', reason: ok === 0 ? 'no subschema matched' : 'more than one subschema matched' });
  }
  if (isPlainObject(schema.not) && schemaFailures(schema.not, value).length === 0) {
    out.push({ operatorName: 'not', reason: 'child expression matched' });
  }
  return out;
}

/** For mingo's `$jsonSchema` query operator: the schema as a predicate over view documents. */
export function jsonSchemaPredicate(schema: Record<string, unknown>): (doc: unknown) => boolean {
  checkSchema(schema);
  return (doc) => schemaFailures(schema, doc).length === 0;
}

export interface ValidatorOptions {
  validator?: unknown;
  validationLevel?: unknown;
  validationAction?: unknown;
}

/** Checks the validator options of create / collMod; throws mongod's errors. */
export function checkValidatorOptions(o: ValidatorOptions): void {
  if (o.validator !== undefined) {
    if (!isPlainObject(o.validator)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'validator' is the wrong type, expected type 'object'");
    for (const k of ['$near', '$nearSphere', '$text', '$where', '$geoNear']) {
      if (JSON.stringify(Object.keys(o.validator)).includes(k)) throw new CommandError(ErrorCode.InvalidOptions, `${k} is not allowed in collection validators`);
    }
    if (o.validator.$jsonSchema !== undefined) checkSchema(o.validator.$jsonSchema);
    try {
      new Query(toViewDoc(o.validator), { jsonSchemaValidator: jsonSchemaPredicate });
    } catch (e) {
      if (e instanceof CommandError) throw e;
      throw new CommandError(ErrorCode.InvalidOptions, (e as Error).message);
    }
  }
  if (o.validationLevel !== undefined && o.validationLevel !== 'off' && o.validationLevel !== 'strict' && o.validationLevel !== 'moderate') {
    throw new CommandError(ErrorCode.BadValue, `Enumeration value '${String(o.validationLevel)}' for field 'validationLevel' is not a valid value.`);
  }
  if (o.validationAction !== undefined && o.validationAction !== 'error' && o.validationAction !== 'warn') {
    throw new CommandError(ErrorCode.BadValue, `Enumeration value '${String(o.validationAction)}' for field 'validationAction' is not a valid value.`);
  }
}

/** Why `doc` fails `validator` (mongod's errInfo.details), or undefined when it passes. */
export function validatorFailure(validator: Doc, doc: Doc): Doc | undefined {
  const { $jsonSchema, ...rest } = validator;
  const view = toViewDoc(doc);
  const clauses: Doc[] = [];
  if (isPlainObject($jsonSchema)) {
    const rules = schemaFailures($jsonSchema, doc);
    if (rules.length) clauses.push({ operatorName: '$jsonSchema', ...(typeof $jsonSchema.title === 'string' ? { title: $jsonSchema.title } : {}), schemaRulesNotSatisfied: rules });
  }
  if (Object.keys(rest).length) {
    const q = new Query(toViewDoc(rest), { jsonSchemaValidator: jsonSchemaPredicate, useStrictMode: true });
    if (!q.test(view)) {
      for (const [k, v] of Object.entries(rest)) {
        if (new Query(toViewDoc({ [k]: v }), { jsonSchemaValidator: jsonSchemaPredicate }).test(view)) continue;
        clauses.push(k.startsWith('$') ? { operatorName: k, specifiedAs: { [k]: v }, reason: 'expression did not match' } : { operatorName: '$eq', specifiedAs: { [k]: v }, reason: 'comparison failed', consideredValue: (view[k] ?? null) as unknown });
      }
    }
  }
  if (clauses.length === 0) return undefined;
  if (clauses.length === 1 && Object.keys(rest).length + ($jsonSchema !== undefined ? 1 : 0) === 1) return clauses[0];
  return { operatorName: '$and', clausesNotSatisfied: clauses.map((details, index) => ({ index, details })) };
}

export interface ValidationContext {
  /** The collection's options (validator, validationLevel, validationAction). */
  options: Doc;
  bypass: boolean;
  /** validationAction 'warn': where the failure is logged. */
  warn?: (info: Doc) => void;
}

/**
 * Validates a new version of a document. `old` is the document being updated (for
 * validationLevel 'moderate': an update of an already-invalid document is not checked).
 */
export function validateDocument(ctx: ValidationContext, doc: Doc, old?: Doc): void {
  const validator = ctx.options.validator;
  if (ctx.bypass || !isPlainObject(validator) || Object.keys(validator).length === 0) return;
  const level = ctx.options.validationLevel ?? 'strict';
  if (level === 'off') return;
  if (level === 'moderate' && old && validatorFailure(validator, old)) return;
  const details = validatorFailure(validator, doc);
  if (!details) return;
  const errInfo = { failingDocumentId: doc._id, details };
  if ((ctx.options.validationAction ?? 'error') === 'warn') {
    ctx.warn?.(errInfo);
    return;
  }
  throw new WriteError(DocumentValidationFailure, 'Document failed validation', { errInfo });
}

