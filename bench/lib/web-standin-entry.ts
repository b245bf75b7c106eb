/**
 * Stand-in for the web client's entry while packages/web-client/src/index.ts does not
 * exist: what it will bundle (the core's public API, MongoClient, the WebSocket
 * transport, bson's value types). Used only by the bundle-size section.
 */
export * from '@mongo-edge/core';
export { WebSocketTransport } from '@mongo-edge/core/internal';
export { MongoClient } from '../../packages/core/src/client/mongo-client.js';
export { ObjectId, Long, Decimal128, Binary, Timestamp, UUID, EJSON } from 'bson';
