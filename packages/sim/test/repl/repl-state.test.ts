import { describe, expect, it } from 'vitest';
import { NULL_OPTIME, type OpTime } from '../../src/repl/optime.js';
import {
  advanceCommitPoint,
  becomePrimary,
  chooseSyncSource,
  forgetPrimary,
  majorityOpTime,
  observePeerOpTime,
  observePrimary,
  observeTerm,
  primaryCommitCandidate,
  startCandidacy,
  stepDown,
  type PeerView,
} from '../../src/repl/repl-state.js';
import { config, ot, peer, state } from './fixtures.js';

describe('term', () => {
  const rows: Array<{ name: string; from: { term: number; memberState: 'PRIMARY' | 'SECONDARY' }; seen: number; term: number; advanced: boolean; steppedDown: boolean }> = [
    { name: 'a lower term is ignored', from: { term: 5, memberState: 'SECONDARY' }, seen: 4, term: 5, advanced: false, steppedDown: false },
    { name: 'the same term is ignored', from: { term: 5, memberState: 'PRIMARY' }, seen: 5, term: 5, advanced: false, steppedDown: false },
    { name: 'a secondary adopts a higher term', from: { term: 5, memberState: 'SECONDARY' }, seen: 7, term: 7, advanced: true, steppedDown: false },
    { name: 'a primary adopts a higher term and steps down', from: { term: 5, memberState: 'PRIMARY' }, seen: 6, term: 6, advanced: true, steppedDown: true },
  ];
  it.each(rows)('$name', (r) => {
    const s = state({ ...r.from, primaryId: r.from.memberState === 'PRIMARY' ? 0 : undefined });
    const out = observeTerm(s, r.seen, 1000);
    expect(out.state.term).toBe(r.term);
    expect(out.advanced).toBe(r.advanced);
    expect(out.steppedDown).toBe(r.steppedDown);
    expect(out.state.memberState).toBe(r.steppedDown ? 'SECONDARY' : r.from.memberState);
    if (r.steppedDown) expect(out.state.primaryId).toBeUndefined();
    expect(s.term).toBe(r.from.term); // the input is never modified
  });
});

describe('step up / step down', () => {
  it('a candidacy takes the next term and votes for itself; winning makes it primary of that term', () => {
    const s = startCandidacy(state({ term: 3, memberState: 'SECONDARY' }), 2);
    expect(s).toMatchObject({ term: 4, votedFor: { term: 4, candidate: 2 } });
    const p = becomePrimary(s, 2, ot(100, 4).ts, new Date(100_000));
    expect(p).toMatchObject({ memberState: 'PRIMARY', primaryId: 2, term: 4 });
    expect(p.electionTime).toEqual(ot(100, 4).ts);
  });

  it.each([
    { freezeMs: 0, frozenBefore: 0, frozenAfter: 0 },
    { freezeMs: 10_000, frozenBefore: 0, frozenAfter: 11_000 },
    { freezeMs: 10_000, frozenBefore: 50_000, frozenAfter: 50_000 },
  ])('stepDown (freeze $freezeMs ms, frozen until $frozenBefore) leaves frozenUntil at $frozenAfter', ({ freezeMs, frozenBefore, frozenAfter }) => {
    const s = state({ memberState: 'PRIMARY', primaryId: 0, electionTime: ot(1, 1).ts, frozenUntil: frozenBefore });
    const r = stepDown(s, 1000, freezeMs);
    expect(r.changed).toBe(true);
    expect(r.state).toMatchObject({ memberState: 'SECONDARY', primaryId: undefined, electionTime: undefined, frozenUntil: frozenAfter });
  });

  it('stepDown of a non-primary changes nothing', () => {
    const s = state({ memberState: 'SECONDARY' });
    expect(stepDown(s, 0, 1000)).toEqual({ state: s, changed: false });
  });

  it('observePrimary / forgetPrimary report whether the followed primary changed', () => {
    const s = state({ primaryId: 1 });
    expect(observePrimary(s, 1, 5).changed).toBe(false);
    expect(observePrimary(s, 1, 5).state.lastPrimaryContact).toBe(5);
    expect(observePrimary(s, 2, 5).changed).toBe(true);
    expect(forgetPrimary(s, 2).changed).toBe(false);
    expect(forgetPrimary(s, 1)).toMatchObject({ changed: true, state: { primaryId: undefined } });
  });
});

