/**
 * Gateway cold-path latency (issue 18): an edge function's first request, with latency
 * injected between the edge and the gateway (EDGE_DELAY_MS each way) and between the
 * gateway and the cluster (CLUSTER_DELAY_MS each way), against:
 *   - gateway-cold:   new client + WebSocket + one findOne through the gateway (no SCRAM on the edge),
 *                     as the web client's `gateway` option sets it up: load-balanced mode, handshake pipelining
 *   - gateway-cold-mongos: the same through the gateway's mongos face (a monitor; the hello waited for)
 *   - gateway-warm:   the same client, already connected: one findOne
 *   - direct-cold:    our driver over TCP straight to the cluster, SCRAM-SHA-256 per request
 *   - official-cold:  the official `mongodb` driver, the same
 * The direct paths cross both delays (edge -> cluster = edge -> gateway -> cluster).
 * "edge RTTs" = (median at EDGE_DELAY_MS - median at 0) / (2 × EDGE_DELAY_MS): the edge round
 * trips on the critical path, with the machine's own cost cancelled out (the target for gateway-cold: 2 with ws://).
 *
 *   node --conditions=source --import tsx bench/gateway-latency.ts [--iterations N]
 * Writes bench/results/gateway-latency.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { MongoClient as OfficialClient } from 'mongodb';
import { MongoClient as CoreClient, WebSocketTransport } from '@mongo-edge/core';
import { MongoClient as NodeClient } from '@mongo-edge/core/node';
import type { WebSocketConstructorLike } from '@mongo-edge/core/internal';
import { signGatewayToken, startGateway, validateGatewayConfig } from '@mongo-edge/bridge';
import { startSim } from '@mongo-edge/sim';
import { startDelayProxy } from './lib/delay-proxy.js';
import { REPO_ROOT, summarize } from './lib/harness.js';

const { values } = parseArgs({ args: process.argv.slice(2), options: { iterations: { type: 'string' }, 'edge-delay': { type: 'string' }, 'cluster-delay': { type: 'string' } } });
const N = Number(values.iterations ?? 10);
const EDGE_DELAY_MS = Number(values['edge-delay'] ?? 50);
const CLUSTER_DELAY_MS = Number(values['cluster-delay'] ?? 1);
const USER = 'bench';
const PASSWORD = 'bench-password-0123456789';
const SECRET = 'gateway-bench-secret-0123456789abcdef';

const sim = await startSim({ quiet: true, auth: true });
const boot = new NodeClient(`${sim.uri}?directConnection=true`);
await boot.db('admin').command({ createUser: USER, pwd: PASSWORD, roles: ['root'] });
await boot.close();
const seed = new NodeClient(`mongodb://${USER}:${PASSWORD}@${sim.address}/?directConnection=true`);
await seed.db('app').collection('notes').insertOne({ _id: 1 as never, owner: 'edge-user', text: 'hello' });
await seed.close();

const toCluster = await startDelayProxy({ targetPort: sim.port, delayMs: CLUSTER_DELAY_MS });
const gateway = await startGateway(
  validateGatewayConfig({
    listen: { port: 0 },
    cluster: { uri: { value: `mongodb://127.0.0.1:${toCluster.port}/` }, username: { value: USER }, password: { value: PASSWORD }, options: { directConnection: true } },
    jwt: { secret: { value: SECRET }, issuer: 'bench', audience: 'bench' },
    rules: [{ name: 'own', roles: ['*'], database: 'app', collection: 'notes', actions: ['find'], filter: { owner: '%%user.sub' } }],
  }),
  { log: () => undefined },
);
await gateway.service.start();
const token = await signGatewayToken(SECRET, { subject: 'edge-user', issuer: 'bench', audience: 'bench' });

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

type PathName = 'gateway-cold' | 'gateway-cold-mongos' | 'gateway-warm' | 'direct-cold' | 'official-cold';
const PATHS: PathName[] = ['gateway-cold', 'gateway-cold-mongos', 'gateway-warm', 'direct-cold', 'official-cold'];

/** Every path N times (interleaved) with `edgeDelayMs` each way between the edge and the gateway / the cluster. */
async function measure(edgeDelayMs: number): Promise<{ samples: Record<PathName, number[]>; exchanges: Record<string, number[]> }> {
  const edgeToGateway = await startDelayProxy({ targetPort: gateway.port, delayMs: edgeDelayMs });
  const edgeToCluster = await startDelayProxy({ targetPort: toCluster.port, delayMs: edgeDelayMs });
  const gatewayUrl = `ws://127.0.0.1:${edgeToGateway.port}/ws`;
  const directUri = `mongodb://${USER}:${PASSWORD}@127.0.0.1:${edgeToCluster.port}/?directConnection=true&authMechanism=SCRAM-SHA-256`;
  // What @mongo-edge/web-client's `gateway` option builds (web-client/src/index.ts).
  const gatewayClient = () =>
    new CoreClient('mongodb://gateway/?serverSelectionTimeoutMS=10000&loadBalanced=true', {
      transport: new WebSocketTransport({ url: gatewayUrl, token, gateway: true, WebSocket: WebSocket as unknown as WebSocketConstructorLike }),
    });
  const mongosFaceClient = () =>
    new CoreClient('mongodb://gateway/?serverSelectionTimeoutMS=10000', {
      transport: new WebSocketTransport({ url: gatewayUrl, token, WebSocket: WebSocket as unknown as WebSocketConstructorLike }),
    });
  const samples: Record<PathName, number[]> = { 'gateway-cold': [], 'gateway-cold-mongos': [], 'gateway-warm': [], 'direct-cold': [], 'official-cold': [] };
  const exchanges: Record<string, number[]> = { 'gateway-cold': [], 'gateway-cold-mongos': [], 'direct-cold': [], 'official-cold': [] };
  const warm = gatewayClient();
  await warm.db('app').collection('notes').findOne({});
  for (let i = 0; i < N; i++) {
    let before = edgeToGateway.exchanges;
    samples['gateway-cold'].push(
      await timed(async () => {
        const c = gatewayClient();
        const doc = await c.db('app').collection('notes').findOne({ _id: 1 });
        if (!doc) throw new Error('gateway-cold: no document');
        void c.close();
      }),
    );
    exchanges['gateway-cold']!.push(edgeToGateway.exchanges - before);
    before = edgeToGateway.exchanges;
    samples['gateway-cold-mongos'].push(
      await timed(async () => {
        const c = mongosFaceClient();
        const doc = await c.db('app').collection('notes').findOne({ _id: 1 });
        if (!doc) throw new Error('gateway-cold-mongos: no document');
        void c.close();
      }),
    );
    exchanges['gateway-cold-mongos']!.push(edgeToGateway.exchanges - before);
    samples['gateway-warm'].push(await timed(() => warm.db('app').collection('notes').findOne({ _id: 1 })));
    before = edgeToCluster.exchanges;
    samples['direct-cold'].push(
      await timed(async () => {
        const c = new NodeClient(directUri);
        await c.db('app').collection('notes').findOne({ _id: 1 });
        void c.close();
      }),
    );
    exchanges['direct-cold']!.push(edgeToCluster.exchanges - before);
    before = edgeToCluster.exchanges;
    samples['official-cold'].push(
      await timed(async () => {
        const c = new OfficialClient(directUri);
        await c.db('app').collection<{ _id: number }>('notes').findOne({ _id: 1 });
        void c.close();
      }),
    );
    exchanges['official-cold']!.push(edgeToCluster.exchanges - before);
    await new Promise((r) => setTimeout(r, 200)); // let closes finish off the critical path
  }
  await warm.close();
  await edgeToGateway.close();
  await edgeToCluster.close();
  return { samples, exchanges };
}

