/**
 * The live topology: the one owner of the current TopologyDescription. It applies
 * monitor results and application errors through the pure functions of sdam/,
 * diffs old against new, then emits the SDAM monitoring events, starts and stops
 * one Monitor per server, readies/clears pools, and wakes operations waiting for a
 * suitable server.
 */
import { MongoRequestScopeError, MongoServerSelectionError, MongoTopologyClosedError } from '../errors.js';
import type { ConnectOptions, Connection, ConnectionPool } from '../connection/types.js';
import { pickServer, selectServers, type SelectionCriteria } from '../selection/select-servers.js';
import { explainNoSuitableServer } from '../selection/explain.js';
import type { ServerDescription } from './server-description.js';
import { ServerType } from './server-description.js';
import type { TopologyDescription } from './topology-description.js';
import { TopologyType } from './topology-description.js';
import { applyServerDescription } from './apply.js';
import { assertNever } from '../util/assert-never.js';
import { handleApplicationError, handleCheckFailure } from './application-errors.js';
import { diffTopologyDescriptions, emptyTopologyDescription, SdamEventType } from './diff.js';
import { newServerDescription } from './server-description.js';
import { newTopologyDescription } from './topology-description.js';
import { sleep, wakeAll } from '../util/sleep.js';
import {
  Monitor,
  ServerMonitoringMode,
  pollsHeartbeats,
  type HeartbeatEvents,
  type MonitorCheckResult,
} from './monitor.js';

export interface TopologyEvents extends HeartbeatEvents {
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
}
export type TopologyEventName = keyof TopologyEvents;

export interface TopologyOptions {
  seeds: readonly string[];
  replicaSet?: string | undefined;
  directConnection?: boolean | undefined;
  loadBalanced?: boolean | undefined;
  heartbeatFrequencyMS: number;
  /** Default 500. */
  minHeartbeatFrequencyMS?: number;
  localThresholdMS: number;
  serverSelectionTimeoutMS: number;
  connectTimeoutMS: number;
  /** Default auto. */
  serverMonitoringMode?: ServerMonitoringMode;
  /** Settings for monitoring connections (transport, tls, appName, serverApi). */
  connectOptions: Omit<ConnectOptions, 'address' | 'monitoring'>;
  connect: (options: ConnectOptions) => Promise<Connection>;
  createPool: (address: string) => ConnectionPool;
  emit: <K extends TopologyEventName>(name: K, event: TopologyEvents[K]) => void;
  now?: () => number;
  random?: () => number;
}

/** A server as the topology holds it: its description, pool, monitor, and load. */
export interface Server {
  description: ServerDescription;
  /** Created with the monitor (see MONITOR_START_BATCH), or on first use if that comes earlier. */
  readonly pool: ConnectionPool;
  /**
   * Undefined in load-balanced mode, and until the topology gets to it: monitors are
   * created and started MONITOR_START_BATCH per turn of the event loop.
   */
  readonly monitor: Monitor | undefined;
  /** Operations in flight (server selection prefers the less loaded of two). */
  operationCount: number;
  readonly address: string;
}

/**
 * A runtime's I/O scope (a Workers request): an object the transport hands out, compared
 * by identity (Transport.ioScope). Undefined where I/O has no scopes.
 */
export type IoScope = object | undefined;

/** What an operation may do with a topology within one I/O scope (Topology.enterIoScope). */
export interface ScopedTopology {
  readonly description: TopologyDescription;
  selectServer(criteria: SelectionCriteria, options?: { signal?: AbortSignal; timeoutMS?: number }): Promise<Server>;
  getServer(address: string): Server | undefined;
}

/** An operation's hold on its scope's servers; release() when the operation ends. */
export interface IoScopeLease {
  readonly topology: ScopedTopology;
  release(): void;
}

/**
 * One I/O scope's servers (pools and monitors). Scopes share the description (what was
 * learned); their sockets are their own, so one request's sockets never serve another.
 */
interface IoSet {
  readonly servers: Map<string, MutableServer>;
  /** Operations running in this scope (a set with none may be closed when another scope starts). */
  leases: number;
  /**
   * Servers whose monitors wait (a later scope's set, made from a known description): they
   * start when a selection in the scope has to wait, or when its first operation ends, so
   * they never compete with that operation's connect.
   */
  deferred: MutableServer[];
  /**
   * Servers whose monitor is not started yet (see MONITOR_START_BATCH), in discovery order.
   * One queue per set, drained by a timer the set's own scope made: a timer belongs to the
   * request that set it (Workers), and the monitors it starts open their sockets there.
   */
  unstarted: MutableServer[];
  /** The set's timer that drains `unstarted` next turn is pending. */
  startScheduled: boolean;
}

