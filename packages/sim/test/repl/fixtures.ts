/** Builders for the repl unit tests: configs, optimes, states and peers. */
import { Timestamp } from 'bson';
import { parseConfig, type ReplSetConfig } from '../../src/repl/config.js';
import type { MemberState } from '../../src/repl/member-state.js';
import type { OpTime } from '../../src/repl/optime.js';
import { initialReplState, newPeerView, type PeerView, type ReplState } from '../../src/repl/repl-state.js';

export const DEFAULTS = { electionTimeoutMillis: 1000, heartbeatIntervalMillis: 250 };

/** A config of members described by letters: P/S = data-bearing voter, A = arbiter, N = non-voting, H = hidden. */
export function config(shape: string, extra: Array<Record<string, unknown>> = []): ReplSetConfig {
  const members = [...shape].map((k, i) => {
    const m: Record<string, unknown> = { _id: i, host: `h${i}:27017` };
    if (k === 'A') m.arbiterOnly = true;
    if (k === 'N') Object.assign(m, { votes: 0, priority: 0 });
    if (k === 'H') Object.assign(m, { hidden: true, priority: 0 });
    return { ...m, ...(extra[i] ?? {}) };
  });
  return parseConfig({ _id: 'rs', version: 1, members }, DEFAULTS);
}

export function ot(secs: number, term: number, i = 1): OpTime {
  return { ts: new Timestamp({ t: secs, i }), t: term };
}

export function peer(id: number, patch: Partial<PeerView> = {}): PeerView {
  return { ...newPeerView(id, `h${id}:27017`), health: 1, memberState: 'SECONDARY', lastOk: 0, ...patch };
}

export function state(patch: Partial<Omit<ReplState, 'peers'>> & { memberState?: MemberState; peers?: PeerView[] } = {}): ReplState {
  const { peers, ...rest } = patch;
  return { ...initialReplState(), ...rest, peers: new Map((peers ?? []).map((p) => [p.id, p])) };
}
