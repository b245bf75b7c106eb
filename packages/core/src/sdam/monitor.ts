/**
 * Server monitoring (the Server Monitoring spec): one Monitor per server, with a
 * dedicated connection that runs `hello`.
 *
 * - polling: a check every heartbeatFrequencyMS, never closer than
 *   minHeartbeatFrequencyMS apart; `requestCheck()` wakes it early.
 * - streaming (server reports topologyVersion, mode auto|stream): an awaitable
 *   `hello` with `topologyVersion` + `maxAwaitTimeMS` and `exhaustAllowed`, so the
 *   server pushes a reply as soon as its state changes; a separate RttPinger
 *   measures round trips on its own connection.
 *
 * The Monitor owns its timer and its connections and reports through callbacks; it
 * never touches the topology description itself (sdam/topology.ts applies them).
 */
import type { Document } from '../errors.js';
import { MongoNetworkError } from '../errors.js';
import type { ConnectOptions, Connection } from '../connection/types.js';
import { RoundTripTimeStats } from './round-trip-time.js';

export const ServerMonitoringMode = Object.freeze({ auto: 'auto', stream: 'stream', poll: 'poll' } as const);
export type ServerMonitoringMode = (typeof ServerMonitoringMode)[keyof typeof ServerMonitoringMode];

export interface HeartbeatStartedEvent {
  readonly connectionId: string;
  readonly awaited: boolean;
}
export interface HeartbeatSucceededEvent {
  readonly connectionId: string;
  readonly duration: number;
  readonly reply: Document;
  readonly awaited: boolean;
}
export interface HeartbeatFailedEvent {
  readonly connectionId: string;
  readonly duration: number;
  readonly failure: Error;
  readonly awaited: boolean;
}

export interface MonitorCheckResult {
  /** The hello reply, or undefined when the check failed. */
  readonly reply?: Document;
  readonly error?: Error;
  readonly roundTripTime: number | null;
  readonly minRoundTripTime: number | null;
}

export interface MonitorOptions {
  address: string;
  heartbeatFrequencyMS: number;
  minHeartbeatFrequencyMS: number;
  connectTimeoutMS: number;
  serverMonitoringMode: ServerMonitoringMode;
  /** Connection settings (transport, tls, appName, ...) minus address. */
  connectOptions: Omit<ConnectOptions, 'address' | 'monitoring'>;
  connect: (options: ConnectOptions) => Promise<Connection>;
  now: () => number;
  onHeartbeatStarted(e: HeartbeatStartedEvent): void;
  onHeartbeatSucceeded(e: HeartbeatSucceededEvent): void;
  onHeartbeatFailed(e: HeartbeatFailedEvent): void;
  /** Every check outcome, success or failure. */
  onCheck(result: MonitorCheckResult): void;
}

