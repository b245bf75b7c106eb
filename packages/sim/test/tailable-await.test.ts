// Tailable awaitData getMores and maxTimeMS across a failCommand block, as mongod 7.0 has
// them, driven with raw commands through the official driver. Nothing here races a clock:
// a wait that should end early is given a maxTimeMS far longer than the test's timeout
// (so only the event under test can end it), and a wait that should time out has nothing
// that could end it otherwise.
import { Long, MongoClient, MongoServerError, type Db } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../src/index.js';

let sim: SimHandle;
let client: MongoClient;
let other: MongoClient;
let db: Db;

beforeAll(async () => {
  sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
  client = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000 });
  // a second client: its commands never queue behind a getMore waiting on `client`'s connection
  other = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  await other.connect();
  db = client.db('tail');
});
afterAll(async () => {
  await client?.close();
  await other?.close();
  await sim?.close();
});
beforeEach(async () => {
  await db.dropCollection('capped').catch(() => undefined);
  await db.createCollection('capped', { capped: true, size: 4096 });
  await db.collection<{ _id: number }>('capped').insertOne({ _id: 0 });
});

/** A tailable cursor over `capped` that has handed out its one document. */
async function openTailable(awaitData: boolean): Promise<Long> {
  const reply = await db.command({ find: 'capped', tailable: true, awaitData });
  expect(reply.cursor.firstBatch).toEqual([{ _id: 0 }]);
  return reply.cursor.id as Long;
}

/** Resolves once the sim has a getMore in progress (currentOp), so what follows happens during its wait. */
async function getMoreInProgress(): Promise<void> {
  for (;;) {
    const ops = await other.db('admin').aggregate([{ $currentOp: {} }, { $match: { 'command.getMore': { $exists: true } } }]).toArray();
    if (ops.length > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('tailable awaitData getMore', () => {
  it('waits for an insert and answers with it (maxTimeMS is the wait, far longer than the test)', async () => {
    const id = await openTailable(true);
    const pending = db.command({ getMore: id, collection: 'capped', maxTimeMS: 600_000 });
    await getMoreInProgress();
    await other.db('tail').collection<{ _id: number }>('capped').insertOne({ _id: 1 });
    const reply = await pending;
    expect(reply.cursor.nextBatch).toEqual([{ _id: 1 }]);
    expect(reply.cursor.id).toEqual(id);
  });

  it('answers an empty batch with the cursor still open when its maxTimeMS passes without an insert', async () => {
    const id = await openTailable(true);
    const reply = await db.command({ getMore: id, collection: 'capped', maxTimeMS: 50 });
    expect(reply.cursor.nextBatch).toEqual([]);
    expect(reply.cursor.id).toEqual(id);
  });

  it('fails with CursorKilled when killCursors ends the cursor during the wait', async () => {
    const id = await openTailable(true);
    const pending = db.command({ getMore: id, collection: 'capped', maxTimeMS: 600_000 }).catch((e: unknown) => e);
    await getMoreInProgress();
    const killed = await other.db('tail').command({ killCursors: 'capped', cursors: [id] });
    expect(killed.cursorsKilled).toEqual([id]);
    const error = await pending;
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(237);
  });

  it('does not wait on a tailable cursor without awaitData (an empty batch at once)', async () => {
    const id = await openTailable(false);
    const reply = await db.command({ getMore: id, collection: 'capped' });
    expect(reply.cursor.nextBatch).toEqual([]);
    expect(reply.cursor.id).toEqual(id);
  });

  it('refuses maxTimeMS on the getMore of a cursor without awaitData (BadValue) and keeps the cursor', async () => {
    const plainColl = db.collection<{ _id: number }>('plain');
    await plainColl.deleteMany({});
    await plainColl.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const plain = await db.command({ find: 'plain', batchSize: 1 });
    const tailable = await openTailable(false);
    for (const [coll, id] of [['plain', plain.cursor.id as Long], ['capped', tailable]] as const) {
      const error = await db.command({ getMore: id, collection: coll, maxTimeMS: 60_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).code).toBe(2);
      expect((error as MongoServerError).message).toBe('cannot set maxTimeMS on getMore command for a non-awaitData cursor');
    }
    // the refusal leaves the cursor open, as mongod's check comes before it touches the cursor
    const next = await db.command({ getMore: plain.cursor.id as Long, collection: 'plain', batchSize: 1 });
    expect(next.cursor.nextBatch).toEqual([{ _id: 2 }]);
  });
});

describe('failCommand blockConnection and maxTimeMS', () => {
  const admin = () => other.db('admin');
  afterAll(async () => {
    await admin().command({ configureFailPoint: 'failCommand', mode: 'off' });
  });

  it('counts the block against the command maxTimeMS: MaxTimeMSExpired instead of waiting the block out', async () => {
    await admin().command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], blockConnection: true, blockTimeMS: 600_000 } });
    const error = await db.command({ find: 'capped', maxTimeMS: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(50);
  });

  it('runs the command after a block shorter than its maxTimeMS', async () => {
    await admin().command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], blockConnection: true, blockTimeMS: 10 } });
    const reply = await db.command({ find: 'capped', maxTimeMS: 600_000 });
    expect(reply.cursor.firstBatch).toEqual([{ _id: 0 }]);
  });

  it("leaves a getMore's maxTimeMS out of it (an awaitData wait, not a deadline)", async () => {
    const id = await openTailable(true);
    await admin().command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['getMore'], blockConnection: true, blockTimeMS: 100 } });
    const reply = await db.command({ getMore: id, collection: 'capped', maxTimeMS: 10 });
    expect(reply.cursor.nextBatch).toEqual([]);
  });
});
