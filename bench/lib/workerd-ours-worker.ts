/** Ours in a Worker over direct TCP (no nodejs_compat): a global client or one per request. */
import { MongoClient } from '@mongo-edge/core/cloudflare';

interface Env {
  MONGODB_URI: string;
}
interface Ctx {
  waitUntil(p: Promise<unknown>): void;
}

let global: MongoClient | undefined;

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    const mode = new URL(request.url).pathname;
    try {
      if (mode === '/ours_per_request') {
        const client = new MongoClient(env.MONGODB_URI);
        const doc = await client.db('bench_edge').collection<{ _id: number }>('c').findOne({ _id: 1 });
        ctx.waitUntil(client.close());
        return Response.json({ ok: doc !== null });
      }
      global ??= new MongoClient(env.MONGODB_URI);
      const doc = await global.db('bench_edge').collection<{ _id: number }>('c').findOne({ _id: 1 });
      return Response.json({ ok: doc !== null });
    } catch (e) {
      return Response.json({ ok: false, error: String(e) }, { status: 500 });
    }
  },
};
