/**
 * The listener's TCP connections before and after they are WebSocket sessions. Every
 * accepted connection is counted per client address until its socket closes; the ones
 * that are not an open session (still in the HTTP, TLS or WebSocket handshake, refused
 * and closing, or serving /healthz and /metrics) are "pending" and capped per address
 * and in total (`admitConnection`), so a client cannot hold descriptors by opening
 * connections it never finishes or by ignoring close frames. A pending connection that
 * neither upgrades nor finishes an HTTP request within the upgrade timeout is destroyed.
 */
import type net from 'node:net';
import { admitConnection, type ConnectionPolicy, type Refusal } from './admission.js';

export interface ConnectionGateOptions extends ConnectionPolicy {
  readonly upgradeTimeoutMs: number;
  /** A connection was refused on accept (already destroyed). */
  onRefused(ip: string, reason: Refusal): void;
}

interface Tracked {
  readonly socket: net.Socket;
  readonly ip: string;
  timer: ReturnType<typeof setTimeout> | undefined;
  upgraded: boolean;
}

interface PerIp {
  /** Open TCP connections. */
  tcp: number;
  /** Open WebSocket sessions. */
  sessions: number;
}

const keyOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }) => `${s.remoteAddress ?? 'unknown'}|${s.remotePort ?? 0}`;

export class ConnectionGate {
  readonly #options: ConnectionGateOptions;
  /** By remote address and port: the same key for the raw socket and a TLS socket over it. */
  readonly #tracked = new Map<string, Tracked>();
  readonly #perIp = new Map<string, PerIp>();
  #sessions = 0;

  constructor(options: ConnectionGateOptions) {
    this.#options = options;
  }

  /** Open TCP connections to the listener. */
  get connections(): number {
    return this.#tracked.size;
  }

  /** A new TCP connection (the server's 'connection' event). Destroys it if over the limits. */
  accept(socket: net.Socket): void {
    const ip = socket.remoteAddress ?? 'unknown';
    const counts = this.#perIp.get(ip) ?? { tcp: 0, sessions: 0 };
    const admission = admitConnection(this.#options, { ip }, {
      pendingFromIp: counts.tcp - counts.sessions,
      pendingTotal: this.#tracked.size - this.#sessions,
    });
    if (!admission.allowed) {
      socket.destroy();
      this.#options.onRefused(ip, admission.reason);
      return;
    }
    const key = keyOf(socket);
    const tracked: Tracked = { socket, ip, timer: undefined, upgraded: false };
    this.#tracked.set(key, tracked);
    counts.tcp += 1;
    this.#perIp.set(ip, counts);
    this.#arm(tracked);
    socket.once('close', () => {
      this.#disarm(tracked);
      if (this.#tracked.get(key) === tracked) this.#tracked.delete(key);
      const c = this.#perIp.get(ip);
      if (!c) return;
      c.tcp -= 1;
      if (c.tcp <= 0 && c.sessions <= 0) this.#perIp.delete(ip);
    });
  }

  /** An HTTP request started on this connection: no deadline while it is served. */
  requestStarted(socket: net.Socket): void {
    const t = this.#tracked.get(keyOf(socket));
    if (t) this.#disarm(t);
  }

  /** The response is done: the kept-alive connection must upgrade or ask again in time. */
  requestFinished(socket: net.Socket): void {
    const t = this.#tracked.get(keyOf(socket));
    if (t && !t.upgraded && !t.socket.destroyed) this.#arm(t);
  }

  /** The WebSocket handshake completed: `ws` owns the connection's lifetime from here. */
  upgraded(socket: net.Socket): void {
    const t = this.#tracked.get(keyOf(socket));
    if (!t) return;
    t.upgraded = true;
    this.#disarm(t);
  }

  /** Admitted WebSocket sessions from `ip` right now. */
  sessionsFrom(ip: string): number {
    return this.#perIp.get(ip)?.sessions ?? 0;
  }

  sessionOpened(ip: string): void {
    const c = this.#perIp.get(ip) ?? { tcp: 0, sessions: 0 };
    c.sessions += 1;
    this.#perIp.set(ip, c);
    this.#sessions += 1;
  }

  sessionClosed(ip: string): void {
    const c = this.#perIp.get(ip);
    if (!c || c.sessions <= 0) return;
    c.sessions -= 1;
    this.#sessions -= 1;
    if (c.tcp <= 0 && c.sessions <= 0) this.#perIp.delete(ip);
  }

  /** Stop every deadline (shutdown closes the connections itself). */
  close(): void {
    for (const t of this.#tracked.values()) this.#disarm(t);
  }

  #arm(t: Tracked): void {
    this.#disarm(t);
    t.timer = setTimeout(() => {
      t.timer = undefined;
      t.socket.destroy();
    }, this.#options.upgradeTimeoutMs);
  }

  #disarm(t: Tracked): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
  }
}
