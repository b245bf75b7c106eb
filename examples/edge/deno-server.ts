/** The test app on Deno: `deno run --allow-net deno-server.mjs <uri> [bridgeUrl]`; prints "listening <port>". */
import { MongoClient } from '@mongo-edge/core/deno';
import { MongoClient as WebMongoClient } from '@mongo-edge/web-client';
import { createApp } from './app.js';

declare const Deno: {
  args: string[];
  serve(options: { port: number; hostname: string; onListen(addr: { port: number }): void }, handler: (r: Request) => Promise<Response>): unknown;
};

const [uri, bridgeUrl] = Deno.args;
const app = createApp({
  makeClient: () => (bridgeUrl ? new WebMongoClient(uri!, { bridge: { url: bridgeUrl } }) : new MongoClient(uri!)),
});
Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) }, app);
