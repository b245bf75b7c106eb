/**
 * The `--mongos` router: answers the handshake and a few diagnostics itself (hello /
 * isMaster as mongos does, `msg: 'isdbgrid'`, ping, buildInfo, isdbgrid, endSessions,
 * serverStatus, getCmdLineOpts) and forwards every other command to the replica set
 * behind it with our own driver (`@mongo-edge/core/node`): `$readPreference` chooses
 * the member, getMore / killCursors go to the member that owns the cursor, kind-1
 * document sequences are passed on, `lsid` / `txnNumber` are forwarded as they came.
 * Errors from the shard come back as the shard sent them.
 */
import os from 'node:os';
import { Long, ObjectId } from 'bson';
import {
  MongoClient,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  ReadPreference,
  isStateChangeError,
  type ReadPreferenceLike,
} from '@mongo-edge/core/node';
import { buildInfo } from '../build-info.js';
import type { DispatchOptions, DispatchResult } from '../dispatcher.js';
import { ErrorCode } from '../errors.js';
import { failCommandEffect } from '../failpoints.js';
import { ENDS_TRANSACTION, TRANSIENT } from '../txn/transactions.js';
import { MAX_WIRE_VERSION, SIM_VERSION, type ConnectionInfo, type SimNode } from '../node.js';
import { isPlainObject, keyOf, toViewDoc, type Doc } from '../storage/values.js';
import { sleep } from '../util/async.js';

export const FAILED_TO_SATISFY_READ_PREFERENCE = 133;
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
/** How long a router waits for a member matching the read preference (`--setParameter simFindHostTimeoutMS=N`). */
export const DEFAULT_FIND_HOST_TIMEOUT_MS = 15000;

export interface RouterOptions {
  /** Connection string of the replica set behind the router (`mongodb://h1,h2/?replicaSet=rs0`). */
  seeds: string;
  /** Shard (replica set) name, for error messages; read from `replicaSet=` when absent. */
  setName?: string;
  /** --localThreshold: the latency window (ms) for choosing among eligible members (default 15). */
  localThresholdMS?: number;
  /** How long to wait for a suitable member (default 15 s). */
  findHostTimeoutMS?: number;
  /** For getCmdLineOpts. */
  cmdLine?: { argv: string[]; parsed: Doc };
  /** Called on { shutdown: 1 }. */
  onShutdown?: () => void;
}

/** Commands that always go to the primary, whatever `$readPreference` says. */
const WRITE_COMMANDS = new Set([
  'insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'create', 'drop', 'dropDatabase', 'createIndexes',
  'dropIndexes', 'deleteIndexes', 'renameCollection', 'collMod', 'commitTransaction', 'abortTransaction',
  'createUser', 'updateUser', 'dropUser', 'dropAllUsersFromDatabase', 'createRole', 'dropRole', 'grantRolesToUser', 'revokeRolesFromUser',
]);
/** Batch writes: a targeting failure is reported per statement (writeErrors), as mongos does. */
const BATCH_WRITES: Readonly<Record<string, string>> = { insert: 'documents', update: 'updates', delete: 'deletes' };
/** Commands whose reply opens a cursor on the member that answered. */
const CURSOR_COMMANDS = new Set(['find', 'aggregate', 'listCollections', 'listIndexes']);
const HELLO = new Set(['hello', 'isMaster', 'ismaster']);
/** Fields the router owns: never sent on to the shard as the client wrote them. */
const ROUTER_FIELDS = ['$db', '$readPreference', '$clusterTime'];
const MAX_TRACKED_CURSORS = 100_000;

interface CursorOwner {
  address: string;
  readPreference: ReadPreference;
}

interface Forwarded {
  reply: Doc;
  address?: string;
}

export class MongosRouter {
  readonly client: MongoClient;
  readonly processId = new ObjectId();
  readonly startedAt = Date.now();
  readonly setName: string | undefined;
  /** cursor id (decimal string) -> the member that owns it. */
  private readonly cursors = new Map<string, CursorOwner>();
  private clusterTime: Doc | undefined;
  private operationTime: unknown;
  private connecting: Promise<void> | undefined;
  private closed = false;
  /** Transactions this router ran statements of (lsid id key : txnNumber), oldest first. */
  private readonly transactions = new Set<string>();
  /** Forwarded commands per member address (diagnostics; serverStatus.simRouter). */
  readonly forwardedTo = new Map<string, number>();