/** The events that carry the topologyId, without it. */
type OwnEvent<K extends Exclude<TopologyEventName, keyof HeartbeatEvents>> = Omit<TopologyEvents[K], 'topologyId'>;

let nextTopologyId = 1;

/**
 * Monitors created and started per turn of the event loop. A hello may list thousands
 * of members: a monitor each at once (an AbortController, a connect) would block the
 * loop, and with it every selection's timeout; the rest start in later turns, this
 * many at a time, each with its pool (a pool per member at once costs as much again).
 * The servers themselves (description, serverOpening) exist at once.
 */
export const MONITOR_START_BATCH = 64;

export class Topology {
  readonly topologyId = nextTopologyId++;
  #td: TopologyDescription;
  readonly #options: TopologyOptions;
  /**
   * Servers per I/O scope. The set of scope `undefined` is made with the topology; the
   * first real scope adopts it (its sockets were opened in that scope's request).
   */
  readonly #sets = new Map<IoScope, IoSet>([[undefined, newIoSet()]]);
  /** True once a scope (`undefined` included) entered the initial set: no other adopts it then. */
  #initialClaimed = false;
  /** Wakes the selections waiting for a change. */
  readonly #waiters = new Set<() => void>();
  /** Monitors this turn may still start; a set's timer restores it (and drains its IoSet.unstarted) next turn. */
  #startBudget = MONITOR_START_BATCH;
  /** Monitors and pools of servers removed from the description, until they are closed. */
  #closing: Promise<unknown> = Promise.resolve();
  #state: 'new' | 'open' | 'closed' = 'new';
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(options: TopologyOptions) {
    // `auto` resolved once (it probes the runtime), not once per monitor of a large set.
    const mode = pollsHeartbeats(options.serverMonitoringMode) ? ServerMonitoringMode.poll : ServerMonitoringMode.stream;
    this.#options = { ...options, serverMonitoringMode: mode };
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#td = newTopologyDescription({ ...options, setName: options.replicaSet });
  }

  /** A snapshot of the current description. */
  get description(): TopologyDescription {
    return this.#td;
  }

  get isClosed(): boolean {
    return this.#state === 'closed';
  }

