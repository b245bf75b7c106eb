/**
 * Section "bridge_memory": resident memory the bridge spends per idle WebSocket and
 * per idle channel. The bridge runs alone in a child process (--expose-gc); this
 * process opens the WebSockets (raw `ws` with the bridge subprotocol) and channels
 * (Open frames to a framed echo server in another child). Loopback only.
 */
import { WebSocket } from 'ws';
import {
  BRIDGE_SUBPROTOCOL,
  BridgeFrameType,
  decodeBridgeFrame,
  encodeBridgeControlFrame,
} from '@mongo-edge/core/internal';
import { forkTs, type TsChild } from '../lib/children.js';
import { metricFromValues, NotRunError, sleep, target, type Metric, type Section, type SectionContext, type SectionOutput } from '../lib/harness.js';

export const SOCKET_COUNTS = [1000, 5000] as const;
export const QUICK_SOCKET_COUNTS = [50] as const;
export const PER_SOCKET_BUDGET_BYTES = 64 * 1024;

interface Rss {
  rss: number;
  heapUsed: number;
  gc: boolean;
}

async function settledRss(bridge: TsChild<unknown>): Promise<Rss> {
  // Median of three readings a little apart, each after a full GC in the bridge.
  const readings: Rss[] = [];
  for (let i = 0; i < 3; i++) {
    await sleep(150);
    readings.push(await bridge.request<Rss>({ type: 'rss' }));
  }
  readings.sort((a, b) => a.rss - b.rss);
  return readings[1]!;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [BRIDGE_SUBPROTOCOL], { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`WebSocket closed during open (code ${code})`)));
  });
}

function openChannel(ws: WebSocket, id: number, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const frame = decodeBridgeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (frame.channelId !== id) return;
      ws.off('message', onMessage);
      if (frame.type === BridgeFrameType.Opened) resolve();
      else reject(new Error(`channel ${id}: frame type ${frame.type} instead of Opened`));
    };
    ws.on('message', onMessage);
    ws.send(encodeBridgeControlFrame(BridgeFrameType.Open, id, { host: '127.0.0.1', port }));
  });
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
}

export const bridgeMemorySection: Section = {
  name: 'bridge_memory',
  title: 'Bridge memory per idle WebSocket and per idle channel',
  description:
    'The bridge runs alone in a child process (`--expose-gc`, per-IP limit raised for the test); this process opens N ' +
    'WebSockets to it over loopback, then one channel on each (an Open frame to a framed echo server in a third process). ' +
    'Resident set size (RSS) of the bridge process is read after a full GC: before, with N idle WebSockets, and with N idle ' +
    'channels. Per idle WebSocket = ΔRSS(sockets) / N; per idle channel = ΔRSS(channels) / N (its TCP socket to the ' +
    'target included). Each value is the median of three readings; one contender (`bridge`), so ratios are 1.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const counts = ctx.quick ? QUICK_SOCKET_COUNTS : SOCKET_COUNTS;
    const metrics: Record<string, Metric> = {};
    const targets = [];
    const notes: string[] = [];
    const echo = await forkTs<{ port: number }>('echo-child.ts');
    try {
      for (const n of counts) {
        ctx.log(`bridge_memory: ${n} sockets`);
        const config = {
          port: 0,
          host: '127.0.0.1',
          noAuth: true,
          allow: [`127.0.0.1:${echo.hello.port}`],
          maxSocketsPerIp: n + 10,
          // Up to 200 handshakes at once from this one address (the pool below).
          maxPendingPerIp: 250,
          pingIntervalMs: 0,
          idleTimeoutMs: 0,
          shutdownTimeoutMs: 0,
        };
        let bridge: TsChild<{ url: string }>;
        try {
          bridge = await forkTs<{ url: string }>('bridge-child.ts', [JSON.stringify(config)], { exposeGc: true });
        } catch (e) {
          throw new NotRunError(`bridge unavailable: ${(e as Error).message.split('\n')[0]}`);
        }
        const sockets: WebSocket[] = [];
        try {
          // Warm the bridge's code paths (one socket, one channel) before the baseline.
          const warm = await openSocket(bridge.hello.url);
          await openChannel(warm, 1, echo.hello.port);
          warm.close();
          await sleep(200);
          const base = await settledRss(bridge);
          if (!base.gc) notes.push('The bridge child ran without --expose-gc: readings include garbage.');
          await pool(
            Array.from({ length: n }, (_, i) => i),
            200,
            async () => {
              sockets.push(await openSocket(bridge.hello.url));
            },
          );
          const withSockets = await settledRss(bridge);
          await pool(sockets, 200, (ws) => openChannel(ws, 1, echo.hello.port));
          const withChannels = await settledRss(bridge);
          const perSocket = (withSockets.rss - base.rss) / n;
          const perChannel = (withChannels.rss - withSockets.rss) / n;
          metrics[`bridge_memory.per_socket_${n}`] = metricFromValues(
            { title: `RSS per idle WebSocket at ${n.toLocaleString('en-US')} sockets`, unit: 'bytes', better: 'lower', reference: 'bridge' },
            { bridge: perSocket },
          );
          metrics[`bridge_memory.per_channel_${n}`] = metricFromValues(
            { title: `RSS per idle channel at ${n.toLocaleString('en-US')} sockets (one channel each)`, unit: 'bytes', better: 'lower', reference: 'bridge' },
            { bridge: perChannel },
          );
          targets.push(target(`bridge_memory.per_socket_${n}`, `at most 64 KiB RSS per idle WebSocket at ${n} sockets`, perSocket, '<=', PER_SOCKET_BUDGET_BYTES));
          notes.push(
            `${n} sockets: bridge RSS ${(base.rss / 2 ** 20).toFixed(1)} MiB before, ${(withSockets.rss / 2 ** 20).toFixed(1)} MiB with the sockets, ` +
              `${(withChannels.rss / 2 ** 20).toFixed(1)} MiB with the channels (JS heap ${(base.heapUsed / 2 ** 20).toFixed(1)} → ` +
              `${(withSockets.heapUsed / 2 ** 20).toFixed(1)} → ${(withChannels.heapUsed / 2 ** 20).toFixed(1)} MiB).`,
          );
        } finally {
          await pool(sockets, 500, async (ws) => {
            ws.terminate();
          });
          await bridge.stop();
        }
      }
    } finally {
      await echo.stop();
    }
    return { metrics, targets, notes };
  },
};