  constructor(readonly options: RouterOptions) {
    const q = options.seeds.indexOf('?');
    const params = new URLSearchParams(q >= 0 ? options.seeds.slice(q + 1) : '');
    this.setName = options.setName ?? params.get('replicaSet') ?? undefined;
    this.client = new MongoClient(options.seeds, {
      appName: 'mongod-sim mongos',
      ...(params.has('serverSelectionTimeoutMS') ? {} : { serverSelectionTimeoutMS: options.findHostTimeoutMS ?? DEFAULT_FIND_HOST_TIMEOUT_MS }),
      ...(options.localThresholdMS !== undefined ? { localThresholdMS: options.localThresholdMS } : {}),
    });
  }

  /** Starts monitoring the replica set in the background (commands wait for it as needed). */
  start(): void {
    this.connecting ??= this.client.connect().then(
      () => undefined,
      () => undefined, // retried by the first forwarded command
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cursors.clear();
    // MongoClient.close() waits for a pending connect() (up to serverSelectionTimeoutMS
    // when the set is unreachable) before it closes the topology: do not hold shutdown on it.
    const closing = this.client.close().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }

  /** A WireServer `dispatch` replacement. */
  dispatch = async (
    node: SimNode,
    conn: ConnectionInfo,
    body: Doc,
    sequences: Readonly<Record<string, Doc[]>> = {},
    _exhaustAllowed = false,
    _opts: DispatchOptions = {},
  ): Promise<DispatchResult> => {
    const name = Object.keys(body)[0];
    if (name === undefined) return { reply: errorReply(ErrorCode.FailedToParse, 'Command document is empty') };
    const db = body.$db;
    if (typeof db !== 'string') return { reply: errorReply(40571, 'OP_MSG requests require a $db argument') };
    const args = toViewDoc(body);
    node.opcounters[name === 'getMore' ? 'getmore' : name === 'find' ? 'query' : 'command']++;
    // fail points are the router's own, as on mongos (configureFailPoint is not forwarded)
    const failed = await failCommandEffect(node.failPoints, name, args, conn.appName, conn.signal);
    if (failed?.kind === 'close') return { reply: {}, closeConnection: true };
    if (failed?.kind === 'error') return { reply: this.withTime(failed.reply) };
    let reply: Doc;
    try {
      reply = await this.run(node, conn, name, db, body, args, sequences);
      if (failed?.kind === 'writeConcernError' && reply.ok === 1) {
        reply.writeConcernError = failed.writeConcernError;
        if (Array.isArray(failed.errorLabels)) reply.errorLabels = failed.errorLabels;
      }
    } catch (e) {
      node.logger.log('COMMAND', 21962, `conn${conn.id}`, 'Assertion while executing command', { command: name, error: String((e as Error)?.stack ?? e) }, { severity: 'E' });
      reply = errorReply(ErrorCode.InternalError, (e as Error)?.message ?? String(e));
    }
    return { reply };
  };

  private async run(node: SimNode, conn: ConnectionInfo, name: string, db: string, body: Doc, args: Doc, sequences: Readonly<Record<string, Doc[]>>): Promise<Doc> {
    if (HELLO.has(name)) return this.hello(conn, name, body, args);
    switch (name) {
      case 'ping':
        return this.withTime({ ok: 1 });
      case 'buildInfo':
      case 'buildinfo':
        return this.withTime({ ...buildInfo([]), ok: 1 });
      case 'isdbgrid':
        return this.withTime({ isdbgrid: 1, hostname: os.hostname(), ok: 1 });
      case 'endSessions':
        return this.endSessions(body);
      case 'serverStatus':
        return this.withTime(this.serverStatus(node));
      case 'getCmdLineOpts':
        return { argv: this.options.cmdLine?.argv ?? ['mongod-sim', '--mongos'], parsed: this.options.cmdLine?.parsed ?? {}, ok: 1 };
      case 'whatsmyuri':
        return { you: conn.remote, ok: 1 };
      case 'shutdown':
        if (db !== 'admin') return errorReply(ErrorCode.Unauthorized, 'shutdown may only be run against the admin database.');
        this.options.onShutdown?.();
        return { ok: 1 };
      case 'configureFailPoint': {
        if (db !== 'admin') return errorReply(ErrorCode.Unauthorized, 'configureFailPoint may only be run against the admin database.');
        if (typeof args.configureFailPoint !== 'string') return errorReply(ErrorCode.TypeMismatch, "'configureFailPoint' must be a string");
        try {
          return { ...node.failPoints.configure(args.configureFailPoint, args.mode, body.data), ok: 1 };
        } catch (e) {
          const err = e as { code?: number; message: string };
          return errorReply(err.code ?? ErrorCode.BadValue, err.message);
        }
      }
      case 'checkMetadataConsistency':
        return this.withTime(this.checkMetadataConsistency(db, args));
      case 'getMore':
        return this.getMore(db, body);
      case 'killCursors':
        return this.killCursors(db, body);
      default:
        return this.forwardCommand(name, db, body, args, sequences);
    }
  }

  // ------------------------------------------------------------------ answered by the router

  /**
   * mongos 7.0's metadata check (admin: the cluster, another database: that database, a
   * string value: one collection). The sim's routing metadata lives in one place and cannot
   * disagree with the shards, so the cursor of inconsistencies is always empty.
   */
  private checkMetadataConsistency(db: string, args: Doc): Doc {
    const target = args.checkMetadataConsistency;
    if (typeof target !== 'string' && target !== 1 && target !== true && !(typeof target === 'number' && target !== 0)) {
      return errorReply(ErrorCode.TypeMismatch, "BSON field 'checkMetadataConsistency' must be 1 or a collection name");
    }
    const ns = typeof target === 'string' ? `${db}.${target}` : `${db}.$cmd.aggregate`;
    return { cursor: { id: Long.ZERO, ns, firstBatch: [] }, ok: 1 };
  }

  private async hello(conn: ConnectionInfo, name: string, body: Doc, args: Doc): Promise<Doc> {
    // Awaitable hello: a router's topology never changes, so wait out maxAwaitTimeMS.
    if (typeof args.maxAwaitTimeMS === 'number' && this.isOurTopologyVersion(body.topologyVersion)) {
      await sleep(args.maxAwaitTimeMS, conn.signal);
    }
    const reply: Doc = {};
    reply[name === 'hello' ? 'isWritablePrimary' : 'ismaster'] = true;
    reply.msg = 'isdbgrid';
    reply.topologyVersion = { processId: this.processId, counter: Long.ZERO };
    reply.maxBsonObjectSize = MAX_BSON_OBJECT_SIZE;
    reply.maxMessageSizeBytes = 48000000;
    reply.maxWriteBatchSize = 100000;
    reply.localTime = new Date();
    reply.logicalSessionTimeoutMinutes = 30;
    reply.connectionId = conn.id;
    reply.maxWireVersion = MAX_WIRE_VERSION;
    reply.minWireVersion = 0;
    if (args.helloOk === true) reply.helloOk = true;
    reply.ok = 1;
    return this.withTime(reply);
  }

  private isOurTopologyVersion(tv: unknown): boolean {
    if (!isPlainObject(tv)) return false;
    const pid = tv.processId as { toHexString?: () => string } | undefined;
    return typeof pid?.toHexString === 'function' && pid.toHexString() === this.processId.toHexString();
  }

  /** Ends the sessions on the shard too (best effort), then answers ok as mongos does. */
  private async endSessions(body: Doc): Promise<Doc> {
    if (Array.isArray(body.endSessions) && body.endSessions.length > 0) {
      await this.forward('admin', { endSessions: body.endSessions }, { readPreference: ReadPreference.primaryPreferred }).catch(() => undefined);
    }
    return this.withTime({ ok: 1 });
  }

  private serverStatus(node: SimNode): Doc {
    const uptimeMillis = Date.now() - this.startedAt;
    return {
      host: node.host,
      version: SIM_VERSION,
      process: 'mongos',
      pid: Long.fromNumber(process.pid),
      uptime: Math.floor(uptimeMillis / 1000),
      uptimeMillis: Long.fromNumber(uptimeMillis),
      uptimeEstimate: Long.fromNumber(Math.floor(uptimeMillis / 1000)),
      localTime: new Date(),
      connections: { current: node.connections.current, available: 838860 - node.connections.current, totalCreated: node.connections.totalCreated },
      opcounters: { ...node.opcounters },
      simRouter: { shard: this.setName ?? null, openCursors: this.cursors.size, forwardedTo: Object.fromEntries(this.forwardedTo) },
      ok: 1,
    };
  }

  // ------------------------------------------------------------------ forwarding

  private async forwardCommand(name: string, db: string, body: Doc, args: Doc, sequences: Readonly<Record<string, Doc[]>>): Promise<Doc> {
    let readPreference: ReadPreference;
    try {
      readPreference = this.isWrite(name, args) ? ReadPreference.primary : readPreferenceOf(args.$readPreference);
    } catch (e) {
      return errorReply(ErrorCode.FailedToParse, (e as Error).message);
    }
    const txn = this.transactionOf(name, args);
    if (txn?.ends && name === 'commitTransaction' && !this.transactions.has(txn.key)) return this.recoverCommit(body, args);
    const hasSequences = Object.keys(sequences).length > 0;
    const out = await this.forward(db, stripRouterFields(body), {
      readPreference,
      ...(hasSequences ? { sequences: sequences as Record<string, Doc[]> } : {}),
      // a transaction's commands run once (the driver retries commit / abort)
      retryable: txn ? false : !this.isWrite(name, args) || body.txnNumber !== undefined,
      batch: BATCH_WRITES[name] !== undefined && !txn ? { name, body, sequences } : undefined,
      write: this.isWrite(name, args),
      transaction: txn !== undefined && !txn.ends,
    });
    if (out.address && CURSOR_COMMANDS.has(name)) this.noteCursor(out.reply, out.address, readPreference);
    if (txn && !txn.ends) {
      this.noteTransaction(txn.key);
      // mongos 4.2+: every reply of a transaction's statement carries the recovery token
      out.reply.recoveryToken = { recoveryShardId: this.setName ?? 'shard' };
    }
    return out.reply;
  }

  /** A command of a multi-document transaction: its key (lsid : txnNumber) and whether it ends it. */
  private transactionOf(name: string, args: Doc): { key: string; ends: boolean } | undefined {
    const ends = ENDS_TRANSACTION.has(name);
    if (args.autocommit === undefined && !ends) return undefined;
    if (!isPlainObject(args.lsid) || args.txnNumber === undefined) return undefined;
    return { key: `${keyOf(args.lsid.id)}:${String(args.txnNumber)}`, ends };
  }

  private noteTransaction(key: string): void {
    if (this.transactions.has(key)) return;
    if (this.transactions.size >= MAX_TRACKED_CURSORS) {
      const oldest = this.transactions.values().next().value;
      if (oldest !== undefined) this.transactions.delete(oldest);
    }
    this.transactions.add(key);
  }

  /**
   * commitTransaction of a transaction another router ran (its client retried the commit
   * here): with the recoveryToken, ask the shard for the decision (coordinateCommitTransaction
   * never commits); without one there is nothing to recover.
   */
  private async recoverCommit(body: Doc, args: Doc): Promise<Doc> {
    if (!isPlainObject(args.recoveryToken)) {
      const reply = errorReply(ErrorCode.NoSuchTransaction, 'Cannot commit without participants');
      reply.errorLabels = [TRANSIENT];
      return this.withTime(reply);
    }
    const cmd: Doc = { coordinateCommitTransaction: 1, participants: [], lsid: body.lsid, txnNumber: body.txnNumber, autocommit: false };
    if (body.writeConcern !== undefined) cmd.writeConcern = body.writeConcern;
    if (body.maxTimeMS !== undefined) cmd.maxTimeMS = body.maxTimeMS;
    const out = await this.forward('admin', cmd, { readPreference: ReadPreference.primary, write: true });
    return out.reply;
  }

  private isWrite(name: string, args: Doc): boolean {
    if (WRITE_COMMANDS.has(name)) return true;
    if (name === 'aggregate' && Array.isArray(args.pipeline)) {
      const last = args.pipeline[args.pipeline.length - 1] as Doc | undefined;
      return isPlainObject(last) && ('$out' in last || '$merge' in last);
    }
    return false;
  }

  private async getMore(db: string, body: Doc): Promise<Doc> {
    const key = cursorKey(body.getMore);
    const owner = key === undefined ? undefined : this.cursors.get(key);
    if (!owner) return errorReply(ErrorCode.CursorNotFound, `cursor id ${key ?? String(body.getMore)} not found`);
    const out = await this.forward(db, stripRouterFields(body), { pinnedServer: owner.address, readPreference: owner.readPreference });
    const cursor = out.reply.cursor;
    if (out.reply.ok !== 1 || !isPlainObject(cursor) || cursorKey(cursor.id) === '0') this.cursors.delete(key!);
    if (isPlainObject(cursor)) cursor.id = toLong(cursor.id);
    return out.reply;
  }

  private async killCursors(db: string, body: Doc): Promise<Doc> {
    const ids = Array.isArray(body.cursors) ? body.cursors : [];
    const byOwner = new Map<string, { owner: CursorOwner; ids: unknown[] }>();
    const notFound: unknown[] = [];
    for (const id of ids) {
      const key = cursorKey(id);
      const owner = key === undefined ? undefined : this.cursors.get(key);
      if (!owner) {
        notFound.push(toLong(id));
        continue;
      }
      this.cursors.delete(key!);
      const group = byOwner.get(owner.address) ?? { owner, ids: [] };
      group.ids.push(toLong(id));
      byOwner.set(owner.address, group);
    }
    const result: Doc = { cursorsKilled: [], cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
    for (const { owner, ids: group } of byOwner.values()) {
      const out = await this.forward(db, { killCursors: body.killCursors, cursors: group }, { pinnedServer: owner.address, readPreference: owner.readPreference });
      if (out.reply.ok !== 1) return out.reply;
      for (const k of ['cursorsKilled', 'cursorsNotFound', 'cursorsAlive', 'cursorsUnknown']) {
        const v = out.reply[k];
        if (Array.isArray(v)) (result[k] as unknown[]).push(...v.map(toLong));
      }
    }
    result.ok = 1;
    return this.withTime(result);
  }

  private noteCursor(reply: Doc, address: string, readPreference: ReadPreference): void {
    const cursor = reply.cursor;
    if (reply.ok !== 1 || !isPlainObject(cursor)) return;
    cursor.id = toLong(cursor.id);
    const key = cursorKey(cursor.id);
    if (key === undefined || key === '0') return;
    if (this.cursors.size >= MAX_TRACKED_CURSORS) {
      const oldest = this.cursors.keys().next().value;
      if (oldest !== undefined) this.cursors.delete(oldest);
    }
    this.cursors.set(key, { address, readPreference });
  }

  /**
   * Runs one command on the replica set: one more attempt after a network or
   * state-change error when that is safe (reads; writes carrying txnNumber), as mongos
   * retries internally. Shard errors come back as the shard sent them.
   */
  private async forward(
    db: string,
    command: Doc,
    o: {
      readPreference: ReadPreference;
      pinnedServer?: string;
      sequences?: Record<string, Doc[]>;
      retryable?: boolean;
      write?: boolean;
      /** A command of a multi-document transaction (a lost shard is a transient error). */
      transaction?: boolean;
      batch?: { name: string; body: Doc; sequences: Readonly<Record<string, Doc[]>> } | undefined;
    },
  ): Promise<Forwarded> {
    const attempts = o.retryable && !o.pinnedServer ? 2 : 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        const executor = await this.client.getExecutor();
        const res = await executor.execute(db, command, {
          readPreference: o.readPreference,
          ...(o.pinnedServer ? { pinnedServer: o.pinnedServer } : {}),
          ...(o.sequences ? { sequences: o.sequences } : {}),
        });
        this.forwardedTo.set(res.address, (this.forwardedTo.get(res.address) ?? 0) + 1);
        this.observe(res.reply);
        return { reply: res.reply as Doc, address: res.address };
      } catch (e) {
        lastError = e;
        if (e instanceof MongoServerError && !(e instanceof MongoServerSelectionError)) {
          const reply = e.errorResponse as Doc;
          this.observe(reply);
          if (attempt + 1 < attempts && isStateChangeError(e)) continue;
          return { reply };
        }
        if (e instanceof MongoNetworkError && attempt + 1 < attempts) continue;
        break;
      }
    }
    return { reply: this.failureReply(lastError, o) };
  }

