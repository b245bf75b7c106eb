/**
 * Names the official `mongodb` 7 package exports that our user entries do not (yet):
 * each group with its reason. exports.test.ts fails on a missing name that is not here,
 * and on a name listed here that we now export (delete it from this list when you add it),
 * so the list is exactly today's gap.
 *
 * `kind: 'value'`: mongodb exports a runtime value (class, constant); `kind: 'type'`: one
 * of the types programs commonly name (exports.test.ts USER_TYPES).
 */
export interface Omission {
  readonly kind: 'value' | 'type';
  readonly names: readonly string[];
  readonly reason: string;
  /** Only these entries lack the names (default: every user entry). */
  readonly entries?: readonly string[];
}

export const OMISSIONS: readonly Omission[] = [
  {
    kind: 'value',
    names: ['ClientEncryption', 'AutoEncryptionLoggerLevel', 'MongoCryptAzureKMSRequestError', 'MongoCryptCreateDataKeyError', 'MongoCryptCreateEncryptedCollectionError', 'MongoCryptError', 'MongoCryptInvalidArgumentError', 'MongoCryptKMSRequestNetworkTimeoutError', 'MongoMissingDependencyError'],
    reason: 'client-side field-level encryption needs mongodb-client-encryption (a native addon): not supported',
  },
  {
    kind: 'value',
    names: ['MongoAWSError', 'MongoAzureError', 'MongoGCPError', 'MongoKerberosError', 'MongoOIDCError', 'GSSAPICanonicalizationValue'],
    reason: 'auth mechanisms not implemented (GSSAPI, MONGODB-AWS, MONGODB-OIDC); SCRAM, PLAIN and X.509 are',
  },
  {
    kind: 'value',
    names: ['Compressor', 'MongoDecompressionError'],
    reason: 'wire compression (snappy, zlib, zstd) is not implemented',
  },
  {
    kind: 'value',
    names: ['GridFSBucket', 'GridFSBucketReadStream', 'GridFSBucketWriteStream', 'MongoGridFSChunkError', 'MongoGridFSStreamError'],
    reason: "GridFS is a subpath of its own, so the main entries and the browser bundle do not carry it: '@mongo-edge/core/gridfs' exports GridFSBucket on WHATWG streams (every runtime), the Node entry one on Node streams",
    entries: ['@mongo-edge/core', '@mongo-edge/web-client'],
  },
  {
    kind: 'value',
    names: ['BatchType'],
    reason: 'not yet: the legacy bulk ops exist (initializeOrderedBulkOp), this constant of their batch kinds is not exported',
  },
  {
    kind: 'value',
    names: ['MongoClientBulkWriteError'],
    reason: 'client.bulkWrite (the 8.0 bulkWrite command) is registered by the Node entry only, to keep it out of the browser bundle',
    entries: ['@mongo-edge/core', '@mongo-edge/web-client'],
  },
  {
    kind: 'value',
    names: ['MongoClientBulkWriteCursorError', 'MongoClientBulkWriteExecutionError'],
    reason: 'client.bulkWrite sends one command per call: no cursor over its results, no batch splitting',
  },
  {
    kind: 'value',
    names: ['MongoLoggableComponent', 'SeverityLevel'],
    reason: 'the driver logging spec (mongodbLogComponentSeverities) is not implemented; use the monitoring events',
  },
  {
    kind: 'value',
    names: ['MongoServerClosedError', 'MongoStalePrimaryError', 'MongoTailableCursorError'],
    reason: 'not defined by this driver (errors.ts has no such class); the cases they name (a closed server, a stale primary, a tailable cursor) are not reported with these classes',
  },
  {
    kind: 'value',
    names: ['ProfilingLevel'],
    reason: 'not yet: constant objects of plain strings; the strings themselves are accepted',
  },
  {
    kind: 'value',
    names: [
      'ConnectionPoolCreatedEvent',
      'ConnectionPoolReadyEvent',
      'ConnectionPoolClearedEvent',
      'ConnectionPoolClosedEvent',
      'ConnectionCreatedEvent',
      'ConnectionReadyEvent',
      'ConnectionClosedEvent',
      'ConnectionCheckOutStartedEvent',
      'ConnectionCheckOutFailedEvent',
      'ConnectionCheckedOutEvent',
      'ConnectionCheckedInEvent',
    ],
    reason: 'exported as types (interfaces with the spec fields), not classes: `import type` works, `instanceof` does not',
  },
  {
    kind: 'value',
    names: [
      'ConnectionPoolMonitoringEvent',
      'ServerHeartbeatStartedEvent',
      'ServerHeartbeatSucceededEvent',
      'ServerHeartbeatFailedEvent',
      'ServerOpeningEvent',
      'ServerClosedEvent',
      'ServerDescriptionChangedEvent',
      'TopologyOpeningEvent',
      'TopologyClosedEvent',
      'TopologyDescriptionChangedEvent',
    ],
    reason: 'not yet under these names: the SDAM monitoring events are typed by TopologyEvents (and HeartbeatStartedEvent, …), not by these classes',
  },
];
