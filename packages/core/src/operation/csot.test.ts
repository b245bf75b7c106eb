/**
 * Client Side Operations Timeout through the executor, against a sim. Nothing here races a
 * clock: a fail point blocks far longer than the timeout it is compared with (the operation
 * must time out), or a test waits for a fixed outcome whatever the machine's speed.
 */
import type { MongoClient } from '@mongo-edge/core/node';
import { MongoInvalidArgumentError, MongoOperationTimeoutError } from '@mongo-edge/core/node';
import { startFailPointSim, type FailPointSim } from '../../test/support/fail-point-sim.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Doc = Record<string, unknown>;

describe('CSOT (timeoutMS) through the executor', () => {
  let fixture: FailPointSim;
  let admin: MongoClient;
  /** A client with command monitoring; its started commands are collected in `started`. */
  const newClient = (query = '', options: Doc = {}) => fixture.newClient(query, options);
  const failPoint = (data: Doc, times = 1) => fixture.failPoint(data, times);

  beforeAll(async () => {
    fixture = await startFailPointSim();
    admin = fixture.admin;
    await admin.db('csot').collection('c').insertOne({ _id: 1 });
  });
  afterAll(() => fixture?.close());

  it("times out a command blocked past the client's timeoutMS and sends maxTimeMS under it", async () => {
    const { client, started } = newClient('?timeoutMS=150');
    await client.connect();
    await failPoint({ failCommands: ['find'], blockConnection: true, blockTimeMS: 5000 });
    // the server's MaxTimeMSExpired (the block counts against maxTimeMS) or the driver's own deadline, whichever comes first
    const error = await client.db('csot').collection('c').find({}).toArray().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoOperationTimeoutError);
    const find = started.find((c) => 'find' in c)!;
    expect(typeof find.maxTimeMS).toBe('number');
    expect(find.maxTimeMS as number).toBeLessThanOrEqual(150);
  });

  it('closes the connection when the deadline cuts the wait for a reply (a command without maxTimeMS)', async () => {
    const { client, started, closed } = newClient('?timeoutMS=150');
    await client.connect();
    await failPoint({ failCommands: ['find'], blockConnection: true, blockTimeMS: 5000 });
    // timeoutMode 'iteration': the find carries no maxTimeMS, so only the driver's deadline can end it
    const error = await client.db('csot').collection('c').find({}, { timeoutMode: 'iteration' }).toArray().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoOperationTimeoutError);
    expect(started.find((c) => 'find' in c)!.maxTimeMS).toBeUndefined();
    // a timed-out read leaves the stream in an unknown state: the connection is closed
    expect(closed.length).toBeGreaterThan(0);
  });

  it('lets an operation override the inherited timeoutMS with 0 (no timeout, no maxTimeMS)', async () => {
    const { client, started } = newClient('?timeoutMS=100');
    await failPoint({ failCommands: ['find'], blockConnection: true, blockTimeMS: 300 });
    const docs = await client.db('csot').collection('c').find({}, { timeoutMS: 0 }).toArray();
    expect(docs).toEqual([{ _id: 1 }]);
    expect(started.find((c) => 'find' in c)!.maxTimeMS).toBeUndefined();
  });

  it('inherits timeoutMS client < database < collection < operation', () => {
    const { client } = newClient('?timeoutMS=100');
    const db = client.db('csot', { timeoutMS: 200 });
    expect(client.db('csot').timeoutMS).toBe(100);
    expect(db.timeoutMS).toBe(200);
    expect(db.collection('c').timeoutMS).toBe(200);
    expect(db.collection('c', { timeoutMS: 0 }).timeoutMS).toBe(0);
  });

  it('replaces an explicit maxTimeMS and drops the legacy wtimeout when timeoutMS is set', async () => {
    const { client, started } = newClient('?wtimeoutMS=1&timeoutMS=60000');
    await client.db('csot').collection('c').find({}, { maxTimeMS: 5_000_000 }).toArray();
    await client.db('csot').collection('w').insertOne({ x: 1 });
    const find = started.find((c) => 'find' in c)!;
    expect(find.maxTimeMS as number).toBeLessThanOrEqual(60000);
    const insert = started.find((c) => 'insert' in c)!;
    expect(insert.writeConcern).toBeUndefined();
    expect(typeof insert.maxTimeMS).toBe('number');
  });

  it('keeps retrying a retryable read while time remains (more than the one retry without timeoutMS)', async () => {
    const { client, started } = newClient('?timeoutMS=60000');
    await failPoint({ failCommands: ['find'], errorCode: 91 }, 2);
    const docs = await client.db('csot').collection('c').find({}).toArray();
    expect(docs).toEqual([{ _id: 1 }]);
    expect(started.filter((c) => 'find' in c)).toHaveLength(3);
  });

  it('ends the retries with MongoOperationTimeoutError once the deadline passes', async () => {
    const { client } = newClient('?timeoutMS=150');
    await client.connect();
    await failPoint({ failCommands: ['find'], blockConnection: true, blockTimeMS: 5000 }, 2);
    const error = await client.db('csot').collection('c').findOne({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoOperationTimeoutError);
  });

  it("refuses cursor options CSOT forbids, with typed errors", () => {
    const { client } = newClient();
    const coll = client.db('csot').collection('c');
    expect(() => coll.find({}, { timeoutMode: 'iteration' })).toThrow(MongoInvalidArgumentError);
    expect(() => coll.find({}, { timeoutMS: 100, tailable: true, awaitData: true, maxAwaitTimeMS: 100 })).toThrow(MongoInvalidArgumentError);
    expect(() => coll.find({}, { timeoutMS: 100, tailable: true, timeoutMode: 'cursorLifetime' })).toThrow(MongoInvalidArgumentError);
    expect(() => coll.aggregate([{ $out: 'x' }], { timeoutMS: 100, timeoutMode: 'iteration' })).toThrow(MongoInvalidArgumentError);
    expect(() => client.db('csot', { timeoutMS: -1 })).toThrow(MongoInvalidArgumentError);
  });
});
