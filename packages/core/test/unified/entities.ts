/**
 * The entity map of one unified test: clients (with their observed events),
 * databases, collections, sessions, buckets, cursors/change streams, threads, and
 * stored values (saveResultAsEntity, storeEventsAsEntities).
 */
import type { AnyObj, DriverAdapter } from './drivers.js';
import type { Doc, MatchContext } from './match.js';
import type { Deployment } from './topologies.js';

export type EventKind = 'command' | 'cmap' | 'sdam';

export interface ObservedEvent {
  kind: EventKind;
  /** Unified-format name, e.g. commandStartedEvent, poolClearedEvent. */
  name: string;
  event: AnyObj;
}

/** Unified event name -> the drivers' emitter event name. */
export const EVENT_NAMES: Record<string, [EventKind, string]> = {
  commandStartedEvent: ['command', 'commandStarted'],
  commandSucceededEvent: ['command', 'commandSucceeded'],
  commandFailedEvent: ['command', 'commandFailed'],
  poolCreatedEvent: ['cmap', 'connectionPoolCreated'],
  poolReadyEvent: ['cmap', 'connectionPoolReady'],
  poolClearedEvent: ['cmap', 'connectionPoolCleared'],
  poolClosedEvent: ['cmap', 'connectionPoolClosed'],
  connectionCreatedEvent: ['cmap', 'connectionCreated'],
  connectionReadyEvent: ['cmap', 'connectionReady'],
  connectionClosedEvent: ['cmap', 'connectionClosed'],
  connectionCheckOutStartedEvent: ['cmap', 'connectionCheckOutStarted'],
  connectionCheckOutFailedEvent: ['cmap', 'connectionCheckOutFailed'],
  connectionCheckedOutEvent: ['cmap', 'connectionCheckedOut'],
  connectionCheckedInEvent: ['cmap', 'connectionCheckedIn'],
  serverDescriptionChangedEvent: ['sdam', 'serverDescriptionChanged'],
  topologyDescriptionChangedEvent: ['sdam', 'topologyDescriptionChanged'],
  topologyOpeningEvent: ['sdam', 'topologyOpening'],
  topologyClosedEvent: ['sdam', 'topologyClosed'],
  serverHeartbeatStartedEvent: ['sdam', 'serverHeartbeatStarted'],
  serverHeartbeatSucceededEvent: ['sdam', 'serverHeartbeatSucceeded'],
  serverHeartbeatFailedEvent: ['sdam', 'serverHeartbeatFailed'],
};

/** Commands a client never reports unless observeSensitiveCommands (and the runner's own). */
const SENSITIVE = new Set(['authenticate', 'saslstart', 'saslcontinue', 'getnonce', 'createuser', 'updateuser', 'copydbgetnonce', 'copydbsaslstart', 'copydb']);
const HELLO = new Set(['hello', 'ismaster']);

export interface ClientEntity {
  readonly id: string;
  readonly client: AnyObj;
  readonly events: ObservedEvent[];
  /** Every commandStartedEvent, observed or not (assert*LsidOnLastTwoCommands). */
  readonly started: AnyObj[];
  readonly uri: string;
  /** Connections checked out and not yet checked in (counted whatever observeEvents says). */
  checkedOut: number;
}

export class EntityMap implements MatchContext {
  readonly #map = new Map<string, unknown>();
  readonly clients = new Map<string, ClientEntity>();
  readonly threads = new Map<string, { chain: Promise<void>; error: unknown }>();
  readonly #closers: Array<() => Promise<unknown>> = [];

  constructor(
    readonly driver: DriverAdapter,
    readonly deployment: Deployment,
  ) {}

