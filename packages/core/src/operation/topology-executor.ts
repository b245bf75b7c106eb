/**
 * The OperationExecutor behind MongoClient: server selection on the SDAM topology,
 * connection check-out from the server's pool, command decoration (lsid,
 * $clusterTime, txnNumber, $readPreference, Stable API), error reporting back to
 * SDAM, and one retry for retryable reads and writes (the retryability specs).
 */
import {
  MongoErrorLabel,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoParseError,
  MongoServerError,
  MongoAuthError,
  MongoTopologyClosedError,
  type Document,
} from '../errors.js';
import type { ExecuteOptions, ExecuteResult, ExecutorFactory, ManagedOperationExecutor, WireLimits } from '../client/executor.js';
import { DEFAULT_WIRE_LIMITS } from '../client/executor.js';
import type { ClusterTime } from '../client/sessions.js';
import { compareTimestamps } from '../client/sessions.js';
import type { Authenticator } from '../connection/auth-hook.js';
import { formatAddress } from '../connection/address.js';
import { connect as wireConnect } from '../connection/connect.js';
import type { ConnectOptions, Connection } from '../connection/types.js';
import { Pool } from '../pool/pool.js';
import { CONNECTION_POOL_EVENTS } from '../pool/events.js';
import { ReadPreference } from '../selection/read-preference.js';
import { readPreferenceForCommand } from '../selection/read-preference-for-command.js';
import { DATA_BEARING_SERVER_TYPES, ServerType } from '../sdam/server-description.js';
import { Topology, type Server, type TopologyEvents } from '../sdam/topology.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import type { Transport, TransportTlsOptions } from '../transport/transport.js';
import type { MongoClientOptions, MongoOptions } from '../uri/client-options.js';
import { resolveClientOptionsWithSrv } from '../uri/client-options.js';
import type { SrvResolver } from '../uri/srv.js';
import { defaultAuthenticator } from '../connection/auth/index.js';
import {
  errorToSurface,
  isRetryableReadError,
  isRetryableWriteError,
  labelRetryableWriteError,
  supportsRetryableWrites,
} from './retryability.js';

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
  /** Injected for tests; defaults to the wire connect(). */
  connect?: (options: ConnectOptions) => Promise<Connection>;
}

/** The default ExecutorFactory: what `new MongoClient(url, { transport })` runs on. */
export const topologyExecutorFactory: ExecutorFactory = (ctx) =>
  new TopologyExecutor({ options: ctx.mongoOptions, url: ctx.url, userOptions: ctx.options, emit: ctx.emit });


/** Command monitoring payloads, as the Command Logging and Monitoring spec names them. */
export interface CommandStartedEvent {
  commandName: string;
  databaseName: string;
  command: Document;
  requestId: number;
  address: string;
  connectionId: number;
}

let nextRequestNumber = 1;

export class TopologyExecutor implements ManagedOperationExecutor {
  readonly #config: TopologyExecutorOptions;
  #current: Topology | undefined;
  #opts: MongoOptions;
  #clusterTime: ClusterTime | undefined;
  #closed = false;
  #opening: Promise<Topology> | undefined;
  /** "host:port" of the server that answered the most recent operation. */
  lastAddress: string | undefined;

  constructor(config: TopologyExecutorOptions) {
    this.#config = config;
    this.#opts = config.options;
  }

  /** The live topology; throws before connect(). */
  get topology(): Topology {
    if (!this.#current) throw new MongoTopologyClosedError('the client is not connected');
    return this.#current;
  }

  /** Resolve SRV, load TLS files, build the Topology (once). */
  async #ensureTopology(): Promise<Topology> {
    return this.#current ?? (this.#opening ??= this.#buildTopology());
  }

