/**
 * CSOT on tailable cursors (timeoutMode 'iteration'), against a sim: one next() call shares
 * one deadline over all the getMores it sends (the CSOT spec's "totality of all getMores"),
 * a timed-out next() leaves the cursor usable, and db.runCursorCommand follows the same
 * rules. Nothing races a clock: a next() that must time out faces an empty capped collection
 * that nothing writes to (only the deadline can end it), and a next() that must succeed finds
 * its document already inserted.
 */
import { MongoClient, MongoInvalidArgumentError, MongoOperationTimeoutError, TcpTransport, type Db } from '@mongo-edge/core/node';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

type Doc = Record<string, unknown>;

describe('CSOT on tailable awaitData cursors', () => {
  let sim: SimHandle;
  let client: MongoClient;
  let db: Db;
  const started: Doc[] = [];
  const getMores = (): Doc[] => started.filter((c) => 'getMore' in c);

  beforeAll(async () => {
    sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
    client = new MongoClient(sim.uri, { transport: new TcpTransport(), monitorCommands: true });
    client.on('commandStarted', (e: { command: Doc }) => started.push(e.command));
    db = client.db('tailcsot');
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });
  beforeEach(async () => {
    await db.dropCollection('capped').catch(() => undefined);
    await db.createCollection('capped', { capped: true, size: 4096 });
    await db.collection('capped').insertOne({ _id: 0 });
    started.length = 0;
  });

  it('times out a next() whose getMores find nothing, with one deadline over all of them, and the cursor stays usable', async () => {
    // each getMore waits 50 ms on the server: a deadline per getMore would never expire
    const cursor = db.collection('capped').find({}, { tailable: true, awaitData: true, maxAwaitTimeMS: 50, timeoutMS: 1000 });
    expect(await cursor.next()).toEqual({ _id: 0 });
    const error = await cursor.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoOperationTimeoutError);
    expect(getMores().length).toBeGreaterThan(1);
    // each getMore waits maxAwaitTimeMS, never more than the time left
    for (const g of getMores()) expect(g.maxTimeMS as number).toBeLessThanOrEqual(50);
    // iteration mode: the cursor is still open; the next call gets a fresh deadline and finds the new document
    await db.collection('capped').insertOne({ _id: 1 });
    expect(await cursor.next()).toEqual({ _id: 1 });
    await cursor.close();
  });

  it('gives tryNext() one getMore with its own deadline (an empty batch is null, not a timeout)', async () => {
    const cursor = db.collection('capped').find({}, { tailable: true, awaitData: true, maxAwaitTimeMS: 20, timeoutMS: 5000 });
    expect(await cursor.tryNext()).toEqual({ _id: 0 });
    expect(await cursor.tryNext()).toBeNull();
    expect(getMores()).toHaveLength(1);
    await cursor.close();
  });

  it('refuses maxAwaitTimeMS >= timeoutMS on find and aggregate', () => {
    const coll = db.collection('capped');
    expect(() => coll.find({}, { tailable: true, awaitData: true, maxAwaitTimeMS: 100, timeoutMS: 100 })).toThrow(MongoInvalidArgumentError);
    expect(() => coll.aggregate([], { maxAwaitTimeMS: 200, timeoutMS: 100 })).toThrow(MongoInvalidArgumentError);
    expect(() => coll.aggregate([], { maxAwaitTimeMS: 50, timeoutMS: 100 })).not.toThrow();
  });

  it('runCursorCommand: a tailable awaitData cursor times out per next() and stays usable; cursorLifetime is refused', async () => {
    const cursor = db.runCursorCommand({ find: 'capped', tailable: true, awaitData: true }, { tailable: true, awaitData: true, timeoutMS: 1000 }).setMaxTimeMS(50);
    expect(await cursor.next()).toEqual({ _id: 0 });
    const error = await cursor.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoOperationTimeoutError);
    expect(getMores().length).toBeGreaterThan(1);
    await db.collection('capped').insertOne({ _id: 1 });
    expect(await cursor.next()).toEqual({ _id: 1 });
    await cursor.close();
    expect(() => db.runCursorCommand({ find: 'capped' }, { tailable: true, awaitData: true, timeoutMS: 100, timeoutMode: 'cursorLifetime' })).toThrow(MongoInvalidArgumentError);
    expect(() => db.runCursorCommand({ find: 'capped' }, { timeoutMode: 'iteration' })).toThrow(MongoInvalidArgumentError);
  });

  it("runCursorCommand in timeoutMode 'iteration': the command carries no maxTimeMS", async () => {
    const docs = await db.runCursorCommand({ find: 'capped' }, { timeoutMS: 5000, timeoutMode: 'iteration' }).toArray();
    expect(docs).toEqual([{ _id: 0 }]);
    expect(started.find((c) => 'find' in c)!.maxTimeMS).toBeUndefined();
  });
});
