/**
 * GatewayService: the one owner of the gateway's effects. It holds the core driver
 * (`@mongo-edge/core/node`: SDAM, one pool per member shared by every user, SCRAM /
 * X.509 with the gateway's own credentials) and, per command: gate -> answer it
 * itself or authorize -> run with server selection from `$readPreference` -> the
 * reply. It keeps which principal owns which cursor (and on which member), maps each
 * principal's session ids into its own namespace, and writes the audit line.
 */
import { createHash } from 'node:crypto';
import { Binary, Long, ObjectId } from 'bson';
import {
  applicationView,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  ReadPreference,
  ServerType,
  TopologyType,
  type Document,
  type MongoClient,
  type OperationExecutor,
  type ReadPreferenceLike,
} from '@mongo-edge/core/node';
import type { Logger } from '../log.js';
import { authorize, type AuthorizePolicy } from './authorize.js';
import type { GatewayLimits } from './config.js';
import { isPlainDocument } from './filter.js';
import { gate, type Envelope } from './gatekeeper.js';
import type { GatewayMetrics } from './metrics.js';
import { takeToken, type Bucket } from './rate-limit.js';
import type { GatewayPrincipal } from './rules.js';
import { restoreDoubles } from './exact-types.js';

/** Cluster replies decoded without promoting numbers (Int32, Double, Long kept), so a forwarded reply keeps its BSON types. */
const EXACT_TYPES = Object.freeze({ promoteValues: false });

/** A wire client's command as decoded without promoting numbers: its BSON types, for fidelity both ways. */
export interface ExactCommand {
  readonly body: Document;
  readonly sequences: Readonly<Record<string, readonly Document[]>>;
}

/** Who sends a command: the verified principal and a key unique to it (issuer + subject). */
export interface GatewayCaller {
  readonly principal: GatewayPrincipal;
  readonly key: string;
}

interface CursorOwner {
  readonly caller: string;
  readonly namespace: string;
  readonly address: string;
  readonly readPreference: ReadPreference;
  lastUsed: number;
}

export const GATEWAY_MAX_WIRE_VERSION = 21;
const GATEWAY_MAX_MESSAGE_SIZE_BYTES = 48_000_000;
const CURSOR_IDLE_MS = 10 * 60_000;
const errorReply = (code: number, codeName: string, errmsg: string, labels?: string[]): Document => ({
  ok: 0,
  errmsg,
  code,
  codeName,
  ...(labels && labels.length > 0 ? { errorLabels: labels } : {}),
});

const cursorKey = (id: unknown): string | undefined =>
  typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : Long.isLong(id) ? id.toString() : typeof id === 'bigint' ? id.toString() : undefined;

function readPreferenceOf(rp: unknown): ReadPreference {
  if (rp === undefined || rp === null) return ReadPreference.primary;
  if (!isPlainDocument(rp) || typeof rp.mode !== 'string') throw new TypeError('invalid $readPreference');
  const like: Record<string, unknown> = { mode: rp.mode };
  if (Array.isArray(rp.tags)) like.tags = rp.tags;
  if (typeof rp.maxStalenessSeconds === 'number') like.maxStalenessSeconds = rp.maxStalenessSeconds;
  return ReadPreference.from(like as unknown as ReadPreferenceLike);
}

export interface GatewayServiceDeps {
  readonly client: MongoClient;
  readonly policy: AuthorizePolicy;
  readonly limits: GatewayLimits;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
}

export class GatewayService {
  readonly #client: MongoClient;
  readonly #policy: AuthorizePolicy;
  readonly #limits: GatewayLimits;
  readonly #log: Logger;
  readonly #metrics: GatewayMetrics;
  readonly #cursors = new Map<string, CursorOwner>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #startedAt = Date.now();
  /** The load-balanced face's serviceId: one per gateway process (docs/gateway.md). */
  readonly #serviceId = new ObjectId();
  #connecting: Promise<void> | undefined;

  constructor(deps: GatewayServiceDeps) {
    this.#client = deps.client;
    this.#policy = deps.policy;
    this.#limits = deps.limits;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
  }