  async #buildTopology(): Promise<Topology> {
    const config = this.#config;
    let o = this.#opts;
    if (o.srvHost) {
      const resolver = o.srvResolver as SrvResolver | undefined;
      if (!resolver) throw new MongoParseError('mongodb+srv:// needs the `srvResolver` option (e.g. a DohResolver)');
      o = await resolveClientOptionsWithSrv(config.url ?? '', config.userOptions ?? {}, resolver);
      this.#opts = o;
    }
    const transport = this.#transport();
    if (typeof transport?.connect !== 'function') {
      throw new MongoInvalidArgumentError('No transport: pass `transport` or use @mongo-edge/core/node');
    }
    const connect = config.connect ?? wireConnect;
    let tls: TransportTlsOptions | undefined;
    if (o.tls) {
      tls = { ...config.tls, allowInvalidCertificates: o.tlsAllowInvalidCertificates, allowInvalidHostnames: o.tlsAllowInvalidHostnames };
      const read = o.tlsFileReader;
      if ((o.tlsCAFile || o.tlsCertificateKeyFile) && !config.tls) {
        if (!read) throw new MongoInvalidArgumentError('tlsCAFile/tlsCertificateKeyFile need the tlsFileReader option (or PEM text)');
        if (o.tlsCAFile) tls.ca = await read(o.tlsCAFile);
        if (o.tlsCertificateKeyFile) tls.cert = tls.key = await read(o.tlsCertificateKeyFile);
        if (o.tlsCertificateKeyFilePassword) tls.passphrase = o.tlsCertificateKeyFilePassword;
      }
    }
    const authenticator = config.authenticator ?? (o.credentials ? defaultAuthenticator() : undefined);
    const base: Omit<ConnectOptions, 'address' | 'monitoring'> = {
      transport,
      tls,
      ...pick(o, ['connectTimeoutMS', 'socketTimeoutMS', 'appName', 'driverInfo', 'credentials', 'loadBalanced', 'serverApi']),
      ...(authenticator ? { authenticator } : {}),
    };
    const topology = new Topology({
      // The SDAM settings, by their connection-string names.
      ...o,
      seeds: o.hosts.map((h) => formatAddress(h.host, h.port)),
      connectOptions: { ...base, credentials: undefined },
      connect,
      emit: (name, event) => {
        if (name === 'serverHeartbeatSucceeded') this.#gossip((event as TopologyEvents['serverHeartbeatSucceeded']).reply);
        config.emit(name, event);
      },
      createPool: (address) => {
        // The pool generation each failed connection attempt started in: SDAM ignores
        // errors older than the pool's generation, so background (minPoolSize) errors
        // must carry theirs.
        const attemptGeneration = new WeakMap<object, number>();
        return new Pool({
          address,
          connect: async ({ id, generation, signal }) => {
            try {
              return await connect({ ...base, address, id, generation, signal });
            } catch (e) {
              if (typeof e === 'object' && e !== null) attemptGeneration.set(e, generation);
              throw e;
            }
          },
          ...pick(o, ['maxPoolSize', 'minPoolSize', 'maxConnecting', 'maxIdleTimeMS', 'waitQueueTimeoutMS', 'loadBalanced']),
          onBackgroundError: (error) =>
            topology.handleError(address, error, {
              connectionGeneration: attemptGeneration.get(error) ?? -1,
              beforeHandshake: true,
            }),
          subscribe: (pool) => {
            for (const name of CONNECTION_POOL_EVENTS) pool.on(name, (e: unknown) => config.emit(name, e));
          },
        });
      },
    });
    if (this.#closed) throw new MongoTopologyClosedError();
    this.#current = topology;
    return topology;
  }

