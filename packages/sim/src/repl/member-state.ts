/**
 * A replica set member's state (mongod's MemberState) as a string union; the numbers
 * are only for the wire (`replSetGetStatus.myState`, `members[].state`, heartbeat
 * replies' `state`).
 */
export type MemberState =
  | 'STARTUP'
  | 'PRIMARY'
  | 'SECONDARY'
  | 'RECOVERING'
  | 'STARTUP2'
  | 'UNKNOWN'
  | 'ARBITER'
  | 'DOWN'
  | 'ROLLBACK'
  | 'REMOVED';

/** The wire numbers of each state (mongod's MemberState::MS). */
export const MEMBER_STATE_CODE: Readonly<Record<MemberState, number>> = Object.freeze({
  STARTUP: 0,
  PRIMARY: 1,
  SECONDARY: 2,
  RECOVERING: 3,
  STARTUP2: 5,
  UNKNOWN: 6,
  ARBITER: 7,
  DOWN: 8,
  ROLLBACK: 9,
  REMOVED: 10,
});

const BY_CODE = new Map<number, MemberState>(Object.entries(MEMBER_STATE_CODE).map(([k, v]) => [v, k as MemberState]));

/** A state from its wire number; a number mongod does not define reads as UNKNOWN. */
export function memberStateFromCode(code: number): MemberState {
  return BY_CODE.get(code) ?? 'UNKNOWN';
}

/** States in which a member pulls the oplog from a sync source. */
export const SYNCING_STATES: ReadonlySet<MemberState> = new Set<MemberState>(['SECONDARY', 'STARTUP2', 'RECOVERING', 'ROLLBACK']);

/** replSetGetStatus' `stateStr` of another member. */
export function memberStateString(s: MemberState): string {
  return s === 'DOWN' ? '(not reachable/healthy)' : s;
}
