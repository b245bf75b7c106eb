import { describe, expect, it } from 'vitest';
import {
  canStand,
  caughtUpSecondary,
  decideVote,
  electionOutcome,
  electionTimerDelay,
  primaryAlive,
  priorityTakeoverDelay,
  seesMajority,
  takeoverStillWanted,
  type VoteRequest,
} from '../../src/repl/election.js';
import type { MemberConfig } from '../../src/repl/config.js';
import type { MemberState } from '../../src/repl/member-state.js';
import { config, ot, peer, state } from './fixtures.js';

describe('election outcome', () => {
  const rows: Array<[string, { votes: number; needed: number; pending: number; timedOut: boolean }, 'won' | 'lost' | 'pending']> = [
    ['a majority of votes wins', { votes: 2, needed: 2, pending: 1, timedOut: false }, 'won'],
    ['a majority wins even at the timeout', { votes: 3, needed: 2, pending: 0, timedOut: true }, 'won'],
    ['short of a majority with answers pending', { votes: 1, needed: 2, pending: 1, timedOut: false }, 'pending'],
    ['short of a majority, everybody answered', { votes: 1, needed: 2, pending: 0, timedOut: false }, 'lost'],
    ['short of a majority at the timeout', { votes: 1, needed: 3, pending: 2, timedOut: true }, 'lost'],
  ];
  it.each(rows)('%s', (_name, tally, outcome) => {
    expect(electionOutcome(tally)).toBe(outcome);
  });
});

