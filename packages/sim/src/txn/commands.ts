/**
 * commitTransaction and abortTransaction (on `admin`): write commands, so the write
 * concern is validated, the member must be primary, and the coordinator's `after` hook
 * waits for the commit's write concern (w: majority waits for replication) and labels
 * retryable errors.
 */
import { registerCommands } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import { transactionsOf } from './transactions.js';

function refuseOffReplicaSet(kind: string): void {
  if (kind !== 'replicaSet') throw new CommandError(ErrorCode.IllegalOperation, 'Transaction numbers are only allowed on a replica set member or mongos');
}

registerCommands({
  commitTransaction: {
    write: true,
    adminOnly: true,
    handler: (ctx) => {
      refuseOffReplicaSet(ctx.node.role.kind);
      return transactionsOf(ctx.node).commit(ctx.args);
    },
  },
  coordinateCommitTransaction: {
    write: true,
    adminOnly: true,
    handler: (ctx) => {
      refuseOffReplicaSet(ctx.node.role.kind);
      return transactionsOf(ctx.node).recoverDecision(ctx.args);
    },
  },
  abortTransaction: {
    write: true,
    adminOnly: true,
    handler: (ctx) => {
      refuseOffReplicaSet(ctx.node.role.kind);
      return transactionsOf(ctx.node).abort(ctx.args);
    },
  },
});