  /** What mongos answers when it could not get an answer from the shard. */
  private failureReply(
    e: unknown,
    o: { readPreference: ReadPreference; write?: boolean; transaction?: boolean; batch?: { name: string; body: Doc; sequences: Readonly<Record<string, Doc[]>> } | undefined },
  ): Doc {
    const set = this.setName ?? 'shard';
    if (e instanceof MongoServerSelectionError || (e instanceof Error && e.name === 'MongoServerSelectionError')) {
      const why = `Could not find host matching read preference ${formatReadPreference(o.readPreference)} for set ${set}`;
      if (o.batch) return this.batchFailure(o.batch, FAILED_TO_SATISFY_READ_PREFERENCE, `Write results unavailable from failing to target a host in the shard ${set} :: caused by :: ${why}`);
      return this.withTime(errorReply(FAILED_TO_SATISFY_READ_PREFERENCE, why));
    }
    if (e instanceof MongoNetworkError) {
      const reply = errorReply(ErrorCode.HostUnreachable, `Connection to the shard ${set} failed :: caused by :: ${e.message}`);
      if (o.transaction) {
        reply.errorLabels = [TRANSIENT];
        return this.withTime(reply);
      }
      if (o.write) {
        if (o.batch) return this.batchFailure(o.batch, ErrorCode.HostUnreachable, `Write results unavailable from ${set} :: caused by :: ${e.message}`);
        reply.errorLabels = ['RetryableWriteError'];
      }
      return this.withTime(reply);
    }
    if (e instanceof MongoInvalidArgumentError) return errorReply(ErrorCode.BadValue, e.message);
    return errorReply(ErrorCode.InternalError, (e as Error)?.message ?? String(e));
  }

