/**
 * startBridge(): the HTTP server (hono routes /healthz and /metrics), the WebSocket
 * upgrade on the same server (ws, noServer), seed discovery, timers and graceful
 * shutdown. Which connections and sockets are kept is decided by admission.ts (applied
 * through connection-gate.ts for raw TCP); a session is a BridgeSocket (socket.ts).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import {
  BRIDGE_FRAME_HEADER_SIZE,
  BRIDGE_SUBPROTOCOL,
  decodeTokenProtocol,
} from '@mongo-edge/core/internal';
import { admitSocket, originMatcher, refusalCloseCode, refusalWireReason, type SocketPolicy } from './admission.js';
import { Allowlist, parseTargetPattern } from './allowlist.js';
import { createTokenVerifier, type TokenVerifier } from './auth.js';
import { BridgeConfigError, modeServerConfigSchema, validateConfig, type BridgeConfig, type BridgeOptions } from './config.js';
import { ConnectionGate } from './connection-gate.js';
import { FramePool } from './frame-pool.js';
import { createLogger, type Logger } from './log.js';
import { BridgeMetrics, renderPrometheus, type BridgeMetricsSnapshot } from './metrics.js';
import { closeReasonText } from './protocol.js';
import { BridgeSocket, type ChannelOpener, type SocketContext } from './socket.js';
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
  /**
   * Replace the static `allow` patterns (for a program that starts its targets after the
   * bridge). Open channels are not affected. Throws BridgeConfigError, changing nothing,
   * if a pattern is invalid. `config.allow` keeps the startup list.
   */
  setAllowlist(patterns: readonly string[]): void;
}

/**
 * Another mode on the same server (gateway/index.ts): its own token verifier, its
 * channels answered in process instead of relayed, extra HTTP routes and metrics.
 * The relay's allowlist stays empty: nothing is relayed.
 */
export interface BridgeMode {
  readonly name: string;
  readonly verifier: TokenVerifier;
  /** The socket's channel opener, given the server's metrics and log. */
  channelOpener(deps: { metrics: BridgeMetrics; log: Logger }): ChannelOpener;
  /** Extra routes (registered before the not-found handler). */
  routes?(app: Hono): void;
  /** Extra Prometheus text appended to /metrics. */
  metrics?(): string;
  /** Called last on close(). */
  close?(): Promise<void>;
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

export async function startBridge(options: BridgeOptions, mode?: BridgeMode): Promise<BridgeHandle> {
  const { log: sink, ...input } = options;
  if (mode && ((input.allow?.length ?? 0) > 0 || input.seeds !== undefined)) {
    throw new BridgeConfigError([`${mode.name} mode relays nothing: allow and seeds must be empty`]);
  }
  // A mode brings its own verifier; the relay's auth options do not apply to it.
  const config = mode ? validateConfig({ ...input, jwtSecret: undefined, tokens: [] }, modeServerConfigSchema) : validateConfig(input);
  const log: Logger = createLogger(sink);
  const metrics = new BridgeMetrics();
  const allowlist = new Allowlist(config.allow);
  const verifier = mode ? mode.verifier : createTokenVerifier(config);
  const socketPolicy: SocketPolicy = {
    subprotocol: BRIDGE_SUBPROTOCOL,
    maxSocketsPerIp: config.maxSocketsPerIp,
    originAllowed: originMatcher(config.origins),
  };
  const connections = new Set<BridgeSocket>();
  const gate = new ConnectionGate({
    maxPendingPerIp: config.maxPendingPerIp,
    maxPending: config.maxPending,
    upgradeTimeoutMs: config.upgradeTimeoutMs,
    // Counted, not logged: a flood of refused connections must not flood the log too.
    onRefused: (_ip, reason) => metrics.refuse(refusalWireReason(reason.code)),
  });
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
    metrics.snapshot({ connectionsOpen: gate.connections, bufferedBytes: liveBuffered(), seedHosts: allowlist.dynamicHosts.length, shuttingDown });

  const app = new Hono();
  app.get('/healthz', (c) =>
    c.json(
      { status: shuttingDown ? 'shutting-down' : 'ok', websockets: metrics.websocketsOpen, channels: metrics.channelsOpen },
      shuttingDown ? 503 : 200,
    ),
  );
  app.get('/metrics', (c) =>
    c.text(renderPrometheus(snapshot()) + (mode?.metrics?.() ?? ''), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );
  mode?.routes?.(app);
  app.notFound((c) => c.text('not found', 404));

  const secure = Boolean(config.tlsCert && config.tlsKey);
  const server = (
    secure
      ? createAdaptorServer({ fetch: app.fetch, createServer: https.createServer, serverOptions: { cert: config.tlsCert, key: config.tlsKey } })
      : createAdaptorServer({ fetch: app.fetch, createServer: http.createServer })
  ) as http.Server;

  server.on('connection', (socket: net.Socket) => gate.accept(socket));
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    gate.requestStarted(req.socket);
    res.once('close', () => gate.requestFinished(req.socket));
  });

