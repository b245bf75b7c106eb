/**
 * A Cloudflare Worker with ONE MongoClient in global scope, over direct TCP
 * (cloudflare:sockets). No nodejs_compat. Deploy: `npx wrangler deploy` with the secret
 * MONGODB_URI (`npx wrangler secret put MONGODB_URI`).
 */
import { MongoClient } from '@mongo-edge/core/cloudflare';

interface Env {
  MONGODB_URI: string;
}

let client: MongoClient | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // Made on the first request (env is not readable before), kept for every later one.
    client ??= new MongoClient(env.MONGODB_URI);
    const visits = client.db('app').collection<{ path: string; at: Date }>('visits');
    const path = new URL(request.url).pathname;
    await visits.insertOne({ path, at: new Date() });
    const count = await visits.countDocuments({ path });
    return Response.json({ path, count, servedBy: client.address });
  },
};
