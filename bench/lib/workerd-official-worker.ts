/** The official `mongodb` driver in a Worker (nodejs_compat): per-request or global client. */
import { MongoClient } from 'mongodb';

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
      if (mode === '/official_per_request') {
        const client = new MongoClient(env.MONGODB_URI, { maxPoolSize: 1 });
        const doc = await client.db('bench_edge').collection('c').findOne({ _id: 1 as never });
        ctx.waitUntil(client.close());
        return Response.json({ ok: doc !== null });
      }
      global ??= new MongoClient(env.MONGODB_URI, { maxPoolSize: 1 });
      const doc = await global.db('bench_edge').collection('c').findOne({ _id: 1 as never });
      return Response.json({ ok: doc !== null });
    } catch (e) {
      return Response.json({ ok: false, error: String(e) }, { status: 500 });
    }
  },
};
