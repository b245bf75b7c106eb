/**
 * The deployments the unified runner runs against, all mongod-sim: a three-member
 * replica set (separate processes), two mongos routers in front of it (the "sharded"
 * topology; two so `useMultipleMongoses` has two), a standalone, and a second three-member
 * replica set with authentication on (`--keyFile`; for the tests that require `auth`: the
 * runner's own commands authenticate as `__system`, test clients as a root user in the
 * connection string), each started only when a planned test needs it. Also what those
 * servers report (version, parameters), so `runOnRequirements` is checked against the
 * server, never assumed.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  PeerClient,
  authenticateInternal,
  internalCredentials,
  loadKeyFile,
  spawnSim,
  startCluster,
  startMongos,
  type Cluster,
  type MongosProcess,
  type SpawnedSim,
} from '@mongo-edge/sim';
import type { Doc } from './match.js';

/** NotWritablePrimary, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary, PrimarySteppedDown. */
const NOT_PRIMARY_CODES = new Set([10107, 13435, 13436, 189]);

export type TopologyName = 'single' | 'replicaset' | 'sharded';
/** A deployment the runner can start: a topology, and the replica set once more with auth on. */
export type DeploymentKind = TopologyName | 'replicaset-auth';

const topologyOf = (kind: DeploymentKind): TopologyName => (kind === 'replicaset-auth' ? 'replicaset' : kind);
const hasAuth = (kind: DeploymentKind): boolean => kind === 'replicaset-auth';

/** The root user the test clients of the auth deployment connect as. */
const AUTH_USER = { user: 'unified-runner', pwd: 'unified-runner-pw' } as const;

export interface ServerInfo {
  /** buildInfo.version, e.g. "7.0.12". */
  readonly version: string;
  readonly parameters: Doc;
}

export interface Deployment {
  readonly topology: TopologyName;
  /** Every address a client of this deployment talks to (mongoses for sharded). */
  readonly hosts: string[];
  /** Connection string; `multiple` false: a single mongos. */
  uri(multiple: boolean): string;
  readonly info: ServerInfo;
  /** An admin command on the primary (or the first mongos). */
  command(cmd: Doc, timeoutMs?: number): Promise<Doc>;
  /** An admin command on one address of this deployment (or a member behind it). */
  commandAt(address: string, cmd: Doc, timeoutMs?: number): Promise<Doc>;
  /** Every process address (members and routers): where fail points are turned off. */
  readonly allAddresses: string[];
}

class Peers {
  #clients = new Map<string, PeerClient>();
  readonly #onConnect: ((run: (cmd: Doc) => Promise<Doc>) => Promise<void>) | undefined;
  /** With a key file: every connection authenticates as `__system` first. */
  constructor(keyFile?: string) {
    const creds = keyFile === undefined ? undefined : internalCredentials(loadKeyFile(keyFile));
    this.#onConnect = creds && ((run) => authenticateInternal(run, creds));
  }
  async command(address: string, cmd: Doc, timeoutMs = 15_000): Promise<Doc> {
    let c = this.#clients.get(address);
    if (!c) {
      c = new PeerClient(address, this.#onConnect);
      this.#clients.set(address, c);
    }
    const reply = await c.command({ ...cmd, $db: cmd.$db ?? 'admin' }, timeoutMs);
    return reply as Doc;
  }
  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}

async function serverInfo(run: (cmd: Doc) => Promise<Doc>): Promise<ServerInfo> {
  const build = await run({ buildInfo: 1 });
  const params = await run({ getParameter: '*' });
  return { version: String(build.version), parameters: params.ok === 1 ? params : {} };
}

/** Starts deployments lazily and stops all of them. */
export class Deployments {
  #peers = new Peers();
  #cluster: Cluster | undefined;
  #routers: MongosProcess[] = [];
  #standalone: SpawnedSim | undefined;
  /** The auth deployment's key-file directory, runner connections and (once started) cluster. */
  #auth: { cluster?: Cluster; peers: Peers; dir: string } | undefined;
  #made = new Map<DeploymentKind, Promise<Deployment>>();

