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

/** The URI to pass with `gateway`: its host is a placeholder (the gateway is the only server). */
export const GATEWAY_URI = 'mongodb://gateway/';

/** A mongo-edge gateway (docs/gateway.md): the bridge URL and the end user's JWT (or an async getter, called on every reconnect). */
export interface GatewayOptions {
  url: string;
  token: BridgeOptions['token'];
  /** WebSocket constructor (default globalThis.WebSocket). */
  WebSocket?: BridgeOptions['WebSocket'];
}

export interface MongoClientOptions extends CoreMongoClientOptions {
  /**
   * The bridge to reach the deployment through: `{ url: 'wss://…/ws', token }`.
   * Uses globalThis.WebSocket unless `bridge.WebSocket` is given. Ignored when a
   * `transport` is passed explicitly.
   */
  bridge?: BridgeOptions;
  /**
   * Use a gateway instead of a relay: `{ url: 'wss://…/ws', token }`. The gateway holds
   * the database credentials and applies per-user rules; the URI names no hosts of its
   * own (use GATEWAY_URI, optionally with a database: 'mongodb://gateway/app') and must
   * not carry credentials. Exclusive with `bridge` and `transport`.
   */
  gateway?: GatewayOptions;
}

/**
 * The browser MongoClient: the core client whose transport is the bridge named in
 * `options.bridge` (or any `transport` passed in). The WebSocket opens on connect(),
 * not here; after close() the client can connect again (a new WebSocket is opened).
 */
export class MongoClient extends CoreMongoClient {
  constructor(url: string, options: MongoClientOptions = {}) {
    const { bridge, gateway, ...rest } = options;
    if (gateway) {
      if (bridge || rest.transport) throw new MongoInvalidArgumentError('the gateway option excludes bridge and transport');
      if (/^mongodb(\+srv)?:\/\/[^/]*@/.test(url)) {
        throw new MongoInvalidArgumentError('with a gateway the URI carries no credentials: the gateway holds them (use GATEWAY_URI)');
      }
      if (/[?&](loadBalanced|directConnection|replicaSet)=/i.test(url)) {
        throw new MongoInvalidArgumentError('with a gateway the URI sets no loadBalanced, directConnection or replicaSet: the gateway option sets them');
      }
      // Load-balanced mode (docs/gateway.md): no monitor, the gateway is selectable at once,
      // and each connection's hello travels with its first command: a cold request costs the
      // WebSocket upgrade plus one round trip.
      rest.loadBalanced = true;
      rest.transport = new BridgeTransport({ url: gateway.url, token: gateway.token, gateway: true, ...(gateway.WebSocket ? { WebSocket: gateway.WebSocket } : {}) });
    } else if (rest.transport === undefined) {
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
