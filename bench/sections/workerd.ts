/**
 * Section "workerd": per-request latency of a Worker in real workerd (npm `workerd`)
 * reading one document from a three-member mongod-sim set with injected latency:
 * ours over direct TCP with a global-scope client and with a client per request, and the
 * official `mongodb` driver (nodejs_compat, bundled as wrangler would: esbuild, node
 * built-ins external) per request and global.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { startCluster } from '@mongo-edge/sim';
import { MongoClient } from '@mongo-edge/core/node';
import { interleave, metricFromSamples, nowMs, summarize, target, NotRunError, type Section, type SectionContext, type SectionOutput } from '../lib/harness.js';
import { freePort, startServer, workerdBinary, type ServerProcess } from '../../examples/edge/runtimes.js';

const LATENCY_MS = 5;
const CONTENDERS = ['ours_global', 'ours_per_request', 'official_per_request', 'official_global', 'ours_do', 'official_do', 'floor_raw', 'floor_ping'] as const;
/** Sequential requests whose wire traffic is counted (ours_global's path, counted sockets). */
const WIRE_REQUESTS = 20;

interface WireEvent {
  t: number;
  socket: number;
  kind: 'connect' | 'opened' | 'write' | 'read' | 'mark';
  bytes: number;
  name?: string;
}

/** One counted request: the sockets it opened and what went over them before its response. */
function wireSummary(events: WireEvent[]) {
  const own = new Set(events.filter((e) => e.kind === 'connect').map((e) => e.socket));
  const mine = events.filter((e) => own.has(e.socket));
  const sum = (kind: WireEvent['kind']) => mine.filter((e) => e.kind === kind).reduce((n, e) => n + e.bytes, 0);
  const count = (kind: WireEvent['kind']) => mine.filter((e) => e.kind === kind).length;
  // The operation's socket: the first one opened (the monitors start after the operation).
  const first = Math.min(...own);
  const op = mine.filter((e) => e.socket === first);
  return {
    sockets: own.size,
    writes: count('write'),
    reads: count('read'),
    bytesOut: sum('write'),
    bytesIn: sum('read'),
    opWrites: op.filter((e) => e.kind === 'write').map((e) => e.bytes),
    opReads: op.filter((e) => e.kind === 'read').map((e) => e.bytes),
    timeline: events
      .filter((e) => e.kind === 'mark' || e.socket === first)
      .map((e) => `${e.t}:${e.kind === 'mark' ? e.name : e.kind}${e.bytes ? `(${e.bytes})` : ''}`)
      .join(' '),
  };
}
/** Cold requests (a new Durable Object, so a new client, each time) measured for ours. */
const COLD_REQUESTS = 20;

