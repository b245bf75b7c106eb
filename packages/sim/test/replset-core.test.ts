// Check 1 again with our own driver (@mongo-edge/core/node) against three mongod-sim processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, ReadPreference } from '@mongo-edge/core/node';
import { startCluster, type Cluster } from '../src/index.js';
import { until } from './until.js';


interface Started {
  commandName: string;
  address: string;
}

describe('three mongod-sim processes with @mongo-edge/core', () => {
  let cluster: Cluster;
  let client: MongoClient;
  const started: Started[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      members: 3,
      replSet: 'foo',
      memberOptions: [{ priority: 2, tags: { dc: 'east' } }, { tags: { dc: 'west' } }, { tags: { dc: 'east', rack: 'b' } }],
    });
    await until(async () => (await cluster.primary()).index === 0, 20000, 'the priority-2 member to be primary');
    client = new MongoClient(`mongodb://${cluster.members[0]!.host}/?replicaSet=foo`, { serverSelectionTimeoutMS: 15000, monitorCommands: true });
    client.on('commandStarted', (e: Started) => started.push(e));
    await client.connect();
  }, 60000);

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  const addressOf = async (rp: ReadPreference): Promise<string> => {
    started.length = 0;
    await client.db('app').collection('items', { readPreference: rp }).findOne({});
    return started.find((e) => e.commandName === 'find')!.address;
  };

  it('discovers from one seed, inserts and reads back', async () => {
    const coll = client.db('app').collection('items');
    await coll.insertOne({ _id: 1, v: 'a' });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, v: 'a' });
    await cluster.waitForSecondaries();
  });

  it('routes read preference modes and tag sets', async () => {
    const primary = cluster.members[0]!.host;
    const secondaries = [cluster.members[1]!.host, cluster.members[2]!.host];
    expect(await addressOf(ReadPreference.primary)).toBe(primary);
    expect(await addressOf(ReadPreference.primaryPreferred)).toBe(primary);
    for (let k = 0; k < 3; k++) expect(secondaries).toContain(await addressOf(ReadPreference.secondary));
    for (let k = 0; k < 3; k++) expect(secondaries).toContain(await addressOf(ReadPreference.secondaryPreferred));
    expect(cluster.members.map((m) => m.host)).toContain(await addressOf(ReadPreference.nearest));
    expect(await addressOf(new ReadPreference('secondary', [{ dc: 'west' }]))).toBe(cluster.members[1]!.host);
    expect(await addressOf(new ReadPreference('secondary', [{ rack: 'b' }]))).toBe(cluster.members[2]!.host);
  });

  it('kill -9 of the primary: new primary, later operations succeed; the old primary rejoins and catches up', async () => {
    const coll = client.db('app').collection('items');
    const old = await cluster.primary();
    await cluster.kill(old.index, 'SIGKILL');
    try {
      await coll.insertOne({ _id: 2 });
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
    }
    const np = await cluster.waitForPrimary({ exclude: old.index, timeoutMs: 15000 });
    await until(async () => {
      await coll.insertOne({ _id: 3 });
      return true;
    }, 20000, 'a write on the new primary');
    started.length = 0;
    expect(await coll.findOne({ _id: 3 })).toEqual({ _id: 3 });
    expect(started.find((e) => e.commandName === 'find')!.address).toBe(np.host);
    await cluster.restart(old.index);
    await cluster.waitForSecondaries({ timeoutMs: 30000 });
    const ids = async (i: number): Promise<string> =>
      JSON.stringify((await cluster.command(i, { find: 'items', $db: 'app', sort: { _id: 1 }, $readPreference: { mode: 'secondaryPreferred' } })).cursor.firstBatch);
    const want = await ids(np.index);
    await until(async () => (await ids(old.index)) === want, 20000, 'the old primary to catch up');
  });
});
