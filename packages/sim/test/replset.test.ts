// Replica sets: three separate mongod-sim processes, the official `mongodb` driver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, MongoWriteConcernError, ObjectId, ReadPreference, type CommandStartedEvent } from 'mongodb';
import { startCluster, startSim, type Cluster, type SimHandle } from '../src/index.js';
import { until } from './until.js';


describe('an uninitiated --replSet member, then a one-member set', () => {
  let sim: SimHandle;
  let client: MongoClient;
  beforeAll(async () => {
    sim = await startSim({ port: 0, replSet: 'solo' });
    client = new MongoClient(sim.uri, { directConnection: true, serverSelectionTimeoutMS: 5000 });
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  it('answers hello like an uninitiated mongod and refuses reads and writes', async () => {
    const h = await client.db('admin').command({ hello: 1 });
    expect(h).toMatchObject({ isWritablePrimary: false, secondary: false, isreplicaset: true, info: 'Does not have a valid replica set config' });
    expect(h.setName).toBeUndefined();
    const legacy = await client.db('admin').command({ isMaster: 1 });
    expect(legacy.ismaster).toBe(false);
    await expect(client.db('t').collection('c').insertOne({ a: 1 })).rejects.toMatchObject({ code: 10107, codeName: 'NotWritablePrimary' });
    await expect(client.db('t').collection('c').findOne()).rejects.toMatchObject({ code: 13436, codeName: 'NotPrimaryOrSecondary' });
    await expect(client.db('admin').command({ replSetGetStatus: 1 })).rejects.toMatchObject({ code: 94, codeName: 'NotYetInitialized' });
    await expect(client.db('admin').command({ replSetInitiate: { _id: 'other', members: [{ _id: 0, host: sim.address }] } })).rejects.toMatchObject({ code: 93 });
  });

  it('replSetInitiate without a config makes a one-member set that elects itself', async () => {
    const r = await client.db('admin').command({ replSetInitiate: 1 });
    expect(r.ok).toBe(1);
    expect(r.info2).toBe('no configuration specified. Using a default configuration for the set');
    expect(typeof r.me).toBe('string');
    await until(async () => (await client.db('admin').command({ hello: 1 })).isWritablePrimary === true, 10000, 'primary');
    const h = await client.db('admin').command({ hello: 1 });
    expect(h).toMatchObject({ setName: 'solo', setVersion: 1, secondary: false, me: r.me, primary: r.me, hosts: [r.me] });
    expect((h.electionId as ObjectId).toHexString()).toBe('7fffffff0000000000000001');
    expect(h.lastWrite.lastWriteDate).toBeInstanceOf(Date);
    await expect(client.db('admin').command({ replSetInitiate: 1 })).rejects.toMatchObject({ code: 23, codeName: 'AlreadyInitialized' });
    await client.db('t').collection('c').insertOne({ _id: 1 as never });
    const entries = await client.db('local').collection('oplog.rs').find({ op: 'i' }).toArray();
    expect(entries.at(-1)).toMatchObject({ op: 'i', ns: 't.c', o: { _id: 1 }, v: 2, t: 1 });
    expect(entries.at(-1)!._id).toBeUndefined();
    // a lone primary has no electable secondary to hand over to
    await expect(client.db('admin').command({ replSetStepDown: 5, secondaryCatchUpPeriodSecs: 1 })).rejects.toMatchObject({ code: 262, codeName: 'ExceededTimeLimit' });
  });
});

describe('three mongod-sim processes with the official driver', () => {
  let cluster: Cluster;
  let client: MongoClient;
  const started: CommandStartedEvent[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      members: 3,
      replSet: 'foo',
      memberOptions: [{ priority: 2, tags: { dc: 'east', rack: 'a' } }, { tags: { dc: 'west' } }, { tags: { dc: 'east', rack: 'b' } }],
    });
    // Discover everything from one seed.
    client = new MongoClient(`mongodb://${cluster.members[0]!.host}/?replicaSet=foo`, { serverSelectionTimeoutMS: 15000, monitorCommands: true, heartbeatFrequencyMS: 500 });
    client.on('commandStarted', (e) => started.push(e));
    await client.connect();
    await until(async () => (await cluster.primary()).index === 0, 20000, 'the priority-2 member to be primary');
    await cluster.waitForSecondaries();
  }, 60000);

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('hello, replSetGetStatus and replSetGetConfig describe the set', async () => {
    const h = await client.db('admin').command({ hello: 1 });
    expect(h).toMatchObject({ isWritablePrimary: true, secondary: false, setName: 'foo', setVersion: 1, me: cluster.members[0]!.host, primary: cluster.members[0]!.host, tags: { dc: 'east', rack: 'a' } });
    expect([...h.hosts].sort()).toEqual(cluster.members.map((m) => m.host).sort());
    expect(h.electionId).toBeInstanceOf(ObjectId);
    expect(h.lastWrite.opTime.ts).toBeDefined();
    expect(h.$clusterTime.clusterTime).toBeDefined();
    await until(async () => {
      const s = await client.db('admin').command({ replSetGetStatus: 1 });
      return s.members.every((m: { self?: boolean; syncSourceHost: string }) => m.self || m.syncSourceHost === cluster.members[0]!.host);
    }, 10000, 'secondaries to sync from the primary');
    const st = await client.db('admin').command({ replSetGetStatus: 1 });
    expect(st.set).toBe('foo');
    expect(st.myState).toBe(1);
    const states = st.members.map((m: { stateStr: string }) => m.stateStr).sort();
    expect(states).toEqual(['PRIMARY', 'SECONDARY', 'SECONDARY']);
    const self = st.members.find((m: { self?: boolean }) => m.self);
    expect(self).toMatchObject({ name: cluster.members[0]!.host, health: 1, state: 1, stateStr: 'PRIMARY' });
    expect(self.electionDate).toBeInstanceOf(Date);
    for (const m of st.members.filter((x: { self?: boolean }) => !x.self)) {
      expect(m).toMatchObject({ health: 1, state: 2, syncSourceHost: cluster.members[0]!.host });
      expect(m.lastHeartbeat).toBeInstanceOf(Date);
    }
    const cfg = (await client.db('admin').command({ replSetGetConfig: 1 })).config;
    expect(cfg).toMatchObject({ _id: 'foo', version: 1, settings: { electionTimeoutMillis: 1000, heartbeatIntervalMillis: 250 } });
    expect(cfg.members[1]).toMatchObject({ _id: 1, host: cluster.members[1]!.host, priority: 1, votes: 1, hidden: false, arbiterOnly: false, tags: { dc: 'west' } });
  });

  it('inserts and reads back; local.oplog.rs has the entries; secondaries apply them', async () => {
    const coll = client.db('app').collection<{ _id: number; v: string }>('items');
    await coll.insertMany([
      { _id: 1, v: 'a' },
      { _id: 2, v: 'b' },
    ]);
    await coll.updateOne({ _id: 2 }, { $set: { v: 'B' } });
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, v: 'a' },
      { _id: 2, v: 'B' },
    ]);
    const ops = await client.db('local').collection('oplog.rs').find({ ns: 'app.items' }).toArray();
    expect(ops.map((o) => o.op)).toEqual(['i', 'i', 'u']);
    expect(ops[0]).toMatchObject({ lsid: expect.anything(), stmtId: 0, v: 2 });
    await coll.insertOne({ _id: 3, v: 'c' }, { writeConcern: { w: 3 } });
    for (const i of [1, 2]) {
      const r = await cluster.command(i, { find: 'items', $db: 'app', sort: { _id: 1 }, $readPreference: { mode: 'secondaryPreferred' } });
      expect(r.cursor.firstBatch.map((d: { _id: number }) => d._id)).toEqual([1, 2, 3]);
    }
  });

  it('secondaries refuse reads without secondaryOk and writes with NotWritablePrimary', async () => {
    await expect(cluster.command(1, { find: 'items', $db: 'app' })).rejects.toMatchObject({ reply: { code: 13435, codeName: 'NotPrimaryNoSecondaryOk', errmsg: 'not primary and secondaryOk=false' } });
    await expect(cluster.command(1, { insert: 'items', $db: 'app', documents: [{ _id: 99 }] })).rejects.toMatchObject({ reply: { code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' } });
    await expect(client.db('app').collection('items').insertOne({ _id: 9 as never }, { writeConcern: { w: 7 } })).rejects.toMatchObject({ code: 100 });
  });

  it('routes each read preference mode, and tag sets pick the tagged member', async () => {
    const primary = cluster.members[0]!.host;
    const secondaries = [cluster.members[1]!.host, cluster.members[2]!.host];
    const addressOf = async (rp: ReadPreference): Promise<string> => {
      started.length = 0;
      await client.db('app').collection('items', { readPreference: rp }).findOne({});
      const ev = started.find((e) => e.commandName === 'find');
      return ev!.address;
    };
    expect(await addressOf(ReadPreference.primary)).toBe(primary);
    expect(await addressOf(ReadPreference.primaryPreferred)).toBe(primary);
    for (let k = 0; k < 4; k++) expect(secondaries).toContain(await addressOf(ReadPreference.secondary));
    for (let k = 0; k < 4; k++) expect(secondaries).toContain(await addressOf(ReadPreference.secondaryPreferred));
    expect(cluster.members.map((m) => m.host)).toContain(await addressOf(ReadPreference.nearest));
    expect(await addressOf(new ReadPreference('secondary', [{ dc: 'west' }]))).toBe(cluster.members[1]!.host);
    expect(await addressOf(new ReadPreference('secondary', [{ rack: 'b' }]))).toBe(cluster.members[2]!.host);
    expect(await addressOf(new ReadPreference('nearest', [{ rack: 'a' }]))).toBe(primary);
    expect(await addressOf(new ReadPreference('secondaryPreferred', [{ dc: 'mars' }, {}]))).not.toBe(primary);
  });

  it('failCommand works on members; a retried write that already applied is not applied twice', async () => {
    const coll = client.db('app').collection('retry');
    await client.db('admin').command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['insert'], writeConcernError: { code: 91, codeName: 'ShutdownInProgress', errmsg: 'Replication is being shut down' }, errorLabels: ['RetryableWriteError'] },
    });
    await coll.insertOne({ _id: 'once' as never });
    expect(await coll.countDocuments({ _id: 'once' as never })).toBe(1);
    const entries = await client.db('local').collection('oplog.rs').find({ ns: 'app.retry', op: 'i' }).toArray();
    expect(entries).toHaveLength(1);
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], errorCode: 10107 } });
    expect(await coll.findOne({ _id: 'once' as never })).toEqual({ _id: 'once' });
  });

  it('kill -9 of the primary: a new primary is elected, later operations succeed on it; wtimeout with a member down', async () => {
    const coll = client.db('app').collection<{ _id: number; v?: string }>('items');
    await coll.insertOne({ _id: 10 }, { writeConcern: { w: 3 } });
    const old = await cluster.primary();
    const t0 = Date.now();
    await cluster.kill(old.index, 'SIGKILL');
    // the next operation either fails with a network / not-primary error or is retried
    try {
      await coll.insertOne({ _id: 11 });
    } catch (e) {
      // a network error, a selection timeout or NotWritablePrimary: any failure is fine here
      expect(e).toBeInstanceOf(Error);
    }
    const np = await cluster.waitForPrimary({ exclude: old.index, timeoutMs: 15000 });
    expect(np.index).not.toBe(old.index);
    expect(Date.now() - t0).toBeLessThan(15000);
    await until(async () => {
      await coll.insertOne({ _id: 12 });
      return true;
    }, 20000, 'a write on the new primary');
    started.length = 0;
    expect(await coll.findOne({ _id: 12 })).toEqual({ _id: 12 });
    expect(started.find((e) => e.commandName === 'find')!.address).toBe(np.host);
    expect(await coll.findOne({ _id: 10 })).toEqual({ _id: 10 });
    // w:3 cannot be met with a member down
    const err = await coll.insertOne({ _id: 13 }, { writeConcern: { w: 3, wtimeoutMS: 300 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoWriteConcernError);
    expect((err as MongoWriteConcernError).result).toBeDefined();
    const wce = (err as MongoWriteConcernError & { errInfo?: unknown }).errInfo as { wtimeout?: boolean } | undefined;
    expect((err as MongoServerError).code).toBe(64);
    expect(wce?.wtimeout).toBe(true);
  });

  it('the old primary restarts, rejoins as a secondary and catches up (its data matches)', async () => {
    const down = cluster.members.find((m) => !m.process)!;
    await cluster.restart(down.index);
    await client.db('app').collection('items').insertOne({ _id: 20 as never });
    await cluster.waitForSecondaries({ timeoutMs: 30000 });
    const idsOn = async (i: number): Promise<unknown[]> =>
      (await cluster.command(i, { find: 'items', $db: 'app', sort: { _id: 1 }, $readPreference: { mode: 'secondaryPreferred' } })).cursor.firstBatch.map((d: { _id: unknown }) => d._id);
    const want = await idsOn((await cluster.primary()).index);
    expect(want).toContain(20);
    await until(async () => JSON.stringify(await idsOn(down.index)) === JSON.stringify(want), 20000, 'the restarted member to catch up');
    const h = await cluster.command(down.index, { hello: 1 });
    expect(h.secondary).toBe(true);
    // with priority 2 it takes over again once caught up
    await until(async () => (await cluster.primary()).index === down.index, 30000, 'priority takeover');
    await until(async () => {
      await client.db('app').collection('items').insertOne({ _id: 21 as never });
      return true;
    }, 20000, 'a write after the takeover');
  });

  it('replSetStepDown hands over to a caught-up secondary; replSetFreeze', async () => {
    await cluster.waitForSecondaries();
    const p = await cluster.primary();
    await cluster.stepDown(p.index, 5);
    const np = await cluster.waitForPrimary({ exclude: p.index, timeoutMs: 15000 });
    expect(np.index).not.toBe(p.index);
    const h = await cluster.command(p.index, { hello: 1 });
    expect(h.isWritablePrimary).toBe(false);
    const other = cluster.members.find((m) => m.index !== np.index && m.index !== p.index)!;
    expect(await cluster.command(other.index, { replSetFreeze: 0 })).toMatchObject({ ok: 1, info: 'unfreezing' });
    await expect(cluster.command(np.index, { replSetFreeze: 10 })).rejects.toThrow(/primary/);
  });

  it('a big batch interrupted by a step-down fails with 11602 (retryable) and is retried without loss or duplicates', async () => {
    await cluster.waitForSecondaries();
    const p = await cluster.primary();
    const failures: Array<{ code?: number; labels?: string[] }> = [];
    const onFail = (e: { commandName: string; failure: Error & { code?: number; errorLabels?: string[] } }): void => {
      if (e.commandName === 'insert') failures.push({ code: e.failure.code, labels: e.failure.errorLabels });
    };
    client.on('commandFailed', onFail);
    try {
      const coll = client.db('app').collection<{ _id: number }>('batch');
      const term = async (index: number): Promise<number> => Number((await cluster.command(index, { replSetGetStatus: 1, $db: 'admin' })).term);
      const termBefore = await term(p.index);
      const pending = coll.insertMany(Array.from({ length: 30000 }, (_, i) => ({ _id: i })));
      // Step down while the batch is being written. The 60 s freeze keeps the priority-2
      // member from taking the primary back (a priority takeover) while the driver's retry
      // of the batch runs on the new primary, which on a loaded machine can take seconds.
      await until(async () => (await cluster.command(p.index, { count: 'batch', $db: 'app' })).n > 0, 20000, 'the batch to start');
      await cluster.command(p.index, { replSetStepDown: 60, force: true });
      const outcome = await pending.then(
        (r) => ({ ok: true as const, inserted: r.insertedCount }),
        (e: Error & { errorLabels?: string[] }) => ({ ok: false as const, error: e }),
      );
      const np = await cluster.waitForPrimary({ exclude: p.index });
      const elections = (await term(np.index)) - termBefore;
      if (elections === 1) {
        // one step-down, one election: the driver's one retry completes the batch
        expect(outcome).toEqual({ ok: true, inserted: 30000 });
      } else {
        // A second election (heartbeats starved past electionTimeoutMillis on a loaded
        // machine) can interrupt the retry too, and a driver retries a write once: then the
        // batch fails, retryably, and running it again completes it without duplicates.
        expect(elections, 'elections during the batch').toBeGreaterThan(1);
        if (!outcome.ok) {
          expect(outcome.error.message).toMatch(/interrupted|not primary|NotWritablePrimary/i);
          const again = await coll.insertMany(Array.from({ length: 30000 }, (_, i) => ({ _id: i })), { ordered: false }).catch((e: { code?: number; writeErrors?: Array<{ code?: number }> }) => e);
          for (const w of (again as { writeErrors?: Array<{ code?: number }> }).writeErrors ?? []) expect(w.code).toBe(11000);
        }
      }
      if (failures.length) expect(failures[0]).toMatchObject({ code: 11602, labels: ['RetryableWriteError'] });
      expect((await cluster.command(np.index, { count: 'batch', $db: 'app' })).n).toBe(30000);
      await cluster.waitForSecondaries();
      for (const m of cluster.members) {
        await until(async () => (await cluster.command(m.index, { count: 'batch', $db: 'app', $readPreference: { mode: 'secondaryPreferred' } })).n === 30000, 20000, `member ${m.index} to have the batch`);
      }
    } finally {
      client.off('commandFailed', onFail);
    }
  }, 60000);
});
