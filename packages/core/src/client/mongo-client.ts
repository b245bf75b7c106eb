/**
 * MongoClient: the API surface of the official driver's client on top of an
 * OperationExecutor (operation/executor.ts). The constructor never does I/O;
 * `connect()` (or the first operation) builds the executor and waits for it;
 * `close()` ends sessions (endSessions) and closes the executor; after it, operations
 * throw MongoNotConnectedError until `connect()` is called again (as the official driver).
 *
 * The executor is the topology executor (operation/topology-executor.ts: SDAM
 * topology + pools + retryability) unless `options.executorFactory` supplies
 * another (tests inject fakes). Nothing topology-specific lives here; the client
 * re-emits what the executor reports (MongoClientEvents).
 */
import type { BSONSerializeOptions } from '../wire/bson-options.js';
import { MongoAPIError, MongoClientClosedError, MongoInvalidArgumentError, MongoNotConnectedError, type Document } from '../errors.js';
import { ReadPreference } from '../selection/read-preference.js';
import { Db, type DbOptions } from './db.js';
import { TypedEmitter } from '../util/emitter.js';
import type { ExecutorFactory, ManagedOperationExecutor, OperationExecutor } from '../operation/executor.js';
import { topologyExecutorFactory } from '../operation/topology-executor.js';
import type { CommandMonitoringEvents } from '../operation/command-monitoring.js';
import type { ConnectionPoolEvents } from '../pool/events.js';
import type { TopologyEvents } from '../sdam/topology.js';
import type { TopologyDescription } from '../sdam/topology-description.js';
import { ServerType } from '../sdam/server-description.js';
import { executeCommand, type ClientContext } from './operation.js';
import { parseClientOptions, type ClientLayerOptions, type MongoClientOptions } from './options.js';
import type { MongoOptions } from '../uri/client-options.js';
import type { ReadConcern } from '../concern/read-concern.js';
import type { WriteConcern } from '../concern/write-concern.js';
import { loadCold } from '../cold/load.js';
import type { AnyClientBulkWriteModel, ClientBulkWriteOptions, ClientBulkWriteResult } from './client-bulk-write.js';
import { ChangeStream } from '../change-stream/change-stream.js';
import type { ChangeStreamDocument, ChangeStreamOptions } from '../change-stream/types.js';
import { ClientSession, ServerSessionPool, endSessionsCommands, type ClientSessionOptions } from './sessions.js';
import type { DriverInfo } from '../connection/metadata.js';

export type { MongoClientOptions } from './options.js';

/**
 * Every event a MongoClient emits, by name, with its payload (as the official
 * driver's MongoClientEvents): SDAM monitoring (topology, server and heartbeat
 * events), CMAP (connection pool and connection events), command monitoring (with
 * `monitorCommands`), and `close`.
 */
export type MongoClientEvents = TopologyEvents & ConnectionPoolEvents & CommandMonitoringEvents & { close: void };

export class MongoClient extends TypedEmitter<MongoClientEvents> implements ClientContext {
  /** The connection string as given. */
  readonly url: string;
  readonly sessionPool = new ServerSessionPool();
  readonly resolvedOptions: ClientLayerOptions;
  /** The fully parsed options (uri/), handed to the executor factory. */
  readonly mongoOptions: MongoOptions;
  readonly #userOptions: Readonly<MongoClientOptions>;
  readonly #executorFactory: ExecutorFactory;
  #executor: ManagedOperationExecutor | undefined;
  #connectPromise: Promise<void> | undefined;
  #closePromise: Promise<void> | undefined;
  #connected = false;
  /** close() was called and connect() was not called since: operations throw MongoNotConnectedError (as the official driver). */
  #closedByUser = false;
  readonly #activeSessions = new Set<ClientSession>();
  /** What appendMetadata added, in order (handed to every executor this client builds). */
  readonly #appendedMetadata: DriverInfo[] = [];

  constructor(url: string, options: MongoClientOptions = {}) {
    super();
    this.url = url;
    const { executorFactory, ...rest } = options;
    this.#executorFactory = executorFactory ?? topologyExecutorFactory;
    this.#userOptions = Object.freeze({ ...rest });
    const { mongoOptions, resolved } = parseClientOptions(url, options);
    this.mongoOptions = mongoOptions;
    this.resolvedOptions = resolved;
  }

  /** The resolved options (user options plus what was read from the URI). */
  get options(): MongoOptions {
    return this.mongoOptions;
  }

  get readPreference(): ReadPreference {
    return this.resolvedOptions.readPreference;
  }

  get readConcern(): ReadConcern | undefined {
    return this.resolvedOptions.readConcern;
  }

  get writeConcern(): WriteConcern | undefined {
    return this.resolvedOptions.writeConcern;
  }

  /** The Stable API options the client sends (`{ version, strict?, deprecationErrors? }`), if any. */
  get serverApi(): MongoOptions['serverApi'] {
    return this.mongoOptions.serverApi;
  }

