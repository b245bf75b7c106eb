/**
 * Section "failover": a three-member sim replica set of separate processes
 * (startCluster). Two experiments, each trial with a fresh client, contenders
 * alternating (ours, official, ours, ...):
 *  - kill: a stream of insertOne (one at a time, 5 ms apart) runs; the primary gets
 *    SIGKILL; measured = time from the signal to the first write acknowledged after
 *    the killed process has exited. Then the member is restarted and the set waited on.
 *  - stepDown: replSetStepDown on the primary; measured = time from sending it to the
 *    client's 'topologyDescriptionChanged' event that shows another member as RSPrimary.
 *    A second stream with w: 1 runs beside it in the same trial (the driver alone).
 * Beside each trial the election itself is observed from outside the drivers: the
 * surviving members are polled with `hello` every POLL_MS until one is writable primary.
 */
import { startCluster, type Cluster } from '@mongo-edge/sim';
import {
  metricFromSamples,
  metricFromValues,
  nowMs,
  sleep,
  summarize,
  target,
  type Metric,
  type Section,
  type SectionContext,
  type SectionOutput,
  type TargetResult,
} from '../lib/harness.js';
import { officialClient, ourTcpClient, type AnyClient } from '../lib/clients.js';

const POLL_MS = 10;
/** The same settings for both drivers (heartbeatFrequencyMS stays at its default, 10 s, in both). */
const SERVER_SELECTION_TIMEOUT_MS = 30_000;
/** The sim's defaults (packages/sim/src/repl/config.ts): the cluster is started with them. */
const ELECTION_TIMEOUT_MS = 1000;
const HEARTBEAT_INTERVAL_MS = 250;
const DRIVERS = ['ours_tcp', 'official'] as const;
type Driver = (typeof DRIVERS)[number];

function makeClient(driver: Driver, uri: string): AnyClient {
  // monitorCommands: the kill trials count the exchanges after the new primary is known (both drivers alike).
  const options = { serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS, retryWrites: true, monitorCommands: true };
  return driver === 'official' ? officialClient(uri, options) : ourTcpClient(uri, options);
}

interface ServerLike {
  readonly type: string;
}
interface TopologyChanged {
  newDescription: { servers: ReadonlyMap<string, ServerLike> };
}

function primaryOf(event: TopologyChanged): string | undefined {
  for (const [address, sd] of event.newDescription.servers) if (sd.type === 'RSPrimary') return address;
  return undefined;
}

/**
 * Polls the members except `exclude` with hello until one is writable primary (and is
 * not `notHost`); resolves with that time. stop() ends the polling.
 */
