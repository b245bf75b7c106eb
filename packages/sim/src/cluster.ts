/**
 * startCluster(): a replica set of SEPARATE `mongod-sim --replSet` processes (so a
 * member can be `kill -9`ed), initiated and waited on. Used by tests, the demo and
 * `mongod-sim-cluster`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Long } from 'bson';
import { authenticateInternal } from './auth/internal-client.js';
import { internalCredentials, loadKeyFile } from './auth/keyfile.js';
import { PeerClient } from './repl/peer.js';
import { spawnSim, type SpawnedSim } from './spawn.js';
import type { Doc } from './storage/values.js';
import { sleep } from './util/async.js';

export interface ClusterMemberOptions {
  priority?: number;
  votes?: number;
  hidden?: boolean;
  arbiterOnly?: boolean;
  secondaryDelaySecs?: number;
  tags?: Record<string, string>;
  /** `--latency-ms` of this member's process. */
  latencyMs?: number;
}

export interface StartClusterOptions {
  /** Number of members (default 3). */
  members?: number;
  /** Replica set name (default 'rs0'). */
  replSet?: string;
  /** Ports basePort, basePort+1...; free ports when absent. */
  basePort?: number;
  /** Each member's --dbpath is <root>/db<i>; a fresh temp directory (removed by stop()) when absent. */
  dbpathRoot?: string;
  memberOptions?: ReadonlyArray<ClusterMemberOptions | undefined>;
  electionTimeoutMillis?: number;
  heartbeatIntervalMillis?: number;
  /** Host name written in the config and the URI (default 127.0.0.1; 'localhost' works too). */
  hostname?: string;
  /** Extra flags for every member. */
  args?: string[];
  /** `--keyFile` for every member; the launcher's own admin connections authenticate as __system. */
  keyFile?: string;
  /** Every child output line (default: dropped). */
  onLine?: (member: number, line: string, stream: 'stdout' | 'stderr') => void;
  /** How long to wait for a primary and caught-up secondaries (default 30 s). */
  timeoutMs?: number;
}

export interface ClusterMember {
  readonly index: number;
  /** `hostname:port` as in the replica set config. */
  readonly host: string;
  readonly port: number;
  readonly dbpath: string;
  readonly options: ClusterMemberOptions;
  /** The child's pid (undefined while killed). */
  pid: number | undefined;
  process: SpawnedSim | undefined;
}

export interface Cluster {
  readonly replSet: string;
  readonly members: readonly ClusterMember[];
  /** mongodb://h1,h2,h3/?replicaSet=name */
  readonly uri: string;
  /** The current primary (waits for one). */
  primary(): Promise<ClusterMember>;
  waitForPrimary(opts?: { exclude?: number | ClusterMember; timeoutMs?: number }): Promise<ClusterMember>;
  /** Waits until every running data-bearing member is SECONDARY (or PRIMARY) and caught up with the primary. */
  waitForSecondaries(opts?: { timeoutMs?: number }): Promise<void>;
  /** Signals a member (default SIGKILL) and waits for it to exit. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed member again (same port and dbpath). */
  restart(i: number): Promise<ClusterMember>;
  /** replSetStepDown on member i (default: the primary). */
  stepDown(i?: number, stepDownSecs?: number): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Runs an admin command on member i (internal client, no driver). */
  command(i: number, cmd: Doc, timeoutMs?: number): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Stops every member (SIGTERM) and removes a temporary dbpath root. */
  stop(): Promise<void>;
}

