// configureFailPoint failCommand, driven through the official driver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError } from 'mongodb';
import { startSim, type SimHandle } from '../src/index.js';

let sim: SimHandle;
let client: MongoClient;
beforeAll(async () => {
  sim = await startSim({ port: 0 });
  client = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000, appName: 'fp-tests' });
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  await sim?.close();
});

const admin = () => client.db('admin');

describe('failCommand', () => {
  it('fails the listed command `times` times with errorCode and errorLabels', async () => {
    const r = await admin().command({ configureFailPoint: 'failCommand', mode: { times: 2 }, data: { failCommands: ['find'], errorCode: 91, errorLabels: ['RetryableWriteError'] } });
    expect(r).toMatchObject({ count: 0, ok: 1 });
    const col = client.db('fp').collection('c');
    // retryable reads retry once: both failures are consumed by a single findOne
    const e1 = await col.findOne({}).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(MongoServerError);
    expect(e1).toMatchObject({ code: 91, codeName: 'ShutdownInProgress', message: "Failing command via 'failCommand' failpoint" });
    expect((e1 as MongoServerError).hasErrorLabel('RetryableWriteError')).toBe(true);
    await expect(col.findOne({})).resolves.toBeNull();
  });

  it('a single failure is retried by the driver (retryable reads)', async () => {
    await admin().command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], errorCode: 11600 } });
    await expect(client.db('fp').collection('c').find({}).toArray()).resolves.toEqual([]);
  });

  it('closeConnection gives a network error; the next operation works', async () => {
    await admin().command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['insert'], closeConnection: true } });
    const err = await client.db('fp').collection('c').insertOne({ a: 1 }).catch((e: unknown) => e);
    expect((err as Error).name).toMatch(/MongoNetworkError|MongoServerSelectionError|MongoPoolClearedError/);
    await expect(client.db('fp').collection('c').insertOne({ a: 2 })).resolves.toMatchObject({ acknowledged: true });
  });

  it('a command is matched by its mongod name: failCommands ["isMaster"] fails { ismaster: 1 }, ["findAndModify"] fails findandmodify', async () => {
    await admin().command({ configureFailPoint: 'failCommand', mode: { times: 2 }, data: { failCommands: ['isMaster', 'findAndModify'], errorCode: 91 } });
    await expect(admin().command({ ismaster: 1 })).rejects.toMatchObject({ code: 91 });
    await expect(client.db('fp').command({ findandmodify: 'c', query: {}, remove: true })).rejects.toMatchObject({ code: 91 });
    await expect(admin().command({ ismaster: 1 })).resolves.toMatchObject({ ok: 1 });
  });

  it('writeConcernError is added after the command runs', async () => {
    await admin().command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['insert'], writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } } },
    });
    const err = await client.db('fp').collection('wce').insertOne({ x: 1 }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('MongoWriteConcernError');
    expect(err).toMatchObject({ code: 64 });
    expect(await client.db('fp').collection('wce').countDocuments()).toBe(1);
  });

  it('blockConnection delays the command; appName filters; off disables; skip mode', async () => {
    await admin().command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { failCommands: ['ping'], blockConnection: true, blockTimeMS: 150, appName: 'fp-tests' } });
    const t0 = Date.now();
    await client.db('x').command({ ping: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const other = new MongoClient(sim.uri, { appName: 'someone-else' });
    try {
      const t1 = Date.now();
      await other.db('x').command({ ping: 1 });
      expect(Date.now() - t1).toBeLessThan(140);
    } finally {
      await other.close();
    }
    await admin().command({ configureFailPoint: 'failCommand', mode: 'off' });
    await admin().command({ configureFailPoint: 'failCommand', mode: { skip: 1 }, data: { failCommands: ['count'], errorCode: 2 } });
    await expect(client.db('x').command({ count: 'c' })).resolves.toMatchObject({ ok: 1 });
    await expect(client.db('x').command({ count: 'c' })).rejects.toMatchObject({ code: 2 });
    await admin().command({ configureFailPoint: 'failCommand', mode: 'off' });
    await expect(client.db('x').command({ count: 'c' })).resolves.toMatchObject({ ok: 1 });
  });
});
