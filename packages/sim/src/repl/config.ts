/**
 * Replica set configuration: parsing, validation and defaults as replSetGetConfig shows
 * them, the majorities it implies, and the member's persisted documents
 * (`local.system.replset`, `local.replset.election`).
 */
import { Long, ObjectId } from 'bson';
import { CommandError } from '../errors.js';
import type { StorageEngine } from '../storage/engine.js';
import { isPlainObject, keyOf, toViewDoc, type Doc } from '../storage/values.js';
import { asNumber } from './optime.js';

export const InvalidReplicaSetConfig = 93;
export const NewReplicaSetConfigurationIncompatible = 103;

/** Faster than mongod (10000 / 2000) so that tests fail over quickly; see `--setParameter`. */
export const SIM_DEFAULT_ELECTION_TIMEOUT_MS = 1000;
export const SIM_DEFAULT_HEARTBEAT_INTERVAL_MS = 250;
export const MONGOD_DEFAULT_ELECTION_TIMEOUT_MS = 10000;
export const MONGOD_DEFAULT_HEARTBEAT_INTERVAL_MS = 2000;

export interface MemberConfig {
  readonly _id: number;
  readonly host: string;
  readonly arbiterOnly: boolean;
  readonly buildIndexes: boolean;
  readonly hidden: boolean;
  readonly priority: number;
  readonly tags: Record<string, string>;
  readonly secondaryDelaySecs: number;
  readonly votes: number;
}

export interface ReplSetConfig {
  readonly _id: string;
  readonly version: number;
  readonly term: number;
  readonly members: readonly MemberConfig[];
  readonly settings: {
    readonly chainingAllowed: boolean;
    readonly heartbeatIntervalMillis: number;
    readonly heartbeatTimeoutSecs: number;
    readonly electionTimeoutMillis: number;
    readonly catchUpTimeoutMillis: number;
    readonly catchUpTakeoverDelayMillis: number;
    readonly getLastErrorModes: Doc;
    readonly replicaSetId: ObjectId;
  };
}

export interface ConfigDefaults {
  electionTimeoutMillis: number;
  heartbeatIntervalMillis: number;
}

function bad(msg: string): never {
  throw new CommandError(InvalidReplicaSetConfig, msg);
}

/** Parses a user-supplied (or stored) config document; throws InvalidReplicaSetConfig (93). */
export function parseConfig(raw: unknown, defaults: ConfigDefaults, prev?: ReplSetConfig): ReplSetConfig {
  if (!isPlainObject(raw)) bad('replSet config must be an object');
  const typedSettings = isPlainObject(raw.settings) ? raw.settings : {};
  const d = toViewDoc(raw);
  if (typeof d._id !== 'string' || d._id === '') bad("Missing expected field \"_id\"");
  if (!Array.isArray(d.members) || d.members.length === 0) bad('Replica set configuration must contain at least one member');
  const version = d.version === undefined ? 1 : asNumber(d.version, Number.NaN);
  if (!Number.isInteger(version) || version < 1) bad(`version field value of ${String(d.version)} is out of range`);
  const term = d.term === undefined ? (prev?.term ?? 0) : asNumber(d.term, 0);
  const members: MemberConfig[] = [];
  const ids = new Set<number>();
  const hosts = new Set<string>();
  for (const m of d.members as unknown[]) {
    if (!isPlainObject(m)) bad('Elements in "members" array must be objects');
    const id = asNumber(m._id, Number.NaN);
    if (!Number.isInteger(id) || id < 0) bad(`_id field value of ${String(m._id)} is out of range.`);
    if (typeof m.host !== 'string' || m.host === '') bad('Missing expected field "host"');
    const host = m.host.includes(':') ? m.host : `${m.host}:27017`;
    if (ids.has(id)) bad(`Found two member configurations with same _id field, members.${members.length}._id == ${id}`);
    if (hosts.has(host.toLowerCase())) bad(`Found two member configurations with same host field, members.${members.length}.host == ${host}`);
    ids.add(id);
    hosts.add(host.toLowerCase());
    const arbiterOnly = m.arbiterOnly === true;
    const votes = m.votes === undefined ? 1 : asNumber(m.votes, Number.NaN);
    if (votes !== 0 && votes !== 1) bad(`votes field value is ${String(m.votes)} but must be 0 or 1`);
    const priority = m.priority === undefined ? (arbiterOnly ? 0 : 1) : asNumber(m.priority, Number.NaN);
    if (!(priority >= 0 && priority <= 1000)) bad(`priority field value of ${String(m.priority)} is out of range`);
    const hidden = m.hidden === true;
    const delay = asNumber(m.secondaryDelaySecs ?? m.slaveDelay ?? 0, 0);
    if (arbiterOnly && priority !== 0) bad('Arbiters must have priority 0');
    if (votes === 0 && priority !== 0) bad('priority must be 0 when non-voting (votes:0)');
    if (hidden && priority !== 0) bad('priority must be 0 when hidden=true');
    if (delay > 0 && priority !== 0) bad('priority must be 0 when secondaryDelaySecs is used');
    const tags: Record<string, string> = {};
    if (isPlainObject(m.tags)) {
      for (const [k, v] of Object.entries(m.tags)) {
        if (typeof v !== 'string') bad(`tags.${k} field has non-string value of type ${typeof v}`);
        tags[k] = v;
      }
    }
    members.push({ _id: id, host, arbiterOnly, buildIndexes: m.buildIndexes !== false, hidden, priority, tags, secondaryDelaySecs: delay, votes });
  }
  const voters = members.filter((m) => m.votes > 0).length;
  if (voters === 0) bad('Replica set configuration must contain at least one voting member');
  if (voters > 7) bad(`Replica set configuration contains ${voters} voting members, but must be at least 1 and no more than 7`);
  if (!members.some((m) => m.priority > 0 && !m.arbiterOnly)) bad('Replica set configuration must contain at least one non-arbiter member with priority > 0');
  const s = toViewDoc(typedSettings);
  const settings = {
    chainingAllowed: s.chainingAllowed !== false,
    heartbeatIntervalMillis: asNumber(s.heartbeatIntervalMillis, defaults.heartbeatIntervalMillis) || defaults.heartbeatIntervalMillis,
    heartbeatTimeoutSecs: asNumber(s.heartbeatTimeoutSecs, 10) || 10,
    electionTimeoutMillis: asNumber(s.electionTimeoutMillis, defaults.electionTimeoutMillis) || defaults.electionTimeoutMillis,
    catchUpTimeoutMillis: asNumber(s.catchUpTimeoutMillis, -1),
    catchUpTakeoverDelayMillis: asNumber(s.catchUpTakeoverDelayMillis, 30000),
    getLastErrorModes: isPlainObject(s.getLastErrorModes) ? s.getLastErrorModes : {},
    replicaSetId: typedSettings.replicaSetId instanceof ObjectId ? typedSettings.replicaSetId : (prev?.settings.replicaSetId ?? new ObjectId()),
  };
  return { _id: d._id, version, term, members, settings };
}

