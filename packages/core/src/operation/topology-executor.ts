/**
 * The OperationExecutor behind MongoClient (its default `executorFactory`): it owns
 * the SDAM Topology and composes the one-job modules beside it:
 *   srv-seeds.ts           mongodb+srv seed list (before the topology exists)
 *   tls-files.ts           TLS material
 *   pool-wiring.ts         connect settings and one CMAP pool per server
 *   retry.ts               server selection and the one retry (retryability.ts's rules)
 *   decorate-command.ts    lsid, txnNumber, $clusterTime, $readPreference, Stable API
 *   cluster-time.ts        the client-wide $clusterTime gossip
 *   command-monitoring.ts  commandStarted / Succeeded / Failed with the wire requestId
 * What stays here is one attempt on one server: check a connection out, send, report
 * errors to SDAM, hand replies to the session, always check the connection in.
 */
import {
  MongoAuthError,
  MongoErrorLabel,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoRequestScopeError,
  MongoServerError,
  MongoTopologyClosedError,
  type Document,
} from '../errors.js';
import type { Authenticator } from '../connection/auth-hook.js';
import { lazyAuthenticator } from '../connection/auth/lazy.js';
import { formatAddress } from '../connection/address.js';
import { connect as wireConnect } from '../connection/connect.js';
import type { ConnectOptions, Connection, ConnectionPool } from '../connection/types.js';
import type { DriverInfo } from '../connection/metadata.js';
import { ReadPreference } from '../selection/read-preference.js';
import { SelectionOperation } from '../selection/select-servers.js';
import { DATA_BEARING_SERVER_TYPES, ServerType, newServerDescription } from '../sdam/server-description.js';
import { Topology, type IoScope, type IoScopeLease, type ScopedTopology, type Server, type TopologyEvents } from '../sdam/topology.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import type { Transport, TransportTlsOptions } from '../transport/transport.js';
import type { MongoClientOptions, MongoOptions } from '../uri/client-options.js';
import { ClusterTimeGossip } from './cluster-time.js';
import type { monitorCommand } from './command-events.js';
import { unmonitoredCommand, type CommandEventEmitter } from './command-monitoring.js';
import { loadCold } from '../cold/load.js';
import { decorateCommand } from './decorate-command.js';
import { DEFAULT_WIRE_LIMITS, type ExecuteOptions, type ExecuteResult, type ExecutorFactory, type ManagedOperationExecutor, type TransactionStatement, type WireLimits } from './executor.js';
import { baseConnectOptions, createServerPool, type ConnectFunction } from './pool-wiring.js';
import { executeWithRetry, type RetryableOperation } from './retry.js';
import { resolveSeeds } from './srv-seeds.js';
import { MongoWaitQueueTimeoutError } from '../pool/errors.js';
import { commandMaxTimeMS, monotonicNow, operationTimeoutError, stepLimit, type Timeout } from './timeout.js';
import { loadTlsOptions } from './tls-files.js';

export type { CommandStartedEvent, CommandSucceededEvent, CommandFailedEvent } from './command-monitoring.js';

export interface TopologyExecutorOptions {
  options: MongoOptions;
  /** Defaults to `options.transport`. */
  transport?: Transport | undefined;
  /** The connection string and code options, to re-resolve after SRV lookup. */
  url?: string;
  userOptions?: Readonly<MongoClientOptions>;
  /** TLS material already loaded (PEM text); else read through `options.tlsFileReader`. */
  tls?: TransportTlsOptions | undefined;
  /** Defaults to SCRAM/PLAIN/X.509 (connection/auth) when credentials are given. */
  authenticator?: Authenticator | undefined;
  emit(event: string, payload: unknown): void;
  /**
   * Where an error thrown by a listener of an SDAM or CMAP event goes; default: rethrown
   * from a microtask (an uncaught error). See `backgroundEvents`.
   */
  reportListenerError?: (error: unknown) => void;
  /** Injected for tests; defaults to the wire connect(). */
  connect?: (options: ConnectOptions) => Promise<Connection>;
}

