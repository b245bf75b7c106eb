/**
 * ReplicaSetRole: a `--replSet` member, protocol version 1 in small. This file is the
 * one owner of effects: it holds the current ReplState (repl-state.ts) and applies the
 * pure transitions of the concern modules to it, and it alone owns the timers, loops and
 * sockets (every one started through a TaskGroup, cancelled and awaited by stop()).
 *
 *   election.ts        vote rules, candidate eligibility, tallies, priority takeover
 *   heartbeat.ts       heartbeat requests and replies -> transitions
 *   oplog.ts           local.oplog.rs in memory, entry building, fetch positions
 *   oplog-apply.ts     applying a replicated entry (exhaustive over the op kinds)
 *   initial-sync.ts    snapshot paging (serving) and installing (syncing)
 *   write-concern.ts   default, validation, satisfaction, writeConcernError
 *   status.ts          hello fields and replSetGetStatus
 *   retryable-write.ts statement hooks over RetryableWriteRecords (txn-table.ts)
 *   progress-waiters.ts  waits re-checked on every replication change
 *
 * Loops: heartbeats (one per peer), oplog pull (secondaries; initial sync and rollback
 * by resync), liveness (a primary steps down without a majority), periodic no-op.
 * Timers: the randomized election timeout, the priority takeover.
 */
import dns from 'node:dns/promises';
import os from 'node:os';
import { Binary, Long, Timestamp, type UUID } from 'bson';
import { authenticateInternal } from '../auth/internal-client.js';
import { authOf } from '../auth/sim-auth.js';
import { CommandError, codeName, ErrorCode } from '../errors.js';
import type { ConnectionInfo, RetryHooks, SimNode } from '../node.js';
import type { CommandHooks, NodeRole, OpInfo, TopologyVersion } from '../role.js';
import type { WriteEntry } from '../storage/engine.js';
import { isPlainObject, type Doc } from '../storage/values.js';
import { sleep, TaskGroup, type TimerHandle } from '../util/async.js';
import {
  configToDoc,
  isElectable,
  isNewerConfig,
  loadStoredConfig,
  loadStoredVote,
  nextConfig,
  parseConfig,
  persistConfig,
  persistVote,
  SIM_DEFAULT_ELECTION_TIMEOUT_MS,
  SIM_DEFAULT_HEARTBEAT_INTERVAL_MS,
  type ConfigDefaults,
  type MemberConfig,
  type ReplSetConfig,
} from './config.js';
import {
  canStand,
  caughtUpSecondary,
  decideVote,
  electionOutcome,
  electionTimerDelay,
  parseVoteRequest,
  primaryAlive,
  priorityTakeoverDelay,
  seesMajority,
  takeoverStillWanted,
  voteRequestDoc,
  votesNeeded,
} from './election.js';
import {
  applyHeartbeatFailure,
  applyHeartbeatReceived,
  applyHeartbeatReply,
  heartbeatReply,
  heartbeatRequest,
  heartbeatTimeoutMs,
  uninitializedHeartbeatReply,
} from './heartbeat.js';
import { INITIAL_SYNC_FAILURE, installSnapshot, SnapshotStore } from './initial-sync.js';
import { SYNCING_STATES, type MemberState } from './member-state.js';
import { applyOplogEntry } from './oplog-apply.js';
import { applyOpsEntry, entryForWrite, noopEntry, Oplog, stampEntry, wallOf } from './oplog.js';
import { asNumber, formatOpTime, fromWire, isNull, LogicalClock, NULL_OPTIME, opTimeCompare, toWire, tsCompare, type OpTime } from './optime.js';
import { PeerClient } from './peer.js';
import { ProgressWaiters } from './progress-waiters.js';
import {
  advanceApplied,
  advanceCommitPoint,
  becomePrimary,
  chooseSyncSource,
  freezeUntil,
  initialReplState,
  majorityOpTime,
  newPeerView,
  observePeerOpTime,
  observePrimary,
  observeTerm,
  primaryCommitCandidate,
  resetOpTimes,
  setMemberState,
  setPeers,
  setSyncSource,
  startCandidacy,
  stepDown,
  type PeerView,
  type ReplState,
} from './repl-state.js';
import type { FailPoints } from '../failpoints.js';
import { checkAtClusterTime, parseAtClusterTime, SnapshotHistory, type SnapshotReadHost } from '../txn/snapshot-reads.js';
import { checkTxnNumber, labelRetryableError, RetryableWrite, type RetryableWriteHost, type RetryableWriteRecords, type StatementRef } from './retryable-write.js';
import { helloFields, primaryHost, replSetGetStatus } from './status.js';
import { TxnTable } from './txn-table.js';
import { ENDS_TRANSACTION, transactionsOf, type TransactionHost } from '../txn/transactions.js';
import { resolveWriteConcern, validateWriteConcern, writeConcernError, writeConcernSatisfied, defaultWriteConcern } from './write-concern.js';

export interface ReplicaSetRoleOptions {
  setName: string;
  defaults?: Partial<ConfigDefaults>;
  /** Primary no-op writes when idle (mongod's periodicNoopIntervalSecs = 10). */
  noopIntervalMs?: number;
  /** Oplog entries kept before the oldest are truncated. */
  oplogMaxEntries?: number;
}

/** The two connections to one other member: heartbeats, and oplog fetches. */
interface PeerLink {
  readonly host: string;
  readonly hb: PeerClient;
  readonly pull: PeerClient;
}

export class ReplicaSetRole implements NodeRole, RetryableWriteHost, TransactionHost, SnapshotReadHost {
  readonly kind = 'replicaSet' as const;
  readonly setName: string;
  readonly hooks: CommandHooks;
  readonly clock = new LogicalClock();
  readonly defaults: ConfigDefaults;
  readonly startedAt = Date.now();
  /** Bumped on every step-down (see NodeRole.epoch). */
  epoch = 0;

  #config: ReplSetConfig | undefined;
  #self: MemberConfig | undefined;
  #s: ReplState = initialReplState();
  readonly #oplog: Oplog;
  readonly #records: TxnTable;
  readonly #tasks: TaskGroup;
  readonly #waiters = new ProgressWaiters();
  readonly #links = new Map<number, PeerLink>();
  readonly #snapshots = new SnapshotStore();
  /** What every write replaced, by cluster time: snapshot reads outside transactions (txn/snapshot-reads.ts). */
  readonly snapshotHistory: SnapshotHistory;
  readonly #listeners = new Set<() => void>();
  #tv: TopologyVersion;
  #running = false;
  #electionTimer: TimerHandle | undefined;
  #takeoverTimer: TimerHandle | undefined;
  #electionInProgress = false;
  /** True while this member writes replicated or local data that must not be logged as new oplog entries. */
  #applying = false;
  #stepDownCtl = new AbortController();
  #currentRetry: RetryableWrite | undefined;
  #lastWriteAt = Date.now();
  #lastLivenessTick = Date.now();
  #livenessGraceUntil = 0;
  #port = 0;
  readonly #localNames = new Set<string>();
  readonly #noopIntervalMs: number;

