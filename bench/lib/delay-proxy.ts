/**
 * A TCP proxy that delays every chunk by a fixed time in each direction, for the
 * cold-start benchmark (a client far from its servers). Order is kept: each chunk is
 * forwarded `delayMs` after it arrived, FIFO per direction; an end or a reset is
 * forwarded after the same delay. Loopback by default. Owns every socket and timer it
 * creates; close() releases them all.
 */
import net from 'node:net';

export const DEFAULT_DELAY_MS = 20;

export interface DelayProxyOptions {
  targetHost?: string;
  targetPort: number;
  /** Added to each direction (a round trip gains 2 × delayMs). Default 20. */
  delayMs?: number;
  /** Listen address (default 127.0.0.1) and port (default 0: any free port). */
  host?: string;
  port?: number;
}

export interface DelayProxy {
  readonly port: number;
  readonly host: string;
  readonly delayMs: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  /**
   * Request/reply exchanges seen so far, summed over every connection: one per turn of
   * the conversation, counted when the target's bytes arrive after the client's (a
   * connection's first reply, or a reply after the client spoke again). Concurrent
   * connections each count their own, so this is traffic, not the critical path.
   */
  readonly exchanges: number;
  close(): Promise<void>;
}

/** Forwards `from` to `to` with a delay; returns the pending-timer set for cleanup. */
function pipeDelayed(from: net.Socket, to: net.Socket, delayMs: number, timers: Set<NodeJS.Timeout>, onData?: () => void): void {
  const later = (fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, delayMs);
    timers.add(t);
  };
  from.on('data', (chunk: Buffer) => {
    onData?.();
    later(() => to.destroyed || to.write(chunk));
  });
  from.on('end', () => later(() => to.destroyed || to.end()));
  from.on('error', () => later(() => to.destroy()));
  from.on('close', (hadError) => {
    if (hadError) later(() => to.destroy());
  });
}

export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const delayMs = options.delayMs ?? DEFAULT_DELAY_MS;
  const host = options.host ?? '127.0.0.1';
  const targetHost = options.targetHost ?? '127.0.0.1';
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError('delayMs must be a number >= 0');
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  let exchanges = 0;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    accepted += 1;
    track(client);
    client.setNoDelay(true);
    const upstream = net.connect({ host: targetHost, port: options.targetPort });
    track(upstream);
    upstream.setNoDelay(true);
    let clientSpoke = false;
    pipeDelayed(client, upstream, delayMs, timers, () => {
      clientSpoke = true;
    });
    pipeDelayed(upstream, client, delayMs, timers, () => {
      if (clientSpoke) exchanges += 1;
      clientSpoke = false;
    });
    // Bytes the client sends before the target answers are buffered by the upstream socket.
    client.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    host,
    delayMs,
    get accepted() {
      return accepted;
    },
    get exchanges() {
      return exchanges;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
