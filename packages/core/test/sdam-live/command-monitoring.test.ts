/**
 * Command monitoring through a MongoClient on a fake replica set: the events carry
 * the requestId of the wire message that carried the command (Command Logging and
 * Monitoring spec), and a throwing listener fails the operation the way Node's
 * EventEmitter (and so the official driver) would, without leaking the connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MongoClient } from '../../src/client/mongo-client.js';
import { TopologyExecutor } from '../../src/operation/topology-executor.js';
import { resolveClientOptions } from '../../src/uri/client-options.js';
import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent } from '../../src/operation/command-monitoring.js';
import { FakeCluster } from '../support/fake-cluster.js';

const A = 'a:27017';

let cluster: FakeCluster | undefined;
let client: MongoClient | undefined;
let executor: TopologyExecutor | undefined;

afterEach(async () => {
  await client?.close();
  await executor?.close();
  executor = undefined;
  cluster?.close();
  client = undefined;
  cluster = undefined;
});

function setup(): { cluster: FakeCluster; client: MongoClient } {
  cluster = new FakeCluster();
  client = new MongoClient('mongodb://a:27017/?replicaSet=rs&heartbeatFrequencyMS=10000&serverSelectionTimeoutMS=5000', {
    transport: cluster.net.transport(),
    monitorCommands: true,
  });
  return { cluster, client };
}

describe('command monitoring', () => {
  it('requestId of started, succeeded and failed is the wire requestId of the command', async () => {
    const { cluster, client } = setup();
    const started: CommandStartedEvent[] = [];
    const succeeded: CommandSucceededEvent[] = [];
    const failed: CommandFailedEvent[] = [];
    // Typed by MongoClientEvents: no annotation needed.
    client.on('commandStarted', (e) => started.push(e));
    client.on('commandSucceeded', (e) => succeeded.push(e));
    client.on('commandFailed', (e) => failed.push(e));
    const items = client.db('app').collection('items');
    await items.insertOne({ _id: 1 });
    await items.findOne({ _id: 1 });
    cluster.failCommand(A, 'delete', { kind: 'reply', reply: { ok: 0, code: 2, codeName: 'BadValue', errmsg: 'no' } });
    await expect(items.deleteOne({ _id: 1 })).rejects.toThrow('no');

    const onWire = ['insert', 'find', 'delete'].map((name) => cluster.commandsNamed(name)[0]!);
    expect(started.map((e) => e.commandName)).toEqual(['insert', 'find', 'delete']);
    expect(started.map((e) => e.requestId)).toEqual(onWire.map((c) => c.requestId));
    expect(succeeded.map((e) => [e.commandName, e.requestId])).toEqual([
      ['insert', onWire[0]!.requestId],
      ['find', onWire[1]!.requestId],
    ]);
    expect(failed.map((e) => [e.commandName, e.requestId])).toEqual([['delete', onWire[2]!.requestId]]);
    // Distinct messages, distinct ids.
    expect(new Set(started.map((e) => e.requestId)).size).toBe(3);
  });

  it('a throwing commandStarted listener fails the operation with its error; the connection goes back to the pool', async () => {
    const { cluster, client } = setup();
    await client.connect();
    let checkedOut = 0;
    let checkedIn = 0;
    client.on('connectionCheckedOut', () => checkedOut++);
    client.on('connectionCheckedIn', () => checkedIn++);
    const boom = new Error('listener bug');
    const throwing = (): void => {
      throw boom;
    };
    client.on('commandStarted', throwing);
    const items = client.db('app').collection('items');
    await expect(items.insertOne({ _id: 1 })).rejects.toBe(boom);
    // The command was never sent, and the connection was checked in.
    expect(cluster.commandsNamed('insert')).toHaveLength(0);
    expect(checkedOut).toBeGreaterThan(0);
    expect(checkedIn).toBe(checkedOut);
    // off() works for the typed events: the next operation goes through.
    client.off('commandStarted', throwing);
    await items.insertOne({ _id: 2 });
    expect(cluster.commandsNamed('insert').map((c) => c.sequences.documents)).toEqual([[{ _id: 2 }]]);
    expect(checkedIn).toBe(checkedOut);
  });
});

describe('listeners of SDAM and CMAP events', () => {
  it('a throwing listener does not interrupt the topology or a pool; its error is reported', async () => {
    cluster = new FakeCluster();
    const reported: unknown[] = [];
    const seen: string[] = [];
    const throwsOn = new Set(['serverOpening', 'topologyDescriptionChanged', 'serverHeartbeatSucceeded', 'connectionCreated', 'connectionCheckedIn']);
    executor = new TopologyExecutor({
      options: resolveClientOptions('mongodb://a:27017/?replicaSet=rs', { heartbeatFrequencyMS: 10_000, serverSelectionTimeoutMS: 5_000 }),
      transport: cluster.net.transport(),
      emit: (name) => {
        seen.push(name);
        if (throwsOn.has(name)) throw new Error(`listener of ${name}`);
      },
      reportListenerError: (error) => reported.push(error),
    });
    // Discovery, selection, check-out and check-in all complete despite the listeners.
    await executor.connect();
    const first = await executor.execute('app', { insert: 'items' }, { retryable: 'write', sequences: { documents: [{ _id: 1 }] } });
    const second = await executor.execute('app', { insert: 'items' }, { retryable: 'write', sequences: { documents: [{ _id: 2 }] } });
    expect(first.reply.n).toBe(1);
    expect(second.reply.n).toBe(1);
    expect(executor.description?.type).toBe('ReplicaSetWithPrimary');
    // Both inserts used the one pooled connection: the first was checked in.
    expect(seen.filter((n) => n === 'connectionCreated')).toHaveLength(1);
    expect(seen.filter((n) => n === 'connectionCheckedIn')).toHaveLength(2);
    const messages = reported.map((e) => (e as Error).message);
    for (const name of throwsOn) expect(messages).toContain(`listener of ${name}`);
  });
});
