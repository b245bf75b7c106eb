/**
 * ReplicaSetRole: a `--replSet` member. Protocol version 1 in small: terms, one vote
 * per term (persisted), dry-run then real elections with randomized timeouts,
 * priority takeover, heartbeats (`replSetHeartbeat`), votes (`replSetRequestVotes`),
 * a primary that steps down without a majority, an oplog in `local.oplog.rs`
 * pulled by secondaries (`_simPullOplog`, long-poll), a majority commit point,
 * write concern waits, initial sync from a snapshot (`_simInitialSync`) and rollback
 * by resync when a member's oplog diverged from its sync source.
 */
import dns from 'node:dns/promises';
import os from 'node:os';
import { Binary, BSON, Long, ObjectId, Timestamp, UUID } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import type { ConnectionInfo, RetryHooks, SimNode } from '../node.js';
import type { CommandHooks, NodeRole, OpInfo, TopologyVersion } from '../role.js';
import type { WriteEntry } from '../storage/engine.js';
import { isPlainObject, keyOf, type Doc } from '../storage/values.js';
import {
  configToDoc,
  isElectable,
  isNewerConfig,
  majorityVoteCount,
  parseConfig,
  writeMajorityCount,
  SIM_DEFAULT_ELECTION_TIMEOUT_MS,
  SIM_DEFAULT_HEARTBEAT_INTERVAL_MS,
  type ConfigDefaults,
  type MemberConfig,
  type ReplSetConfig,
} from './config.js';
import { asNumber, electionIdForTerm, fromWire, isNull, LogicalClock, NULL_OPTIME, opTimeCompare, toWire, tsCompare, type OpTime } from './optime.js';
import { authenticateInternal } from '../auth/internal-client.js';
import { authOf } from '../auth/sim-auth.js';
import { PeerClient } from './peer.js';
import { TxnTable, type StmtRecord } from './txn-table.js';
import { sleep } from '../util/async.js';

export const MemberState = Object.freeze({
  STARTUP: 0,
  PRIMARY: 1,
  SECONDARY: 2,
  RECOVERING: 3,
  STARTUP2: 5,
  UNKNOWN: 6,
  ARBITER: 7,
  DOWN: 8,
  ROLLBACK: 9,
  REMOVED: 10,
} as const);
export type MemberStateName = keyof typeof MemberState;
const STATE_NAMES = new Map<number, MemberStateName>(Object.entries(MemberState).map(([k, v]) => [v, k as MemberStateName]));

export const OPLOG_NS = 'local.oplog.rs';
const REPLSET_COLL = 'system.replset';
const ELECTION_COLL = 'replset.election';

/** Error codes used here beyond errors.ts. */
export const ReplCode = Object.freeze({
  AlreadyInitialized: 23,
  UnknownReplWriteConcern: 79,
  InvalidReplicaSetConfig: 93,
  InconsistentReplicaSetNames: 185,
  TransactionTooOld: 225,
  ElectionInProgress: 216,
} as const);

const RETRYABLE_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 63, 150, 134]);

export interface ReplicaSetRoleOptions {
  setName: string;
  defaults?: Partial<ConfigDefaults>;
  /** Primary no-op writes when idle (mongod's periodicNoopIntervalSecs = 10). */
  noopIntervalMs?: number;
  /** Oplog entries kept before the oldest are truncated. */
  oplogMaxEntries?: number;
}

interface PeerState {
  readonly id: number;
  host: string;
  health: 0 | 1;
  state: number;
  opTime: OpTime;
  wall: Date;
  lastHeartbeat?: Date;
  lastHeartbeatRecv?: Date;
  lastOk: number;
  pingMs: number;
  configVersion: number;
  configTerm: number;
  electionTime?: Timestamp;
  syncSourceHost: string;
  message: string;
  upSince: number;
  hbClient: PeerClient;
  pullClient: PeerClient;
  hbRunning: boolean;
}

interface Snapshot {
  entries: WriteEntry[];
  pos: number;
  last: Doc;
  expires: number;
}

function wallOf(e: Doc): Date {
  return e.wall instanceof Date ? e.wall : new Date();
}

export class ReplicaSetRole implements NodeRole {
  readonly kind = 'replicaSet' as const;
  readonly setName: string;
  readonly hooks: CommandHooks;
  readonly clock = new LogicalClock();
  readonly defaults: ConfigDefaults;
  config: ReplSetConfig | undefined;
  self: MemberConfig | undefined;
  state: number = MemberState.STARTUP;
  term = 0;
  private votedFor: { term: number; candidate: number } = { term: -1, candidate: -1 };
  private oplog: Doc[] = [];
  lastApplied: OpTime = NULL_OPTIME;
  lastAppliedWall = new Date(0);
  commitPoint: OpTime = NULL_OPTIME;
  commitWall = new Date(0);
  private peers = new Map<number, PeerState>();
  private tv: { processId: ObjectId; counter: Long };
  private listeners = new Set<() => void>();
  private progressWaiters = new Set<() => void>();
  private oplogWaiters = new Set<() => void>();
  primaryId: number | undefined;
  electionTime: Timestamp | undefined;
  private electionDate: Date | undefined;
  private lastPrimaryContact = 0;
  private frozenUntil = 0;
  private electionTimer: NodeJS.Timeout | undefined;
  private takeoverTimer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private noopTimer: NodeJS.Timeout | undefined;
  private electionInProgress = false;
  private applying = false;
  private running = false;
  private pulling = false;
  syncSource: string | undefined;
  private snapshots = new Map<string, Snapshot>();
  private generation = 0;
  private stepDownCtl = new AbortController();
  readonly txns: TxnTable;
  private currentRetry: RetryableWrite | undefined;
  private lastWriteAt = Date.now();
  private port = 0;
  private localNames = new Set<string>();
  private readonly noopIntervalMs: number;
  private readonly oplogMaxEntries: number;
  readonly startedAt = Date.now();
  /** Bumped on every step-down (see NodeRole.epoch). */
  epoch = 0;

  constructor(
    readonly node: SimNode,
    options: ReplicaSetRoleOptions,
  ) {
    this.setName = options.setName;
    this.defaults = {
      electionTimeoutMillis: options.defaults?.electionTimeoutMillis ?? SIM_DEFAULT_ELECTION_TIMEOUT_MS,
      heartbeatIntervalMillis: options.defaults?.heartbeatIntervalMillis ?? SIM_DEFAULT_HEARTBEAT_INTERVAL_MS,
    };
    this.noopIntervalMs = options.noopIntervalMs ?? 10000;
    this.oplogMaxEntries = options.oplogMaxEntries ?? 200000;
    this.tv = { processId: node.processId, counter: Long.fromNumber(0) };
    this.txns = new TxnTable(node.engine);
    this.hooks = { before: (op) => this.before(op), after: (op, reply) => this.after(op, reply) };
    node.engine.onCommit((e) => this.onCommit(e));
  }

  // ---- lifecycle ---------------------------------------------------------------------

  /** After storage is open and the server listens: load persisted state and start. */
  async start(port: number, bindIps: string[]): Promise<void> {
    this.port = port;
    for (const n of ['localhost', '127.0.0.1', '::1', os.hostname(), ...bindIps]) this.localNames.add(n.toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) this.localNames.add(a.address.toLowerCase());
    this.running = true;
    const e = this.node.engine;
    e.ensureCollection('local', 'oplog.rs');
    const oc = e.getCollection('local', 'oplog.rs')!;
    for (const d of oc.docs.values()) {
      const { _id, ...entry } = d.doc;
      this.oplog.push(entry);
    }
    this.oplog.sort((a, b) => tsCompare(a.ts as Timestamp, b.ts as Timestamp));
    const last = this.oplog[this.oplog.length - 1];
    if (last) {
      this.lastApplied = fromWire(last);
      this.lastAppliedWall = wallOf(last);
      this.clock.advance(this.lastApplied.ts);
    }
    const el = e.getCollection('local', ELECTION_COLL)?.docs.get(keyOf('election'))?.doc;
    if (el) {
      this.term = asNumber(el.term, 0);
      this.votedFor = { term: asNumber(el.term, -1), candidate: asNumber(el.candidateIndex, -1) };
    }
    this.txns.load();
    const stored = e.getCollection('local', REPLSET_COLL)?.docs.get(keyOf(this.setName))?.doc;
    if (stored) {
      try {
        const cfg = parseConfig(stored, this.defaults);
        await this.installConfig(cfg, false);
      } catch (err) {
        this.log(21405, 'Locally stored replica set configuration is invalid', { error: String(err) });
      }
    }
    void this.pullLoop();
    this.noopTimer = setInterval(() => this.periodicNoop(), Math.max(100, Math.min(this.noopIntervalMs, 1000)));
    this.noopTimer.unref();
  }

  stop(): void {
    this.running = false;
    this.generation++;
    for (const t of [this.electionTimer, this.takeoverTimer, this.livenessTimer]) if (t) clearTimeout(t);
    if (this.noopTimer) clearInterval(this.noopTimer);
    for (const p of this.peers.values()) {
      p.hbClient.close();
      p.pullClient.close();
    }
    this.peers.clear();
    this.stepDownCtl.abort();
    this.wakeAll();
  }

  private log(id: number, msg: string, attr?: Record<string, unknown>): void {
    this.node.logger.log('REPL', id, 'ReplCoord', msg, attr);
  }