function config(file: string, port: number, uri: string, nodeCompat: boolean, holder: string, primary: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker), (name = "internet", network = (allow = ["public", "private", "local"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed ${JSON.stringify(path.basename(file))}) ],
  compatibilityDate = ${nodeCompat ? '"2026-06-01"' : '"2025-09-01"'},
  ${nodeCompat ? 'compatibilityFlags = ["nodejs_compat"],' : ''}
  bindings = [ (name = "MONGODB_URI", text = ${JSON.stringify(uri)}), (name = "PRIMARY", text = ${JSON.stringify(primary)}), (name = "HOLDER", durableObjectNamespace = ${JSON.stringify(holder)}) ],
  durableObjectNamespaces = [ (className = ${JSON.stringify(holder)}, uniqueKey = "bench-${holder}") ],
  durableObjectStorage = (inMemory = void),
  globalOutbound = "internet",
);
`;
}

async function startWorker(ctx: SectionContext, name: string, entry: string, uri: string, nodeCompat: boolean, holder: string, primary: string): Promise<ServerProcess> {
  const outfile = path.join(ctx.tmpDir, `${name}.mjs`);
  await build({
    entryPoints: [path.join(ctx.repoRoot, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: nodeCompat ? 'node' : 'neutral',
    mainFields: ['module', 'main'],
    conditions: nodeCompat ? ['workerd', 'worker'] : ['source', 'workerd', 'worker', 'browser'],
    external: ['node:*', 'cloudflare:*', 'mongodb-client-encryption', 'kerberos', '@mongodb-js/zstd', 'snappy', 'socks', 'aws4', 'gcp-metadata', '@aws-sdk/credential-providers'],
    // The official driver's CommonJS require()s of Node built-ins, in an ES module Worker.
    banner: nodeCompat ? { js: "import { createRequire as __cr } from 'node:module'; const require = __cr('/worker.mjs');" } : {},
    logLevel: 'error',
  });
  const port = await freePort();
  const file = path.join(ctx.tmpDir, `${name}.capnp`);
  writeFileSync(file, config(outfile, port, uri, nodeCompat, holder, primary));
  return startServer(workerdBinary(), ['serve', file], { cwd: ctx.tmpDir, port });
}

export const workerdSection: Section = {
  name: 'workerd',
  title: 'Cloudflare Workers (workerd): per-request latency',
  description:
    `Latency of one Worker request that reads one document (\`findOne({_id: 1})\`), measured by the caller, in real workerd ` +
    `against a three-member mongod-sim set with ${LATENCY_MS} ms added to every reply (\`--latency-ms\`). \`ours_global\`: ` +
    '@mongo-edge/core/cloudflare over direct TCP with one client in global scope (it reconnects each request: Workers sockets ' +
    'cannot outlive a request, the learned topology stays); `ours_per_request`: a new client per request; `official_per_request` ' +
    '/ `official_global`: the official `mongodb` driver with nodejs_compat, bundled by esbuild as wrangler bundles; ' +
    '`ours_do` / `official_do`: one client held by a Durable Object; `ours_do_cold`: a new Durable Object (a cold client) per request; ' +
    '`floor_raw`: no driver, one connect and one exchange (hello and find in one write), the protocol floor; `floor_ping`: no database I/O. ' +
    'Requests are interleaved; medians and p99.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    try {
      workerdBinary();
    } catch (e) {
      throw new NotRunError((e as Error).message);
    }
    const rounds = ctx.quick ? 10 : 200;
    const cluster = await startCluster({ members: 3, replSet: 'benchedge', memberOptions: [0, 1, 2].map(() => ({ latencyMs: LATENCY_MS })) });
    const servers: ServerProcess[] = [];
    try {
      const seed = new MongoClient(cluster.uri);
      await seed.db('bench_edge').collection<{ _id: number }>('c').deleteMany({});
      await seed.db('bench_edge').collection<{ _id: number }>('c').insertOne({ _id: 1 });
      const primary = String((await seed.db('admin').command({ hello: 1 })).primary);
      await seed.close();
      const ours = await startWorker(ctx, 'ours', 'bench/lib/workerd-ours-worker.ts', cluster.uri, false, 'OursHolder', primary);
      servers.push(ours);
      const official = await startWorker(ctx, 'official', 'bench/lib/workerd-official-worker.ts', cluster.uri, true, 'OfficialHolder', primary);
      servers.push(official);
      const failures: Record<string, string> = {};
      const timed = (server: ServerProcess, route: string) => async () => {
        const t0 = nowMs();
        const { status, body } = await server.get(`/${route}`);
        const ms = nowMs() - t0;
        if (status !== 200 || body.ok !== true) failures[route] ??= JSON.stringify(body).slice(0, 300);
        return ms;
      };
      const samples = await interleave(
        {
          ours_global: timed(ours, 'ours_global'),
          ours_per_request: timed(ours, 'ours_per_request'),
          official_per_request: timed(official, 'official_per_request'),
          official_global: timed(official, 'official_global'),
          ours_do: timed(ours, 'ours_do'),
          official_do: timed(official, 'official_do'),
          floor_raw: timed(ours, 'floor_raw'),
          floor_ping: timed(ours, 'floor_ping'),
        },
        { warmup: 3, rounds },
      );
      const cold = await interleave({ ours_do_cold: timed(ours, 'ours_do_cold') }, { warmup: 0, rounds: ctx.quick ? 3 : COLD_REQUESTS });
      // What ours_global's path puts on the wire: one request at a time, each socket counted.
      const wire: ReturnType<typeof wireSummary>[] = [];
      for (let i = 0; i <= WIRE_REQUESTS; i++) {
        const { status, body } = await ours.get('/ours_global_wire');
        if (status !== 200 || body.ok !== true) failures.ours_global_wire ??= JSON.stringify(body).slice(0, 300);
        else if (i > 0) wire.push(wireSummary(body.wire as WireEvent[])); // the first finds no topology yet
      }
      if (Object.keys(failures).length) throw new Error(`requests failed: ${JSON.stringify(failures)}`);
      const avg = (f: (w: ReturnType<typeof wireSummary>) => number) => (wire.reduce((n, w) => n + f(w), 0) / Math.max(1, wire.length)).toFixed(1);
      const shapes = new Map<string, number>();
      for (const w of wire) {
        const key = `writes ${JSON.stringify(w.opWrites)} reads ${JSON.stringify(w.opReads)}`;
        shapes.set(key, (shapes.get(key) ?? 0) + 1);
      }
      const med = (k: (typeof CONTENDERS)[number]) => summarize(samples[k]).median;
      return {
        metrics: {
          'workerd.request_ms': metricFromSamples(
            { title: 'Worker request reading one document', unit: 'ms', better: 'lower', reference: 'official_per_request' },
            { ...samples, ...cold },
          ),
        },
        targets: [
          target('do_official_vs_ours', 'official DO median / ours DO median (target >= 1: ours no slower)', med('official_do') / med('ours_do'), '>=', 1),
          target('global_vs_official_per_request', 'official per-request median / ours global median (target >= 3)', med('official_per_request') / med('ours_global'), '>=', 3),
        ],
        notes: [
          '`ours_do` / `official_do`: one Durable Object holding one client serves every request (a DO keeps its sockets across requests). `ours_do_cold`: a new Durable Object per request, so each is a cold client (discovery, connect, handshake, the find).',
          `Critical-path round trips of a cold request (ours_do_cold), estimated as its median / the ${LATENCY_MS} ms injected per reply: ${(summarize(cold.ours_do_cold).median / LATENCY_MS).toFixed(1)} (the TCP connects and the sim's own time add to it).`,
          'Bridge contenders are not in this section yet.',
          '`floor_raw`: the protocol floor of a request on a new connection, without a driver: one TCP connect to the primary, a hello and the find written together, both replies read (bench/lib/workerd-wire-probe.ts). `floor_ping`: a request that does no database I/O at all (what workerd and the caller cost).',
          `Floors: official per-request median / floor_raw median = ${(med('official_per_request') / med('floor_raw')).toFixed(2)} (the best ratio any driver opening a connection per request could show here); ours_global - floor_raw = ${(med('ours_global') - med('floor_raw')).toFixed(2)} ms; floor_raw - floor_ping = ${(med('floor_raw') - med('floor_ping')).toFixed(2)} ms (connect + one exchange with ${LATENCY_MS} ms injected per reply).`,
          `On the wire, ours_global's path (${wire.length} sequential requests, counted sockets, up to the response): sockets opened ${avg((w) => w.sockets)} per request, writes ${avg((w) => w.writes)}, reads ${avg((w) => w.reads)}, bytes out ${avg((w) => w.bytesOut)}, bytes in ${avg((w) => w.bytesIn)}; the operation's socket: ${[...shapes].map(([k, n]) => `${k} x${n}`).join('; ')}; a timeline (ms since the request started, workerd's clock): ${wire[Math.floor(wire.length / 2)]?.timeline ?? 'none'}.`,
          'Ours with a global client still opens a connection per request (Workers refuse sockets of another request); what it saves is rediscovery (the operation goes straight to the known primary, the monitors start after it) and, for a read, the hello round trip (the find goes out behind the hello: Transport.readPipelining).',
        ],
      };
    } finally {
      for (const s of servers) await s.stop();
      await cluster.stop();
    }
  },
};
