/** Ours in a Worker over direct TCP (no nodejs_compat): a global client or one per request. */
import { CloudflareSocketsTransport, MongoClient } from '@mongo-edge/core/cloudflare';
import { countingConnect, floorRequest, markWire, startWireLog, wireLog } from './workerd-wire-probe.js';

interface Env {
  MONGODB_URI: string;
  /** The primary's "host:port" (the floor route connects to it directly). */
  PRIMARY: string;
  HOLDER: { idFromName(name: string): unknown; get(id: unknown): { fetch(request: Request): Promise<Response> } };
}
interface Ctx {
  waitUntil(p: Promise<unknown>): void;
}

let global: MongoClient | undefined;
/** A global client whose sockets are counted (/ours_global_wire; requests run one at a time). */
let counted: MongoClient | undefined;

/** A Durable Object keeping one client for every request it serves. */
export class OursHolder {
  readonly #client: MongoClient;
  constructor(_state: unknown, env: Env) {
    this.#client = new MongoClient(env.MONGODB_URI);
  }
  async fetch(): Promise<Response> {
    try {
      const doc = await this.#client.db('bench_edge').collection<{ _id: number }>('c').findOne({ _id: 1 });
      return Response.json({ ok: doc !== null });
    } catch (e) {
      return Response.json({ ok: false, error: String(e) }, { status: 500 });
    }
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    const mode = new URL(request.url).pathname;
    // /ours_do: the one Durable Object; /ours_do_cold: a new object each time (a cold client).
    if (mode === '/ours_do') return env.HOLDER.get(env.HOLDER.idFromName('one')).fetch(request);
    if (mode === '/ours_do_cold') return env.HOLDER.get(env.HOLDER.idFromName(crypto.randomUUID())).fetch(request);
    try {
      // The floor: no driver, one connect, hello and find in one write (workerd-wire-probe.ts).
      if (mode === '/floor_raw') {
        const n = await floorRequest(env.PRIMARY, 'bench_edge', 'c', { _id: 1 });
        return Response.json({ ok: n === 1 });
      }
      // What a request costs without any database I/O.
      if (mode === '/floor_ping') return Response.json({ ok: true });
      if (mode === '/ours_global_wire') {
        if (!counted) {
          counted = new MongoClient(env.MONGODB_URI, { monitorCommands: true, transport: () => new CloudflareSocketsTransport({ connect: countingConnect }) });
          for (const name of ['connectionCheckOutStarted', 'connectionCreated', 'connectionReady', 'connectionCheckedOut', 'commandStarted', 'commandSucceeded', 'serverHeartbeatStarted'] as const) {
            counted.on(name, (e: { commandName?: string }) => markWire(e.commandName ? `${name}:${e.commandName}` : name));
          }
        }
        startWireLog();
        markWire('findOne');
        const doc = await counted.db('bench_edge').collection<{ _id: number }>('c').findOne({ _id: 1 });
        return Response.json({ ok: doc !== null, wire: wireLog().slice() });
      }
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
