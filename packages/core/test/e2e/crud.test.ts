/**
 * Acceptance: every CRUD / index / catalog operation of the public API, through
 * the Node MongoClient (TCP, SDAM topology executor), against a sim started here.
 */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type Collection,
  type Db,
  type Document,
  type WithId,
} from '@mongo-edge/core/node';

interface Item {
  _id: number;
  n: number;
  tag?: string;
  nested?: { a: number };
}

describe('e2e CRUD against the sim', () => {
  let sim: SimHandle;
  let client: MongoClient;
  let db: Db;
  let items: Collection<Item>;
  interface StartedEvent {
    commandName: string;
    command: Document;
  }
  const started: StartedEvent[] = [];

  beforeAll(async () => {
    sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
    client = new MongoClient(`mongodb://${sim.address}/?serverSelectionTimeoutMS=5000`, { monitorCommands: true });
    client.on('commandStarted', (e: StartedEvent) => {
      started.push(e);
    });
    db = client.db('e2e_crud');
    await db.dropDatabase();
  });

  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  beforeEach(async () => {
    items = db.collection<Item>('items');
    await items.drop().catch(() => false);
    started.length = 0;
  });

  const seed = async (count = 25): Promise<void> => {
    const res = await items.insertMany(Array.from({ length: count }, (_, i) => ({ _id: i, n: i, tag: i % 2 ? 'odd' : 'even' })));
    expect(res.insertedCount).toBe(count);
  };
  const commands = (name: string): StartedEvent[] => started.filter((e) => e.commandName === name);

  it('insertOne / insertMany', async () => {
    const one = await items.insertOne({ _id: 100, n: 100 });
    expect(one).toEqual({ acknowledged: true, insertedId: 100 });
    const many = await items.insertMany([
      { _id: 101, n: 101 },
      { _id: 102, n: 102 },
    ]);
    expect(many).toEqual({ acknowledged: true, insertedCount: 2, insertedIds: { 0: 101, 1: 102 } });
    // command monitoring shows the documents (sent as an OP_MSG kind-1 sequence) in the command
    expect(commands('insert').map((e) => e.command.documents)).toEqual([[{ _id: 100, n: 100 }], [{ _id: 101, n: 101 }, { _id: 102, n: 102 }]]);
    // client-generated ObjectIds when _id is missing
    const untyped = db.collection('untyped');
    await untyped.drop();
    const gen = await untyped.insertOne({ x: 1 });
    expect(gen.insertedId?.constructor?.name).toBe('ObjectId');
    expect(await untyped.findOne({ _id: gen.insertedId })).toMatchObject({ x: 1 });
  });

  it('find cursor: toArray, for await, next/hasNext, close', async () => {
    await seed();
    expect((await items.find().toArray()).length).toBe(25);
    const seen: number[] = [];
    for await (const d of items.find({ n: { $lt: 5 } }).sort({ n: 1 })) seen.push(d.n);
    expect(seen).toEqual([0, 1, 2, 3, 4]);

    const c = items.find({ n: { $gte: 23 } }, { sort: { n: 1 } });
    expect(await c.hasNext()).toBe(true);
    expect((await c.next())?.n).toBe(23);
    expect((await c.next())?.n).toBe(24);
    expect(await c.hasNext()).toBe(false);
    expect(await c.next()).toBeNull();
    await c.close();
    expect(c.closed).toBe(true);
  });

  it('find options: sort, projection, skip, limit, batchSize, getMore across batches', async () => {
    await seed();
    const docs = await items
      .find({ tag: 'odd' }, { projection: { _id: 0, n: 1 } })
      .sort({ n: -1 })
      .skip(2)
      .limit(5)
      .toArray();
    expect(docs).toEqual([{ n: 19 }, { n: 17 }, { n: 15 }, { n: 13 }, { n: 11 }]);

    started.length = 0;
    const all = await items.find({}, { sort: { n: 1 }, batchSize: 4 }).toArray();
    expect(all.map((d) => d.n)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(commands('find')).toHaveLength(1);
    expect(commands('find')[0]!.command.batchSize).toBe(4);
    // 25 docs in batches of 4: the first batch + 6 getMores (the last returns the final doc, cursor 0)
    expect(commands('getMore').length).toBe(6);
    expect(commands('killCursors')).toHaveLength(0);
  });

  it('killCursors on early close; the server cursor is gone', async () => {
    await seed();
    const openCursors = async (): Promise<number> => {
      const status = await client.db('admin').command({ serverStatus: 1 });
      return Number((status as { metrics: { cursor: { open: { total: unknown } } } }).metrics.cursor.open.total);
    };
    const before = await openCursors();
    const cursor = items.find({}, { batchSize: 2 });
    expect(await cursor.next()).toMatchObject({ _id: 0 });
    expect(await openCursors()).toBe(before + 1);
    await cursor.close();
    expect(cursor.killed).toBe(true);
    const kills = commands('killCursors');
    expect(kills).toHaveLength(1);
    expect(kills[0]!.command.killCursors).toBe('items');
    expect(await openCursors()).toBe(before);

    // breaking out of for-await closes (and kills) the cursor too
    started.length = 0;
    for await (const d of items.find({}, { batchSize: 3 })) {
      if (d._id === 1) break;
    }
    expect(commands('killCursors')).toHaveLength(1);
    expect(await openCursors()).toBe(before);
  });

  it('findOne', async () => {
    await seed(5);
    expect(await items.findOne({ _id: 3 })).toEqual({ _id: 3, n: 3, tag: 'odd' });
    expect(await items.findOne({ _id: 99 })).toBeNull();
    expect(await items.findOne({}, { sort: { n: -1 }, projection: { tag: 1 } })).toEqual({ _id: 4, tag: 'even' });
  });

  it('updateOne / updateMany / replaceOne, with upsert', async () => {
    await seed(10);
    expect(await items.updateOne({ _id: 1 }, { $set: { tag: 'one' } })).toEqual({
      acknowledged: true,
      matchedCount: 1,
      modifiedCount: 1,
      upsertedCount: 0,
      upsertedId: null,
    });
    expect(await items.updateMany({ tag: 'even' }, { $inc: { n: 100 } })).toMatchObject({ matchedCount: 5, modifiedCount: 5, upsertedCount: 0 });
    expect(await items.updateOne({ _id: 50 }, { $set: { n: 50 } }, { upsert: true })).toEqual({
      acknowledged: true,
      matchedCount: 0,
      modifiedCount: 0,
      upsertedCount: 1,
      upsertedId: 50,
    });
    expect(await items.replaceOne({ _id: 2 }, { n: -2 })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await items.findOne({ _id: 2 })).toEqual({ _id: 2, n: -2 });
    expect(await items.replaceOne({ _id: 60 }, { n: 60 }, { upsert: true })).toMatchObject({ upsertedCount: 1, upsertedId: 60 });
    // no-op update: matched but not modified
    expect(await items.updateOne({ _id: 60 }, { $set: { n: 60 } })).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
    // pipeline update
    await items.updateOne({ _id: 60 }, [{ $set: { m: { $add: ['$n', 1] } } }]);
    expect(await items.findOne({ _id: 60 })).toEqual({ _id: 60, n: 60, m: 61 });
  });

  it('deleteOne / deleteMany', async () => {
    await seed(10);
    expect(await items.deleteOne({ tag: 'odd' })).toEqual({ acknowledged: true, deletedCount: 1 });
    expect(await items.deleteMany({ tag: 'odd' })).toEqual({ acknowledged: true, deletedCount: 4 });
    expect(await items.deleteMany({ tag: 'nothing' })).toEqual({ acknowledged: true, deletedCount: 0 });
    expect(await items.countDocuments()).toBe(5);
  });

  it('countDocuments / estimatedDocumentCount / distinct / aggregate', async () => {
    await seed(25);
    expect(await items.countDocuments({ n: { $gte: 10 } })).toBe(15);
    expect(await items.countDocuments({}, { skip: 5, limit: 10 })).toBe(10);
    expect(await items.estimatedDocumentCount()).toBe(25);
    expect((await items.distinct('tag')).sort()).toEqual(['even', 'odd']);
    expect(await items.distinct('n', { n: { $lt: 3 } })).toEqual(expect.arrayContaining([0, 1, 2]));
    const groups = await items
      .aggregate<{ _id: string; total: number }>([{ $group: { _id: '$tag', total: { $sum: '$n' } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(groups).toEqual([
      { _id: 'even', total: 156 },
      { _id: 'odd', total: 144 },
    ]);
    started.length = 0;
    const batched = await items.aggregate([{ $match: { n: { $lt: 10 } } }, { $sort: { n: 1 } }], { batchSize: 3 }).toArray();
    expect(batched.map((d) => d.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(commands('getMore').length).toBeGreaterThanOrEqual(3);
  });

  it('findOneAndUpdate / Replace / Delete', async () => {
    await seed(5);
    expect(await items.findOneAndUpdate({ _id: 1 }, { $set: { tag: 'x' } })).toEqual({ _id: 1, n: 1, tag: 'odd' });
    expect(await items.findOneAndUpdate({ _id: 1 }, { $set: { tag: 'y' } }, { returnDocument: 'after' })).toEqual({ _id: 1, n: 1, tag: 'y' });
    const meta = await items.findOneAndUpdate({ _id: 9 }, { $set: { n: 9 } }, { upsert: true, returnDocument: 'after', includeResultMetadata: true });
    expect(meta.ok).toBe(1);
    expect(meta.value).toEqual({ _id: 9, n: 9 });
    expect(meta.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false, upserted: 9 });

    expect(await items.findOneAndReplace({ _id: 2 }, { n: 22 }, { returnDocument: 'after', projection: { n: 1, _id: 0 } })).toEqual({ n: 22 });
    expect(await items.findOneAndReplace({ _id: 77 }, { n: 77 })).toBeNull();

    expect(await items.findOneAndDelete({ _id: 3 })).toEqual({ _id: 3, n: 3, tag: 'odd' });
    const delMeta = await items.findOneAndDelete({ _id: 3 }, { includeResultMetadata: true });
    expect(delMeta).toMatchObject({ ok: 1, value: null, lastErrorObject: { n: 0 } });
    expect(await items.findOneAndDelete({}, { sort: { n: -1 } })).toEqual({ _id: 2, n: 22 });
  });

  it('bulkWrite: mixed ops, ordered and unordered duplicate keys', async () => {
    const res = await items.bulkWrite([
      { insertOne: { document: { _id: 1, n: 1 } } },
      { insertOne: { document: { _id: 2, n: 2 } } },
      { updateOne: { filter: { _id: 1 }, update: { $set: { n: 10 } } } },
      { updateMany: { filter: {}, update: { $set: { tag: 't' } } } },
      { replaceOne: { filter: { _id: 3 }, replacement: { n: 3 }, upsert: true } },
      { deleteOne: { filter: { _id: 2 } } },
      { deleteMany: { filter: { n: { $gt: 100 } } } },
    ]);
    expect(res.insertedCount).toBe(2);
    expect(res.matchedCount).toBe(3);
    expect(res.modifiedCount).toBe(3);
    expect(res.upsertedCount).toBe(1);
    expect(res.upsertedIds).toEqual({ 4: 3 });
    expect(res.insertedIds).toEqual({ 0: 1, 1: 2 });
    expect(res.deletedCount).toBe(1);
    expect(res.isOk()).toBe(true);

    // ordered: stops at the duplicate
    const ordered = await items
      .bulkWrite([{ insertOne: { document: { _id: 10, n: 0 } } }, { insertOne: { document: { _id: 1, n: 0 } } }, { insertOne: { document: { _id: 11, n: 0 } } }])
      .catch((e: unknown) => e);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    const oe = ordered as MongoBulkWriteError & { insertedCount: number };
    expect(oe.code).toBe(11000);
    expect(oe.insertedCount).toBe(1);
    expect(oe.writeErrors).toHaveLength(1);
    expect((oe.writeErrors[0] as Document).index).toBe(1);
    expect(await items.findOne({ _id: 11 })).toBeNull();

    // unordered: continues past it
    const unordered = await items
      .bulkWrite(
        [{ insertOne: { document: { _id: 20, n: 0 } } }, { insertOne: { document: { _id: 1, n: 0 } } }, { insertOne: { document: { _id: 21, n: 0 } } }],
        { ordered: false },
      )
      .catch((e: unknown) => e);
    expect(unordered).toBeInstanceOf(MongoBulkWriteError);
    const ue = unordered as MongoBulkWriteError & { insertedCount: number; insertedIds: Document };
    expect(ue.code).toBe(11000);
    expect(ue.insertedCount).toBe(2);
    expect(ue.insertedIds).toEqual({ 0: 20, 2: 21 });
    expect(await items.findOne({ _id: 21 })).not.toBeNull();
  });

  it('indexes: createIndex / createIndexes / listIndexes / dropIndex; unique enforced', async () => {
    expect(await items.createIndex({ n: 1 }, { unique: true })).toBe('n_1');
    expect(await items.createIndexes([{ key: { tag: 1 } }, { key: { 'nested.a': -1 }, name: 'nested_desc' }])).toEqual(['tag_1', 'nested_desc']);
    const list = await items.listIndexes().toArray();
    expect(list.map((i) => i.name)).toEqual(['_id_', 'n_1', 'tag_1', 'nested_desc']);
    expect(list.find((i) => i.name === 'n_1')).toMatchObject({ key: { n: 1 }, unique: true, v: 2 });
    expect(await items.indexExists('tag_1')).toBe(true);

    await items.insertOne({ _id: 1, n: 1 });
    const dup = await items.insertOne({ _id: 2, n: 1 }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(MongoServerError);
    expect((dup as MongoServerError).code).toBe(11000);
    expect((dup as MongoServerError).message).toMatch(/duplicate key/);

    const dropped = await items.dropIndex('n_1');
    expect(dropped.ok).toBe(1);
    await items.insertOne({ _id: 2, n: 1 }); // no longer unique
    expect((await items.indexes()).map((i) => i.name)).toEqual(['_id_', 'tag_1', 'nested_desc']);
    const missing = await items.dropIndex('nope_1').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MongoServerError);
    expect((missing as MongoServerError).code).toBe(27);
  });

  it('drop / createCollection / listCollections / dropDatabase', async () => {
    const dbx = client.db('e2e_catalog');
    await dbx.dropDatabase();
    const created = await dbx.createCollection<Item>('made');
    expect(created.collectionName).toBe('made');
    // mongod 7.0: create with identical options is idempotent; different options -> NamespaceExists
    expect((await dbx.createCollection('made')).collectionName).toBe('made');
    const exists = await dbx.createCollection('made', { validator: { n: { $type: 'number' } } }).catch((e: unknown) => e);
    expect(exists).toBeInstanceOf(MongoServerError);
    expect((exists as MongoServerError).code).toBe(48);
    await dbx.collection('other').insertOne({ _id: 1 });
    const names = (await dbx.listCollections().toArray()).map((c) => c.name).sort();
    expect(names).toEqual(['made', 'other']);
    const info = await dbx.listCollections({ name: 'made' }).toArray();
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ name: 'made', type: 'collection' });
    expect((await dbx.listCollections({}, { nameOnly: true }).toArray()).length).toBe(2);

    expect(await dbx.collection('other').drop()).toBe(true);
    // mongod 7.0 (and the sim): dropping a missing collection succeeds, so drop() is true again
    expect(await dbx.collection('other').drop()).toBe(true);
    expect((await dbx.listCollections().toArray()).map((c) => c.name)).toEqual(['made']);

    const dbs = await client.db().admin().listDatabases();
    expect(dbs.ok).toBe(1);
    expect(dbs.databases.map((d) => d.name)).toContain('e2e_catalog');
    expect(await dbx.dropDatabase()).toBe(true);
    const after = await client.db().admin().listDatabases({ nameOnly: true });
    expect(after.databases.map((d) => d.name)).not.toContain('e2e_catalog');
  });

  it('db.command() and admin commands', async () => {
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(typeof hello.maxWireVersion).toBe('number');
    const build = await client.db().admin().buildInfo();
    expect(typeof build.version).toBe('string');
    const unknown = await db.command({ definitelyNotACommand: 1 }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(MongoServerError);
    expect((unknown as MongoServerError).code).toBe(59);
  });

  it('generic typed collections compile', () => {
    // Type-level checks only: the function is never called, it must compile under tsc.
    const typeChecks = async (): Promise<void> => {
      const typed = db.collection<Item>('items');
      expectTypeOf(await typed.findOne({ n: 1 })).toEqualTypeOf<WithId<Item> | null>();
      expectTypeOf(await typed.find({ tag: 'x' }).toArray()).toEqualTypeOf<WithId<Item>[]>();
      expectTypeOf(await typed.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } })).toEqualTypeOf<WithId<Item> | null>();
      expectTypeOf((await typed.insertOne({ _id: 1, n: 1 })).insertedId).toEqualTypeOf<number>();
      // @ts-expect-error n is a number
      await typed.insertOne({ _id: 1, n: 'one' });
      // @ts-expect-error _id is required on this schema
      await typed.insertOne({ n: 1 });
      // @ts-expect-error n is a number in $set too
      await typed.updateOne({ _id: 1 }, { $set: { n: 'x' } });
      const untyped = db.collection('untyped');
      expectTypeOf(await untyped.findOne()).toEqualTypeOf<WithId<Document> | null>();
    };
    expect(typeof typeChecks).toBe('function');
  });
});