  /** Client Side Operations Timeout of the client's operations (undefined: not set). */
  get timeoutMS(): number | undefined {
    return this.mongoOptions.timeoutMS;
  }

  /** The client's BSON options (promoteLongs, ignoreUndefined, ...), inherited by every Db. */
  get bsonOptions(): BSONSerializeOptions {
    return this.resolvedOptions.bsonOptions;
  }

  /**
   * Adds a wrapping library's name, version and platform to the handshake metadata of the
   * connections opened from now on (Handshake spec, "appendMetadata"); open connections
   * keep theirs and no hello is sent. Info already present (same name, version and
   * platform) is not added twice.
   */
  appendMetadata(driverInfo: DriverInfo): void {
    const info: DriverInfo = {};
    for (const key of ['name', 'version', 'platform'] as const) {
      const value = (driverInfo as Record<string, unknown> | undefined)?.[key];
      if (value === undefined) continue;
      if (typeof value !== 'string') throw new MongoInvalidArgumentError(`appendMetadata: driverInfo.${key} must be a string`);
      info[key] = value;
    }
    const same = (a: DriverInfo): boolean => a.name === info.name && a.version === info.version && a.platform === info.platform;
    if (this.#appendedMetadata.some(same)) return;
    this.#appendedMetadata.push(info);
    this.#executor?.appendMetadata?.(info);
  }

  // ------------------------------------------------------------------ lifecycle

  /** A new client, connected (the official driver's static `MongoClient.connect(url, options)`). */
  static async connect<T extends MongoClient>(this: new (url: string, options?: MongoClientOptions) => T, url: string, options?: MongoClientOptions): Promise<T> {
    return await new this(url, options).connect();
  }

  /** Connect (idempotent; concurrent calls share one attempt). */
  async connect(): Promise<this> {
    if (this.#closePromise) await this.#closePromise;
    this.#closedByUser = false;
    if (this.#connected) return this;
    const inFlight = this.#connectPromise ? this.#executor : undefined;
    if (inFlight?.connectsPerRequest) {
      await this.#connectWith(inFlight);
      return this;
    }
    this.#connectPromise ??= this.#doConnect();
    try {
      await this.#connectPromise;
    } finally {
      if (!this.#connected) this.#connectPromise = undefined;
    }
    return this;
  }

  async #doConnect(): Promise<void> {
    const executor = this.#executorFactory({
      url: this.url,
      options: this.#userOptions,
      mongoOptions: this.mongoOptions,
      emit: (event, payload) => {
        this.emit(event, payload);
      },
    });
    this.#executor = executor;
    for (const info of this.#appendedMetadata) executor.appendMetadata?.(info);
    await this.#connectWith(executor);
  }

  /**
   * executor.connect(); the first to succeed connects the client, and a failure (unless the
   * client got connected meanwhile) discards the executor, so the next call tries again.
   * Where I/O is request-scoped (ManagedOperationExecutor.connectsPerRequest), a request that
   * finds another request's connect in flight comes here itself with the same executor: it
   * connects on its own I/O, never waiting on the other request's (which ends with it).
   */
  async #connectWith(executor: ManagedOperationExecutor): Promise<void> {
    try {
      await executor.connect();
    } catch (error) {
      if (!this.#connected && this.#executor === executor) {
        this.#executor = undefined;
        this.#connectPromise = undefined;
        await executor.close().catch(() => undefined);
      }
      throw error;
    }
    if (this.#executor === executor) this.#connected = true;
  }

  /**
   * End all sessions (endSessions to the server, best effort), close the executor.
   * `force` is accepted for API compatibility; in-flight operations fail either way.
   */
  async close(_force = false): Promise<void> {
    this.#closePromise ??= this.#doClose().finally(() => {
      this.#closePromise = undefined;
    });
    await this.#closePromise;
  }

