/**
 * Write concern rules of a replica set member, pure: the implicit default, validation,
 * how a command's writeConcern resolves, when an optime satisfies it, and the
 * writeConcernError documents. The coordinator waits (progress-waiters.ts) and flushes.
 */
import { CommandError, ErrorCode } from '../errors.js';
import type { Doc } from '../storage/values.js';
import { majorityVoteCount, writeMajorityCount, type ReplSetConfig } from './config.js';
import { opTimeCompare, type OpTime } from './optime.js';
import type { ReplState } from './repl-state.js';

/**
 * mongod's implicit default write concern: {w: 1} when the set has voting arbiters and
 * its data-bearing voters are not strictly more than the voting majority (a PSA set:
 * 2 data-bearing voters, majority 2), else {w: 'majority'}.
 */
export function defaultWriteConcern(c: ReplSetConfig | undefined): Doc {
  if (!c) return { w: 1, wtimeout: 0 };
  const arbiters = c.members.filter((m) => m.arbiterOnly && m.votes > 0).length;
  const dataBearingVoters = c.members.filter((m) => !m.arbiterOnly && m.votes > 0).length;
  if (arbiters > 0 && dataBearingVoters <= majorityVoteCount(c)) return { w: 1, wtimeout: 0 };
  return { w: 'majority', wtimeout: 0 };
}

/** Refuses a w this set can never satisfy (code 100) or an unknown mode name (code 79). */
export function validateWriteConcern(c: ReplSetConfig | undefined, wc: Doc | undefined): void {
  if (!wc || !c) return;
  const w = wc.w;
  if (typeof w === 'number') {
    const dataBearing = c.members.filter((m) => !m.arbiterOnly).length;
    if (w > dataBearing) throw new CommandError(ErrorCode.UnsatisfiableWriteConcern, 'Not enough data-bearing nodes');
  } else if (typeof w === 'string' && w !== 'majority' && !(w in c.settings.getLastErrorModes)) {
    throw new CommandError(ErrorCode.UnknownReplWriteConcern, `No write concern mode named '${w}' found in replica set configuration`);
  }
}

export interface ResolvedWriteConcern {
  readonly w: unknown;
  readonly wtimeout: number;
  readonly j: boolean;
  readonly provenance: 'clientSupplied' | 'implicitDefault';
  /** False for w: 0 / 1 (or without a config): nothing to wait for. */
  readonly waits: boolean;
}

/** The command's writeConcern over the default (a writeConcern without w takes the default's w). */
export function resolveWriteConcern(c: ReplSetConfig | undefined, wcIn: Doc | undefined): ResolvedWriteConcern {
  const dflt = defaultWriteConcern(c);
  const provenance = wcIn && wcIn.w !== undefined ? 'clientSupplied' : 'implicitDefault';
  const wc: Doc = { ...dflt, ...(wcIn ?? {}) };
  if (wcIn && wcIn.w === undefined) wc.w = dflt.w;
  const w = wc.w;
  return {
    w,
    wtimeout: typeof wc.wtimeout === 'number' ? wc.wtimeout : 0,
    j: wc.j === true,
    provenance,
    waits: !(w === 0 || w === 1 || !c),
  };
}

/**
 * Whether `opTime` satisfies `w`: 'majority' once the commit point reached it; a number
 * (or a mode name: a write majority) once that many data-bearing members applied it.
 */
export function writeConcernSatisfied(s: ReplState, c: ReplSetConfig, opTime: OpTime, w: unknown): boolean {
  if (w === 'majority') return opTimeCompare(s.commitPoint, opTime) >= 0;
  const need = typeof w === 'number' ? w : writeMajorityCount(c);
  let n = opTimeCompare(s.lastApplied, opTime) >= 0 ? 1 : 0;
  for (const p of s.peers.values()) {
    if (opTimeCompare(p.opTime, opTime) >= 0 && !c.members.find((m) => m._id === p.id)?.arbiterOnly) n++;
  }
  return n >= need;
}

/** The writeConcernError of a wait that ended unsatisfied: the primary stepped down, or wtimeout. */
export function writeConcernError(reason: 'steppedDown' | 'timeout', wc: ResolvedWriteConcern): Doc {
  const echo: Doc = { w: wc.w, wtimeout: wc.wtimeout, provenance: wc.provenance };
  if (reason === 'steppedDown') {
    return { code: ErrorCode.PrimarySteppedDown, codeName: 'PrimarySteppedDown', errmsg: 'Primary stepped down while waiting for replication', errInfo: { writeConcern: echo } };
  }
  return { code: ErrorCode.WriteConcernFailed, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true, writeConcern: echo } };
}
