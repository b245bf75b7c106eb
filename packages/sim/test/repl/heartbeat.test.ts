import { Long, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { applyHeartbeatFailure, applyHeartbeatReceived, applyHeartbeatReply, heartbeatReply, heartbeatRequest } from '../../src/repl/heartbeat.js';
import { MEMBER_STATE_CODE } from '../../src/repl/member-state.js';
import { toWire } from '../../src/repl/optime.js';
import { config, ot, peer, state } from './fixtures.js';

function reply(patch: Record<string, unknown>): Record<string, unknown> {
  return { ok: 1, state: MEMBER_STATE_CODE.SECONDARY, term: Long.fromNumber(2), configVersion: 1, configTerm: 0, opTime: toWire(ot(10, 2)), commitPoint: toWire(ot(9, 2)), ...patch };
}

describe('heartbeat replies', () => {
  it('record the peer (state, optime, ping, health) without touching anything else', () => {
    const s = state({ term: 2, memberState: 'SECONDARY', peers: [peer(1, { health: 0, memberState: 'DOWN', upSince: 0 })] });
    const r = applyHeartbeatReply(s, 1, reply({ syncingTo: 'h2:27017' }), 5000, 3);
    expect(r).toMatchObject({ termAdvanced: false, steppedDown: false, primaryChanged: false, primarySeen: false, config: undefined });
    expect(r.commitPoint).toEqual(ot(9, 2));
    expect(r.state.peers.get(1)).toMatchObject({ health: 1, memberState: 'SECONDARY', opTime: ot(10, 2), pingMs: 3, lastOk: 5000, upSince: 5000, syncSourceHost: 'h2:27017', message: '' });
    expect(s.peers.get(1)?.health).toBe(0); // the input is never modified
  });

  const rows: Array<{ name: string; memberState: 'PRIMARY' | 'SECONDARY'; primaryId?: number; peerState: number; peerTerm: number; primaryId_after: number | undefined; primaryChanged: boolean; primarySeen: boolean; term: number; steppedDown: boolean }> = [
    { name: 'a secondary learns the primary', memberState: 'SECONDARY', peerState: 1, peerTerm: 2, primaryId_after: 1, primaryChanged: true, primarySeen: true, term: 2, steppedDown: false },
    { name: 'the known primary again: not a change, still seen', memberState: 'SECONDARY', primaryId: 1, peerState: 1, peerTerm: 2, primaryId_after: 1, primaryChanged: false, primarySeen: true, term: 2, steppedDown: false },
    { name: 'the followed primary is a secondary now: forgotten', memberState: 'SECONDARY', primaryId: 1, peerState: 2, peerTerm: 2, primaryId_after: undefined, primaryChanged: true, primarySeen: false, term: 2, steppedDown: false },
    { name: 'a primary of an older term is not followed', memberState: 'SECONDARY', peerState: 1, peerTerm: 1, primaryId_after: undefined, primaryChanged: false, primarySeen: false, term: 2, steppedDown: false },
    { name: 'a primary sees a primary of a higher term: steps down and follows it', memberState: 'PRIMARY', primaryId: 0, peerState: 1, peerTerm: 3, primaryId_after: 1, primaryChanged: true, primarySeen: true, term: 3, steppedDown: true },
  ];
  it.each(rows)('$name', (r) => {
    const s = state({ term: 2, memberState: r.memberState, primaryId: r.primaryId, peers: [peer(1)] });
    const out = applyHeartbeatReply(s, 1, reply({ state: r.peerState, term: Long.fromNumber(r.peerTerm) }), 1000, 1);
    expect(out.state.primaryId).toBe(r.primaryId_after);
    expect(out.primaryChanged).toBe(r.primaryChanged);
    expect(out.primarySeen).toBe(r.primarySeen);
    expect(out.state.term).toBe(r.term);
    expect(out.steppedDown).toBe(r.steppedDown);
    expect(out.termAdvanced).toBe(r.term !== 2);
    if (r.primarySeen) expect(out.state.lastPrimaryContact).toBe(1000);
  });

  it('a failure marks the peer DOWN and forgets it as primary', () => {
    const s = state({ primaryId: 1, peers: [peer(1, { memberState: 'PRIMARY' })] });
    const r = applyHeartbeatFailure(s, 1, 'connection refused', 7000);
    expect(r).toMatchObject({ wentDown: true, primaryLost: true });
    expect(r.state.peers.get(1)).toMatchObject({ health: 0, memberState: 'DOWN', message: 'connection refused' });
    expect(r.state.primaryId).toBeUndefined();
    expect(applyHeartbeatFailure(r.state, 1, 'again', 8000)).toMatchObject({ wentDown: false, primaryLost: false });
  });

  it('a heartbeat received records when, and an optime only forward', () => {
    const s = state({ peers: [peer(1, { opTime: ot(10, 2) })] });
    expect(applyHeartbeatReceived(s, 1, ot(12, 2), 50).peers.get(1)).toMatchObject({ opTime: ot(12, 2), lastHeartbeatRecv: new Date(50) });
    expect(applyHeartbeatReceived(s, 1, ot(8, 2), 50).peers.get(1)?.opTime).toEqual(ot(10, 2));
    expect(applyHeartbeatReceived(s, 9, ot(12, 2), 50)).toBe(s);
  });
});

describe('heartbeat documents', () => {
  const c = config('SSS');
  it('the request carries our config only to a member that has an older one (or none)', () => {
    const s = state({ term: 4, lastApplied: ot(10, 4) });
    expect(heartbeatRequest(s, c, c.members[0]!, peer(1, { configVersion: -1 })).config).toBeDefined();
    expect(heartbeatRequest(s, c, c.members[0]!, peer(1, { configVersion: 1, configTerm: 0 })).config).toBeUndefined();
    expect(heartbeatRequest(s, c, c.members[0]!, peer(1, { configVersion: 1, configTerm: 0 }))).toMatchObject({ replSetHeartbeat: 'rs', fromId: 0, from: 'h0:27017', opTime: toWire(ot(10, 4)) });
  });

  it('the reply states our member state as its wire number, and the electionTime when primary', () => {
    const et = new Timestamp({ t: 5, i: 1 });
    const r = heartbeatReply(state({ memberState: 'PRIMARY', term: 4, electionTime: et }), c, 'rs', { version: 1, term: 0 });
    expect(r).toMatchObject({ ok: 1, set: 'rs', state: 1, electionTime: et });
    expect(r.config).toBeUndefined();
    expect(heartbeatReply(state({ memberState: 'SECONDARY' }), c, 'rs', { version: -2, term: -1 })).toMatchObject({ state: 2, config: { _id: 'rs' } });
  });
});
