/**
 * Operations in progress on one node, for `currentOp` / `$currentOp` and `killOp`.
 * The dispatcher registers each command while it runs; killOp marks it killed, and
 * work that yields (big write batches) checks `interrupted()` and stops with
 * Interrupted (11601), as mongod's interrupt points do.
 */
import type { CommandContext } from './dispatcher.js';
import type { ConnectionInfo, SimNode } from './node.js';
import type { Doc } from './storage/values.js';

export interface OpRecord {
  readonly opid: number;
  readonly conn: ConnectionInfo;
  readonly command: Doc;
  readonly name: string;
  readonly ns: string;
  readonly startedAt: number;
  killed: boolean;
  /** Aborted by killOp or by the connection closing: work that waits (a `$where` sandbox) stops on it. */
  readonly signal: AbortSignal;
  readonly interrupt: AbortController;
}

export class OpRegistry {
  #next = 1;
  readonly #ops = new Map<number, OpRecord>();

  begin(conn: ConnectionInfo, name: string, db: string, command: Doc): OpRecord {
    const coll = command[name];
    const interrupt = new AbortController();
    const signal = AbortSignal.any([interrupt.signal, conn.signal]);
    const ns = typeof coll === 'string' ? `${db}.${coll}` : `${db}.$cmd`;
    const rec: OpRecord = { opid: this.#next++, conn, command, name, ns, startedAt: Date.now(), killed: false, signal, interrupt };
    this.#ops.set(rec.opid, rec);
    return rec;
  }

  end(rec: OpRecord): void {
    this.#ops.delete(rec.opid);
  }

  /** Marks an op killed; false when no such op runs. */
  kill(opid: number): boolean {
    const rec = this.#ops.get(opid);
    if (!rec) return false;
    rec.killed = true;
    rec.interrupt.abort();
    return true;
  }

  /** The op running on a connection (the innermost). */
  onConnection(conn: ConnectionInfo): OpRecord | undefined {
    let found: OpRecord | undefined;
    for (const r of this.#ops.values()) if (r.conn === conn) found = r;
    return found;
  }

  all(): OpRecord[] {
    return [...this.#ops.values()];
  }
}

const registries = new WeakMap<SimNode, OpRegistry>();

export function opsOf(node: SimNode): OpRegistry {
  let r = registries.get(node);
  if (!r) registries.set(node, (r = new OpRegistry()));
  return r;
}

/** `currentOp` entries, as mongod prints the common fields. */
export function currentOps(ctx: CommandContext, opts: { idleConnections?: boolean; allUsers?: boolean } = {}): Doc[] {
  const now = Date.now();
  void opts;
  return opsOf(ctx.node)
    .all()
    .map((r) => {
      const entry: Doc = {
        type: 'op',
        host: ctx.node.host,
        desc: `conn${r.conn.id}`,
        connectionId: r.conn.id,
        client: r.conn.remote,
        active: true,
        currentOpTime: new Date(now).toISOString(),
        opid: r.opid,
        secs_running: Math.floor((now - r.startedAt) / 1000),
        microsecs_running: (now - r.startedAt) * 1000,
        op: r.name === 'insert' || r.name === 'update' ? r.name : r.name === 'delete' ? 'remove' : r.name === 'find' ? 'query' : r.name === 'getMore' ? 'getmore' : 'command',
        ns: r.ns,
        command: r.command,
        killPending: r.killed,
      };
      if (r.conn.appName) entry.appName = r.conn.appName;
      if (r.conn.clientMetadata) entry.clientMetadata = r.conn.clientMetadata;
      return entry;
    });
}
