/**
 * startBridge(): the HTTP server (hono routes /healthz and /metrics), the WebSocket
 * relay on the same server (ws, noServer), origin and per-IP checks, seed discovery,
 * timers, and graceful shutdown.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  BRIDGE_FRAME_HEADER_SIZE,
  BRIDGE_SUBPROTOCOL,
  BridgeCloseCode,
  BridgeErrorReason,
  decodeTokenProtocol,
} from '@mongo-edge/core/internal';
import { Allowlist } from './allowlist.js';
import { createTokenVerifier } from './auth.js';
import { validateConfig, type BridgeConfig, type BridgeOptions } from './config.js';
import { createLogger, type Logger } from './log.js';
import { BridgeMetrics, renderPrometheus, type BridgeMetricsSnapshot } from './metrics.js';
import { ClientConnection, type RelayContext } from './relay.js';
import { SeedWatcher, parseSeeds } from './seeds.js';

export interface BridgeHandle {
  /** ws:// or wss:// URL clients connect to. */
  readonly url: string;
  /** http:// or https:// base URL of the health and metrics routes. */
  readonly httpUrl: string;
  readonly port: number;
  readonly config: BridgeConfig;
  /** Graceful shutdown (notify clients, let in-flight replies finish up to shutdownTimeoutMs). Idempotent. */
  close(): Promise<void>;
  metrics(): BridgeMetricsSnapshot;
  /** Run a seed refresh now (no-op without --seeds). */
  refreshSeeds(): Promise<void>;
  /** Targets the seeds currently allow. */
  seedHosts(): readonly string[];
}

