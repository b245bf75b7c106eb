/**
 * One simulated mongod: storage engine + node role + fail points + cursors + counters.
 * The network layer (server.ts) feeds it decoded requests through `dispatch`.
 */
import os from 'node:os';
import { ObjectId } from 'bson';
import { CursorManager } from './cursors.js';
import { FailPoints } from './failpoints.js';
import { Logger } from './log.js';
import { StandaloneRole, type NodeRole } from './role.js';
import { StorageEngine } from './storage/engine.js';
import type { Doc } from './storage/values.js';

export const SIM_VERSION = '7.0.14-sim';
export const SIM_VERSION_ARRAY = [7, 0, 14, 0] as const;
export const MAX_WIRE_VERSION = 21;

/** One recorded oplog operation of an already executed retryable-write statement. */
export interface StmtRecord {
  readonly op: string;
  readonly id?: unknown;
  readonly o?: Doc;
}

/**
 * Statement hooks for a retryable write (lsid + txnNumber on a replica set member).
 * crud.ts asks `executed(stmtId)` to skip statements already done (answering from the
 * record), and brackets each statement with begin/end so its oplog entries carry
 * lsid/txnNumber/stmtId; `end(stmtId, noop)` writes a no-op entry when the statement
 * wrote nothing (or always, with `always`), so the outcome is remembered.
 */
export interface RetryHooks {
  executed(stmtId: number): StmtRecord[] | undefined;
  begin(stmtId: number): void;
  end(stmtId: number, noop?: Doc, always?: boolean): void;
  abort(): void;
  /** The onPrimaryTransactionalWrite fail point closed the connection: no reply is sent. */
  readonly closeConnection?: boolean;
}

export interface NodeOptions {
  dbpath?: string;
  replSet?: string;
  /** The host:port this node calls itself (hello.me, serverStatus.host). */
  host?: string;
  logger?: Logger;
  role?: NodeRole;
  /** Builds the role once the node exists (a replica set member needs the engine). */
  makeRole?: (node: SimNode) => NodeRole;
  /** argv/parsed for getCmdLineOpts. */
  cmdLine?: { argv: string[]; parsed: Doc };
  /** Called by the `shutdown` command. */
  onShutdown?: () => void;
  cursorTimeoutMs?: number;
  syncIntervalMs?: number;
  /** The maxWireVersion hello advertises (default MAX_WIRE_VERSION, mongod 7.0's 21; 25 = 8.0, for the `bulkWrite` command). */
  maxWireVersion?: number;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  readonly local: string;
  appName?: string;
  clientMetadata?: Doc;
  /** Aborted when the connection closes. */
  readonly signal: AbortSignal;
}

export class SimNode {
  readonly engine: StorageEngine;
  readonly role: NodeRole;
  /** Set by the dispatcher while a retryable write's handler runs. */
  retry: RetryHooks | undefined;
  readonly failPoints = new FailPoints();
  readonly cursors: CursorManager;
  readonly logger: Logger;
  readonly processId = new ObjectId();
  readonly startedAt = Date.now();
  readonly parameters = new Map<string, unknown>([
    ['featureCompatibilityVersion', { version: '7.0' }],
    ['authenticationMechanisms', ['SCRAM-SHA-1', 'SCRAM-SHA-256']],
    ['logLevel', 0],
    ['cursorTimeoutMillis', 600000],
    ['transactionLifetimeLimitSeconds', 60],
    ['maxTransactionLockRequestTimeoutMillis', 5],
    ['enableTestCommands', true],
    ['quiet', false],
    ['internalQueryExecMaxBlockingSortBytes', 104857600],
  ]);
  readonly opcounters = { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };
  readonly connections = { current: 0, totalCreated: 0 };
  host: string;
  readonly maxWireVersion: number;
  private shutdownHook: (() => void) | undefined;

  constructor(readonly options: NodeOptions = {}) {
    this.engine = new StorageEngine({ dbpath: options.dbpath, syncIntervalMs: options.syncIntervalMs });
    this.role = options.makeRole?.(this) ?? options.role ?? new StandaloneRole(this.processId);
    this.logger = options.logger ?? new Logger();
    this.cursors = new CursorManager(options.cursorTimeoutMs ?? 10 * 60 * 1000);
    // a committed write may be what a waiting awaitData getMore is waiting for
    this.engine.onCommit(() => this.cursors.wake());
    this.host = options.host ?? `${os.hostname()}:27017`;
    this.maxWireVersion = options.maxWireVersion ?? MAX_WIRE_VERSION;
    this.shutdownHook = options.onShutdown;
  }

  open(): void {
    const res = this.engine.open();
    if (this.options.dbpath) {
      this.logger.log('STORAGE', 22430, 'initandlisten', 'Journal replayed', { dbpath: this.options.dbpath, entries: res.replayed, discardedBytes: res.discardedBytes });
    }
  }

  setShutdownHook(fn: () => void): void {
    this.shutdownHook = fn;
  }

  requestShutdown(): void {
    this.shutdownHook?.();
  }

  close(): void {
    this.cursors.close();
    this.engine.close();
  }
}