  /** A client to another member; with a keyFile it authenticates as __system first. */
  peerClient(host: string): PeerClient {
    return new PeerClient(host, async (run) => {
      const creds = authOf(this.node).internalCredentials;
      if (creds) await authenticateInternal(run, creds);
    });
  }

  // ---- NodeRole ----------------------------------------------------------------------

  topologyVersion(): TopologyVersion {
    return this.tv;
  }

  onTopologyChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private bump(): void {
    this.tv = { processId: this.tv.processId, counter: this.tv.counter.add(1) };
    for (const l of [...this.listeners]) l();
  }

  stateName(state = this.state): MemberStateName {
    return STATE_NAMES.get(state) ?? 'UNKNOWN';
  }

  private setState(s: number): void {
    if (s === this.state) return;
    this.log(21358, 'Replica set state transition', { newState: this.stateName(s), oldState: this.stateName() });
    this.state = s;
    this.bump();
    this.wakeAll();
    this.scheduleElectionTimer();
  }

  isPrimary(): boolean {
    return this.state === MemberState.PRIMARY;
  }

  helloFields(legacy: boolean): Doc {
    const pk = legacy ? 'ismaster' : 'isWritablePrimary';
    const c = this.config;
    if (!c || !this.self || this.state === MemberState.REMOVED) {
      return { [pk]: false, secondary: false, info: 'Does not have a valid replica set config', isreplicaset: true };
    }
    const f: Doc = {};
    const visible = c.members.filter((m) => !m.hidden);
    f.hosts = visible.filter((m) => !m.arbiterOnly && m.priority > 0).map((m) => m.host);
    const passives = visible.filter((m) => !m.arbiterOnly && m.priority === 0).map((m) => m.host);
    if (passives.length) f.passives = passives;
    const arbiters = visible.filter((m) => m.arbiterOnly).map((m) => m.host);
    if (arbiters.length) f.arbiters = arbiters;
    f.setName = c._id;
    f.setVersion = c.version;
    f[pk] = this.state === MemberState.PRIMARY;
    f.secondary = this.state === MemberState.SECONDARY;
    const p = this.primaryHost();
    if (p) f.primary = p;
    if (this.self.arbiterOnly) f.arbiterOnly = true;
    if (!this.self.arbiterOnly && this.self.priority === 0) f.passive = true;
    if (this.self.hidden) f.hidden = true;
    if (this.self.secondaryDelaySecs > 0) f.secondaryDelaySecs = Long.fromNumber(this.self.secondaryDelaySecs);
    if (Object.keys(this.self.tags).length) f.tags = { ...this.self.tags };
    f.me = this.self.host;
    if (this.state === MemberState.PRIMARY) f.electionId = new ObjectId(electionIdForTerm(this.term));
    if (!this.self.arbiterOnly) {
      const maj = this.majorityOpTime();
      f.lastWrite = {
        opTime: toWire(this.lastApplied),
        lastWriteDate: new Date(Math.floor(this.lastAppliedWall.getTime() / 1000) * 1000),
        majorityOpTime: toWire(maj),
        majorityWriteDate: new Date(Math.floor(this.commitWall.getTime() / 1000) * 1000),
      };
    }
    return f;
  }

  primaryHost(): string | undefined {
    if (this.state === MemberState.PRIMARY) return this.self?.host;
    if (this.primaryId === undefined) return undefined;
    return this.config?.members.find((m) => m._id === this.primaryId)?.host;
  }

  checkWritable(db: string): void {
    if (db === 'local') return;
    if (this.state !== MemberState.PRIMARY) throw new CommandError(ErrorCode.NotWritablePrimary, 'not primary');
  }

  checkReadable(db: string, secondaryOk: boolean): void {
    if (db === 'local') return;
    if (this.state === MemberState.PRIMARY) return;
    if (this.state === MemberState.SECONDARY) {
      if (secondaryOk) return;
      throw new CommandError(ErrorCode.NotPrimaryNoSecondaryOk, 'not primary and secondaryOk=false');
    }
    throw new CommandError(ErrorCode.NotPrimaryOrSecondary, 'not primary or secondary; cannot currently read from this replSet member');
  }

  validateWriteConcern(wc: Doc | undefined): void {
    if (!wc || !this.config) return;
    const w = wc.w;
    if (typeof w === 'number') {
      const dataBearing = this.config.members.filter((m) => !m.arbiterOnly).length;
      if (w > dataBearing) throw new CommandError(ErrorCode.UnsatisfiableWriteConcern, 'Not enough data-bearing nodes');
    } else if (typeof w === 'string' && w !== 'majority' && !(w in this.config.settings.getLastErrorModes)) {
      throw new CommandError(ReplCode.UnknownReplWriteConcern, `No write concern mode named '${w}' found in replica set configuration`);
    }
  }

  checkTransactionFields(body: Doc): void {
    if (body.autocommit !== undefined || body.startTransaction !== undefined) {
      throw new CommandError(ErrorCode.IllegalOperation, 'Multi-document transactions are not supported by mongod-sim');
    }
  }

  // ---- command hooks (dispatcher) ----------------------------------------------------

  private async before(op: OpInfo): Promise<void> {
    const ct = op.body.$clusterTime;
    if (isPlainObject(ct) && ct.clusterTime instanceof Timestamp) this.clock.advance(ct.clusterTime);
    if (op.write || op.secondary === 'never') this.checkWritable(op.db);
    else if (op.secondary === 'optIn') this.checkReadable(op.db, op.secondaryOk);
    if (op.write) {
      const lsid = op.body.lsid;
      if (isPlainObject(lsid) && op.body.txnNumber !== undefined) {
        const txnNumber = asNumber(op.body.txnNumber, 0);
        const have = this.txns.txnNumber(lsid);
        if (have > txnNumber) {
          throw new CommandError(
            ReplCode.TransactionTooOld,
            `Retryable write with txnNumber ${txnNumber} is prohibited on session ${formatLsid(lsid)} because a newer retryable write with txnNumber ${have} has already started on this session.`,
          );
        }
        this.txns.begin(lsid, txnNumber);
        op.state = new RetryableWrite(this, lsid, txnNumber);
      }
    }
    const rc = op.args.readConcern;
    if (!op.write && isPlainObject(rc)) await this.waitForReadConcern(rc, op);
  }

  /** Called by the dispatcher around the handler: the statement hooks crud.ts uses. */
  retryHooks(op: OpInfo): RetryHooks | undefined {
    return op.state instanceof RetryableWrite ? op.state : undefined;
  }

  endRetry(): void {}

  /** The statement whose engine writes are being made now (set by RetryableWrite.begin/end). */
  setCurrentRetry(r: RetryableWrite | undefined): void {
    this.currentRetry = r;
  }

  private async after(op: OpInfo, reply: Doc): Promise<Doc> {
    const retryable = op.write && op.body.txnNumber !== undefined;
    if (op.write) this.txns.flush();
    if (op.write && reply.ok === 1) {
      const wc = isPlainObject(op.args.writeConcern) ? op.args.writeConcern : undefined;
      const wce = await this.waitForWriteConcern(this.lastApplied, wc, op.conn);
      if (wce) reply.writeConcernError = wce;
    }
    if (retryable) {
      const code = typeof reply.code === 'number' ? reply.code : undefined;
      const wceCode = isPlainObject(reply.writeConcernError) ? (reply.writeConcernError.code as number) : undefined;
      if ((reply.ok !== 1 && code !== undefined && RETRYABLE_CODES.has(code)) || (wceCode !== undefined && RETRYABLE_CODES.has(wceCode))) {
        const labels = Array.isArray(reply.errorLabels) ? (reply.errorLabels as string[]) : [];
        if (!labels.includes('RetryableWriteError')) reply.errorLabels = [...labels, 'RetryableWriteError'];
      }
    }
    if (this.config) {
      const now = this.clock.now();
      reply.$clusterTime = { clusterTime: now, signature: { hash: new Binary(new Uint8Array(20), 0), keyId: Long.ZERO } };
      reply.operationTime = isNull(this.lastApplied) ? now : this.lastApplied.ts;
    }
    return reply;
  }

  private async waitForReadConcern(rc: Doc, op: OpInfo): Promise<void> {
    const typed = isPlainObject(op.body.readConcern) ? op.body.readConcern : {};
    const after = typed.afterClusterTime;
    const deadline = Date.now() + (typeof op.args.maxTimeMS === 'number' && op.args.maxTimeMS > 0 ? op.args.maxTimeMS : 30000);
    if (after instanceof Timestamp && tsCompare(after, this.lastApplied.ts) > 0) {
      if (this.isPrimary()) this.writeNoop({ msg: 'read concern afterClusterTime' });
      const ok = await this.waitUntil(() => tsCompare(after, this.lastApplied.ts) <= 0, deadline - Date.now(), op.conn.signal);
      if (!ok) throw new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit');
    }
    const level = rc.level;
    if (level === 'majority' || level === 'linearizable' || level === 'snapshot') {
      const target = this.lastApplied;
      if (isNull(target)) return;
      const ok = await this.waitUntil(() => opTimeCompare(this.commitPoint, target) >= 0, deadline - Date.now(), op.conn.signal);
      if (!ok) throw new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit while waiting for the majority commit point');
    }
  }