  /** insert / update / delete: the error is reported per statement (all of them when unordered). */
  private batchFailure(batch: { name: string; body: Doc; sequences: Readonly<Record<string, Doc[]>> }, code: number, errmsg: string): Doc {
    const field = BATCH_WRITES[batch.name]!;
    const ops = batch.sequences[field] ?? (Array.isArray(batch.body[field]) ? (batch.body[field] as unknown[]) : []);
    const ordered = batch.body.ordered !== false;
    const count = ordered ? Math.min(1, ops.length) : ops.length;
    const reply: Doc = { n: 0 };
    if (batch.name === 'update') reply.nModified = 0;
    reply.writeErrors = Array.from({ length: count }, (_, index) => ({ index, code, errmsg }));
    reply.ok = 1;
    return this.withTime(reply);
  }

  /** $clusterTime gossip: remember the newest cluster time a shard reported. */
  private observe(reply: Doc): void {
    const ct = reply.$clusterTime;
    if (isPlainObject(ct) && ct.clusterTime !== undefined) {
      if (!this.clusterTime || compareTs(ct.clusterTime, this.clusterTime.clusterTime) > 0) this.clusterTime = ct;
    }
    if (reply.operationTime !== undefined && (this.operationTime === undefined || compareTs(reply.operationTime, this.operationTime) > 0)) {
      this.operationTime = reply.operationTime;
    }
  }