  constructor(
    readonly node: SimNode,
    options: ReplicaSetRoleOptions,
  ) {
    this.setName = options.setName;
    this.defaults = {
      electionTimeoutMillis: options.defaults?.electionTimeoutMillis ?? SIM_DEFAULT_ELECTION_TIMEOUT_MS,
      heartbeatIntervalMillis: options.defaults?.heartbeatIntervalMillis ?? SIM_DEFAULT_HEARTBEAT_INTERVAL_MS,
    };
    this.#noopIntervalMs = options.noopIntervalMs ?? 10000;
    this.#oplog = new Oplog(node.engine, options.oplogMaxEntries ?? 200000);
    this.snapshotHistory = new SnapshotHistory(node.engine);
    this.#tv = { processId: node.processId, counter: Long.fromNumber(0) };
    this.#records = new TxnTable(node.engine);
    this.#tasks = new TaskGroup((name, e) => this.#log(21000, 'Replication task failed', { task: name, error: String(e) }));
    this.hooks = { before: (op) => this.#before(op), after: (op, reply) => this.#after(op, reply) };
    node.engine.onCommit((e) => this.#onCommit(e));
  }

  // ---- reading the state -------------------------------------------------------------

  get config(): ReplSetConfig | undefined {
    return this.#config;
  }

  get self(): MemberConfig | undefined {
    return this.#self;
  }

  /** The current state record (immutable; replaced on every transition). */
  get replState(): ReplState {
    return this.#s;
  }

  get memberState(): MemberState {
    return this.#s.memberState;
  }

  get term(): number {
    return this.#s.term;
  }

  /** Loops, timers and requests running in the background (0 once stop() resolved). */
  get backgroundTasks(): number {
    return this.#tasks.size;
  }

  get records(): RetryableWriteRecords {
    return this.#records;
  }

  isPrimary(): boolean {
    return this.#s.memberState === 'PRIMARY';
  }

  primaryHost(): string | undefined {
    return primaryHost({ state: this.#s, config: this.#config, self: this.#self });
  }

  memberConfig(id: number): MemberConfig | undefined {
    return this.#config?.members.find((m) => m._id === id);
  }

  // ---- lifecycle ---------------------------------------------------------------------

  /** After storage is open and the server listens: load persisted state and start the loops. */
  async start(port: number, bindIps: string[]): Promise<void> {
    this.#port = port;
    for (const n of ['localhost', '127.0.0.1', '::1', os.hostname(), ...bindIps]) this.#localNames.add(n.toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) this.#localNames.add(a.address.toLowerCase());
    this.#running = true;
    const e = this.node.engine;
    this.#oplog.load();
    const last = this.#oplog.last();
    if (last) {
      this.#s = advanceApplied(this.#s, fromWire(last), wallOf(last));
      this.clock.advance(this.#s.lastApplied.ts);
    }
    const vote = loadStoredVote(e);
    if (vote) this.#s = { ...this.#s, term: Math.max(0, vote.term), votedFor: vote };
    this.#records.reload();
    const stored = loadStoredConfig(e, this.setName);
    if (stored) {
      try {
        await this.installConfig(parseConfig(stored, this.defaults), false);
      } catch (err) {
        this.#log(21405, 'Locally stored replica set configuration is invalid', { error: String(err) });
      }
    }
    void this.#tasks.run('oplog fetcher', (signal) => this.#pullLoop(signal));
    this.#tasks.every('liveness', () => this.#config?.settings.heartbeatIntervalMillis ?? this.defaults.heartbeatIntervalMillis, () => this.#checkLiveness());
    this.#tasks.every('periodic noop', Math.max(100, Math.min(this.#noopIntervalMs, 1000)), () => this.#periodicNoop());
  }

  /** Stops every loop and timer, closes the peer connections and waits until all of it ended. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#electionTimer?.cancel();
    this.#takeoverTimer?.cancel();
    for (const l of this.#links.values()) this.#closeLink(l);
    this.#links.clear();
    this.#stepDownCtl.abort();
    this.#waiters.close();
    await this.#tasks.stop();
  }

  #log(id: number, msg: string, attr?: Record<string, unknown>): void {
    this.node.logger.log('REPL', id, 'ReplCoord', msg, attr);
  }

  /** A client to another member; with a keyFile it authenticates as __system first. */
  peerClient(host: string): PeerClient {
    return new PeerClient(host, async (run) => {
      const creds = authOf(this.node).internalCredentials;
      if (creds) await authenticateInternal(run, creds);
    });
  }

  #closeLink(l: PeerLink): void {
    l.hb.close();
    l.pull.close();
  }

  /** Runs a one-off request to `host` as a tracked task; its client closes when done or on stop. */
  #request(name: string, host: string, body: Doc, timeoutMs: number, onReply: (res: Doc) => void): Promise<void> {
    return this.#tasks.run(name, async (signal) => {
      const client = this.peerClient(host);
      const close = (): void => client.close();
      signal.addEventListener('abort', close, { once: true });
      try {
        onReply(await client.command(body, timeoutMs));
      } catch {
        /* no reply: nothing to apply */
      } finally {
        signal.removeEventListener('abort', close);
        client.close();
      }
    });
  }

  // ---- applying transitions ----------------------------------------------------------

  /** Makes `next` the current state and does what a change requires (log, topology version, waiters, election timer). */
  #commit(next: ReplState): void {
    const prev = this.#s;
    if (next === prev) return;
    this.#s = next;
    // history after the majority commit point is kept: change streams' updateLookup reads there
    this.snapshotHistory.pin(majorityOpTime(next).ts);
    if (next.lastApplied !== prev.lastApplied && !isNull(next.lastApplied)) this.snapshotHistory.stamp(next.lastApplied.ts);
    const stateChanged = prev.memberState !== next.memberState;
    if (stateChanged) this.#log(21358, 'Replica set state transition', { newState: next.memberState, oldState: prev.memberState });
    if (stateChanged || prev.primaryId !== next.primaryId) this.#bump();
    this.#waiters.wake();
    if (stateChanged) this.#scheduleElectionTimer();
  }

