/**
 * Applying one replicated oplog entry to the storage engine (a secondary's apply step).
 * Idempotent like mongod's oplog application in steady state: an insert of an existing
 * _id becomes an update, an update of a missing document an insert (upsert), a delete
 * of a missing document is nothing; a command that fails is logged and skipped. An op
 * this member does not know is an UnknownOplogOpError: never skipped silently.
 */
import type { UUID } from 'bson';
import { CommandError } from '../errors.js';
import type { StorageEngine } from '../storage/engine.js';
import type { Doc } from '../storage/values.js';

/** The oplog entry kinds: insert, update, delete, command, no-op. */
export type OplogOp = 'i' | 'u' | 'd' | 'c' | 'n';

/** mongod's code for an oplog entry of an unknown op type ("unknown opType"). */
export const UNKNOWN_OPLOG_OP_CODE = 14825;

export class UnknownOplogOpError extends CommandError {
  constructor(
    readonly op: unknown,
    readonly ns: string,
  ) {
    super(UNKNOWN_OPLOG_OP_CODE, `unknown oplog op type ${JSON.stringify(op)} in an entry for ${ns}`);
    this.name = 'UnknownOplogOpError';
  }
}

/** Where apply reports the errors it skips. */
export type ApplyLogger = (id: number, msg: string, attr?: Record<string, unknown>) => void;

function unknownOp(op: never, ns: string): UnknownOplogOpError {
  return new UnknownOplogOpError(op, ns);
}

/** Applies one entry's data change (not its oplog append: the caller does that). */
export function applyOplogEntry(engine: StorageEngine, entry: Doc, log: ApplyLogger): void {
  const ns = String(entry.ns);
  const dot = ns.indexOf('.');
  const ensure = (): void => {
    if (!engine.getCollection(ns.slice(0, dot), ns.slice(dot + 1))) engine.ensureCollection(ns.slice(0, dot), ns.slice(dot + 1));
  };
  const op = entry.op as OplogOp;
  try {
    switch (op) {
      case 'i': {
        const o = entry.o as Doc;
        ensure();
        try {
          engine.write({ op: 'i', ns, o });
        } catch {
          engine.write({ op: 'u', ns, o2: { _id: o._id }, o });
        }
        return;
      }
      case 'u': {
        const o = entry.o as Doc;
        try {
          engine.write({ op: 'u', ns, o2: entry.o2 as { _id: unknown }, o });
        } catch {
          ensure();
          engine.write({ op: 'i', ns, o });
        }
        return;
      }
      case 'd':
        try {
          engine.write({ op: 'd', ns, o: entry.o as { _id: unknown } });
        } catch {
          /* already gone */
        }
        return;
      case 'c':
        if (Array.isArray((entry.o as Doc).applyOps)) {
          // a committed transaction: its writes, in order (the caller applies the entry in one group)
          for (const inner of (entry.o as Doc).applyOps as Doc[]) applyOplogEntry(engine, inner, log);
          return;
        }
        try {
          engine.write({ op: 'c', ns, ui: entry.ui as UUID | undefined, o: entry.o as Doc });
        } catch (err) {
          log(21000, 'Ignoring error applying a command entry', { error: String(err), o: entry.o });
        }
        return;
      case 'n':
        return;
      default:
        throw unknownOp(op, ns);
    }
  } catch (err) {
    if (err instanceof UnknownOplogOpError) throw err;
    log(21000, 'Error applying oplog entry', { error: String(err), ns });
  }
}