  /** Replies the router makes itself carry the newest known $clusterTime / operationTime, as mongos does. */
  private withTime(reply: Doc): Doc {
    if (this.clusterTime) reply.$clusterTime = this.clusterTime;
    if (this.operationTime !== undefined) reply.operationTime = this.operationTime;
    return reply;
  }
}

// ------------------------------------------------------------------ helpers

function errorReply(code: number, errmsg: string): Doc {
  return { ok: 0, errmsg, code, codeName: codeNameOf(code) };
}

function codeNameOf(code: number): string {
  if (code === FAILED_TO_SATISFY_READ_PREFERENCE) return 'FailedToSatisfyReadPreference';
  const entry = Object.entries(ErrorCode).find(([, v]) => v === code);
  return entry ? entry[0] : 'UnknownError';
}

function stripRouterFields(body: Doc): Doc {
  const out: Doc = { ...body };
  for (const k of ROUTER_FIELDS) delete out[k];
  return out;
}

/** `$readPreference` of an OP_MSG body (JS numbers); primary when absent. */
export function readPreferenceOf(rp: unknown): ReadPreference {
  if (rp === undefined || rp === null) return ReadPreference.primary;
  if (typeof rp === 'string') return ReadPreference.from(rp as ReadPreferenceLike);
  if (!isPlainObject(rp) || typeof rp.mode !== 'string') throw new MongoInvalidArgumentError(`invalid $readPreference: ${JSON.stringify(rp)}`);
  const like: Doc = { mode: rp.mode };
  if (Array.isArray(rp.tags)) like.tags = rp.tags;
  if (typeof rp.maxStalenessSeconds === 'number') like.maxStalenessSeconds = rp.maxStalenessSeconds;
  if (isPlainObject(rp.hedge)) like.hedge = rp.hedge;
  return ReadPreference.from(like as ReadPreferenceLike);
}