  /** Commits a transition that may have adopted a higher term and stepped this primary down. */
  #commitTerm(r: { state: ReplState; termAdvanced: boolean; steppedDown: boolean }, why: string): void {
    if (r.termAdvanced) this.#log(21364, 'Updating term', { oldTerm: this.#s.term, newTerm: r.state.term, reason: why });
    if (r.steppedDown) this.#steppingDown(`term advanced (${why})`);
    this.#commit(r.state);
    if (r.termAdvanced) this.#persistVote();
  }

  /** The effects of leaving PRIMARY, before the state change is committed. */
  #steppingDown(reason: string): void {
    this.#log(21402, 'Stepping down', { reason, term: this.#s.term });
    this.epoch++;
    this.#stepDownCtl.abort();
    transactionsOf(this.node).abortAll();
  }

  #setMemberState(memberState: MemberState): void {
    this.#commit(setMemberState(this.#s, memberState).state);
  }

  /** A higher term seen anywhere: adopt it; a primary steps down. */
  updateTerm(term: number, why: string): boolean {
    const r = observeTerm(this.#s, term, Date.now());
    this.#commitTerm({ state: r.state, termAdvanced: r.advanced, steppedDown: r.steppedDown }, why);
    return r.advanced;
  }

  #persistVote(): void {
    persistVote(this.node.engine, this.#s.term, this.#s.votedFor);
  }

  #advanceCommitPoint(o: OpTime): void {
    this.#commit(advanceCommitPoint(this.#s, o, this.#oplog.entryWall(o)).state);
  }

  /** Primary: moves the commit point to what a write majority applied in this term. */
  #updateCommitPoint(): void {
    const c = this.#config;
    if (!c || !this.#self) return;
    const cand = primaryCommitCandidate(this.#s, c, this.#self._id);
    if (cand) this.#advanceCommitPoint(cand);
  }

  // ---- NodeRole ----------------------------------------------------------------------

  topologyVersion(): TopologyVersion {
    return this.#tv;
  }

  onTopologyChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #bump(): void {
    this.#tv = { processId: this.#tv.processId, counter: this.#tv.counter.add(1) };
    for (const l of [...this.#listeners]) l();
  }

  helloFields(legacy: boolean): Doc {
    return helloFields({ state: this.#s, config: this.#config, self: this.#self }, legacy);
  }

  checkWritable(db: string): void {
    if (db === 'local') return;
    if (this.#s.memberState !== 'PRIMARY') throw new CommandError(ErrorCode.NotWritablePrimary, 'not primary');
  }

  checkReadable(db: string, secondaryOk: boolean): void {
    if (db === 'local') return;
    if (this.#s.memberState === 'PRIMARY') return;
    if (this.#s.memberState === 'SECONDARY') {
      if (secondaryOk) return;
      throw new CommandError(ErrorCode.NotPrimaryNoSecondaryOk, 'not primary and secondaryOk=false');
    }
    throw new CommandError(ErrorCode.NotPrimaryOrSecondary, 'not primary or secondary; cannot currently read from this replSet member');
  }

  validateWriteConcern(wc: Doc | undefined): void {
    validateWriteConcern(this.#config, wc);
  }

  /** A replica set member accepts transaction fields: txn/transactions.ts applies mongod's rules to them. */
  checkTransactionFields(_body: Doc): void {}

  // ---- transactions (TransactionHost) ------------------------------------------------

  sessionTxnNumber(lsid: Doc): number {
    return this.#records.txnNumber(lsid);
  }

  committedTransaction(lsid: Doc, txnNumber: number): boolean {
    return this.#records.committedTransaction(lsid, txnNumber);
  }

  beginTxnNumber(lsid: Doc, txnNumber: number): void {
    this.#records.begin(lsid, txnNumber);
  }

  /** Applies a committed transaction's writes (not logged one by one) and logs them as one applyOps entry. */
  logTransaction(lsid: Doc, txnNumber: number, apply: () => WriteEntry[]): void {
    if (this.#s.memberState !== 'PRIMARY') throw new CommandError(ErrorCode.NotWritablePrimary, 'not primary');
    const e = this.node.engine;
    e.group(() => {
      this.#applying = true;
      let ops: WriteEntry[];
      try {
        ops = apply();
      } finally {
        this.#applying = false;
      }
      const uuidOf = (ns: string): UUID | undefined => {
        const dot = ns.indexOf('.');
        return e.getCollection(ns.slice(0, dot), ns.slice(dot + 1))?.uuid;
      };
      this.#appendNew(applyOpsEntry(lsid, txnNumber, ops, uuidOf));
    });
    this.#records.flush();
  }

  // ---- command hooks (dispatcher) ----------------------------------------------------

  async #before(op: OpInfo): Promise<void> {
    const ct = op.body.$clusterTime;
    if (isPlainObject(ct) && ct.clusterTime instanceof Timestamp) this.clock.advance(ct.clusterTime);
    if (op.write || op.secondary === 'never') this.checkWritable(op.db);
    else if (op.secondary === 'optIn') this.checkReadable(op.db, op.secondaryOk);
    if (op.write) {
      const lsid = op.body.lsid;
      // (a transaction's statements, commit and abort are txn/transactions.ts's)
      if (isPlainObject(lsid) && op.body.txnNumber !== undefined && op.body.autocommit === undefined && !ENDS_TRANSACTION.has(op.name)) {
        const txnNumber = asNumber(op.body.txnNumber, 0);
        checkTxnNumber(this.#records, lsid, txnNumber);
        this.#records.begin(lsid, txnNumber);
        op.state = new RetryableWrite(this, lsid, txnNumber);
      }
    }
    const rc = op.args.readConcern;
    // a transaction's first statement (a write too) takes its snapshot after this wait:
    // with majority / snapshot, a majority-committed one
    if ((!op.write || op.body.startTransaction === true) && isPlainObject(rc)) await this.#waitForReadConcern(rc, op);
  }

  /** Called by the dispatcher around the handler: the statement hooks crud.ts uses. */
  retryHooks(op: OpInfo): RetryHooks | undefined {
    return op.state instanceof RetryableWrite ? op.state : undefined;
  }

  endRetry(): void {}

  get failPoints(): FailPoints {
    return this.node.failPoints;
  }

  /** The statement whose engine writes are being made now (set by RetryableWrite.begin/end). */
  setCurrentRetry(r: RetryableWrite | undefined): void {
    this.#currentRetry = r;
  }

  async #after(op: OpInfo, reply: Doc): Promise<Doc> {
    const retryable = op.write && op.body.txnNumber !== undefined && (op.body.autocommit === undefined || ENDS_TRANSACTION.has(op.name));
    if (op.write) this.#records.flush();
    if (op.write && reply.ok === 1) {
      const wc = isPlainObject(op.args.writeConcern) ? op.args.writeConcern : undefined;
      const unsatisfiable = ENDS_TRANSACTION.has(op.name) ? this.#unsatisfiable(wc) : undefined;
      const wce = unsatisfiable ?? (await this.waitForWriteConcern(this.#s.lastApplied, wc, op.conn));
      if (wce) reply.writeConcernError = wce;
    }
    if (retryable) labelRetryableError(reply);
    if (this.#config) {
      const now = this.clock.now();
      reply.$clusterTime = { clusterTime: now, signature: { hash: new Binary(new Uint8Array(20), 0), keyId: Long.ZERO } };
      reply.operationTime = isNull(this.#s.lastApplied) ? now : this.#s.lastApplied.ts;
    }
    return reply;
  }

  /** commit/abort: a write concern this set cannot satisfy, as the writeConcernError mongod gives after committing. */
  #unsatisfiable(wc: Doc | undefined): Doc | undefined {
    try {
      this.validateWriteConcern(wc);
      return undefined;
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      return { code: e.code, codeName: codeName(e.code), errmsg: e.message, errInfo: { writeConcern: { ...wc, provenance: 'clientSupplied' } } };
    }
  }

  async #waitForReadConcern(rc: Doc, op: OpInfo): Promise<void> {
    const typed = isPlainObject(op.body.readConcern) ? op.body.readConcern : {};
    const after = typed.afterClusterTime;
    const deadline = Date.now() + (typeof op.args.maxTimeMS === 'number' && op.args.maxTimeMS > 0 ? op.args.maxTimeMS : 30000);
    if (after instanceof Timestamp && tsCompare(after, this.#s.lastApplied.ts) > 0) {
      if (this.isPrimary()) this.writeNoop({ msg: 'read concern afterClusterTime' });
      const ok = await this.waitUntil(() => tsCompare(after, this.#s.lastApplied.ts) <= 0, deadline - Date.now(), op.conn.signal);
      if (!ok) throw new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit');
    }
    const level = rc.level;
    const at = parseAtClusterTime(typed);
    if (at) {
      // snapshot at a given time: not after this member's cluster time, and majority committed
      checkAtClusterTime(at, this.clock.now());
      const ok = await this.waitUntil(() => tsCompare(this.#s.commitPoint.ts, at) >= 0, deadline - Date.now(), op.conn.signal);
      if (!ok) throw new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit while waiting for atClusterTime to be majority committed');
      return;
    }
    if (level === 'majority' || level === 'linearizable' || level === 'snapshot') {
      const target = this.#s.lastApplied;
      if (isNull(target)) return;
      const ok = await this.waitUntil(() => opTimeCompare(this.#s.commitPoint, target) >= 0, deadline - Date.now(), op.conn.signal);
      if (!ok) throw new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit while waiting for the majority commit point');
    }
  }

  /** Resolves true once pred() holds (re-checked on every replication change), false on timeout. */
  waitUntil(pred: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#waiters.waitUntil(pred, timeoutMs, signal);
  }

  defaultWriteConcern(): Doc {
    return defaultWriteConcern(this.#config);
  }

  /** Waits until `opTime` satisfies the write concern; returns a writeConcernError or undefined. */
  async waitForWriteConcern(opTime: OpTime, wcIn: Doc | undefined, conn?: ConnectionInfo): Promise<Doc | undefined> {
    const wc = resolveWriteConcern(this.#config, wcIn);
    if (wc.j) this.node.engine.flush();
    const c = this.#config;
    if (!wc.waits || !c) return undefined;
    const term = this.#s.term;
    const satisfied = (): boolean => writeConcernSatisfied(this.#s, c, opTime, wc.w);
    const steppedDown = (): boolean => this.#s.memberState !== 'PRIMARY' || this.#s.term !== term;
    const ok = await this.waitUntil(() => satisfied() || steppedDown(), wc.wtimeout > 0 ? wc.wtimeout : Infinity, conn?.signal);
    if (ok && satisfied()) return undefined;
    return writeConcernError(steppedDown() ? 'steppedDown' : 'timeout', wc);
  }

  // ---- oplog -------------------------------------------------------------------------

  #onCommit(e: WriteEntry): void {
    if (this.#applying || !this.#config) return;
    const dot = e.ns.indexOf('.');
    const db = e.ns.slice(0, dot);
    if (db === 'local' || db === 'config') return;
    if (this.#s.memberState !== 'PRIMARY') {
      this.#log(21000, 'Write on a non-primary was not logged to the oplog', { ns: e.ns, op: e.op });
      return;
    }
    const r = this.#currentRetry;
    const stmt: StatementRef | undefined = r?.current !== undefined ? { lsid: r.lsid, txnNumber: r.txnNumber, stmtId: r.current } : undefined;
    const uuid = e.op === 'c' ? undefined : this.node.engine.getCollection(db, e.ns.slice(dot + 1))?.uuid;
    const entry = entryForWrite(e, stmt, uuid);
    if (stmt && e.op !== 'c') r!.wrote = true;
    this.#appendNew(entry);
  }

  /** Stamps ts/t/v/wall on a new primary entry and appends it. */
  #appendNew(entry: Doc): Doc {
    stampEntry(entry, this.clock.reserve(), this.#s.term, new Date());
    this.#appendEntry(entry);
    this.#lastWriteAt = Date.now();
    this.#updateCommitPoint();
    return entry;
  }

  #appendEntry(entry: Doc): void {
    this.#oplog.append(entry);
    const opTime = fromWire(entry);
    this.clock.advance(opTime.ts);
    if (entry.lsid !== undefined) this.#records.record(entry);
    this.#commit(advanceApplied(this.#s, opTime, wallOf(entry)));
  }

  writeNoop(o: Doc, stmt?: StatementRef): Doc {
    return this.#appendNew(noopEntry(o, stmt));
  }

  #periodicNoop(): void {
    if (this.#s.memberState === 'PRIMARY' && Date.now() - this.#lastWriteAt >= this.#noopIntervalMs) this.writeNoop({ msg: 'periodic noop' });
  }

  majorityOpTime(): OpTime {
    return majorityOpTime(this.#s);
  }

  /** The oplog, read-only use (change streams read it; appends go through this role). */
  get oplog(): Oplog {
    return this.#oplog;
  }

  // ---- config ------------------------------------------------------------------------

  async #isSelf(host: string): Promise<boolean> {
    const i = host.lastIndexOf(':');
    let h = host.slice(0, i).toLowerCase();
    if (h.startsWith('[')) h = h.slice(1, -1);
    if (Number(host.slice(i + 1)) !== this.#port) return false;
    if (this.#localNames.has(h)) return true;
    try {
      const addrs = await dns.lookup(h, { all: true });
      return addrs.some((a) => this.#localNames.has(a.address.toLowerCase()));
    } catch {
      return false;
    }
  }

  async findSelf(c: ReplSetConfig): Promise<MemberConfig | undefined> {
    for (const m of c.members) if (await this.#isSelf(m.host)) return m;
    return undefined;
  }

  /** Installs (and persists) a config; starts heartbeats to new members, stops them to removed ones. */
  async installConfig(c: ReplSetConfig, persist = true): Promise<void> {
    const self = await this.findSelf(c);
    if (this.#tasks.stopped) return;
    if (this.#config && !isNewerConfig(c, this.#config) && persist) return;
    this.#config = c;
    this.#self = self;
    if (persist) persistConfig(this.node.engine, c);
    const peers = new Map<number, PeerView>();
    for (const [id, l] of this.#links) {
      const m = c.members.find((x) => x._id === id);
      if (!m || m.host !== l.host || !self) {
        this.#closeLink(l);
        this.#links.delete(id);
      }
    }
    this.#log(21392, 'New replica set config in use', { config: configToDoc(c) });
    if (!self) {
      this.#commit(setPeers(this.#s, peers));
      this.#setMemberState('REMOVED');
      this.#bump();
      return;
    }
    for (const m of c.members) {
      if (m._id === self._id) continue;
      const known = this.#links.has(m._id) ? this.#s.peers.get(m._id) : undefined;
      peers.set(m._id, known ?? newPeerView(m._id, m.host));
      if (!this.#links.has(m._id)) {
        const link: PeerLink = { host: m.host, hb: this.peerClient(m.host), pull: this.peerClient(m.host) };
        this.#links.set(m._id, link);
        void this.#tasks.run(`heartbeats to ${m.host}`, (signal) => this.#heartbeatLoop(m._id, link, signal));
      }
    }
    this.#commit(setPeers(this.#s, peers));
    const st = this.#s.memberState;
    if (self.arbiterOnly) this.#setMemberState('ARBITER');
    else if (st === 'STARTUP' || st === 'REMOVED' || st === 'ARBITER') this.#setMemberState(this.#oplog.isEmpty ? 'STARTUP2' : 'SECONDARY');
    if (this.#s.memberState === 'PRIMARY' && (self.priority === 0 || self.votes === 0)) this.stepDown('reconfig made this node ineligible');
    this.#bump();
    this.#scheduleElectionTimer();
    this.#updateCommitPoint();
  }

  /** replSetInitiate. */
  async initiate(raw: unknown): Promise<Doc> {
    if (this.#config) throw new CommandError(ErrorCode.AlreadyInitialized, 'already initialized');
    let out: Doc = {};
    if (!isPlainObject(raw)) {
      const host = `${(await this.#resolvableHostname()) ?? '127.0.0.1'}:${this.#port}`;
      raw = { _id: this.setName, version: 1, members: [{ _id: 0, host }] };
      out = { info2: 'no configuration specified. Using a default configuration for the set', me: host };
      this.#log(21330, 'no configuration specified. Using a default configuration for the set', { me: host });
    }
    const c = parseConfig(raw, this.defaults);
    if (c._id !== this.setName) {
      throw new CommandError(ErrorCode.InvalidReplicaSetConfig, `Attempting to initiate a replica set with name ${c._id}, but command line reports ${this.setName}; rejecting`);
    }
    const self = await this.findSelf(c);
    if (!self) throw new CommandError(ErrorCode.InvalidReplicaSetConfig, `No host described in new configuration with {version: ${c.version}, term: ${c.term}} for replica set ${c._id} maps to this node`);
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
    if (this.#config) throw new CommandError(ErrorCode.AlreadyInitialized, 'already initialized');
    this.#log(21336, 'replSetInitiate config object parses ok', { numMembers: c.members.length });
    // the initiating entry: term -1 (before the first election)
    this.#appendEntry(stampEntry({ op: 'n', ns: '', o: { msg: 'initiating set' } }, this.clock.reserve(), -1, new Date()));
    await this.installConfig(c);
    if (c.members.length === 1 && isElectable(self)) this.#startElectionTask('single node replica set', true);
    return out;
  }

  async #resolvableHostname(): Promise<string | undefined> {
    const h = os.hostname();
    try {
      const addrs = await dns.lookup(h, { all: true });
      if (addrs.some((a) => this.#localNames.has(a.address.toLowerCase()))) return h;
    } catch {
      /* fall back */
    }
    return undefined;
  }

  /** replSetReconfig. */
  async reconfig(raw: unknown, force: boolean): Promise<Doc> {
    const old = this.#config;
    if (!old) throw new CommandError(ErrorCode.NotYetInitialized, 'no replset config has been received');
    if (!force && !this.isPrimary()) {
      throw new CommandError(ErrorCode.NotWritablePrimary, `replSetReconfig should only be run on a writable PRIMARY. Current state ${this.#s.memberState};`);
    }
    if (!isPlainObject(raw)) throw new CommandError(ErrorCode.TypeMismatch, "'replSetReconfig' must be an object");
    const c = nextConfig(old, raw, { force, term: this.#s.term, defaults: this.defaults });
    const self = await this.findSelf(c);
    if (!self) throw new CommandError(ErrorCode.NodeNotFound, `No host described in new configuration with {version: ${c.version}, term: ${c.term}} for replica set ${c._id} maps to this node`);
    await this.installConfig(c);
    if (this.isPrimary()) this.writeNoop({ msg: 'Reconfig set', version: c.version });
    return {};
  }

  getConfig(): Doc {
    if (!this.#config) throw new CommandError(ErrorCode.NotYetInitialized, 'no replset config has been received');
    return { config: configToDoc(this.#config) };
  }

  /** A config another member sent: installed when it parses, is ours and is newer. */
  #adoptConfig(raw: Doc, name: string): void {
    try {
      const c = parseConfig(raw, this.defaults);
      if (c._id === this.setName && this.#config && isNewerConfig(c, this.#config)) void this.#tasks.run(name, () => this.installConfig(c));
    } catch {
      /* ignore a bad config */
    }
  }

  // ---- heartbeats --------------------------------------------------------------------

  async #heartbeatLoop(id: number, link: PeerLink, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.#links.get(id) === link) {
      const c = this.#config!;
      const started = Date.now();
      await this.#sendHeartbeat(id, link, c);
      const wait = c.settings.heartbeatIntervalMillis - (Date.now() - started);
      if (wait > 0) await sleep(wait, signal);
    }
  }

  async #sendHeartbeat(id: number, link: PeerLink, c: ReplSetConfig): Promise<void> {
    const self = this.#self;
    const peer = this.#s.peers.get(id);
    if (!self || !peer) return;
    const t0 = Date.now();
    let res: Doc;
    try {
      res = await link.hb.command(heartbeatRequest(this.#s, c, self, peer), heartbeatTimeoutMs(c));
    } catch (e) {
      if (this.#links.get(id) === link) this.#heartbeatFailed(id, (e as Error).message);
      return;
    }
    if (this.#links.get(id) !== link) return;
    if (res.ok !== 1) {
      this.#heartbeatFailed(id, String(res.errmsg ?? ''));
      return;
    }
    const now = Date.now();
    const r = applyHeartbeatReply(this.#s, id, res, now, now - t0);
    this.#commitTerm(r, `heartbeat response from ${link.host}`);
    if (r.config) this.#adoptConfig(r.config, 'install config from heartbeat');
    if (r.primarySeen) {
      if (this.#electionTimer?.pending) this.#scheduleElectionTimer();
      this.#considerPriorityTakeover(id);
    }
    if (!this.isPrimary()) this.#advanceCommitPoint(r.commitPoint);
    this.#updateCommitPoint();
  }

  #heartbeatFailed(id: number, message: string): void {
    const r = applyHeartbeatFailure(this.#s, id, message, Date.now());
    this.#commit(r.state);
    if (r.wentDown) this.#log(21216, 'Member is now in state RS_DOWN', { hostAndPort: this.#s.peers.get(id)?.host });
  }

  /** Handles an incoming replSetHeartbeat. */
  async handleHeartbeat(body: Doc): Promise<Doc> {
    const setName = body.replSetHeartbeat;
    if (setName !== this.setName) {
      throw new CommandError(ErrorCode.InconsistentReplicaSetNames, `Our replica set name of ${this.setName} does not match name ${String(setName)}`, {});
    }
    if (!this.#config) {
      if (isPlainObject(body.config)) {
        try {
          const c = parseConfig(body.config, this.defaults);
          if (c._id === this.setName && (await this.findSelf(c)) && !this.#config) await this.installConfig(c);
        } catch (e) {
          this.#log(21400, 'Could not adopt config from heartbeat', { error: String(e) });
        }
      }
      if (!this.#config) {
        const hasData = this.node.engine.databaseNames().some((d) => d !== 'local');
        return uninitializedHeartbeatReply(this.setName, this.#s.term, hasData);
      }
    }
    this.updateTerm(asNumber(body.term, 0), `heartbeat from ${String(body.from)}`);
    const fromId = asNumber(body.fromId, -1);
    const known = this.#s.peers.has(fromId);
    this.#commit(applyHeartbeatReceived(this.#s, fromId, fromWire(body.opTime), Date.now()));
    if (isPlainObject(body.config)) {
      try {
        const c = parseConfig(body.config, this.defaults);
        if (c._id === this.setName && isNewerConfig(c, this.#config!)) await this.installConfig(c);
      } catch {
        /* ignore */
      }
    }
    const res = heartbeatReply(this.#s, this.#config!, this.setName, { version: asNumber(body.configVersion, -2), term: asNumber(body.configTerm, -1) });
    if (this.isPrimary() && known) this.#updateCommitPoint();
    return res;
  }

  #checkLiveness(): void {
    const c = this.#config;
    const now = Date.now();
    // After this process stalled (a long synchronous batch), heartbeats had no chance to
    // run: give them one election timeout before judging the majority gone.
    if (now - this.#lastLivenessTick > 2 * (c?.settings.heartbeatIntervalMillis ?? 250)) this.#livenessGraceUntil = now + (c?.settings.electionTimeoutMillis ?? 1000);
    this.#lastLivenessTick = now;
    if (now < this.#livenessGraceUntil) return;
    if (!c || !this.isPrimary()) return;
    if (!seesMajority(this.#s, c, this.#self?._id, now)) this.stepDown('can no longer see a majority of the replica set');
  }

  // ---- elections ---------------------------------------------------------------------

  #canStand(ignoreFreeze = false): boolean {
    return this.#running && canStand(this.#s, this.#self, { hasOplog: !this.#oplog.isEmpty, now: Date.now(), ignoreFreeze });
  }

  #electionTimeoutMs(): number {
    return this.#config?.settings.electionTimeoutMillis ?? this.defaults.electionTimeoutMillis;
  }

  #scheduleElectionTimer(): void {
    this.#electionTimer?.cancel();
    this.#electionTimer = undefined;
    if (!this.#canStand(true)) return;
    const et = this.#electionTimeoutMs();
    this.#electionTimer = this.#tasks.after('election timer', electionTimerDelay(et, Math.random(), this.#s.frozenUntil - Date.now()), () => {
      this.#electionTimer = undefined;
      if (!primaryAlive(this.#s, Date.now(), et) && this.#canStand()) this.#startElectionTask('election timeout');
      else this.#scheduleElectionTimer();
    });
  }

  #considerPriorityTakeover(primaryId: number): void {
    const c = this.#config;
    const s = this.#self;
    const pm = this.memberConfig(primaryId);
    const primary = this.#s.peers.get(primaryId);
    if (!c || !s || !pm || !primary || this.#takeoverTimer?.pending || !this.#canStand()) return;
    const delay = priorityTakeoverDelay(c, s, pm, this.#s, primary);
    if (delay === undefined) return;
    this.#takeoverTimer = this.#tasks.after('priority takeover', delay, () => {
      const pid = this.#s.primaryId;
      const pr = pid !== undefined ? this.#s.peers.get(pid) : undefined;
      if (!takeoverStillWanted(s, pr ? this.memberConfig(pr.id) : undefined, this.#s, pr) || !this.#canStand()) return;
      this.#startElectionTask('priority takeover');
    });
  }

  /** Starts an election as a tracked task (timers, single-node initiate). */
  #startElectionTask(reason: string, skipDryRun = false): void {
    void this.#tasks.run('election', async () => {
      await this.startElection(reason, skipDryRun);
    });
  }

  /** Runs a dry run then a real election (pv1). */
  async startElection(reason: string, skipDryRun = false, ignoreFreeze = false): Promise<boolean> {
    if (this.#electionInProgress || !this.#canStand(ignoreFreeze)) return false;
    this.#electionInProgress = true;
    try {
      const c = this.#config!;
      const self = this.#self!;
      const origTerm = this.#s.term;
      this.#log(21438, 'Starting an election', { reason, term: origTerm + 1, dryRun: !skipDryRun });
      if (!skipDryRun) {
        const ok = await this.#requestVotes(c, self, true, origTerm + 1);
        if (!ok || this.#s.term !== origTerm || !this.#canStand(ignoreFreeze)) {
          this.#log(21439, 'Not running for primary, the dry run failed', { term: origTerm });
          return false;
        }
      }
      this.#commit(startCandidacy(this.#s, self._id));
      this.#persistVote();
      const newTerm = this.#s.term;
      const won = await this.#requestVotes(c, self, false, newTerm);
      if (!won || this.#s.term !== newTerm || this.#s.memberState !== 'SECONDARY' || this.#config !== c) {
        this.#log(21440, 'Lost election', { term: newTerm });
        return false;
      }
      this.#becomePrimary(self);
      return true;
    } finally {
      this.#electionInProgress = false;
      this.#scheduleElectionTimer();
    }
  }

  /** Asks every voter; resolves true at a majority of votes, false when all answered (or the election timeout passed) without one. */
  async #requestVotes(c: ReplSetConfig, self: MemberConfig, dryRun: boolean, term: number): Promise<boolean> {
    const needed = votesNeeded(c);
    let votes = self.votes > 0 ? 1 : 0;
    if (votes >= needed) return true;
    const voters = c.members.filter((m) => m.votes > 0 && m._id !== self._id);
    if (voters.length === 0) return false;
    let pending = voters.length;
    const decided = new AbortController();
    const tally = (timedOut: boolean): 'won' | 'lost' | 'pending' => electionOutcome({ votes, needed, pending, timedOut });
    const body = voteRequestDoc(c, self, dryRun, term, this.#s.lastApplied);
    for (const m of voters) {
      if (!this.#s.peers.has(m._id)) {
        pending--;
        continue;
      }
      void this.#request('vote request', m.host, body, c.settings.electionTimeoutMillis, (res) => {
        if (res.ok !== 1) return;
        this.updateTerm(asNumber(res.term, 0), `vote response from ${m.host}`);
        if (res.voteGranted === true) votes++;
        else this.#log(51799, 'VoteRequester: Got no vote', { from: m.host, reason: res.reason });
      }).then(() => {
        pending--;
        if (tally(false) !== 'pending') decided.abort();
      });
    }
    if (tally(false) === 'pending') await this.#tasks.sleep(c.settings.electionTimeoutMillis + 50, decided.signal);
    return tally(true) === 'won';
  }

  /** Handles replSetRequestVotes. */
  handleRequestVotes(body: Doc): Doc {
    const d = decideVote(this.#s, this.#config, parseVoteRequest(body), Date.now());
    this.#commitTerm(d, 'vote request');
    if (d.voted) {
      this.#persistVote();
      this.#scheduleElectionTimer();
    }
    return { term: Long.fromNumber(this.#s.term), voteGranted: d.granted, reason: d.reason, ok: 1 };
  }

  #becomePrimary(self: MemberConfig): void {
    this.#log(21450, 'Election succeeded, assuming primary role', { term: this.#s.term });
    this.#stepDownCtl = new AbortController();
    const entry = stampEntry(noopEntry({ msg: 'new primary' }), this.clock.reserve(), this.#s.term, new Date());
    this.#commit(becomePrimary(this.#s, self._id, entry.ts as Timestamp, new Date()));
    this.#appendEntry(entry);
    this.#lastWriteAt = Date.now();
    this.#updateCommitPoint();
    // As mongod on winning ("notify all secondaries of the election win"): a heartbeat to every
    // member now, so they see our new optime (and pick us as sync source) without waiting for
    // their next heartbeat. PeerClient runs one command at a time, so this queues beside the loop's.
    const c = this.#config;
    if (c) {
      for (const [id, link] of this.#links) void this.#tasks.run(`heartbeat to ${link.host} after election`, () => this.#sendHeartbeat(id, link, c));
    }
  }

  stepDown(reason: string, freezeMs = 0): void {
    if (!this.isPrimary()) return;
    this.#steppingDown(reason);
    this.#commit(stepDown(this.#s, Date.now(), freezeMs).state);
  }

  /** replSetStepDown. */
  async stepDownCommand(stepDownSecs: number, catchUpSecs: number, force: boolean): Promise<void> {
    if (!this.isPrimary()) throw new CommandError(ErrorCode.NotWritablePrimary, "not primary so can't step down");
    if (catchUpSecs > stepDownSecs) throw new CommandError(ErrorCode.BadValue, 'stepdown period must be longer than secondaryCatchUpPeriodSecs');
    const target = this.#s.lastApplied;
    const c = this.#config!;
    const caughtUp = (): PeerView | undefined => caughtUpSecondary(this.#s, c, target);
    const ok = await this.waitUntil(() => caughtUp() !== undefined || !this.isPrimary(), catchUpSecs * 1000);
    if (!this.isPrimary()) return;
    const who = caughtUp();
    if ((!ok || !who) && !force) {
      throw new CommandError(
        ErrorCode.ExceededTimeLimit,
        `No electable secondaries caught up as of ${new Date().toISOString()}. Please use the replSetStepDown command with the argument {force: true} to force node to step down.`,
      );
    }
    this.stepDown('replSetStepDown command', stepDownSecs * 1000);
    // Election handoff: ask the caught-up secondary to run now.
    if (who) void this.#request('election handoff', who.host, { replSetStepUp: 1, skipDryRun: true }, this.#electionTimeoutMs(), () => undefined);
  }

  async stepUpCommand(skipDryRun: boolean): Promise<void> {
    if (this.isPrimary()) return;
    if (!this.#canStand(true)) throw new CommandError(ErrorCode.CommandNotSupported, `This node is not electable (state ${this.#s.memberState})`);
    const won = await this.startElection('step up request', skipDryRun, true);
    if (!won) throw new CommandError(ErrorCode.CommandNotSupported, 'Election failed.');
  }

  freeze(secs: number): Doc {
    if (this.isPrimary()) throw new CommandError(ErrorCode.NotSecondary, 'cannot freeze node when primary or running for election. state: Primary');
    this.#commit(freezeUntil(this.#s, secs === 0 ? 0 : Date.now() + secs * 1000));
    this.#scheduleElectionTimer();
    if (secs === 0) return { info: 'unfreezing' };
    return secs === 1 ? { warning: 'you really want to freeze for only 1 second?' } : {};
  }

  /** For shutdown on a primary: wait for an electable caught-up secondary. */
  async prepareShutdown(force: boolean, timeoutSecs: number): Promise<void> {
    if (!this.isPrimary()) return;
    if (this.#config!.members.length === 1) return;
    try {
      await this.stepDownCommand(Math.max(timeoutSecs, 1) + 60, timeoutSecs, force);
    } catch (e) {
      if (!force) throw e;
    }
  }

  // ---- replication: serving ----------------------------------------------------------

  /** Handles _simPullOplog: entries after `after`, long-polling up to maxWaitMS. */
  async handlePull(body: Doc, signal: AbortSignal): Promise<Doc> {
    if (!this.#config || this.#oplog.isEmpty) throw new CommandError(ErrorCode.NotYetInitialized, 'no oplog yet');
    this.updateTerm(asNumber(body.term, 0), 'oplog fetch');
    const after = fromWire(body.after);
    const memberId = asNumber(body.memberId, -1);
    const maxWait = Math.min(asNumber(body.maxWaitMS, 0), 5000);
    const batchSize = Math.max(1, asNumber(body.batchSize, 1000));
    const reply = (extra: Doc): Doc => ({
      ...extra,
      term: Long.fromNumber(this.#s.term),
      isPrimary: this.isPrimary(),
      commitPoint: toWire(this.#s.commitPoint),
      lastApplied: toWire(this.#s.lastApplied),
    });
    const pos = this.#oplog.fetchPosition(after);
    if (pos.kind !== 'found') return reply({ [pos.kind]: true, entries: [] });
    // A fetch is a sign of life as good as a heartbeat reply (mongod counts position
    // updates too): a primary under load keeps its majority while secondaries fetch.
    const o = observePeerOpTime(this.#s, memberId, after, Date.now());
    this.#commit(o.state);
    if (o.changed) this.#updateCommitPoint();
    const i = pos.index;
    if (i === this.#oplog.length - 1 && maxWait > 0) {
      const commitAtStart = this.#s.commitPoint;
      // new entries, a moved commit point (the puller learns it sooner), or a rollback of ours
      await this.waitUntil(() => this.#oplog.length - 1 > i || this.#oplog.findIndex(after.ts) !== i || this.#s.commitPoint !== commitAtStart, maxWait, signal);
    }
    const j = this.#oplog.findIndex(after.ts);
    if (j < 0) return reply({ rollback: true, entries: [] });
    return reply({ entries: this.#oplog.batchAfter(j, batchSize, 8 * 1024 * 1024) });
  }

  /** Handles _simInitialSync: a consistent snapshot of all non-local data, paged. */
  handleInitialSync(body: Doc): Doc {
    if (!this.#config || this.#oplog.isEmpty) throw new CommandError(ErrorCode.NotYetInitialized, 'no oplog yet');
    const page = this.#snapshots.page(this.node.engine, this.#oplog, typeof body.id === 'string' ? body.id : undefined, Date.now());
    return { ...page, commitPoint: toWire(this.#s.commitPoint) };
  }

  // ---- replication: pulling ----------------------------------------------------------

  async #pullLoop(signal: AbortSignal): Promise<void> {
    while (this.#running && !signal.aborted) {
      try {
        await this.#syncOnce(signal);
      } catch (e) {
        this.#log(21799, 'Sync source error', { error: (e as Error).message });
        await sleep(Math.min(200, this.#config?.settings.heartbeatIntervalMillis ?? 200), signal);
      }
    }
  }

  #setSyncSource(host: string | undefined): void {
    const r = setSyncSource(this.#s, host);
    this.#commit(r.state);
    if (r.changed && host) this.#log(21088, 'Changed sync source', { newSyncSource: host });
  }

  #syncing(c: ReplSetConfig): boolean {
    return this.#running && this.#config === c && SYNCING_STATES.has(this.#s.memberState);
  }

  async #syncOnce(signal: AbortSignal): Promise<void> {
    const c = this.#config;
    const self = this.#self;
    if (!c || !self || !SYNCING_STATES.has(this.#s.memberState)) {
      this.#setSyncSource(undefined);
      await sleep(50, signal);
      return;
    }
    const src = chooseSyncSource(this.#s, c, this.#oplog.isEmpty);
    const link = src ? this.#links.get(src.id) : undefined;
    if (!src || !link) {
      this.#setSyncSource(undefined);
      await sleep(Math.min(100, c.settings.heartbeatIntervalMillis), signal);
      return;
    }
    this.#setSyncSource(src.host);
    if (this.#oplog.isEmpty) {
      await this.#initialSync(src.host);
      return;
    }
    if (this.#producerStopped()) {
      await sleep(50, signal);
      return;
    }
    const maxWait = Math.min(1000, c.settings.heartbeatIntervalMillis * 2);
    const res = await link.pull.command(
      { _simPullOplog: c._id, after: toWire(this.#s.lastApplied), memberId: self._id, term: Long.fromNumber(this.#s.term), maxWaitMS: maxWait, batchSize: 5000 },
      maxWait + Math.max(2000, c.settings.electionTimeoutMillis),
    );
    if (res.ok !== 1) {
      await sleep(100, signal);
      return;
    }
    const resTerm = asNumber(res.term, 0);
    this.updateTerm(resTerm, 'sync source');
    if (!this.#syncing(c)) return;
    if (res.isPrimary === true && resTerm >= this.#s.term) this.#commit(observePrimary(this.#s, src.id, Date.now()).state);
    if (res.rollback === true) {
      if (res.isPrimary !== true && this.#s.primaryId !== src.id) {
        // diverged from a non-primary source: only roll back against the primary
        await sleep(100, signal);
        return;
      }
      this.#log(21606, 'Starting rollback due to OplogStartMissing', { syncSource: src.host, lastApplied: formatOpTime(this.#s.lastApplied) });
      this.#setMemberState('ROLLBACK');
      await this.#initialSync(src.host);
      return;
    }
    if (res.tooStale === true) {
      this.#log(21799, 'We are too stale to use sync source; running initial sync', { syncSource: src.host });
      await this.#initialSync(src.host);
      return;
    }
    // a batch fetched while the fail point was set is dropped, as mongod's oplog fetcher drops it
    if (this.#producerStopped()) return;
    const entries = Array.isArray(res.entries) ? (res.entries as Doc[]) : [];
    const delayMs = self.secondaryDelaySecs * 1000;
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
          if (due <= 0 || !this.#running || this.#config !== c || this.#s.memberState !== 'SECONDARY') break;
          await sleep(Math.min(due, 200), signal);
        }
      }
      if (!this.#syncing(c)) break;
      this.#applyEntry(e);
    }
    this.#records.flush();
    if (!this.isPrimary()) this.#advanceCommitPoint(fromWire(res.commitPoint));
    if (this.#s.memberState === 'STARTUP2' || this.#s.memberState === 'RECOVERING') this.#setMemberState('SECONDARY');
  }

  /**
   * mongod's `stopReplProducer` fail point: this member fetches no oplog entries while it
   * is on (heartbeats go on, so the primary keeps its majority for liveness but not for
   * commits: writes are acknowledged w:1 and not majority committed).
   */
  #producerStopped(): boolean {
    return this.node.failPoints.shouldFail('stopReplProducer') !== undefined;
  }

  #applyEntry(entry: Doc): void {
    this.node.engine.group(() => {
      this.#applying = true;
      try {
        applyOplogEntry(this.node.engine, entry, (id, msg, attr) => this.#log(id, msg, attr));
      } finally {
        this.#applying = false;
      }
      this.#appendEntry(entry);
    });
  }

  /** Copies the sync source's data (also the rollback path: wipe and resync). */
  async #initialSync(host: string): Promise<void> {
    if (this.#s.memberState !== 'ROLLBACK') this.#setMemberState('STARTUP2');
    this.#log(21173, 'Initial sync starting', { syncSource: host });
    const client = this.peerClient(host);
    const stopped = (): void => client.close();
    this.#tasks.signal.addEventListener('abort', stopped, { once: true });
    const entries: WriteEntry[] = [];
    let last: Doc | undefined;
    let commitPoint = NULL_OPTIME;
    try {
      let id: string | undefined;
      for (;;) {
        const res = await client.command(id ? { _simInitialSync: 1, id } : { _simInitialSync: 1 }, 60000);
        if (res.ok !== 1) throw new CommandError(INITIAL_SYNC_FAILURE, `initial sync failed: ${String(res.errmsg)}`);
        id = res.id as string;
        for (const e of res.entries as WriteEntry[]) entries.push(e);
        last = res.lastEntry as Doc;
        commitPoint = fromWire(res.commitPoint);
        if (res.done === true) break;
      }
    } finally {
      this.#tasks.signal.removeEventListener('abort', stopped);
      client.close();
    }
    if (!this.#running) return;
    const e = this.node.engine;
    this.#applying = true;
    try {
      installSnapshot(e, this.#oplog, entries, (lid, msg, attr) => this.#log(lid, msg, attr));
    } finally {
      this.#applying = false;
    }
    this.#records.reload();
    this.#commit(resetOpTimes(this.#s));
    this.#appendEntry(last!);
    this.#advanceCommitPoint(commitPoint);
    e.flush();
    this.#log(21192, 'Initial sync done', { lastApplied: formatOpTime(this.#s.lastApplied), documents: entries.length });
    this.#setMemberState('SECONDARY');
  }

  // ---- status ------------------------------------------------------------------------

  status(): Doc {
    return replSetGetStatus({ state: this.#s, config: this.#config, self: this.#self }, this.startedAt, new Date());
  }
}