  get(kind: DeploymentKind): Promise<Deployment> {
    let d = this.#made.get(kind);
    if (!d) {
      d = kind === 'replicaset-auth' ? this.#startAuth() : this.#start(kind);
      this.#made.set(kind, d);
    }
    return d;
  }

  /** The replica set with auth: a fresh key file (0600, as mongod requires), the root user made as __system. */
  async #startAuth(): Promise<Deployment> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unified-auth-'));
    const keyFile = path.join(dir, 'key');
    writeFileSync(keyFile, randomBytes(48).toString('base64'));
    chmodSync(keyFile, 0o600);
    const peers = new Peers(keyFile);
    this.#auth = { peers, dir };
    const cluster = await startCluster({ members: 3, timeoutMs: 60_000, electionTimeoutMillis: 10_000, keyFile });
    this.#auth.cluster = cluster;
    await cluster.waitForSecondaries({ timeoutMs: 60_000 });
    const hosts = cluster.members.map((m) => m.host);
    const command = primaryFollower(cluster, peers);
    const made = await command({ createUser: AUTH_USER.user, pwd: AUTH_USER.pwd, roles: ['root'], writeConcern: { w: 'majority' } });
    if (made.ok !== 1) throw new Error(`the auth deployment's root user: ${String(made.errmsg)}`);
    const userinfo = `${encodeURIComponent(AUTH_USER.user)}:${encodeURIComponent(AUTH_USER.pwd)}@`;
    return {
      topology: 'replicaset',
      hosts,
      uri: () => `mongodb://${userinfo}${hosts.join(',')}/?replicaSet=${cluster.replSet}`,
      info: await serverInfo(command),
      command,
      commandAt: (a, cmd, t) => peers.command(a, cmd, t),
      allAddresses: hosts,
    };
  }

