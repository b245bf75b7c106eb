/**
 * The deployments the walkthrough runs on: three `mongod-sim --replSet foo` processes
 * started and initiated exactly as the seed documents do it, a tagged set with
 * member latencies, and mongos routers at 20/35/40 ms. Each process can be killed
 * with SIGKILL and restarted on the same port and dbpath.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from '@mongo-edge/core/node';
import { spawnSim, startCluster, startMongos, type Cluster, type MongosProcess, type SpawnedSim } from '@mongo-edge/sim';

/** One mongod-sim process we started: killable, restartable on the same port and dbpath. */
export class SimProcess {
  private proc: SpawnedSim | undefined;
  constructor(
    readonly host: string,
    readonly port: number,
    readonly args: readonly string[],
    proc: SpawnedSim,
  ) {
    this.proc = proc;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  get pid(): number | undefined {
    return this.proc?.process.pid;
  }

  /** `kill -9`, and wait until the process is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    this.proc = undefined;
    p.kill('SIGKILL');
    await p.exited;
  }

  async restart(): Promise<void> {
    if (this.proc) return;
    this.proc = await spawnSim([...this.args, '--port', String(this.port)]);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.stop();
  }
}

/** Three uninitiated members of replica set `replSet` (the seed's first shell step). */
export class SeedReplicaSet {
  private constructor(
    readonly replSet: string,
    readonly members: readonly SimProcess[],
    private readonly root: string,
  ) {}

  static async start(options: { replSet?: string; hostname?: string; heartbeatIntervalMillis?: number } = {}): Promise<SeedReplicaSet> {
    const replSet = options.replSet ?? 'foo';
    const hostname = options.hostname ?? 'localhost';
    const root = mkdtempSync(path.join(os.tmpdir(), 'mongo-edge-ha-'));
    const members = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const args = ['--replSet', replSet, '--dbpath', path.join(root, `db${i}`), '--bind_ip', '127.0.0.1', '--quiet'];
        const { mkdirSync } = await import('node:fs');
        mkdirSync(path.join(root, `db${i}`), { recursive: true });
        const proc = await spawnSim(args);
        return new SimProcess(hostname, proc.port, args, proc);
      }),
    );
    return new SeedReplicaSet(replSet, members, root);
  }

  /** The replSetInitiate document the seed passes (members 0..2, hosts as started). */
  config(settings?: Record<string, unknown>): Record<string, unknown> {
    return {
      _id: this.replSet,
      members: this.members.map((m, i) => ({ _id: i, host: m.address })),
      ...(settings ? { settings } : {}),
    };
  }

  member(address: string): SimProcess {
    const m = this.members.find((x) => x.address === address);
    if (!m) throw new Error(`no member ${address} in ${this.members.map((x) => x.address).join(', ')}`);
    return m;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * A second set for the tag-set and latency steps: a primary and two secondaries
 * tagged {dc:'ny'} and {dc:'sf'}; the sf secondary answers 40 ms slower.
 */
export async function startTaggedSet(): Promise<Cluster> {
  return startCluster({
    members: 3,
    replSet: 'tagged',
    hostname: 'localhost',
    memberOptions: [
      { priority: 2, tags: { dc: 'ny', role: 'primary' } },
      { priority: 1, tags: { dc: 'ny' } },
      { priority: 0, tags: { dc: 'sf' }, latencyMs: 40 },
    ],
  });
}

/** Three mongos routers in front of `configdb` at the seed's latencies. */
export async function startRouters(configdb: string, latencies: readonly number[] = [20, 35, 40]): Promise<(MongosProcess & { latencyMs: number })[]> {
  const routers = await Promise.all(latencies.map(async (latencyMs) => Object.assign(await startMongos({ configdb, latencyMs }), { latencyMs })));
  // A just-started process answers its first requests slowly (JIT, its own connections
  // to the set); a client measuring latency would see that as distance. Warm them up.
  await Promise.all(
    routers.map(async (r) => {
      const c = new MongoClient(`mongodb://${r.host}:${r.port}/?directConnection=true`);
      try {
        for (let i = 0; i < 10; i++) {
          await c.db('admin').command({ ping: 1 });
          await c.db('test').collection('t').findOne();
        }
      } finally {
        await c.close();
      }
    }),
  );
  return routers;
}
