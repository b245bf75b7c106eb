/**
 * Multi-document transactions on one replica set member: the one owner of the open
 * transactions and the per-session transaction records. The rules come from
 * participant.ts (pure); this file applies them. A statement runs against the open
 * transaction's SnapshotEngine (through a node whose `engine` is that view); commit
 * hands the ordered writes to the host, which applies them to the live engine and logs
 * one `applyOps` oplog entry (the replica set coordinator).
 *
 * Aborted here, as mongod aborts them: a transaction older than
 * transactionLifetimeLimitSeconds, one begun before a step-down (the role's epoch
 * moved), the older one when a newer txnNumber starts, one whose statement failed.
 * The sweep runs at every transaction command on the member (lazily: nothing runs on a
 * timer), so a stale transaction never holds a document another one wants.
 */
import { Long } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import type { SimNode } from '../node.js';
import { sessionsOf } from '../sessions.js';
import type { StorageEngine, WriteEntry } from '../storage/engine.js';
import { isPlainObject, keyOf, type Doc } from '../storage/values.js';
import { decide, nextRecord, refuseInTransaction, TxnErrorCode, TxnRecordState, type SessionTxnRecord, type TxnCommand, type TxnFailure } from './participant.js';
import { SnapshotEngine, writeConflict, type ConflictOracle } from './snapshot-engine.js';
import { TransactionConflict } from './write-blocking.js';

export const TRANSIENT = 'TransientTransactionError';

/** The commands that end a transaction (coordinateCommitTransaction: a router recovering a commit decision). */
export const ENDS_TRANSACTION: ReadonlySet<string> = new Set(['commitTransaction', 'abortTransaction', 'coordinateCommitTransaction']);

/** What the transactions need of the member (ReplicaSetRole implements it). */
export interface TransactionHost {
  /** Bumped on every step-down: a transaction begun in an older epoch is aborted. */
  readonly epoch: number;
  /** The session's highest txnNumber in the retryable-writes table (-1: none). */
  sessionTxnNumber(lsid: Doc): number;
  /** True when `txnNumber` of the session committed (config.transactions, replicated). */
  committedTransaction(lsid: Doc, txnNumber: number): boolean;
  /** Records the start of a newer txnNumber on the session (older retryable writes become too old). */
  beginTxnNumber(lsid: Doc, txnNumber: number): void;
  /**
   * Runs `apply` (the commit's writes to the live engine) so that none of its writes is
   * logged on its own, then logs `ops` as one applyOps oplog entry with lsid/txnNumber.
   */
  logTransaction(lsid: Doc, txnNumber: number, apply: () => WriteEntry[]): void;
}

export function isTransactionHost(v: unknown): v is TransactionHost {
  return typeof (v as TransactionHost | undefined)?.logTransaction === 'function';
}

