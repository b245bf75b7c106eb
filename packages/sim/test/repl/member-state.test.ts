import { describe, expect, it } from 'vitest';
import { MEMBER_STATE_CODE, memberStateFromCode, memberStateString, SYNCING_STATES, type MemberState } from '../../src/repl/member-state.js';

// mongod's MemberState numbers (src/mongo/db/repl/member_state.h).
const TABLE: Array<[MemberState, number]> = [
  ['STARTUP', 0],
  ['PRIMARY', 1],
  ['SECONDARY', 2],
  ['RECOVERING', 3],
  ['STARTUP2', 5],
  ['UNKNOWN', 6],
  ['ARBITER', 7],
  ['DOWN', 8],
  ['ROLLBACK', 9],
  ['REMOVED', 10],
];

describe('member state codes', () => {
  it.each(TABLE)('%s is %i on the wire, and back', (name, code) => {
    expect(MEMBER_STATE_CODE[name]).toBe(code);
    expect(memberStateFromCode(code)).toBe(name);
  });

  it('covers every state once', () => {
    expect(Object.keys(MEMBER_STATE_CODE).sort()).toEqual(TABLE.map(([n]) => n).sort());
  });

  it.each([4, 11, -1, 99])('an undefined code %i reads as UNKNOWN', (code) => {
    expect(memberStateFromCode(code)).toBe('UNKNOWN');
  });

  it('DOWN reads as "(not reachable/healthy)" in replSetGetStatus; members sync in SECONDARY, STARTUP2, RECOVERING, ROLLBACK', () => {
    expect(memberStateString('DOWN')).toBe('(not reachable/healthy)');
    expect(memberStateString('SECONDARY')).toBe('SECONDARY');
    expect([...SYNCING_STATES].sort()).toEqual(['RECOVERING', 'ROLLBACK', 'SECONDARY', 'STARTUP2']);
  });
});
