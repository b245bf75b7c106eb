/** decorateCommand from a table: which fields one attempt adds, and when. */
import { Binary, Long, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import type { Document } from '../errors.js';
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import { ReadPreference } from '../selection/read-preference.js';
import { makeServerDescription, makeTopologyDescription } from '../../test/support/selection-fixtures.js';
import type { ClusterTime } from './cluster-time.js';
import { decorateCommand, type DecorateCommandInput } from './decorate-command.js';
import type { ExecutorSession } from './executor.js';

const ct = (t: number): ClusterTime => ({ clusterTime: new Timestamp({ t, i: 0 }) });

/** A session that counts lsid reads (each read checks out a server session in ClientSession). */
function session(clusterTime?: ClusterTime): ExecutorSession & { idReads: number } {
  const lsid = { id: new Binary(new Uint8Array(16), 4) };
  return {
    idReads: 0,
    get id() {
      this.idReads++;
      return lsid;
    },
    txnNumber: Long.fromNumber(1),
    incrementTransactionNumber: () => undefined,
    clusterTime,
    observeReply: () => undefined,
    markDirty: () => undefined,
  };
}

const primary = makeServerDescription({ address: 'a:27017', type: ServerType.RSPrimary });
const secondary = makeServerDescription({ address: 'b:27017', type: ServerType.RSSecondary });
const standalone = makeServerDescription({ address: 'a:27017', type: ServerType.Standalone });
const mongos = makeServerDescription({ address: 'm:27017', type: ServerType.Mongos });
const noSessions = makeServerDescription({ address: 'a:27017', type: ServerType.RSPrimary, logicalSessionTimeoutMinutes: null });
const lb = makeServerDescription({ address: 'lb:27017', type: ServerType.LoadBalancer, logicalSessionTimeoutMinutes: null });
const rs = makeTopologyDescription(TopologyType.ReplicaSetWithPrimary, [primary, secondary]);

interface Row {
  readonly name: string;
  readonly topology?: TopologyDescription;
  readonly server?: ServerDescription;
  readonly command?: Document;
  readonly options?: DecorateCommandInput['options'];
  readonly txnNumber?: unknown;
  readonly clusterTime?: ClusterTime;
  readonly serverApi?: DecorateCommandInput['serverApi'];
  /** The fields added to the command (beyond the command itself). */
  readonly added: Document;
  /** Fields of the command that are not sent. */
  readonly removed?: readonly string[];
}

const T7 = Long.fromNumber(7);
const txnCommand = { insert: 'c', readConcern: { level: 'local' }, writeConcern: { w: 1 } };

const s1 = session();
const rows: Row[] = [
  { name: 'nothing to add: a write without session on a replica set', options: { retryable: 'write' }, added: {} },
  { name: 'lsid when the server supports sessions', options: { session: s1, retryable: 'write' }, added: { lsid: s1.id } },
  { name: 'no lsid when the server does not support sessions', server: noSessions, options: { session: session(), retryable: 'write' }, added: {} },
  {
    name: 'lsid on a load balancer even without logicalSessionTimeoutMinutes',
    topology: makeTopologyDescription(TopologyType.LoadBalanced, [lb]),
    server: lb,
    options: { session: s1, retryable: 'write' },
    added: { lsid: s1.id },
  },
  { name: 'no lsid on an unacknowledged write', options: { session: session(), retryable: 'write', moreToCome: true }, added: {} },
  { name: 'rawData to a server 8.2+ (wire version 27)', server: { ...primary, maxWireVersion: 27 }, options: { retryable: 'write', rawData: true }, added: { rawData: true } },
  { name: 'no rawData before 8.2', server: { ...primary, maxWireVersion: 26 }, options: { retryable: 'write', rawData: true }, added: {} },
  { name: 'txnNumber when given', options: { retryable: 'write' }, txnNumber: Long.fromNumber(7), added: { txnNumber: Long.fromNumber(7) } },
  { name: "the client's $clusterTime", options: { retryable: 'write' }, clusterTime: ct(5), added: { $clusterTime: ct(5) } },
  {
    name: "the session's $clusterTime when it is later",
    options: { retryable: 'write', session: session(ct(9)) },
    server: noSessions,
    clusterTime: ct(5),
    added: { $clusterTime: ct(9) },
  },
  {
    name: 'no $clusterTime to a standalone',
    topology: makeTopologyDescription(TopologyType.Single, [standalone]),
    server: standalone,
    options: { retryable: 'write' },
    clusterTime: ct(5),
    added: {},
  },
  { name: 'no $readPreference for a primary read on a replica set', options: { retryable: 'read' }, added: {} },
  {
    name: '$readPreference for a secondary read',
    server: secondary,
    options: { retryable: 'read', readPreference: ReadPreference.secondary },
    added: { $readPreference: { mode: 'secondary' } },
  },
  {
    name: 'primaryPreferred on a direct connection to a secondary',
    topology: makeTopologyDescription(TopologyType.Single, [secondary]),
    server: secondary,
    options: { retryable: 'read' },
    added: { $readPreference: { mode: 'primaryPreferred' } },
  },
  {
    name: 'a getMore pinned to a secondary keeps its read preference',
    server: secondary,
    command: { getMore: Long.fromNumber(1), collection: 'c' },
    options: { pinnedServer: 'b:27017', readPreference: ReadPreference.secondary },
    added: { $readPreference: { mode: 'secondary' } },
  },
  {
    name: 'a pinned command without read preference sends none',
    topology: makeTopologyDescription(TopologyType.Sharded, [mongos]),
    server: mongos,
    options: { pinnedServer: 'm:27017' },
    added: {},
  },
  {
    name: 'Stable API fields',
    options: { retryable: 'write' },
    serverApi: { version: '1', strict: true, deprecationErrors: false },
    added: { apiVersion: '1', apiStrict: true, apiDeprecationErrors: false },
  },
  { name: 'Stable API version only', options: { retryable: 'write' }, serverApi: { version: '1' }, added: { apiVersion: '1' } },
  {
    name: 'Stable API fields on getMore too',
    command: { getMore: Long.fromNumber(1), collection: 'c' },
    options: { pinnedServer: 'a:27017' },
    serverApi: { version: '1', strict: true },
    added: { apiVersion: '1', apiStrict: true },
  },
  {
    name: 'transaction, first statement: txnNumber, startTransaction, autocommit, its readConcern; no writeConcern',
    command: txnCommand,
    options: { session: s1, retryable: 'write', transaction: { kind: 'start', txnNumber: T7, readConcern: { level: 'snapshot', afterClusterTime: new Timestamp({ t: 3, i: 1 }) } } },
    added: { lsid: s1.id, txnNumber: T7, startTransaction: true, autocommit: false, readConcern: { level: 'snapshot', afterClusterTime: new Timestamp({ t: 3, i: 1 }) } },
    removed: ['writeConcern'],
  },
  {
    name: 'transaction, first statement without a readConcern: none sent, not even the operation\'s',
    command: txnCommand,
    options: { session: s1, retryable: 'write', transaction: { kind: 'start', txnNumber: T7 } },
    added: { lsid: s1.id, txnNumber: T7, startTransaction: true, autocommit: false },
    removed: ['writeConcern', 'readConcern'],
  },
  {
    name: 'transaction, later statement: txnNumber and autocommit only (no readConcern, writeConcern, startTransaction)',
    command: txnCommand,
    options: { session: s1, retryable: 'read', transaction: { kind: 'continue', txnNumber: T7, readConcern: { level: 'majority' } } },
    added: { lsid: s1.id, txnNumber: T7, autocommit: false },
    removed: ['writeConcern', 'readConcern'],
  },
  {
    name: 'commitTransaction keeps its writeConcern',
    command: { commitTransaction: 1, writeConcern: { w: 'majority', wtimeout: 10000 } },
    options: { session: s1, transaction: { kind: 'end', txnNumber: T7 } },
    added: { lsid: s1.id, txnNumber: T7, autocommit: false },
  },
];

describe('decorateCommand', () => {
  it.each(rows)('$name', (row) => {
    const command = row.command ?? { insert: 'c' };
    const before = { ...command };
    const out = decorateCommand({
      command,
      topology: row.topology ?? rs,
      server: row.server ?? primary,
      options: row.options ?? {},
      txnNumber: row.txnNumber,
      clusterTime: row.clusterTime,
      serverApi: row.serverApi,
    });
    const expected: Document = { ...command };
    for (const k of row.removed ?? []) delete expected[k];
    expect(out).toEqual({ ...expected, ...row.added });
    // The command comes first (its name is the first key) and is not modified.
    expect(Object.keys(out)[0]).toBe(Object.keys(command)[0]);
    expect(command).toEqual(before);
  });

  it('reads session.id only when the lsid is sent (reading it checks a server session out)', () => {
    const unsent = session();
    decorateCommand({ command: { ping: 1 }, topology: rs, server: noSessions, options: { session: unsent }, txnNumber: undefined, clusterTime: undefined, serverApi: undefined });
    decorateCommand({ command: { insert: 'c' }, topology: rs, server: primary, options: { session: unsent, moreToCome: true }, txnNumber: undefined, clusterTime: undefined, serverApi: undefined });
    expect(unsent.idReads).toBe(0);
    const sent = session();
    decorateCommand({ command: { ping: 1 }, topology: rs, server: primary, options: { session: sent }, txnNumber: undefined, clusterTime: undefined, serverApi: undefined });
    expect(sent.idReads).toBe(1);
  });
});