/** The default ExecutorFactory: what `new MongoClient(url, { transport })` runs on. */
export const topologyExecutorFactory: ExecutorFactory = (ctx) =>
  new TopologyExecutor({ options: ctx.mongoOptions, url: ctx.url, userOptions: ctx.options, emit: ctx.emit });

export class TopologyExecutor implements ManagedOperationExecutor {
  readonly #config: TopologyExecutorOptions;
  #current: Topology | undefined;
  #opts: MongoOptions;
  readonly #clusterTime = new ClusterTimeGossip();
  #closed = false;
  /**
   * The openings in flight (#open), by I/O scope: one, under scope undefined, on a transport
   * without ioScope() (Node, Deno, browsers); one per request where I/O is request-scoped
   * (Workers), so that no request waits on a promise another request's I/O settles (the
   * SRV lookup's fetch, a TLS file read): that request may end first and its I/O with it.
   * The first to settle decides for the client (#settleOpening); the others' work is dropped.
   */
  readonly #openings = new Map<IoScope, Promise<Topology>>();
  /** The first opening failed: every later call gets its error, as the shared opening gave it. */
  #openingFailure: { readonly error: unknown } | undefined;
  /** The transport this executor made (from a factory) and closes. */
  #ownedTransport: Transport | undefined;
  /** The transport in use (owned or the caller's). */
  #transportInUse: Transport | undefined;
  /** The I/O scope of a transport without ioScope(): replaced when it reports a change or a refusal. */
  #fallbackScope: IoScope = undefined;
  /** Load-balanced mode: the limits of the last connection handshake (a LoadBalancer description has none). */
  #handshakeLimits: WireLimits | undefined;
  /** "host:port" of the server that answered the most recent operation. */
  lastAddress: string | undefined;
  /**
   * The handshake's driver info: the client's `driverInfo`, then each appendMetadata. Every
   * connection's options share this array, so connections opened after an append carry it.
   */
  readonly #driverInfo: DriverInfo[];
  /** monitorCommands: the events' maker (command-events.ts), loaded with the topology. */
  #monitorCommand: typeof monitorCommand | undefined;

  constructor(config: TopologyExecutorOptions) {
    this.#config = config;
    this.#opts = config.options;
    this.#driverInfo = config.options.driverInfo ? [config.options.driverInfo] : [];
  }