/** A read preference as mongod prints a BSON object: `{ mode: "secondary", tags: [ { dc: "east" } ] }`. */
export function formatReadPreference(rp: ReadPreference): string {
  const fmt = (v: unknown): string => {
    if (typeof v === 'string') return JSON.stringify(v);
    if (Array.isArray(v)) return v.length ? `[ ${v.map(fmt).join(', ')} ]` : '[]';
    if (isPlainObject(v)) {
      const entries = Object.entries(v);
      return entries.length ? `{ ${entries.map(([k, x]) => `${k}: ${fmt(x)}`).join(', ')} }` : '{}';
    }
    return String(v);
  };
  return fmt(rp.toJSON());
}

function unwrapNumber(v: unknown): unknown {
  if (v && typeof v === 'object' && '_bsontype' in v) {
    const t = (v as { _bsontype: string })._bsontype;
    if (t === 'Int32' || t === 'Double') return (v as unknown as { value: number }).value;
  }
  return v;
}

/** A cursor id (Long, number, bigint, Int32/Double wrapper) as a decimal string. */
export function cursorKey(id: unknown): string | undefined {
  const v = unwrapNumber(id);
  if (Long.isLong(v)) return v.toString();
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

/** Cursor ids are int64 on the wire: the driver decodes small ones as numbers. */
export function toLong(id: unknown): unknown {
  const v = unwrapNumber(id);
  if (typeof v === 'number' && Number.isInteger(v)) return Long.fromNumber(v);
  if (typeof v === 'bigint') return Long.fromBigInt(v);
  return v;
}

function compareTs(a: unknown, b: unknown): number {
  const x = a as { t?: number; i?: number; high?: number; low?: number } | undefined;
  const y = b as { t?: number; i?: number; high?: number; low?: number } | undefined;
  const xt = x?.t ?? x?.high ?? 0;
  const yt = y?.t ?? y?.high ?? 0;
  if (xt !== yt) return xt > yt ? 1 : -1;
  const xi = x?.i ?? x?.low ?? 0;
  const yi = y?.i ?? y?.low ?? 0;
  return xi === yi ? 0 : xi > yi ? 1 : -1;
}
