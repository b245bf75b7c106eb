/**
 * startMongos(): spawns a `mongod-sim --mongos` router process on a free port (or the
 * given one) in front of a replica set, and resolves once it is listening.
 */
import { spawnSim, type SpawnSimOptions, type SpawnedSim } from '../spawn.js';

export interface StartMongosOptions {
  /** `<setName>/<host:port>,...` (as mongos --configdb); or give `seeds`. */
  configdb?: string;
  /** A connection string of the replica set (`--mongos-seeds`). */
  seeds?: string;
  /** Default: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  bindIp?: string;
  /** `--latency-ms` of the router (every reply is delayed). */
  latencyMs?: number;
  /** `--localThreshold` of the router (ms). */
  localThreshold?: number;
  /** How long the router waits for a matching member before FailedToSatisfyReadPreference (default 15 s). */
  findHostTimeoutMS?: number;
  /** Extra flags. */
  args?: string[];
  onLine?: SpawnSimOptions['onLine'];
}

export interface MongosProcess {
  readonly host: string;
  readonly port: number;
  /** `host:port` */
  readonly address: string;
  /** `mongodb://host:port/` */
  readonly uri: string;
  readonly process: SpawnedSim;
  /** SIGTERM and wait (SIGKILL after 5 s). */
  stop(): Promise<number | NodeJS.Signals>;
  /** Sends a signal (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

export function mongosArgs(options: StartMongosOptions): string[] {
  if ((options.configdb === undefined) === (options.seeds === undefined)) throw new Error('startMongos: give exactly one of configdb or seeds');
  const args = ['--mongos'];
  if (options.configdb !== undefined) args.push('--configdb', options.configdb);
  if (options.seeds !== undefined) args.push('--mongos-seeds', options.seeds);
  args.push('--port', String(options.port ?? 0), '--bind_ip', options.bindIp ?? '127.0.0.1');
  if (options.latencyMs) args.push('--latency-ms', String(options.latencyMs));
  if (options.localThreshold !== undefined) args.push('--localThreshold', String(options.localThreshold));
  if (options.findHostTimeoutMS !== undefined) args.push('--setParameter', `simFindHostTimeoutMS=${options.findHostTimeoutMS}`);
  args.push(...(options.args ?? []));
  return args;
}

export async function startMongos(options: StartMongosOptions): Promise<MongosProcess> {
  const proc = await spawnSim(mongosArgs(options), options.onLine ? { onLine: options.onLine } : {});
  const host = proc.host === '0.0.0.0' ? '127.0.0.1' : proc.host;
  return {
    host,
    port: proc.port,
    address: `${host}:${proc.port}`,
    uri: `mongodb://${host}:${proc.port}/`,
    process: proc,
    stop: () => proc.stop(),
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      proc.kill(signal);
      return proc.exited;
    },
  };
}