const CheckOutcome = Object.freeze({ succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' } as const);
type CheckOutcome = (typeof CheckOutcome)[keyof typeof CheckOutcome];

/** Opens a dedicated monitoring connection (no auth) to the monitored server. */
function connectMonitoring(options: MonitorOptions, signal: AbortSignal): Promise<Connection> {
  return options.connect({
    ...options.connectOptions,
    address: options.address,
    monitoring: true,
    connectTimeoutMS: options.connectTimeoutMS,
    signal,
  });
}

/** A sleep that can be woken early or cancelled; the Monitor's only timer. */
class Waiter {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  private interruptible = true;

  /**
   * Sleep `ms`. An interruptible sleep ends early on interrupt(); the
   * minHeartbeatFrequencyMS sleep is not interruptible ("cannot be awakened"):
   * only cancel() (close) ends it early.
   */
  sleep(ms: number, options: { interruptible?: boolean } = {}): Promise<void> {
    return new Promise((resolve) => {
      this.interruptible = options.interruptible ?? true;
      this.wake = () => {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      };
      this.timer = setTimeout(this.wake, Math.max(0, ms));
    });
  }

  /** Wake an interruptible sleep now (no effect otherwise). */
  interrupt(): void {
    if (this.interruptible) this.wake?.();
  }

  /** Wake any sleep now (closing). */
  cancel(): void {
    this.wake?.();
  }
}

export class Monitor {
  private readonly rtt = new RoundTripTimeStats();
  private connection: Connection | undefined;
  /** Aborts the connect + handshake in flight (close() and cancelCheck()). */
  private connecting: AbortController | undefined;
  private rttPinger: RttPinger | undefined;
  private readonly waiter = new Waiter();
  private closed = false;
  private checkRequested = false;
  /** Set by cancelCheck(); the check in flight, if any, ends quietly. */
  private cancelled = false;
  /** When the previous check ended (heartbeat intervals count from there). */
  private lastCheckEnded = -Infinity;
  private loop: Promise<void> | undefined;
  /** Whether the last check saw a known server (drives the immediate retry rule). */
  private lastWasKnown = false;
  /** The error of the last failed check. */
  private lastFailure: Error | undefined;
  private topologyVersion: Document | undefined;
  /** Pingers stopped but whose loop has not ended yet; awaited by close(). */
  private readonly stopping = new Set<Promise<void>>();

  constructor(private readonly options: MonitorOptions) {}

  private stopPinger(): void {
    const pinger = this.rttPinger;
    if (!pinger) return;
    this.rttPinger = undefined;
    const done: Promise<void> = pinger.close().finally(() => this.stopping.delete(done));
    this.stopping.add(done);
  }

  get address(): string {
    return this.options.address;
  }

  start(): void {
    if (this.loop || this.closed) return;
    this.loop = this.run();
  }

  /** Ask for a check as soon as minHeartbeatFrequencyMS allows. */
  requestCheck(): void {
    if (this.closed) return;
    this.checkRequested = true;
    this.waiter.interrupt();
  }

  /**
   * Cancel the in-progress check and close the monitoring connection (SDAM: the
   * client marked this server Unknown after a network error on an application
   * connection). The cancelled check is not reported to the topology (which already
   * holds the application's error), and is not retried at once: the spec forbids an
   * immediate check here; the next check runs after heartbeatFrequencyMS, or sooner
   * when server selection requests one.
   */
  cancelCheck(): void {
    if (this.closed) return;
    this.cancelled = true;
    // The server is Unknown now: a failure of the next check is not retried at once.
    this.lastWasKnown = false;
    this.connecting?.abort(new MongoNetworkError(`monitor check of ${this.address} cancelled`));
    this.connection?.close();
    this.connection = undefined;
    this.stopPinger();
    this.topologyVersion = undefined;
    this.rtt.reset();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connecting?.abort(new MongoNetworkError(`monitor of ${this.address} closed`));
    this.connection?.close();
    this.connection = undefined;
    this.stopPinger();
    this.waiter.cancel();
    await this.loop;
    await Promise.all([...this.stopping]);
  }

  private streaming(): boolean {
    const mode = this.options.serverMonitoringMode;
    if (mode === ServerMonitoringMode.poll) return false;
    return this.topologyVersion !== undefined && this.connection !== undefined;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const outcome = await this.check();
      if (this.closed) break;
      if (outcome === CheckOutcome.failed && this.lastWasKnown && this.lastFailure instanceof MongoNetworkError) {
        // Spec: a network error (not a command error) on a server that was known is retried once at once.
        this.lastWasKnown = false;
        const again = await this.check();
        if (this.closed) break;
        if (again === CheckOutcome.succeeded && this.streaming()) continue;
      }
      // Streaming: after an ok reply the next awaited hello (or exhaust read) starts at once.
      if (outcome === CheckOutcome.succeeded && this.streaming()) continue;
      await this.waitForNextCheck();
    }
  }

  /**
   * Sleep until the next check: heartbeatFrequencyMS after the previous check ended,
   * or sooner when a check is requested, but never less than minHeartbeatFrequencyMS
   * after it (server-monitoring "wait()"; that last part cannot be woken early).
   */
  private async waitForNextCheck(): Promise<void> {
    const { heartbeatFrequencyMS, minHeartbeatFrequencyMS, now } = this.options;
    if (!this.checkRequested) {
      await this.waiter.sleep(Math.max(0, heartbeatFrequencyMS - (now() - this.lastCheckEnded)));
    }
    this.checkRequested = false;
    const wait = Math.max(0, minHeartbeatFrequencyMS - (now() - this.lastCheckEnded));
    if (wait > 0 && !this.closed) await this.waiter.sleep(wait, { interruptible: false });
  }

  /** One check. */
  private async check(): Promise<CheckOutcome> {
    try {
      return await this.checkOnce();
    } finally {
      this.lastCheckEnded = this.options.now();
    }
  }

  private async checkOnce(): Promise<CheckOutcome> {
    const { now, address } = this.options;
    const awaited = this.streaming();
    this.checkRequested = false;
    this.cancelled = false;
    const start = now();
    this.options.onHeartbeatStarted({ connectionId: address, awaited });
    try {
      let reply: Document;
      if (!this.connection) {
        const controller = new AbortController();
        this.connecting = controller;
        let conn: Connection;
        try {
          conn = await connectMonitoring(this.options, controller.signal);
        } finally {
          if (this.connecting === controller) this.connecting = undefined;
        }
        if (this.closed || controller.signal.aborted) {
          // close() or cancelCheck() ran while connecting: this connection has no owner.
          conn.close();
          if (this.closed) return CheckOutcome.failed;
          throw controller.signal.reason instanceof Error ? controller.signal.reason : new MongoNetworkError('check cancelled');
        }
        this.connection = conn;
        reply = conn.hello;
        // Only the hello's own round trip: connection setup (TCP, TLS, a bridge channel) is not latency.
        this.rtt.addSample(conn.handshakeRoundTripMS ?? now() - start);
      } else if (awaited) {
        reply = await this.awaitedHello(this.connection);
      } else {
        reply = await this.connection.command('admin', this.helloCommand(this.connection), {
          timeoutMS: this.options.connectTimeoutMS,
        });
        this.rtt.addSample(now() - start);
      }
      if (this.closed) return CheckOutcome.succeeded;
      this.cancelled = false;
      const duration = now() - start;
      this.topologyVersion = (reply.topologyVersion as Document | undefined) ?? undefined;
      if (this.topologyVersion && this.options.serverMonitoringMode !== ServerMonitoringMode.poll) this.ensureRttPinger();
      this.options.onHeartbeatSucceeded({ connectionId: address, duration, reply, awaited });
      this.options.onCheck({ reply, roundTripTime: this.rtt.average, minRoundTripTime: this.rtt.min });
      this.lastWasKnown = reply.ok === 1 || reply.ok === true;
      return CheckOutcome.succeeded;
    } catch (e) {
      const error = e instanceof Error ? e : new MongoNetworkError(String(e));
      this.connection?.close();
      this.connection = undefined;
      this.stopPinger();
      this.topologyVersion = undefined;
      this.rtt.reset();
      if (this.closed) return CheckOutcome.failed;
      this.options.onHeartbeatFailed({ connectionId: address, duration: now() - start, failure: error, awaited });
      if (this.cancelled) {
        // cancelCheck(): the topology already marked the server Unknown and cleared the pool.
        this.cancelled = false;
        this.lastWasKnown = false;
        return CheckOutcome.cancelled;
      }
      this.lastFailure = error;
      this.options.onCheck({ error, roundTripTime: null, minRoundTripTime: null });
      return CheckOutcome.failed;
    }
  }

  private helloCommand(conn: Connection): Document {
    return conn.hello.helloOk === true ? { hello: 1 } : { isMaster: 1, helloOk: true };
  }

  private async awaitedHello(conn: Connection): Promise<Document> {
    const { heartbeatFrequencyMS, connectTimeoutMS } = this.options;
    const timeoutMS = connectTimeoutMS > 0 ? connectTimeoutMS + heartbeatFrequencyMS : 0;
    if (conn.moreToCome) return conn.nextReply({ timeoutMS });
    return conn.command(
      'admin',
      { ...this.helloCommand(conn), topologyVersion: this.topologyVersion, maxAwaitTimeMS: heartbeatFrequencyMS },
      { exhaustAllowed: true, timeoutMS },
    );
  }

  private ensureRttPinger(): void {
    if (this.rttPinger || this.closed) return;
    this.rttPinger = new RttPinger(this.options, this.rtt);
    this.rttPinger.start();
  }
}

/** Measures round trips on its own connection while the monitor streams. */
class RttPinger {
  private connection: Connection | undefined;
  private connecting: AbortController | undefined;
  private readonly waiter = new Waiter();
  private closed = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly options: MonitorOptions,
    private readonly rtt: RoundTripTimeStats,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Stop; resolves when the loop has ended. */
  close(): Promise<void> {
    this.closed = true;
    this.connecting?.abort(new MongoNetworkError(`RTT pinger of ${this.options.address} closed`));
    this.connection?.close();
    this.connection = undefined;
    this.waiter.cancel();
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const { now } = this.options;
    while (!this.closed) {
      const start = now();
      try {
        if (!this.connection) {
          const controller = new AbortController();
          this.connecting = controller;
          let conn: Connection;
          try {
            conn = await connectMonitoring(this.options, controller.signal);
          } finally {
            this.connecting = undefined;
          }
          if (this.closed) {
            conn.close();
            break;
          }
          this.connection = conn;
          if (!this.closed) this.rtt.addSample(conn.handshakeRoundTripMS ?? now() - start);
        } else {
          await this.connection.command('admin', this.connection.hello.helloOk === true ? { hello: 1 } : { isMaster: 1 }, {
            timeoutMS: this.options.connectTimeoutMS,
          });
          if (!this.closed) this.rtt.addSample(now() - start);
        }
      } catch {
        // The streaming monitor reports server failures; the pinger just reconnects.
        this.connection?.close();
        this.connection = undefined;
      }
      if (this.closed) break;
      await this.waiter.sleep(this.options.heartbeatFrequencyMS);
    }
  }
}
