/**
 * The MongoDB 8.0 `bulkWrite` admin command (maxWireVersion 25; the sim advertises it
 * only when started with `maxWireVersion: 25`): `ops` ({ insert | update | delete: nsInfo
 * index, ... }) and `nsInfo` ({ ns }) as fields or OP_MSG document sequences. Each op runs
 * through the sim's own insert/update/delete; the reply is mongod's: per-op results in a
 * cursor (only errors with `errorsOnly`), and the totals.
 */
import { Long } from 'bson';
import { registerCommands, registry, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import { isPlainObject, toViewDoc, type Doc } from '../storage/values.js';

const BULK_WRITE_WIRE_VERSION = 25;

function splitNs(ns: unknown): { db: string; coll: string } {
  if (typeof ns !== 'string' || !ns.includes('.')) throw new CommandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${String(ns)}'`);
  const dot = ns.indexOf('.');
  return { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}

async function run(ctx: CommandContext, name: 'insert' | 'update' | 'delete', db: string, body: Doc): Promise<Doc> {
  const spec = registry.get(name)!;
  const full = { ...body, ordered: true, $db: db };
  return await spec.handler({ ...ctx, db, name, body: full, args: toViewDoc(full), sequences: {} });
}

async function bulkWrite(ctx: CommandContext): Promise<Doc> {
  if (ctx.node.maxWireVersion < BULK_WRITE_WIRE_VERSION) throw new CommandError(ErrorCode.CommandNotFound, "no such command: 'bulkWrite'");
  const ops = ctx.sequences.ops ?? (ctx.body.ops as Doc[] | undefined);
  const nsInfo = ctx.sequences.nsInfo ?? (ctx.body.nsInfo as Doc[] | undefined);
  if (!Array.isArray(ops)) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'bulkWrite.ops' is missing but a required field");
  if (!Array.isArray(nsInfo)) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'bulkWrite.nsInfo' is missing but a required field");
  const ordered = ctx.args.ordered !== false;
  const errorsOnly = ctx.args.errorsOnly === true;
  const results: Doc[] = [];
  const totals = { nErrors: 0, nInserted: 0, nMatched: 0, nModified: 0, nUpserted: 0, nDeleted: 0 };
  for (let idx = 0; idx < ops.length; idx++) {
    const op = ops[idx];
    if (!isPlainObject(op)) throw new CommandError(ErrorCode.TypeMismatch, 'bulkWrite ops must be objects');
    const kind = (['insert', 'update', 'delete'] as const).find((k) => k in op);
    if (!kind) throw new CommandError(ErrorCode.FailedToParse, 'Unrecognized bulkWrite operation');
    const info = nsInfo[Number(toViewDoc(op)[kind])];
    if (!isPlainObject(info)) throw new CommandError(ErrorCode.BadValue, `BulkWrite ops entry ${idx} has an invalid nsInfo index`);
    const { db, coll } = splitNs(info.ns);
    let reply: Doc;
    if (kind === 'insert') {
      reply = await run(ctx, 'insert', db, { insert: coll, documents: [op.document] });
    } else if (kind === 'update') {
      const u: Doc = { q: op.filter ?? {}, u: op.updateMods, multi: op.multi === true, upsert: op.upsert === true };
      for (const k of ['arrayFilters', 'collation', 'hint', 'sort']) if (op[k] !== undefined) u[k] = op[k];
      reply = await run(ctx, 'update', db, { update: coll, updates: [u] });
    } else {
      const d: Doc = { q: op.filter ?? {}, limit: op.multi === true ? 0 : 1 };
      for (const k of ['collation', 'hint']) if (op[k] !== undefined) d[k] = op[k];
      reply = await run(ctx, 'delete', db, { delete: coll, deletes: [d] });
    }
    const writeError = Array.isArray(reply.writeErrors) ? (reply.writeErrors[0] as Doc | undefined) : undefined;
    if (writeError) {
      totals.nErrors++;
      const { index: _i, ...rest } = writeError;
      results.push({ ok: 0, idx, ...rest });
      if (ordered) break;
      continue;
    }
    const n = Number(toViewDoc(reply).n ?? 0);
    const result: Doc = { ok: 1, idx, n };
    if (kind === 'insert') totals.nInserted += n;
    else if (kind === 'delete') totals.nDeleted += n;
    else {
      const upserted = Array.isArray(reply.upserted) ? (reply.upserted[0] as Doc | undefined) : undefined;
      const nModified = Number(toViewDoc(reply).nModified ?? 0);
      result.nModified = nModified;
      if (upserted) {
        result.upserted = { _id: upserted._id };
        totals.nUpserted++;
      } else totals.nMatched += n;
      totals.nModified += nModified;
    }
    if (!errorsOnly) results.push(result);
  }
  return { cursor: { id: Long.ZERO, firstBatch: results, ns: 'admin.$cmd.bulkWrite' }, ...totals };
}

registerCommands({ bulkWrite: { handler: bulkWrite, write: true, adminOnly: true } });
