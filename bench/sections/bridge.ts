/**
 * Section "bridge": what the WebSocket hop costs. Round trips of MongoDB-framed
 * messages to a framed echo server (child process) directly over TCP, through our
 * bridge (child process; WebSocketTransport over `ws` on this side), and through
 * websockify (Debian's, the outside reference), interleaved in batches.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import {
  interleave,
  metricFromSamples,
  metricFromTimes,
  NotRunError,
  nowMs,
  target,
  type Metric,
  type Section,
  type SectionContext,
  type SectionOutput,
  type TargetResult,
} from '../lib/harness.js';
import { forkTs, freePort, spawnListening } from '../lib/children.js';
import { bridgeClient, directTcpClient, rawWebSocketClient, type EchoClient } from '../lib/echo-clients.js';
import { framedMessage } from '../lib/echo-server.js';
import { barChart, fmt } from '../lib/svg.js';

export const RTT_SIZES = [64, 1622] as const;
export const THROUGHPUT_MESSAGE_BYTES = 1024 * 1024;

/** Whether `ws` (as the harness resolves it) finds its native masking addon. */
function bufferutilNote(): string {
  if (process.env.WS_NO_BUFFER_UTIL) return 'disabled in this run by WS_NO_BUFFER_UTIL';
  try {
    const req = createRequire(createRequire(import.meta.url).resolve('ws'));
    req('bufferutil');
    return 'loaded in this run';
  } catch {
    return 'not installed in this run';
  }
}

function websockifyPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v websockify'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** Whether @mongo-edge/bridge and the client transport are importable and usable. */
async function bridgeAvailable(): Promise<string | undefined> {
  try {
    const bridge = (await import('@mongo-edge/bridge')) as { startBridge?: unknown };
    const core = (await import('@mongo-edge/core/internal')) as { WebSocketTransport?: unknown };
    if (typeof bridge.startBridge !== 'function') return 'bridge unavailable: @mongo-edge/bridge has no startBridge';
    if (typeof core.WebSocketTransport !== 'function') return 'bridge unavailable: no WebSocketTransport in @mongo-edge/core/internal';
    return undefined;
  } catch (e) {
    return `bridge unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

export const bridgeSection: Section = {
  name: 'bridge',
  title: 'The bridge alone: round trips and throughput',
  description:
    'A framed echo server (16-byte-header MongoDB messages, echoed whole) runs in a child process. Contenders: ' +
    '`direct` (TCP from this process, the reference), `bridge` (our bridge in its own child process, reached with ' +
    '`WebSocketTransport` over `ws`: one WebSocket, one channel), `floor_relay` (the least a Node relay on `ws` can do, ' +
    'in its own child process: each message written to TCP as it comes, each TCP chunk sent as one message; no protocol, ' +
    'no auth, no limits: the floor of any relay built on `ws` here), `floor_tcp_relay` (a Node process piping TCP to TCP, ' +
    'no WebSocket: what the extra process alone costs) and `websockify` (Debian\'s websockify, binary frames, ' +
    'reached with a plain `ws` WebSocket). Round trip = send one message, wait for its whole echo; latencies in µs ' +
    '(median and p99 of every round trip). Throughput = 1 MiB messages, 4 in flight, MiB/s of echoed payload per iteration. ' +
    'Contenders take turns in batches (direct, bridge, websockify, direct, ...).',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const unavailable = await bridgeAvailable();
    if (unavailable) throw new NotRunError(unavailable);
    const notes: string[] = [];
    const echo = await forkTs<{ port: number }>('echo-child.ts');
    const stops: Array<() => Promise<void>> = [() => echo.stop()];
    const clients: Array<{ name: string; client: EchoClient }> = [];
    try {
      const echoPort = echo.hello.port;
      const bridge = await forkTs<{ port: number; url: string }>('bridge-child.ts', [
        JSON.stringify({ port: 0, host: '127.0.0.1', noAuth: true, allow: [`127.0.0.1:${echoPort}`], shutdownTimeoutMs: 0 }),
      ]);
      stops.push(() => bridge.stop());
      clients.push({ name: 'direct', client: await directTcpClient(echoPort) });
      clients.push({ name: 'bridge', client: await bridgeClient(bridge.hello.url, echoPort) });
      const floorRelay = await forkTs<{ port: number }>('floor-relay-child.ts', [String(echoPort), 'ws']);
      stops.push(() => floorRelay.stop());
      clients.push({ name: 'floor_relay', client: await rawWebSocketClient(`ws://127.0.0.1:${floorRelay.hello.port}/`) });
      const floorTcp = await forkTs<{ port: number }>('floor-relay-child.ts', [String(echoPort), 'tcp']);
      stops.push(() => floorTcp.stop());
      clients.push({ name: 'floor_tcp_relay', client: await directTcpClient(floorTcp.hello.port) });
      const wsBin = websockifyPath();
      if (wsBin) {
        const wsPort = await freePort();
        const ws = await spawnListening(wsBin, [`127.0.0.1:${wsPort}`, `127.0.0.1:${echoPort}`], wsPort);
        stops.push(() => ws.stop());
        clients.push({ name: 'websockify', client: await rawWebSocketClient(`ws://127.0.0.1:${wsPort}/`) });
      } else {
        notes.push('websockify not found on PATH: the outside reference was not run (apt-get install websockify).');
      }

      const metrics: Record<string, Metric> = {};
      const batch = ctx.quick ? 10 : 50;
      const rounds = ctx.quick ? 3 : 40;
      const warmup = ctx.quick ? 1 : 6;
      for (const size of RTT_SIZES) {
        ctx.log(`bridge: round trip ${size} B`);
        const msg = framedMessage(size);
        const contenders: Record<string, () => Promise<number[]>> = {};
        for (const { name, client } of clients) {
          contenders[name] = async () => {
            const out: number[] = [];
            for (let i = 0; i < batch; i++) {
              const t0 = nowMs();
              await client.roundTrip(msg);
              out.push((nowMs() - t0) * 1000);
            }
            return out;
          };
        }
        const samples = await interleave(contenders, { warmup, rounds });
        metrics[`bridge.rtt_${size}`] = metricFromSamples(
          { title: `Round trip, ${size} B message`, unit: 'µs', better: 'lower', reference: 'direct' },
          samples,
        );
      }

      ctx.log('bridge: 1 MiB throughput');
      const big = framedMessage(THROUGHPUT_MESSAGE_BYTES);
      const perIteration = ctx.quick ? 4 : 16;
      const window = 4;
      const contenders: Record<string, () => Promise<number>> = {};
      for (const { name, client } of clients) {
        contenders[name] = async () => {
          const t0 = nowMs();
          await client.pipeline(big, perIteration, window);
          return nowMs() - t0;
        };
      }
      const times = await interleave(contenders, { warmup: ctx.quick ? 1 : 3, rounds: ctx.quick ? 2 : 12 });
      metrics['bridge.throughput_1mib'] = metricFromTimes(
        { title: 'Throughput, 1 MiB messages (4 in flight)', unit: 'MiB/s', better: 'higher', reference: 'direct' },
        times,
        (ms) => perIteration / (ms / 1000),
      );

      const targets: TargetResult[] = [];
      const rtt64 = metrics['bridge.rtt_64']!.contenders;
      const tput = metrics['bridge.throughput_1mib']!.contenders;
      targets.push(target('bridge.rtt_64 vs direct', 'bridge 64 B round trip at most 2× direct TCP (median)', rtt64.bridge!.ratio, '<=', 2));
      if (rtt64.websockify) {
        targets.push(
          target('bridge.rtt_64 vs websockify', "bridge 64 B round trip at most 0.8× websockify's (median)", rtt64.bridge!.median / rtt64.websockify.median, '<=', 0.8),
        );
      }
      targets.push(target('bridge.throughput_1mib vs direct', '1 MiB throughput at least 0.5× direct TCP (median)', tput.bridge!.ratio, '>=', 0.5));
      if (tput.websockify) {
        targets.push(
          target('bridge.throughput_1mib vs websockify', "1 MiB throughput at least 2× websockify's (median)", tput.bridge!.median / tput.websockify.median, '>=', 2),
        );
      }
      notes.push(
        'Hops: direct is harness → echo → harness (2 process wake-ups per round trip); bridge and websockify add a relay ' +
          'process (4 wake-ups), and on a loaded 2-core machine each wake-up can wait for a core, so relays start well above 1×. ' +
          'On this virtual machine a system call costs microseconds (page-table isolation; a trivial one measured at ~6 µs from Python under load) ' +
          'and a relay makes twice the reads, writes and epoll waits of the echo server per round trip.',
        `WebSocket masking: the harness side and the bridge use \`ws\` with the optional native \`bufferutil\` ` +
          `(an optional dependency of both; ${bufferutilNote()}). Without it \`ws\` masks and unmasks 1 MiB in JavaScript ` +
          '(about 2 ms each here). websockify (Python) unmasks with numpy (installed here).',
      );
      const floor64 = rtt64.floor_relay;
      if (floor64) {
        const vsWebsockify = rtt64.websockify ? `, ${fmt(floor64.median / rtt64.websockify.median)}× websockify's` : '';
        notes.push(
          `What a relay on \`ws\` costs here, 64 B: the floor relay's round trip is ${fmt(floor64.ratio)}× direct${vsWebsockify}; ` +
            `the bridge's is ${fmt(rtt64.bridge!.median / floor64.median)}× the floor relay's (its channel protocol, limits and ` +
            'the client transport). A bridge ratio below the floor relay\'s is out of reach for any relay on `ws` on this machine.',
        );
      }
      const tcpFloor64 = rtt64.floor_tcp_relay;
      if (tcpFloor64) {
        notes.push(
          `What the relay process alone costs here, 64 B: a Node process piping TCP to TCP (no WebSocket) makes the round trip ` +
            `${fmt(tcpFloor64.ratio)}× direct${rtt64.websockify ? ` (${fmt(tcpFloor64.median / rtt64.websockify.median)}× websockify's)` : ''}.`,
        );
      }
      notes.push(
        `${rounds} rounds × ${batch} round trips per contender and size after ${warmup} warm-up rounds; throughput: ${perIteration} × 1 MiB per iteration.`,
      );
      const charts = {
        'bridge-rtt.svg': barChart({
          title: 'Round-trip median (µs, lower is better; p99 in brackets)',
          groups: RTT_SIZES.map((s) => ({
            label: `${s} B`,
            bars: Object.entries(metrics[`bridge.rtt_${s}`]!.contenders).map(([name, r]) => ({ label: name, value: r.median, suffix: `p99 ${fmt(r.p99)}` })),
          })),
          unit: 'µs',
        }),
      };
      return { metrics, targets, notes, charts };
    } finally {
      for (const { client } of clients) await client.close().catch(() => undefined);
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    }
  },
};