export class OpenTransaction {
  readonly startedAt = Date.now();
  /** Resolves when the transaction commits or aborts (writes waiting on its documents go on). */
  readonly ended: Promise<void>;
  #end!: () => void;
  constructor(
    readonly lsid: Doc,
    readonly txnNumber: number,
    readonly view: SnapshotEngine,
    /** The node the transaction's statements run on (its `engine` is the view). */
    readonly node: SimNode,
    readonly epoch: number,
  ) {
    this.ended = new Promise<void>((resolve) => (this.#end = resolve));
  }

  /** Called once when the transaction leaves the open set. */
  markEnded(): void {
    this.#end();
  }
}

interface SessionEntry {
  record: SessionTxnRecord | undefined;
  open: OpenTransaction | undefined;
}

/** A statement of an open transaction, between the dispatcher's enter and finish. */
export interface TxnStatement {
  readonly txn: OpenTransaction;
}

/** Codes mongod labels TransientTransactionError on a transaction's statement. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  ErrorCode.WriteConflict,
  239, // SnapshotTooOld
  246, // SnapshotUnavailable
  267, // PreparedTransactionInProgress
  ErrorCode.NoSuchTransaction,
  24, // LockTimeout
  ErrorCode.NotWritablePrimary,
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  189, // PrimarySteppedDown
  91, // ShutdownInProgress
  ErrorCode.InterruptedAtShutdown,
  ErrorCode.InterruptedDueToReplStateChange,
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  9001, // SocketException
]);

export function isTransientTransactionCode(code: number): boolean {
  return TRANSIENT_CODES.has(code);
}

function failure(f: TxnFailure): CommandError {
  // codeName in `extra`: errors.ts does not name every transaction code
  return new CommandError(f.code, f.errmsg, { codeName: f.codeName }, f.transient ? [TRANSIENT] : undefined);
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Long) return v.toNumber();
  return Number.NaN;
}

export class Transactions implements ConflictOracle {
  readonly #sessions = new Map<string, SessionEntry>();
  readonly #open = new Set<OpenTransaction>();

  constructor(readonly node: SimNode) {
    // a write outside any transaction to a document an open one wrote waits for it (txn/write-blocking.ts)
    node.engine.setWriteGuard((ns, id) => this.#guard(ns, id));
    // killSessions / killAllSessions / endSessions abort the sessions' open transactions
    // (and forget the sessions' records: a committed transaction's is in config.transactions)
    sessionsOf(node).onEnd((ids) => {
      if (ids === undefined) {
        this.abortAll();
        this.#sessions.clear();
        return;
      }
      for (const id of ids) {
        const key = keyOf(id);
        const open = this.#sessions.get(key)?.open;
        if (open) this.#abort(open);
        this.#sessions.delete(key);
      }
    });
  }

  get openCount(): number {
    return this.#open.size;
  }

  #host(): TransactionHost | undefined {
    const role = this.node.role;
    return isTransactionHost(role) ? role : undefined;
  }

  #limitMs(): number {
    const v = Number(this.node.parameters.get('transactionLifetimeLimitSeconds') ?? 60);
    return (Number.isFinite(v) && v > 0 ? v : 60) * 1000;
  }

  /** Aborts expired transactions and those begun before a step-down. */
  sweep(now = Date.now()): void {
    const host = this.#host();
    const limit = this.#limitMs();
    for (const t of [...this.#open]) {
      if (now - t.startedAt > limit || (host && host.epoch !== t.epoch)) this.#abort(t);
    }
  }

  /** Aborts every open transaction (step-down, shutdown). */
  abortAll(): void {
    for (const t of [...this.#open]) this.#abort(t);
  }

  #guard(ns: string, id: unknown): void {
    if (this.#open.size === 0) return;
    this.sweep();
    const key = `${ns}\0${keyOf(id)}`;
    for (const t of this.#open) {
      if (t.view.hasWritten(key)) throw new TransactionConflict(t.ended, t.startedAt + this.#limitMs());
    }
  }

  writtenByOther(view: SnapshotEngine, docKey: string): boolean {
    for (const t of this.#open) if (t.view !== view && t.view.hasWritten(docKey)) return true;
    return false;
  }

  #entry(lsid: Doc): SessionEntry {
    const key = keyOf(lsid.id);
    let e = this.#sessions.get(key);
    if (!e) this.#sessions.set(key, (e = { record: undefined, open: undefined }));
    return e;
  }

  /** The session's record: ours, or what the replicated table knows of a newer txnNumber. */
  #record(lsid: Doc, e: SessionEntry, host: TransactionHost): SessionTxnRecord | undefined {
    const tableN = host.sessionTxnNumber(lsid);
    if (tableN > (e.record?.txnNumber ?? -1)) {
      return host.committedTransaction(lsid, tableN)
        ? { txnNumber: tableN, kind: 'transaction', state: TxnRecordState.committed }
        : { txnNumber: tableN, kind: 'retryableWrite' };
    }
    return e.record;
  }

  #decide(name: string, args: Doc): { lsid: Doc; cmd: TxnCommand; e: SessionEntry; host: TransactionHost; record: SessionTxnRecord | undefined } {
    const host = this.#host();
    if (!host) throw new CommandError(ErrorCode.IllegalOperation, 'Transaction numbers are only allowed on a replica set member or mongos');
    const lsid = args.lsid;
    if (!isPlainObject(lsid)) throw new CommandError(ErrorCode.InvalidOptions, 'Transaction numbers are only allowed on a replica set member or mongos');
    const txnNumber = num(args.txnNumber);
    if (!Number.isFinite(txnNumber)) throw new CommandError(ErrorCode.InvalidOptions, `${name} must be run within a transaction`);
    const cmd: TxnCommand = {
      name,
      txnNumber,
      autocommit: args.autocommit,
      startTransaction: args.startTransaction,
      hasReadConcern: args.readConcern !== undefined,
      hasWriteConcern: args.writeConcern !== undefined,
    };
    this.sweep();
    const e = this.#entry(lsid);
    return { lsid, cmd, e, host, record: this.#record(lsid, e, host) };
  }

  /**
   * A command other than commit/abort: undefined when it is not part of a transaction,
   * else the open transaction it runs in (begun now for `startTransaction`). Throws
   * CommandError with mongod's code, message and labels.
   */
  enter(name: string, db: string, args: Doc): TxnStatement | undefined {
    if (args.autocommit === undefined && args.startTransaction === undefined) return undefined;
    if (ENDS_TRANSACTION.has(name)) return undefined;
    const { lsid, cmd, e, host, record } = this.#decide(name, args);
    const d = decide(record, cmd);
    switch (d.kind) {
      case 'error':
        throw failure(d);
      case 'notTransaction':
        return undefined;
      case 'commit':
      case 'abort':
        throw new CommandError(ErrorCode.InvalidOptions, `${name} is not a statement of a transaction`);
      case 'begin': {
        if (e.open) this.#abort(e.open);
        const level = isPlainObject(args.readConcern) ? args.readConcern.level : undefined;
        if (level !== undefined && level !== 'local' && level !== 'majority' && level !== 'snapshot') {
          throw new CommandError(ErrorCode.InvalidOptions, `The readConcern level must be either 'local' (default), 'majority' or 'snapshot' in order to run in a transaction`);
        }
        this.#refuse(name, db, args);
        const view = new SnapshotEngine(this.node.engine, this);
        const node = Object.create(this.node, { engine: { value: view, enumerable: true } }) as SimNode;
        const txn = new OpenTransaction(lsid, cmd.txnNumber, view, node, host.epoch);
        e.open = txn;
        e.record = nextRecord(record, cmd, d);
        this.#open.add(txn);
        host.beginTxnNumber(lsid, cmd.txnNumber);
        if (name === 'createIndexes') {
          try {
            refuseIndexOnExisting(view, db, args);
          } catch (err) {
            this.#abort(txn);
            throw err;
          }
        }
        return { txn };
      }
      case 'continue': {
        const txn = e.open;
        if (!txn) throw failure({ kind: 'error', code: ErrorCode.NoSuchTransaction, codeName: 'NoSuchTransaction', errmsg: `Transaction with { txnNumber: ${cmd.txnNumber} } has been aborted.`, transient: true });
        try {
          this.#refuse(name, db, args);
          if (name === 'createIndexes') refuseIndexOnExisting(txn.view, db, args);
        } catch (err) {
          this.#abort(txn);
          throw err;
        }
        return { txn };
      }
    }
  }

  #refuse(name: string, db: string, args: Doc): void {
    const r = refuseInTransaction(name);
    if (r) throw failure(r);
    if (name === 'aggregate' && Array.isArray(args.pipeline)) {
      for (const stage of ['$out', '$merge']) {
        if (args.pipeline.some((st) => isPlainObject(st) && stage in st)) {
          throw new CommandError(TxnErrorCode.OperationNotSupportedInTransaction, `${stage} cannot be used in a transaction`, { codeName: 'OperationNotSupportedInTransaction' });
        }
      }
    }
    if ((db === 'config' || db === 'admin' || db === 'local') && name !== 'commitTransaction' && name !== 'abortTransaction') {
      throw new CommandError(TxnErrorCode.OperationNotSupportedInTransaction, `Cannot run command against the '${db}' database in a transaction.`, {
        codeName: 'OperationNotSupportedInTransaction',
      });
    }
  }

  /**
   * After a statement: mongod returns a write conflict as the command's error (not a
   * write error), labels transient errors, and aborts the transaction when the
   * statement failed.
   */
  finish(stmt: TxnStatement, reply: Doc): Doc {
    let out = reply;
    const writeErrors = Array.isArray(reply.writeErrors) ? (reply.writeErrors as Doc[]) : [];
    const wc = writeErrors.find((w) => w.code === ErrorCode.WriteConflict);
    if (wc) out = writeConflict().toReply();
    if (out.ok !== 1 && typeof out.code === 'number' && isTransientTransactionCode(out.code)) {
      const labels = Array.isArray(out.errorLabels) ? (out.errorLabels as string[]) : [];
      if (!labels.includes(TRANSIENT)) out.errorLabels = [...labels, TRANSIENT];
    }
    if (out.ok !== 1 || writeErrors.length > 0) this.#abort(stmt.txn);
    return out;
  }

  /** commitTransaction. */
  commit(args: Doc): Doc {
    const { lsid, cmd, e, host, record } = this.#decide('commitTransaction', args);
    const d = decide(record, cmd);
    if (d.kind === 'error') throw failure(d);
    if (d.kind !== 'commit') throw new CommandError(ErrorCode.InvalidOptions, 'commitTransaction must be run within a transaction');
    if (d.again) return {};
    const txn = e.open;
    if (!txn) throw failure({ kind: 'error', code: ErrorCode.NoSuchTransaction, codeName: 'NoSuchTransaction', errmsg: `Transaction with { txnNumber: ${cmd.txnNumber} } has been aborted.`, transient: true });
    this.#close(txn);
    const view = txn.view;
    if (!view.unchangedSinceSnapshot()) {
      e.record = { txnNumber: cmd.txnNumber, kind: 'transaction', state: TxnRecordState.aborted };
      throw writeConflict();
    }
    try {
      if (view.ops.length > 0) host.logTransaction(lsid, cmd.txnNumber, () => applyAtomically(this.node.engine, view));
    } catch (err) {
      e.record = { txnNumber: cmd.txnNumber, kind: 'transaction', state: TxnRecordState.aborted };
      throw err;
    }
    e.record = nextRecord(record, cmd, d);
    return {};
  }

  /**
   * coordinateCommitTransaction from a router that did not run the transaction (its
   * client retried the commit on another mongos with the recoveryToken): reports the
   * decision, never commits. Committed: ok; anything else: NoSuchTransaction.
   */
  recoverDecision(args: Doc): Doc {
    const { cmd, record } = this.#decide('commitTransaction', args);
    const d = decide(record, { ...cmd, name: 'commitTransaction' });
    if (d.kind === 'commit' && d.again) return {};
    throw failure({ kind: 'error', code: ErrorCode.NoSuchTransaction, codeName: 'NoSuchTransaction', errmsg: `Transaction with { txnNumber: ${cmd.txnNumber} } has not been committed.`, transient: true });
  }

  /** abortTransaction. */
  abort(args: Doc): Doc {
    const { cmd, e, record } = this.#decide('abortTransaction', args);
    const d = decide(record, cmd);
    if (d.kind === 'error') throw failure(d);
    if (d.kind !== 'abort') throw new CommandError(ErrorCode.InvalidOptions, 'abortTransaction must be run within a transaction');
    if (e.open) this.#abort(e.open);
    e.record = nextRecord(record, cmd, d);
    return {};
  }

  #close(txn: OpenTransaction): void {
    txn.view.release();
    this.#open.delete(txn);
    txn.markEnded();
    const e = this.#entry(txn.lsid);
    if (e.open === txn) e.open = undefined;
  }

  #abort(txn: OpenTransaction): void {
    this.#close(txn);
    const e = this.#entry(txn.lsid);
    if (e.record?.txnNumber === txn.txnNumber && e.record.kind === 'transaction' && e.record.state === TxnRecordState.inProgress) {
      e.record = { txnNumber: txn.txnNumber, kind: 'transaction', state: TxnRecordState.aborted };
    }
  }
}

/**
 * Applies a transaction's writes to the live engine, all or none: when one fails (a
 * unique index another writer filled meanwhile), the documents written so far go back
 * to their snapshot versions and the error is WriteConflict.
 */
function applyAtomically(live: StorageEngine, view: SnapshotEngine): WriteEntry[] {
  const done: WriteEntry[] = [];
  try {
    for (const op of view.ops) {
      live.write(op);
      done.push(op);
    }
  } catch (err) {
    undo(live, view, done);
    if (err instanceof CommandError && err.code === ErrorCode.DuplicateKey) throw new CommandError(err.code, err.message, err.extra, [TRANSIENT]);
    throw writeConflict();
  }
  return view.ops;
}

function undo(live: StorageEngine, view: SnapshotEngine, done: WriteEntry[]): void {
  for (const [key, base] of view.baseVersions()) {
    const sep = key.indexOf('\0');
    const ns = key.slice(0, sep);
    const dot = ns.indexOf('.');
    const current = live.getCollection(ns.slice(0, dot), ns.slice(dot + 1))?.docs.get(key.slice(sep + 1));
    try {
      if (base === undefined && current) live.write({ op: 'd', ns, o: { _id: current.doc._id } });
      else if (base && current) live.write({ op: 'u', ns, o2: { _id: base.doc._id }, o: base.doc });
      else if (base && !current) live.write({ op: 'i', ns, o: base.doc });
    } catch {
      /* best effort: the same versions were there a moment ago */
    }
  }
  for (const op of [...done].reverse()) {
    if (op.op === 'c' && typeof op.o.create === 'string') {
      try {
        live.write({ op: 'c', ns: op.ns, o: { drop: op.o.create } });
      } catch {
        /* already gone */
      }
    }
  }
}

/** Errors of commit/abort mongod labels TransientTransactionError: LockTimeout, WriteConflict, SnapshotTooOld, SnapshotUnavailable, NoSuchTransaction, PreparedTransactionInProgress. */
const COMMIT_TRANSIENT_CODES: ReadonlySet<number> = new Set([24, 112, 239, 246, 251, 267]);

/** mongod builds indexes in a transaction only on a collection the transaction created (or creates now). */
function refuseIndexOnExisting(view: SnapshotEngine, db: string, args: Doc): void {
  const coll = args.createIndexes;
  if (typeof coll !== 'string' || !view.getCollection(db, coll)) return;
  const createdHere = view.ops.some((op) => op.op === 'c' && op.ns === `${db}.$cmd` && op.o.create === coll);
  if (createdHere) return;
  throw new CommandError(TxnErrorCode.OperationNotSupportedInTransaction, `Cannot create new indexes on existing collection ${db}.${coll} in a multi-document transaction.`, {
    codeName: 'OperationNotSupportedInTransaction',
  });
}

const RETRYABLE_WRITE_CODES: ReadonlySet<number> = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 63, 150, 134]);

/**
 * The labels mongod puts on an error reply of a transaction command (a failCommand
 * error without its own `errorLabels` too): TransientTransactionError on a statement's
 * transient error, RetryableWriteError on commit/abort's retryable one.
 */
export function labelTransactionError(name: string, args: Doc, reply: Doc): void {
  if (reply.ok === 1 || typeof reply.code !== 'number') return;
  const endsTxn = ENDS_TRANSACTION.has(name);
  let label: string | undefined;
  if (endsTxn) label = RETRYABLE_WRITE_CODES.has(reply.code) ? 'RetryableWriteError' : COMMIT_TRANSIENT_CODES.has(reply.code) ? TRANSIENT : undefined;
  else if (args.autocommit !== undefined && isTransientTransactionCode(reply.code)) label = TRANSIENT;
  if (!label) return;
  const labels = Array.isArray(reply.errorLabels) ? (reply.errorLabels as string[]) : [];
  if (!labels.includes(label)) reply.errorLabels = [...labels, label];
}

const managers = new WeakMap<SimNode, Transactions>();

export function transactionsOf(node: SimNode): Transactions {
  let m = managers.get(node);
  if (!m) managers.set(node, (m = new Transactions(node)));
  return m;
}
