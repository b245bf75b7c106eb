/**
 * Election rules of protocol version 1, as pure functions: who may stand, whether to
 * grant a vote (replSetRequestVotes), how a tally ends, when a higher-priority member
 * takes over, when a primary has lost its majority. The coordinator sends the requests,
 * runs the timers and applies the results.
 */
import { Long } from 'bson';
import { isElectable, isNewerConfig, majorityVoteCount, type MemberConfig, type ReplSetConfig } from './config.js';
import { asNumber, formatOpTime, fromWire, opTimeCompare, type OpTime } from './optime.js';
import { observeTerm, recordVote, type PeerView, type ReplState } from './repl-state.js';
import type { Doc } from '../storage/values.js';

/** Candidate eligibility: an electable secondary with data, not frozen (unless ignored). */
export function canStand(s: ReplState, self: MemberConfig | undefined, opts: { hasOplog: boolean; now: number; ignoreFreeze?: boolean }): boolean {
  return (
    self !== undefined &&
    s.memberState === 'SECONDARY' &&
    self.priority > 0 &&
    self.votes > 0 &&
    !self.arbiterOnly &&
    opts.hasOplog &&
    (opts.ignoreFreeze === true || opts.now >= s.frozenUntil)
  );
}

/** The randomized election timeout: electionTimeoutMillis plus up to 15 %, never before the freeze ends. */
export function electionTimerDelay(electionTimeoutMs: number, random: number, frozenFor: number): number {
  return Math.max(electionTimeoutMs + Math.floor(random * electionTimeoutMs * 0.15), frozenFor);
}

/** When the election timer fires: stand only if no primary was heard from within the timeout. */
export function primaryAlive(s: ReplState, now: number, electionTimeoutMs: number): boolean {
  return s.primaryId !== undefined && now - s.lastPrimaryContact < electionTimeoutMs;
}

/** A replSetRequestVotes request, parsed. */
export interface VoteRequest {
  readonly setName: unknown;
  readonly dryRun: boolean;
  readonly term: number;
  readonly candidateIndex: number;
  readonly configVersion: number;
  readonly configTerm: number;
  readonly lastAppliedOpTime: OpTime;
}

export function parseVoteRequest(body: Doc): VoteRequest {
  return {
    setName: body.setName,
    dryRun: body.dryRun === true,
    term: asNumber(body.term, 0),
    candidateIndex: asNumber(body.candidateIndex, -1),
    configVersion: asNumber(body.configVersion, 0),
    configTerm: asNumber(body.configTerm, -1),
    lastAppliedOpTime: fromWire(body.lastAppliedOpTime),
  };
}

export function voteRequestDoc(c: ReplSetConfig, self: MemberConfig, dryRun: boolean, term: number, lastApplied: OpTime): Doc {
  return {
    replSetRequestVotes: 1,
    setName: c._id,
    dryRun,
    term: Long.fromNumber(term),
    candidateIndex: Long.fromNumber(c.members.indexOf(self)),
    configVersion: Long.fromNumber(c.version),
    configTerm: Long.fromNumber(c.term),
    lastAppliedOpTime: { ts: lastApplied.ts, t: Long.fromNumber(lastApplied.t) },
  };
}

export interface VoteDecision {
  readonly state: ReplState;
  readonly granted: boolean;
  readonly reason: string;
  /** A real (not dry-run) request carried a higher term: adopted (persist it). */
  readonly termAdvanced: boolean;
  /** Adopting that term made this primary step down. */
  readonly steppedDown: boolean;
  /** The vote was cast (persist it, restart the election timer). */
  readonly voted: boolean;
}