  // closeTimeout (a ws 8.23 option @types/ws does not declare) bounds the close handshake of every
  // socket (ws waits 30 s by default), so a refused client that ignores the close frame
  // does not keep its descriptor.
  const wssOptions: ServerOptions & { closeTimeout: number } = {
    closeTimeout: config.upgradeTimeoutMs,
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: config.maxMessageSize + BRIDGE_FRAME_HEADER_SIZE,
    handleProtocols: (protocols) => (protocols.has(BRIDGE_SUBPROTOCOL) ? BRIDGE_SUBPROTOCOL : false),
  };
  const wss = new WebSocketServer(wssOptions);

  const ctx: SocketContext = {
    channelPolicy: { maxChannelsPerSocket: config.maxChannelsPerSocket, requireTargetTls: config.requireTargetTls, targets: allowlist },
    channelConfig: {
      maxMessageSize: config.maxMessageSize,
      maxBufferedBytes: config.maxBufferedBytes,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      targetCa: config.targetCa ? [...tls.rootCertificates, config.targetCa] : undefined,
      framePool: new FramePool({ maxIdleBytes: Math.min(8 * 1024 * 1024, 2 * config.maxBufferedBytes) }),
    },
    noAuth: mode ? false : config.noAuth,
    openChannel: mode?.channelOpener({ metrics, log }),
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    metrics,
    log,
    verifier,
    isShuttingDown: () => shuttingDown,
    onClosed: (session) => {
      connections.delete(session);
      gate.sessionClosed(session.info.ip);
      if (connections.size === 0) for (const w of drainWaiters.splice(0)) w();
    },
  };
  const drainWaiters: Array<() => void> = [];
  /** Every accepted WebSocket until its close event (refused ones included). */
  const sockets = new Set<WebSocket>();
  const socketWaiters: Array<() => void> = [];

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    if (path !== config.path) return rejectUpgrade(socket, 404, 'Not Found');
    if (shuttingDown) return rejectUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      gate.upgraded(req.socket);
      sockets.add(ws);
      ws.on('close', () => {
        sockets.delete(ws);
        if (sockets.size === 0) for (const w of socketWaiters.splice(0)) w();
      });
      const ip = req.socket.remoteAddress ?? 'unknown';
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      const admission = admitSocket(socketPolicy, { ip, origin, subprotocol: ws.protocol }, { socketsFromIp: gate.sessionsFrom(ip), shuttingDown });
      if (!admission.allowed) {
        // Accept the upgrade, then close with a code the browser can see.
        const { code, message } = admission.reason;
        const reason = refusalWireReason(code);
        metrics.refuse(reason);
        log.warn('connection.refused', { ip, origin, reason, code, message });
        ws.close(refusalCloseCode(code), closeReasonText(message));
        return;
      }
      let protocolToken: string | undefined;
      for (const p of String(req.headers['sec-websocket-protocol'] ?? '').split(',')) {
        const t = decodeTokenProtocol(p.trim());
        if (t !== undefined) protocolToken = t;
      }
      gate.sessionOpened(ip);
      connections.add(new BridgeSocket(ws, { ip, origin, protocolToken }, ctx));
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
    mode: mode?.name ?? 'relay',
    auth: mode ? mode.name : config.noAuth ? 'none' : [config.jwtSecret ? 'jwt' : undefined, config.tokens.length ? 'static' : undefined].filter(Boolean),
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
      gate.close();
      wss.close();
      server.closeAllConnections();
      await serverClosed;
      await mode?.close?.();
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
    setAllowlist: (patterns) => {
      const issues = patterns.flatMap((p) => {
        const parsed = parseTargetPattern(p);
        return parsed.ok ? [] : [`--allow: ${parsed.message}`];
      });
      if (issues.length > 0) throw new BridgeConfigError(issues);
      allowlist.setPatterns(patterns);
      log.info('bridge.allowlist', { allow: [...patterns] });
    },
  };
}
