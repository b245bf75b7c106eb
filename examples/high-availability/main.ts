/**
 * `pnpm demo`: the seed documents' high-availability walkthrough, run for real on
 * mongod-sim processes, first from Node over TCP, then through the WebSocket bridge
 * (the web client's path). Flags: --tcp-only, --bridge-only. With MONGODB_SEEDS (a
 * connection string of your initiated replica set; MONGODB_MONGOS optional) it runs the
 * client-side steps on your deployment instead.
 */
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { MongoClient, WebSocketTransport, type MongoClientOptions } from '@mongo-edge/core';
import { startBridge, signBridgeToken, type BridgeHandle } from '@mongo-edge/bridge';
import { WebSocket } from 'ws';
import { runExternalWalkthrough, runWalkthrough } from './run.js';

const args = new Set(process.argv.slice(2));
const started = Date.now();
const print = (line: string): void => console.log(line);

const seeds = process.env.MONGODB_SEEDS;
const mongos = process.env.MONGODB_MONGOS;
if (seeds) {
  // Your own deployment (real mongods): the client-side steps, over TCP.
  print('#################### your deployment, over TCP ####################');
  await runExternalWalkthrough((uri, options) => new NodeMongoClient(uri, options), print, seeds, mongos);
  print(`\nwalkthrough finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(0);
}
if (!args.has('--bridge-only')) {
  print('#################### over TCP (Node, @mongo-edge/core/node) ####################');
  await runWalkthrough((uri, options) => new NodeMongoClient(uri, options), print);
}
if (!args.has('--tcp-only')) {
  print('\n#################### through the bridge (WebSocket transport, as in a browser) ####################');
  const secret = 'demo-secret-demo-secret-demo-secret-0123';
  const token = await signBridgeToken(secret, { expiresInSeconds: 600 });
  // The bridge opens only the processes this demo starts (never every local port): it
  // starts with the first replica set's members and is told each later deployment.
  const allowed: string[] = [];
  let bridge: BridgeHandle | undefined;
  const allowStarted = async (addresses: readonly string[]): Promise<void> => {
    allowed.push(...addresses);
    if (bridge) return bridge.setAllowlist(allowed);
    bridge = await startBridge({ port: 0, allow: allowed, jwtSecret: secret, log: () => {} });
    print(`(bridge listening at ${bridge.url}, allowing ${allowed.join(', ')})`);
  };
  try {
    await runWalkthrough(
      (uri, options?: MongoClientOptions) =>
        new MongoClient(uri, { ...options, transport: () => new WebSocketTransport({ url: bridge!.url, token, WebSocket: WebSocket as never }) }),
      print,
      allowStarted,
    );
  } finally {
    await bridge?.close();
  }
}
print(`\nwalkthrough finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