function observeElection(cluster: Cluster, exclude: number, notHost?: string): { at: Promise<number>; stop(): void } {
  let stopped = false;
  const at = (async () => {
    while (!stopped) {
      const hellos = await Promise.all(
        cluster.members.map((m) => (m.index === exclude || !m.process ? undefined : cluster.command(m.index, { hello: 1 }, 1000).catch(() => undefined))),
      );
      const t = nowMs();
      if (hellos.some((h) => h?.isWritablePrimary === true && h.me !== notHost)) return t;
      await sleep(POLL_MS);
    }
    return Number.NaN;
  })();
  return {
    at,
    stop: () => {
      stopped = true;
    },
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface Trial {
  readonly recoveryMs: number;
  readonly electionMs: number;
  /** kill trials: when the client's topology first showed another member as RSPrimary. */
  readonly topologyMs?: number;
  /** kill trials: the first acknowledged write of the concurrent `w: 1` stream. */
  readonly recoveryW1Ms?: number;
  /** kill trials: exchanges of the w:1 stream from the topology showing the new primary to its first ack. */
  readonly exchangesW1?: number;
}

/** Resolves with the time the client's topology first shows a primary other than `oldHost`, once armed. */
function watchNewPrimary(client: AnyClient, oldHost: string): { arm(): void; seen: Promise<number> } {
  let armed = false;
  let resolve: ((t: number) => void) | undefined;
  const seen = new Promise<number>((r) => (resolve = r));
  client.on('topologyDescriptionChanged', ((event: TopologyChanged) => {
    const p = primaryOf(event);
    if (armed && p !== undefined && p !== oldHost) resolve?.(nowMs());
  }) as never);
  return {
    arm: () => {
      armed = true;
    },
    seen,
  };
}

interface CommandEventLike {
  readonly address: string;
  readonly connectionId: number | string;
  readonly commandName: string;
  readonly command?: Record<string, unknown>;
}

/**
 * Counts the exchanges the `w: 1` stream makes from the moment the client's topology shows
 * a primary other than `oldHost` until stop(): each insert it starts, plus the handshake of
 * every connection created in that time that one of those inserts then runs on.
 */
function exchangeCounter(client: AnyClient, oldHost: string, collection: string): { arm(): void; stop(): number } {
  let armed = false;
  let counting = false;
  let stopped = false;
  const created = new Set<string>();
  const handshakes = new Set<string>();
  let inserts = 0;
  client.on('topologyDescriptionChanged', ((event: TopologyChanged) => {
    const p = primaryOf(event);
    if (armed && !stopped && p !== undefined && p !== oldHost) counting = true;
  }) as never);
  client.on('connectionCreated', ((e: CommandEventLike) => {
    if (counting && !stopped) created.add(`${e.address}/${e.connectionId}`);
  }) as never);
  client.on('commandStarted', ((e: CommandEventLike) => {
    if (!counting || stopped || e.commandName !== 'insert' || e.command?.insert !== collection) return;
    inserts++;
    const id = `${e.address}/${e.connectionId}`;
    if (created.has(id)) handshakes.add(id);
  }) as never);
  return {
    arm: () => {
      armed = true;
    },
    stop: () => {
      stopped = true;
      return inserts + handshakes.size;
    },
  };
}

interface WriteStream {
  /** Resolves with the time of the first write acknowledged after `markExit()`. */
  readonly firstAckAfterExit: Promise<number>;
  markExit(at: number): void;
  stop(): Promise<void>;
}

/** insertOne one at a time, 5 ms apart, until stop(); failed writes (after their one retry) are passed over. */
function writeStream(coll: { insertOne(doc: Record<string, unknown>): Promise<unknown> }, onFirstAckAfterExit?: () => void): WriteStream {
  let running = true;
  let exitedAt = Number.POSITIVE_INFINITY;
  let resolve: ((t: number) => void) | undefined;
  const firstAckAfterExit = new Promise<number>((r) => (resolve = r));
  const loop = (async () => {
    let seq = 0;
    while (running) {
      try {
        await coll.insertOne({ seq: seq++ });
        const t = nowMs();
        if (t > exitedAt && resolve) {
          onFirstAckAfterExit?.();
          resolve(t);
          resolve = undefined;
        }
      } catch {
        // a failed write (after its one retry): the stream goes on
      }
      await sleep(5);
    }
  })();
  return {
    firstAckAfterExit,
    markExit: (at) => {
      exitedAt = at;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function killTrial(cluster: Cluster, driver: Driver): Promise<Trial> {
  await cluster.waitForSecondaries();
  const primary = await cluster.primary();
  const client = makeClient(driver, cluster.uri);
  const watch = watchNewPrimary(client, primary.host);
  const counter = exchangeCounter(client, primary.host, `kill_w1_${driver}`);
  try {
    await client.connect();
    const db = client.db('bench_failover');
    const coll = db.collection(`kill_${driver}`);
    // The same writes with w: 1, on a collection of their own, during the same trial: the
    // driver alone, without the new primary's wait for a secondary to replicate.
    const collW1 = db.collection(`kill_w1_${driver}`, { writeConcern: { w: 1 } });
    for (let i = 0; i < 20; i++) {
      await coll.insertOne({ warm: i });
      await collW1.insertOne({ warm: i });
    }
    const majority = writeStream(coll);
    let exchangesW1 = Number.NaN;
    const w1 = writeStream(collW1, () => (exchangesW1 = counter.stop()));
    await sleep(200);
    watch.arm();
    counter.arm();
    const t0 = nowMs();
    const election = observeElection(cluster, primary.index);
    await cluster.kill(primary.index, 'SIGKILL');
    const exitedAt = nowMs();
    majority.markExit(exitedAt);
    w1.markExit(exitedAt);
    try {
      const ackAt = await withTimeout(majority.firstAckAfterExit, SERVER_SELECTION_TIMEOUT_MS + 10_000, `${driver} write after kill`);
      const ackW1At = await withTimeout(w1.firstAckAfterExit, SERVER_SELECTION_TIMEOUT_MS + 10_000, `${driver} w:1 write after kill`);
      const electedAt = await withTimeout(election.at, 30_000, 'election after kill');
      const topologyAt = await withTimeout(watch.seen, 5000, `${driver} topology after kill`);
      return { recoveryMs: ackAt - t0, recoveryW1Ms: ackW1At - t0, exchangesW1, electionMs: electedAt - t0, topologyMs: topologyAt - t0 };
    } finally {
      election.stop();
      await Promise.all([majority.stop(), w1.stop()]);
    }
  } finally {
    await client.close().catch(() => undefined);
    for (const m of cluster.members) if (!m.process) await cluster.restart(m.index);
  }
}

async function stepDownTrial(cluster: Cluster, driver: Driver): Promise<Trial> {
  await cluster.waitForSecondaries();
  const primary = await cluster.primary();
  const client = makeClient(driver, cluster.uri);
  try {
    let seesOldPrimary: (() => void) | undefined;
    const ready = new Promise<void>((resolve) => (seesOldPrimary = resolve));
    let sawNewPrimary: ((t: number) => void) | undefined;
    const switched = new Promise<number>((resolve) => (sawNewPrimary = resolve));
    let armed = false;
    client.on('topologyDescriptionChanged', ((event: TopologyChanged) => {
      const p = primaryOf(event);
      if (p === primary.host) seesOldPrimary?.();
      else if (armed && p !== undefined) sawNewPrimary?.(nowMs());
    }) as never);
    await client.connect();
    await withTimeout(ready, 10_000, `${driver} discovering the primary`);
    // let every member's monitor settle (streaming hello established on all three)
    await sleep(300);
    armed = true;
    const t0 = nowMs();
    const election = observeElection(cluster, -1, primary.host);
    const stepping = cluster.stepDown(primary.index, 10).catch(() => undefined);
    try {
      const seenAt = await withTimeout(switched, 30_000, `${driver} seeing the new primary`);
      const electedAt = await withTimeout(election.at, 30_000, 'election after stepDown');
      return { recoveryMs: seenAt - t0, electionMs: electedAt - t0 };
    } finally {
      election.stop();
      await stepping;
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Median hello round trip to the primary over our TCP client (the "round trip" of the targets). */
async function helloRttMs(cluster: Cluster, samples: number): Promise<number> {
  const client = makeClient('ours_tcp', cluster.uri);
  try {
    const db = client.db('admin');
    const out: number[] = [];
    for (let i = 0; i < samples + 10; i++) {
      const t0 = nowMs();
      await db.command({ hello: 1 });
      if (i >= 10) out.push(nowMs() - t0);
    }
    return summarize(out).median;
  } finally {
    await client.close();
  }
}

export const failoverSection: Section = {
  name: 'failover',
  title: 'Failover recovery',
  description:
    'A three-member sim replica set of separate processes (`startCluster`, sim defaults: electionTimeoutMillis ' +
    `${ELECTION_TIMEOUT_MS}, heartbeatIntervalMillis ${HEARTBEAT_INTERVAL_MS}). Both drivers with the same settings: ` +
    `serverSelectionTimeoutMS ${SERVER_SELECTION_TIMEOUT_MS}, retryWrites on, heartbeatFrequencyMS at its default (10 s). ` +
    '**kill**: a stream of `insertOne` (one at a time, 5 ms apart) runs, the primary gets `SIGKILL`; measured is the time ' +
    'from the signal to the first write acknowledged after the process has exited, and the time until the client\'s topology shows the new primary. The member is then restarted and the ' +
    'set waited on. **stepDown**: `replSetStepDown` on the primary; measured is the time from sending it to the ' +
    "client's `topologyDescriptionChanged` event that shows another member as `RSPrimary`. Every trial uses a fresh, " +
    'connected client; contenders alternate (ours, official, ours, ...). The election is timed from outside both drivers ' +
    `in every trial: the surviving members are polled with \`hello\` every ${POLL_MS} ms until one is writable primary; ` +
    '"overhead" = driver time − election time, per trial.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const trials = ctx.quick ? 1 : 5;
    const cluster = await startCluster({ members: 3 });
    try {
      const rtt = await helloRttMs(cluster, ctx.quick ? 20 : 100);
      const kill: Record<Driver, Trial[]> = { ours_tcp: [], official: [] };
      const step: Record<Driver, Trial[]> = { ours_tcp: [], official: [] };
      for (let i = 0; i < trials; i++) {
        for (const d of DRIVERS) {
          const t = await killTrial(cluster, d);
          ctx.log(`failover: kill trial ${i + 1}/${trials} ${d}: write after ${t.recoveryMs.toFixed(0)} ms (election ${t.electionMs.toFixed(0)} ms)`);
          kill[d].push(t);
        }
      }
      for (let i = 0; i < trials; i++) {
        for (const d of DRIVERS) {
          const t = await stepDownTrial(cluster, d);
          ctx.log(`failover: stepDown trial ${i + 1}/${trials} ${d}: new primary seen after ${t.recoveryMs.toFixed(0)} ms (election ${t.electionMs.toFixed(0)} ms)`);
          step[d].push(t);
        }
      }
      const pick = (r: Record<Driver, Trial[]>, f: (t: Trial) => number) => ({ ours_tcp: r.ours_tcp.map(f), official: r.official.map(f) });
      const spec = (title: string) => ({ title, unit: 'ms', better: 'lower' as const, reference: 'official' });
      const metrics: Record<string, Metric> = {
        'failover.kill_to_write': metricFromSamples(spec('kill -9 of the primary → first acknowledged write'), pick(kill, (t) => t.recoveryMs)),
        'failover.kill_election': metricFromSamples(spec('kill -9 → a survivor is writable primary (polled, during the same trials)'), pick(kill, (t) => t.electionMs)),
        'failover.kill_overhead': metricFromSamples(spec('kill: first write − election time, per trial'), pick(kill, (t) => t.recoveryMs - t.electionMs)),
        'failover.kill_w1_overhead': metricFromSamples(spec('kill: first w:1 write − election time, per trial (same trials, a second stream)'), pick(kill, (t) => t.recoveryW1Ms! - t.electionMs)),
        'failover.kill_w1_after_topology': metricFromSamples(spec("kill: first w:1 write − the client's topology shows the new primary, per trial"), pick(kill, (t) => t.recoveryW1Ms! - t.topologyMs!)),
        'failover.kill_w1_exchanges': metricFromSamples(
          { title: "kill: the w:1 stream's exchanges from the client's topology showing the new primary to its first ack (handshakes + inserts)", unit: 'exchanges', better: 'lower', reference: 'official' },
          pick(kill, (t) => t.exchangesW1!),
        ),
        'failover.kill_to_topology': metricFromSamples(spec('kill -9 → client topology shows the new primary'), pick(kill, (t) => t.topologyMs!)),
        'failover.kill_topology_overhead': metricFromSamples(spec('kill: topology shows the new primary − election time, per trial'), pick(kill, (t) => t.topologyMs! - t.electionMs)),
        'failover.stepdown_to_topology': metricFromSamples(spec('replSetStepDown → client topology shows the new primary'), pick(step, (t) => t.recoveryMs)),
        'failover.stepdown_election': metricFromSamples(spec('replSetStepDown → another member is writable primary (polled)'), pick(step, (t) => t.electionMs)),
        'failover.stepdown_overhead': metricFromSamples(spec('stepDown: driver time − election time, per trial'), pick(step, (t) => t.recoveryMs - t.electionMs)),
        'failover.hello_rtt': metricFromValues({ title: 'hello round trip to the primary (our client, median)', unit: 'ms', better: 'lower', reference: 'ours_tcp' }, { ours_tcp: rtt }),
      };
      const allowance = 2 * rtt;
      const targets: TargetResult[] = [
        target(
          'failover.kill_topology_overhead',
          `kill -9: ours sees the new primary within the election time plus 2 round trips (median overhead, ms; 2 RTT = ${allowance.toFixed(2)} ms)`,
          metrics['failover.kill_topology_overhead']!.contenders.ours_tcp!.median,
          '<=',
          Number(allowance.toFixed(2)),
        ),
        target(
          'failover.kill_overhead',
          `kill -9: ours completes a write within the election time plus 2 round trips (median overhead, ms; 2 RTT = ${allowance.toFixed(2)} ms)`,
          metrics['failover.kill_overhead']!.contenders.ours_tcp!.median,
          '<=',
          Number(allowance.toFixed(2)),
        ),
        target(
          'failover.kill_w1_overhead',
          `kill -9: ours completes a w:1 write within the election time plus 2 round trips (median overhead, ms; 2 RTT = ${allowance.toFixed(2)} ms)`,
          metrics['failover.kill_w1_overhead']!.contenders.ours_tcp!.median,
          '<=',
          Number(allowance.toFixed(2)),
        ),
        target(
          'failover.kill_w1_exchanges',
          "kill -9: ours makes at most 2 exchanges from seeing the new primary to the first acknowledged w:1 write (median)",
          metrics['failover.kill_w1_exchanges']!.contenders.ours_tcp!.median,
          '<=',
          2,
        ),
        target(
          'failover.stepdown_overhead',
          `stepDown: ours sees the new primary within the election time plus 2 round trips (median overhead, ms; 2 RTT = ${allowance.toFixed(2)} ms)`,
          metrics['failover.stepdown_overhead']!.contenders.ours_tcp!.median,
          '<=',
          Number(allowance.toFixed(2)),
        ),
        target(
          'failover.kill_to_write vs official',
          'kill -9: ours recovers no slower than the official driver (median ratio)',
          metrics['failover.kill_to_write']!.contenders.ours_tcp!.ratio,
          '<=',
          1,
        ),
      ];
      const notes = [
        `${trials} trial(s) per driver and experiment. Sim election settings: electionTimeoutMillis ${ELECTION_TIMEOUT_MS} ms, ` +
          `heartbeatIntervalMillis ${HEARTBEAT_INTERVAL_MS} ms (a survivor notices a dead primary through missed heartbeats, then ` +
          'waits out the election timeout before it calls an election, so kill elections take about 1–2 s; a stepDown lets a ' +
          'caught-up secondary run at once).',
        `The election is observed by polling every ${POLL_MS} ms, so it is seen up to ${POLL_MS} ms + one hello late: the ` +
          'overhead can be understated by that much, and can come out negative when the driver notices first.',
        'The first write after a kill waits for more than the driver: the sim defaults to `w: "majority"` on a replica set ' +
          '(packages/sim/src/repl/coordinator.ts `defaultWriteConcern`), so the new primary acknowledges only once the other ' +
          'survivor has found its new sync source and replicated the write. `kill_to_topology` isolates the driver: the time ' +
          "until the client's own topology shows the new primary.",
        `Round trip (the target allowance): median hello round trip to the primary with our client, ${rtt.toFixed(2)} ms ` +
          '(loopback, on a loaded machine).',
      ];
      const k = metrics['failover.kill_overhead']!.contenders;
      const kt = metrics['failover.kill_topology_overhead']!.contenders;
      const kw = metrics['failover.kill_w1_overhead']!.contenders;
      const ka = metrics['failover.kill_w1_after_topology']!.contenders;
      const kx = metrics['failover.kill_w1_exchanges']!.contenders;
      notes.push(
        `From the moment the client's own topology shows the new primary to the first acknowledged w:1 write: ours ` +
          `${ka.ours_tcp!.median.toFixed(1)} ms, the official driver ${ka.official!.median.toFixed(1)} ms. Exchanges in that time, ` +
          `counted from CMAP and command events: ours ${kx.ours_tcp!.median}, the official driver ${kx.official!.median} (median): ` +
          "the new connection's handshake (the pool had none to a former secondary) and the write itself. A write cannot go " +
          "behind the handshake's hello unanswered (it would run even if the handshake failed), so 2 is the floor for a pool " +
          'without a connection to the new primary.',
      );
      notes.push(
        `The same trials with \`w: 1\` (a second stream beside the majority one, on its own collection): ours completes the first ` +
          `w:1 write ${kw.ours_tcp!.median.toFixed(1)} ms after the polled election, the official driver ${kw.official!.median.toFixed(1)} ms ` +
          `(limit ${allowance.toFixed(2)} ms: ${targets[2]!.met ? 'met' : 'missed'}). Its topology shows the new primary ` +
          `${kt.ours_tcp!.median.toFixed(0)} ms after the polled election (streaming hello on the survivors, ` +
          'packages/core/src/sdam/monitor.ts, pushes the change), and the retry waits in server selection for exactly that ' +
          'change (packages/core/src/operation/topology-executor.ts, the second `selectServer`).',
      );
      if (!targets[1]!.met) {
        notes.push(
          `Majority writes: ours completes the first one ${k.ours_tcp!.median.toFixed(0)} ms after the election (limit ${allowance.toFixed(2)} ms, ` +
            `missed by ${(k.ours_tcp!.median - allowance).toFixed(0)} ms; the official driver: ${k.official!.median.toFixed(0)} ms). ` +
            'The difference from the w:1 stream is the new primary waiting for the other survivor to choose it as sync ' +
            'source and replicate (the sim\'s pull loop looks for a sync source every 100 ms, `#syncOnce` in ' +
            'packages/sim/src/repl/coordinator.ts): server time, which no driver change removes.',
        );
      }
      return { metrics, targets, notes };
    } finally {
      await cluster.stop();
    }
  },
};