  set(id: string, value: unknown): void {
    if (this.#map.has(id)) throw new Error(`entity ${id} already exists`);
    this.#map.set(id, value);
  }

  has(id: string): boolean {
    return this.#map.has(id);
  }

  get<T = AnyObj>(id: string): T {
    if (!this.#map.has(id)) throw new Error(`no entity ${id}`);
    return this.#map.get(id) as T;
  }

  entity(id: string): unknown {
    return this.get(id);
  }

  sessionLsid(id: string): unknown {
    return this.driver.lsid(this.get(id));
  }

  /** Creates every entity of a createEntities list. */
  async create(list: Doc[]): Promise<void> {
    for (const item of list) {
      const [type, spec] = Object.entries(item)[0] as [string, Doc];
      const id = spec.id as string;
      switch (type) {
        case 'client':
          await this.#createClient(id, spec);
          break;
        case 'database': {
          const c = this.clients.get(spec.client as string);
          if (!c) throw new Error(`no client ${String(spec.client)}`);
          this.set(id, c.client.db(spec.databaseName as string, entityOptions(spec.databaseOptions as Doc | undefined)));
          break;
        }
        case 'collection': {
          const db = this.get(spec.database as string);
          this.set(id, db.collection(spec.collectionName as string, entityOptions(spec.collectionOptions as Doc | undefined)));
          break;
        }
        case 'session': {
          const c = this.clients.get(spec.client as string);
          if (!c) throw new Error(`no client ${String(spec.client)}`);
          const opts = { ...((spec.sessionOptions as Doc) ?? {}) };
          if (opts.defaultTransactionOptions) opts.defaultTransactionOptions = entityOptions(opts.defaultTransactionOptions as Doc);
          // sessionOptions.snapshotTime names an entity (a saved getSnapshotTime result)
          if (typeof opts.snapshotTime === 'string') opts.snapshotTime = this.get(opts.snapshotTime);
          const s = c.client.startSession(opts);
          this.set(id, s);
          break;
        }
        case 'bucket': {
          const db = this.get(spec.database as string);
          this.set(id, this.driver.newBucket(db, (spec.bucketOptions as Doc) ?? {}));
          break;
        }
        case 'thread':
          this.threads.set(id, { chain: Promise.resolve(), error: undefined });
          this.set(id, { thread: id });
          break;
        default:
          throw new Error(`unsupported entity type ${type}`);
      }
    }
  }

  async #createClient(id: string, spec: Doc): Promise<void> {
    const uriOptions = { ...((spec.uriOptions as Doc) ?? {}) };
    const multiple = spec.useMultipleMongoses !== false;
    // directConnection=true names one host (the unified format's rule): the first seed
    const base = uriOptions.directConnection === true ? this.deployment.uri(multiple).replace(/^(mongodb:\/\/[^,/]+)[^/]*/, '$1') : this.deployment.uri(multiple);
    const options: Doc = {};
    const query: string[] = [];
    for (const [k, v] of Object.entries(uriOptions)) {
      if (v !== null && typeof v === 'object') options[k] = v;
      else query.push(`${k}=${encodeURIComponent(String(v))}`);
    }
    // Keep SDAM quick on a loaded machine unless the test sets its own frequency.
    if (spec.serverApi) options.serverApi = spec.serverApi;
    const uri = query.length ? `${base}${base.includes('?') ? '&' : '?'}${query.join('&')}` : base;
    const client = this.driver.newClient(uri, options);
    const entity: ClientEntity = { id, client, events: [], started: [], uri, checkedOut: 0 };
    const observe = new Set((spec.observeEvents as string[]) ?? []);
    const ignored = new Set(((spec.ignoreCommandMonitoringEvents as string[]) ?? []).map((s) => s.toLowerCase()));
    const sensitive = spec.observeSensitiveCommands === true;
    const store = new Map<string, string[]>();
    for (const s of (spec.storeEventsAsEntities as Doc[]) ?? []) {
      this.set(s.id as string, []);
      for (const name of s.events as string[]) store.set(name, [...(store.get(name) ?? []), s.id as string]);
    }
    const redactedHellos = new Set<unknown>();
    const isIgnoredCommand = (e: AnyObj): boolean => {
      const name = String(e.commandName ?? '').toLowerCase();
      if (name === 'configurefailpoint') return true;
      if (ignored.has(name)) return true;
      if (!sensitive && SENSITIVE.has(name)) return true;
      // hello is sensitive only with speculativeAuthenticate, which the driver redacts (an
      // empty command): a plain hello from runCommand is observed like any command. The
      // started event decides; its succeeded/failed event follows it by requestId.
      if (!sensitive && HELLO.has(name)) {
        if (e.command !== undefined) {
          const redacted = Object.keys(e.command as Doc).length === 0;
          if (redacted) redactedHellos.add(e.requestId);
          return redacted;
        }
        return redactedHellos.delete(e.requestId);
      }
      return false;
    };
    for (const [unified, [kind, emitted]] of Object.entries(EVENT_NAMES)) {
      client.on(emitted, (event: AnyObj) => {
        if (unified === 'commandStartedEvent') entity.started.push(event);
        if (unified === 'connectionCheckedOutEvent') entity.checkedOut++;
        if (unified === 'connectionCheckedInEvent') entity.checkedOut--;
        if (kind === 'command' && isIgnoredCommand(event)) return;
        if (observe.has(unified)) entity.events.push({ kind, name: unified, event });
        for (const target of store.get(unified) ?? []) {
          (this.get<Doc[]>(target)).push({ name: unified.replace(/Event$/, '').replace(/^./, (c) => c.toUpperCase()) + 'Event', observedAt: Date.now() / 1000, ...plainEvent(event) });
        }
      });
    }
    this.clients.set(id, entity);
    this.set(id, client);
    this.#closers.push(() => client.close());
    // Schema 1.26: wait until every pool holds minPoolSize connections (fail after awaitMinPoolSizeMS).
    const minPoolSize = Number(uriOptions.minPoolSize ?? 0);
    const filled = spec.awaitMinPoolSizeMS !== undefined && minPoolSize > 0 ? awaitMinPoolSize(client, minPoolSize, Number(spec.awaitMinPoolSizeMS), id) : undefined;
    filled?.catch(() => undefined);
    // both drivers connect lazily on the first operation; connect now so SDAM events start here
    await client.connect().catch(() => undefined);
    await filled;
  }

  /** Ends sessions, closes cursors/change streams and clients. Never throws. */
  async close(): Promise<void> {
    for (const v of this.#map.values()) {
      const o = v as AnyObj;
      if (o && typeof o === 'object' && typeof o.endSession === 'function') await Promise.resolve(o.endSession()).catch(() => undefined);
      else if (o && typeof o === 'object' && typeof o.close === 'function' && !this.#isClient(o)) await Promise.resolve(o.close()).catch(() => undefined);
    }
    await Promise.allSettled(this.#closers.map((c) => c()));
  }

  #isClient(o: unknown): boolean {
    for (const c of this.clients.values()) if (c.client === o) return true;
    return false;
  }
}

/**
 * The format's awaitMinPoolSizeMS: resolves once every connection pool the client has made
 * ready holds `minPoolSize` connections (counted from connectionReady / connectionClosed
 * events per address); rejects after `ms`.
 */
async function awaitMinPoolSize(client: AnyObj, minPoolSize: number, ms: number, id: string): Promise<void> {
  const ready = new Map<string, number>();
  const pools = new Set<string>();
  const key = (e: AnyObj): string => String(e.address);
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (pools.size > 0 && [...pools].every((a) => (ready.get(a) ?? 0) >= minPoolSize)) done(undefined);
    };
    const onPool = (e: AnyObj): void => {
      pools.add(key(e));
      check();
    };
    const onReady = (e: AnyObj): void => {
      ready.set(key(e), (ready.get(key(e)) ?? 0) + 1);
      check();
    };
    const onClosed = (e: AnyObj): void => {
      ready.set(key(e), (ready.get(key(e)) ?? 0) - 1);
    };
    const timer = setTimeout(() => done(new Error(`client ${id}: pools not filled to minPoolSize ${minPoolSize} within awaitMinPoolSizeMS ${ms}`)), ms);
    const done = (error: Error | undefined): void => {
      clearTimeout(timer);
      client.off('connectionPoolReady', onPool);
      client.off('connectionReady', onReady);
      client.off('connectionClosed', onClosed);
      if (error) reject(error);
      else resolve();
    };
    client.on('connectionPoolReady', onPool);
    client.on('connectionReady', onReady);
    client.on('connectionClosed', onClosed);
  });
}

/** readConcern/writeConcern/readPreference as driver options (both drivers take these shapes). */
export function entityOptions(o: Doc | undefined): Doc {
  if (!o) return {};
  const out: Doc = { ...o };
  if (o.readPreference && typeof o.readPreference === 'object') {
    const rp = o.readPreference as Doc;
    out.readPreference = { mode: rp.mode, tags: rp.tagSets ?? rp.tags, maxStalenessSeconds: rp.maxStalenessSeconds, hedge: rp.hedge };
  }
  if (o.timeoutMS !== undefined) out.timeoutMS = o.timeoutMS;
  return out;
}

function plainEvent(e: AnyObj): Doc {
  const out: Doc = {};
  for (const k of ['commandName', 'databaseName', 'requestId', 'connectionId', 'address', 'duration', 'reason', 'serviceId', 'serverConnectionId']) {
    if (e[k] !== undefined) out[k] = typeof e[k] === 'object' ? String(e[k]) : e[k];
  }
  return out;
}