  async #replicaSet(): Promise<Cluster> {
    // mongod's default election timeout (the sim's is 1 s): on a loaded machine a late
    // heartbeat must not start an election in the middle of a test.
    this.#cluster ??= await startCluster({ members: 3, timeoutMs: 60_000, electionTimeoutMillis: 10_000 });
    return this.#cluster;
  }

  async #start(topology: TopologyName): Promise<Deployment> {
    const peers = this.#peers;
    if (topology === 'replicaset') {
      const cluster = await this.#replicaSet();
      await cluster.waitForSecondaries({ timeoutMs: 60_000 });
      const hosts = cluster.members.map((m) => m.host);
      const command = primaryFollower(cluster, peers);
      return {
        topology,
        hosts,
        uri: () => `mongodb://${hosts.join(',')}/?replicaSet=${cluster.replSet}`,
        info: await serverInfo(command),
        command,
        commandAt: (a, cmd, t) => peers.command(a, cmd, t),
        allAddresses: hosts,
      };
    }
    if (topology === 'sharded') {
      const cluster = await this.#replicaSet();
      const configdb = `${cluster.replSet}/${cluster.members.map((m) => m.host).join(',')}`;
      this.#routers = await Promise.all([0, 1].map(() => startMongos({ configdb, findHostTimeoutMS: 5000 })));
      const hosts = this.#routers.map((r) => r.address);
      const command = (cmd: Doc, t?: number): Promise<Doc> => peers.command(hosts[0]!, cmd, t);
      return {
        topology,
        hosts,
        uri: (multiple) => `mongodb://${multiple ? hosts.join(',') : hosts[0]}/`,
        info: await serverInfo(command),
        command,
        commandAt: (a, cmd, t) => peers.command(a, cmd, t),
        allAddresses: [...hosts, ...cluster.members.map((m) => m.host)],
      };
    }
    this.#standalone = await spawnSim(['--port', '0', '--bind_ip', '127.0.0.1']);
    const address = `127.0.0.1:${this.#standalone.port}`;
    const command = (cmd: Doc, t?: number): Promise<Doc> => peers.command(address, cmd, t);
    return {
      topology,
      hosts: [address],
      uri: () => `mongodb://${address}/`,
      info: await serverInfo(command),
      command,
      commandAt: (a, cmd, t) => peers.command(a, cmd, t),
      allAddresses: [address],
    };
  }

  async stop(): Promise<void> {
    this.#peers.close();
    this.#auth?.peers.close();
    await Promise.allSettled(this.#routers.map((r) => r.stop()));
    await Promise.allSettled([this.#cluster?.stop(), this.#standalone?.stop(), this.#auth?.cluster?.stop()]);
    if (this.#auth) rmSync(this.#auth.dir, { recursive: true, force: true });
  }
}

/** The runner's own commands (initialData, outcome...) go to the primary last seen, and follow it if it moved. */
function primaryFollower(cluster: Cluster, peers: Peers): (cmd: Doc, timeoutMs?: number) => Promise<Doc> {
  let primary: string | undefined;
  return async (cmd, t) => {
    for (let attempt = 0; ; attempt++) {
      primary ??= (await cluster.primary()).host;
      const reply = await peers.command(primary, cmd, t);
      if (attempt >= 3 || !NOT_PRIMARY_CODES.has(Number(reply.code))) return reply;
      primary = undefined;
    }
  };
}

/** "7.0.12" vs "4.4" → -1/0/1 over the components given in `b`. */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map((p) => parseInt(p, 10) || 0);
  const y = b.split('.').map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

export interface RunOnRequirement {
  minServerVersion?: string;
  maxServerVersion?: string;
  topologies?: string[];
  serverless?: 'require' | 'forbid' | 'allow';
  serverParameters?: Doc;
  auth?: boolean;
  authMechanism?: string;
  csfle?: boolean | Doc;
}

/** The deployments this runner can provide, in the order it prefers them (auth only for tests that require it). */
export const AVAILABLE: readonly DeploymentKind[] = ['replicaset', 'sharded', 'single', 'replicaset-auth'];

/**
 * Why one requirement is not met by `info` on the deployment `kind` (undefined: met). Pure;
 * the reason names the requirement and the server's value.
 */
export function unmetRequirement(req: RunOnRequirement, kind: DeploymentKind, info: ServerInfo, matchParam: (expected: unknown, actual: unknown) => boolean): string | undefined {
  const topology = topologyOf(kind);
  if (req.minServerVersion && compareVersions(info.version, req.minServerVersion) < 0) return `minServerVersion ${req.minServerVersion} > server ${info.version}`;
  if (req.maxServerVersion && compareVersions(info.version, req.maxServerVersion) > 0) return `maxServerVersion ${req.maxServerVersion} < server ${info.version}`;
  if (req.topologies) {
    const names = req.topologies.map((t) => (t === 'sharded-replicaset' ? 'sharded' : t));
    if (!names.includes(topology)) return `topologies ${req.topologies.join('/')} exclude ${topology}`;
  }
  if (req.serverless === 'require') return 'serverless required (the sim is not serverless)';
  if (req.auth === true && !hasAuth(kind)) return 'auth required (this deployment runs without auth)';
  if (req.auth === false && hasAuth(kind)) return 'auth forbidden (this deployment runs with auth)';
  if (req.authMechanism && req.authMechanism !== 'SCRAM-SHA-256' && req.authMechanism !== 'SCRAM-SHA-1') return `authMechanism ${req.authMechanism} required (the sims offer SCRAM only)`;
  if (req.authMechanism && !hasAuth(kind)) return `authMechanism ${req.authMechanism} required (this deployment runs without auth)`;
  if (req.csfle) return 'csfle required (no mongocryptd/crypt_shared in this runner)';
  for (const [k, v] of Object.entries(req.serverParameters ?? {})) {
    if (!(k in info.parameters)) return `serverParameter ${k} not reported by the server`;
    if (!matchParam(v, info.parameters[k])) return `serverParameter ${k}=${JSON.stringify(info.parameters[k])} is not ${JSON.stringify(v)}`;
  }
  return undefined;
}
