/**
 * Retryable writes on a replica set member: the records of executed statements behind a
 * narrow interface (txn-table.ts implements it on config.transactions), the statement
 * hooks of one retryable write command (RetryHooks, used by crud.ts), and the rules for
 * refusing an old txnNumber and labelling a retryable error.
 */
import { Long } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { transactionalWriteEffect, type FailPoints } from '../failpoints.js';
import type { RetryHooks, StmtRecord } from '../node.js';
import { isPlainObject, type Doc } from '../storage/values.js';

/** What the coordinator needs of the retryable-writes table. */
export interface RetryableWriteRecords {
  /** The highest txnNumber seen on the session (-1 if none). */
  txnNumber(lsid: Doc): number;
  /** Starts a newer txnNumber on the session (forgets older statements). */
  begin(lsid: Doc, txnNumber: number): void;
  /** The oplog operations a statement already produced, if it executed. */
  executed(lsid: Doc, txnNumber: number, stmtId: number): StmtRecord[] | undefined;
  /** Records one oplog entry carrying lsid/txnNumber/stmtId (or a transaction's applyOps). */
  record(entry: Doc): void;
  /** True when the session's `txnNumber` is a multi-document transaction that committed. */
  committedTransaction(lsid: Doc, txnNumber: number): boolean;
  /** Persists what changed. */
  flush(): void;
  /** Forgets everything in memory and reads the persisted records again (after initial sync). */
  reload(): void;
}

/** The statement an engine write belongs to, for stamping its oplog entry. */
export interface StatementRef {
  readonly lsid: Doc;
  readonly txnNumber: number;
  readonly stmtId: number;
}

/** What a RetryableWrite needs of its member. */
export interface RetryableWriteHost {
  readonly records: RetryableWriteRecords;
  /** The member's fail points (onPrimaryTransactionalWrite). */
  readonly failPoints: FailPoints;
  /** The retryable write whose statement is being written now (undefined between statements). */
  setCurrentRetry(r: RetryableWrite | undefined): void;
  isPrimary(): boolean;
  /** Writes a no-op oplog entry for the statement (so its outcome is remembered). */
  writeNoop(o: Doc, stmt?: StatementRef): Doc;
}

/** Error codes that make a write's error retryable (errorLabels: RetryableWriteError). */
export const RETRYABLE_CODES: ReadonlySet<number> = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 63, 150, 134]);

/** Refuses a txnNumber older than the session's newest (TransactionTooOld, 225). */
export function checkTxnNumber(records: RetryableWriteRecords, lsid: Doc, txnNumber: number): void {
  const have = records.txnNumber(lsid);
  if (have > txnNumber) {
    throw new CommandError(
      ErrorCode.TransactionTooOld,
      `Retryable write with txnNumber ${txnNumber} is prohibited on session ${formatLsid(lsid)} because a newer retryable write with txnNumber ${have} has already started on this session.`,
    );
  }
}

/** Adds the RetryableWriteError label to a reply whose error (or writeConcernError) is retryable. */
export function labelRetryableError(reply: Doc): void {
  const code = typeof reply.code === 'number' ? reply.code : undefined;
  const wceCode = isPlainObject(reply.writeConcernError) ? (reply.writeConcernError.code as number) : undefined;
  if ((reply.ok !== 1 && code !== undefined && RETRYABLE_CODES.has(code)) || (wceCode !== undefined && RETRYABLE_CODES.has(wceCode))) {
    const labels = Array.isArray(reply.errorLabels) ? (reply.errorLabels as string[]) : [];
    if (!labels.includes('RetryableWriteError')) reply.errorLabels = [...labels, 'RetryableWriteError'];
  }
}

function formatLsid(lsid: Doc): string {
  const id = lsid.id as { toHexString?: () => string } | undefined;
  return id?.toHexString ? id.toHexString() : JSON.stringify(lsid);
}

/** The lsid/txnNumber/stmtId fields of an oplog entry written for `stmt`. */
export function statementFields(stmt: StatementRef): { lsid: Doc; txnNumber: Long; stmtId: number } {
  return { lsid: stmt.lsid, txnNumber: Long.fromNumber(stmt.txnNumber), stmtId: stmt.stmtId };
}

/** The statement hooks of one retryable write command (see RetryHooks in node.ts). */
export class RetryableWrite implements RetryHooks {
  current: number | undefined;
  wrote = false;
  /** Set when onPrimaryTransactionalWrite fired with closeConnection: the reply is not sent. */
  closeConnection = false;

  constructor(
    private readonly host: RetryableWriteHost,
    readonly lsid: Doc,
    readonly txnNumber: number,
  ) {}

  executed(stmtId: number): StmtRecord[] | undefined {
    return this.host.records.executed(this.lsid, this.txnNumber, stmtId);
  }

  begin(stmtId: number): void {
    const fail = this.host.isPrimary() ? transactionalWriteEffect(this.host.failPoints, 'before') : undefined;
    if (fail) {
      if (fail.closeConnection) this.closeConnection = true;
      if (fail.failCode !== undefined) {
        throw new CommandError(fail.failCode, `Failing write for ${formatLsid(this.lsid)}:${this.txnNumber} due to failpoint. The write must not be reflected.`);
      }
    }
    this.current = stmtId;
    this.wrote = false;
    this.host.setCurrentRetry(this);
  }

  end(stmtId: number, noop?: Doc, always = false): void {
    this.host.setCurrentRetry(undefined);
    if ((!this.wrote || always) && noop && this.host.isPrimary()) {
      this.host.writeNoop(noop, { lsid: this.lsid, txnNumber: this.txnNumber, stmtId });
    }
    this.current = undefined;
    this.wrote = false;
    // the statement's write and its retry record are made: mongod's fail point point
    const fired = this.host.isPrimary() ? transactionalWriteEffect(this.host.failPoints, 'after') : undefined;
    if (fired?.closeConnection) this.closeConnection = true;
  }

  abort(): void {
    this.host.setCurrentRetry(undefined);
    this.current = undefined;
    this.wrote = false;
  }
}
