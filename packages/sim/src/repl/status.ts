/**
 * What a replica set member reports about itself, built from its ReplState and config:
 * the topology fields of hello / isMaster and the replSetGetStatus document. Pure.
 */
import { Long, ObjectId } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import type { Doc } from '../storage/values.js';
import { majorityVoteCount, writeMajorityCount, type MemberConfig, type ReplSetConfig } from './config.js';
import { MEMBER_STATE_CODE, memberStateString, type MemberState } from './member-state.js';
import { electionIdForTerm, NULL_OPTIME, toWire } from './optime.js';
import { majorityOpTime, type ReplState } from './repl-state.js';

export interface StatusInput {
  readonly state: ReplState;
  readonly config: ReplSetConfig | undefined;
  readonly self: MemberConfig | undefined;
}

/** The host of the primary this member knows (itself when primary). */
export function primaryHost({ state, config, self }: StatusInput): string | undefined {
  if (state.memberState === 'PRIMARY') return self?.host;
  if (state.primaryId === undefined) return undefined;
  return config?.members.find((m) => m._id === state.primaryId)?.host;
}

function floorToSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** The topology fields of hello (`legacy`: isMaster's `ismaster`). */
export function helloFields(input: StatusInput, legacy: boolean): Doc {
  const { state: s, config: c, self } = input;
  const pk = legacy ? 'ismaster' : 'isWritablePrimary';
  if (!c || !self || s.memberState === 'REMOVED') {
    return { [pk]: false, secondary: false, info: 'Does not have a valid replica set config', isreplicaset: true };
  }
  const f: Doc = {};
  const visible = c.members.filter((m) => !m.hidden);
  f.hosts = visible.filter((m) => !m.arbiterOnly && m.priority > 0).map((m) => m.host);
  const passives = visible.filter((m) => !m.arbiterOnly && m.priority === 0).map((m) => m.host);
  if (passives.length) f.passives = passives;
  const arbiters = visible.filter((m) => m.arbiterOnly).map((m) => m.host);
  if (arbiters.length) f.arbiters = arbiters;
  f.setName = c._id;
  f.setVersion = c.version;
  f[pk] = s.memberState === 'PRIMARY';
  f.secondary = s.memberState === 'SECONDARY';
  const p = primaryHost(input);
  if (p) f.primary = p;
  if (self.arbiterOnly) f.arbiterOnly = true;
  if (!self.arbiterOnly && self.priority === 0) f.passive = true;
  if (self.hidden) f.hidden = true;
  if (self.secondaryDelaySecs > 0) f.secondaryDelaySecs = Long.fromNumber(self.secondaryDelaySecs);
  if (Object.keys(self.tags).length) f.tags = { ...self.tags };
  f.me = self.host;
  if (s.memberState === 'PRIMARY') f.electionId = new ObjectId(electionIdForTerm(s.term));
  if (!self.arbiterOnly) {
    f.lastWrite = {
      opTime: toWire(s.lastApplied),
      lastWriteDate: floorToSecond(s.lastAppliedWall),
      majorityOpTime: toWire(majorityOpTime(s)),
      majorityWriteDate: floorToSecond(s.commitWall),
    };
  }
  return f;
}

/** replSetGetStatus; NotYetInitialized (94) without a config, InvalidReplicaSetConfig (93) when removed. */
export function replSetGetStatus(input: StatusInput, startedAt: number, now: Date): Doc {
  const { state: s, config: c, self } = input;
  if (!c || !self) {
    if (s.memberState === 'REMOVED') throw new CommandError(ErrorCode.InvalidReplicaSetConfig, 'Our replica set config is invalid or we are not a member of it');
    throw new CommandError(ErrorCode.NotYetInitialized, 'no replset config has been received');
  }
  const nowMs = now.getTime();
  const idOf = (host: string | undefined): number => (host ? (c.members.find((x) => x.host === host)?._id ?? -1) : -1);
  const members: Doc[] = [];
  for (const m of c.members) {
    if (m._id === self._id) {
      const d: Doc = {
        _id: m._id,
        name: m.host,
        health: 1,
        state: MEMBER_STATE_CODE[s.memberState],
        stateStr: s.memberState,
        uptime: Math.floor((nowMs - startedAt) / 1000),
        optime: toWire(s.lastApplied),
        optimeDate: new Date(s.lastApplied.ts.t * 1000),
        lastAppliedWallTime: s.lastAppliedWall,
        lastDurableWallTime: s.lastAppliedWall,
        syncSourceHost: s.syncSource ?? '',
        syncSourceId: idOf(s.syncSource),
        infoMessage: '',
      };
      if (s.memberState === 'PRIMARY' && s.electionTime) {
        d.electionTime = s.electionTime;
        d.electionDate = s.electionDate ?? new Date(s.electionTime.t * 1000);
      }
      d.configVersion = c.version;
      d.configTerm = c.term;
      d.self = true;
      d.lastHeartbeatMessage = '';
      members.push(d);
      continue;
    }
    const p = s.peers.get(m._id);
    const st: MemberState = p ? (p.health === 1 ? p.memberState : 'DOWN') : 'UNKNOWN';
    const opTime = p?.opTime ?? NULL_OPTIME;
    const d: Doc = {
      _id: m._id,
      name: m.host,
      health: p?.health ?? 0,
      state: MEMBER_STATE_CODE[st],
      stateStr: memberStateString(st),
      uptime: p && p.health === 1 ? Math.floor((nowMs - p.upSince) / 1000) : 0,
      optime: toWire(opTime),
      optimeDurable: toWire(opTime),
      optimeDate: new Date(opTime.ts.t * 1000),
      optimeDurableDate: new Date(opTime.ts.t * 1000),
      lastAppliedWallTime: p?.wall ?? new Date(0),
      lastDurableWallTime: p?.wall ?? new Date(0),
      lastHeartbeat: p?.lastHeartbeat ?? new Date(0),
      lastHeartbeatRecv: p?.lastHeartbeatRecv ?? new Date(0),
      pingMs: Long.fromNumber(p?.pingMs ?? 0),
      lastHeartbeatMessage: p?.message ?? '',
      syncSourceHost: p?.syncSourceHost ?? '',
      syncSourceId: idOf(p?.syncSourceHost),
      infoMessage: '',
    };
    if (st === 'PRIMARY' && p?.electionTime) {
      d.electionTime = p.electionTime;
      d.electionDate = new Date(p.electionTime.t * 1000);
    }
    d.configVersion = p?.configVersion ?? -1;
    d.configTerm = p?.configTerm ?? -1;
    members.push(d);
  }
  return {
    set: c._id,
    date: now,
    myState: MEMBER_STATE_CODE[s.memberState],
    term: Long.fromNumber(s.term),
    syncSourceHost: s.syncSource ?? '',
    syncSourceId: idOf(s.syncSource),
    heartbeatIntervalMillis: Long.fromNumber(c.settings.heartbeatIntervalMillis),
    majorityVoteCount: majorityVoteCount(c),
    writeMajorityCount: writeMajorityCount(c),
    votingMembersCount: c.members.filter((m) => m.votes > 0).length,
    writableVotingMembersCount: c.members.filter((m) => m.votes > 0 && !m.arbiterOnly).length,
    optimes: {
      lastCommittedOpTime: toWire(s.commitPoint),
      lastCommittedWallTime: s.commitWall,
      readConcernMajorityOpTime: toWire(majorityOpTime(s)),
      appliedOpTime: toWire(s.lastApplied),
      durableOpTime: toWire(s.lastApplied),
      lastAppliedWallTime: s.lastAppliedWall,
      lastDurableWallTime: s.lastAppliedWall,
    },
    members,
  };
}