  /** Starts monitoring the cluster (commands wait for it as needed). */
  start(): Promise<void> {
    return (this.#connecting ??= this.#client.connect().then(
      () => undefined,
      (e: unknown) => {
        this.#connecting = undefined;
        this.#log.warn('gateway.cluster', { error: (e as Error).name });
      },
    ));
  }

  async close(): Promise<void> {
    this.#cursors.clear();
    await this.#client.close().catch(() => undefined);
  }

  /** The gateway's own client to the cluster (for monitoring: command, SDAM and pool events). */
  get cluster(): MongoClient {
    return this.#client;
  }

  get openCursors(): number {
    return this.#cursors.size;
  }

  /**
   * One command from a caller: always resolves with a reply document (ok: 1 or a typed ok: 0).
   * With `exact` (the wire channel), the client's integral doubles are sent as doubles and
   * the cluster's ok replies come back with their BSON types (Int32, Double, Long wrappers).
   */
  async command(caller: GatewayCaller, body: Document, sequences: Readonly<Record<string, readonly Document[]>>, connectionId: number, exact?: ExactCommand): Promise<Document> {
    const g = gate(body);
    if (!g.ok) {
      this.#audit(caller, Object.keys(body)[0] ?? '', undefined, false, undefined, g.code);
      return errorReply(g.code, g.codeName, g.message);
    }
    const { envelope, name } = g;
    if (g.kind !== 'hello' && g.kind !== 'ping' && !this.#withinRate(caller)) {
      this.#audit(caller, name, undefined, false, 'rate-limit', 13);
      return errorReply(13, 'Unauthorized', `rate limit of ${this.#limits.commandsPerSecond} commands per second exceeded`);
    }
    try {
      switch (g.kind) {
        case 'hello':
          return this.#hello(name, g.body, connectionId);
        case 'ping':
          return { ok: 1 };
        case 'buildInfo':
          return { version: '7.0.0', versionArray: [7, 0, 0, 0], gitVersion: 'mongo-edge-gateway', maxBsonObjectSize: this.#maxBsonObjectSize, ok: 1 };
        case 'getMore':
          return await this.#getMore(caller, envelope, g.body, exact !== undefined);
        case 'killCursors':
          return await this.#killCursors(caller, envelope, g.body);
        case 'endSessions':
          return await this.#endSessions(caller, g.body);
        case 'rules':
          return await this.#authorized(caller, envelope, name, g.body, sequences, exact);
      }
    } catch (e) {
      return this.#failure(e, envelope, false);
    }
  }

  #withinRate(caller: GatewayCaller): boolean {
    const perSecond = this.#limits.commandsPerSecond;
    if (perSecond === undefined) return true;
    const taken = takeToken(this.#buckets.get(caller.key), { perSecond, burst: this.#limits.burst ?? 2 * perSecond }, Date.now());
    this.#buckets.delete(caller.key);
    if (this.#buckets.size >= 100_000) this.#buckets.delete(this.#buckets.keys().next().value!);
    this.#buckets.set(caller.key, taken.bucket);
    return taken.allowed;
  }

  get #maxBsonObjectSize(): number {
    return Math.min(16 * 1024 * 1024, this.#limits.maxCommandBytes);
  }

  /**
   * The gateway's own hello: a mongos (`msg: 'isdbgrid'`); with `loadBalanced: true`, the
   * load balancer in front of it (the same reply plus `serviceId`, the web client's face).
   */
  #hello(name: string, body: Document, connectionId: number): Document {
    const reply: Document = {};
    reply[name === 'hello' ? 'isWritablePrimary' : 'ismaster'] = true;
    reply.msg = 'isdbgrid';
    reply.maxBsonObjectSize = this.#maxBsonObjectSize;
    // A driver bounds the replies it reads by maxMessageSizeBytes too, and the cluster's
    // replies (a 16 MB batch) are not bounded by maxCommandBytes: this says what a mongod
    // says. The command limit travels in the channel's `opened` frame (the transport
    // refuses a larger command before sending it, with MessageTooLarge).
    reply.maxMessageSizeBytes = GATEWAY_MAX_MESSAGE_SIZE_BYTES;
    reply.maxWriteBatchSize = this.#limits.maxDocuments;
    reply.localTime = new Date();
    reply.logicalSessionTimeoutMinutes = 30;
    reply.connectionId = connectionId;
    reply.maxWireVersion = GATEWAY_MAX_WIRE_VERSION;
    reply.minWireVersion = 0;
    if (body.helloOk === true) reply.helloOk = true;
    if (body.loadBalanced === true) reply.serviceId = this.#serviceId;
    reply.ok = 1;
    return reply;
  }

  async #authorized(caller: GatewayCaller, envelope: Envelope, name: string, body: Document, sequences: Readonly<Record<string, readonly Document[]>>, exact?: ExactCommand): Promise<Document> {
    const decision = authorize(this.#policy, caller.principal, { db: envelope.db, name, body, sequences });
    if (!decision.allowed) {
      this.#audit(caller, decision.action ?? name, decision.namespace, false, decision.rule, decision.code);
      return errorReply(decision.code, 'Unauthorized', decision.message);
    }
    if (decision.opensCursor && this.#cursorsOf(caller.key) >= this.#limits.maxCursorsPerPrincipal) {
      this.#audit(caller, decision.action, decision.namespace, false, decision.rule, 13);
      return errorReply(13, 'Unauthorized', `at most ${this.#limits.maxCursorsPerPrincipal} open cursors per user`);
    }
    this.#audit(caller, decision.action, decision.namespace, true, decision.rule);
    let readPreference: ReadPreference;
    try {
      readPreference = decision.write ? ReadPreference.primary : readPreferenceOf(envelope.readPreference);
    } catch (e) {
      return errorReply(9, 'FailedToParse', (e as Error).message);
    }
    if (exact) restoreDoubles(decision.command, { ...Object.fromEntries(Object.entries(exact.sequences)), ...exact.body });
    const command = this.#withSession(caller, decision.command, envelope);
    try {
      const executor = await this.#executor();
      const out = await executor.execute(envelope.db, command, { readPreference, retryable: decision.write ? false : 'read', deserialize: exact ? EXACT_TYPES : undefined });
      const reply = applicationView(out.reply);
      if (decision.opensCursor) this.#noteCursor(caller, reply, out.address, readPreference);
      return reply;
    } catch (e) {
      return this.#failure(e, envelope, decision.write);
    }
  }

  async #executor(): Promise<OperationExecutor> {
    return this.#client.getExecutor();
  }

  /** The caller's lsid mapped into its own namespace; txnNumber passed on with it (retryable writes). */
  #withSession(caller: GatewayCaller, command: Document, envelope: Envelope): Document {
    const out: Document = { ...command };
    if (envelope.lsid) out.lsid = this.#mapSession(caller, envelope.lsid);
    if (envelope.lsid && envelope.txnNumber !== undefined && this.#retryableWrites()) out.txnNumber = envelope.txnNumber;
    return out;
  }

  /** A standalone behind the gateway has no retryable writes: the client's txnNumber is dropped (the gateway still says mongos). */
  #retryableWrites(): boolean {
    const td = this.#client.topologyDescription;
    if (!td || td.type !== TopologyType.Single) return true;
    return [...td.servers.values()].some((s) => s.type !== ServerType.Standalone);
  }

  /** sha256(caller key, client session id) -> a UUID: another user's lsid maps to a different session. */
  #mapSession(caller: GatewayCaller, lsid: Document): Document {
    const id = lsid.id;
    const bytes = id instanceof Binary ? id.buffer : new TextEncoder().encode(String(id));
    const h = createHash('sha256').update(caller.key, 'utf8').update('\0').update(bytes).digest();
    const uuid = Uint8Array.from(h.subarray(0, 16));
    uuid[6] = (uuid[6]! & 0x0f) | 0x40;
    uuid[8] = (uuid[8]! & 0x3f) | 0x80;
    return { id: new Binary(uuid, Binary.SUBTYPE_UUID) };
  }

  #noteCursor(caller: GatewayCaller, reply: Document, address: string, readPreference: ReadPreference): void {
    const cursor = reply.cursor;
    if (!isPlainDocument(cursor)) return;
    const key = cursorKey(cursor.id);
    cursor.id = key === undefined ? cursor.id : Long.fromString(key);
    if (key === undefined || key === '0' || typeof cursor.ns !== 'string') return;
    this.#cursors.set(key, { caller: caller.key, namespace: cursor.ns, address, readPreference, lastUsed: Date.now() });
  }

  #cursorsOf(callerKey: string): number {
    const now = Date.now();
    let n = 0;
    for (const [k, c] of this.#cursors) {
      if (now - c.lastUsed > CURSOR_IDLE_MS) this.#cursors.delete(k);
      else if (c.caller === callerKey) n += 1;
    }
    return n;
  }

  /** The caller's own cursor on this namespace, or undefined (another user's id looks exactly like an unknown one). */
  #owned(caller: GatewayCaller, id: unknown, namespace: string): { key: string; owner: CursorOwner } | undefined {
    const key = cursorKey(id);
    const owner = key === undefined ? undefined : this.#cursors.get(key);
    if (!owner || owner.caller !== caller.key || owner.namespace !== namespace) return undefined;
    return { key: key!, owner };
  }

  async #getMore(caller: GatewayCaller, envelope: Envelope, body: Document, exactTypes: boolean): Promise<Document> {
    for (const k of Object.keys(body)) {
      if (!['getMore', 'collection', 'batchSize', 'maxTimeMS', 'comment'].includes(k)) return errorReply(13, 'Unauthorized', `getMore: field ${k} is not allowed through the gateway`);
    }
    const namespace = `${envelope.db}.${String(body.collection)}`;
    const found = this.#owned(caller, body.getMore, namespace);
    if (!found) {
      this.#audit(caller, 'getMore', namespace, false, undefined, 43);
      return errorReply(43, 'CursorNotFound', `cursor id ${cursorKey(body.getMore) ?? '?'} not found`);
    }
    const { key, owner } = found;
    owner.lastUsed = Date.now();
    const command: Document = { getMore: Long.fromString(key), collection: body.collection };
    if (body.batchSize !== undefined) command.batchSize = typeof body.batchSize === 'number' ? Math.min(Math.max(1, Math.floor(body.batchSize)), this.#limits.maxBatchSize) : this.#limits.maxBatchSize;
    try {
      const executor = await this.#executor();
      const out = await executor.execute(envelope.db, this.#withSession(caller, command, envelope), {
        pinnedServer: owner.address,
        readPreference: owner.readPreference,
        deserialize: exactTypes ? EXACT_TYPES : undefined,
      });
      const reply = applicationView(out.reply);
      const cursor = reply.cursor;
      if (isPlainDocument(cursor)) {
        const next = cursorKey(cursor.id);
        if (next === '0' || next === undefined) this.#cursors.delete(key);
        cursor.id = Long.fromString(next ?? '0');
      }
      return reply;
    } catch (e) {
      if (e instanceof MongoServerError && e.code === 43) this.#cursors.delete(key);
      return this.#failure(e, envelope, false);
    }
  }

  async #killCursors(caller: GatewayCaller, envelope: Envelope, body: Document): Promise<Document> {
    const namespace = `${envelope.db}.${String(body.killCursors)}`;
    const ids = Array.isArray(body.cursors) ? (body.cursors as unknown[]) : [];
    const result = { cursorsKilled: [] as Long[], cursorsNotFound: [] as Long[], cursorsAlive: [] as Long[], cursorsUnknown: [] as Long[] };
    const byServer = new Map<string, { owner: CursorOwner; ids: Long[] }>();
    for (const id of ids.slice(0, 1000)) {
      const found = this.#owned(caller, id, namespace);
      const key = cursorKey(id);
      if (!found) {
        if (key !== undefined) result.cursorsNotFound.push(Long.fromString(key));
        continue;
      }
      this.#cursors.delete(found.key);
      const group = byServer.get(found.owner.address) ?? { owner: found.owner, ids: [] };
      group.ids.push(Long.fromString(found.key));
      byServer.set(found.owner.address, group);
    }
    const executor = await this.#executor();
    for (const { owner, ids: group } of byServer.values()) {
      const out = await executor.execute(envelope.db, { killCursors: body.killCursors, cursors: group }, { pinnedServer: owner.address, readPreference: owner.readPreference });
      for (const k of ['cursorsKilled', 'cursorsNotFound', 'cursorsAlive', 'cursorsUnknown'] as const) {
        const v = out.reply[k];
        if (Array.isArray(v)) for (const x of v as unknown[]) result[k].push(Long.fromString(cursorKey(x) ?? '0'));
      }
    }
    return { ...result, ok: 1 };
  }

  async #endSessions(caller: GatewayCaller, body: Document): Promise<Document> {
    const ids = Array.isArray(body.endSessions) ? (body.endSessions as unknown[]).filter(isPlainDocument).slice(0, 10_000) : [];
    if (ids.length > 0) {
      const executor = await this.#executor();
      await executor
        .execute('admin', { endSessions: ids.map((l) => this.#mapSession(caller, l)) }, { readPreference: ReadPreference.primaryPreferred })
        .catch(() => undefined);
    }
    return { ok: 1 };
  }

  /** Any failure as a reply the client's driver understands (never the gateway's internals). */
  #failure(e: unknown, envelope: Envelope, write: boolean): Document {
    if (e instanceof MongoServerError) return e.errorResponse;
    const retryableWrite = write && envelope.txnNumber !== undefined;
    if (e instanceof MongoServerSelectionError) {
      return errorReply(133, 'FailedToSatisfyReadPreference', 'the gateway found no cluster member for this read preference', retryableWrite ? ['RetryableWriteError'] : []);
    }
    if (e instanceof MongoNetworkError) {
      return errorReply(6, 'HostUnreachable', 'the gateway lost its connection to the cluster member', retryableWrite ? ['RetryableWriteError'] : []);
    }
    this.#log.error('gateway.internal', { error: (e as Error)?.name ?? 'unknown' });
    return errorReply(1, 'InternalError', 'the gateway failed to run the command');
  }

  #audit(caller: GatewayCaller, action: string, namespace: string | undefined, allowed: boolean, rule: string | undefined, code?: number): void {
    this.#metrics.command(rule ?? '(none)', allowed);
    this.#log.info('gateway.audit', { principal: caller.principal.subject, action, namespace, allowed, rule, ...(code !== undefined ? { code } : {}) });
  }

  /** Uptime for /healthz. */
  get uptimeMs(): number {
    return Date.now() - this.#startedAt;
  }
}
