/** Handshake, diagnostics and administrative commands. */
import os from 'node:os';
import { Long } from 'bson';
import { authOf } from '../auth/sim-auth.js';
import { registerCommands, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import { MAX_WIRE_VERSION, SIM_VERSION } from '../node.js';
import { MAX_BSON_OBJECT_SIZE } from '../storage/engine.js';
import { buildInfo } from '../build-info.js';
import { API_TEST_COMMANDS } from '../api-version.js';
import { isPlainObject, type Doc } from '../storage/values.js';
import { replSection } from './diagnostics.js';

function sameTopologyVersion(ctx: CommandContext, tv: unknown): boolean {
  if (!isPlainObject(tv)) return false;
  const cur = ctx.node.role.topologyVersion();
  const pid = tv.processId as { toHexString?: () => string } | undefined;
  const counter = tv.counter as Long | number | undefined;
  if (!pid?.toHexString || pid.toHexString() !== cur.processId.toHexString()) return false;
  const c = typeof counter === 'number' ? Long.fromNumber(counter) : counter;
  return c !== undefined && Long.isLong(c) && c.equals(cur.counter);
}

/** Awaitable hello: waits up to maxAwaitTimeMS for a topology change when the client's topologyVersion is current. */
async function awaitTopologyChange(ctx: CommandContext): Promise<void> {
  const { args, body } = ctx;
  if (body.topologyVersion === undefined || typeof args.maxAwaitTimeMS !== 'number') return;
  if (!sameTopologyVersion(ctx, body.topologyVersion)) return;
  const ms = args.maxAwaitTimeMS;
  await new Promise<void>((resolve) => {
    const signal = ctx.conn.signal;
    const timer = setTimeout(done, ms);
    const unsubscribe = ctx.node.role.onTopologyChange(done);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

async function hello(ctx: CommandContext): Promise<Doc> {
  const legacy = ctx.name !== 'hello';
  await awaitTopologyChange(ctx);
  const tv = ctx.node.role.topologyVersion();
  const reply: Doc = {};
  if (ctx.args.helloOk === true) reply.helloOk = true;
  Object.assign(reply, ctx.node.role.helloFields(legacy));
  reply.topologyVersion = { processId: tv.processId, counter: tv.counter };
  reply.maxBsonObjectSize = MAX_BSON_OBJECT_SIZE;
  reply.maxMessageSizeBytes = 48000000;
  reply.maxWriteBatchSize = 100000;
  reply.localTime = new Date();
  reply.logicalSessionTimeoutMinutes = 30;
  reply.connectionId = ctx.conn.id;
  reply.minWireVersion = 0;
  reply.maxWireVersion = ctx.node.maxWireVersion;
  reply.readOnly = false;
  // saslSupportedMechs (known users only) and speculativeAuthenticate: auth/sim-auth.ts.
  Object.assign(reply, authOf(ctx.node).helloFields(ctx.conn, ctx.body));
  return reply;
}


function serverStatus(ctx: CommandContext): Doc {
  const n = ctx.node;
  const up = (Date.now() - n.startedAt) / 1000;
  const mem = process.memoryUsage();
  return {
    host: n.host,
    version: SIM_VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: up,
    uptimeMillis: Long.fromNumber(Date.now() - n.startedAt),
    uptimeEstimate: Long.fromNumber(Math.floor(up)),
    localTime: new Date(),
    connections: { current: n.connections.current, available: 838860 - n.connections.current, totalCreated: n.connections.totalCreated, active: 1 },
    opcounters: Object.fromEntries(Object.entries(n.opcounters).map(([k, v]) => [k, Long.fromNumber(v)])),
    mem: { bits: 64, resident: Math.round(mem.rss / 1048576), virtual: Math.round(mem.rss / 1048576), supported: true },
    storageEngine: { name: 'wiredTiger', supportsCommittedReads: true, persistent: n.options.dbpath !== undefined, readOnly: false },
    metrics: { cursor: { open: { total: Long.fromNumber(n.cursors.size) } } },
    ...replSection(n),
  };
}

function hostInfo(): Doc {
  return {
    system: {
      currentTime: new Date(),
      hostname: os.hostname(),
      cpuAddrSize: 64,
      memSizeMB: Long.fromNumber(Math.round(os.totalmem() / 1048576)),
      memLimitMB: Long.fromNumber(Math.round(os.totalmem() / 1048576)),
      numCores: os.cpus().length,
      cpuArch: os.arch(),
      numaEnabled: false,
    },
    os: { type: os.type(), name: os.type(), version: os.release() },
    extra: {},
  };
}

function getParameter(ctx: CommandContext): Doc {
  const params = ctx.node.parameters;
  const arg = ctx.args.getParameter;
  const all = arg === '*' || (isPlainObject(arg) && arg.allParameters === true);
  if (all) return Object.fromEntries(params);
  const out: Doc = {};
  for (const k of Object.keys(ctx.args)) {
    if (k === 'getParameter' || k.startsWith('$') || k === 'lsid' || k === 'comment') continue;
    if (params.has(k)) out[k] = params.get(k);
  }
  if (Object.keys(out).length === 0) throw new CommandError(ErrorCode.InvalidOptions, 'no option found to get');
  return out;
}

function setParameter(ctx: CommandContext): Doc {
  const params = ctx.node.parameters;
  let was: unknown;
  let n = 0;
  for (const k of Object.keys(ctx.body)) {
    if (k === 'setParameter' || k.startsWith('$') || k === 'lsid' || k === 'comment') continue;
    if (!params.has(k)) throw new CommandError(ErrorCode.InvalidOptions, `attempted to set unrecognized parameter [${k}], use help:true to see options `);
    was = params.get(k);
    params.set(k, ctx.args[k]);
    n++;
  }
  if (n === 0) throw new CommandError(ErrorCode.InvalidOptions, 'no option found to set, use help:true to see options ');
  return { was };
}

function configureFailPoint(ctx: CommandContext): Doc {
  const name = ctx.args.configureFailPoint;
  if (typeof name !== 'string') throw new CommandError(ErrorCode.TypeMismatch, "'configureFailPoint' must be a string");
  return ctx.node.failPoints.configure(name, ctx.args.mode, ctx.body.data);
}

function getLog(ctx: CommandContext): Doc {
  const which = ctx.args.getLog;
  if (which === '*') return { names: ['global', 'startupWarnings'] };
  if (which === 'global' || which === 'startupWarnings') return { totalLinesWritten: 0, log: [] };
  throw new CommandError(ErrorCode.InvalidOptions, `No log named '${String(which)}'`);
}

registerCommands({
  hello: { handler: hello, counter: 'command' },
  isMaster: hello,
  ismaster: hello,
  ping: () => ({}),
  buildInfo: () => buildInfo(['devnull', 'wiredTiger']),
  buildinfo: () => buildInfo(['devnull', 'wiredTiger']),
  serverStatus,
  hostInfo,
  getParameter: { handler: getParameter, adminOnly: true },
  setParameter: { handler: setParameter, adminOnly: true },
  getCmdLineOpts: {
    handler: (ctx) => ({ argv: ctx.node.options.cmdLine?.argv ?? ['mongod-sim'], parsed: ctx.node.options.cmdLine?.parsed ?? {} }),
    adminOnly: true,
  },
  configureFailPoint: { handler: configureFailPoint, adminOnly: true },
  whatsmyuri: (ctx) => ({ you: ctx.conn.remote }),
  getLog: { handler: getLog, adminOnly: true },
  getDefaultRWConcern: {
    handler: () => ({ defaultReadConcern: { level: 'local' }, defaultWriteConcern: { w: 1, wtimeout: 0 }, defaultReadConcernSource: 'implicit', defaultWriteConcernSource: 'implicit', localUpdateWallClockTime: new Date() }),
    adminOnly: true,
  },
});

/** mongod's Stable API test commands (enableTestCommands): api-version.ts decides; they answer ok. */
registerCommands(
  Object.fromEntries(
    API_TEST_COMMANDS.map((name) => [
      name,
      (ctx: CommandContext): Doc => {
        if (ctx.node.parameters.get('enableTestCommands') !== true) throw new CommandError(ErrorCode.CommandNotFound, `no such command: '${name}'`);
        return {};
      },
    ]),
  ),
);