/** The config as replSetGetConfig / local.system.replset show it. */
export function configToDoc(c: ReplSetConfig): Doc {
  return {
    _id: c._id,
    version: c.version,
    term: c.term,
    members: c.members.map((m) => ({
      _id: m._id,
      host: m.host,
      arbiterOnly: m.arbiterOnly,
      buildIndexes: m.buildIndexes,
      hidden: m.hidden,
      priority: m.priority,
      tags: { ...m.tags },
      secondaryDelaySecs: Long.fromNumber(m.secondaryDelaySecs),
      votes: m.votes,
    })),
    protocolVersion: Long.fromNumber(1),
    writeConcernMajorityJournalDefault: true,
    settings: {
      chainingAllowed: c.settings.chainingAllowed,
      heartbeatIntervalMillis: c.settings.heartbeatIntervalMillis,
      heartbeatTimeoutSecs: c.settings.heartbeatTimeoutSecs,
      electionTimeoutMillis: c.settings.electionTimeoutMillis,
      catchUpTimeoutMillis: c.settings.catchUpTimeoutMillis,
      catchUpTakeoverDelayMillis: c.settings.catchUpTakeoverDelayMillis,
      getLastErrorModes: c.settings.getLastErrorModes,
      getLastErrorDefaults: { w: 1, wtimeout: 0 },
      replicaSetId: c.settings.replicaSetId,
    },
  };
}

export function votingMembers(c: ReplSetConfig): MemberConfig[] {
  return c.members.filter((m) => m.votes > 0);
}

export function majorityVoteCount(c: ReplSetConfig): number {
  return Math.floor(votingMembers(c).length / 2) + 1;
}

/** How many data-bearing members a w:'majority' write needs (mongod's writeMajorityCount). */
export function writeMajorityCount(c: ReplSetConfig): number {
  const dataVoters = c.members.filter((m) => m.votes > 0 && !m.arbiterOnly).length;
  return Math.min(majorityVoteCount(c), dataVoters);
}

export function isElectable(m: MemberConfig): boolean {
  return m.priority > 0 && !m.arbiterOnly && m.votes > 0 && !m.hidden && m.secondaryDelaySecs === 0;
}

/** Newer config: higher (term, version) as mongod's ConfigVersionAndTerm (term -1 = force). */
export function isNewerConfig(a: { version: number; term: number }, b: { version: number; term: number }): boolean {
  if (a.term === -1 || b.term === -1) return a.version > b.version;
  if (a.term !== b.term) return a.term > b.term;
  return a.version > b.version;
}

const REPLSET_COLL = 'system.replset';
const ELECTION_COLL = 'replset.election';

function upsertLocal(engine: StorageEngine, coll: string, doc: Doc): void {
  engine.ensureCollection('local', coll);
  const c = engine.getCollection('local', coll)!;
  if (c.docs.has(keyOf(doc._id))) engine.write({ op: 'u', ns: `local.${coll}`, o2: { _id: doc._id }, o: doc });
  else engine.write({ op: 'i', ns: `local.${coll}`, o: doc });
}

/** The config stored in local.system.replset (a document, not parsed yet). */
export function loadStoredConfig(engine: StorageEngine, setName: string): Doc | undefined {
  return engine.getCollection('local', REPLSET_COLL)?.docs.get(keyOf(setName))?.doc;
}

export function persistConfig(engine: StorageEngine, c: ReplSetConfig): void {
  upsertLocal(engine, REPLSET_COLL, configToDoc(c));
}

/** The term and vote stored in local.replset.election. */
export function loadStoredVote(engine: StorageEngine): { term: number; candidate: number } | undefined {
  const el = engine.getCollection('local', ELECTION_COLL)?.docs.get(keyOf('election'))?.doc;
  if (!el) return undefined;
  return { term: asNumber(el.term, -1), candidate: asNumber(el.candidateIndex, -1) };
}

/** Persists the term and this term's vote (-1: none), durably (a vote must survive a crash). */
export function persistVote(engine: StorageEngine, term: number, votedFor: { term: number; candidate: number }): void {
  upsertLocal(engine, ELECTION_COLL, { _id: 'election', term: Long.fromNumber(term), candidateIndex: Long.fromNumber(votedFor.term === term ? votedFor.candidate : -1) });
  engine.flush();
}
