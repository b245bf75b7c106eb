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
import { detectRuntime, type RuntimeInfo } from '../connection/metadata.js';
import { keyMirror } from '../util/key-mirror.js';
import { RoundTripTimeStats } from './round-trip-time.js';
import { sleep, wakeAll } from '../util/sleep.js';

export const ServerMonitoringMode = keyMirror('auto', 'stream', 'poll');
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
/** The SDAM monitoring events a Monitor publishes, by name. */
export interface HeartbeatEvents {
  serverHeartbeatStarted: HeartbeatStartedEvent;
  serverHeartbeatSucceeded: HeartbeatSucceededEvent;
  serverHeartbeatFailed: HeartbeatFailedEvent;
}

/** A check's outcome: the hello reply with the round trip times, or the error. */
export type MonitorCheckResult =
  | {
      readonly reply: Document;
      readonly error?: undefined;
      /** The averaged and the minimum round trip time (null before a sample). */
      readonly roundTripTime: number | null;
      readonly minRoundTripTime: number | null;
    }
  | { readonly reply?: undefined; readonly error: Error; readonly roundTripTime?: undefined; readonly minRoundTripTime?: undefined };

/**
 * Whether heartbeats use the polling protocol. The spec's `auto` polls on a FaaS
 * platform (AWS Lambda, Azure Functions, Google Cloud Functions, Vercel: detected as
 * the handshake spec's client metadata `env`), where a held awaitable hello and an
 * extra RTT connection outlive the invocation; elsewhere it streams, like `stream`.
 */
export function pollsHeartbeats(mode: ServerMonitoringMode | undefined, runtime?: RuntimeInfo): boolean {
  if (mode === ServerMonitoringMode.poll) return true;
  if (mode === ServerMonitoringMode.stream) return false;
  // Probing the runtime reads the environment: only `auto` needs it (a topology resolves it once).
  return (runtime ?? detectRuntime()).env !== undefined;
}

export interface MonitorOptions {
  address: string;
  heartbeatFrequencyMS: number;
  /** Default 500. */
  minHeartbeatFrequencyMS?: number | undefined;
  connectTimeoutMS: number;
  /** Default auto. */
  serverMonitoringMode?: ServerMonitoringMode | undefined;
  /** Connection settings (transport, tls, appName, ...) minus address. */
  connectOptions: Omit<ConnectOptions, 'address' | 'monitoring'>;
  connect: (options: ConnectOptions) => Promise<Connection>;
  now: () => number;
  emit<K extends keyof HeartbeatEvents>(name: K, event: HeartbeatEvents[K]): void;
  /** Every check outcome, success or failure. */
  onCheck(result: MonitorCheckResult): void;
}

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

export class Monitor {
  readonly #options: MonitorOptions;
  readonly #polling: boolean;
  readonly #rtt = new RoundTripTimeStats();
  /** Wakes the wait for the next check early (requestCheck). */
  readonly #wakers = new Set<() => void>();
  /** Aborted by close(): ends any wait. */
  readonly #closing = new AbortController();
  #connection: Connection | undefined;
  /** Aborts the connect + handshake in flight (close() and cancelCheck()). */
  #connecting: AbortController | undefined;
  /** Stops the RTT pinger while one runs (streaming). */
  #pinger: AbortController | undefined;
  /** Every pinger started, until its loop ends; awaited by close(). */
  #pingers: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** An awaited (streaming) hello is in flight. */
  #awaitingHello = false;
  /** requestCheck({ interruptAwaited }) ended the awaited hello in flight: not a failed heartbeat. */
  #interrupted = false;
  #checkRequested = false;
  /** A check (with its immediate retry) is running: a requested check is satisfied by it. */
  #checking = false;
  /** Set by cancelCheck(); the check in flight, if any, ends quietly (each check clears it). */
  #cancelled = false;
  /** When the previous check ended (heartbeat intervals count from there). */
  #lastCheckEnded = -Infinity;
  #loop: Promise<void> | undefined;
  /** Whether the last check saw a known server (drives the immediate retry rule). */
  #lastWasKnown = false;
  #topologyVersion: Document | undefined;

