/** The test app on Bun with the Node entry: `bun bun-server.mjs <uri>`; prints "listening <port>". */
import { MongoClient } from '@mongo-edge/core/node';
import { createApp } from './app.js';

declare const Bun: { argv: string[]; serve(options: { port: number; hostname: string; fetch(r: Request): Promise<Response> }): { port: number } };

const uri = Bun.argv[2]!;
const app = createApp({ makeClient: () => new MongoClient(uri) });
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app });
console.log(`listening ${server.port}`);