  /** Start monitoring the seeds. Returns at once; selection waits for discovery. */
  open(): void {
    if (this.#state !== 'new') return;
    this.#state = 'open';
    this.#emit('topologyOpening', {});
    const initial = this.#td;
    this.#td = emptyTopologyDescription(initial);
    this.#commit(initial);
    if (initial.type === TopologyType.LoadBalanced) {
      // Load-balanced mode: no monitoring; the server is a LoadBalancer from the start.
      for (const address of initial.servers.keys()) {
        this.#applyDescription(newServerDescription(address, { ok: 1 }, { now: this.#now(), loadBalancer: true }));
      }
    }
  }

  /** Select a server for an operation, waiting up to serverSelectionTimeoutMS. */
  async selectServer(criteria: SelectionCriteria, options: { signal?: AbortSignal; timeoutMS?: number; ioScope?: IoScope } = {}): Promise<Server> {
    if (this.#state === 'new') this.open();
    const scope = options.ioScope;
    const timeoutMS = options.timeoutMS ?? this.#options.serverSelectionTimeoutMS;
    const deadline = this.#now() + timeoutMS;
    for (;;) {
      if (this.isClosed) throw new MongoTopologyClosedError();
      // Throws at once for criteria the topology can never satisfy (validateSelection).
      const chosen = pickServer(
        selectServers(this.#td, criteria),
        (address) => this.#sets.get(scope)?.servers.get(address)?.operationCount ?? 0,
        this.#random,
      );
      const server = chosen && this.#serverIn(scope, chosen.address);
      if (server) return server;
      const remaining = deadline - this.#now();
      if (remaining <= 0) {
        throw new MongoServerSelectionError(
          `Server selection timed out after ${timeoutMS} ms: ${explainNoSuitableServer(this.#td, criteria)}`,
          this.#td,
          { cause: [...this.#td.servers.values()].find((sd) => sd.error)?.error },
        );
      }
      this.#startDeferred(this.#sets.get(scope));
      this.requestCheckAll(scope);
      await sleep(remaining, this.#waiters, options.signal);
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    }
  }

  /** Ask every monitor (of `scope`) for an immediate check (e.g. while a selection waits). */
  requestCheckAll(scope: IoScope = undefined): void {
    for (const s of this.#sets.get(scope)?.servers.values() ?? []) s.monitor?.requestCheck();
  }

  /**
   * Report an error an operation got from a server (the SDAM spec's application
   * error handling): may mark the server Unknown, clear its pool, request a check.
   */
  handleError(
    address: string,
    error: unknown,
    context: {
      connectionGeneration: number;
      beforeHandshake?: boolean;
      serviceId?: unknown;
      /** The pool of the failed connection (each I/O scope has its own); default: the first scope's. */
      pool?: ConnectionPool;
    },
  ): void {
    const servers = this.#serversAt(address);
    if (servers.length === 0 || this.isClosed) return;
    // The runtime refused a socket of another request: says nothing about the server (enterIoScope).
    if (error instanceof MongoRequestScopeError) return;
    const result = handleApplicationError(this.#td, {
      address,
      error,
      generation: context.connectionGeneration,
      poolGeneration: (context.pool ?? servers[0]!.pool).generation,
      beforeHandshake: context.beforeHandshake,
      now: this.#now(),
    });
    this.#commit(result.topologyDescription);
    if (result.clearPool) {
      // Load-balanced mode: the pool is never paused; the failing connection's service is
      // cleared, when its handshake told it (CMAP clear(serviceId)).
      for (const server of servers) {
        if (this.#td.type !== TopologyType.LoadBalanced) server.pool.clear({ interruptInUseConnections: result.interruptInUseConnections });
        else if (context.serviceId !== undefined) server.pool.clear({ serviceId: context.serviceId });
      }
    }
    // Network errors cancel the check in flight and close the monitoring connection, but
    // MUST NOT request an immediate check (SDAM "Network error when reading or writing");
    // a selection that needs the server requests one. State change errors request one.
    for (const server of servers) {
      if (result.cancelCheck) server.monitor?.cancelCheck();
      if (result.requestImmediateCheck) server.monitor?.requestCheck({ interruptAwaited: true });
    }
  }

  /**
   * Enter the I/O scope `scope` (a Workers request, whose runtime refuses the sockets of
   * another) for one operation. Each scope has its own servers (pools and monitors); what
   * was learned is shared: the description (the primary, RTTs, versions), so a new
   * scope's first selection needs no rediscovery. A new scope closes, without waiting
   * (their sockets may refuse even that), the sets of other scopes with no operation
   * running; a set in use stays until a later new scope finds it idle, so overlapping
   * requests never tear down each other's operations. No SDAM events: the servers did
   * not change.
   */
  enterIoScope(scope: IoScope): IoScopeLease {
    let set = this.#sets.get(scope);
    if (!set && !this.#initialClaimed && this.#sets.has(undefined)) {
      // The first scope: the servers made so far were made in its request.
      set = this.#sets.get(undefined)!;
      this.#sets.delete(undefined);
      this.#sets.set(scope, set);
    }
    this.#initialClaimed = true;
    if (!set) {
      set = newIoSet();
      for (const [other, idle] of [...this.#sets]) {
        if (idle.leases > 0) continue;
        this.#sets.delete(other);
        idle.unstarted = [];
        for (const server of idle.servers.values()) closeServer(server).catch(() => undefined);
      }
      this.#sets.set(scope, set);
      if (this.#state === 'open') for (const address of this.#td.servers.keys()) this.#addServerTo(set, address, { defer: true });
    }
    const held = set;
    held.leases++;
    let released = false;
    const get = (): TopologyDescription => this.#td;
    const view: ScopedTopology = {
      get description() {
        return get();
      },
      selectServer: (criteria, options = {}) => this.selectServer(criteria, { ...options, ioScope: scope }),
      getServer: (address) => this.getServer(address, scope),
    };
    return {
      topology: view,
      release: () => {
        if (released) return;
        released = true;
        held.leases--;
        this.#startDeferred(held);
      },
    };
  }

  getServer(address: string, scope: IoScope = undefined): Server | undefined {
    return this.#serverIn(scope, address);
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    wakeAll(this.#waiters);
    const closing = [this.#closing];
    for (const set of this.#sets.values()) {
      set.unstarted = [];
      for (const [address, server] of set.servers) {
        closing.push(closeServer(server));
        if (wasOpen && set === this.#announcing()) this.#emit('serverClosed', { address });
      }
      set.servers.clear();
    }
    await Promise.all(closing);
    if (wasOpen) {
      const previous = this.#td;
      this.#td = { ...previous, type: TopologyType.Unknown, servers: new Map() };
      this.#emit('topologyDescriptionChanged', { previousDescription: previous, newDescription: this.#td });
      this.#emit('topologyClosed', {});
    }
  }

  // ---------------------------------------------------------------- internals

  /** Starts the monitors `set` deferred (IoSet.deferred), unless the set was closed meanwhile. */
  #startDeferred(set: IoSet | undefined): void {
    if (!set || set.deferred.length === 0 || this.isClosed) return;
    set.unstarted.push(...set.deferred.splice(0));
    this.#startMonitors(set);
  }

  /** The servers at `address`, one per I/O scope. */
  #serversAt(address: string): MutableServer[] {
    const found: MutableServer[] = [];
    for (const set of this.#sets.values()) {
      const server = set.servers.get(address);
      if (server) found.push(server);
    }
    return found;
  }

  /** The server at `address` in `scope`'s set; a scope without a set gets one (enterIoScope). */
  #serverIn(scope: IoScope, address: string): MutableServer | undefined {
    if (!this.#sets.has(scope) && !this.isClosed) this.enterIoScope(scope).release();
    return this.#sets.get(scope)?.servers.get(address);
  }

  /** The set whose servers' serverClosed events close() publishes (once per address). */
  #announcing(): IoSet | undefined {
    return this.#sets.values().next().value;
  }

  /** Publishes one of this topology's SDAM events (they carry its topologyId first). */
  #emit<K extends Exclude<TopologyEventName, keyof HeartbeatEvents>>(name: K, event: OwnEvent<K>): void {
    this.#options.emit(name, { topologyId: this.topologyId, ...event } as TopologyEvents[K]);
  }

  /**
   * A server of the description was added: to every scope's set (announced once). Its monitor
   * starts now only in `origin`, the set whose own scope is running (the monitor that found
   * it); the other sets' wait for their scope (IoSet.deferred), whose request would not own
   * sockets opened now. Without an origin (one set, or no monitor behind it): every set now.
   */
  #addServer(address: string, origin: IoSet | undefined): void {
    if (this.isClosed) return;
    this.#emit('serverOpening', { address });
    for (const set of this.#sets.values()) this.#addServerTo(set, address, { defer: origin !== undefined && set !== origin });
  }

  #addServerTo(set: IoSet, address: string, { defer = false } = {}): void {
    if (set.servers.has(address) || this.isClosed) return;
    // Only called for servers of the current description.
    const sd = this.#td.servers.get(address)!;
    const createPool = this.#options.createPool;
    let pool: ConnectionPool | undefined;
    const server: MutableServer = {
      description: sd,
      get pool() {
        return (pool ??= createPool(address));
      },
      get poolCreated() {
        return pool !== undefined;
      },
      monitor: undefined,
      operationCount: 0,
      get address() {
        return this.description.address;
      },
    };
    set.servers.set(address, server);
    // Within this turn's budget the pool comes first, as it always did (CMAP's poolCreated before serverOpening).
    if (this.#startBudget > 0 || this.#td.type === TopologyType.LoadBalanced) void server.pool;
    if (readiesPool(sd)) server.pool.ready();
    if (this.#td.type !== TopologyType.LoadBalanced) {
      if (defer) {
        set.deferred.push(server);
        return;
      }
      set.unstarted.push(server);
      this.#startMonitors(set);
    }
  }

  /**
   * Creates and starts the monitors of up to MONITOR_START_BATCH of `set`'s queued servers
   * now, the rest in later turns from a timer of the caller's, who runs in the set's scope
   * (its first operation, a selection waiting in it, or the monitor that found the servers):
   * another set's timer would open them in another request. Servers removed (or whose I/O
   * scope was closed) meanwhile are skipped.
   */
  #startMonitors(set: IoSet): void {
    const count = Math.min(this.#startBudget, set.unstarted.length);
    if (count > 0) {
      const batch = set.unstarted.length === count ? set.unstarted : set.unstarted.slice(0, count);
      set.unstarted = set.unstarted.length === count ? [] : set.unstarted.slice(count);
      this.#startBudget -= count;
      for (const server of batch) {
        if (set.servers.get(server.address) !== server || this.isClosed) continue;
        const address = server.address;
        void server.pool; // created before its monitor, as when servers were few
        server.monitor = new Monitor({ ...this.#options, address, now: this.#now, onCheck: (result) => this.#onMonitorCheck(address, result, set) });
        server.monitor.start();
      }
    }
    if (this.#startBudget > 0 || set.startScheduled || set.unstarted.length === 0 || this.isClosed) return;
    set.startScheduled = true;
    void sleep(0).then(() => {
      set.startScheduled = false;
      this.#startBudget = MONITOR_START_BATCH;
      if (!this.isClosed) this.#startMonitors(set);
    });
  }

  /** A check by the monitor of `address` in `set` (so the set whose scope runs now). */
  #onMonitorCheck(address: string, result: MonitorCheckResult, set: IoSet): void {
    if (this.#state !== 'open' || !this.#td.servers.has(address)) return;
    if (result.reply) {
      this.#applyDescription(newServerDescription(address, result.reply, { ...result, now: this.#now() }), set);
      return;
    }
    // A failed check marks the server Unknown and clears its pool (the spec runner applies the same function).
    const failure = handleCheckFailure(this.#td, { address, error: result.error });
    this.#commit(failure.topologyDescription);
    if (failure.clearPool) for (const server of this.#serversAt(address)) server.pool.clear({ interruptInUseConnections: failure.interruptInUseConnections });
  }

  #applyDescription(sd: ServerDescription, origin?: IoSet): void {
    const result = applyServerDescription(this.#td, sd);
    this.#commit(result.topologyDescription, origin);
    // Former primaries replaced by a newer one: re-check them now (and clear pre-4.2 pools).
    for (const { address, clearPool } of result.invalidatedPrimaries) {
      for (const server of this.#serversAt(address)) {
        if (clearPool) server.pool.clear();
        server.monitor?.requestCheck();
      }
    }
  }

  /**
   * Swap the snapshot, diff, emit, start/stop servers, ready pools, wake waiters. `origin`:
   * the set whose monitor's check this is (#addServer starts monitors in it alone).
   */
  #commit(next: TopologyDescription, origin?: IoSet): void {
    const previous = this.#td;
    if (next === previous) return;
    this.#td = next;
    for (const [address, sd] of next.servers) {
      for (const server of this.#serversAt(address)) {
        server.description = sd;
        if (readiesPool(sd)) server.pool.ready();
      }
    }
    for (const event of diffTopologyDescriptions(previous, next).events) {
      switch (event.type) {
        case SdamEventType.serverOpening:
          this.#addServer(event.address, origin); // emits serverOpening itself, before its pool and monitor start
          continue;
        case SdamEventType.serverClosed: {
          for (const set of this.#sets.values()) {
            const server = set.servers.get(event.address);
            if (!server) continue;
            set.servers.delete(event.address);
            this.#closing = Promise.all([this.#closing, closeServer(server)]);
          }
          break;
        }
        case SdamEventType.serverDescriptionChanged:
        case SdamEventType.topologyDescriptionChanged:
          break;
        default:
          assertNever(event);
      }
      const { type, ...payload } = event;
      this.#emit(type, payload);
    }
    wakeAll(this.#waiters);
  }
}

/**
 * Whether a server's description makes its pool ready: a type its own monitor found. A
 * PossiblePrimary is only what another member's reply says (SDAM): its pool stays paused
 * until its monitor answers, else a pool cleared by a failed check would be readied (and
 * cleared again: a second poolClearedEvent) by a secondary's heartbeat.
 */
function readiesPool(sd: ServerDescription): boolean {
  return sd.type !== ServerType.Unknown && sd.type !== ServerType.PossiblePrimary;
}

function newIoSet(): IoSet {
  return { servers: new Map(), leases: 0, deferred: [], unstarted: [], startScheduled: false };
}

/** A Server as the topology builds it: its monitor comes later (#startMonitors). */
type MutableServer = Omit<Server, 'monitor'> & { monitor: Monitor | undefined; readonly poolCreated: boolean };

function closeServer(server: Server): Promise<unknown> {
  // A server removed before the topology got to it has no pool to close (and gets none).
  const pool = (server as MutableServer).poolCreated === false ? undefined : server.pool;
  return Promise.all([server.monitor?.close(), pool?.close()]);
}
