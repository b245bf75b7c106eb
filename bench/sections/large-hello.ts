/**
 * Section "large_hello": applying one replica-set primary `hello` whose `hosts` lists
 * 500 / 5,000 / 10,000 members. Two measurements per size, both ours only:
 * - `apply_<N>`: the pure transition (`newServerDescription` + `applyServerDescription`)
 *   from the seed-only description, median of several samples;
 * - `topology_<N>` and `loop_block_<N>`: a live `Topology` (fake connect: the seed's
 *   monitor gets the reply at once, every other monitor's connect stays pending; pools are
 *   stubs) from open() until its description holds N servers, and the longest the event
 *   loop went without running a 1 ms timer meanwhile.
 * The linearity check is a ratio (per-member cost at 10,000 over per-member cost at 500),
 * never a timed assertion.
 */
import type { Connection, ConnectionPool } from '../../packages/core/src/connection/types.js';
import { applyServerDescription } from '../../packages/core/src/sdam/apply.js';
import { newServerDescription } from '../../packages/core/src/sdam/server-description.js';
import { newTopologyDescription } from '../../packages/core/src/sdam/topology-description.js';
import { Topology } from '../../packages/core/src/sdam/topology.js';
import { metricFromSamples, nowMs, sleep, target, type Metric, type Section, type SectionContext, type SectionOutput } from '../lib/harness.js';

export const LARGE_HELLO_SIZES = [500, 5_000, 10_000] as const;
const SEED = 'db0.example.net:27017';

/** A primary's hello listing `members` hosts (itself first). */
export function largeHello(members: number): Record<string, unknown> {
  const hosts = Array.from({ length: members }, (_, i) => `db${i}.example.net:27017`);
  return {
    ok: 1,
    helloOk: true,
    isWritablePrimary: true,
    setName: 'rs',
    setVersion: 1,
    hosts,
    me: SEED,
    primary: SEED,
    maxWireVersion: 21,
    minWireVersion: 0,
    logicalSessionTimeoutMinutes: 30,
  };
}

function applyOnce(reply: Record<string, unknown>): number {
  const td = newTopologyDescription({ seeds: [SEED], setName: 'rs', heartbeatFrequencyMS: 10_000, localThresholdMS: 15 });
  const t0 = nowMs();
  const sd = newServerDescription(SEED, reply, { now: Date.now(), roundTripTime: 1 });
  const next = applyServerDescription(td, sd).topologyDescription;
  const ms = nowMs() - t0;
  if (next.servers.size !== (reply.hosts as unknown[]).length) throw new Error(`setup: ${next.servers.size} servers`);
  return ms;
}

/** One live Topology fed `reply` by its seed's monitor: ms until all members are in the description, and the longest loop stall. */
async function throughTopology(reply: Record<string, unknown>): Promise<{ ms: number; blockMs: number }> {
  const members = (reply.hosts as unknown[]).length;
  const connection = { hello: reply, handshakeRoundTripMS: 1, moreToCome: false, close() {}, command: () => new Promise(() => {}) } as unknown as Connection;
  const topology = new Topology({
    seeds: [SEED],
    replicaSet: 'rs',
    heartbeatFrequencyMS: 10_000,
    localThresholdMS: 15,
    serverSelectionTimeoutMS: 30_000,
    connectTimeoutMS: 10_000,
    serverMonitoringMode: 'poll',
    connectOptions: {} as never,
    connect: (o) =>
      o.address === SEED
        ? Promise.resolve(connection)
        : new Promise((_, reject) => o.signal?.addEventListener('abort', () => reject(o.signal?.reason))),
    createPool: (address) =>
      ({ address, generation: 0, checkOut: () => new Promise(() => {}), checkIn() {}, clear() {}, ready() {}, close: async () => {} }) as ConnectionPool,
    emit: () => {},
  });
  let blockMs = 0;
  let last = nowMs();
  const ticker = setInterval(() => {
    const now = nowMs();
    blockMs = Math.max(blockMs, now - last);
    last = now;
  }, 1);
  const t0 = nowMs();
  try {
    topology.open();
    while (topology.description.servers.size < members) await sleep(0);
    const ms = nowMs() - t0;
    await sleep(20); // let the ticker see the end of any stall
    return { ms, blockMs };
  } finally {
    clearInterval(ticker);
    await topology.close();
  }
}

export const largeHelloSection: Section = {
  name: 'large_hello',
  title: 'A hello listing thousands of members',
  description:
    `One replica-set primary \`hello\` whose \`hosts\` lists ${LARGE_HELLO_SIZES.join(' / ')} members. ` +
    '`apply_N`: the pure transition (`newServerDescription` + `applyServerDescription`) from a seed-only description (median of samples). ' +
    '`topology_N`: a live `Topology` (fake connect; the seed answers at once, other monitors stay connecting; stub pools) from `open()` ' +
    'until its description holds N servers; `loop_block_N`: the longest the event loop went without firing a 1 ms interval meanwhile. ' +
    '`per_member_ratio`: per-member apply cost at 10,000 over that at 500 (1 = linear). Contender: `ours` only.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const metrics: Record<string, Metric> = {};
    const notes: string[] = [];
    const perMember: Record<number, number> = {};
    const rounds = ctx.quick ? 2 : 7;
    for (const n of LARGE_HELLO_SIZES) {
      ctx.log(`large_hello: ${n}`);
      const reply = largeHello(n);
      applyOnce(reply); // warm-up
      const applies: number[] = [];
      const topo: number[] = [];
      const blocks: number[] = [];
      for (let r = 0; r < rounds; r++) {
        applies.push(applyOnce(reply));
        const t = await throughTopology(reply);
        topo.push(t.ms);
        blocks.push(t.blockMs);
      }
      const spec = (title: string) => ({ title, unit: 'ms', better: 'lower' as const, reference: 'ours' });
      metrics[`large_hello.apply_${n}`] = metricFromSamples(spec(`Apply a ${n}-member hello (pure)`), { ours: applies });
      metrics[`large_hello.topology_${n}`] = metricFromSamples(spec(`Live topology: ${n} members in the description`), { ours: topo });
      metrics[`large_hello.loop_block_${n}`] = metricFromSamples(spec(`Longest event-loop stall, ${n} members`), { ours: blocks });
      perMember[n] = metrics[`large_hello.apply_${n}`]!.contenders.ours!.median / n;
    }
    const ratio = perMember[10_000]! / perMember[500]!;
    metrics['large_hello.per_member_ratio'] = metricFromSamples(
      { title: 'Per-member apply cost, 10,000 over 500 (1 = linear)', unit: 'ratio', better: 'lower', reference: 'ours' },
      { ours: [ratio] },
    );
    const topo10k = metrics['large_hello.topology_10000']!.contenders.ours!.median;
    notes.push(`${rounds} samples per size; the machine's load moves absolute times, the ratio much less.`);
    return {
      metrics,
      notes,
      targets: [
        target('large_hello_linear', 'per-member apply cost at 10,000 members over that at 500', ratio, '<=', 3),
        target('large_hello_10k_ms', 'ms until a 10,000-member hello is applied by a live topology', topo10k, '<=', 100),
      ],
    };
  },
};