describe('commit point', () => {
  const rows: Array<{ name: string; from: OpTime; to: OpTime; advanced: boolean }> = [
    { name: 'moves forward in the same term', from: ot(10, 1), to: ot(11, 1), advanced: true },
    { name: 'moves to a higher term', from: ot(10, 1), to: ot(9, 2), advanced: true },
    { name: 'never moves back', from: ot(10, 2), to: ot(11, 1), advanced: false },
    { name: 'stays on the same optime', from: ot(10, 1), to: ot(10, 1), advanced: false },
    { name: 'from null', from: NULL_OPTIME, to: ot(1, 0), advanced: true },
  ];
  it.each(rows)('$name', ({ from, to, advanced }) => {
    const r = advanceCommitPoint(state({ commitPoint: from }), to, new Date(5));
    expect(r.changed).toBe(advanced);
    expect(r.state.commitPoint).toEqual(advanced ? to : from);
  });

  it('majorityOpTime is the commit point, capped at lastApplied', () => {
    expect(majorityOpTime(state({ commitPoint: ot(5, 1), lastApplied: ot(9, 1) }))).toEqual(ot(5, 1));
    expect(majorityOpTime(state({ commitPoint: ot(9, 1), lastApplied: ot(5, 1) }))).toEqual(ot(5, 1));
  });

  // The primary (member 0, term 2) commits what a write majority of data-bearing voters applied in its term.
  const primaryRows: Array<{ name: string; shape: string; self: OpTime; peers: Array<OpTime | undefined>; expect: OpTime | undefined }> = [
    { name: 'PSS: the second-highest position', shape: 'PSS', self: ot(30, 2), peers: [ot(20, 2), ot(10, 2)], expect: ot(20, 2) },
    { name: 'PSS: nobody caught up yet', shape: 'PSS', self: ot(30, 2), peers: [undefined, undefined], expect: undefined },
    { name: 'PSS: a majority position of an older term is not committed', shape: 'PSS', self: ot(30, 2), peers: [ot(20, 1), ot(10, 1)], expect: undefined },
    { name: 'PSA: the arbiter does not count; write majority is 2 data-bearing', shape: 'PSA', self: ot(30, 2), peers: [ot(25, 2), ot(40, 2)], expect: ot(25, 2) },
    { name: 'PSSSS: the third-highest', shape: 'PSSSS', self: ot(50, 2), peers: [ot(40, 2), ot(30, 2), ot(20, 2), ot(10, 2)], expect: ot(30, 2) },
    { name: 'PSN: a non-voter does not count', shape: 'PSN', self: ot(30, 2), peers: [ot(5, 2), ot(30, 2)], expect: ot(5, 2) },
  ];
  it.each(primaryRows)('$name', (r) => {
    const peers: PeerView[] = r.peers.map((o, i) => peer(i + 1, o ? { opTime: o } : {}));
    const s = state({ memberState: 'PRIMARY', term: 2, lastApplied: r.self, peers });
    expect(primaryCommitCandidate(s, config(r.shape), 0)).toEqual(r.expect);
  });

  it('a secondary has no commit candidate of its own', () => {
    expect(primaryCommitCandidate(state({ memberState: 'SECONDARY', term: 2, lastApplied: ot(1, 2), peers: [peer(1, { opTime: ot(1, 2) })] }), config('SS'), 0)).toBeUndefined();
  });

  it('an oplog fetch records a position (never backwards) and liveness', () => {
    const s = state({ peers: [peer(1, { opTime: ot(10, 1), lastOk: 0 })] });
    const fwd = observePeerOpTime(s, 1, ot(12, 1), 500);
    expect(fwd.changed).toBe(true);
    expect(fwd.state.peers.get(1)).toMatchObject({ opTime: ot(12, 1), lastOk: 500 });
    const back = observePeerOpTime(s, 1, ot(8, 1), 600);
    expect(back.changed).toBe(false);
    expect(back.state.peers.get(1)).toMatchObject({ opTime: ot(10, 1), lastOk: 600 });
    expect(observePeerOpTime(s, 9, ot(12, 1), 500).state).toBe(s);
  });
});

describe('sync source choice', () => {
  const me = ot(10, 1);
  const rows: Array<{ name: string; shape: string; primaryId?: number; peers: PeerView[]; oplogEmpty?: boolean; expect: number | undefined }> = [
    { name: 'the healthy primary first', shape: 'SPS', primaryId: 1, peers: [peer(1, { memberState: 'PRIMARY', opTime: ot(11, 1) }), peer(2, { opTime: ot(20, 1) })], expect: 1 },
    { name: 'the primary even when not ahead', shape: 'SPS', primaryId: 1, peers: [peer(1, { memberState: 'PRIMARY', opTime: me }), peer(2, { opTime: me })], expect: 1 },
    { name: 'an unhealthy primary: the secondary furthest ahead', shape: 'SPSS', primaryId: 1, peers: [peer(1, { health: 0, memberState: 'DOWN' }), peer(2, { opTime: ot(12, 1) }), peer(3, { opTime: ot(15, 1) })], expect: 3 },
    { name: 'nobody ahead: none', shape: 'SSS', peers: [peer(1, { opTime: me }), peer(2, { opTime: ot(9, 1) })], expect: undefined },
    { name: 'nobody ahead but our oplog is empty: any healthy data-bearing one', shape: 'SS', peers: [peer(1, { opTime: me })], oplogEmpty: true, expect: 1 },
    { name: 'never an arbiter', shape: 'SA', peers: [peer(1, { memberState: 'ARBITER', opTime: ot(99, 1) })], expect: undefined },
    { name: 'never a member in STARTUP2 or RECOVERING', shape: 'SSS', peers: [peer(1, { memberState: 'STARTUP2', opTime: ot(20, 1) }), peer(2, { memberState: 'RECOVERING', opTime: ot(20, 1) })], expect: undefined },
    { name: 'never an unhealthy one', shape: 'SS', peers: [peer(1, { health: 0, opTime: ot(20, 1) })], expect: undefined },
  ];
  it.each(rows)('$name', (r) => {
    const s = state({ memberState: 'SECONDARY', primaryId: r.primaryId, lastApplied: me, peers: r.peers });
    expect(chooseSyncSource(s, config(r.shape), r.oplogEmpty === true)?.id).toBe(r.expect);
  });
});