  /** Resolves true once pred() holds (re-checked on every replication change), false on timeout. */
  waitUntil(pred: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (pred()) finish(true);
        else if (!this.running || signal?.aborted) finish(false);
      };
      const timer = timeoutMs > 0 && Number.isFinite(timeoutMs) ? setTimeout(() => finish(pred()), timeoutMs) : undefined;
      const finish = (v: boolean): void => {
        if (timer) clearTimeout(timer);
        this.progressWaiters.delete(check);
        signal?.removeEventListener('abort', check);
        resolve(v);
      };
      this.progressWaiters.add(check);
      signal?.addEventListener('abort', check, { once: true });
    });
  }

  private wakeAll(): void {
    for (const w of [...this.progressWaiters]) w();
    for (const w of [...this.oplogWaiters]) w();
  }

  defaultWriteConcern(): Doc {
    const c = this.config;
    if (!c) return { w: 1, wtimeout: 0 };
    const arbiters = c.members.filter((m) => m.arbiterOnly && m.votes > 0).length;
    if (arbiters > 0 && writeMajorityCount(c) < majorityVoteCount(c)) return { w: 1, wtimeout: 0 };
    return { w: 'majority', wtimeout: 0 };
  }

  /** Waits until `opTime` satisfies the write concern; returns a writeConcernError or undefined. */
  async waitForWriteConcern(opTime: OpTime, wcIn: Doc | undefined, conn?: ConnectionInfo): Promise<Doc | undefined> {
    const provenance = wcIn && wcIn.w !== undefined ? 'clientSupplied' : 'implicitDefault';
    const wc: Doc = { ...this.defaultWriteConcern(), ...(wcIn ?? {}) };
    if (wcIn && wcIn.w === undefined) wc.w = this.defaultWriteConcern().w;
    if (wc.j === true) this.node.engine.flush();
    const w = wc.w;
    if (w === 0 || w === 1 || !this.config) return undefined;
    const term = this.term;
    const wtimeout = typeof wc.wtimeout === 'number' ? wc.wtimeout : 0;
    const satisfied = (): boolean => {
      if (w === 'majority') return opTimeCompare(this.commitPoint, opTime) >= 0;
      const need = typeof w === 'number' ? w : writeMajorityCount(this.config!);
      let n = opTimeCompare(this.lastApplied, opTime) >= 0 ? 1 : 0;
      for (const p of this.peers.values()) if (opTimeCompare(p.opTime, opTime) >= 0 && !this.memberConfig(p.id)?.arbiterOnly) n++;
      return n >= need;
    };
    const steppedDown = (): boolean => this.state !== MemberState.PRIMARY || this.term !== term;
    const wcEcho: Doc = { w, wtimeout, provenance };
    const ok = await this.waitUntil(() => satisfied() || steppedDown(), wtimeout > 0 ? wtimeout : Infinity, conn?.signal);
    if (ok && satisfied()) return undefined;
    if (steppedDown()) {
      return { code: ErrorCode.PrimarySteppedDown, codeName: 'PrimarySteppedDown', errmsg: 'Primary stepped down while waiting for replication', errInfo: { writeConcern: wcEcho } };
    }
    return { code: ErrorCode.WriteConcernFailed, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true, writeConcern: wcEcho } };
  }

  // ---- oplog -------------------------------------------------------------------------

  private onCommit(e: WriteEntry): void {
    if (this.applying || !this.config) return;
    const dot = e.ns.indexOf('.');
    const db = e.ns.slice(0, dot);
    if (db === 'local' || db === 'config') return;
    if (this.state !== MemberState.PRIMARY) {
      this.log(21000, 'Write on a non-primary was not logged to the oplog', { ns: e.ns, op: e.op });
      return;
    }
    const entry: Doc = {};
    const r = this.currentRetry;
    const stmt = r?.current !== undefined && e.op !== 'c';
    if (stmt) {
      entry.lsid = r!.lsid;
      entry.txnNumber = Long.fromNumber(r!.txnNumber);
    }
    entry.op = e.op;
    entry.ns = e.ns;
    if (e.op === 'c') {
      if (e.ui) entry.ui = e.ui;
    } else {
      const coll = this.node.engine.getCollection(db, e.ns.slice(dot + 1));
      if (coll) entry.ui = coll.uuid;
    }
    entry.o = e.o;
    if (e.op === 'u') entry.o2 = e.o2;
    if (stmt) {
      entry.stmtId = r!.current;
      r!.wrote = true;
    }
    this.appendNew(entry);
  }

  /** Stamps ts/t/v/wall on a new primary entry and appends it. */
  private appendNew(entry: Doc): Doc {
    entry.ts = this.clock.reserve();
    entry.t = Long.fromNumber(this.term);
    entry.v = Long.fromNumber(2);
    entry.wall = new Date();
    this.appendEntry(entry);
    this.lastWriteAt = Date.now();
    this.updateCommitPoint();
    return entry;
  }

  private appendEntry(entry: Doc): void {
    const wasApplying = this.applying;
    this.applying = true;
    try {
      this.node.engine.write({ op: 'i', ns: OPLOG_NS, o: { _id: entry.ts, ...entry } });
    } finally {
      this.applying = wasApplying;
    }
    this.oplog.push(entry);
    this.lastApplied = fromWire(entry);
    this.lastAppliedWall = wallOf(entry);
    this.clock.advance(this.lastApplied.ts);
    if (entry.lsid !== undefined) this.txns.record(entry);
    if (this.oplog.length > this.oplogMaxEntries) this.truncateOplog();
    this.wakeAll();
  }

  private truncateOplog(): void {
    const drop = Math.ceil(this.oplogMaxEntries / 10);
    const removed = this.oplog.splice(0, drop);
    this.applying = true;
    try {
      for (const e of removed) this.node.engine.write({ op: 'd', ns: OPLOG_NS, o: { _id: e.ts } });
    } finally {
      this.applying = false;
    }
  }

  writeNoop(o: Doc, stmt?: { lsid: Doc; txnNumber: number; stmtId: number }): Doc {
    const entry: Doc = {};
    if (stmt) {
      entry.lsid = stmt.lsid;
      entry.txnNumber = Long.fromNumber(stmt.txnNumber);
    }
    entry.op = 'n';
    entry.ns = '';
    entry.o = o;
    if (stmt) entry.stmtId = stmt.stmtId;
    return this.appendNew(entry);
  }

  private periodicNoop(): void {
    if (this.state === MemberState.PRIMARY && Date.now() - this.lastWriteAt >= this.noopIntervalMs) this.writeNoop({ msg: 'periodic noop' });
  }

  private findIndex(ts: Timestamp): number {
    let lo = 0;
    let hi = this.oplog.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = tsCompare(this.oplog[mid]!.ts as Timestamp, ts);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private entryWall(o: OpTime): Date {
    const i = this.findIndex(o.ts);
    return i >= 0 ? wallOf(this.oplog[i]!) : new Date(o.ts.t * 1000);
  }

  majorityOpTime(): OpTime {
    return opTimeCompare(this.commitPoint, this.lastApplied) <= 0 ? this.commitPoint : this.lastApplied;
  }

  private advanceCommitPoint(o: OpTime): void {
    if (opTimeCompare(o, this.commitPoint) <= 0) return;
    this.commitPoint = o;
    this.commitWall = this.entryWall(o);
    this.wakeAll();
  }

  /** Primary: the newest optime of this term that a write-majority of data-bearing voters applied. */
  private updateCommitPoint(): void {
    const c = this.config;
    if (!c || this.state !== MemberState.PRIMARY) return;
    const positions: OpTime[] = [];
    for (const m of c.members) {
      if (m.votes === 0 || m.arbiterOnly) continue;
      if (m._id === this.self?._id) positions.push(this.lastApplied);
      else positions.push(this.peers.get(m._id)?.opTime ?? NULL_OPTIME);
    }
    positions.sort((a, b) => opTimeCompare(b, a));
    const cand = positions[writeMajorityCount(c) - 1];
    if (cand && cand.t === this.term) this.advanceCommitPoint(cand);
    // member positions moved: numeric write concerns re-check
    for (const w of [...this.progressWaiters]) w();
  }

  // ---- config ------------------------------------------------------------------------

  memberConfig(id: number): MemberConfig | undefined {
    return this.config?.members.find((m) => m._id === id);
  }

  private async isSelf(host: string): Promise<boolean> {
    const i = host.lastIndexOf(':');
    let h = host.slice(0, i).toLowerCase();
    if (h.startsWith('[')) h = h.slice(1, -1);
    if (Number(host.slice(i + 1)) !== this.port) return false;
    if (this.localNames.has(h)) return true;
    try {
      const addrs = await dns.lookup(h, { all: true });
      return addrs.some((a) => this.localNames.has(a.address.toLowerCase()));
    } catch {
      return false;
    }
  }

  async findSelf(c: ReplSetConfig): Promise<MemberConfig | undefined> {
    for (const m of c.members) if (await this.isSelf(m.host)) return m;
    return undefined;
  }

  /** Installs (and persists) a config; starts or restarts heartbeats. */
  async installConfig(c: ReplSetConfig, persist = true): Promise<void> {
    const self = await this.findSelf(c);
    if (this.config && !isNewerConfig(c, this.config) && persist) return;
    this.config = c;
    this.self = self;
    if (persist) this.persistConfig();
    this.generation++;
    const gen = this.generation;
    for (const [id, p] of this.peers) {
      const m = c.members.find((x) => x._id === id);
      if (!m || m.host !== p.host || !self) {
        p.hbClient.close();
        p.pullClient.close();
        this.peers.delete(id);
      }
    }
    this.log(21392, 'New replica set config in use', { config: configToDoc(c) });
    if (!self) {
      this.setState(MemberState.REMOVED);
      this.bump();
      return;
    }
    for (const m of c.members) {
      if (m._id === self._id) continue;
      let p = this.peers.get(m._id);
      if (!p) {
        p = {
          id: m._id,
          host: m.host,
          health: 0,
          state: MemberState.UNKNOWN,
          opTime: NULL_OPTIME,
          wall: new Date(0),
          lastOk: 0,
          pingMs: 0,
          configVersion: -1,
          configTerm: -1,
          syncSourceHost: '',
          message: '',
          upSince: 0,
          hbClient: this.peerClient(m.host),
          pullClient: this.peerClient(m.host),
          hbRunning: false,
        };
        this.peers.set(m._id, p);
      }
      void this.heartbeatLoop(p, gen);
    }
    if (self.arbiterOnly) this.setState(MemberState.ARBITER);
    else if (this.state === MemberState.STARTUP || this.state === MemberState.REMOVED || this.state === MemberState.ARBITER) {
      this.setState(this.oplog.length === 0 ? MemberState.STARTUP2 : MemberState.SECONDARY);
    }
    if (this.state === MemberState.PRIMARY && (self.priority === 0 || self.votes === 0)) this.stepDown('reconfig made this node ineligible');
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.livenessTimer = setInterval(() => this.checkLiveness(), c.settings.heartbeatIntervalMillis);
    this.livenessTimer.unref();
    this.bump();
    this.scheduleElectionTimer();
    this.updateCommitPoint();
  }

  private persistConfig(): void {
    const doc = configToDoc(this.config!);
    const e = this.node.engine;
    this.applying = true;
    try {
      e.ensureCollection('local', REPLSET_COLL);
      const c = e.getCollection('local', REPLSET_COLL)!;
      if (c.docs.has(keyOf(doc._id))) e.write({ op: 'u', ns: `local.${REPLSET_COLL}`, o2: { _id: doc._id }, o: doc });
      else e.write({ op: 'i', ns: `local.${REPLSET_COLL}`, o: doc });
    } finally {
      this.applying = false;
    }
  }

  private persistElection(): void {
    const e = this.node.engine;
    const doc = { _id: 'election', term: Long.fromNumber(this.term), candidateIndex: Long.fromNumber(this.votedFor.term === this.term ? this.votedFor.candidate : -1) };
    this.applying = true;
    try {
      e.ensureCollection('local', ELECTION_COLL);
      const c = e.getCollection('local', ELECTION_COLL)!;
      if (c.docs.has(keyOf('election'))) e.write({ op: 'u', ns: `local.${ELECTION_COLL}`, o2: { _id: 'election' }, o: doc });
      else e.write({ op: 'i', ns: `local.${ELECTION_COLL}`, o: doc });
      e.flush();
    } finally {
      this.applying = false;
    }
  }

  /** replSetInitiate. */
  async initiate(raw: unknown): Promise<Doc> {
    if (this.config) throw new CommandError(ReplCode.AlreadyInitialized, 'already initialized');
    let out: Doc = {};
    if (!isPlainObject(raw)) {
      const host = `${(await this.resolvableHostname()) ?? '127.0.0.1'}:${this.port}`;
      raw = { _id: this.setName, version: 1, members: [{ _id: 0, host }] };
      out = { info2: 'no configuration specified. Using a default configuration for the set', me: host };
      this.log(21330, 'no configuration specified. Using a default configuration for the set', { me: host });
    }
    const c = parseConfig(raw, this.defaults);
    if (c._id !== this.setName) {
      throw new CommandError(ReplCode.InvalidReplicaSetConfig, `Attempting to initiate a replica set with name ${c._id}, but command line reports ${this.setName}; rejecting`);
    }
    const self = await this.findSelf(c);
    if (!self) throw new CommandError(ReplCode.InvalidReplicaSetConfig, `No host described in new configuration with {version: ${c.version}, term: ${c.term}} for replica set ${c._id} maps to this node`);
    const failures: string[] = [];
    await Promise.all(
      c.members
        .filter((m) => m._id !== self._id)
        .map(async (m) => {
          const client = this.peerClient(m.host);
          try {
            const res = await client.command({ replSetHeartbeat: c._id, configVersion: -2, configTerm: -1, hbv: 1, from: self.host, fromId: self._id, term: 0, checkEmpty: true }, 10000);
            if (res.ok !== 1) failures.push(`${m.host} failed with ${String(res.errmsg)}`);
            else if (asNumber(res.configVersion, -2) !== -2) failures.push(`${m.host} failed with Our config version of ${String(res.configVersion)} is no smaller than the version of ${c.version}`);
            else if (res.hasData === true) failures.push(`${m.host} has data already, cannot initiate set.`);
          } catch (e) {
            failures.push(`${m.host} failed with ${(e as Error).message}`);
          } finally {
            client.close();
          }
        }),
    );
    if (failures.length) {
      throw new CommandError(ErrorCode.NodeNotFound, `replSetInitiate quorum check failed because not all proposed set members responded affirmatively: ${failures.join(', ')}`);
    }
    if (this.config) throw new CommandError(ReplCode.AlreadyInitialized, 'already initialized');
    this.log(21336, 'replSetInitiate config object parses ok', { numMembers: c.members.length });
    // the initiating entry: term -1 (before the first election)
    const entry: Doc = { op: 'n', ns: '', o: { msg: 'initiating set' }, ts: this.clock.reserve(), t: Long.fromNumber(-1), v: Long.fromNumber(2), wall: new Date() };
    this.appendEntry(entry);
    await this.installConfig(c);
    if (c.members.length === 1 && isElectable(self)) void this.startElection('single node replica set', true);
    return out;
  }

  private async resolvableHostname(): Promise<string | undefined> {
    const h = os.hostname();
    try {
      const addrs = await dns.lookup(h, { all: true });
      if (addrs.some((a) => this.localNames.has(a.address.toLowerCase()))) return h;
    } catch {
      /* fall back */
    }
    return undefined;
  }

  /** replSetReconfig. */
  async reconfig(raw: unknown, force: boolean): Promise<Doc> {
    if (!this.config) throw new CommandError(ErrorCode.NotYetInitialized, 'no replset config has been received');
    if (!force && this.state !== MemberState.PRIMARY) throw new CommandError(ErrorCode.NotWritablePrimary, 'replSetReconfig should only be run on a writable PRIMARY. Current state SECONDARY;'.replace('SECONDARY', this.stateName()));
    if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, "'replSetReconfig' must be an object");
    const rawVersion = asNumber(raw.version, Number.NaN);
    let c = parseConfig({ ...raw, term: force ? -1 : this.term }, this.defaults, this.config);
    if (c._id !== this.config._id) throw new CommandError(ReplCode.InvalidReplicaSetConfig, `New and old configurations differ in replica set name; old was ${this.config._id}, and new is ${c._id}`);
    if (force) c = { ...c, version: Math.max(rawVersion || 0, this.config.version) + 10000 + Math.floor(Math.random() * 90000), term: -1 };
    else if (!(c.version > this.config.version)) {
      throw new CommandError(103, `New replica set configuration version must be greater than old, but ${c.version} is not greater than ${this.config.version} for replica set ${c._id}`);
    }
    if (!force) {
      const oldVoters = new Set(this.config.members.filter((m) => m.votes > 0).map((m) => m._id));
      const newVoters = new Set(c.members.filter((m) => m.votes > 0).map((m) => m._id));
      let added = 0;
      for (const id of newVoters) if (!oldVoters.has(id)) added++;
      for (const id of oldVoters) if (!newVoters.has(id)) added++;
      if (added > 1) throw new CommandError(103, 'Only one voting member may be added or removed at a time without force');
    }
    const self = await this.findSelf(c);
    if (!self) throw new CommandError(ErrorCode.NodeNotFound, `No host described in new configuration with {version: ${c.version}, term: ${c.term}} for replica set ${c._id} maps to this node`);
    await this.installConfig(c);
    if (this.isPrimary()) this.writeNoop({ msg: 'Reconfig set', version: c.version });
    return {};
  }

  // ---- heartbeats --------------------------------------------------------------------

  private async heartbeatLoop(p: PeerState, gen: number): Promise<void> {
    if (p.hbRunning) return;
    p.hbRunning = true;
    try {
      while (this.running && this.generation === gen && this.peers.get(p.id) === p) {
        const c = this.config!;
        const started = Date.now();
        await this.sendHeartbeat(p, c);
        const wait = c.settings.heartbeatIntervalMillis - (Date.now() - started);
        if (wait > 0) await sleep(wait);
      }
    } finally {
      p.hbRunning = false;
      if (this.running && this.peers.get(p.id) === p && this.generation !== gen) void this.heartbeatLoop(p, this.generation);
    }
  }

  private async sendHeartbeat(p: PeerState, c: ReplSetConfig): Promise<void> {
    const self = this.self;
    if (!self) return;
    const req: Doc = {
      replSetHeartbeat: c._id,
      configVersion: c.version,
      configTerm: c.term,
      hbv: 1,
      from: self.host,
      fromId: self._id,
      term: Long.fromNumber(this.term),
      opTime: toWire(this.lastApplied),
      commitPoint: toWire(this.commitPoint),
    };
    if (p.configVersion < 0 || isNewerConfig(c, { version: p.configVersion, term: p.configTerm })) req.config = configToDoc(c);
    const t0 = Date.now();
    const timeout = Math.max(c.settings.electionTimeoutMillis, 2 * c.settings.heartbeatIntervalMillis);
    try {
      const res = await p.hbClient.command(req, timeout);
      if (!this.running) return;
      p.lastHeartbeat = new Date();
      if (res.ok !== 1) {
        p.message = String(res.errmsg ?? '');
        this.markDown(p);
        return;
      }
      p.pingMs = Date.now() - t0;
      if (p.health === 0) p.upSince = Date.now();
      p.health = 1;
      p.lastOk = Date.now();
      p.message = '';
      this.processHeartbeatResponse(p, res);
    } catch (e) {
      if (!this.running) return;
      p.lastHeartbeat = new Date();
      p.message = (e as Error).message;
      this.markDown(p);
    }
  }

  private markDown(p: PeerState): void {
    const was = p.health;
    p.health = 0;
    p.state = MemberState.DOWN;
    if (this.primaryId === p.id) {
      this.primaryId = undefined;
      this.bump();
    }
    if (was === 1) this.log(21216, 'Member is now in state RS_DOWN', { hostAndPort: p.host });
  }

  private processHeartbeatResponse(p: PeerState, res: Doc): void {
    const term = asNumber(res.term, 0);
    this.updateTerm(term, `heartbeat response from ${p.host}`);
    p.state = asNumber(res.state, MemberState.UNKNOWN);
    p.configVersion = asNumber(res.configVersion, -1);
    p.configTerm = asNumber(res.configTerm, -1);
    p.syncSourceHost = typeof res.syncingTo === 'string' ? res.syncingTo : '';
    p.electionTime = res.electionTime instanceof Timestamp ? res.electionTime : undefined;
    const ot = fromWire(res.opTime);
    if (!isNull(ot) || isNull(p.opTime)) {
      p.opTime = ot;
      p.wall = res.wallTime instanceof Date ? res.wallTime : new Date(ot.ts.t * 1000);
    }
    if (isPlainObject(res.config) && this.config) {
      try {
        const c = parseConfig(res.config, this.defaults);
        if (c._id === this.setName && isNewerConfig(c, this.config)) void this.installConfig(c);
      } catch {
        /* ignore a bad config */
      }
    }
    if (p.state === MemberState.PRIMARY && term >= this.term && this.state !== MemberState.PRIMARY) {
      if (this.primaryId !== p.id) {
        this.primaryId = p.id;
        this.bump();
      }
      this.lastPrimaryContact = Date.now();
      this.resetElectionTimerIfPending();
      this.considerPriorityTakeover(p);
    } else if (this.primaryId === p.id && p.state !== MemberState.PRIMARY) {
      this.primaryId = undefined;
      this.bump();
    }
    if (this.state !== MemberState.PRIMARY) this.advanceCommitPoint(this.capToApplied(fromWire(res.commitPoint)));
    this.updateCommitPoint();
  }

  private capToApplied(o: OpTime): OpTime {
    return o;
  }

  /** Handles an incoming replSetHeartbeat. */
  async handleHeartbeat(body: Doc): Promise<Doc> {
    const setName = body.replSetHeartbeat;
    if (setName !== this.setName) {
      throw new CommandError(ReplCode.InconsistentReplicaSetNames, `Our replica set name of ${this.setName} does not match name ${String(setName)}`, {});
    }
    const term = asNumber(body.term, 0);
    if (!this.config) {
      if (isPlainObject(body.config)) {
        try {
          const c = parseConfig(body.config, this.defaults);
          if (c._id === this.setName && (await this.findSelf(c)) && !this.config) await this.installConfig(c);
        } catch (e) {
          this.log(21400, 'Could not adopt config from heartbeat', { error: String(e) });
        }
      }
      if (!this.config) {
        const hasData = this.node.engine.databaseNames().some((d) => d !== 'local');
        return { ok: 1, set: this.setName, state: MemberState.STARTUP, term: Long.fromNumber(this.term), configVersion: -2, configTerm: -1, hasData };
      }
    }
    this.updateTerm(term, `heartbeat from ${String(body.from)}`);
    const fromId = asNumber(body.fromId, -1);
    const p = this.peers.get(fromId);
    if (p) {
      p.lastHeartbeatRecv = new Date();
      const ot = fromWire(body.opTime);
      if (opTimeCompare(ot, p.opTime) > 0) p.opTime = ot;
    }
    if (isPlainObject(body.config)) {
      try {
        const c = parseConfig(body.config, this.defaults);
        if (c._id === this.setName && isNewerConfig(c, this.config!)) await this.installConfig(c);
      } catch {
        /* ignore */
      }
    }
    const c = this.config!;
    const res: Doc = { ok: 1 };
    if (this.state === MemberState.PRIMARY && this.electionTime) res.electionTime = this.electionTime;
    res.set = this.setName;
    res.syncingTo = this.syncSource ?? '';
    res.state = this.state;
    res.term = Long.fromNumber(this.term);
    res.configVersion = c.version;
    res.configTerm = c.term;
    res.opTime = toWire(this.lastApplied);
    res.wallTime = this.lastAppliedWall;
    res.durableOpTime = toWire(this.lastApplied);
    res.durableWallTime = this.lastAppliedWall;
    res.commitPoint = toWire(this.commitPoint);
    const senderVersion = asNumber(body.configVersion, -2);
    const senderTerm = asNumber(body.configTerm, -1);
    if (isNewerConfig(c, { version: senderVersion, term: senderTerm })) res.config = configToDoc(c);
    if (this.state === MemberState.PRIMARY && p) this.updateCommitPoint();
    return res;
  }

  /** A higher term seen anywhere: adopt it; a primary steps down. */
  updateTerm(term: number, why: string): boolean {
    if (term <= this.term) return false;
    this.log(21364, 'Updating term', { oldTerm: this.term, newTerm: term, reason: why });
    this.term = term;
    this.persistElection();
    if (this.state === MemberState.PRIMARY) this.stepDown(`term advanced (${why})`);
    return true;
  }

  private lastLivenessTick = Date.now();
  private livenessGraceUntil = 0;

  private checkLiveness(): void {
    const c = this.config;
    const now = Date.now();
    // After this process stalled (a long synchronous batch), heartbeats had no chance to
    // run: give them one election timeout before judging the majority gone.
    if (now - this.lastLivenessTick > 2 * (c?.settings.heartbeatIntervalMillis ?? 250)) this.livenessGraceUntil = now + (c?.settings.electionTimeoutMillis ?? 1000);
    this.lastLivenessTick = now;
    if (now < this.livenessGraceUntil) return;
    if (!c || this.state !== MemberState.PRIMARY) return;
    let up = 0;
    for (const m of c.members) {
      if (m.votes === 0) continue;
      if (m._id === this.self?._id) up++;
      else {
        const p = this.peers.get(m._id);
        if (p && now - p.lastOk < c.settings.electionTimeoutMillis) up++;
      }
    }
    if (up < majorityVoteCount(c)) this.stepDown('can no longer see a majority of the replica set');
  }

  // ---- elections ---------------------------------------------------------------------

  private canStand(ignoreFreeze = false): boolean {
    const s = this.self;
    return (
      this.running &&
      s !== undefined &&
      this.state === MemberState.SECONDARY &&
      s.priority > 0 &&
      s.votes > 0 &&
      !s.arbiterOnly &&
      this.oplog.length > 0 &&
      (ignoreFreeze || Date.now() >= this.frozenUntil)
    );
  }

  private electionTimeoutMs(): number {
    return this.config?.settings.electionTimeoutMillis ?? this.defaults.electionTimeoutMillis;
  }

  scheduleElectionTimer(): void {
    if (this.electionTimer) clearTimeout(this.electionTimer);
    this.electionTimer = undefined;
    if (!this.running || !this.canStand(true)) return;
    const et = this.electionTimeoutMs();
    const delay = et + Math.floor(Math.random() * et * 0.15);
    this.electionTimer = setTimeout(() => {
      this.electionTimer = undefined;
      const primaryAlive = this.primaryId !== undefined && Date.now() - this.lastPrimaryContact < et;
      if (!primaryAlive && this.canStand()) void this.startElection('election timeout');
      else this.scheduleElectionTimer();
    }, Math.max(delay, this.frozenUntil - Date.now()));
    this.electionTimer.unref();
  }

  private resetElectionTimerIfPending(): void {
    if (this.electionTimer) this.scheduleElectionTimer();
  }

  private considerPriorityTakeover(primary: PeerState): void {
    const c = this.config;
    const s = this.self;
    const pm = this.memberConfig(primary.id);
    if (!c || !s || !pm || this.takeoverTimer || !this.canStand()) return;
    if (s.priority <= pm.priority) return;
    if (primary.opTime.ts.t - this.lastApplied.ts.t > 2 || opTimeCompare(this.lastApplied, primary.opTime) < 0 && primary.opTime.ts.t - this.lastApplied.ts.t > 2) return;
    const rank = c.members.filter((m) => m.priority > s.priority).length;
    this.takeoverTimer = setTimeout(() => {
      this.takeoverTimer = undefined;
      const pr = this.primaryId !== undefined ? this.peers.get(this.primaryId) : undefined;
      const prCfg = pr ? this.memberConfig(pr.id) : undefined;
      if (!pr || !prCfg || prCfg.priority >= s.priority || !this.canStand()) return;
      if (opTimeCompare(this.lastApplied, pr.opTime) < 0) return;
      void this.startElection('priority takeover');
    }, c.settings.electionTimeoutMillis * (rank + 1));
    this.takeoverTimer.unref();
  }

  /** Runs a dry run then a real election (pv1). */
  async startElection(reason: string, skipDryRun = false, ignoreFreeze = false): Promise<boolean> {
    if (this.electionInProgress || !this.canStand(ignoreFreeze)) return false;
    this.electionInProgress = true;
    try {
      const c = this.config!;
      const origTerm = this.term;
      this.log(21438, 'Starting an election', { reason, term: origTerm + 1, dryRun: !skipDryRun });
      if (!skipDryRun) {
        const ok = await this.requestVotes(c, true, origTerm + 1);
        if (!ok || this.term !== origTerm || !this.canStand(ignoreFreeze)) {
          this.log(21439, 'Not running for primary, the dry run failed', { term: origTerm });
          return false;
        }
      }
      this.term = origTerm + 1;
      this.votedFor = { term: this.term, candidate: this.self!._id };
      this.persistElection();
      const newTerm = this.term;
      const won = await this.requestVotes(c, false, newTerm);
      if (!won || this.term !== newTerm || this.state !== MemberState.SECONDARY || this.config !== c) {
        this.log(21440, 'Lost election', { term: newTerm });
        return false;
      }
      this.becomePrimary();
      return true;
    } finally {
      this.electionInProgress = false;
      this.scheduleElectionTimer();
    }
  }

  private requestVotes(c: ReplSetConfig, dryRun: boolean, term: number): Promise<boolean> {
    const need = majorityVoteCount(c);
    let votes = this.self!.votes > 0 ? 1 : 0;
    if (votes >= need) return Promise.resolve(true);
    const voters = c.members.filter((m) => m.votes > 0 && m._id !== this.self!._id);
    return new Promise<boolean>((resolve) => {
      let pending = voters.length;
      let done = false;
      const finish = (v: boolean): void => {
        if (done) return;
        done = true;
        resolve(v);
      };
      if (pending === 0) finish(false);
      for (const m of voters) {
        const p = this.peers.get(m._id);
        if (!p) {
          if (--pending === 0) finish(votes >= need);
          continue;
        }
        const client = this.peerClient(m.host);
        client
          .command(
            {
              replSetRequestVotes: 1,
              setName: c._id,
              dryRun,
              term: Long.fromNumber(term),
              candidateIndex: Long.fromNumber(c.members.indexOf(this.self!)),
              configVersion: Long.fromNumber(c.version),
              configTerm: Long.fromNumber(c.term),
              lastAppliedOpTime: toWire(this.lastApplied),
            },
            c.settings.electionTimeoutMillis,
          )
          .then(
            (res) => {
              if (res.ok === 1) {
                this.updateTerm(asNumber(res.term, 0), `vote response from ${m.host}`);
                if (res.voteGranted === true) votes++;
                else this.log(51799, 'VoteRequester: Got no vote', { from: m.host, reason: res.reason });
              }
            },
            () => undefined,
          )
          .finally(() => {
            client.close();
            pending--;
            if (votes >= need) finish(true);
            else if (pending === 0) finish(false);
          });
      }
      setTimeout(() => finish(votes >= need), c.settings.electionTimeoutMillis + 50).unref();
    });
  }

  /** Handles replSetRequestVotes. */
  handleRequestVotes(body: Doc): Doc {
    const c = this.config;
    const term = asNumber(body.term, 0);
    const dryRun = body.dryRun === true;
    const reply = (granted: boolean, reason: string): Doc => ({ term: Long.fromNumber(this.term), voteGranted: granted, reason, ok: 1 });
    if (!c) return reply(false, 'not yet initialized');
    if (body.setName !== c._id) return reply(false, `candidate's set name (${String(body.setName)}) differs from mine (${c._id})`);
    if (term < this.term || (dryRun && term <= this.term)) return reply(false, `candidate's term (${term}) is lower than mine (${this.term})`);
    if (!dryRun) this.updateTerm(term, 'vote request');
    const cv = asNumber(body.configVersion, 0);
    const ct = asNumber(body.configTerm, -1);
    if (isNewerConfig(c, { version: cv, term: ct })) return reply(false, `candidate's config with {version: ${cv}, term: ${ct}} is older than mine with {version: ${c.version}, term: ${c.term}}`);
    const candidate = fromWire(body.lastAppliedOpTime);
    if (opTimeCompare(candidate, this.lastApplied) < 0) {
      return reply(false, `candidate's data is staler than mine. candidate's last applied OpTime: ${fmt(candidate)}, my last applied OpTime: ${fmt(this.lastApplied)}`);
    }
    const idx = asNumber(body.candidateIndex, -1);
    if (!dryRun) {
      if (this.votedFor.term === term && this.votedFor.candidate !== idx) {
        return reply(false, `already voted for another candidate (${c.members[this.votedFor.candidate]?.host ?? '?'}) this term (${term})`);
      }
      this.votedFor = { term, candidate: idx };
      this.persistElection();
      this.lastPrimaryContact = 0;
      this.scheduleElectionTimer();
    }
    return reply(true, '');
  }

  private becomePrimary(): void {
    this.log(21450, 'Election succeeded, assuming primary role', { term: this.term });
    this.stepDownCtl = new AbortController();
    this.primaryId = this.self!._id;
    this.state = MemberState.PRIMARY;
    const e = this.writeNoop({ msg: 'new primary' });
    this.electionTime = e.ts as Timestamp;
    this.electionDate = new Date();
    if (this.electionTimer) clearTimeout(this.electionTimer);
    this.electionTimer = undefined;
    this.log(21358, 'Replica set state transition', { newState: 'PRIMARY', oldState: 'SECONDARY' });
    this.bump();
    this.wakeAll();
    this.updateCommitPoint();
  }

  stepDown(reason: string, freezeMs = 0): void {
    if (this.state !== MemberState.PRIMARY) return;
    this.log(21402, 'Stepping down', { reason, term: this.term });
    if (freezeMs > 0) this.frozenUntil = Math.max(this.frozenUntil, Date.now() + freezeMs);
    this.primaryId = undefined;
    this.electionTime = undefined;
    this.epoch++;
    this.stepDownCtl.abort();
    this.setState(MemberState.SECONDARY);
  }

  /** replSetStepDown. */
  async stepDownCommand(stepDownSecs: number, catchUpSecs: number, force: boolean): Promise<void> {
    if (this.state !== MemberState.PRIMARY) throw new CommandError(ErrorCode.NotWritablePrimary, 'not primary so can\'t step down');
    if (catchUpSecs > stepDownSecs) throw new CommandError(ErrorCode.BadValue, 'stepdown period must be longer than secondaryCatchUpPeriodSecs');
    const target = this.lastApplied;
    const caughtUp = (): PeerState | undefined => {
      for (const p of this.peers.values()) {
        const m = this.memberConfig(p.id);
        if (m && isElectable(m) && p.health === 1 && p.state === MemberState.SECONDARY && opTimeCompare(p.opTime, target) >= 0) return p;
      }
      return undefined;
    };
    const ok = await this.waitUntil(() => caughtUp() !== undefined || this.state !== MemberState.PRIMARY, catchUpSecs * 1000);
    if (this.state !== MemberState.PRIMARY) return;
    const who = caughtUp();
    if (!ok || !who) {
      if (!force) {
        throw new CommandError(
          ErrorCode.ExceededTimeLimit,
          `No electable secondaries caught up as of ${new Date().toISOString()}. Please use the replSetStepDown command with the argument {force: true} to force node to step down.`,
        );
      }
    }
    this.stepDown('replSetStepDown command', stepDownSecs * 1000);
    if (who) {
      // Election handoff: ask the caught-up secondary to run now.
      const client = this.peerClient(who.host);
      client
        .command({ replSetStepUp: 1, skipDryRun: true }, this.electionTimeoutMs())
        .catch(() => undefined)
        .finally(() => client.close());
    }
  }

  async stepUpCommand(skipDryRun: boolean): Promise<void> {
    if (this.state === MemberState.PRIMARY) return;
    if (!this.canStand(true)) throw new CommandError(ErrorCode.CommandNotSupported, `This node is not electable (state ${this.stateName()})`);
    const won = await this.startElection('step up request', skipDryRun, true);
    if (!won) throw new CommandError(ErrorCode.CommandNotSupported, 'Election failed.');
  }

  freeze(secs: number): Doc {
    if (this.state === MemberState.PRIMARY) throw new CommandError(ErrorCode.NotSecondary, 'cannot freeze node when primary or running for election. state: Primary');
    if (secs === 0) {
      this.frozenUntil = 0;
      this.scheduleElectionTimer();
      return { info: 'unfreezing' };
    }
    this.frozenUntil = Date.now() + secs * 1000;
    this.scheduleElectionTimer();
    return secs === 1 ? { warning: 'you really want to freeze for only 1 second?' } : {};
  }

  /** For shutdown on a primary: wait for an electable caught-up secondary. */
  async prepareShutdown(force: boolean, timeoutSecs: number): Promise<void> {
    if (this.state !== MemberState.PRIMARY) return;
    if (this.config!.members.length === 1) return;
    try {
      await this.stepDownCommand(Math.max(timeoutSecs, 1) + 60, timeoutSecs, force);
    } catch (e) {
      if (!force) throw e;
    }
  }

  // ---- replication: serving ----------------------------------------------------------

  /** Handles _simPullOplog: entries after `after`, long-polling up to maxWaitMS. */
  async handlePull(body: Doc, signal: AbortSignal): Promise<Doc> {
    if (!this.config || this.oplog.length === 0) throw new CommandError(ErrorCode.NotYetInitialized, 'no oplog yet');
    const term = asNumber(body.term, 0);
    this.updateTerm(term, 'oplog fetch');
    const after = fromWire(body.after);
    const memberId = asNumber(body.memberId, -1);
    const maxWait = Math.min(asNumber(body.maxWaitMS, 0), 5000);
    const batchSize = Math.max(1, asNumber(body.batchSize, 1000));
    const reply = (extra: Doc): Doc => ({
      ...extra,
      term: Long.fromNumber(this.term),
      isPrimary: this.state === MemberState.PRIMARY,
      commitPoint: toWire(this.commitPoint),
      lastApplied: toWire(this.lastApplied),
    });
    const i = this.findIndex(after.ts);
    if (i < 0 || asNumber(this.oplog[i]!.t, -1) !== after.t) {
      const first = this.oplog[0]!;
      if (tsCompare(after.ts, first.ts as Timestamp) < 0) return reply({ tooStale: true, entries: [] });
      return reply({ rollback: true, entries: [] });
    }
    const p = this.peers.get(memberId);
    if (p && opTimeCompare(after, p.opTime) > 0) {
      p.opTime = after;
      this.updateCommitPoint();
    }
    if (i === this.oplog.length - 1 && maxWait > 0) {
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          this.oplogWaiters.delete(check);
          signal.removeEventListener('abort', check);
          resolve();
        };
        const commitAtStart = this.commitPoint;
        const check = (): void => {
          // new entries, a moved commit point (the puller learns it sooner), or a state change
          if (this.oplog.length - 1 > i || this.findIndex(after.ts) !== i || this.commitPoint !== commitAtStart || !this.running || signal.aborted) finish();
        };
        const timer = setTimeout(finish, maxWait);
        this.oplogWaiters.add(check);
        signal.addEventListener('abort', check, { once: true });
      });
    }
    const j = this.findIndex(after.ts);
    if (j < 0) return reply({ rollback: true, entries: [] });
    const entries: Doc[] = [];
    let bytes = 0;
    for (let k = j + 1; k < this.oplog.length && entries.length < batchSize && bytes < 8 * 1024 * 1024; k++) {
      entries.push(this.oplog[k]!);
      bytes += BSON.calculateObjectSize(this.oplog[k]!);
    }
    return reply({ entries });
  }

  /** Handles _simInitialSync: a consistent snapshot of all non-local data, paged. */
  handleInitialSync(body: Doc): Doc {
    if (!this.config || this.oplog.length === 0) throw new CommandError(ErrorCode.NotYetInitialized, 'no oplog yet');
    const now = Date.now();
    for (const [k, s] of this.snapshots) if (s.expires < now) this.snapshots.delete(k);
    let id = typeof body.id === 'string' ? body.id : undefined;
    let snap = id ? this.snapshots.get(id) : undefined;
    if (id && !snap) throw new CommandError(ErrorCode.CursorNotFound, 'initial sync snapshot expired');
    if (!snap) {
      const entries: WriteEntry[] = [];
      for (const e of this.node.engine.snapshot()) if (!e.ns.startsWith('local.')) entries.push(e);
      snap = { entries, pos: 0, last: this.oplog[this.oplog.length - 1]!, expires: now + 60000 };
      id = new UUID().toHexString();
      this.snapshots.set(id, snap);
    }
    snap.expires = now + 60000;
    const out: WriteEntry[] = [];
    let bytes = 0;
    while (snap.pos < snap.entries.length && out.length < 5000 && bytes < 8 * 1024 * 1024) {
      const e = snap.entries[snap.pos++]!;
      bytes += BSON.calculateObjectSize(e as unknown as Doc);
      out.push(e);
    }
    const done = snap.pos >= snap.entries.length;
    if (done) this.snapshots.delete(id!);
    return { id, entries: out, done, lastEntry: snap.last, commitPoint: toWire(this.commitPoint) };
  }

  // ---- replication: pulling ----------------------------------------------------------

  private chooseSyncSource(): PeerState | undefined {
    if (this.primaryId !== undefined) {
      const p = this.peers.get(this.primaryId);
      if (p && p.health === 1) return p;
    }
    let best: PeerState | undefined;
    for (const p of this.peers.values()) {
      const m = this.memberConfig(p.id);
      if (!m || m.arbiterOnly || p.health !== 1) continue;
      if (p.state !== MemberState.SECONDARY && p.state !== MemberState.PRIMARY) continue;
      if (opTimeCompare(p.opTime, this.lastApplied) <= 0 && this.oplog.length > 0) continue;
      if (!best || opTimeCompare(p.opTime, best.opTime) > 0) best = p;
    }
    return best;
  }

  private async pullLoop(): Promise<void> {
    if (this.pulling) return;
    this.pulling = true;
    try {
      while (this.running) {
        try {
          await this.syncOnce();
        } catch (e) {
          this.log(21799, 'Sync source error', { error: (e as Error).message });
          await sleep(Math.min(200, this.config?.settings.heartbeatIntervalMillis ?? 200));
        }
      }
    } finally {
      this.pulling = false;
    }
  }

  private setSyncSource(host: string | undefined): void {
    if (this.syncSource !== host) {
      this.syncSource = host;
      if (host) this.log(21088, 'Changed sync source', { newSyncSource: host });
    }
  }

  private async syncOnce(): Promise<void> {
    const c = this.config;
    const okStates: number[] = [MemberState.SECONDARY, MemberState.STARTUP2, MemberState.RECOVERING, MemberState.ROLLBACK];
    if (!c || !this.self || !okStates.includes(this.state)) {
      this.setSyncSource(undefined);
      await sleep(50);
      return;
    }
    const src = this.chooseSyncSource();
    if (!src) {
      this.setSyncSource(undefined);
      await sleep(Math.min(100, c.settings.heartbeatIntervalMillis));
      return;
    }
    this.setSyncSource(src.host);
    if (this.oplog.length === 0) {
      await this.initialSync(src);
      return;
    }
    const maxWait = Math.min(1000, c.settings.heartbeatIntervalMillis * 2);
    const res = await src.pullClient.command(
      { _simPullOplog: c._id, after: toWire(this.lastApplied), memberId: this.self._id, term: Long.fromNumber(this.term), maxWaitMS: maxWait, batchSize: 5000 },
      maxWait + Math.max(2000, c.settings.electionTimeoutMillis),
    );
    if (res.ok !== 1) {
      await sleep(100);
      return;
    }
    this.updateTerm(asNumber(res.term, 0), 'sync source');
    if (!okStates.includes(this.state) || this.config !== c) return;
    if (res.isPrimary === true && asNumber(res.term, 0) >= this.term) {
      this.lastPrimaryContact = Date.now();
      if (this.primaryId !== src.id) {
        this.primaryId = src.id;
        this.bump();
      }
    }
    if (res.rollback === true) {
      if (res.isPrimary !== true && this.primaryId !== src.id) {
        // diverged from a non-primary source: only roll back against the primary
        await sleep(100);
        return;
      }
      this.log(21606, 'Starting rollback due to OplogStartMissing', { syncSource: src.host, lastApplied: fmt(this.lastApplied) });
      this.setState(MemberState.ROLLBACK);
      await this.initialSync(src);
      return;
    }
    if (res.tooStale === true) {
      this.log(21799, 'We are too stale to use sync source; running initial sync', { syncSource: src.host });
      await this.initialSync(src);
      return;
    }
    const entries = Array.isArray(res.entries) ? (res.entries as Doc[]) : [];
    const delayMs = this.self.secondaryDelaySecs * 1000;
    let lastYield = Date.now();
    for (const e of entries) {
      if (Date.now() - lastYield > 20) {
        // keep answering heartbeats while applying a big batch
        await new Promise((r) => setImmediate(r));
        lastYield = Date.now();
      }
      if (delayMs > 0) {
        for (;;) {
          const due = wallOf(e).getTime() + delayMs - Date.now();
          if (due <= 0 || !this.running || this.config !== c || this.state !== MemberState.SECONDARY) break;
          await sleep(Math.min(due, 200));
        }
      }
      if (!this.running || this.config !== c || !okStates.includes(this.state)) break;
      this.applyEntry(e);
    }
    this.txns.flush();
    if (this.state !== MemberState.PRIMARY) this.advanceCommitPoint(fromWire(res.commitPoint));
    if (this.state === MemberState.STARTUP2 || this.state === MemberState.RECOVERING) this.setState(MemberState.SECONDARY);
  }

  private applyEntry(entry: Doc): void {
    this.node.engine.group(() => this.applyEntryNow(entry));
  }

  private applyEntryNow(entry: Doc): void {
    const e = this.node.engine;
    const ns = String(entry.ns);
    const dot = ns.indexOf('.');
    this.applying = true;
    try {
      switch (entry.op) {
        case 'i': {
          const o = entry.o as Doc;
          if (!e.getCollection(ns.slice(0, dot), ns.slice(dot + 1))) e.ensureCollection(ns.slice(0, dot), ns.slice(dot + 1));
          try {
            e.write({ op: 'i', ns, o });
          } catch {
            e.write({ op: 'u', ns, o2: { _id: o._id }, o });
          }
          break;
        }
        case 'u': {
          const o = entry.o as Doc;
          try {
            e.write({ op: 'u', ns, o2: entry.o2 as { _id: unknown }, o });
          } catch {
            if (!e.getCollection(ns.slice(0, dot), ns.slice(dot + 1))) e.ensureCollection(ns.slice(0, dot), ns.slice(dot + 1));
            e.write({ op: 'i', ns, o });
          }
          break;
        }
        case 'd':
          try {
            e.write({ op: 'd', ns, o: entry.o as { _id: unknown } });
          } catch {
            /* already gone */
          }
          break;
        case 'c':
          try {
            e.write({ op: 'c', ns, ui: entry.ui as UUID | undefined, o: entry.o as Doc });
          } catch (err) {
            this.log(21000, 'Ignoring error applying a command entry', { error: String(err), o: entry.o });
          }
          break;
        default:
          break;
      }
    } catch (err) {
      this.log(21000, 'Error applying oplog entry', { error: String(err), ns });
    } finally {
      this.applying = false;
    }
    this.appendEntry(entry);
  }

  /** Copies the sync source's data (also the rollback path: wipe and resync). */
  private async initialSync(src: PeerState): Promise<void> {
    if (this.state !== MemberState.ROLLBACK) this.setState(MemberState.STARTUP2);
    this.log(21173, 'Initial sync starting', { syncSource: src.host });
    const client = this.peerClient(src.host);
    const entries: WriteEntry[] = [];
    let last: Doc | undefined;
    let commitPoint = NULL_OPTIME;
    try {
      let id: string | undefined;
      for (;;) {
        const res = await client.command(id ? { _simInitialSync: 1, id } : { _simInitialSync: 1 }, 60000);
        if (res.ok !== 1) throw new Error(`initial sync failed: ${String(res.errmsg)}`);
        id = res.id as string;
        for (const e of res.entries as WriteEntry[]) entries.push(e);
        last = res.lastEntry as Doc;
        commitPoint = fromWire(res.commitPoint);
        if (res.done === true) break;
      }
    } finally {
      client.close();
    }
    if (!this.running) return;
    const e = this.node.engine;
    this.applying = true;
    try {
      for (const db of [...e.dbs.keys()]) if (db !== 'local') e.write({ op: 'c', ns: `${db}.$cmd`, o: { dropDatabase: 1 } });
      if (e.getCollection('local', 'oplog.rs')) e.write({ op: 'c', ns: 'local.$cmd', o: { drop: 'oplog.rs' } });
      e.ensureCollection('local', 'oplog.rs');
      this.oplog = [];
      for (const w of entries) {
        try {
          e.write(w);
        } catch (err) {
          this.log(21000, 'Initial sync: error applying snapshot entry', { error: String(err) });
        }
      }
    } finally {
      this.applying = false;
    }
    this.txns.clear();
    this.txns.load();
    this.lastApplied = NULL_OPTIME;
    this.commitPoint = NULL_OPTIME;
    this.appendEntry(last!);
    this.advanceCommitPoint(commitPoint);
    e.flush();
    this.log(21192, 'Initial sync done', { lastApplied: fmt(this.lastApplied), documents: entries.length });
    this.setState(MemberState.SECONDARY);
  }

  // ---- status ------------------------------------------------------------------------

  status(): Doc {
    const c = this.config;
    if (!c || !this.self) {
      if (this.state === MemberState.REMOVED) throw new CommandError(ReplCode.InvalidReplicaSetConfig, 'Our replica set config is invalid or we are not a member of it');
      throw new CommandError(ErrorCode.NotYetInitialized, 'no replset config has been received');
    }
    const now = new Date();
    const members: Doc[] = [];
    for (const m of c.members) {
      if (m._id === this.self._id) {
        const d: Doc = {
          _id: m._id,
          name: m.host,
          health: 1,
          state: this.state,
          stateStr: this.stateName(),
          uptime: Math.floor((Date.now() - this.startedAt) / 1000),
          optime: toWire(this.lastApplied),
          optimeDate: new Date(this.lastApplied.ts.t * 1000),
          lastAppliedWallTime: this.lastAppliedWall,
          lastDurableWallTime: this.lastAppliedWall,
          syncSourceHost: this.syncSource ?? '',
          syncSourceId: this.syncSource ? (c.members.find((x) => x.host === this.syncSource)?._id ?? -1) : -1,
          infoMessage: '',
        };
        if (this.state === MemberState.PRIMARY && this.electionTime) {
          d.electionTime = this.electionTime;
          d.electionDate = this.electionDate ?? new Date(this.electionTime.t * 1000);
        }
        d.configVersion = c.version;
        d.configTerm = c.term;
        d.self = true;
        d.lastHeartbeatMessage = '';
        members.push(d);
        continue;
      }
      const p = this.peers.get(m._id);
      const st = p ? (p.health === 1 ? p.state : MemberState.DOWN) : MemberState.UNKNOWN;
      const d: Doc = {
        _id: m._id,
        name: m.host,
        health: p?.health ?? 0,
        state: st,
        stateStr: this.stateName(st) === 'DOWN' ? '(not reachable/healthy)' : this.stateName(st),
        uptime: p && p.health === 1 ? Math.floor((Date.now() - p.upSince) / 1000) : 0,
        optime: toWire(p?.opTime ?? NULL_OPTIME),
        optimeDurable: toWire(p?.opTime ?? NULL_OPTIME),
        optimeDate: new Date((p?.opTime ?? NULL_OPTIME).ts.t * 1000),
        optimeDurableDate: new Date((p?.opTime ?? NULL_OPTIME).ts.t * 1000),
        lastAppliedWallTime: p?.wall ?? new Date(0),
        lastDurableWallTime: p?.wall ?? new Date(0),
        lastHeartbeat: p?.lastHeartbeat ?? new Date(0),
        lastHeartbeatRecv: p?.lastHeartbeatRecv ?? new Date(0),
        pingMs: Long.fromNumber(p?.pingMs ?? 0),
        lastHeartbeatMessage: p?.message ?? '',
        syncSourceHost: p?.syncSourceHost ?? '',
        syncSourceId: p?.syncSourceHost ? (c.members.find((x) => x.host === p.syncSourceHost)?._id ?? -1) : -1,
        infoMessage: '',
      };
      if (st === MemberState.PRIMARY && p?.electionTime) {
        d.electionTime = p.electionTime;
        d.electionDate = new Date(p.electionTime.t * 1000);
      }
      d.configVersion = p?.configVersion ?? -1;
      d.configTerm = p?.configTerm ?? -1;
      members.push(d);
    }
    const maj = this.majorityOpTime();
    return {
      set: c._id,
      date: now,
      myState: this.state,
      term: Long.fromNumber(this.term),
      syncSourceHost: this.syncSource ?? '',
      syncSourceId: this.syncSource ? (c.members.find((x) => x.host === this.syncSource)?._id ?? -1) : -1,
      heartbeatIntervalMillis: Long.fromNumber(c.settings.heartbeatIntervalMillis),
      majorityVoteCount: majorityVoteCount(c),
      writeMajorityCount: writeMajorityCount(c),
      votingMembersCount: c.members.filter((m) => m.votes > 0).length,
      writableVotingMembersCount: c.members.filter((m) => m.votes > 0 && !m.arbiterOnly).length,
      optimes: {
        lastCommittedOpTime: toWire(this.commitPoint),
        lastCommittedWallTime: this.commitWall,
        readConcernMajorityOpTime: toWire(maj),
        appliedOpTime: toWire(this.lastApplied),
        durableOpTime: toWire(this.lastApplied),
        lastAppliedWallTime: this.lastAppliedWall,
        lastDurableWallTime: this.lastAppliedWall,
      },
      members,
    };
  }

  getConfig(): Doc {
    if (!this.config) throw new CommandError(ErrorCode.NotYetInitialized, 'no replset config has been received');
    return { config: configToDoc(this.config) };
  }
}

