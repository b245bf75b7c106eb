/** Replica set commands: replSetInitiate/GetStatus/GetConfig/Reconfig/StepDown/StepUp/Freeze, heartbeats, votes, oplog fetch. */
import { registerCommands, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import { isPlainObject, type Doc } from '../storage/values.js';
import { ReplicaSetRole } from './coordinator.js';
import '../txn/commands.js';

function role(ctx: CommandContext): ReplicaSetRole {
  const r = ctx.node.role;
  if (!(r instanceof ReplicaSetRole)) throw new CommandError(ErrorCode.NoReplicationEnabled, 'not running with --replSet');
  return r;
}

function num(ctx: CommandContext, field: string, dflt: number): number {
  const v = ctx.args[field];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new CommandError(ErrorCode.TypeMismatch, `'${field}' must be a number`);
  return v;
}

async function shutdown(ctx: CommandContext): Promise<Doc> {
  const r = ctx.node.role;
  if (r instanceof ReplicaSetRole) {
    const force = ctx.args.force === true;
    await r.prepareShutdown(force, num(ctx, 'timeoutSecs', 15));
  }
  setImmediate(() => ctx.node.requestShutdown());
  return {};
}

registerCommands({
  replSetInitiate: { handler: async (ctx) => role(ctx).initiate(ctx.body.replSetInitiate), adminOnly: true },
  replSetGetStatus: { handler: (ctx) => role(ctx).status(), adminOnly: true },
  replSetGetConfig: { handler: (ctx) => role(ctx).getConfig(), adminOnly: true },
  replSetReconfig: {
    handler: async (ctx) => role(ctx).reconfig(ctx.body.replSetReconfig, ctx.args.force === true),
    adminOnly: true,
  },
  replSetStepDown: {
    handler: async (ctx) => {
      const secs = typeof ctx.args.replSetStepDown === 'number' ? ctx.args.replSetStepDown : 60;
      await role(ctx).stepDownCommand(secs, num(ctx, 'secondaryCatchUpPeriodSecs', Math.min(10, secs)), ctx.args.force === true);
      return {};
    },
    adminOnly: true,
  },
  replSetStepUp: {
    handler: async (ctx) => {
      await role(ctx).stepUpCommand(ctx.args.skipDryRun === true);
      return {};
    },
    adminOnly: true,
  },
  replSetFreeze: {
    handler: (ctx) => role(ctx).freeze(num(ctx, 'replSetFreeze', 0)),
    adminOnly: true,
  },
  replSetHeartbeat: { handler: async (ctx) => role(ctx).handleHeartbeat(ctx.body), counter: 'none' },
  replSetRequestVotes: { handler: (ctx) => role(ctx).handleRequestVotes(ctx.body), adminOnly: true, counter: 'none' },
  appendOplogNote: {
    handler: (ctx) => {
      const r = role(ctx);
      if (!isPlainObject(ctx.body.data)) throw new CommandError(ErrorCode.NoSuchKey, "no field 'data' found");
      if (!r.isPrimary()) throw new CommandError(ErrorCode.NotWritablePrimary, 'Not a primary');
      r.writeNoop(ctx.body.data);
      return {};
    },
    adminOnly: true,
  },
  _simPullOplog: { handler: async (ctx) => role(ctx).handlePull(ctx.body, ctx.conn.signal), counter: 'none' },
  _simInitialSync: { handler: (ctx) => role(ctx).handleInitialSync(ctx.body), counter: 'none' },
  shutdown: { handler: shutdown, adminOnly: true },
});
