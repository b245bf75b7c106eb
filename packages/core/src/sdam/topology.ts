/**
 * The live topology: the one owner of the current TopologyDescription. It applies
 * monitor results and application errors through the pure functions of sdam/,
 * diffs old against new, then emits the SDAM monitoring events, starts and stops
 * one Monitor per server, readies/clears pools, and wakes operations waiting for a
 * suitable server.
 */
import {
  isNetworkTimeoutError,
  MongoNetworkError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Document,
} from '../errors.js';
import type { ConnectOptions, Connection, ConnectionPool } from '../connection/types.js';
import { ReadPreference } from '../selection/read-preference.js';
import { pickServer, selectServers, validateSelection } from '../selection/select-servers.js';
import { explainNoSuitableServer } from '../selection/explain.js';
import type { ServerDescription } from './server-description.js';
import { ServerType } from './server-description.js';
import type { TopologyDescription } from './topology-description.js';
import { TopologyType } from './topology-description.js';
import { applyServerDescription, assertNever } from './apply.js';
import { handleApplicationError } from './application-errors.js';
import { diffTopologyDescriptions, emptyTopologyDescription, SdamEventType } from './diff.js';
import { newServerDescription, unknownServerDescription } from './server-description.js';
import { newTopologyDescription } from './topology-description.js';
import {
  Monitor,
  ServerMonitoringMode,
  type HeartbeatFailedEvent,
  type HeartbeatStartedEvent,
  type HeartbeatSucceededEvent,
  type MonitorCheckResult,
} from './monitor.js';

export interface TopologyEvents {
  topologyOpening: { topologyId: number };
  topologyClosed: { topologyId: number };
  topologyDescriptionChanged: {
    topologyId: number;
    previousDescription: TopologyDescription;
    newDescription: TopologyDescription;
  };
  serverOpening: { topologyId: number; address: string };
  serverClosed: { topologyId: number; address: string };
  serverDescriptionChanged: {
    topologyId: number;
    address: string;
    previousDescription: ServerDescription;
    newDescription: ServerDescription;
  };
  serverHeartbeatStarted: HeartbeatStartedEvent;
  serverHeartbeatSucceeded: HeartbeatSucceededEvent;
  serverHeartbeatFailed: HeartbeatFailedEvent;
}
export type TopologyEventName = keyof TopologyEvents;

export interface TopologyOptions {
  seeds: readonly string[];
  replicaSet?: string | undefined;
  directConnection?: boolean | undefined;
  loadBalanced?: boolean | undefined;
  heartbeatFrequencyMS: number;
  minHeartbeatFrequencyMS?: number;
  localThresholdMS: number;
  serverSelectionTimeoutMS: number;
  connectTimeoutMS: number;
  serverMonitoringMode?: ServerMonitoringMode;
  /** Settings for monitoring connections (transport, tls, appName, serverApi). */
  connectOptions: Omit<ConnectOptions, 'address' | 'monitoring'>;
  connect: (options: ConnectOptions) => Promise<Connection>;
  createPool: (address: string) => ConnectionPool;
  emit: <K extends TopologyEventName>(name: K, event: TopologyEvents[K]) => void;
  now?: () => number;
  random?: () => number;
}

export interface SelectionCriteria {
  readPreference?: ReadPreference;
  operation: 'read' | 'write';
  /** Servers to avoid if others qualify (retries on sharded clusters). */
  deprioritized?: readonly string[];
}

/** A server as the topology holds it: its description, pool, monitor, and load. */
export class Server {
  operationCount = 0;
  constructor(
    public description: ServerDescription,
    readonly pool: ConnectionPool,
    readonly monitor: Monitor | undefined,
  ) {}
  get address(): string {
    return this.description.address;
  }
}

interface Waiter {
  wake(): void;
}

let nextTopologyId = 1;

