/**
 * GatewayService: the one owner of the gateway's effects. It holds the core driver
 * (`@mongo-edge/core/node`: SDAM, one pool per member shared by every user, SCRAM /
 * X.509 with the gateway's own credentials) and, per command: gate -> answer it
 * itself or authorize -> run with server selection from `$readPreference` -> the
 * reply. It keeps which principal owns which cursor (and on which member), maps each
 * principal's session ids into its own namespace, pins each transaction to the primary
 * its first statement ran on (transactions.ts), aborts the transactions of clients that
 * disconnected, applies the per-principal quotas (quota.ts) and writes the audit line.
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
import type { GatewayLimits, GatewayQuotas } from './config.js';
import { isPlainDocument } from './filter.js';
import { gate, type Envelope } from './gatekeeper.js';
import { admitDocuments, admitTransaction, chargeDocuments, documentsIn, type DocumentQuota, type DocumentWindow } from './quota.js';
import { TransactionTable, type OpenTransaction } from './transactions.js';
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
/** How long close() waits for the aborts of the transactions still open. */
const ABORT_ON_CLOSE_MS = 5_000;
const errorReply = (code: number, codeName: string, errmsg: string, labels?: string[]): Document => ({
  ok: 0,
  errmsg,
  code,
  codeName,
  ...(labels && labels.length > 0 ? { errorLabels: labels } : {}),
});

/** Server types a killSessions is sent to (every member that may hold the sessions' cursors or transactions). */
const SESSION_HOLDERS: ReadonlySet<string> = new Set([ServerType.RSPrimary, ServerType.RSSecondary, ServerType.Standalone, ServerType.Mongos]);

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
  readonly quotas?: GatewayQuotas;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
}

/** What a failure happened in, for the labels of its reply. */
type FailureContext = 'read' | 'write' | 'statement' | 'commit';

export class GatewayService {
  readonly #client: MongoClient;
  readonly #policy: AuthorizePolicy;
  readonly #limits: GatewayLimits;
  readonly #log: Logger;
  readonly #metrics: GatewayMetrics;
  readonly #cursors = new Map<string, CursorOwner>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #quotas: GatewayQuotas;
  readonly #documentQuota: DocumentQuota | undefined;
  readonly #windows = new Map<string, DocumentWindow>();
  readonly #transactions = new TransactionTable();
  /** Aborts of disconnected clients' transactions in flight (awaited by close()). */
  readonly #aborting = new Set<Promise<void>>();
  readonly #startedAt = Date.now();
  /** The load-balanced face's serviceId: one per gateway process (docs/gateway.md). */
  readonly #serviceId = new ObjectId();
  #connecting: Promise<void> | undefined;

