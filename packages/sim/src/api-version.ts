/**
 * The Stable API (versioned API) as mongod 7.0 checks it on every command:
 * `apiVersion` must be "1" (APIVersionError 322); `apiStrict` / `apiDeprecationErrors`
 * need an `apiVersion`; with `apiStrict: true`, a command or aggregation stage outside
 * API Version 1 fails with APIStrictError 323; with `apiDeprecationErrors: true`, a
 * deprecated one fails with APIDeprecationError 363. Also the test commands mongod has
 * with enableTestCommands (testVersion2, testDeprecation...), which the versioned-api
 * spec tests run.
 */
import { CommandError, ErrorCode } from './errors.js';
import { isPlainObject, type Doc } from './storage/values.js';

/** The commands in API Version 1 (mongod 7.0). */
export const API_V1_COMMANDS: ReadonlySet<string> = new Set([
  'abortTransaction', 'aggregate', 'authenticate', 'collMod', 'commitTransaction', 'count', 'create', 'createIndexes', 'delete', 'drop',
  'dropDatabase', 'dropIndexes', 'endSessions', 'explain', 'find', 'findAndModify', 'getMore', 'hello', 'insert', 'killCursors',
  'listCollections', 'listDatabases', 'listIndexes', 'ping', 'refreshSessions', 'saslContinue', 'saslStart', 'update',
  'testDeprecation', 'testVersions1And2', 'testRemoval',
]);

/** Deprecated in API Version 1 (only the test command today). */
const DEPRECATED_V1 = new Set(['testDeprecation']);

/** The aggregation stages in API Version 1. */
const API_V1_STAGES = new Set([
  '$addFields', '$bucket', '$bucketAuto', '$changeStream', '$collStats', '$count', '$densify', '$facet', '$fill', '$geoNear',
  '$graphLookup', '$group', '$indexStats', '$limit', '$listSessions', '$lookup', '$match', '$merge', '$out', '$project', '$redact',
  '$replaceRoot', '$replaceWith', '$sample', '$set', '$setWindowFields', '$skip', '$sort', '$sortByCount', '$unionWith', '$unset', '$unwind',
]);

const DOCHUB = 'Information on supported commands and migrations in API Version 1 can be found at https://dochub.mongodb.org/core/manual-versioned-api';

function strictStageError(stage: string): CommandError {
  return new CommandError(ErrorCode.APIStrictError, `${stage} is not allowed with 'apiStrict: true' in API Version 1`);
}

function checkPipeline(pipeline: unknown): void {
  if (!Array.isArray(pipeline)) return;
  for (const s of pipeline) {
    if (!isPlainObject(s)) continue;
    const stage = Object.keys(s)[0];
    if (stage === undefined) continue;
    if (!API_V1_STAGES.has(stage)) throw strictStageError(stage);
    const spec = s[stage];
    if (stage === '$facet' && isPlainObject(spec)) for (const p of Object.values(spec)) checkPipeline(p);
    if ((stage === '$lookup' || stage === '$unionWith') && isPlainObject(spec)) checkPipeline(spec.pipeline);
  }
}

export interface ApiParameters {
  readonly version?: string;
  readonly strict: boolean;
  readonly deprecationErrors: boolean;
}

/** Validates the API parameters of a command (args: the number-normalized body). Throws mongod's errors. */
export function checkApiParameters(name: string, args: Doc): ApiParameters {
  const { apiVersion, apiStrict, apiDeprecationErrors } = args;
  if (apiVersion === undefined) {
    if (apiStrict !== undefined) throw new CommandError(ErrorCode.APIVersionError, `Provided apiStrict: ${String(apiStrict)}, but no apiVersion`);
    if (apiDeprecationErrors !== undefined) throw new CommandError(ErrorCode.APIVersionError, `Provided apiDeprecationErrors: ${String(apiDeprecationErrors)}, but no apiVersion`);
    return { strict: false, deprecationErrors: false };
  }
  if (typeof apiVersion !== 'string') throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'apiVersion' is the wrong type, expected type 'string'");
  if (apiStrict !== undefined && typeof apiStrict !== 'boolean') throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'apiStrict' is the wrong type, expected type 'bool'");
  if (apiDeprecationErrors !== undefined && typeof apiDeprecationErrors !== 'boolean') {
    throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'apiDeprecationErrors' is the wrong type, expected type 'bool'");
  }
  if (apiVersion !== '1') throw new CommandError(ErrorCode.APIVersionError, `API version must be "1"`);
  const params = { version: apiVersion, strict: apiStrict === true, deprecationErrors: apiDeprecationErrors === true };
  if (params.strict) {
    if (!API_V1_COMMANDS.has(name)) {
      throw new CommandError(ErrorCode.APIStrictError, `Provided apiStrict:true, but the command ${name} is not in API Version 1. ${DOCHUB}`);
    }
    if (name === 'aggregate') checkPipeline(args.pipeline);
  }
  if (params.deprecationErrors && DEPRECATED_V1.has(name)) {
    throw new CommandError(ErrorCode.APIDeprecationError, `Provided apiDeprecationErrors:true, but the command ${name} is deprecated in API Version 1. ${DOCHUB}`);
  }
  return params;
}

/** mongod's API test commands (enableTestCommands): they only answer ok; the checks above do the work. */
export const API_TEST_COMMANDS = ['testVersion2', 'testVersions1And2', 'testDeprecation', 'testDeprecationInVersion2', 'testRemoval'] as const;
