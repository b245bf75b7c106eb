/**
 * Gateway mode (docs/gateway.md): startGateway(config) runs the bridge's server with
 * the gateway as its mode: JWT-authenticated clients, channels answered in process as
 * a mongos would (hello `msg: 'isdbgrid'`), every command gated and authorized, one
 * pooled core driver to the cluster with credentials the clients never see, and the
 * Data API compatible HTTP routes on the same rules.
 */
import { MongoClient, type MongoClientOptions } from '@mongo-edge/core/node';
import { startBridge, type BridgeHandle } from '../server.js';
import type { LogSink } from '../log.js';
import { createLogger } from '../log.js';
import type { AuthorizePolicy } from './authorize.js';
import { gatewayChannelOpener } from './channel.js';
import { describeConfig, readSecret, type GatewayConfig } from './config.js';
import { registerDataApi } from './data-api.js';
import { createJwtVerifier } from './jwt.js';
import { GatewayMetrics } from './metrics.js';
import { GatewayService } from './service.js';

export { validateGatewayConfig, loadGatewayConfig, describeConfig, GatewayConfigError, gatewayConfigSchema, type GatewayConfig, type GatewayConfigInput } from './config.js';
export { authorize, type Authorization, type AuthorizePolicy, type CommandRequest } from './authorize.js';
export { GATEWAY_ACTIONS, type GatewayAction, type GatewayRule, type GatewayPrincipal } from './rules.js';
export { createJwtVerifier, signGatewayToken, type JwtSettings, type SignGatewayTokenOptions } from './jwt.js';
export { DATA_API_ACTIONS } from './data-api.js';

export interface GatewayHandle extends BridgeHandle {
  readonly service: GatewayService;
  readonly gatewayMetrics: GatewayMetrics;
}

export interface StartGatewayOptions {
  /** Where secrets named `{ env }` are read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  log?: LogSink;
  /** Extra bridge server options (timeouts, limits); allow/seeds/auth do not apply. */
  server?: { maxSocketsPerIp?: number; maxChannelsPerSocket?: number; idleTimeoutMs?: number; shutdownTimeoutMs?: number; pingIntervalMs?: number };
}

export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<GatewayHandle> {
  const env = options.env ?? process.env;
  const uri = readSecret(config.cluster.uri, env);
  const username = config.cluster.username ? readSecret(config.cluster.username, env) : undefined;
  const password = config.cluster.password ? readSecret(config.cluster.password, env) : undefined;
  const secret = config.jwt.secret ? readSecret(config.jwt.secret, env) : undefined;
  const log = createLogger(options.log);
  const clientOptions: MongoClientOptions = {
    appName: 'mongo-edge-gateway',
    ...(config.cluster.options as MongoClientOptions),
    ...(username !== undefined || password !== undefined ? { auth: { username, password } } : {}),
  };
  const client = new MongoClient(uri, clientOptions);
  const verifier = createJwtVerifier({
    secret,
    jwksUrl: config.jwt.jwksUrl,
    algorithms: config.jwt.algorithms,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    clockToleranceSec: config.jwt.clockToleranceSec,
  });
  const policy: AuthorizePolicy = { rules: config.rules, roleClaim: config.jwt.roleClaim, defaultRole: config.jwt.defaultRole, limits: config.limits };
  const gatewayMetrics = new GatewayMetrics();
  const service = new GatewayService({ client, policy, limits: config.limits, quotas: config.quotas, log, metrics: gatewayMetrics });
  log.info('gateway.config', describeConfig(config));
  void service.start();
  const maxChannelsPerSocket = options.server?.maxChannelsPerSocket ?? 100;
  const bridge = await startBridge(
    {
      port: config.listen.port,
      host: config.listen.host,
      path: config.listen.path,
      origins: config.listen.origins,
      maxMessageSize: config.limits.maxCommandBytes,
      ...options.server,
      ...(options.log ? { log: options.log } : {}),
    },
    {
      name: 'gateway',
      verifier,
      channelOpener: ({ metrics }) =>
        gatewayChannelOpener({ service, maxCommandBytes: config.limits.maxCommandBytes, maxChannelsPerSocket: options.server?.maxChannelsPerSocket ?? 100, metrics, gatewayMetrics, log }),
      routes: (app) => registerDataApi(app, { service, verifier, origins: config.listen.origins, maxBodyBytes: config.limits.maxCommandBytes }),
      metrics: () => gatewayMetrics.render(),
      close: () => service.close(),
    },
  );
  return { ...bridge, service, gatewayMetrics };
}