  constructor(options: MonitorOptions) {
    this.#options = options;
    this.#polling = pollsHeartbeats(options.serverMonitoringMode);
  }

  start(): void {
    if (!this.#loop && !this.#closed) this.#loop = this.#run();
  }

  /**
   * Ask for a check as soon as minHeartbeatFrequencyMS allows. A check in progress
   * satisfies the request (server-monitoring "Requesting an immediate check"), except
   * with `interruptAwaited` while an awaited hello is pending: the server answers that
   * one only when its state changes or after maxAwaitTimeMS, so after a state change
   * error (the server is Unknown now) it is cancelled quietly and a fresh check runs on
   * a new connection, as the official driver does, instead of waiting up to
   * heartbeatFrequencyMS with the server Unknown.
   */
  requestCheck(options: { interruptAwaited?: boolean } = {}): void {
    if (this.#closed) return;
    if (options.interruptAwaited && this.#awaitingHello) {
      this.#cancelled = true;
      this.#interrupted = true;
      this.#disconnect('awaited hello interrupted by a requested check');
    } else if (this.#checking && !this.#cancelled) {
      // The check in progress answers the request (as the official driver ignores requests
      // while checking); a cancelled one answers nothing.
      return;
    }
    this.#checkRequested = true;
    wakeAll(this.#wakers);
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
    if (this.#closed) return;
    this.#cancelled = true;
    // The server is Unknown now: a failure of the next check is not retried at once.
    this.#lastWasKnown = false;
    this.#disconnect('check cancelled');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#disconnect('closed');
    this.#closing.abort();
    await this.#loop;
    await this.#pingers;
  }

  /** Aborts a connect in flight, closes the connection and stops the pinger: the next check starts afresh. */
  #disconnect(why: string): void {
    this.#connecting?.abort(new MongoNetworkError(`monitor of ${this.#options.address}: ${why}`));
    this.#connection?.close();
    this.#connection = undefined;
    this.#pinger?.abort();
    this.#pinger = undefined;
    this.#topologyVersion = undefined;
    this.#rtt.reset();
  }

  #streaming(): boolean {
    return (
      !this.#polling &&
      this.#topologyVersion !== undefined &&
      this.#connection !== undefined
    );
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      this.#checking = true;
      let outcome = await this.#check();
      if (outcome instanceof MongoNetworkError && this.#lastWasKnown && !this.#closed) {
        // Spec: a network error (not a command error) on a server that was known is retried once at once.
        this.#lastWasKnown = false;
        outcome = await this.#check();
      }
      this.#checking = false;
      if (this.#closed) break;
      // Streaming: after an ok reply the next awaited hello (or exhaust read) starts at once.
      if (outcome === true && this.#streaming()) continue;
      await this.#waitForNextCheck();
    }
  }

  /**
   * Sleep until the next check: heartbeatFrequencyMS after the previous check ended,
   * or sooner when a check is requested, but never less than minHeartbeatFrequencyMS
   * after it (server-monitoring "wait()"; that last part cannot be woken early).
   */
  async #waitForNextCheck(): Promise<void> {
    const { heartbeatFrequencyMS, minHeartbeatFrequencyMS = 500, now } = this.#options;
    const closing = this.#closing.signal;
    if (!this.#checkRequested) await sleep(heartbeatFrequencyMS - (now() - this.#lastCheckEnded), this.#wakers, closing);
    this.#checkRequested = false;
    // This part "cannot be awakened": only close() ends it early.
    const wait = minHeartbeatFrequencyMS - (now() - this.#lastCheckEnded);
    if (wait > 0 && !this.#closed) await sleep(wait, undefined, closing);
  }

  /** One check: true after a reply, the error after a failure, false if cancelled (or closed). */
  async #check(): Promise<boolean | Error> {
    const { now, address, emit } = this.#options;
    const awaited = this.#streaming();
    this.#checkRequested = false;
    this.#cancelled = false;
    this.#interrupted = false;
    const start = now();
    const event = { connectionId: address, awaited };
    emit('serverHeartbeatStarted', event);
    try {
      let reply: Document;
      const connection = this.#connection;
      if (!connection) {
        const controller = new AbortController();
        this.#connecting = controller;
        let conn: Connection;
        try {
          conn = await connectMonitoring(this.#options, controller.signal);
        } finally {
          if (this.#connecting === controller) this.#connecting = undefined;
        }
        if (this.#closed || controller.signal.aborted) {
          // close() or cancelCheck() ran while connecting: this connection has no owner.
          conn.close();
          if (this.#closed) return false;
          throw controller.signal.reason;
        }
        this.#connection = conn;
        reply = conn.hello;
        // Only the hello's own round trip: connection setup (TCP, TLS, a bridge channel) is not latency.
        this.#rtt.addSample(conn.handshakeRoundTripMS ?? now() - start);
      } else if (awaited) {
        this.#awaitingHello = true;
        try {
          reply = await this.#awaitedHello(connection);
        } finally {
          this.#awaitingHello = false;
        }
      } else {
        reply = await connection.command('admin', helloCommand(connection), { timeoutMS: this.#options.connectTimeoutMS });
        this.#rtt.addSample(now() - start);
      }
      if (this.#closed) return false;
      const duration = now() - start;
      this.#topologyVersion = (reply.topologyVersion as Document | undefined) ?? undefined;
      if (this.#topologyVersion && !this.#polling && !this.#pinger) {
        // Streaming: round trips are measured on a connection of their own.
        this.#pinger = new AbortController();
        this.#pingers = Promise.all([this.#pingers, pingRoundTrips(this.#options, this.#rtt, this.#pinger.signal)]);
      }
      emit('serverHeartbeatSucceeded', { ...event, duration, reply });
      this.#options.onCheck({ reply, roundTripTime: this.#rtt.average, minRoundTripTime: this.#rtt.min });
      this.#lastWasKnown = reply.ok === 1 || reply.ok === true;
      return true;
    } catch (e) {
      const error = e instanceof Error ? e : new MongoNetworkError(String(e));
      this.#disconnect('failed');
      if (this.#closed) return false;
      if (this.#interrupted) return false;
      emit('serverHeartbeatFailed', { ...event, duration: now() - start, failure: error });
      // cancelCheck() (which also forgot that the server was known): the topology already
      // marked the server Unknown and cleared the pool.
      if (this.#cancelled) return false;
      this.#options.onCheck({ error });
      return error;
    } finally {
      this.#lastCheckEnded = now();
    }
  }

  #awaitedHello(conn: Connection): Promise<Document> {
    const { heartbeatFrequencyMS, connectTimeoutMS } = this.#options;
    const timeoutMS = connectTimeoutMS > 0 ? connectTimeoutMS + heartbeatFrequencyMS : 0;
    if (conn.moreToCome) return conn.nextReply({ timeoutMS });
    return conn.command(
      'admin',
      { ...helloCommand(conn), topologyVersion: this.#topologyVersion, maxAwaitTimeMS: heartbeatFrequencyMS },
      { exhaustAllowed: true, timeoutMS },
    );
  }
}

function helloCommand(conn: Connection): Document {
  return conn.hello.helloOk === true ? { hello: 1 } : { isMaster: 1, helloOk: true };
}

/** Measures round trips on a connection of its own while the monitor streams, until `signal` aborts. */
async function pingRoundTrips(options: MonitorOptions, rtt: RoundTripTimeStats, signal: AbortSignal): Promise<void> {
  let connection: Connection | undefined;
  signal.addEventListener('abort', () => {
    connection?.close();
    connection = undefined;
  });
  while (!signal.aborted) {
    const start = options.now();
    try {
      let sample: number | undefined;
      if (connection) {
        await connection.command('admin', connection.hello.helloOk === true ? { hello: 1 } : { isMaster: 1 }, {
          timeoutMS: options.connectTimeoutMS,
        });
      } else {
        connection = await connectMonitoring(options, signal);
        sample = connection.handshakeRoundTripMS;
      }
      if (!signal.aborted) rtt.addSample(sample ?? options.now() - start);
    } catch {
      // The streaming monitor reports server failures; the pinger just reconnects.
      connection?.close();
      connection = undefined;
    }
    await sleep(options.heartbeatFrequencyMS, undefined, signal);
  }
  // A connection that was still being opened when the signal aborted.
  connection?.close();
}
