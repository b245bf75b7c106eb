/**
 * `mongod-sim-cluster`: starts a replica set of separate mongod-sim processes, prints
 * the connection string and runs until SIGINT / SIGTERM (then stops every member).
 */
import { startCluster, type ClusterMemberOptions, type StartClusterOptions } from './cluster.js';
import { startMongos, type MongosProcess } from './mongos/launch.js';

export const CLUSTER_USAGE = `Usage: mongod-sim-cluster [options]

Starts a replica set of mongod-sim processes (each a separate process with its own
--dbpath), initiates it, waits for a primary and prints the connection string.
Runs until SIGINT / SIGTERM, then stops every member.

Options:
  --members <n>                 number of members (default 3)
  --replSet <name>              replica set name (default rs0)
  --port-base <n>               ports n, n+1, ... (default: free ports)
  --dbpath-root <dir>           member i uses <dir>/db<i> (default: a temp dir, removed on exit)
  --hostname <name>             host name in the config and URI (default 127.0.0.1)
  --latency-ms <a,b,c>          per-member reply delay (one value applies to all)
  --priority <a,b,c>            per-member priority
  --votes <a,b,c>               per-member votes
  --tags <t0;t1;t2>             per-member tags, e.g. "dc=east,rack=1;dc=west;dc=east"
  --hidden <i[,j]>              hidden members (priority 0)
  --arbiter <i[,j]>             arbiter members
  --secondary-delay-secs <a,b>  per-member secondaryDelaySecs (priority 0)
  --election-timeout-ms <n>     settings.electionTimeoutMillis (sim default 1000)
  --heartbeat-interval-ms <n>   settings.heartbeatIntervalMillis (sim default 250)
  --mongos <n>                  also start n mongos routers in front of the set; their
                                connection string is printed on a second stdout line
  --mongos-latency-ms <a,b,c>   per-router reply delay (one value applies to all)
  --help                        print this help
`;

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim());
}

export function parseClusterArgs(argv: readonly string[]): StartClusterOptions & { help?: boolean; mongos?: number; mongosLatencyMs?: number[] } {
  const o: StartClusterOptions & { help?: boolean; mongos?: number; mongosLatencyMs?: number[] } = { members: 3, replSet: 'rs0' };
  const per: ClusterMemberOptions[] = [];
  const at = (i: number): ClusterMemberOptions => (per[i] ??= {});
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) throw new Error(`unrecognised argument '${argv[i]}'`);
    const name = m[1]!;
    if (name === 'help') {
      o.help = true;
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    const nums = (): number[] => list(value).map((x) => {
      const n = Number(x);
      if (!Number.isFinite(n)) throw new Error(`bad value for --${name}: ${value}`);
      return n;
    });
    switch (name) {
      case 'members':
        o.members = nums()[0];
        break;
      case 'replSet':
        o.replSet = value;
        break;
      case 'port-base':
        o.basePort = nums()[0];
        break;
      case 'dbpath-root':
        o.dbpathRoot = value;
        break;
      case 'hostname':
        o.hostname = value;
        break;
      case 'latency-ms': {
        const v = nums();
        for (let k = 0; k < Math.max(v.length, 64); k++) if (v.length === 1 || k < v.length) at(k).latencyMs = v.length === 1 ? v[0] : v[k];
        break;
      }
      case 'priority':
        nums().forEach((n, k) => (at(k).priority = n));
        break;
      case 'votes':
        nums().forEach((n, k) => (at(k).votes = n));
        break;
      case 'secondary-delay-secs':
        nums().forEach((n, k) => {
          if (n > 0) {
            at(k).secondaryDelaySecs = n;
            at(k).priority = 0;
          }
        });
        break;
      case 'tags':
        value.split(';').forEach((t, k) => {
          const tags: Record<string, string> = {};
          for (const kv of t.split(',').map((s) => s.trim()).filter(Boolean)) {
            const eq = kv.indexOf('=');
            if (eq <= 0) throw new Error(`bad tag '${kv}' (expected key=value)`);
            tags[kv.slice(0, eq)] = kv.slice(eq + 1);
          }
          if (Object.keys(tags).length) at(k).tags = tags;
        });
        break;
      case 'hidden':
        nums().forEach((k) => {
          at(k).hidden = true;
          at(k).priority = 0;
        });
        break;
      case 'arbiter':
        nums().forEach((k) => (at(k).arbiterOnly = true));
        break;
      case 'election-timeout-ms':
        o.electionTimeoutMillis = nums()[0];
        break;
      case 'heartbeat-interval-ms':
        o.heartbeatIntervalMillis = nums()[0];
        break;
      case 'mongos':
        o.mongos = nums()[0];
        if (!Number.isInteger(o.mongos) || o.mongos! < 0 || o.mongos! > 20) throw new Error('--mongos must be between 0 and 20');
        break;
      case 'mongos-latency-ms':
        o.mongosLatencyMs = nums();
        break;
      default:
        throw new Error(`unrecognised option '--${name}'`);
    }
  }
  const n = o.members ?? 3;
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new Error('--members must be between 1 and 50');
  o.memberOptions = Array.from({ length: n }, (_, k) => per[k] ?? {});
  return o;
}

export async function main(argv: readonly string[]): Promise<void> {
  let opts: ReturnType<typeof parseClusterArgs>;
  try {
    opts = parseClusterArgs(argv);
  } catch (e) {
    process.stderr.write(`mongod-sim-cluster: ${(e as Error).message}\n${CLUSTER_USAGE}`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(CLUSTER_USAGE);
    process.exit(0);
  }
  let cluster;
  try {
    cluster = await startCluster(opts);
  } catch (e) {
    process.stderr.write(`mongod-sim-cluster: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const primary = await cluster.primary();
  for (const m of cluster.members) {
    process.stderr.write(`member ${m.index}: ${m.host} pid ${m.pid} dbpath ${m.dbpath}${m.index === primary.index ? ' (primary)' : ''}\n`);
  }
  process.stdout.write(`${cluster.uri}\n`);
  const routers: MongosProcess[] = [];
  if (opts.mongos) {
    const configdb = `${cluster.replSet}/${cluster.members.map((m) => m.host).join(',')}`;
    const lat = opts.mongosLatencyMs ?? [];
    try {
      for (let k = 0; k < opts.mongos; k++) routers.push(await startMongos({ configdb, latencyMs: lat.length === 1 ? lat[0] : lat[k] }));
    } catch (e) {
      process.stderr.write(`mongod-sim-cluster: mongos: ${(e as Error).message}\n`);
      await Promise.all(routers.map((r) => r.stop()));
      await cluster.stop();
      process.exit(1);
    }
    routers.forEach((r, k) => process.stderr.write(`mongos ${k}: ${r.address} pid ${r.process.process.pid}\n`));
    process.stdout.write(`mongodb://${routers.map((r) => r.address).join(',')}/\n`);
  }
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all(routers.map((r) => r.stop()));
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // Keep the process alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}
