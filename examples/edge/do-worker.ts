/**
 * The test Worker with the client in a Durable Object: every request goes to one object
 * (idFromName("one")), which keeps ONE client (@mongo-edge/core/cloudflare, direct TCP)
 * for every request it serves, overlapping ones included; the routes are app.ts's.
 */
import { MongoClient } from '@mongo-edge/core/cloudflare';
import { createApp } from './app.js';

interface Env {
  MONGODB_URI: string;
  HOLDER: DurableObjectNamespaceLike;
}

interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

export class ClientHolder {
  readonly #app: (request: Request) => Promise<Response>;

  constructor(_state: unknown, env: Env) {
    this.#app = createApp({ makeClient: () => new MongoClient(env.MONGODB_URI) });
  }

  fetch(request: Request): Promise<Response> {
    return this.#app(request);
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/ping') return Promise.resolve(new Response('ok'));
    return env.HOLDER.get(env.HOLDER.idFromName('one')).fetch(request);
  },
};