  #transport(): Transport | undefined {
    return this.#config.transport ?? (this.#opts.transport as Transport | undefined);
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new MongoTopologyClosedError();
    const topology = await this.#ensureTopology();
    // selectServer() opens the topology. As the official driver: connect() succeeds once any
    // data-bearing member is selectable.
    await topology.selectServer({ readPreference: ReadPreference.primaryPreferred, operation: 'read' });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#opening?.catch(() => undefined);
    await this.#current?.close();
    await this.#transport()?.close?.();
  }

  limits(): WireLimits {
    const td = this.#current?.description;
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
    if (this.#closed) throw new MongoTopologyClosedError();
    if (!this.#current) await this.connect();
    const topology = this.topology;
    const signal = { signal: options.signal };
    if (options.pinnedServer) {
      const server = topology.getServer(options.pinnedServer);
      if (!server) throw new MongoNetworkError(`the cursor's server ${options.pinnedServer} left the topology`);
      return this.#runOn(server, db, command, options, undefined);
    }
    const isWrite = options.retryable === 'write';
    let retry = isWrite ? this.#opts.retryWrites && !options.moreToCome : options.retryable === 'read' && this.#opts.retryReads;
    const criteria = { readPreference: options.readPreference, operation: isWrite ? ('write' as const) : ('read' as const) };
    /** One attempt; a write's error gets the RetryableWriteError label the driver must add. */
    const attempt = async (server: Server): Promise<ExecuteResult> => {
      // The wire version of the server as selected: a failed attempt may turn its live
      // description Unknown (maxWireVersion 0) before the error is labelled.
      const wireVersion = server.description.maxWireVersion;
      try {
        return await this.#runOn(server, db, command, options, txnNumber);
      } catch (e) {
        if (isWrite && retry) labelRetryableWriteError(e, wireVersion);
        throw e;
      }
    };
    const first = await topology.selectServer(criteria, signal);
    let txnNumber: unknown;
    if (isWrite && retry) {
      if (options.session && supportsRetryableWrites(first.description)) {
        options.session.incrementTransactionNumber();
        txnNumber = options.session.txnNumber;
      } else {
        retry = false;
      }
    }
    let firstError: unknown;
    try {
      const result = await attempt(first);
      // An ok reply whose writeConcernError is labelled retryable is retried like an error.
      const wceError = isWrite && retry && result.reply.writeConcernError !== undefined ? new MongoServerError(result.reply) : undefined;
      if (!wceError || !isRetryableWriteError(wceError)) return result;
      firstError = wceError;
    } catch (e) {
      if (!retry || !(isWrite ? isRetryableWriteError(e) : isRetryableReadError(e))) throw e;
      firstError = e;
    }
    // One retry, on a fresh selection (avoiding the failed mongos when others exist).
    let second: Server;
    try {
      const deprioritized = topology.description.type === TopologyType.Sharded ? [first.address] : [];
      second = await topology.selectServer({ ...criteria, deprioritized }, signal);
    } catch {
      throw firstError;
    }
    if (isWrite && !supportsRetryableWrites(second.description)) throw firstError;
    try {
      return await attempt(second);
    } catch (e) {
      throw errorToSurface(firstError, e);
    }
  }

  /** One attempt on one server. Reports errors to SDAM; always checks the connection in. */
  async #runOn(server: Server, db: string, command: Document, options: ExecuteOptions, txnNumber: unknown): Promise<ExecuteResult> {
    const address = server.address;
    // Errors go to SDAM, which ignores those without an effect on the topology.
    const report = (e: unknown, connectionGeneration: number, beforeHandshake: boolean): void => {
      if (e instanceof MongoNetworkError || e instanceof MongoServerError || e instanceof MongoAuthError) {
        this.#current!.handleError(address, e, { connectionGeneration, beforeHandshake });
      }
    };
    const poolGeneration = server.pool.generation;
    let conn: Connection;
    try {
      conn = await server.pool.checkOut({ signal: options.signal });
    } catch (e) {
      report(e, poolGeneration, true);
      if (e instanceof MongoNetworkError) e.addErrorLabel(MongoErrorLabel.NoWritesPerformed);
      throw e;
    }
    server.operationCount++;
    const full = this.#decorate(server, command, options, txnNumber);
    const monitor = this.#opts.monitorCommands;
    const event = {
      commandName: Object.keys(command)[0] ?? '',
      databaseName: db,
      requestId: nextRequestNumber++,
      address,
      connectionId: conn.id,
    };
    const started = Date.now();
    // Command Monitoring: kind-1 document sequences appear in the event as array fields.
    if (monitor) this.#config.emit('commandStarted', { ...event, command: { ...full, ...options.sequences } });
    try {
      const reply = await conn.command(db, full, { sequences: options.sequences, moreToCome: options.moreToCome, signal: options.signal });
      this.#gossip(reply);
      options.session?.observeReply(reply);
      this.lastAddress = address;
      if (monitor) this.#config.emit('commandSucceeded', { ...event, reply, duration: Date.now() - started });
      return { reply, address };
    } catch (e) {
      if (monitor) this.#config.emit('commandFailed', { ...event, failure: e, duration: Date.now() - started });
      if (e instanceof MongoServerError) {
        this.#gossip(e.errorResponse);
        options.session?.observeReply(e.errorResponse);
      }
      if (e instanceof MongoNetworkError) options.session?.markDirty();
      report(e, conn.generation, false);
      throw e;
    } finally {
      server.operationCount--;
      server.pool.checkIn(conn);
    }
  }

  #decorate(server: Server, command: Document, options: ExecuteOptions, txnNumber: unknown): Document {
    const full: Document = { ...command };
    const td = this.#current!.description;
    const sd = server.description;
    const sessionsSupported = sd.logicalSessionTimeoutMinutes !== null || td.type === TopologyType.LoadBalanced;
    if (options.session && sessionsSupported && !options.moreToCome) full.lsid = options.session.id;
    if (txnNumber !== undefined) full.txnNumber = txnNumber;
    const clusterTime = laterClusterTime(this.#clusterTime, options.session?.clusterTime);
    if (clusterTime && sd.type !== ServerType.Standalone) full.$clusterTime = clusterTime;
    // Reads; and a getMore on a secondary (the server needs to know reads may go there).
    const sendsReadPreference = options.pinnedServer ? options.readPreference !== undefined : options.retryable !== 'write';
    const rp = sendsReadPreference ? readPreferenceForCommand(td, sd, options.readPreference) : undefined;
    if (rp) full.$readPreference = rp;
    const api = this.#opts.serverApi;
    if (api && !('getMore' in command)) {
      full.apiVersion = api.version;
      if (api.strict !== undefined) full.apiStrict = api.strict;
      if (api.deprecationErrors !== undefined) full.apiDeprecationErrors = api.deprecationErrors;
    }
    return full;
  }

  /** Keep the highest $clusterTime seen from any reply (monitors included). */
  #gossip(reply: Document | undefined): void {
    const ct = reply?.$clusterTime as ClusterTime | undefined;
    if (ct?.clusterTime !== undefined) this.#clusterTime = laterClusterTime(this.#clusterTime, ct);
  }
}

/** The options of `o` named in `keys` (settings another module takes by the same names). */
function pick<T, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, o[key]])) as Pick<T, K>;
}

/** The later of two $clusterTime documents (either may be absent). */
function laterClusterTime(a: ClusterTime | undefined, b: ClusterTime | undefined): ClusterTime | undefined {
  return !a || (b && compareTimestamps(b.clusterTime, a.clusterTime) > 0) ? b : a;
}