  appendMetadata(info: DriverInfo): void {
    const same = (a: DriverInfo): boolean => a.name === info.name && a.version === info.version && a.platform === info.platform;
    if (!this.#driverInfo.some(same)) this.#driverInfo.push({ ...info });
  }

  /** Request-scoped I/O (the transport has ioScope()): each request opens and selects on its own I/O. */
  get connectsPerRequest(): boolean {
    return typeof this.#transport()?.ioScope === 'function';
  }

  /** The live topology; throws before connect(). */
  get topology(): Topology {
    if (!this.#current) throw new MongoTopologyClosedError('the client is not connected');
    return this.#current;
  }

  /** Resolve SRV, load TLS files, build the Topology (once per client; see #openings). */
  async #ensureTopology(): Promise<Topology> {
    if (this.#current) return this.#current;
    if (this.#openingFailure) throw this.#openingFailure.error;
    // Made now (not after the SRV lookup), so close() meanwhile closes it and no opening makes another.
    const transport = this.#transport();
    const scope = transport?.ioScope ? await transport.ioScope() : undefined;
    if (this.#current) return this.#current;
    let opening = this.#openings.get(scope);
    if (!opening) {
      opening = this.#open();
      this.#openings.set(scope, opening);
    }
    return opening;
  }

  /** One opening: its own SRV lookup and TLS files; the first to settle decides (one Topology per client). */
  async #open(): Promise<Topology> {
    let built: { topology: Topology; options: MongoOptions } | undefined;
    let failure: { error: unknown } | undefined;
    try {
      built = await this.#buildTopology();
    } catch (error) {
      failure = { error };
    }
    // Close meanwhile: nothing was started (a Topology does no I/O before open()), so nothing to close.
    if (this.#closed) throw new MongoTopologyClosedError();
    // Another request's opening settled first: its outcome is the client's.
    if (!this.#current && !this.#openingFailure) {
      this.#openings.clear();
      if (failure) this.#openingFailure = failure;
      else {
        this.#opts = built!.options;
        this.#current = built!.topology;
      }
    }
    if (this.#current) return this.#current;
    throw this.#openingFailure!.error;
  }

  async #buildTopology(): Promise<{ topology: Topology; options: MongoOptions }> {
    const config = this.#config;
    const o = await resolveSeeds(this.#opts, config.url ?? '', config.userOptions ?? {});
    const transport = (this.#transportInUse = this.#transport());
    if (typeof transport?.connect !== 'function') {
      throw new MongoInvalidArgumentError('No transport: pass `transport` or use @mongo-edge/core/node');
    }
    const connect: ConnectFunction = config.connect ?? wireConnect;
    const tls = await loadTlsOptions(o, config.tls);
    // monitorCommands: the events' code loads now, before any operation (cold/index.ts)
    if (o.monitorCommands) this.#monitorCommand = (await loadCold()).monitorCommand;
    const authenticator = config.authenticator ?? (o.credentials ? lazyAuthenticator() : undefined);
    const base = { ...baseConnectOptions(o, transport, tls, authenticator), driverInfo: this.#driverInfo };
    const emitBackground = backgroundEvents(config.emit, config.reportListenerError);
    const topology: Topology = new Topology({
      // The SDAM settings, by their connection-string names.
      ...o,
      seeds: o.hosts.map((h) => formatAddress(h.host, h.port)),
      connectOptions: { ...base, credentials: undefined },
      connect,
      emit: (name, event) => {
        if (name === 'serverHeartbeatSucceeded') this.#clusterTime.observe((event as TopologyEvents['serverHeartbeatSucceeded']).reply);
        emitBackground(name, event);
      },
      createPool: (address) => {
        const pool: ConnectionPool = createServerPool({
          address,
          options: o,
          base,
          connect,
          onEstablishError: (error, generation) => topology.handleError(address, error, { connectionGeneration: generation, beforeHandshake: true, pool }),
          emit: emitBackground,
        });
        return pool;
      },
    });
    return { topology, options: o };
  }

  /**
   * The transport: `config.transport`, else `options.transport`. A Transport object is
   * the caller's and is never closed here; a function is a factory whose product this
   * executor owns (made once, closed by close()), which is how the runtime entries
   * (runtime/<platform>/index.ts) give a client its default transport.
   */
  #transport(): Transport | undefined {
    const given = this.#config.transport ?? (this.#opts.transport as Transport | (() => Transport) | undefined);
    if (typeof given !== 'function' || typeof (given as Partial<Transport>).connect === 'function') return given as Transport | undefined;
    return (this.#ownedTransport ??= (given as () => Transport)());
  }

  async connect(): Promise<void> {
    // selectServer() opens the topology. As the official driver: connect() succeeds once any
    // data-bearing member is selectable.
    (await this.#enterIoScope({ select: true })).release();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // The shared opening of an unscoped transport (as before). A request-scoped one's openings
    // are their requests' I/O, not waited on here: each ends in MongoTopologyClosedError.
    await this.#openings.get(undefined)?.catch(() => undefined);
    await this.#current?.close();
    await this.#ownedTransport?.close?.();
  }

  limits(): WireLimits {
    const td = this.#current?.description;
    if (td?.type === TopologyType.LoadBalanced) return this.#handshakeLimits ?? DEFAULT_WIRE_LIMITS;
    for (const sd of td?.servers.values() ?? []) {
      if (sd.type === ServerType.RSPrimary || (DATA_BEARING_SERVER_TYPES.has(sd.type) && td!.type !== TopologyType.ReplicaSetWithPrimary)) {
        return sd; // its maxBsonObjectSize, maxMessageSizeBytes and maxWriteBatchSize
      }
    }
    return DEFAULT_WIRE_LIMITS;
  }

  logicalSessionTimeoutMinutes(): number | null {
    return this.#current?.description.logicalSessionTimeoutMinutes ?? null;
  }

  /** The current topology description (undefined before connect()). */
  get description(): TopologyDescription | undefined {
    return this.#current?.description;
  }

  async execute(db: string, command: Document, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    let lease = await this.#enterIoScope({ select: !this.#current });
    try {
      try {
        return await this.#execute(lease.topology, db, command, options);
      } catch (e) {
        // The runtime refused sockets opened while serving another request (Workers) that
        // the transport could not tell from this one: nothing was sent. New I/O for this
        // request (the old set is closed once idle) and the operation again.
        if (!(e instanceof MongoRequestScopeError) || this.#closed || !this.#current) throw e;
        lease.release();
        this.#fallbackScope = {};
        lease = this.#current.enterIoScope(this.#fallbackScope);
        return await this.#execute(lease.topology, db, command, options);
      }
    } finally {
      lease.release();
    }
  }

  /**
   * The operation's hold on the servers of its I/O scope (Topology.enterIoScope): the
   * transport's scope (Transport.ioScope), else a new one each time the transport reports
   * a change (Transport.ioScopeChanged). The first operation waits for a selectable
   * server, as connect() does.
   */
  async #enterIoScope({ select }: { select: boolean }): Promise<IoScopeLease> {
    if (this.#closed) throw new MongoTopologyClosedError();
    const topology = await this.#ensureTopology();
    const transport = this.#transportInUse;
    let scope: IoScope;
    if (transport?.ioScope) scope = await transport.ioScope();
    else {
      if (await transport?.ioScopeChanged?.()) this.#fallbackScope = {};
      scope = this.#fallbackScope;
    }
    const lease = topology.enterIoScope(scope);
    if (select) {
      try {
        await lease.topology.selectServer({ readPreference: ReadPreference.primaryPreferred, operation: 'read' });
      } catch (e) {
        lease.release();
        throw e;
      }
    }
    return lease;
  }

  async #execute(topology: ScopedTopology, db: string, command: Document, options: ExecuteOptions): Promise<ExecuteResult> {
    if (this.#closed) throw new MongoTopologyClosedError();
    if (options.pinnedServer) {
      const server = topology.getServer(options.pinnedServer);
      if (!server) throw new MongoNetworkError(`the cursor's server ${options.pinnedServer} left the topology`);
      return this.#runOn(server, db, command, options, undefined);
    }
    if (options.transaction) return this.#runTransactionCommand(topology, db, command, options, options.transaction);
    return executeWithRetry({
      ...this.#retrySettings(),
      topology,
      options,
      attempt: (server, txnNumber) => this.#runOn(server, db, command, options, txnNumber),
    });
  }

  /** The client's retry options (Retryable Reads / Writes, Client Backpressure). */
  #retrySettings(): Pick<RetryableOperation, 'retryReads' | 'retryWrites' | 'maxAdaptiveRetries' | 'enableOverloadRetargeting' | 'serverSelectionTimeoutMS'> {
    const o = this.#opts;
    return {
      retryReads: o.retryReads,
      retryWrites: o.retryWrites,
      maxAdaptiveRetries: o.maxAdaptiveRetries,
      enableOverloadRetargeting: o.enableOverloadRetargeting,
      serverSelectionTimeoutMS: o.serverSelectionTimeoutMS,
    };
  }

  /**
   * A command of a transaction: no retryable read or write (the client layer retries commit
   * and abort), only the Client Backpressure overload retries, each on the pinned mongos if
   * any; on a sharded cluster the selected mongos is pinned.
   */
  async #runTransactionCommand(topology: ScopedTopology, db: string, command: Document, options: ExecuteOptions, txn: TransactionStatement): Promise<ExecuteResult> {
    const operation = options.retryable === 'write' || txn.kind === 'end' ? SelectionOperation.write : SelectionOperation.read;
    const select = async (deprioritized: readonly string[], timeoutMS: number | undefined): Promise<Server> => {
      if (txn.pinnedServer !== undefined) {
        const pinned = topology.getServer(txn.pinnedServer);
        if (!pinned) throw new MongoNetworkError(`the transaction's mongos ${txn.pinnedServer} left the topology`);
        return pinned;
      }
      const server = await topology.selectServer(
        { readPreference: options.readPreference, operation, deprioritized: [...deprioritized] },
        timeoutMS === undefined ? { signal: options.signal } : { signal: options.signal, timeoutMS },
      );
      if (topology.description.type === TopologyType.Sharded) txn.pin?.(server.address);
      return server;
    };
    return executeWithRetry({
      ...this.#retrySettings(),
      topology,
      options,
      inTransaction: true,
      select,
      attempt: (server) => this.#runOn(server, db, command, options, undefined),
    });
  }

  /** One attempt on one server. Reports errors to SDAM; always checks the connection in. */
  async #runOn(server: Server, db: string, command: Document, options: ExecuteOptions, txnNumber: unknown): Promise<ExecuteResult> {
    const address = server.address;
    // Errors go to SDAM, which ignores those without an effect on the topology.
    const report = (e: unknown, connectionGeneration: number, beforeHandshake: boolean, serviceId?: unknown): void => {
      if (e instanceof MongoNetworkError || e instanceof MongoServerError || e instanceof MongoAuthError) {
        this.#current!.handleError(address, e, { connectionGeneration, beforeHandshake, serviceId, pool: server.pool });
      }
    };
    const poolGeneration = server.pool.generation;
    const timeout = options.timeout;
    // CSOT: checkout waits for the remaining time (waitQueueTimeoutMS no longer applies).
    const checkOutLimit = stepLimit(timeout, monotonicNow(), 0, false);
    let conn: Connection;
    try {
      conn = await server.pool.checkOut(options.csot ? { signal: options.signal, timeoutMS: checkOutLimit.timeoutMS } : { signal: options.signal });
    } catch (e) {
      // An establishment error reached SDAM already, from the pool (onEstablishError, before
      // the connection was closed); reported again here it is stale (the pool's generation
      // moved on if it was cleared) and ignored. Other checkout errors are reported here.
      report(e, poolGeneration, true);
      if (e instanceof MongoNetworkError) e.addErrorLabel(MongoErrorLabel.NoWritesPerformed);
      if (timeout && checkOutLimit.byDeadline && e instanceof MongoWaitQueueTimeoutError) throw operationTimeoutError(timeout, 'connection checkout', e);
      throw e;
    }
    server.operationCount++;
    try {
      const full = decorateCommand({
        command,
        topology: this.#current!.description,
        server: server.description,
        options,
        txnNumber,
        clusterTime: this.#clusterTime.current,
        serverApi: this.#opts.serverApi,
      });
      if (options.csot) applyCsot(full, options, timeout, server.description.minRoundTripTime ?? 0);
      // CSOT: the reply is awaited for the remaining time (socketTimeoutMS no longer applies).
      const replyLimit = stepLimit(timeout, monotonicNow(), 0, false);
      const monitored = this.#monitorCommand
        ? this.#monitorCommand(this.#config.emit as CommandEventEmitter, { databaseName: db, command: full, sequences: options.sequences, address, connectionId: conn.id, hello: conn.hello })
        : unmonitoredCommand();
      let reply: Document;
      try {
        reply = await conn.command(db, full, {
          sequences: options.sequences,
          moreToCome: options.moreToCome,
          signal: options.signal,
          requestId: monitored.requestId,
          ignoreUndefined: options.ignoreUndefined,
          deserialize: options.deserialize,
          pipelineSafe: options.retryable === 'read' && !options.transaction,
          ...(options.csot ? { timeoutMS: replyLimit.timeoutMS } : {}),
        });
      } catch (e) {
        try {
          monitored.failed(e);
        } finally {
          if (e instanceof MongoServerError) {
            this.#clusterTime.observe(e.errorResponse);
            options.session?.observeReply(e.errorResponse);
          }
          if (e instanceof MongoNetworkError) options.session?.markDirty();
          report(e, conn.generation, false, conn.serviceId);
        }
        throw timeout ? asOperationTimeout(e, timeout, replyLimit.byDeadline) : e;
      }
      this.#clusterTime.observe(reply);
      options.session?.observeReply(reply);
      // (its hello's size limits, as a server description reads them)
      if (server.description.type === ServerType.LoadBalancer) this.#handshakeLimits = newServerDescription(address, conn.hello, { now: 0 });
      this.lastAddress = address;
      monitored.succeeded(reply);
      return { reply, address };
    } finally {
      server.operationCount--;
      server.pool.checkIn(conn);
    }
  }
}

/** Commands that never carry the deadline's maxTimeMS. */
const NO_MAX_TIME_MS = new Set(['killCursors', 'endSessions']);

/**
 * CSOT on one command (timeoutMS set at some level): the legacy `wtimeout` of its write
 * concern is dropped (an empty write concern with it), and with a deadline its maxTimeMS is
 * the remaining time minus the server's minRoundTripTime, replacing an explicit maxTimeMS
 * (or maxCommitTimeMS). A getMore never gets one; an awaitData cursor's maxAwaitTimeMS is
 * capped by the time left. Throws the operation's timeout when too little time is left to send it.
 */
function applyCsot(command: Document, options: ExecuteOptions, timeout: Timeout | undefined, minRoundTripTimeMS: number): void {
  const name = Object.keys(command)[0] ?? '';
  const wc = command.writeConcern as Document | undefined;
  if (wc && typeof wc === 'object' && 'wtimeout' in wc) {
    const { wtimeout: _dropped, ...rest } = wc;
    if (Object.keys(rest).length > 0) command.writeConcern = rest;
    else delete command.writeConcern;
  }
  if (!timeout) return;
  const result = commandMaxTimeMS(timeout, monotonicNow(), minRoundTripTimeMS);
  if (result.kind === 'expired') throw operationTimeoutError(timeout, `sending ${name} (${Math.floor(result.remaining)} ms left, under the round trip time)`);
  if (NO_MAX_TIME_MS.has(name) || options.moreToCome || options.omitMaxTimeMS) return;
  if (name === 'getMore') {
    // Only an awaitData cursor's getMore has one (its maxAwaitTimeMS), never over the time left.
    if (options.awaitData && typeof command.maxTimeMS === 'number') command.maxTimeMS = Math.min(command.maxTimeMS, result.maxTimeMS);
    return;
  }
  command.maxTimeMS = result.maxTimeMS;
}

/**
 * The operation's error once its deadline is in force: a wait for the reply cut by the
 * deadline, or the server's MaxTimeMSExpired (code 50) for the maxTimeMS the deadline set,
 * is the operation's timeout.
 */
function asOperationTimeout(error: unknown, timeout: Timeout, byDeadline: boolean): unknown {
  if (byDeadline && error instanceof MongoNetworkTimeoutError) return operationTimeoutError(timeout, 'the wait for a reply', error);
  if (error instanceof MongoServerError && error.code === 50) return operationTimeoutError(timeout, 'server execution (MaxTimeMSExpired)', error);
  return error;
}

/**
 * SDAM and CMAP events are emitted by the topology and the pools in the middle of their
 * transitions, often from background work (monitors, pool timers). The client's emitter
 * lets a listener's error propagate (Node's semantics); here it must not stop a
 * transition half-way (a server left without its monitor, a connection never checked
 * in), so it is handed to `report`: by default rethrown from a microtask, an uncaught
 * error, as the official driver's listeners' errors end up in an unhandled rejection.
 * Command monitoring events are emitted in the operation's own flow and are not
 * wrapped: a throwing listener fails the operation, as in the official driver.
 */
function backgroundEvents(
  emit: (event: string, payload: unknown) => void,
  report: (error: unknown) => void = (error) =>
    queueMicrotask(() => {
      throw error;
    }),
): (event: string, payload: unknown) => void {
  return (event, payload) => {
    try {
      emit(event, payload);
    } catch (error) {
      report(error);
    }
  };
}