// Round trips on the critical path = the slope of latency over the injected RTT, so the
// machine's own cost (a loaded 2-core box) cancels out: (median at D - median at 0) / 2D.
const base = await measure(0);
const far = await measure(EDGE_DELAY_MS);
const rtt = 2 * EDGE_DELAY_MS;
const rows = PATHS.map((name) => {
  const m0 = summarize(base.samples[name]).median;
  const sum = summarize(far.samples[name]);
  const ex = far.exchanges[name];
  return {
    name,
    medianMs: +sum.median.toFixed(1),
    p99Ms: +sum.p99.toFixed(1),
    medianAtZeroDelayMs: +m0.toFixed(1),
    edgeRtts: +((sum.median - m0) / rtt).toFixed(2),
    exchangesPerRequest: ex ? Math.round(summarize(ex).median) : undefined,
  };
});
const result = { date: new Date().toISOString(), iterations: N, edgeDelayMs: EDGE_DELAY_MS, clusterDelayMs: CLUSTER_DELAY_MS, edgeRttMs: rtt, rows };
mkdirSync(path.join(REPO_ROOT, 'bench/results'), { recursive: true });
writeFileSync(path.join(REPO_ROOT, 'bench/results/gateway-latency.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`edge RTT ${rtt} ms, gateway<->cluster RTT ${2 * CLUSTER_DELAY_MS} ms, ${N} iterations per delay`);
console.log('| path | median ms | p99 ms | median ms at 0 delay | edge RTTs on the critical path | edge exchanges per request |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${r.medianMs} | ${r.p99Ms} | ${r.medianAtZeroDelayMs} | ${r.edgeRtts} | ${r.exchangesPerRequest ?? '-'} |`);

await gateway.close();
await toCluster.close();
await sim.close();