export async function startCluster(options: StartClusterOptions = {}): Promise<Cluster> {
  const n = options.members ?? 3;
  const replSet = options.replSet ?? 'rs0';
  const hostname = options.hostname ?? '127.0.0.1';
  const tempRoot = options.dbpathRoot === undefined;
  const root = options.dbpathRoot ?? mkdtempSync(path.join(os.tmpdir(), 'mongod-sim-cluster-'));
  const timeoutMs = options.timeoutMs ?? 30000;
  const members: ClusterMember[] = [];
  const clients = new Map<number, PeerClient>();
  const creds = options.keyFile !== undefined ? internalCredentials(loadKeyFile(options.keyFile)) : undefined;

  const spawnMember = async (i: number, port: number, dbpath: string, mo: ClusterMemberOptions): Promise<SpawnedSim> => {
    const args = ['--replSet', replSet, '--dbpath', dbpath, '--port', String(port), '--bind_ip', hostname === 'localhost' ? '127.0.0.1' : hostname, ...(options.args ?? [])];
    if (options.keyFile !== undefined) args.push('--keyFile', options.keyFile);
    if (mo.latencyMs) args.push('--latency-ms', String(mo.latencyMs));
    return spawnSim(args, { onLine: options.onLine ? (line, stream) => options.onLine!(i, line, stream) : undefined });
  };

  const client = (i: number): PeerClient => {
    let c = clients.get(i);
    if (!c) {
      c = new PeerClient(`127.0.0.1:${members[i]!.port}`, creds ? (run) => authenticateInternal(run, creds) : undefined);
      clients.set(i, c);
    }
    return c;
  };

  const command = async (i: number, cmd: Doc, t = 10000): Promise<Doc> => {
    const res = await client(i).command({ ...cmd, $db: cmd.$db ?? 'admin' }, t);
    if (res.ok !== 1) {
      const e = new Error(`${Object.keys(cmd)[0]} on member ${i} failed: ${String(res.errmsg)} (${String(res.codeName)})`) as Error & { reply?: Doc };
      e.reply = res;
      throw e;
    }
    return res;
  };

  const hello = async (i: number): Promise<Doc | undefined> => {
    if (!members[i]?.process) return undefined;
    try {
      return await client(i).command({ hello: 1, $db: 'admin' }, 2000);
    } catch {
      return undefined;
    }
  };

  const stopAll = async (): Promise<void> => {
    for (const c of clients.values()) c.close();
    clients.clear();
    await Promise.all(members.map((m) => m.process?.stop()));
    for (const m of members) {
      m.process = undefined;
      m.pid = undefined;
    }
    if (tempRoot) rmSync(root, { recursive: true, force: true });
  };

  try {
    const spawned = await Promise.allSettled(
      Array.from({ length: n }, async (_, i) => {
        const mo = options.memberOptions?.[i] ?? {};
        const dbpath = path.join(root, `db${i}`);
        mkdirSync(dbpath, { recursive: true });
        const proc = await spawnMember(i, options.basePort !== undefined ? options.basePort + i : 0, dbpath, mo);
        return { index: i, host: `${hostname}:${proc.port}`, port: proc.port, dbpath, options: mo, pid: proc.process.pid, process: proc } satisfies ClusterMember;
      }),
    );
    for (const r of spawned) if (r.status === 'fulfilled') members.push(r.value);
    const failed = spawned.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const settings: Doc = {};
    if (options.electionTimeoutMillis !== undefined) settings.electionTimeoutMillis = options.electionTimeoutMillis;
    if (options.heartbeatIntervalMillis !== undefined) settings.heartbeatIntervalMillis = options.heartbeatIntervalMillis;
    const config: Doc = {
      _id: replSet,
      version: 1,
      members: members.map((m) => {
        const d: Doc = { _id: m.index, host: m.host };
        const o = m.options;
        if (o.priority !== undefined) d.priority = o.priority;
        if (o.votes !== undefined) d.votes = o.votes;
        if (o.hidden !== undefined) d.hidden = o.hidden;
        if (o.arbiterOnly !== undefined) d.arbiterOnly = o.arbiterOnly;
        if (o.secondaryDelaySecs !== undefined) d.secondaryDelaySecs = Long.fromNumber(o.secondaryDelaySecs);
        if (o.tags !== undefined) d.tags = o.tags;
        return d;
      }),
    };
    if (Object.keys(settings).length) config.settings = settings;
    const initiator = members.findIndex((m) => !m.options.arbiterOnly);
    await command(initiator, { replSetInitiate: config }, 30000);
  } catch (e) {
    await stopAll();
    throw e;
  }

  const indexOf = (x: number | ClusterMember | undefined): number | undefined => (x === undefined ? undefined : typeof x === 'number' ? x : x.index);

  const waitForPrimary = async (opts: { exclude?: number | ClusterMember; timeoutMs?: number } = {}): Promise<ClusterMember> => {
    const exclude = indexOf(opts.exclude);
    const deadline = Date.now() + (opts.timeoutMs ?? timeoutMs);
    while (Date.now() < deadline) {
      const hellos = await Promise.all(members.map((m) => (m.index === exclude ? undefined : hello(m.index))));
      const i = hellos.findIndex((h) => h?.isWritablePrimary === true);
      if (i >= 0) return members[i]!;
      await sleep(100);
    }
    throw new Error(`no primary among ${members.map((m) => m.host).join(', ')} within ${opts.timeoutMs ?? timeoutMs} ms`);
  };

  const waitForSecondaries = async (opts: { timeoutMs?: number } = {}): Promise<void> => {
    const deadline = Date.now() + (opts.timeoutMs ?? timeoutMs);
    let target: Doc | undefined;
    let targetOf: unknown;
    while (Date.now() < deadline) {
      const hellos = await Promise.all(members.map((m) => hello(m.index)));
      const p = hellos.find((h) => h?.isWritablePrimary === true);
      if (p) {
        // caught up with what the primary had when we first saw it (it may keep writing)
        if (!target || targetOf !== p.me) {
          target = (p.lastWrite as Doc | undefined)?.opTime as Doc | undefined;
          targetOf = p.me;
        }
        const ok = members.every((m, i) => {
          if (!m.process || m.options.arbiterOnly) return true;
          const h = hellos[i];
          if (!h) return false;
          if (h.isWritablePrimary === true) return true;
          if (h.secondary !== true) return false;
          if (m.options.secondaryDelaySecs) return true;
          const ot = (h.lastWrite as Doc | undefined)?.opTime as Doc | undefined;
          return !!ot && !!target && tsGte(ot.ts, target.ts);
        });
        if (ok) return;
      }
      await sleep(100);
    }
    throw new Error(`secondaries did not catch up within ${opts.timeoutMs ?? timeoutMs} ms`);
  };

  try {
    await waitForPrimary();
    await waitForSecondaries();
  } catch (e) {
    await stopAll();
    throw e;
  }

  const hosts = members.filter((m) => !m.options.hidden).map((m) => m.host);
  return {
    replSet,
    members,
    uri: `mongodb://${hosts.join(',')}/?replicaSet=${encodeURIComponent(replSet)}`,
    primary: () => waitForPrimary(),
    waitForPrimary,
    waitForSecondaries,
    command,
    async kill(i, signal = 'SIGKILL') {
      const m = members[i]!;
      const p = m.process;
      if (!p) return;
      clients.get(i)?.close();
      clients.delete(i);
      p.kill(signal);
      await p.exited;
      m.process = undefined;
      m.pid = undefined;
    },
    async restart(i) {
      const m = members[i]!;
      if (m.process) return m;
      let lastErr: unknown;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const p = await spawnMember(i, m.port, m.dbpath, m.options);
          m.process = p;
          m.pid = p.process.pid;
          return m;
        } catch (e) {
          lastErr = e;
          await sleep(250);
        }
      }
      throw lastErr;
    },
    async stepDown(i, stepDownSecs = 10) {
      const idx = i ?? (await waitForPrimary()).index;
      return command(idx, { replSetStepDown: stepDownSecs, secondaryCatchUpPeriodSecs: Math.min(10, stepDownSecs) }, (stepDownSecs + 5) * 1000);
    },
    stop: stopAll,
  };
}

function tsGte(a: unknown, b: unknown): boolean {
  const x = a as { t?: number; i?: number; high?: number; low?: number };
  const y = b as { t?: number; i?: number };
  if (x?.t === undefined || y?.t === undefined) return false;
  return x.t !== y.t ? x.t > y.t! : (x.i ?? 0) >= (y.i ?? 0);
}
