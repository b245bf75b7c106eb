/**
 * Section "change_streams": a change stream read by each contender against one
 * one-member sim replica set (its own process, startCluster): the latency of an event
 * (from the write's acknowledgement to the event's delivery to the application) and the
 * rate one stream drains a backlog of changes at. Contenders interleaved round by round:
 * the official driver (reference), ours over TCP, ours through the bridge (bridge in a
 * child process). Every write is made by one separate writer client (the official
 * driver over TCP), so the write path is the same for all three.
 */
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { interleave, metricFromSamples, metricFromTimes, nowMs, type Section, type SectionContext, type SectionOutput } from '../lib/harness.js';
import { CONTENDERS, officialClient, ourBridgeClient, ourTcpClient, startBridgeChild, type AnyClient, type ContenderName } from '../lib/clients.js';

type Doc = Record<string, unknown>;

/** The change stream surface used here; both drivers' streams fit it. */
interface AnyChangeStream {
  on(event: 'change', listener: (change: Doc) => void): unknown;
  tryNext(): Promise<Doc | null>;
  next(): Promise<Doc>;
  close(): Promise<void>;
}
interface WatchCollection {
  watch(pipeline?: Doc[], options?: Doc): AnyChangeStream;
  insertOne(doc: Doc): Promise<unknown>;
  insertMany(docs: Doc[]): Promise<unknown>;
  drop(): Promise<unknown>;
}
const collectionOf = (client: AnyClient, db: string, name: string) => client.db(db).collection(name) as unknown as WatchCollection;

/** An event-mode stream with a waiter for one `_id`: each sample waits for the change of its own write. */
class LatencyRig {
  #waiting: { id: number; resolve: (t: number) => void } | undefined;
  #nextId = 0;
  readonly stream: AnyChangeStream;

