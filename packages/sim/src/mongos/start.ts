/** In-process API: startMongosRouter() runs a MongosRouter behind a WireServer. */
import { Logger, type LogSink } from '../log.js';
import { SimNode } from '../node.js';
import { WireServer } from '../server.js';
import type { Doc } from '../storage/values.js';
import { MongosRouter } from './router.js';

export interface StartMongosRouterOptions {
  /** Connection string of the replica set behind the router. */
  seeds: string;
  /** Shard name for messages (default: the seeds' replicaSet). */
  setName?: string;
  /** TCP port; 0 (the default here) picks a free port. */
  port?: number;
  bindIp?: string | string[];
  /** Delay every reply by this many milliseconds. */
  latencyMs?: number;
  /** --localThreshold (ms, default 15). */
  localThresholdMS?: number;
  /** How long to wait for a suitable member (default 15 s). */
  findHostTimeoutMS?: number;
  log?: LogSink;
  quiet?: boolean;
  cmdLine?: { argv: string[]; parsed: Doc };
  /** Called on { shutdown: 1 } (default: close()). */
  onShutdown?: () => void;
}

export interface MongosRouterHandle {
  readonly port: number;
  readonly host: string;
  /** `host:port` */
  readonly address: string;
  /** `mongodb://host:port/` */
  readonly uri: string;
  readonly router: MongosRouter;
  /** Stops listening, drops connections, closes the router's client. Idempotent. */
  close(): Promise<void>;
}

export async function startMongosRouter(options: StartMongosRouterOptions): Promise<MongosRouterHandle> {
  const bindIps = (Array.isArray(options.bindIp) ? options.bindIp : (options.bindIp ?? '127.0.0.1').split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const logger = new Logger({ sink: options.log, quiet: options.quiet });
  let close: () => Promise<void> = async () => undefined;
  const router = new MongosRouter({
    seeds: options.seeds,
    ...(options.setName !== undefined ? { setName: options.setName } : {}),
    ...(options.localThresholdMS !== undefined ? { localThresholdMS: options.localThresholdMS } : {}),
    ...(options.findHostTimeoutMS !== undefined ? { findHostTimeoutMS: options.findHostTimeoutMS } : {}),
    ...(options.cmdLine ? { cmdLine: options.cmdLine } : {}),
    onShutdown: () => (options.onShutdown ? options.onShutdown() : void close()),
  });
  // The node only carries the logger and the connection counters for the wire server.
  const node = new SimNode({ logger, cmdLine: options.cmdLine });
  const server = new WireServer(node, { port: options.port ?? 0, bindIps, latencyMs: options.latencyMs, dispatch: router.dispatch });
  try {
    await server.listen();
  } catch (e) {
    node.close();
    await router.close();
    throw e;
  }
  const host = bindIps[0] === '0.0.0.0' || bindIps[0] === '::' ? '127.0.0.1' : bindIps[0]!;
  const bracket = host.includes(':') ? `[${host}]` : host;
  node.host = `${bracket}:${server.port}`;
  router.start();
  let closing: Promise<void> | undefined;
  close = () =>
    (closing ??= (async () => {
      await server.close();
      await router.close();
      node.close();
    })());
  return { port: server.port, host, address: `${bracket}:${server.port}`, uri: `mongodb://${bracket}:${server.port}/`, router, close };
}
