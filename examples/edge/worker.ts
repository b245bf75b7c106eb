/**
 * The test Worker (and the shape of examples/cloudflare-worker): one client in global
 * scope, over direct TCP (env.MODE "direct", @mongo-edge/core/cloudflare) or through the
 * bridge (env.MODE "bridge", @mongo-edge/web-client). No nodejs_compat needed.
 */
import { MongoClient } from '@mongo-edge/core/cloudflare';
import { MongoClient as WebMongoClient } from '@mongo-edge/web-client';
import { createApp } from './app.js';

interface Env {
  MONGODB_URI: string;
  MODE: 'direct' | 'bridge';
  BRIDGE_URL?: string;
}

let app: ((request: Request) => Promise<Response>) | undefined;

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    app ??= createApp({
      makeClient: () =>
        env.MODE === 'bridge'
          ? new WebMongoClient(env.MONGODB_URI, { bridge: { url: env.BRIDGE_URL! } })
          : new MongoClient(env.MONGODB_URI),
    });
    return app(request);
  },
};
