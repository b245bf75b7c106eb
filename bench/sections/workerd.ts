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
const CONTENDERS = ['ours_global', 'ours_per_request', 'official_per_request', 'official_global'] as const;

function config(file: string, port: number, uri: string, nodeCompat: boolean): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker), (name = "internet", network = (allow = ["public", "private", "local"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed ${JSON.stringify(path.basename(file))}) ],
  compatibilityDate = ${nodeCompat ? '"2026-06-01"' : '"2025-09-01"'},
  ${nodeCompat ? 'compatibilityFlags = ["nodejs_compat"],' : ''}
  bindings = [ (name = "MONGODB_URI", text = ${JSON.stringify(uri)}) ],
  globalOutbound = "internet",
);
`;
}

async function startWorker(ctx: SectionContext, name: string, entry: string, uri: string, nodeCompat: boolean): Promise<ServerProcess> {
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
  writeFileSync(file, config(outfile, port, uri, nodeCompat));
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
    '/ `official_global`: the official `mongodb` driver with nodejs_compat, bundled by esbuild as wrangler bundles. ' +
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
      await seed.close();
      const ours = await startWorker(ctx, 'ours', 'bench/lib/workerd-ours-worker.ts', cluster.uri, false);
      servers.push(ours);
      const official = await startWorker(ctx, 'official', 'bench/lib/workerd-official-worker.ts', cluster.uri, true);
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
        },
        { warmup: 3, rounds },
      );
      if (Object.keys(failures).length) throw new Error(`requests failed: ${JSON.stringify(failures)}`);
      const med = (k: (typeof CONTENDERS)[number]) => summarize(samples[k]).median;
      return {
        metrics: {
          'workerd.request_ms': metricFromSamples(
            { title: 'Worker request reading one document', unit: 'ms', better: 'lower', reference: 'official_per_request' },
            samples,
          ),
        },
        targets: [
          target('global_vs_official_per_request', 'official per-request median / ours global median (target >= 3)', med('official_per_request') / med('ours_global'), '>=', 3),
        ],
        notes: [
          'Durable Object and bridge contenders are not in this section yet.',
          'Ours with a global client still opens a connection per request (Workers refuse sockets of another request); what it saves is rediscovery: the operation goes straight to the known primary.',
        ],
      };
    } finally {
      for (const s of servers) await s.stop();
      await cluster.stop();
    }
  },
};
