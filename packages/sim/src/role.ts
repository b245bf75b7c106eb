/**
 * The node's role in a deployment. The dispatcher asks the role what `hello` says
 * about topology, whether a command may run here (writes on a secondary, reads
 * without secondaryOk...), and how to validate a write concern. StandaloneRole is the
 * plain mongod; ReplicaSetRole (repl/coordinator.ts) is a `--replSet` member: it also
 * provides `hooks` (before/after each command: read/write checks, retryable writes,
 * read and write concern waits, $clusterTime) and bumps `topologyVersion.counter` on
 * every state change (which wakes awaiting `hello` requests through `onTopologyChange`).
 */
import { Long, ObjectId } from 'bson';
import { CommandError, ErrorCode } from './errors.js';
import type { ConnectionInfo } from './node.js';
import type { Doc } from './storage/values.js';

export const NodeRoleKind = Object.freeze({
  Standalone: 'standalone',
  /** A --replSet member (its member state says primary, secondary...: repl/member-state.ts). */
  ReplicaSet: 'replicaSet',
} as const);
export type NodeRoleKind = (typeof NodeRoleKind)[keyof typeof NodeRoleKind];

export interface TopologyVersion {
  readonly processId: ObjectId;
  readonly counter: Long;
}

/** Whether a command may run on a secondary (mongod's AllowedOnSecondary). */
export type SecondaryAllowed = 'always' | 'optIn' | 'never';

/** What the dispatcher tells a role's hooks about one command. */
export interface OpInfo {
  readonly name: string;
  readonly db: string;
  readonly body: Doc;
  readonly args: Doc;
  readonly write: boolean;
  readonly secondary: SecondaryAllowed;
  /** OP_MSG $readPreference other than primary, or OP_QUERY's secondaryOk bit. */
  readonly secondaryOk: boolean;
  readonly conn: ConnectionInfo;
  /** Scratch space for the role between before() and after(). */
  state?: unknown;
}

/** Optional per-command hooks (a replica set member: read/write checks, write concern, $clusterTime). */
export interface CommandHooks {
  /** Runs before the handler; throws a CommandError to refuse the command. */
  before(op: OpInfo): Promise<void> | void;
  /** Runs after the handler (also for error replies); returns the reply to send. */
  after(op: OpInfo, reply: Doc): Promise<Doc> | Doc;
}

export interface NodeRole {
  readonly kind: NodeRoleKind;
  readonly hooks?: CommandHooks;
  /**
   * Bumped on every step-down: an operation that yields (a big write batch) compares it
   * before going on and fails with 11602 InterruptedDueToReplStateChange when it moved.
   */
  readonly epoch?: number;
  topologyVersion(): TopologyVersion;
  /** Topology fields of a hello / isMaster reply (isWritablePrimary, setName, hosts...). */
  helloFields(legacy: boolean): Doc;
  /** Throws NotWritablePrimary & co when this node cannot take writes. */
  checkWritable(db: string): void;
  /** Throws when this node cannot serve reads with the given $readPreference / secondaryOk. */
  checkReadable(db: string, secondaryOk: boolean): void;
  /** Throws code 2 for a write concern this node cannot satisfy. */
  validateWriteConcern(wc: Doc | undefined): void;
  /** Throws when a command carries txnNumber/autocommit this node cannot accept. */
  checkTransactionFields(body: Doc): void;
  /** Subscribe to topology changes (returns an unsubscribe function). */
  onTopologyChange(listener: () => void): () => void;
}

export class StandaloneRole implements NodeRole {
  readonly kind = NodeRoleKind.Standalone;
  private readonly tv: TopologyVersion;
  private listeners = new Set<() => void>();

  constructor(processId: ObjectId = new ObjectId()) {
    this.tv = { processId, counter: Long.fromNumber(0) };
  }

  topologyVersion(): TopologyVersion {
    return this.tv;
  }

  helloFields(legacy: boolean): Doc {
    return legacy ? { ismaster: true } : { isWritablePrimary: true };
  }

  checkWritable(): void {}

  checkReadable(): void {}

  validateWriteConcern(wc: Doc | undefined): void {
    if (!wc || typeof wc !== 'object') return;
    const w = wc.w;
    if (typeof w === 'number' && w > 1) throw new CommandError(ErrorCode.BadValue, "cannot use 'w' > 1 when a host is not replicated");
    if (typeof w === 'string' && w !== 'majority') {
      throw new CommandError(ErrorCode.BadValue, `cannot use non-majority 'w' mode "${w}" when a host is not a member of a replica set`);
    }
  }

  checkTransactionFields(body: Doc): void {
    if (body.txnNumber !== undefined) {
      throw new CommandError(ErrorCode.IllegalOperation, 'Transaction numbers are only allowed on a replica set member or mongos');
    }
  }

  onTopologyChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