describe('vote granting (replSetRequestVotes)', () => {
  const c = config('SSS');
  const mine = ot(100, 3);
  const base: VoteRequest = { setName: 'rs', dryRun: false, term: 4, candidateIndex: 1, configVersion: 1, configTerm: 0, lastAppliedOpTime: mine };
  const rows: Array<{ name: string; req: Partial<VoteRequest>; term?: number; votedFor?: { term: number; candidate: number }; memberState?: MemberState; granted: boolean; reason: RegExp; termAfter: number; voted: boolean; steppedDown?: boolean }> = [
    { name: 'grants a vote to an up-to-date candidate of a higher term', req: {}, granted: true, reason: /^$/, termAfter: 4, voted: true },
    { name: 'refuses another set name', req: { setName: 'other' }, granted: false, reason: /set name \(other\) differs from mine \(rs\)/, termAfter: 3, voted: false },
    { name: 'refuses a lower term', req: { term: 2 }, granted: false, reason: /term \(2\) is lower than mine \(3\)/, termAfter: 3, voted: false },
    { name: 'a dry run refuses the current term', req: { dryRun: true, term: 3 }, granted: false, reason: /lower than mine/, termAfter: 3, voted: false },
    { name: 'a dry run grants a higher term without adopting it or voting', req: { dryRun: true }, granted: true, reason: /^$/, termAfter: 3, voted: false },
    { name: 'refuses an older config (but adopts the term)', req: { configVersion: 0 }, granted: false, reason: /config with \{version: 0, term: 0\} is older than mine/, termAfter: 4, voted: false },
    { name: 'refuses a staler candidate (but adopts the term)', req: { lastAppliedOpTime: ot(99, 3) }, granted: false, reason: /candidate's data is staler than mine/, termAfter: 4, voted: false },
    { name: 'grants a candidate ahead of us', req: { lastAppliedOpTime: ot(101, 3) }, granted: true, reason: /^$/, termAfter: 4, voted: true },
    { name: 'one vote per term: refuses a second candidate', req: { candidateIndex: 2 }, votedFor: { term: 4, candidate: 1 }, term: 4, granted: false, reason: /already voted for another candidate \(h1:27017\) this term \(4\)/, termAfter: 4, voted: false },
    { name: 'one vote per term: the same candidate again is granted', req: {}, votedFor: { term: 4, candidate: 1 }, term: 4, granted: true, reason: /^$/, termAfter: 4, voted: true },
    { name: 'a primary seeing a higher term steps down (and votes)', req: {}, memberState: 'PRIMARY', granted: true, reason: /^$/, termAfter: 4, voted: true, steppedDown: true },
  ];
  it.each(rows)('$name', (r) => {
    const s = state({ term: r.term ?? 3, lastApplied: mine, memberState: r.memberState ?? 'SECONDARY', votedFor: r.votedFor ?? { term: -1, candidate: -1 }, primaryId: r.memberState === 'PRIMARY' ? 0 : undefined });
    const d = decideVote(s, c, { ...base, ...r.req }, 1000);
    expect(d.granted).toBe(r.granted);
    expect(d.reason).toMatch(r.reason);
    expect(d.state.term).toBe(r.termAfter);
    expect(d.voted).toBe(r.voted);
    expect(d.steppedDown).toBe(r.steppedDown === true);
    if (r.voted) expect(d.state.votedFor).toEqual({ term: base.term, candidate: r.req.candidateIndex ?? base.candidateIndex });
  });

  it('refuses everything without a config', () => {
    expect(decideVote(state(), undefined, base, 0)).toMatchObject({ granted: false, reason: 'not yet initialized', voted: false });
  });
});

describe('candidate eligibility', () => {
  const c = config('SSAN', [{}, { priority: 0 }]);
  const [electable, passive, arbiter, nonVoter] = c.members;
  const rows: Array<[string, Parameters<typeof canStand>, boolean]> = [
    ['an electable secondary with data', [state({ memberState: 'SECONDARY' }), electable, { hasOplog: true, now: 10 }], true],
    ['not without data', [state({ memberState: 'SECONDARY' }), electable, { hasOplog: false, now: 10 }], false],
    ['not when not SECONDARY', [state({ memberState: 'STARTUP2' }), electable, { hasOplog: true, now: 10 }], false],
    ['not with priority 0', [state({ memberState: 'SECONDARY' }), passive, { hasOplog: true, now: 10 }], false],
    ['not an arbiter', [state({ memberState: 'SECONDARY' }), arbiter, { hasOplog: true, now: 10 }], false],
    ['not a non-voter', [state({ memberState: 'SECONDARY' }), nonVoter, { hasOplog: true, now: 10 }], false],
    ['not when removed from the config', [state({ memberState: 'SECONDARY' }), undefined, { hasOplog: true, now: 10 }], false],
    ['not while frozen', [state({ memberState: 'SECONDARY', frozenUntil: 20 }), electable, { hasOplog: true, now: 10 }], false],
    ['frozen, but replSetStepUp ignores the freeze', [state({ memberState: 'SECONDARY', frozenUntil: 20 }), electable, { hasOplog: true, now: 10, ignoreFreeze: true }], true],
  ];
  it.each(rows)('%s', (_name, args, expected) => {
    expect(canStand(...args)).toBe(expected);
  });

  it('the election timer: timeout plus up to 15 %, never before the freeze ends; a primary heard from within the timeout is alive', () => {
    expect(electionTimerDelay(1000, 0, 0)).toBe(1000);
    expect(electionTimerDelay(1000, 0.999, 0)).toBe(1149);
    expect(electionTimerDelay(1000, 0.5, 5000)).toBe(5000);
    expect(primaryAlive(state({ primaryId: 1, lastPrimaryContact: 9500 }), 10_000, 1000)).toBe(true);
    expect(primaryAlive(state({ primaryId: 1, lastPrimaryContact: 8000 }), 10_000, 1000)).toBe(false);
    expect(primaryAlive(state({ primaryId: undefined, lastPrimaryContact: 9999 }), 10_000, 1000)).toBe(false);
  });
});

describe('priority takeover', () => {
  const c = config('SSS', [{ priority: 3 }, { priority: 2 }, { priority: 1 }]);
  const [high, mid, low] = c.members as [MemberConfig, MemberConfig, MemberConfig];
  const rows: Array<{ name: string; self: typeof high; primary: typeof high; mine: ReturnType<typeof ot>; theirs: ReturnType<typeof ot>; delay: number | undefined }> = [
    { name: 'the highest priority takes over after one election timeout', self: high, primary: low, mine: ot(100, 1), theirs: ot(101, 1), delay: 1000 },
    { name: 'the second highest waits two timeouts (one member ranks above it)', self: mid, primary: low, mine: ot(100, 1), theirs: ot(100, 1), delay: 2000 },
    { name: 'no takeover of a primary of higher priority', self: mid, primary: high, mine: ot(100, 1), theirs: ot(100, 1), delay: undefined },
    { name: 'no takeover of a primary of the same priority', self: low, primary: low, mine: ot(100, 1), theirs: ot(100, 1), delay: undefined },
    { name: 'no takeover when more than 2 s behind the primary', self: high, primary: low, mine: ot(100, 1), theirs: ot(103, 1), delay: undefined },
  ];
  it.each(rows)('$name', (r) => {
    const pv = peer(r.primary._id, { memberState: 'PRIMARY', opTime: r.theirs });
    expect(priorityTakeoverDelay(c, r.self, r.primary, state({ lastApplied: r.mine }), pv)).toBe(r.delay);
  });

  it('when the timer fires it still wants a lower-priority primary, and to be caught up with it', () => {
    const pv = peer(2, { memberState: 'PRIMARY', opTime: ot(100, 1) });
    expect(takeoverStillWanted(high, low, state({ lastApplied: ot(100, 1) }), pv)).toBe(true);
    expect(takeoverStillWanted(high, low, state({ lastApplied: ot(99, 1) }), pv)).toBe(false);
    expect(takeoverStillWanted(mid, high, state({ lastApplied: ot(100, 1) }), pv)).toBe(false);
    expect(takeoverStillWanted(high, undefined, state({ lastApplied: ot(100, 1) }), undefined)).toBe(false);
  });
});

describe('a primary keeps its majority', () => {
  const rows: Array<[string, string, number[], boolean]> = [
    ['PSS, both secondaries heard from', 'PSS', [900, 900], true],
    ['PSS, one secondary heard from', 'PSS', [900, 0], true],
    ['PSS, none heard from within the election timeout', 'PSS', [0, -1], false],
    ['PSA, the arbiter counts as a voter', 'PSA', [0, 900], true],
    ['PSN, a non-voter does not count', 'PSN', [0, 900], false],
  ];
  it.each(rows)('%s', (_name, shape, lastOk, expected) => {
    const peers = lastOk.map((t, i) => peer(i + 1, { lastOk: t }));
    expect(seesMajority(state({ memberState: 'PRIMARY', peers }), config(shape), 0, 1000)).toBe(expected);
  });
});

describe('replSetStepDown catch-up', () => {
  it('finds an electable, healthy secondary at the target optime', () => {
    const c = config('SSSH');
    const target = ot(50, 2);
    const s = state({
      peers: [peer(1, { opTime: ot(49, 2) }), peer(2, { health: 0, memberState: 'DOWN', opTime: target }), peer(3, { opTime: target })],
    });
    expect(caughtUpSecondary(s, c, target)).toBeUndefined(); // 1 is behind, 2 is down, 3 is hidden
    const s2 = state({ peers: [peer(1, { opTime: ot(51, 2) })] });
    expect(caughtUpSecondary(s2, c, target)?.id).toBe(1);
  });
});
