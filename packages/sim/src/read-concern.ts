/**
 * Where `readConcern: {level: 'snapshot'}` is accepted outside a transaction, as mongod
 * 5.0+ decides it: only on a replica set member (or mongos), and only for the reads that
 * support it (find, aggregate, distinct, getMore, explain). Anything else fails with
 * InvalidOptions (72); a standalone refuses it with IllegalOperation (20). Inside a
 * transaction (startTransaction / autocommit) the transaction layer decides.
 */
import { CommandError, ErrorCode } from './errors.js';
import type { NodeRoleKind } from './role.js';
import { isPlainObject, type Doc } from './storage/values.js';

const SNAPSHOT_READS = new Set(['find', 'aggregate', 'distinct', 'getMore', 'explain']);

export function checkSnapshotReadConcern(name: string, args: Doc, role: NodeRoleKind): void {
  const rc = args.readConcern;
  if (!isPlainObject(rc) || rc.level !== 'snapshot') return;
  if (args.startTransaction !== undefined || args.autocommit !== undefined) return;
  if (role === 'standalone') throw new CommandError(ErrorCode.IllegalOperation, "readConcern level 'snapshot' is only supported on replica set members and mongos");
  if (!SNAPSHOT_READS.has(name)) throw new CommandError(ErrorCode.InvalidOptions, `Command ${name} does not support { readConcern: { level: "snapshot" } }`);
}