  async #doClose(): Promise<void> {
    const pending = this.#connectPromise;
    if (pending && !this.#connected) {
      // A connect() still waiting for a suitable server: closing the executor ends
      // its server selection at once (it rejects with MongoTopologyClosedError).
      await this.#executor?.close().catch(() => undefined);
    }
    // (not another request's connect where I/O is request-scoped: it may never end)
    if (pending && !this.#executor?.connectsPerRequest) await pending.catch(() => undefined);
    // Sessions in a transaction abort it first (best effort), as the official driver's close does.
    const sessions = [...this.#activeSessions];
    await Promise.all(sessions.filter((s) => this.#connected && s.inTransaction()).map((s) => s.endSession()));
    // From here on, operations throw MongoNotConnectedError until connect() (the aborts above still ran).
    this.#closedByUser = true;
    for (const s of sessions) s.endSync();
    this.#activeSessions.clear();
    const executor = this.#executor;
    const ids = this.sessionPool.drain();
    if (executor && this.#connected && ids.length > 0) {
      for (const cmd of endSessionsCommands(ids)) {
        try {
          await executor.execute('admin', cmd, { readPreference: ReadPreference.primaryPreferred });
        } catch {
          // best effort: servers expire sessions on their own
        }
      }
    }
    this.#executor = undefined;
    this.#connected = false;
    this.#connectPromise = undefined;
    if (executor) await executor.close();
    this.emit('close');
  }


  // ------------------------------------------------------------------ ClientContext

  /** @internal the executor, auto-connecting on first use. */
  async getExecutor(): Promise<OperationExecutor> {
    if (this.#closedByUser) throw new MongoNotConnectedError();
    if (!this.#connected || !this.#executor) await this.connect();
    const executor = this.#executor;
    if (!executor) throw new MongoClientClosedError();
    return executor;
  }

  /** @internal */
  logicalSessionTimeoutMinutes(): number | null {
    return this.#executor?.logicalSessionTimeoutMinutes() ?? null;
  }

  /** @internal */
  ownsSession(session: ClientSession): boolean {
    return session.belongsTo(this);
  }

  /** @internal */
  onSessionEnded(session: ClientSession): void {
    this.#activeSessions.delete(session);
  }

  // ------------------------------------------------------------------ API

  /** A database handle; the default is the URI's database (or `dbName`, else "test"). */
  db(dbName?: string, options: DbOptions = {}): Db {
    return new Db(this, this, dbName ?? this.resolvedOptions.dbName, options);
  }

  startSession(options: ClientSessionOptions = {}): ClientSession {
    const session = new ClientSession(this, options, true);
    this.#activeSessions.add(session);
    return session;
  }

  /** Run `fn` with a new session, ended afterwards. */
  async withSession<T>(fn: (session: ClientSession) => Promise<T>): Promise<T>;
  async withSession<T>(options: ClientSessionOptions, fn: (session: ClientSession) => Promise<T>): Promise<T>;
  async withSession<T>(
    optionsOrFn: ClientSessionOptions | ((session: ClientSession) => Promise<T>),
    maybeFn?: (session: ClientSession) => Promise<T>,
  ): Promise<T> {
    const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
    if (typeof fn !== 'function') throw new MongoAPIError('withSession requires a callback');
    const session = this.startSession(typeof optionsOrFn === 'function' ? {} : optionsOrFn);
    try {
      return await fn(session);
    } finally {
      await session.endSession();
    }
  }

  /**
   * A change stream of every collection of every database (`allChangesForCluster` on
   * `admin`; the server leaves out admin, local, config and system collections). See
   * Collection.watch.
   */
  watch<TSchema extends Document = Document, TChange extends Document = ChangeStreamDocument<TSchema>>(
    pipeline: Document[] = [],
    options: ChangeStreamOptions = {},
  ): ChangeStream<TSchema, TChange> {
    const target = {
      ctx: this,
      parent: this,
      db: 'admin',
      collection: undefined,
      cluster: true,
      readPreference: this.readPreference,
      readConcern: this.readConcern,
      bsonOptions: this.bsonOptions,
    };
    return new ChangeStream<TSchema, TChange>(target, pipeline, options);
  }

  /**
   * A snapshot of the deployment as the client currently sees it (undefined
   * before connect()). Each call returns the latest immutable description.
   */
  get topologyDescription(): TopologyDescription | undefined {
    return this.#executor?.description;
  }

  /** "host:port" of the server that answered the most recent operation. */
  get address(): string | undefined {
    return this.#executor?.lastAddress;
  }

  /**
   * The hosts the client knows: the seeds before discovery, the members after
   * (as the seed documents print it: `MongoClient(['a:27017', 'b:27017'])`).
   */
  get hosts(): string[] {
    const td = this.topologyDescription;
    if (td && [...td.servers.values()].some((sd) => sd.type !== ServerType.Unknown)) return [...td.servers.keys()];
    return this.mongoOptions.hosts.map((h) => (h.type === 'ipv6' ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`));
  }

  override toString(): string {
    const hosts = this.hosts;
    return hosts.length === 1 ? `MongoClient('${hosts[0]}')` : `MongoClient([${hosts.map((h) => `'${h}'`).join(', ')}])`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * Writes to any namespaces in one `bulkWrite` command (MongoDB 8.0+; a
   * MongoClientBulkWriteError on older servers). client/client-bulk-write.ts loads with the
   * cold chunk on first use (util/lazy.ts), on every runtime.
   */
  async bulkWrite(models: ReadonlyArray<AnyClientBulkWriteModel<any>>, options?: ClientBulkWriteOptions): Promise<ClientBulkWriteResult> {
    return await (await loadCold()).executeClientBulkWrite(this, models, options);
  }

  /** @internal run a command on the admin database (used by tools and tests). */
  async runAdminCommand(command: Document): Promise<Document> {
    const { reply } = await executeCommand(this, 'admin', command, {});
    return reply;
  }
}
