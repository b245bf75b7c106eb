/**
 * Section "gateway": what the gateway (gateway mode of the bridge) costs. The gateway
 * runs alone in a child process (bench/lib/gateway-child.ts) in front of a sim in this
 * process; clients are web-client MongoClients with the `gateway` option (Node, ws),
 * each signed in as its own user.
 *
 * - Throughput per core: C clients run findOne by _id (and insertOne) back to back; the
 *   gateway process's CPU time (user + system, process.cpuUsage) over a round gives
 *   operations per CPU-second of the gateway, i.e. per core, whatever else the machine runs.
 * - Memory per connected client: the gateway's JS heap (and RSS) after a full GC with
 *   N clients connected (each did one findOne: handshake, channel, rules, one user), minus
 *   the heap before, divided by N.
 */
import { WebSocket } from 'ws';
import { signGatewayToken } from '@mongo-edge/bridge';
import { startSim } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { GATEWAY_URI, MongoClient, type WebSocketConstructorLike } from '@mongo-edge/web-client';
import { forkTs, type TsChild } from '../lib/children.js';
import { metricFromValues, NotRunError, nowMs, sleep, type Metric, type Section, type SectionContext, type SectionOutput } from '../lib/harness.js';

const SECRET = 'bench-gateway-secret-0123456789abcdef';
const ISSUER = 'https://bench.issuer';
const AUDIENCE = 'bench';
const WS = WebSocket as unknown as WebSocketConstructorLike;

export const CLIENT_COUNTS = [100, 1000] as const;
export const QUICK_CLIENT_COUNTS = [20] as const;

interface Cpu {
  user: number;
  system: number;
}
interface Mem {
  rss: number;
  heapUsed: number;
  gc: boolean;
}

const token = (sub: string) => signGatewayToken(SECRET, { subject: sub, issuer: ISSUER, audience: AUDIENCE, expiresInSeconds: 7200 });

async function clientFor(url: string, sub: string): Promise<MongoClient> {
  const t = await token(sub);
  return new MongoClient(`${GATEWAY_URI}bench`, { gateway: { url, token: t, WebSocket: WS } });
}

const items = (c: MongoClient) => c.db().collection<{ _id: string; owner?: string; n: number }>('items');

async function cpuSeconds(gateway: TsChild<unknown>): Promise<number> {
  const c = await gateway.request<Cpu>({ type: 'cpu' });
  return (c.user + c.system) / 1e6;
}

