/** In-process API: startSim() runs a SimNode behind a WireServer. */
import { loadKeyFile } from './auth/keyfile.js';
import { configureAuth } from './auth/sim-auth.js';
import { Logger, type LogSink } from './log.js';
import { SimNode, type NodeOptions } from './node.js';
import { ReplicaSetRole } from './repl/coordinator.js';
import { WireServer } from './server.js';
import type { Doc } from './storage/values.js';
import { TlsAcceptor, type SimTlsOptions } from './tls.js';

export interface StartSimOptions {
  /** TCP port; 0 (the default here) picks a free port. */
  port?: number;
  /** Address(es) to listen on (default 127.0.0.1). */
  bindIp?: string | string[];
  /** Persist to this directory (journal); in memory when absent. */
  dbpath?: string;
  /** Run as a member of this replica set (uninitialized until replSetInitiate). */
  replSet?: string;
  /** Replica set defaults when the config has no settings (sim: 1000 / 250 ms; mongod: 10000 / 2000). */
  electionTimeoutMillis?: number;
  heartbeatIntervalMillis?: number;
  /** Primary no-op write interval when idle (default 10 s, as mongod). */
  noopIntervalMs?: number;
  /** Delay every reply by this many milliseconds. */
  latencyMs?: number;
  /** --auth: unauthenticated commands are refused (users: createUser through the localhost exception). */
  auth?: boolean;
  /** --keyFile: path of the replica set key (validated as mongod does; implies auth). */
  keyFile?: string;
  /** --tlsMode and friends. */
  tls?: SimTlsOptions;
  /** Where JSON log lines go (default: nowhere). */
  log?: LogSink;
  quiet?: boolean;
  /** For getCmdLineOpts. */
  cmdLine?: { argv: string[]; parsed: Doc };
  /** Called when a client runs { shutdown: 1 } (default: close()). */
  onShutdown?: () => void;
  syncIntervalMs?: number;
  /** hello's maxWireVersion (default 21, mongod 7.0; 25 advertises 8.0 and its `bulkWrite` command). */
  maxWireVersion?: number;
}

export interface SimHandle {
  readonly port: number;
  readonly host: string;
  /** `host:port`, e.g. for a connection string. */
  readonly address: string;
  /** `mongodb://host:port/` */
  readonly uri: string;
  readonly node: SimNode;
  /** Stops listening, drops connections, flushes and closes storage. Idempotent. */
  close(): Promise<void>;
}

export async function startSim(options: StartSimOptions = {}): Promise<SimHandle> {
  const bindIps = (Array.isArray(options.bindIp) ? options.bindIp : (options.bindIp ?? '127.0.0.1').split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const logger = new Logger({ sink: options.log, quiet: options.quiet });
  const key = options.keyFile !== undefined ? loadKeyFile(options.keyFile) : undefined;
  const tls = options.tls ? new TlsAcceptor(options.tls) : undefined;
  const nodeOptions: NodeOptions = {
    dbpath: options.dbpath,
    replSet: options.replSet,
    logger,
    cmdLine: options.cmdLine,
    syncIntervalMs: options.syncIntervalMs,
    maxWireVersion: options.maxWireVersion,
  };
  if (options.replSet) {
    const setName = options.replSet;
    nodeOptions.makeRole = (n) =>
      new ReplicaSetRole(n, {
        setName,
        defaults: { electionTimeoutMillis: options.electionTimeoutMillis, heartbeatIntervalMillis: options.heartbeatIntervalMillis },
        noopIntervalMs: options.noopIntervalMs,
      });
  }
  const node = new SimNode(nodeOptions);
  configureAuth(node, { enabled: options.auth === true, ...(key !== undefined ? { key } : {}) });
  node.open();
  const server = new WireServer(node, { port: options.port ?? 0, bindIps, latencyMs: options.latencyMs, ...(tls ? { tls } : {}) });
  try {
    await server.listen();
  } catch (e) {
    node.close();
    throw e;
  }
  const host = bindIps[0] === '0.0.0.0' || bindIps[0] === '::' ? '127.0.0.1' : bindIps[0]!;
  node.host = `${host}:${server.port}`;
  const role = node.role instanceof ReplicaSetRole ? node.role : undefined;
  if (role) await role.start(server.port, bindIps);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await role?.stop();
      await server.close();
      node.close();
    })());
  node.setShutdownHook(options.onShutdown ?? (() => void close()));
  const bracket = host.includes(':') ? `[${host}]` : host;
  return { port: server.port, host, address: `${bracket}:${server.port}`, uri: `mongodb://${bracket}:${server.port}/`, node, close };
}