  constructor(
    watched: WatchCollection,
    private readonly writer: WatchCollection,
  ) {
    this.stream = watched.watch([{ $match: { operationType: 'insert' } }], { maxAwaitTimeMS: 1000 });
    this.stream.on('change', (change) => {
      const at = nowMs();
      const id = (change.documentKey as Doc | undefined)?._id;
      if (this.#waiting && id === this.#waiting.id) this.#waiting.resolve(at);
    });
  }

  #arrival(id: number): Promise<number> {
    return new Promise((resolve) => (this.#waiting = { id, resolve }));
  }

  /** Writes until the stream delivers one (its aggregate runs in the background after on('change')). */
  async ready(): Promise<void> {
    for (;;) {
      const id = this.#nextId++;
      const arrived = this.#arrival(id);
      await this.writer.insertOne({ _id: id, warmup: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const got = await Promise.race([arrived, new Promise<null>((r) => (timer = setTimeout(() => r(null), 2000)))]);
      clearTimeout(timer);
      if (got !== null) return;
    }
  }

  /** One write; ms from its acknowledgement to its change's delivery (negative: the event came first). */
  async sample(): Promise<number> {
    const id = this.#nextId++;
    const arrived = this.#arrival(id);
    await this.writer.insertOne({ _id: id, v: 1 });
    const acknowledged = nowMs();
    return (await arrived) - acknowledged;
  }
}

export const changeStreamsSection: Section = {
  name: 'change_streams',
  title: 'Change streams: event latency and events per second',
  description:
    'A change stream on one collection of a one-member sim replica set (its own process). **Latency**: the stream in event ' +
    "mode (`on('change')`), one write at a time by a separate writer (the official driver over TCP, the same for every contender); " +
    "a sample is the time from the write's acknowledgement (insertOne resolved) to the change reaching the listener, " +
    'in ms (it can be negative: the awaitData getMore may answer before the insert does). **Events per second**: a stream opened ' +
    '(aggregate sent with `tryNext()`), then a backlog written with insertMany, then drained with `next()`; one sample is the ' +
    'backlog / the time to read it. Contenders interleaved round by round: `official` (the `mongodb` driver, the reference), ' +
    '`ours_tcp`, `ours_bridge` (through the bridge in its own child process); each watches its own collection.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const q = ctx.quick;
    const latency = q ? { perRound: 10, warmup: 1, rounds: 2 } : { perRound: 50, warmup: 1, rounds: 8 };
    const drain = q ? { n: 200, warmup: 0, rounds: 1 } : { n: 5000, warmup: 1, rounds: 5 };
    let cluster: Cluster | undefined;
    let bridge: Awaited<ReturnType<typeof startBridgeChild>> | undefined;
    const clients = new Map<ContenderName, AnyClient>();
    let writer: AnyClient | undefined;
    const rigs: LatencyRig[] = [];
    try {
      cluster = await startCluster({ members: 1, replSet: 'bench_cs' });
      bridge = await startBridgeChild();
      const uri = cluster.uri;
      writer = officialClient(uri);
      await writer.connect();
      clients.set('official', officialClient(uri));
      clients.set('ours_tcp', ourTcpClient(uri));
      clients.set('ours_bridge', ourBridgeClient(uri, bridge.url, bridge.token));
      for (const c of clients.values()) await c.connect();

      ctx.log(`change_streams: latency (${latency.perRound} writes × ${latency.rounds} rounds per contender)`);
      const latencyCalls: Record<string, () => Promise<number[]>> = {};
      for (const name of CONTENDERS) {
        const db = `bench_cs_${name}`;
        const rig = new LatencyRig(collectionOf(clients.get(name)!, db, 'latency'), collectionOf(writer, db, 'latency'));
        rigs.push(rig);
        await rig.ready();
        latencyCalls[name] = async () => {
          const out: number[] = [];
          for (let i = 0; i < latency.perRound; i++) out.push(await rig.sample());
          return out;
        };
      }
      const latencies = await interleave(latencyCalls, { warmup: latency.warmup, rounds: latency.rounds });
      for (const rig of rigs) await rig.stream.close();

      ctx.log(`change_streams: events per second (${drain.n} events × ${drain.rounds} rounds per contender)`);
      const drainCalls: Record<string, () => Promise<number>> = {};
      for (const name of CONTENDERS) {
        const db = `bench_cs_${name}`;
        const watched = collectionOf(clients.get(name)!, db, 'drain');
        const target = collectionOf(writer, db, 'drain');
        let round = 0;
        drainCalls[name] = async () => {
          await target.drop().catch(() => undefined);
          const stream = watched.watch([], { maxAwaitTimeMS: 200 });
          try {
            await stream.tryNext(); // the aggregate: the stream starts here
            const base = round++ * drain.n;
            for (let i = 0; i < drain.n; i += 1000) {
              await target.insertMany(Array.from({ length: Math.min(1000, drain.n - i) }, (_, j) => ({ _id: base + i + j, v: 1 })));
            }
            const t0 = nowMs();
            for (let i = 0; i < drain.n; i++) await stream.next();
            return nowMs() - t0;
          } finally {
            await stream.close();
          }
        };
      }
      const drains = await interleave(drainCalls, { warmup: drain.warmup, rounds: drain.rounds });

      return {
        metrics: {
          'change_streams.latency_ms': metricFromSamples(
            { title: 'Event latency: write acknowledged → change delivered', unit: 'ms', better: 'lower', reference: 'official' },
            latencies,
          ),
          'change_streams.events_per_s': metricFromTimes(
            { title: `One stream draining a backlog of ${drain.n} inserts`, unit: 'events/s', better: 'higher', reference: 'official' },
            drains,
            (ms) => drain.n / (ms / 1000),
          ),
        },
        notes: [
          `Scale: latency ${latency.perRound} writes × ${latency.rounds} rounds (+${latency.warmup} warm-up) per contender; drain ${drain.n} events × ${drain.rounds} rounds (+${drain.warmup} warm-up).`,
          'A one-member set commits a write to the majority as it applies it, so the latency is the change stream path alone: ' +
            "the sim waking the waiting getMore, the reply's decoding, and for `ours_bridge` the relay hop. The drain rate is " +
            'bounded by the sim building the events from its oplog as much as by the driver.',
        ],
      };
    } finally {
      for (const rig of rigs) await rig.stream.close().catch(() => undefined);
      for (const c of clients.values()) await c.close().catch(() => undefined);
      await writer?.close().catch(() => undefined);
      await bridge?.stop().catch(() => undefined);
      await cluster?.stop().catch(() => undefined);
    }
  },
};