export class Topology {
  readonly topologyId = nextTopologyId++;
  private td: TopologyDescription;
  private readonly servers = new Map<string, Server>();
  private readonly waiters = new Set<Waiter>();
  /** Servers removed from the description whose monitor/pool are still closing. */
  private readonly closing = new Set<Promise<void>>();
  private state: 'new' | 'open' | 'closed' = 'new';
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: TopologyOptions) {
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;
    this.td = newTopologyDescription({
      seeds: options.seeds,
      setName: options.replicaSet ?? null,
      directConnection: options.directConnection ?? false,
      loadBalanced: options.loadBalanced ?? false,
      heartbeatFrequencyMS: options.heartbeatFrequencyMS,
      localThresholdMS: options.localThresholdMS,
    });
  }

  /** A snapshot of the current description. */
  get description(): TopologyDescription {
    return this.td;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Start monitoring the seeds. Returns at once; selection waits for discovery. */
  open(): void {
    if (this.state !== 'new') return;
    this.state = 'open';
    this.options.emit('topologyOpening', { topologyId: this.topologyId });
    const initial = this.td;
    this.td = emptyTopologyDescription(initial);
    this.commit(initial);
    if (initial.type === TopologyType.LoadBalanced) {
      // Load-balanced mode: no monitoring; the server is a LoadBalancer from the start.
      for (const address of initial.servers.keys()) {
        this.applyDescription(newServerDescription(address, { ok: 1 }, { now: this.now(), loadBalancer: true }));
      }
    }
  }

  /** Select a server for an operation, waiting up to serverSelectionTimeoutMS. */
  async selectServer(criteria: SelectionCriteria, options: { signal?: AbortSignal; timeoutMS?: number } = {}): Promise<Server> {
    if (this.state === 'closed') throw new MongoTopologyClosedError();
    if (this.state === 'new') this.open();
    const timeoutMS = options.timeoutMS ?? this.options.serverSelectionTimeoutMS;
    const deadline = this.now() + timeoutMS;
    const readPreference = criteria.readPreference ?? ReadPreference.primary;
    for (;;) {
      if (this.isClosed) throw new MongoTopologyClosedError();
      validateSelection(this.td, { readPreference, operation: criteria.operation });
      const candidates = selectServers(this.td, {
        readPreference,
        operation: criteria.operation,
        deprioritized: criteria.deprioritized ?? [],
      });
      if (candidates.length > 0) {
        const chosen = pickServer(
          candidates,
          (address) => this.servers.get(address)?.operationCount ?? 0,
          this.random,
        );
        const server = chosen ? this.servers.get(chosen.address) : undefined;
        if (server) return server;
      }
      const remaining = deadline - this.now();
      if (remaining <= 0) {
        const why = explainNoSuitableServer(this.td, { readPreference, operation: criteria.operation });
        throw new MongoServerSelectionError(
          `Server selection timed out after ${timeoutMS} ms: ${why}`,
          this.td,
          { cause: this.lastServerError() },
        );
      }
      this.requestCheckAll();
      await this.waitForChange(remaining, options.signal);
    }
  }

  /** Ask every monitor for an immediate check (e.g. while a selection waits). */
  requestCheckAll(): void {
    for (const s of this.servers.values()) s.monitor?.requestCheck();
  }

  /**
   * Report an error an operation got from a server (the SDAM spec's application
   * error handling): may mark the server Unknown, clear its pool, request a check.
   */
  handleError(
    address: string,
    error: unknown,
    context: { connectionGeneration: number; beforeHandshake?: boolean },
  ): void {
    const server = this.servers.get(address);
    if (!server || this.state === 'closed') return;
    const result = handleApplicationError(this.td, {
      address,
      error,
      generation: context.connectionGeneration,
      poolGeneration: server.pool.generation,
      beforeHandshake: context.beforeHandshake ?? (error instanceof MongoNetworkError && error.beforeHandshake),
      now: this.now(),
    });
    if (result.topologyDescription !== this.td) this.commit(result.topologyDescription);
    if (result.clearPool) server.pool.clear({ interruptInUseConnections: result.interruptInUseConnections });
    // Network errors cancel the check in flight and close the monitoring connection, but
    // MUST NOT request an immediate check (SDAM "Network error when reading or writing");
    // a selection that needs the server requests one. State change errors request one.
    if (result.cancelCheck) server.monitor?.cancelCheck();
    if (result.requestImmediateCheck) server.monitor?.requestCheck();
  }

  /** Update $clusterTime etc. are the client's; the topology only tracks servers. */
  getServer(address: string): Server | undefined {
    return this.servers.get(address);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    for (const w of [...this.waiters]) w.wake();
    const closing: Promise<void>[] = [];
    for (const [address, server] of this.servers) {
      if (server.monitor) closing.push(server.monitor.close());
      closing.push(server.pool.close());
      if (wasOpen) this.options.emit('serverClosed', { topologyId: this.topologyId, address });
    }
    this.servers.clear();
    await Promise.all([...closing, ...this.closing]);
    if (wasOpen) {
      const previous = this.td;
      this.td = { ...previous, type: TopologyType.Unknown, servers: new Map() };
      this.options.emit('topologyDescriptionChanged', {
        topologyId: this.topologyId,
        previousDescription: previous,
        newDescription: this.td,
      });
      this.options.emit('topologyClosed', { topologyId: this.topologyId });
    }
  }

  // ---------------------------------------------------------------- internals

  private lastServerError(): Error | undefined {
    for (const sd of this.td.servers.values()) if (sd.error) return sd.error;
    return undefined;
  }

  private waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      // An already-aborted signal never fires 'abort': reject now, not at the timeout.
      if (signal?.aborted) {
        reject(signal.reason ?? new Error('aborted'));
        return;
      }
      const waiter: Waiter = {
        wake: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const timer = setTimeout(waiter.wake, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  private addServer(address: string): void {
    if (this.servers.has(address) || this.state === 'closed') return;
    const sd = this.td.servers.get(address) ?? unknownServerDescription(address);
    const monitor =
      this.td.type === TopologyType.LoadBalanced
        ? undefined
        : new Monitor({
            address,
            heartbeatFrequencyMS: this.options.heartbeatFrequencyMS,
            minHeartbeatFrequencyMS: this.options.minHeartbeatFrequencyMS ?? 500,
            connectTimeoutMS: this.options.connectTimeoutMS,
            serverMonitoringMode: this.options.serverMonitoringMode ?? ServerMonitoringMode.auto,
            connectOptions: this.options.connectOptions,
            connect: this.options.connect,
            now: this.now,
            onHeartbeatStarted: (e) => this.options.emit('serverHeartbeatStarted', e),
            onHeartbeatSucceeded: (e) => this.options.emit('serverHeartbeatSucceeded', e),
            onHeartbeatFailed: (e) => this.options.emit('serverHeartbeatFailed', e),
            onCheck: (r) => this.onMonitorCheck(address, r),
          });
    const server = new Server(sd, this.options.createPool(address), monitor);
    this.servers.set(address, server);
    this.options.emit('serverOpening', { topologyId: this.topologyId, address });
    if (sd.type !== ServerType.Unknown) server.pool.ready();
    monitor?.start();
  }

  private onMonitorCheck(address: string, r: MonitorCheckResult): void {
    if (this.state !== 'open' || !this.servers.has(address)) return;
    const sd = r.reply
      ? newServerDescription(address, r.reply, {
          roundTripTime: r.roundTripTime,
          minRoundTripTime: r.minRoundTripTime,
          now: this.now(),
        })
      : unknownServerDescription(address, r.error);
    this.applyDescription(sd);
    if (!r.reply) {
      // A failed check clears the pool (spec: "mark the server Unknown and clear its pool").
      this.servers.get(address)?.pool.clear({ interruptInUseConnections: isNetworkTimeoutError(r.error) });
    }
  }

  private applyDescription(sd: ServerDescription): void {
    const result = applyServerDescription(this.td, sd);
    this.commit(result.topologyDescription);
    // Former primaries replaced by a newer one: re-check them now (and clear pre-4.2 pools).
    for (const stale of result.invalidatedPrimaries) {
      const server = this.servers.get(stale.address);
      if (stale.clearPool) server?.pool.clear();
      server?.monitor?.requestCheck();
    }
  }

  /** Swap the snapshot, diff, emit, start/stop servers, ready pools, wake waiters. */
  private commit(next: TopologyDescription): void {
    const previous = this.td;
    if (next === previous) return;
    this.td = next;
    for (const [address, sd] of next.servers) {
      const server = this.servers.get(address);
      if (!server) continue;
      server.description = sd;
      if (sd.type !== ServerType.Unknown) server.pool.ready();
    }
    const diff = diffTopologyDescriptions(previous, next);
    const topologyId = this.topologyId;
    for (const event of diff.events) {
      switch (event.type) {
        case SdamEventType.ServerDescriptionChanged:
          this.options.emit('serverDescriptionChanged', {
            topologyId,
            address: event.address,
            previousDescription: event.previousDescription,
            newDescription: event.newDescription,
          });
          break;
        case SdamEventType.ServerClosed: {
          const server = this.servers.get(event.address);
          if (server) {
            this.servers.delete(event.address);
            const done: Promise<void> = this.closeServer(server).finally(() => this.closing.delete(done));
            this.closing.add(done);
          }
          this.options.emit('serverClosed', { topologyId, address: event.address });
          break;
        }
        case SdamEventType.TopologyDescriptionChanged:
          this.options.emit('topologyDescriptionChanged', {
            topologyId,
            previousDescription: event.previousDescription,
            newDescription: event.newDescription,
          });
          break;
        case SdamEventType.ServerOpening:
          this.addServer(event.address);
          break;
        default:
          assertNever(event);
      }
    }
    for (const w of [...this.waiters]) w.wake();
  }

  private async closeServer(server: Server): Promise<void> {
    await Promise.all([server.monitor?.close(), server.pool.close()]);
  }

  /** For debugging and `client.toString()`: the hosts currently known. */
  knownHosts(): string[] {
    return [...this.td.servers.keys()];
  }

  /** Raw hello replies, for tests and diagnostics. */
  helloOf(address: string): Document | null {
    return this.td.servers.get(address)?.hello ?? null;
  }
}