function fmt(o: OpTime): string {
  return `{ ts: Timestamp(${o.ts.t}, ${o.ts.i}), t: ${o.t} }`;
}

function formatLsid(lsid: Doc): string {
  const id = lsid.id as { toHexString?: () => string } | undefined;
  return id?.toHexString ? id.toHexString() : JSON.stringify(lsid);
}

/** The statement hooks of one retryable write command (see RetryHooks in node.ts). */
export class RetryableWrite implements RetryHooks {
  current: number | undefined;
  wrote = false;

  constructor(
    private readonly role: ReplicaSetRole,
    readonly lsid: Doc,
    readonly txnNumber: number,
  ) {}

  executed(stmtId: number): StmtRecord[] | undefined {
    return this.role.txns.executed(this.lsid, this.txnNumber, stmtId);
  }

  begin(stmtId: number): void {
    this.current = stmtId;
    this.wrote = false;
    this.role.setCurrentRetry(this);
  }

  end(stmtId: number, noop?: Doc, always = false): void {
    this.role.setCurrentRetry(undefined);
    if ((!this.wrote || always) && noop && this.role.isPrimary()) {
      this.role.writeNoop(noop, { lsid: this.lsid, txnNumber: this.txnNumber, stmtId });
    }
    this.current = undefined;
    this.wrote = false;
  }

  abort(): void {
    this.role.setCurrentRetry(undefined);
    this.current = undefined;
    this.wrote = false;
  }
}
