/**
 * IDL field checks, as mongod's generated command parsers do them: a command whose
 * top-level field is neither one of its own nor a generic argument fails with
 * 40415 "BSON field '<cmd>.<field>' is an unknown field." (codeName Location40415).
 * Only the commands listed in COMMAND_FIELDS are checked (mongod's IDL commands the
 * drivers send); any other command keeps accepting extra fields.
 */
import { CommandError } from './errors.js';
import type { Doc } from './storage/values.js';

export const IDLUnknownField = 40415;

/** Arguments every command accepts (mongod's generic_argument.idl, 7.0). */
export const GENERIC_FIELDS: ReadonlySet<string> = new Set([
  '$db', 'lsid', 'txnNumber', 'autocommit', 'startTransaction', 'stmtId', 'writeConcern', 'readConcern', '$readPreference',
  '$clusterTime', 'comment', 'maxTimeMS', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', '$audit', '$client',
  '$configServerState', 'allowImplicitCollectionCreation', 'mayBypassWriteBlocking', '$queryOptions', 'clientOperationKey',
  'databaseVersion', 'shardVersion', 'txnRetryCounter', 'versionContext', 'help', 'usesDefaultMaxTimeMS', '$configTime', '$topologyTime',
  'coordinator', 'readOnly', 'isTimeseriesNamespace',
]);

const COMMAND_FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  find: ['filter', 'projection', 'sort', 'hint', 'skip', 'limit', 'batchSize', 'singleBatch', 'let', 'collation', 'max', 'min', 'returnKey',
    'showRecordId', 'tailable', 'oplogReplay', 'noCursorTimeout', 'awaitData', 'allowPartialResults', 'allowDiskUse', 'readOnce', 'allowSpeculativeMajorityRead',
    'requestResumeToken', 'resumeAfter', '$_requestResumeToken', '$_resumeAfter', 'term', 'ntoreturn', 'runtimeConstants', 'includeQueryStatsMetrics', 'encryptionInformation'],
  insert: ['documents', 'ordered', 'bypassDocumentValidation', 'encryptionInformation'],
  update: ['updates', 'ordered', 'bypassDocumentValidation', 'let', 'runtimeConstants', 'encryptionInformation'],
  delete: ['deletes', 'ordered', 'let', 'bypassDocumentValidation', 'encryptionInformation'],
  findAndModify: ['query', 'fields', 'sort', 'hint', 'collation', 'arrayFilters', 'remove', 'update', 'new', 'upsert', 'bypassDocumentValidation',
    'let', 'runtimeConstants', 'encryptionInformation'],
  aggregate: ['pipeline', 'explain', 'allowDiskUse', 'cursor', 'bypassDocumentValidation', 'hint', 'collation', 'let', 'needsMerge', 'fromMongos',
    'fromRouter', 'runtimeConstants', 'exchange', 'isMapReduceCommand', 'collectionUUID', 'encryptionInformation', 'passthroughToShard', 'includeQueryStatsMetrics', 'ntoreturn'],
  count: ['query', 'limit', 'skip', 'hint', 'collation', 'fields', 'encryptionInformation'],
  distinct: ['key', 'query', 'collation', 'hint', 'sampleId'],
  getMore: ['collection', 'batchSize', 'maxTimeMS', 'term', 'lastKnownCommittedOpTime', 'includeQueryStatsMetrics'],
  killCursors: ['cursors'],
  create: ['capped', 'autoIndexId', 'idIndex', 'size', 'max', 'storageEngine', 'validator', 'validationLevel', 'validationAction', 'indexOptionDefaults',
    'viewOn', 'pipeline', 'collation', 'changeStreamPreAndPostImages', 'timeseries', 'clusteredIndex', 'expireAfterSeconds', 'encryptedFields',
    'recordIdsReplicated', 'temp', 'flags', 'collectionUUID'],
  collMod: ['validator', 'validationLevel', 'validationAction', 'index', 'viewOn', 'pipeline', 'changeStreamPreAndPostImages', 'expireAfterSeconds',
    'timeseries', 'cappedSize', 'cappedMax', 'dryRun', 'collectionUUID', 'encryptedFields', 'timeseriesBucketsMayHaveMixedSchemaData', 'recordPreImages', 'usePowerOf2Sizes', 'noPadding'],
  createIndexes: ['indexes', 'commitQuorum', 'ignoreUnknownIndexOptions', 'isTimeseriesNamespace', 'collectionUUID'],
  dropIndexes: ['index', 'collectionUUID', 'isTimeseriesNamespace'],
  listIndexes: ['cursor', 'includeBuildUUIDs', 'includeIndexBuildInfo', 'collectionUUID', 'isTimeseriesNamespace'],
  listCollections: ['filter', 'nameOnly', 'authorizedCollections', 'cursor', 'includePendingDrops'],
  drop: ['collectionUUID', 'isTimeseriesNamespace'],
  endSessions: [],
};

/** Throws 40415 when `body` (command `name`) has a field mongod's IDL parser does not know. */
export function checkCommandFields(name: string, body: Doc): void {
  const own = COMMAND_FIELDS[name];
  if (!own) return;
  const keys = Object.keys(body);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    if (GENERIC_FIELDS.has(k) || own.includes(k)) continue;
    throw new CommandError(IDLUnknownField, `BSON field '${name}.${k}' is an unknown field.`);
  }
}