async function settledMem(gateway: TsChild<unknown>): Promise<Mem> {
  // Median of three readings a little apart, each after a full GC in the gateway.
  const readings: Mem[] = [];
  for (let i = 0; i < 3; i++) {
    await sleep(150);
    readings.push(await gateway.request<Mem>({ type: 'rss' }));
  }
  readings.sort((a, b) => a.heapUsed - b.heapUsed);
  return readings[1]!;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(list: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, list.length) }, async () => {
      while (next < list.length) {
        const i = next++;
        await fn(list[i]!, i);
      }
    }),
  );
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export const gatewaySection: Section = {
  name: 'gateway',
  title: 'The gateway: operations per core, memory per connected client',
  description:
    'The gateway runs alone in a child process (`--expose-gc`) in front of a mongod-sim in the bench process, with one rule ' +
    '(`own-items`: find and insert, filter `{ owner: "%%user.sub" }`). Clients are web-client `MongoClient`s with the `gateway` ' +
    'option over `ws` (load-balanced face, one WebSocket each), each signed in as its own user (HS256). Throughput: 16 clients ' +
    'run findOne by _id (authorized, filter AND-ed, forwarded, reply re-encoded) or insertOne back to back for a round; ' +
    'operations per core = operations / the gateway process\'s CPU seconds (user + system) in that round, so other load on ' +
    'the machine does not count; median of the rounds after a warm-up round (wall-clock ops/s in the notes). Memory: the ' +
    'gateway\'s JS heap (and RSS) after a full GC with N clients connected (each did one findOne), minus the heap before, / N; ' +
    'median of three readings.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const metrics: Record<string, Metric> = {};
    const notes: string[] = [];
    const sim = await startSim({ quiet: true });
    const clusterUri = `mongodb://${sim.address}/`;
    const counts = ctx.quick ? QUICK_CLIENT_COUNTS : CLIENT_COUNTS;
    const start = async (maxSockets: number) => {
      try {
        return await forkTs<{ url: string }>('gateway-child.ts', [JSON.stringify({ clusterUri, secret: SECRET, issuer: ISSUER, audience: AUDIENCE, maxSockets })], { exposeGc: true });
      } catch (e) {
        throw new NotRunError(`gateway unavailable: ${(e as Error).message.split('\n')[0]}`);
      }
    };
    try {
      // ---------------------------------------------------------------- throughput
      const concurrency = ctx.quick ? 4 : 16;
      const perClient = ctx.quick ? 50 : 100;
      const rounds = ctx.quick ? 2 : 5;
      const direct = new NodeMongoClient(`${clusterUri}?directConnection=true`);
      const gateway = await start(concurrency + 10);
      const clients: MongoClient[] = [];
      try {
        for (let i = 0; i < concurrency; i++) clients.push(await clientFor(gateway.hello.url, `user${i}`));
        await direct.db('bench').collection('items').insertMany(Array.from({ length: concurrency }, (_, i) => ({ _id: `doc${i}` as never, owner: `user${i}`, n: i })));
        const ops: Record<'find_one' | 'insert_one', (c: MongoClient, i: number, k: number) => Promise<unknown>> = {
          find_one: (c, i) => items(c).findOne({ _id: `doc${i}` }),
          insert_one: (c, i, k) => items(c).insertOne({ _id: `ins-${i}-${k}-${Math.random().toString(36).slice(2)}`, n: k }),
        };
        for (const [name, op] of Object.entries(ops) as Array<[keyof typeof ops, (c: MongoClient, i: number, k: number) => Promise<unknown>]>) {
          const perCore: number[] = [];
          const wall: number[] = [];
          const cpuShare: number[] = [];
          for (let r = 0; r <= rounds; r++) {
            const cpu0 = await cpuSeconds(gateway);
            const t0 = nowMs();
            await Promise.all(
              clients.map(async (c, i) => {
                for (let k = 0; k < perClient; k++) await op(c, i, r * perClient + k);
              }),
            );
            const seconds = (nowMs() - t0) / 1000;
            const cpu = (await cpuSeconds(gateway)) - cpu0;
            if (r === 0) continue; // warm-up
            const n = concurrency * perClient;
            perCore.push(n / cpu);
            wall.push(n / seconds);
            cpuShare.push(cpu / seconds);
          }
          ctx.log(`gateway: ${name} ${Math.round(median(perCore))} ops per gateway CPU-second`);
          metrics[`gateway.${name}_per_core`] = metricFromValues(
            { title: `${name === 'find_one' ? 'findOne by _id' : 'insertOne'}: operations per second per core of the gateway (${concurrency} clients)`, unit: 'ops/core-s', better: 'higher', reference: 'gateway' },
            { gateway: median(perCore) },
          );
          notes.push(
            `${name}: ${Math.round(median(perCore)).toLocaleString('en-US')} ops per gateway CPU-second (rounds: ${perCore.map((x) => Math.round(x)).join(', ')}); ` +
              `wall clock ${Math.round(median(wall)).toLocaleString('en-US')} ops/s with the gateway using ${median(cpuShare).toFixed(2)} cores ` +
              `(${concurrency} clients × ${perClient} operations per round; the sim and the clients share the machine).`,
          );
        }
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await gateway.stop();
        await direct.close();
      }

      // ---------------------------------------------------------------- memory per client
      for (const n of counts) {
        ctx.log(`gateway: memory with ${n} clients`);
        const g = await start(n + 10);
        const connected: MongoClient[] = [];
        try {
          const warm = await clientFor(g.hello.url, 'warm-up');
          await items(warm).findOne({ _id: 'none' });
          await warm.close();
          await sleep(200);
          const base = await settledMem(g);
          if (!base.gc) notes.push('The gateway child ran without --expose-gc: readings include garbage.');
          await pool(
            Array.from({ length: n }, (_, i) => i),
            10,
            async (i) => {
              const c = await clientFor(g.hello.url, `mem${i}`);
              connected.push(c);
              await items(c).findOne({ _id: `doc${i}` });
            },
          );
          const withClients = await settledMem(g);
          const heapPer = (withClients.heapUsed - base.heapUsed) / n;
          const rssPer = (withClients.rss - base.rss) / n;
          metrics[`gateway.heap_per_client_${n}`] = metricFromValues(
            { title: `Gateway JS heap per connected client at ${n.toLocaleString('en-US')} clients`, unit: 'bytes', better: 'lower', reference: 'gateway' },
            { gateway: heapPer },
          );
          metrics[`gateway.rss_per_client_${n}`] = metricFromValues(
            { title: `Gateway RSS per connected client at ${n.toLocaleString('en-US')} clients`, unit: 'bytes', better: 'lower', reference: 'gateway' },
            { gateway: rssPer },
          );
          notes.push(
            `${n} clients: gateway heap ${(base.heapUsed / 2 ** 20).toFixed(1)} → ${(withClients.heapUsed / 2 ** 20).toFixed(1)} MiB ` +
              `(${Math.round(heapPer).toLocaleString('en-US')} B per client), RSS ${(base.rss / 2 ** 20).toFixed(1)} → ${(withClients.rss / 2 ** 20).toFixed(1)} MiB ` +
              `(${Math.round(rssPer).toLocaleString('en-US')} B per client).`,
          );
        } finally {
          await pool(connected, 50, (c) => c.close());
          await g.stop();
        }
      }
    } finally {
      await sim.close();
    }
    return { metrics, notes };
  },
};
