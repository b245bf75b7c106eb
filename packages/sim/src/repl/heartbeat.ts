/**
 * Heartbeats (replSetHeartbeat) as pure functions: the request this member sends, what
 * a reply (or a failure) does to the ReplState, and the reply it gives to another
 * member's heartbeat. The coordinator runs the heartbeat loops and applies the results.
 */
import { Long, Timestamp } from 'bson';
import { configToDoc, isNewerConfig, type MemberConfig, type ReplSetConfig } from './config.js';
import { MEMBER_STATE_CODE, memberStateFromCode } from './member-state.js';
import { asNumber, fromWire, isNull, opTimeCompare, toWire, type OpTime } from './optime.js';
import { forgetPrimary, observePrimary, observeTerm, updatePeer, type PeerView, type ReplState } from './repl-state.js';
import { isPlainObject, type Doc } from '../storage/values.js';

export function heartbeatRequest(s: ReplState, c: ReplSetConfig, self: MemberConfig, peer: PeerView): Doc {
  const req: Doc = {
    replSetHeartbeat: c._id,
    configVersion: c.version,
    configTerm: c.term,
    hbv: 1,
    from: self.host,
    fromId: self._id,
    term: Long.fromNumber(s.term),
    opTime: toWire(s.lastApplied),
    commitPoint: toWire(s.commitPoint),
  };
  if (peer.configVersion < 0 || isNewerConfig(c, { version: peer.configVersion, term: peer.configTerm })) req.config = configToDoc(c);
  return req;
}

/** How long to wait for a heartbeat reply. */
export function heartbeatTimeoutMs(c: ReplSetConfig): number {
  return Math.max(c.settings.electionTimeoutMillis, 2 * c.settings.heartbeatIntervalMillis);
}

export interface HeartbeatReplyResult {
  readonly state: ReplState;
  /** The reply's term was higher: adopted (persist it). */
  readonly termAdvanced: boolean;
  /** ... and this primary stepped down for it. */
  readonly steppedDown: boolean;
  /** The member this one follows as primary changed (bump the topology version). */
  readonly primaryChanged: boolean;
  /** The peer is the primary of our term: reset a pending election timer, consider a priority takeover. */
  readonly primarySeen: boolean;
  /** The commit point the peer reported (a non-primary advances to it). */
  readonly commitPoint: OpTime;
  /** A config document the peer sent along (install it if it parses and is newer). */
  readonly config: Doc | undefined;
}

/** A successful (ok: 1) heartbeat reply from `peerId`, received at `now` after `pingMs`. */
export function applyHeartbeatReply(s0: ReplState, peerId: number, res: Doc, now: number, pingMs: number): HeartbeatReplyResult {
  const term = asNumber(res.term, 0);
  const t = observeTerm(s0, term, now);
  let s = t.state;
  const p0 = s.peers.get(peerId);
  const commitPoint = fromWire(res.commitPoint);
  const config = isPlainObject(res.config) ? res.config : undefined;
  if (!p0) return { state: s, termAdvanced: t.advanced, steppedDown: t.steppedDown, primaryChanged: false, primarySeen: false, commitPoint, config };
  const ot = fromWire(res.opTime);
  const moved = !isNull(ot) || isNull(p0.opTime);
  const p: PeerView = {
    ...p0,
    lastHeartbeat: new Date(now),
    pingMs,
    upSince: p0.health === 0 ? now : p0.upSince,
    health: 1,
    lastOk: now,
    message: '',
    memberState: memberStateFromCode(asNumber(res.state, MEMBER_STATE_CODE.UNKNOWN)),
    configVersion: asNumber(res.configVersion, -1),
    configTerm: asNumber(res.configTerm, -1),
    syncSourceHost: typeof res.syncingTo === 'string' ? res.syncingTo : '',
    electionTime: res.electionTime instanceof Timestamp ? res.electionTime : undefined,
    opTime: moved ? ot : p0.opTime,
    wall: moved ? (res.wallTime instanceof Date ? res.wallTime : new Date(ot.ts.t * 1000)) : p0.wall,
  };
  s = updatePeer(s, p);
  let primaryChanged = false;
  let primarySeen = false;
  if (p.memberState === 'PRIMARY' && term >= s.term && s.memberState !== 'PRIMARY') {
    const o = observePrimary(s, p.id, now);
    s = o.state;
    primaryChanged = o.changed;
    primarySeen = true;
  } else if (p.memberState !== 'PRIMARY') {
    const f = forgetPrimary(s, p.id);
    s = f.state;
    primaryChanged = f.changed;
  }
  return { state: s, termAdvanced: t.advanced, steppedDown: t.steppedDown, primaryChanged, primarySeen, commitPoint, config };
}

export interface HeartbeatFailureResult {
  readonly state: ReplState;
  /** The peer was up and is now DOWN (log it). */
  readonly wentDown: boolean;
  /** It was the primary this member followed (bump the topology version). */
  readonly primaryLost: boolean;
}

/** A heartbeat that failed (network error, timeout or an error reply) at `now`. */
export function applyHeartbeatFailure(s0: ReplState, peerId: number, message: string, now: number): HeartbeatFailureResult {
  const p0 = s0.peers.get(peerId);
  if (!p0) return { state: s0, wentDown: false, primaryLost: false };
  const s = updatePeer(s0, { ...p0, lastHeartbeat: new Date(now), message, health: 0, memberState: 'DOWN' });
  const f = forgetPrimary(s, peerId);
  return { state: f.state, wentDown: p0.health === 1, primaryLost: f.changed };
}

/** Another member's heartbeat reached us (after any term update): note when, and its optime. */
export function applyHeartbeatReceived(s: ReplState, fromId: number, opTime: OpTime, now: number): ReplState {
  const p = s.peers.get(fromId);
  if (!p) return s;
  return updatePeer(s, { ...p, lastHeartbeatRecv: new Date(now), ...(opTimeCompare(opTime, p.opTime) > 0 ? { opTime } : {}) });
}

/** The reply to a heartbeat from a member whose config is {senderVersion, senderTerm}. */
export function heartbeatReply(s: ReplState, c: ReplSetConfig, setName: string, sender: { version: number; term: number }): Doc {
  const res: Doc = { ok: 1 };
  if (s.memberState === 'PRIMARY' && s.electionTime) res.electionTime = s.electionTime;
  res.set = setName;
  res.syncingTo = s.syncSource ?? '';
  res.state = MEMBER_STATE_CODE[s.memberState];
  res.term = Long.fromNumber(s.term);
  res.configVersion = c.version;
  res.configTerm = c.term;
  res.opTime = toWire(s.lastApplied);
  res.wallTime = s.lastAppliedWall;
  res.durableOpTime = toWire(s.lastApplied);
  res.durableWallTime = s.lastAppliedWall;
  res.commitPoint = toWire(s.commitPoint);
  if (isNewerConfig(c, sender)) res.config = configToDoc(c);
  return res;
}

/** The reply of a member without a config (replSetInitiate's quorum check reads configVersion -2 and hasData). */
export function uninitializedHeartbeatReply(setName: string, term: number, hasData: boolean): Doc {
  return { ok: 1, set: setName, state: MEMBER_STATE_CODE.STARTUP, term: Long.fromNumber(term), configVersion: -2, configTerm: -1, hasData };
}
