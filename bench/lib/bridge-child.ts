/**
 * Child-process entry: a mongo-edge bridge on its own, so its resident memory can be
 * measured alone. Config arrives as JSON in argv[2]; reports { port, url } over IPC.
 * Answers { type: 'rss' } with { rss, heapUsed } after a full GC (needs --expose-gc).
 */
import { startBridge } from '@mongo-edge/bridge';

const config = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const bridge = await startBridge({ ...config, log: () => undefined });
process.send?.({ port: bridge.port, url: bridge.url });
process.on('message', (m: { type?: string }) => {
  if (m?.type !== 'rss') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const mem = process.memoryUsage();
  process.send?.({ type: 'rss', rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, gc: Boolean(gc) });
});
process.on('disconnect', () => {
  void bridge.close().finally(() => process.exit(0));
});