function originMatcher(origins: readonly string[]): (origin: string) => boolean {
  if (origins.includes('*')) return () => true;
  const exact = new Set<string>();
  const wild: RegExp[] = [];
  for (const o of origins) {
    const lower = o.toLowerCase();
    if (lower.includes('*.')) {
      const [scheme, rest] = lower.split('://*.') as [string, string];
      wild.push(new RegExp(`^${scheme}://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.${rest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    } else exact.add(lower);
  }
  return (origin) => {
    const o = origin.toLowerCase();
    return exact.has(o) || wild.some((re) => re.test(o));
  };
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

export async function startBridge(options: BridgeOptions): Promise<BridgeHandle> {
  const { log: sink, ...input } = options;
  const config = validateConfig(input);
  const log: Logger = createLogger(sink);
  const metrics = new BridgeMetrics();
  const allowlist = new Allowlist(config.allow);
  const verifier = createTokenVerifier(config);
  const originAllowed = originMatcher(config.origins);
  const connections = new Set<ClientConnection>();
  const perIp = new Map<string, number>();
  let shuttingDown = false;

  const seedWatcher = config.seeds
    ? new SeedWatcher(parseSeeds(config.seeds), {
        refreshMs: config.seedsRefreshMs,
        timeoutMs: Math.min(config.handshakeTimeoutMs, 5000),
        log,
        onUpdate: (keys) => allowlist.setDynamic(keys),
      })
    : undefined;

  const liveBuffered = () => {
    let n = 0;
    for (const c of connections) n += c.bufferedBytes;
    return n;
  };
  const snapshot = () =>
    metrics.snapshot({ bufferedBytes: liveBuffered(), seedHosts: allowlist.dynamicHosts.length, shuttingDown });

  const app = new Hono();
  app.get('/healthz', (c) =>
    c.json(
      { status: shuttingDown ? 'shutting-down' : 'ok', websockets: metrics.websocketsOpen, channels: metrics.channelsOpen },
      shuttingDown ? 503 : 200,
    ),
  );
  app.get('/metrics', (c) => c.text(renderPrometheus(snapshot()), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));
  app.notFound((c) => c.text('not found', 404));

  const secure = Boolean(config.tlsCert && config.tlsKey);
  const server = (
    secure
      ? createAdaptorServer({ fetch: app.fetch, createServer: https.createServer, serverOptions: { cert: config.tlsCert, key: config.tlsKey } })
      : createAdaptorServer({ fetch: app.fetch, createServer: http.createServer })
  ) as http.Server;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: config.maxMessageSize + BRIDGE_FRAME_HEADER_SIZE,
    handleProtocols: (protocols) => (protocols.has(BRIDGE_SUBPROTOCOL) ? BRIDGE_SUBPROTOCOL : false),
  });

  const ctx: RelayContext = {
    config,
    metrics,
    log,
    allowlist,
    verifier,
    targetCa: config.targetCa ? [...tls.rootCertificates, config.targetCa] : undefined,
    isShuttingDown: () => shuttingDown,
    onConnectionClosed: (conn) => {
      connections.delete(conn);
      const n = (perIp.get(conn.info.ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(conn.info.ip);
      else perIp.set(conn.info.ip, n);
      if (connections.size === 0) for (const w of drainWaiters.splice(0)) w();
    },
  };
  const drainWaiters: Array<() => void> = [];
  /** Every accepted WebSocket until its close event (refused ones included). */
  const sockets = new Set<WebSocket>();
  const socketWaiters: Array<() => void> = [];

  /** Accept the upgrade, then close with a code the browser can see. */
  const refuseSocket = (ws: WebSocket, ip: string, origin: string | undefined, code: number, reason: BridgeErrorReason, message: string) => {
    metrics.refuse(reason);
    log.warn('connection.refused', { ip, origin, reason, message });
    ws.close(code, message.slice(0, 120));
  };

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    if (path !== config.path) return rejectUpgrade(socket, 404, 'Not Found');
    if (shuttingDown) return rejectUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => {
        sockets.delete(ws);
        if (sockets.size === 0) for (const w of socketWaiters.splice(0)) w();
      });
      const ip = req.socket.remoteAddress ?? 'unknown';
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      if (shuttingDown) {
        return refuseSocket(ws, ip, origin, BridgeCloseCode.GoingAway, BridgeErrorReason.BridgeShuttingDown, 'bridge shutting down');
      }
      if (ws.protocol !== BRIDGE_SUBPROTOCOL) {
        return refuseSocket(ws, ip, origin, BridgeCloseCode.ProtocolError, BridgeErrorReason.ProtocolError, `subprotocol ${BRIDGE_SUBPROTOCOL} required`);
      }
      if (origin !== undefined && !originAllowed(origin)) {
        return refuseSocket(ws, ip, origin, BridgeCloseCode.OriginRefused, BridgeErrorReason.OriginRefused, `origin ${origin.slice(0, 80)} is not allowed`);
      }
      const count = perIp.get(ip) ?? 0;
      if (count >= config.maxSocketsPerIp) {
        return refuseSocket(ws, ip, origin, BridgeCloseCode.LimitExceeded, BridgeErrorReason.LimitExceeded, `at most ${config.maxSocketsPerIp} WebSockets per client address`);
      }
      let protocolToken: string | undefined;
      for (const p of String(req.headers['sec-websocket-protocol'] ?? '').split(',')) {
        const t = decodeTokenProtocol(p.trim());
        if (t !== undefined) protocolToken = t;
      }
      perIp.set(ip, count + 1);
      const conn = new ClientConnection(ws, { ip, origin, protocolToken }, ctx);
      connections.add(conn);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  // Housekeeping timers, owned here and cleared on close.
  const idle = config.idleTimeoutMs;
  const sweepTimer =
    idle > 0
      ? setInterval(() => {
          const now = Date.now();
          for (const c of [...connections]) c.sweep(now);
        }, Math.max(20, Math.min(5000, Math.floor(idle / 4))))
      : undefined;
  const pingTimer =
    config.pingIntervalMs > 0
      ? setInterval(() => {
          for (const c of [...connections]) c.ping();
        }, config.pingIntervalMs)
      : undefined;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve();
    });
  }).catch((err: unknown) => {
    if (sweepTimer) clearInterval(sweepTimer);
    if (pingTimer) clearInterval(pingTimer);
    wss.close();
    throw err;
  });
  server.on('error', (err) => log.error('server.error', { error: err.message }));

  if (seedWatcher) await seedWatcher.start();

  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const url = `${secure ? 'wss' : 'ws'}://${hostForUrl}:${port}${config.path}`;
  const httpUrl = `${secure ? 'https' : 'http'}://${hostForUrl}:${port}`;
  log.info('bridge.listening', {
    url,
    allow: config.allow,
    seeds: config.seeds ? parseSeeds(config.seeds).hosts.map((h) => `${h.host}:${h.port}`) : undefined,
    origins: config.origins,
    auth: config.noAuth ? 'none' : [config.jwtSecret ? 'jwt' : undefined, config.tokens.length ? 'static' : undefined].filter(Boolean),
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true;
      log.info('bridge.shutdown', { websockets: connections.size, channels: metrics.channelsOpen });
      seedWatcher?.close();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const c of [...connections]) c.beginShutdown();
      if (connections.size > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          new Promise<void>((resolve) => drainWaiters.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, config.shutdownTimeoutMs);
          }),
        ]);
        if (timer) clearTimeout(timer);
      }
      for (const c of [...connections]) c.forceClose();
      // Give close handshakes a moment, then cut what is left.
      if (sockets.size > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          new Promise<void>((resolve) => socketWaiters.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, 1000);
          }),
        ]);
        if (timer) clearTimeout(timer);
      }
      for (const c of [...connections]) c.terminate();
      for (const ws of [...sockets]) ws.terminate();
      if (sweepTimer) clearInterval(sweepTimer);
      if (pingTimer) clearInterval(pingTimer);
      wss.close();
      server.closeAllConnections();
      await serverClosed;
      log.info('bridge.closed', {});
    })();
    return closing;
  };

  return {
    url,
    httpUrl,
    port,
    config,
    close,
    metrics: snapshot,
    refreshSeeds: () => seedWatcher?.refresh() ?? Promise.resolve(),
    seedHosts: () => allowlist.dynamicHosts,
  };
}
