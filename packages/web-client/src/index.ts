/**
 * @mongo-edge/web-client: the platform-neutral core with the WebSocket bridge as its
 * transport, for browsers, Cloudflare Workers and Deno.
 *
 *   import { MongoClient } from '@mongo-edge/web-client';
 *   const client = new MongoClient('mongodb://a:27017,b:27017/?replicaSet=rs0', {
 *     bridge: { url: 'wss://bridge.example.com/ws', token },
 *   });
 *
 * No Node globals: everything here uses WebSocket, Uint8Array, TextEncoder and
 * crypto.subtle only (a test loads the bundle in a context without process/Buffer).
 */
import { MongoClient as CoreMongoClient, MongoInvalidArgumentError, type MongoClientOptions as CoreMongoClientOptions } from '@mongo-edge/core';
import { BridgeTransport, type BridgeOptions } from './bridge-transport.js';

export * from '@mongo-edge/core';
export { MongoBridgeError, isBridgeError, BridgeErrorReason } from '@mongo-edge/core/internal';
export type { WebSocketLike, WebSocketConstructorLike, BridgeTokenSource } from '@mongo-edge/core/internal';
export { BridgeTransport } from './bridge-transport.js';
export type { BridgeOptions } from './bridge-transport.js';
// The BSON classes, BSON and EJSON come with the core's names (core/src/public-names.ts):
// bson-lite in this bundle.

export interface MongoClientOptions extends CoreMongoClientOptions {
  /**
   * The bridge to reach the deployment through: `{ url: 'wss://…/ws', token }`.
   * Uses globalThis.WebSocket unless `bridge.WebSocket` is given. Ignored when a
   * `transport` is passed explicitly.
   */
  bridge?: BridgeOptions;
}

/**
 * The browser MongoClient: the core client whose transport is the bridge named in
 * `options.bridge` (or any `transport` passed in). The WebSocket opens on connect(),
 * not here; after close() the client can connect again (a new WebSocket is opened).
 */
export class MongoClient extends CoreMongoClient {
  constructor(url: string, options: MongoClientOptions = {}) {
    const { bridge, ...rest } = options;
    if (rest.transport === undefined) {
      if (!bridge) {
        throw new MongoInvalidArgumentError(
          "@mongo-edge/web-client needs a bridge: new MongoClient(uri, { bridge: { url: 'wss://…', token } })",
        );
      }
      // Made now so a bad url fails here; a factory, so the client owns it (closes it on close()).
      const transport = new BridgeTransport(bridge);
      rest.transport = () => transport;
    }
    super(url, rest);
  }
}
