/**
 * Public API of @mongo-edge/core (the only barrel): the platform-neutral driver.
 * `new MongoClient(url, { transport })` runs on any Transport; Node users import
 * MongoClient from '@mongo-edge/core/node' (TCP by default); browsers and workers
 * use '@mongo-edge/web-client' (the WebSocket bridge transport).
 */
export * from './errors.js';
// BSON classes, the BSON namespace, EJSON and ServerApiVersion: the list is in public-names.ts.
export * from './public-names.js';
export { MongoPoolClosedError, MongoWaitQueueTimeoutError } from './pool/errors.js';

// client API
export { MongoClient } from './client/mongo-client.js';
export type { MongoClientEvents } from './client/mongo-client.js';
export type * from './client/events.js';
export { CommandStartedEvent, CommandSucceededEvent, CommandFailedEvent } from './operation/command-monitoring.js';
export type { MongoClientOptions, ServerApi } from './client/options.js';
export type { BSONSerializeOptions } from './wire/bson-options.js';
export { applicationView } from './wire/application-view.js';
export * from './client/db.js';
export * from './client/admin.js';
export * from './client/collection.js';
export * from './client/abstract-cursor.js';
export * from './client/find-cursor.js';
export * from './client/aggregation-cursor.js';
export * from './client/list-cursors.js';
export { ListSearchIndexesCursor, type ListSearchIndexesOptions, type SearchIndexDescription } from './client/search-indexes.js';
export * from './client/run-command-cursor.js';
export * from './client/results.js';
export * from './client/legacy-bulk.js';
export type {
  InsertOneModel,
  UpdateOneModel,
  UpdateManyModel,
  ReplaceOneModel,
  DeleteOneModel,
  DeleteManyModel,
  AnyBulkWriteOperation,
  BulkWriteOptions,
} from './client/bulk.js';
export type {
  ClientInsertOneModel,
  ClientUpdateModel,
  ClientReplaceOneModel,
  ClientDeleteModel,
  AnyClientBulkWriteModel,
  ClientBulkWriteOptions,
  ClientInsertOneResult,
  ClientUpdateResult,
  ClientDeleteResult,
  ClientBulkWriteResult,
  ClientBulkWriteError,
} from './client/client-bulk-write.js';
export type { CursorStream, CursorStreamOptions } from './client/streams.js';
export { ChangeStream } from './change-stream/change-stream.js';
export type * from './change-stream/types.js';
export * from './client/types.js';
export { ClientSession } from './client/sessions.js';
export type { ClientSessionOptions } from './client/sessions.js';
export { Transaction, TxnState } from './client/transaction.js';
export type { TransactionOptions } from './client/transaction-commands.js';
export type { ClusterTime } from './operation/cluster-time.js';
export type {
  OperationExecutor,
  ManagedOperationExecutor,
  ExecutorFactory,
  ExecuteOptions,
  ExecuteResult,
  ExecutorSession,
  WireLimits,
} from './operation/executor.js';
export { DEFAULT_WIRE_LIMITS } from './operation/executor.js';

// concerns and read preference
export { ReadConcern, ReadConcernLevel } from './concern/read-concern.js';
export type { ReadConcernLike } from './concern/read-concern.js';
export { WriteConcern } from './concern/write-concern.js';
export type { WriteConcernSettings } from './concern/write-concern.js';
export { ReadPreference, ReadPreferenceMode } from './selection/read-preference.js';
export type { ReadPreferenceLike, TagSet } from './selection/read-preference.js';

// topology (SDAM) and selection
export { ServerType } from './sdam/server-description.js';
export type { ServerDescription, TopologyVersion } from './sdam/server-description.js';
export { TopologyType } from './sdam/topology-description.js';
export type { TopologyDescription } from './sdam/topology-description.js';
export type { TopologyEvents, TopologyEventName } from './sdam/topology.js';
export { selectServers, pickServer, SelectionOperation } from './selection/select-servers.js';
export type { SelectionCriteria } from './selection/select-servers.js';
export { explainNoSuitableServer } from './selection/explain.js';
export type * from './pool/events.js';

// connection strings
export { parseConnectionString } from './uri/connection-string.js';
export type { ConnectionString, HostAddress } from './uri/connection-string.js';
export type { MongoOptions, Auth, AuthMechanismProperties } from './uri/client-options.js';
export type { MongoCredentials } from './connection/types.js';
export { AuthMechanism } from './connection/auth/types.js';
export type { SrvResolver, SrvRecord } from './uri/srv.js';
export { DohResolver } from './uri/doh-resolver.js';

// transports
export type { Transport, TransportSocket, TransportConnectOptions, TransportTlsOptions } from './transport/transport.js';
export { WebSocketTransport } from './runtime/bridge/transport.js';
export type { WebSocketTransportOptions } from './runtime/bridge/transport.js';
export { StreamSocket } from './transport/stream-socket.js';
export type { ByteStreamPair, StreamSocketOptions } from './transport/stream-socket.js';
export { isForeignRequestIoError } from './transport/request-scope.js';