  constructor(deps: GatewayServiceDeps) {
    this.#client = deps.client;
    this.#policy = deps.policy;
    this.#limits = deps.limits;
    this.#quotas = deps.quotas ?? {};
    this.#documentQuota =
      this.#quotas.documentsPerWindow !== undefined && this.#quotas.quotaWindowSeconds !== undefined
        ? { documentsPerWindow: this.#quotas.documentsPerWindow, windowSeconds: this.#quotas.quotaWindowSeconds }
        : undefined;
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
    for (const t of this.#transactions.drain()) this.#abortUpstream(t, 'gateway closing');
    // best effort: a cluster that does not answer does not hold the shutdown for more than 5 s
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all([...this.#aborting]), new Promise<void>((r) => (timer = setTimeout(r, ABORT_ON_CLOSE_MS)))]);
    clearTimeout(timer);
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

  get openTransactions(): number {
    return this.#transactions.size;
  }

  /**
   * A client channel closed (the client disconnected, or its driver closed the
   * connection): the transactions it carried that no open channel carries any more are
   * aborted upstream, so they hold no locks until the server's transaction lifetime limit.
   */
  channelClosed(connectionId: number): void {
    for (const t of this.#transactions.channelClosed(connectionId)) this.#abortUpstream(t, 'client disconnected');
  }

  #abortUpstream(t: OpenTransaction, reason: string): void {
    const command = { abortTransaction: 1, lsid: t.lsid, txnNumber: t.txnNumberValue, autocommit: false };
    const done = this.#executor()
      .then((executor) => executor.execute('admin', command, { pinnedServer: t.address }))
      .then(
        () => this.#log.info('gateway.transaction.aborted', { principal: t.subject, reason }),
        (e: unknown) => this.#log.info('gateway.transaction.aborted', { principal: t.subject, reason, error: e instanceof MongoServerError ? e.codeName : (e as Error)?.name }),
      )
      .finally(() => this.#aborting.delete(done));
    this.#aborting.add(done);
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
          return await this.#getMore(caller, envelope, g.body, exact !== undefined, connectionId);
        case 'killCursors':
          return await this.#killCursors(caller, envelope, g.body);
        case 'endSessions':
          return await this.#endSessions(caller, g.body);
        case 'killSessions':
          return await this.#killSessions(caller, envelope, g.body);
        case 'endTransaction':
          return await this.#endTransaction(caller, envelope, name, g.body);
        case 'rules':
          return await this.#authorized(caller, envelope, name, g.body, sequences, connectionId, exact);
      }
    } catch (e) {
      return this.#failure(e, envelope, 'read');
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

  /** The documents quota: may the caller run a command that returns or writes documents? */
  #admitDocuments(caller: GatewayCaller, action: string, namespace: string | undefined, rule: string | undefined): Document | undefined {
    if (!this.#documentQuota) return undefined;
    const decision = admitDocuments(this.#windows.get(caller.key), this.#documentQuota, Date.now());
    if (decision.allowed) return undefined;
    this.#audit(caller, action, namespace, false, rule ?? decision.quota, 13);
    return errorReply(13, 'Unauthorized', decision.message);
  }

  #chargeDocuments(caller: GatewayCaller, command: string, reply: Document): void {
    if (!this.#documentQuota) return;
    const next = chargeDocuments(this.#windows.get(caller.key), this.#documentQuota, documentsIn(command, reply), Date.now());
    this.#windows.delete(caller.key);
    if (this.#windows.size >= 100_000) this.#windows.delete(this.#windows.keys().next().value!);
    this.#windows.set(caller.key, next);
  }

  async #authorized(
    caller: GatewayCaller,
    envelope: Envelope,
    name: string,
    body: Document,
    sequences: Readonly<Record<string, readonly Document[]>>,
    connectionId: number,
    exact?: ExactCommand,
  ): Promise<Document> {
    const decision = authorize(this.#policy, caller.principal, { db: envelope.db, name, body, sequences });
    if (!decision.allowed) {
      this.#audit(caller, decision.action ?? name, decision.namespace, false, decision.rule, decision.code);
      return errorReply(decision.code, 'Unauthorized', decision.message);
    }
    if (decision.opensCursor && this.#cursorsOf(caller.key) >= this.#limits.maxCursorsPerPrincipal) {
      this.#audit(caller, decision.action, decision.namespace, false, decision.rule, 13);
      return errorReply(13, 'Unauthorized', `at most ${this.#limits.maxCursorsPerPrincipal} open cursors per user`);
    }
    const txn = envelope.transaction;
    if (txn?.start) {
      const replaced = sessionKey(this.#mapSession(caller, envelope.lsid!));
      const admitted = admitTransaction(this.#transactions.openOf(caller.key, Date.now(), replaced), this.#quotas.maxTransactionsPerPrincipal);
      if (!admitted.allowed) {
        this.#audit(caller, decision.action, decision.namespace, false, admitted.quota, 13);
        return errorReply(13, 'Unauthorized', admitted.message);
      }
    }
    const overQuota = this.#admitDocuments(caller, decision.action, decision.namespace, decision.rule);
    if (overQuota) return overQuota;
    this.#audit(caller, decision.action, decision.namespace, true, decision.rule);
    let readPreference: ReadPreference;
    try {
      // a transaction reads from its primary (the Transactions spec: read preference primary)
      readPreference = decision.write || txn ? ReadPreference.primary : readPreferenceOf(envelope.readPreference);
    } catch (e) {
      return errorReply(9, 'FailedToParse', (e as Error).message);
    }
    if (exact) restoreDoubles(decision.command, { ...Object.fromEntries(Object.entries(exact.sequences)), ...exact.body });
    const command = this.#withSession(caller, decision.command, envelope);
    try {
      const executor = await this.#executor();
      let out;
      if (txn) {
        // One attempt, never retried here (the client retries per the Transactions spec): the
        // first statement on the primary, every later one on the member it ran on.
        const session = sessionKey(command.lsid as Document);
        const open = txn.start ? undefined : this.#transactions.get(session, txnKey(envelope.txnNumber));
        if (open) this.#transactions.touched(open, connectionId, Date.now());
        out = await executor.execute(envelope.db, command, {
          ...(open ? { pinnedServer: open.address } : { readPreference, retryable: false as const }),
          deserialize: exact ? EXACT_TYPES : undefined,
        });
        if (txn.start) {
          this.#transactions.started(
            { session, lsid: command.lsid as Document, caller: caller.key, subject: caller.principal.subject, txnNumber: txnKey(envelope.txnNumber), txnNumberValue: envelope.txnNumber, address: out.address },
            connectionId,
            Date.now(),
          );
        }
      } else {
        out = await executor.execute(envelope.db, command, { readPreference, retryable: decision.write ? false : 'read', deserialize: exact ? EXACT_TYPES : undefined });
      }
      const reply = applicationView(out.reply);
      this.#chargeDocuments(caller, name, reply);
      if (decision.opensCursor) this.#noteCursor(caller, reply, out.address, readPreference);
      return reply;
    } catch (e) {
      return this.#failure(e, envelope, txn ? 'statement' : decision.write ? 'write' : 'read');
    }
  }

  /**
   * commitTransaction / abortTransaction: only ever of the caller's own upstream session
   * (the lsid is mapped like any other, so another user's lsid names a session of the
   * caller's namespace, which has no such transaction: mongod answers NoSuchTransaction).
   * Sent to the primary by server selection, as the Transactions spec retries them; the
   * client's recoveryToken is dropped (the gateway, not the client, knows the member).
   */
  async #endTransaction(caller: GatewayCaller, envelope: Envelope, name: string, body: Document): Promise<Document> {
    for (const k of Object.keys(body)) {
      if (![name, 'writeConcern', 'maxTimeMS', 'comment', 'recoveryToken'].includes(k)) return errorReply(13, 'Unauthorized', `${name}: field ${k} is not allowed through the gateway`);
    }
    const command: Document = { [name]: 1 };
    if (body.writeConcern !== undefined) command.writeConcern = body.writeConcern;
    if (body.maxTimeMS !== undefined) command.maxTimeMS = Math.min(typeof body.maxTimeMS === 'number' ? body.maxTimeMS : this.#limits.maxTimeMS, this.#limits.maxTimeMS);
    if (body.comment !== undefined) command.comment = body.comment;
    const full = this.#withSession(caller, command, envelope);
    const session = sessionKey(full.lsid as Document);
    const open = this.#transactions.get(session, txnKey(envelope.txnNumber));
    this.#audit(caller, name, undefined, true, undefined);
    try {
      const executor = await this.#executor();
      const out = await executor.execute(envelope.db, full, { readPreference: ReadPreference.primary, retryable: false });
      if (open) this.#transactions.ended(session);
      return applicationView(out.reply);
    } catch (e) {
      // an abort ends it whatever the answer; a commit that may be retried keeps it (UnknownTransactionCommitResult)
      if (open && (name === 'abortTransaction' || (e instanceof MongoServerError && !e.hasErrorLabel('UnknownTransactionCommitResult')))) this.#transactions.ended(session);
      return this.#failure(e, envelope, name === 'commitTransaction' ? 'commit' : 'statement');
    }
  }

  /** killSessions of the caller's own sessions (mapped), on every member; the empty list (every session of the shared database user) is refused. */
  async #killSessions(caller: GatewayCaller, envelope: Envelope, body: Document): Promise<Document> {
    for (const k of Object.keys(body)) if (k !== 'killSessions') return errorReply(13, 'Unauthorized', `killSessions: field ${k} is not allowed through the gateway`);
    const ids = Array.isArray(body.killSessions) ? (body.killSessions as unknown[]) : [];
    if (ids.length === 0 || !ids.every(isPlainDocument)) {
      this.#audit(caller, 'killSessions', undefined, false, undefined, 13);
      return errorReply(13, 'Unauthorized', 'killSessions needs a list of session ids { id: UUID } through the gateway (an empty list would kill the sessions of every user)');
    }
    const mapped = (ids as Document[]).slice(0, 10_000).map((l) => this.#mapSession(caller, l));
    for (const l of mapped) this.#transactions.ended(sessionKey(l));
    this.#audit(caller, 'killSessions', undefined, true, undefined);
    const executor = await this.#executor();
    const members = [...(this.#client.topologyDescription?.servers.values() ?? [])].filter((sd) => SESSION_HOLDERS.has(sd.type));
    await Promise.all(members.map((sd) => executor.execute(envelope.db, { killSessions: mapped }, { pinnedServer: sd.address }).catch(() => undefined)));
    return { ok: 1 };
  }

  async #executor(): Promise<OperationExecutor> {
    return this.#client.getExecutor();
  }

  /**
   * The caller's lsid mapped into its own namespace; txnNumber passed on with it
   * (retryable writes), and a transaction's `autocommit: false` / `startTransaction: true`.
   */
  #withSession(caller: GatewayCaller, command: Document, envelope: Envelope): Document {
    const out: Document = { ...command };
    if (envelope.lsid) out.lsid = this.#mapSession(caller, envelope.lsid);
    if (envelope.transaction) {
      out.txnNumber = envelope.txnNumber;
      if (envelope.transaction.start) out.startTransaction = true;
      out.autocommit = false;
    } else if (envelope.lsid && envelope.txnNumber !== undefined && this.#retryableWrites()) out.txnNumber = envelope.txnNumber;
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

  async #getMore(caller: GatewayCaller, envelope: Envelope, body: Document, exactTypes: boolean, connectionId: number): Promise<Document> {
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
    const overQuota = this.#admitDocuments(caller, 'getMore', namespace, undefined);
    if (overQuota) return overQuota;
    owner.lastUsed = Date.now();
    const command: Document = { getMore: Long.fromString(key), collection: body.collection };
    if (body.batchSize !== undefined) command.batchSize = typeof body.batchSize === 'number' ? Math.min(Math.max(1, Math.floor(body.batchSize)), this.#limits.maxBatchSize) : this.#limits.maxBatchSize;
    try {
      const executor = await this.#executor();
      const full = this.#withSession(caller, command, envelope);
      if (envelope.transaction) {
        const open = this.#transactions.get(sessionKey(full.lsid as Document), txnKey(envelope.txnNumber));
        if (open) this.#transactions.touched(open, connectionId, Date.now());
      }
      const out = await executor.execute(envelope.db, full, {
        pinnedServer: owner.address,
        readPreference: envelope.transaction ? undefined : owner.readPreference,
        deserialize: exactTypes ? EXACT_TYPES : undefined,
      });
      const reply = applicationView(out.reply);
      this.#chargeDocuments(caller, 'getMore', reply);
      const cursor = reply.cursor;
      if (isPlainDocument(cursor)) {
        const next = cursorKey(cursor.id);
        if (next === '0' || next === undefined) this.#cursors.delete(key);
        cursor.id = Long.fromString(next ?? '0');
      }
      return reply;
    } catch (e) {
      if (e instanceof MongoServerError && e.code === 43) this.#cursors.delete(key);
      return this.#failure(e, envelope, envelope.transaction ? 'statement' : 'read');
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
      const mapped = ids.map((l) => this.#mapSession(caller, l));
      // mongod aborts an ended session's open transaction
      for (const l of mapped) this.#transactions.ended(sessionKey(l));
      const executor = await this.#executor();
      await executor.execute('admin', { endSessions: mapped }, { readPreference: ReadPreference.primaryPreferred }).catch(() => undefined);
    }
    return { ok: 1 };
  }

  /**
   * Any failure as a reply the client's driver understands (never the gateway's internals).
   * Labels as a mongos gives them: a retryable write's RetryableWriteError; inside a
   * transaction TransientTransactionError (the client may run it again), and on commit
   * UnknownTransactionCommitResult (the client may commit again).
   */
  #failure(e: unknown, envelope: Envelope, context: FailureContext): Document {
    if (e instanceof MongoServerError) return e.errorResponse;
    const labels =
      context === 'statement' ? ['TransientTransactionError'] : context === 'commit' ? ['UnknownTransactionCommitResult'] : context === 'write' && envelope.txnNumber !== undefined ? ['RetryableWriteError'] : [];
    if (e instanceof MongoServerSelectionError) {
      return errorReply(133, 'FailedToSatisfyReadPreference', 'the gateway found no cluster member for this read preference', labels);
    }
    if (e instanceof MongoNetworkError) {
      return errorReply(6, 'HostUnreachable', 'the gateway lost its connection to the cluster member', labels);
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

/** An upstream session's key: the mapped lsid's UUID as hex. */
function sessionKey(lsid: Document): string {
  const id = lsid.id;
  return id instanceof Binary ? Buffer.from(id.buffer).toString('hex') : String(id);
}

/** A txnNumber as a decimal string (Long, number or bigint alike). */
function txnKey(v: unknown): string {
  return Long.isLong(v) ? v.toString() : String(v);
}