/** The vote rules: same set, term not lower (dry run: higher), config not older, data not staler, one vote per term. */
export function decideVote(s0: ReplState, c: ReplSetConfig | undefined, req: VoteRequest, now: number): VoteDecision {
  let s = s0;
  let termAdvanced = false;
  let steppedDown = false;
  const out = (granted: boolean, reason: string, voted = false): VoteDecision => ({ state: s, granted, reason, termAdvanced, steppedDown, voted });
  if (!c) return out(false, 'not yet initialized');
  if (req.setName !== c._id) return out(false, `candidate's set name (${String(req.setName)}) differs from mine (${c._id})`);
  if (req.term < s.term || (req.dryRun && req.term <= s.term)) return out(false, `candidate's term (${req.term}) is lower than mine (${s.term})`);
  if (!req.dryRun) {
    const t = observeTerm(s, req.term, now);
    s = t.state;
    termAdvanced = t.advanced;
    steppedDown = t.steppedDown;
  }
  const cv = req.configVersion;
  const ct = req.configTerm;
  if (isNewerConfig(c, { version: cv, term: ct })) {
    return out(false, `candidate's config with {version: ${cv}, term: ${ct}} is older than mine with {version: ${c.version}, term: ${c.term}}`);
  }
  if (opTimeCompare(req.lastAppliedOpTime, s.lastApplied) < 0) {
    return out(
      false,
      `candidate's data is staler than mine. candidate's last applied OpTime: ${formatOpTime(req.lastAppliedOpTime)}, my last applied OpTime: ${formatOpTime(s.lastApplied)}`,
    );
  }
  if (req.dryRun) return out(true, '');
  if (s.votedFor.term === req.term && s.votedFor.candidate !== req.candidateIndex) {
    return out(false, `already voted for another candidate (${c.members[s.votedFor.candidate]?.host ?? '?'}) this term (${req.term})`);
  }
  s = recordVote(s, { term: req.term, candidate: req.candidateIndex });
  return out(true, '', true);
}

/** A vote tally in progress. */
export interface Tally {
  readonly votes: number;
  readonly needed: number;
  /** Requests not answered yet. */
  readonly pending: number;
  /** The election timeout passed. */
  readonly timedOut: boolean;
}

export type ElectionOutcome = 'won' | 'lost' | 'pending';

/** Won at a majority of votes; lost when nobody is left to answer (or on timeout) without one. */
export function electionOutcome(t: Tally): ElectionOutcome {
  if (t.votes >= t.needed) return 'won';
  if (t.pending === 0 || t.timedOut) return 'lost';
  return 'pending';
}

export function votesNeeded(c: ReplSetConfig): number {
  return majorityVoteCount(c);
}

/**
 * Priority takeover: a secondary of higher priority than the primary, close to it
 * (within 2 s of its optime), stands after (rank + 1) election timeouts, where rank
 * is the number of members of still higher priority. undefined: no takeover.
 */
export function priorityTakeoverDelay(c: ReplSetConfig, self: MemberConfig, primaryCfg: MemberConfig, s: ReplState, primary: PeerView): number | undefined {
  if (self.priority <= primaryCfg.priority) return undefined;
  if (primary.opTime.ts.t - s.lastApplied.ts.t > 2) return undefined;
  const rank = c.members.filter((m) => m.priority > self.priority).length;
  return c.settings.electionTimeoutMillis * (rank + 1);
}

/** When the takeover timer fires: the primary is still of lower priority and we are caught up. */
export function takeoverStillWanted(self: MemberConfig, primaryCfg: MemberConfig | undefined, s: ReplState, primary: PeerView | undefined): boolean {
  if (!primary || !primaryCfg || primaryCfg.priority >= self.priority) return false;
  return opTimeCompare(s.lastApplied, primary.opTime) >= 0;
}

/** A primary keeps its role while it sees a majority of voters (heard from within the election timeout). */
export function seesMajority(s: ReplState, c: ReplSetConfig, selfId: number | undefined, now: number): boolean {
  let up = 0;
  for (const m of c.members) {
    if (m.votes === 0) continue;
    if (m._id === selfId) up++;
    else {
      const p = s.peers.get(m._id);
      if (p && now - p.lastOk < c.settings.electionTimeoutMillis) up++;
    }
  }
  return up >= majorityVoteCount(c);
}

/** replSetStepDown: an electable, healthy secondary that reached `target`. */
export function caughtUpSecondary(s: ReplState, c: ReplSetConfig, target: OpTime): PeerView | undefined {
  for (const p of s.peers.values()) {
    const m = c.members.find((x) => x._id === p.id);
    if (m && isElectable(m) && p.health === 1 && p.memberState === 'SECONDARY' && opTimeCompare(p.opTime, target) >= 0) return p;
  }
  return undefined;
}
