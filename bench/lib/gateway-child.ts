/**
 * Child-process entry: a mongo-edge gateway on its own, so its CPU time and memory can
 * be measured alone. argv[2] = JSON { clusterUri, secret, issuer, audience, maxSockets }.
 * Reports { url } over IPC; answers { type: 'cpu' } with process.cpuUsage() (µs) and
 * { type: 'rss' } with { rss, heapUsed } after a full GC (needs --expose-gc).
 */
import { startGateway, validateGatewayConfig } from '@mongo-edge/bridge';

const args = JSON.parse(process.argv[2] ?? '{}') as { clusterUri: string; secret: string; issuer: string; audience: string; maxSockets: number };
const config = validateGatewayConfig({
  listen: { port: 0, host: '127.0.0.1' },
  cluster: { uri: { value: args.clusterUri }, options: { directConnection: true } },
  jwt: { secret: { value: args.secret }, issuer: args.issuer, audience: args.audience },
  limits: { maxCursorsPerPrincipal: 100 },
  rules: [{ name: 'own-items', roles: ['*'], database: 'bench', collection: 'items', actions: ['find', 'insert'], filter: { owner: '%%user.sub' } }],
});
const server = { maxSocketsPerIp: args.maxSockets, maxPendingPerIp: 50, pingIntervalMs: 0, idleTimeoutMs: 0, shutdownTimeoutMs: 0 };
const gateway = await startGateway(config, { log: () => undefined, server: server as { maxSocketsPerIp: number } });
process.send?.({ url: gateway.url });
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'cpu') {
    process.send?.({ type: 'cpu', ...process.cpuUsage() });
    return;
  }
  if (m?.type !== 'rss') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const mem = process.memoryUsage();
  process.send?.({ type: 'rss', rss: mem.rss, heapUsed: mem.heapUsed, gc: Boolean(gc) });
});
process.on('disconnect', () => {
  void gateway.close().finally(() => process.exit(0));
});
