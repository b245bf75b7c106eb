/**
 * The replica set member's state as one record, and its transitions as pure functions
 * with named results (like core's sdam/apply.ts): each takes a ReplState and returns the
 * next one (a new frozen object; the input is never modified) plus what the owner must
 * do about it. No timers, sockets, logging or storage here: repl/coordinator.ts holds the
 * current record, applies these, and acts on the results (persist the vote, bump the
 * topology version, wake waiters, schedule the election timer...).
 */
import type { Timestamp } from 'bson';
import { writeMajorityCount, type ReplSetConfig } from './config.js';
import type { MemberState } from './member-state.js';
import { NULL_OPTIME, opTimeCompare, type OpTime } from './optime.js';

/** What this member knows of another one (from heartbeats and oplog fetches). */
export interface PeerView {
  readonly id: number;
  readonly host: string;
  readonly health: 0 | 1;
  readonly memberState: MemberState;
  readonly opTime: OpTime;
  readonly wall: Date;
  readonly lastHeartbeat?: Date;
  readonly lastHeartbeatRecv?: Date;
  /** When it last answered a heartbeat (or fetched our oplog) successfully, ms since epoch. */
  readonly lastOk: number;
  readonly pingMs: number;
  readonly configVersion: number;
  readonly configTerm: number;
  readonly electionTime?: Timestamp;
  readonly syncSourceHost: string;
  readonly message: string;
  readonly upSince: number;
}

/** The vote this member cast (persisted in local.replset.election). */
export interface Vote {
  readonly term: number;
  readonly candidate: number;
}

export interface ReplState {
  readonly memberState: MemberState;
  readonly term: number;
  readonly votedFor: Vote;
  /** The member id of the primary this member follows (itself when primary). */
  readonly primaryId: number | undefined;
  readonly lastPrimaryContact: number;
  readonly electionTime: Timestamp | undefined;
  readonly electionDate: Date | undefined;
  readonly lastApplied: OpTime;
  readonly lastAppliedWall: Date;
  readonly commitPoint: OpTime;
  readonly commitWall: Date;
  readonly syncSource: string | undefined;
  /** No candidacy before this time (replSetFreeze, replSetStepDown's stepDownSecs). */
  readonly frozenUntil: number;
  readonly peers: ReadonlyMap<number, PeerView>;
}

export function initialReplState(): ReplState {
  return Object.freeze({
    memberState: 'STARTUP',
    term: 0,
    votedFor: { term: -1, candidate: -1 },
    primaryId: undefined,
    lastPrimaryContact: 0,
    electionTime: undefined,
    electionDate: undefined,
    lastApplied: NULL_OPTIME,
    lastAppliedWall: new Date(0),
    commitPoint: NULL_OPTIME,
    commitWall: new Date(0),
    syncSource: undefined,
    frozenUntil: 0,
    peers: new Map(),
  } satisfies ReplState);
}

export function newPeerView(id: number, host: string): PeerView {
  return {
    id,
    host,
    health: 0,
    memberState: 'UNKNOWN',
    opTime: NULL_OPTIME,
    wall: new Date(0),
    lastOk: 0,
    pingMs: 0,
    configVersion: -1,
    configTerm: -1,
    syncSourceHost: '',
    message: '',
    upSince: 0,
  };
}

function next(s: ReplState, patch: Partial<ReplState>): ReplState {
  return Object.freeze({ ...s, ...patch });
}

/** A transition that may leave the state as it was. */
export interface Changed {
  readonly state: ReplState;
  readonly changed: boolean;
}

// ---- member state --------------------------------------------------------------------

export function setMemberState(s: ReplState, memberState: MemberState): Changed {
  if (s.memberState === memberState) return { state: s, changed: false };
  return { state: next(s, { memberState }), changed: true };
}

// ---- term and vote -------------------------------------------------------------------

export interface TermResult {
  readonly state: ReplState;
  /** A higher term was adopted: persist it. */
  readonly advanced: boolean;
  /** This member was primary and is not any more (stepDown applied). */
  readonly steppedDown: boolean;
}

/** A higher term seen anywhere is adopted; a primary steps down. */
export function observeTerm(s: ReplState, term: number, now: number): TermResult {
  if (term <= s.term) return { state: s, advanced: false, steppedDown: false };
  const adopted = next(s, { term });
  const down = stepDown(adopted, now, 0);
  return { state: down.state, advanced: true, steppedDown: down.changed };
}

/** Primary -> secondary: forgets the primary and the election; `freezeMs` blocks candidacy. */
export function stepDown(s: ReplState, now: number, freezeMs: number): Changed {
  if (s.memberState !== 'PRIMARY') return { state: s, changed: false };
  return {
    state: next(s, {
      memberState: 'SECONDARY',
      primaryId: undefined,
      electionTime: undefined,
      frozenUntil: freezeMs > 0 ? Math.max(s.frozenUntil, now + freezeMs) : s.frozenUntil,
    }),
    changed: true,
  };
}

/** A real election starts: the next term, voting for itself. */
export function startCandidacy(s: ReplState, selfId: number): ReplState {
  const term = s.term + 1;
  return next(s, { term, votedFor: { term, candidate: selfId } });
}

/** The election was won: primary of the current term since `electionTime`. */
export function becomePrimary(s: ReplState, selfId: number, electionTime: Timestamp, now: Date): ReplState {
  return next(s, { memberState: 'PRIMARY', primaryId: selfId, electionTime, electionDate: now });
}

export function recordVote(s: ReplState, vote: Vote): ReplState {
  return next(s, { votedFor: vote, lastPrimaryContact: 0 });
}

/** replSetFreeze: `until` 0 unfreezes. */
export function freezeUntil(s: ReplState, until: number): ReplState {
  return next(s, { frozenUntil: until });
}

// ---- primary, sync source ------------------------------------------------------------

/** Another member is primary (seen in a heartbeat or an oplog fetch) at `now`. */
export function observePrimary(s: ReplState, peerId: number, now: number): Changed {
  const changed = s.primaryId !== peerId;
  return { state: next(s, { primaryId: peerId, lastPrimaryContact: now }), changed };
}

/** The member `peerId` is not primary (any more). */
export function forgetPrimary(s: ReplState, peerId: number): Changed {
  if (s.primaryId !== peerId) return { state: s, changed: false };
  return { state: next(s, { primaryId: undefined }), changed: true };
}

export function setSyncSource(s: ReplState, host: string | undefined): Changed {
  if (s.syncSource === host) return { state: s, changed: false };
  return { state: next(s, { syncSource: host }), changed: true };
}

/**
 * Sync source choice: the primary when it is healthy; else the healthy data-bearing
 * primary or secondary furthest ahead of this member (any such one while this
 * member's oplog is empty).
 */
export function chooseSyncSource(s: ReplState, config: ReplSetConfig, oplogEmpty: boolean): PeerView | undefined {
  if (s.primaryId !== undefined) {
    const p = s.peers.get(s.primaryId);
    if (p && p.health === 1) return p;
  }
  let best: PeerView | undefined;
  for (const p of s.peers.values()) {
    const m = config.members.find((x) => x._id === p.id);
    if (!m || m.arbiterOnly || p.health !== 1) continue;
    if (p.memberState !== 'SECONDARY' && p.memberState !== 'PRIMARY') continue;
    if (opTimeCompare(p.opTime, s.lastApplied) <= 0 && !oplogEmpty) continue;
    if (!best || opTimeCompare(p.opTime, best.opTime) > 0) best = p;
  }
  return best;
}

// ---- peers ---------------------------------------------------------------------------

export function setPeers(s: ReplState, peers: ReadonlyMap<number, PeerView>): ReplState {
  return next(s, { peers });
}

/** Replaces (or adds) one peer's view. */
export function updatePeer(s: ReplState, view: PeerView): ReplState {
  const peers = new Map(s.peers);
  peers.set(view.id, Object.freeze(view));
  return next(s, { peers });
}

/** A member told us (heartbeat, oplog fetch) that it applied up to `opTime`; never moves back. */
export function observePeerOpTime(s: ReplState, peerId: number, opTime: OpTime, now?: number): Changed {
  const p = s.peers.get(peerId);
  if (!p) return { state: s, changed: false };
  const ahead = opTimeCompare(opTime, p.opTime) > 0;
  if (!ahead && now === undefined) return { state: s, changed: false };
  const view: PeerView = { ...p, ...(ahead ? { opTime } : {}), ...(now !== undefined ? { lastOk: now } : {}) };
  return { state: updatePeer(s, view), changed: ahead };
}

// ---- applied optime and commit point -------------------------------------------------

export function advanceApplied(s: ReplState, opTime: OpTime, wall: Date): ReplState {
  return next(s, { lastApplied: opTime, lastAppliedWall: wall });
}

/** Initial sync / rollback starts over from an empty oplog. */
export function resetOpTimes(s: ReplState): ReplState {
  return next(s, { lastApplied: NULL_OPTIME, commitPoint: NULL_OPTIME });
}

/** The commit point only moves forward; `wall` is the wall time of its entry. */
export function advanceCommitPoint(s: ReplState, opTime: OpTime, wall: Date): Changed {
  if (opTimeCompare(opTime, s.commitPoint) <= 0) return { state: s, changed: false };
  return { state: next(s, { commitPoint: opTime, commitWall: wall }), changed: true };
}

/** readConcern majority / hello's majorityOpTime: the commit point, never past lastApplied. */
export function majorityOpTime(s: ReplState): OpTime {
  return opTimeCompare(s.commitPoint, s.lastApplied) <= 0 ? s.commitPoint : s.lastApplied;
}

/**
 * Primary: the newest optime that a write-majority of data-bearing voters applied, if it
 * is of the current term (a primary only commits entries of its own term); else undefined.
 */
export function primaryCommitCandidate(s: ReplState, config: ReplSetConfig, selfId: number): OpTime | undefined {
  if (s.memberState !== 'PRIMARY') return undefined;
  const positions: OpTime[] = [];
  for (const m of config.members) {
    if (m.votes === 0 || m.arbiterOnly) continue;
    if (m._id === selfId) positions.push(s.lastApplied);
    else positions.push(s.peers.get(m._id)?.opTime ?? NULL_OPTIME);
  }
  positions.sort((a, b) => opTimeCompare(b, a));
  const cand = positions[writeMajorityCount(config) - 1];
  return cand && cand.t === s.term ? cand : undefined;
}
