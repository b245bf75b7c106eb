/**
 * Differential acceptance test: one table of operations runs against our client
 * and against the official `mongodb` driver, each on its own fresh database of the
 * same sim, in the same order. Every operation yields a comparable value (results,
 * cursor contents, error class/code/message); any difference fails the test named
 * after the operation.
 *
 * Normalization: explicit _ids everywhere (no client-generated ObjectIds), the
 * database name replaced by <db> in every string, BSON values compared as
 * canonical Extended JSON, per-connection/volatile fields of command replies dropped.
 */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { EJSON } from 'bson';
import { MongoClient as OfficialClient, type Collection, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient as OurClient } from '@mongo-edge/core/node';

interface Item {
  _id: number;
  n: number;
  tag?: string;
  arr?: number[];
}

interface Ctx {
  client: OfficialClient;
  db: Db;
  items: Collection<Item>;
  dbName: string;
}

interface Op {
  name: string;
  run(ctx: Ctx): Promise<unknown>;
  /**
   * A known bug of the official driver that we do not reproduce: maps its normalized
   * outcome to the correct one (the reason is in the comment at the use site).
   */
  officialBug?: (theirs: Document) => Document;
  /** Likewise for the commands sent: maps the official driver's list to the correct one. */
  officialWireBug?: (theirs: Document[]) => Document[];
}

const DROP_KEYS = new Set(['$clusterTime', 'operationTime', 'localTime', 'connectionId', 'uuid', 'sizeOnDisk', 'totalSize', 'totalSizeMb']);

/** A comparable, driver-independent value. */
function normalize(value: unknown, dbName: string): unknown {
  const walk = (v: unknown): unknown => {
    if (v === undefined || v === null) return v ?? null;
    if (typeof v === 'string') return v.split(dbName).join('<db>');
    if (typeof v !== 'object') return v;
    if (v instanceof Error) return walk(errorShape(v));
    if ((v as { _bsontype?: string })._bsontype) return EJSON.serialize(v, { relaxed: false });
    if (Array.isArray(v)) return v.map(walk);
    // the official driver sends sort and index keys as Maps (ordered keys)
    if (v instanceof Map) return walk(Object.fromEntries(v));
    const ctor = (v as object).constructor?.name;
    if (ctor === 'BulkWriteResult') return walk(bulkShape(v as Document));
    if (ctor === 'Collection') return { collection: walk((v as Document).collectionName), db: walk((v as Document).dbName) };
    if (ctor !== 'Object' && ctor !== undefined) throw new Error(`normalize: unexpected ${ctor}`);
    const out: Document = {};
    for (const [k, x] of Object.entries(v as Document)) {
      if (DROP_KEYS.has(k) || x === undefined) continue;
      out[walk(k) as string] = walk(x);
    }
    return out;
  };
  return walk(value);
}

function bulkShape(r: Document): Document {
  return {
    insertedCount: r.insertedCount,
    matchedCount: r.matchedCount,
    modifiedCount: r.modifiedCount,
    deletedCount: r.deletedCount,
    upsertedCount: r.upsertedCount,
    insertedIds: r.insertedIds,
    upsertedIds: r.upsertedIds,
    ok: r.ok,
    isOk: r.isOk(),
    writeErrorCount: r.getWriteErrorCount(),
  };
}

function errorShape(e: Error): Document {
  const d = e as Error & Document;
  const shape: Document = { error: e.name, message: e.message };
  // Server errors carry the server's numeric code. Our driver-side errors also carry a
  // stable string code (ARCHITECTURE rule 5: "stable string codes for non-server
  // errors"), which the official driver does not have: only numeric codes are compared.
  if (typeof d.code === 'number') shape.code = d.code;
  for (const k of ['codeName', 'keyPattern', 'keyValue']) if (d[k] !== undefined) shape[k] = d[k];
  const labels = typeof d.errorLabels === 'object' ? [...(d.errorLabels as string[])] : [];
  if (labels.length > 0) shape.errorLabels = labels.sort();
  if (e.name === 'MongoBulkWriteError') {
    shape.result = bulkShape(d.result as Document);
    shape.writeErrors = (d.writeErrors as Document[]).map((w) => ({ index: w.index, code: w.code, errmsg: w.errmsg }));
    for (const k of ['insertedCount', 'matchedCount', 'modifiedCount', 'deletedCount', 'upsertedCount', 'insertedIds', 'upsertedIds']) {
      shape[k] = d[k];
    }
  }
  return shape;
}

/**
 * What an operation sent, as the command monitoring events show it: the command names
 * in order (so getMore/killCursors counts compare too) and the payload fields. Fields
 * one driver sends as explicit defaults (findAndModify `remove/new/upsert: false`, listCollections
 * `nameOnly: false`, findOne's `batchSize: 1`) are not compared.
 */
const PAYLOAD_FIELDS = [
  'documents', 'updates', 'deletes', 'filter', 'query', 'update', 'sort', 'projection', 'fields', 'skip',
  'limit', 'singleBatch', 'pipeline', 'ordered', 'indexes', 'index', 'key', 'cursors', 'endSessions',
];

interface StartedEvent {
  commandName: string;
  command: Document;
}

function wireShape(events: readonly StartedEvent[], dbName: string): unknown {
  return normalize(
    events.map((e) => {
      const out: Document = { command: e.commandName };
      for (const k of PAYLOAD_FIELDS) if (e.command[k] !== undefined) out[k] = e.command[k];
      if (out.limit === 0) delete out.limit; // no limit, whether sent or not
      if (out.cursors) out.cursors = (out.cursors as unknown[]).map(() => '<id>');
      if (out.endSessions) out.endSessions = (out.endSessions as unknown[]).length > 0;
      return out;
    }),
    dbName,
  );
}

/** Run and capture: a thrown error is a value like any other. */
async function outcome(op: Op, ctx: Ctx): Promise<unknown> {
  try {
    return normalize({ ok: await op.run(ctx) }, ctx.dbName);
  } catch (e) {
    return normalize({ threw: e }, ctx.dbName);
  }
}

const seedDocs = (from: number, to: number): Item[] =>
  Array.from({ length: to - from }, (_, i) => ({ _id: from + i, n: from + i, tag: (from + i) % 2 ? 'odd' : 'even' }));
const sortByName = (list: Document[]): Document[] => [...list].sort((a, b) => String(a.name).localeCompare(String(b.name)));

const OPS: Op[] = [
  // ---- setup / catalog
  { name: 'dropDatabase (fresh)', run: ({ db }) => db.dropDatabase() },
  { name: 'createCollection items', run: ({ db }) => db.createCollection('items') },
  { name: 'createCollection items again (same options)', run: ({ db }) => db.createCollection('items') },
  { name: 'createCollection items with other options', run: ({ db }) => db.createCollection('items', { validator: { n: { $type: 'number' } } }) },
  // ---- inserts
  { name: 'insertOne', run: ({ items }) => items.insertOne({ _id: 1, n: 1, tag: 'odd' }) },
  { name: 'insertMany', run: ({ items }) => items.insertMany(seedDocs(2, 30)) },
  { name: 'insertOne duplicate _id', run: ({ items }) => items.insertOne({ _id: 1, n: 1 }) },
  { name: 'insertMany ordered with duplicate', run: ({ items }) => items.insertMany([{ _id: 100, n: 100 }, { _id: 1, n: 1 }, { _id: 101, n: 101 }]) },
  {
    name: 'insertMany unordered with duplicates',
    run: ({ items }) => items.insertMany([{ _id: 102, n: 102 }, { _id: 1, n: 1 }, { _id: 103, n: 103 }, { _id: 2, n: 2 }], { ordered: false }),
  },
  { name: 'insertMany empty', run: ({ items }) => items.insertMany([]) },
  // ---- reads
  { name: 'find all toArray', run: ({ items }) => items.find().toArray() },
  { name: 'find sort/skip/limit/projection', run: ({ items }) => items.find({ tag: 'odd' }, { projection: { _id: 0, n: 1 } }).sort({ n: -1 }).skip(2).limit(5).toArray() },
  { name: 'find batchSize 3 (getMore)', run: ({ items }) => items.find({ n: { $lt: 20 } }, { batchSize: 3, sort: { n: 1 } }).toArray() },
  {
    name: 'find next/hasNext/close',
    run: async ({ items }) => {
      const c = items.find({}, { sort: { _id: 1 }, batchSize: 2 });
      const out = [await c.hasNext(), await c.next(), await c.next(), await c.next()];
      await c.close();
      return { out, closed: c.closed, killed: c.killed, afterClose: await c.next().catch((e: unknown) => e) };
    },
  },
  {
    name: 'find for await',
    run: async ({ items }) => {
      const ids: number[] = [];
      for await (const d of items.find({ n: { $gte: 25 } }).sort({ n: 1 })) ids.push(d._id);
      return ids;
    },
  },
  { name: 'find with negative limit', run: ({ items }) => items.find({}).sort({ _id: 1 }).limit(-3).toArray() },
  { name: 'find with bad operator', run: ({ items }) => items.find({ n: { $bogus: 1 } }).toArray() },
  { name: 'findOne', run: ({ items }) => items.findOne({ _id: 5 }) },
  { name: 'findOne missing', run: ({ items }) => items.findOne({ _id: 999 }) },
  { name: 'findOne sort + projection', run: ({ items }) => items.findOne({}, { sort: { n: -1 }, projection: { tag: 1 } }) },
  { name: 'countDocuments', run: ({ items }) => items.countDocuments({ n: { $gte: 10 } }) },
  { name: 'countDocuments skip/limit', run: ({ items }) => items.countDocuments({}, { skip: 3, limit: 7 }) },
  { name: 'estimatedDocumentCount', run: ({ items }) => items.estimatedDocumentCount() },
  { name: 'distinct', run: async ({ items }) => (await items.distinct('tag')).sort() },
  { name: 'distinct with filter', run: async ({ items }) => (await items.distinct('n', { n: { $lt: 5 } })).sort() },
  {
    name: 'aggregate $group',
    run: ({ items }) => items.aggregate([{ $group: { _id: '$tag', c: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray(),
  },
  { name: 'aggregate batchSize 2', run: ({ items }) => items.aggregate([{ $match: { n: { $lt: 9 } } }, { $sort: { n: -1 } }], { batchSize: 2 }).toArray() },
  { name: 'aggregate bad stage', run: ({ items }) => items.aggregate([{ $bogus: {} }]).toArray() },
  { name: 'aggregate $count', run: ({ items }) => items.aggregate([{ $match: { tag: 'odd' } }, { $count: 'odd' }]).toArray() },
  {
    name: 'find with map() and explicit limit 0',
    run: ({ items }) =>
      items
        .find({ n: { $lt: 4 } })
        .sort({ n: 1 })
        .limit(0)
        .map((d) => d.n * 2)
        .toArray(),
  },
  {
    name: 'find rewind',
    run: async ({ items }) => {
      const c = items.find({ n: { $lt: 6 } }, { batchSize: 2 }).sort({ n: 1 });
      const first = await c.next();
      c.rewind();
      return { first, all: await c.toArray() };
    },
    // mongodb 7.9 rewind() forgets a live server cursor without killCursors (it stays open
    // on the server until the cursor timeout); we kill it before re-running the query.
    officialWireBug: (theirs) => [theirs[0]!, { command: 'killCursors', cursors: ['<id>'] }, ...theirs.slice(1)],
  },
  // ---- updates
  { name: 'updateOne', run: ({ items }) => items.updateOne({ _id: 3 }, { $set: { tag: 'three' } }) },
  { name: 'updateOne no-op', run: ({ items }) => items.updateOne({ _id: 3 }, { $set: { tag: 'three' } }) },
  { name: 'updateOne no match', run: ({ items }) => items.updateOne({ _id: 999 }, { $set: { tag: 'x' } }) },
  { name: 'updateOne upsert', run: ({ items }) => items.updateOne({ _id: 200 }, { $set: { n: 200 } }, { upsert: true }) },
  { name: 'updateOne pipeline', run: ({ items }) => items.updateOne({ _id: 200 }, [{ $set: { m: { $add: ['$n', 1] } } }]) },
  { name: 'updateOne without operators', run: ({ items }) => items.updateOne({ _id: 3 }, { n: 3 } as never) },
  { name: 'updateOne bad update operator', run: ({ items }) => items.updateOne({ _id: 3 }, { $bogus: { n: 1 } } as never) },
  { name: 'updateMany', run: ({ items }) => items.updateMany({ tag: 'even' }, { $inc: { n: 1000 } }) },
  { name: 'updateMany upsert', run: ({ items }) => items.updateMany({ _id: 201 }, { $set: { n: 201 } }, { upsert: true }) },
  { name: 'updateOne $push', run: ({ items }) => items.updateOne({ _id: 5 }, { $push: { arr: { $each: [3, 1, 2] } } }) },
  { name: 'replaceOne', run: ({ items }) => items.replaceOne({ _id: 7 }, { n: -7 }) },
  { name: 'replaceOne upsert', run: ({ items }) => items.replaceOne({ _id: 202 }, { n: 202 }, { upsert: true }) },
  { name: 'replaceOne with operators', run: ({ items }) => items.replaceOne({ _id: 7 }, { $set: { n: 1 } } as never) },
  { name: 'read back after updates', run: ({ items }) => items.find({ _id: { $in: [3, 4, 5, 7, 200, 201, 202] } }).sort({ _id: 1 }).toArray() },
  // ---- findAndModify family
  { name: 'findOneAndUpdate (before)', run: ({ items }) => items.findOneAndUpdate({ _id: 9 }, { $set: { tag: 'nine' } }) },
  { name: 'findOneAndUpdate (after)', run: ({ items }) => items.findOneAndUpdate({ _id: 9 }, { $inc: { n: 1 } }, { returnDocument: 'after' }) },
  {
    name: 'findOneAndUpdate upsert includeResultMetadata',
    run: ({ items }) => items.findOneAndUpdate({ _id: 300 }, { $set: { n: 300 } }, { upsert: true, returnDocument: 'after', includeResultMetadata: true }),
  },
  {
    name: 'findOneAndUpdate includeResultMetadata existing',
    run: ({ items }) => items.findOneAndUpdate({ _id: 300 }, { $set: { n: 301 } }, { includeResultMetadata: true }),
  },
  { name: 'findOneAndUpdate no match', run: ({ items }) => items.findOneAndUpdate({ _id: 999 }, { $set: { n: 1 } }) },
  {
    name: 'findOneAndReplace (after, projection)',
    run: ({ items }) => items.findOneAndReplace({ _id: 11 }, { n: 11, tag: 'r' }, { returnDocument: 'after', projection: { _id: 0 } }),
  },
  { name: 'findOneAndReplace includeResultMetadata no match', run: ({ items }) => items.findOneAndReplace({ _id: 998 }, { n: 1 }, { includeResultMetadata: true }) },
  { name: 'findOneAndDelete', run: ({ items }) => items.findOneAndDelete({ _id: 13 }) },
  { name: 'findOneAndDelete sort', run: ({ items }) => items.findOneAndDelete({ tag: 'odd' }, { sort: { n: -1 } }) },
  { name: 'findOneAndDelete includeResultMetadata', run: ({ items }) => items.findOneAndDelete({ _id: 15 }, { includeResultMetadata: true }) },
  // ---- deletes
  { name: 'deleteOne', run: ({ items }) => items.deleteOne({ _id: 17 }) },
  { name: 'deleteOne no match', run: ({ items }) => items.deleteOne({ _id: 17 }) },
  { name: 'deleteMany', run: ({ items }) => items.deleteMany({ n: { $gte: 1000 } }) },
  // ---- bulkWrite
  {
    name: 'bulkWrite mixed',
    run: ({ items }) =>
      items.bulkWrite([
        { insertOne: { document: { _id: 400, n: 400 } } },
        { insertOne: { document: { _id: 401, n: 401 } } },
        { updateOne: { filter: { _id: 400 }, update: { $set: { tag: 'a' } } } },
        { updateMany: { filter: { _id: { $gte: 400 } }, update: { $inc: { n: 1 } } } },
        { replaceOne: { filter: { _id: 402 }, replacement: { n: 402 }, upsert: true } },
        { updateOne: { filter: { _id: 403 }, update: { $set: { n: 403 } }, upsert: true } },
        { deleteOne: { filter: { _id: 401 } } },
        { deleteMany: { filter: { _id: { $gt: 500 } } } },
      ]),
  },
  {
    name: 'bulkWrite ordered duplicate',
    run: ({ items }) =>
      items.bulkWrite([
        { insertOne: { document: { _id: 410, n: 0 } } },
        { updateOne: { filter: { _id: 410 }, update: { $set: { n: 1 } } } },
        { insertOne: { document: { _id: 400, n: 0 } } },
        { insertOne: { document: { _id: 411, n: 0 } } },
      ]),
    // mongodb 7.9 getSuccessfullyInsertedIds (ordered) slices its list of inserts by the
    // failed *operation* index (2) as if it were a position in that list, so it reports
    // _id 400 (the failed insert) as inserted. We report only the insert that happened.
    officialBug: (theirs) => {
      const t = structuredClone(theirs);
      delete t.threw.insertedIds['2'];
      delete t.threw.result.insertedIds['2'];
      return t;
    },
  },
  {
    name: 'bulkWrite unordered duplicates',
    run: ({ items }) =>
      items.bulkWrite(
        [
          { insertOne: { document: { _id: 420, n: 0 } } },
          { insertOne: { document: { _id: 400, n: 0 } } },
          { deleteOne: { filter: { _id: 420 } } },
          { insertOne: { document: { _id: 402, n: 0 } } },
          { updateOne: { filter: { _id: 421 }, update: { $set: { n: 1 } }, upsert: true } },
        ],
        { ordered: false },
      ),
  },
  { name: 'bulkWrite empty', run: ({ items }) => items.bulkWrite([]) },
  { name: 'read back after bulk', run: ({ items }) => items.find({ _id: { $gte: 400 } }).sort({ _id: 1 }).toArray() },
  // ---- indexes
  { name: 'createIndex unique', run: ({ items }) => items.createIndex({ n: 1 }, { unique: true }) },
  { name: 'createIndexes', run: ({ items }) => items.createIndexes([{ key: { tag: 1 } }, { key: { tag: -1, n: 1 }, name: 'tag_n' }]) },
  { name: 'createIndex same again', run: ({ items }) => items.createIndex({ tag: 1 }) },
  { name: 'createIndex conflicting options', run: ({ items }) => items.createIndex({ tag: 1 }, { unique: true }) },
  { name: 'listIndexes', run: ({ items }) => items.listIndexes().toArray() },
  { name: 'indexExists', run: ({ items }) => items.indexExists(['tag_1', 'tag_n']) },
  { name: 'unique index enforced', run: ({ items }) => items.insertOne({ _id: 500, n: 2 }) },
  { name: 'dropIndex', run: ({ items }) => items.dropIndex('tag_n') },
  { name: 'dropIndex missing', run: ({ items }) => items.dropIndex('nope_1') },
  { name: 'indexes after drop', run: ({ items }) => items.indexes() },
  // ---- commands and catalog
  { name: 'db.command ping', run: ({ db }) => db.command({ ping: 1 }) },
  { name: 'db.command count', run: ({ db }) => db.command({ count: 'items', query: { tag: 'odd' } }) },
  { name: 'db.command unknown', run: ({ db }) => db.command({ notARealCommand: 1 }) },
  {
    name: 'admin command hello (stable fields)',
    run: async ({ client }) => {
      const h = await client.db('admin').command({ hello: 1 });
      return { isWritablePrimary: h.isWritablePrimary, maxWireVersion: h.maxWireVersion, maxBsonObjectSize: h.maxBsonObjectSize, ok: h.ok };
    },
  },
  { name: 'admin().ping', run: ({ db }) => db.admin().ping() },
  { name: 'createCollection other', run: ({ db }) => db.createCollection('other') },
  { name: 'listCollections', run: async ({ db }) => sortByName(await db.listCollections().toArray()) },
  { name: 'listCollections nameOnly', run: async ({ db }) => sortByName(await db.listCollections({}, { nameOnly: true }).toArray()) },
  { name: 'listCollections filter', run: ({ db }) => db.listCollections({ name: 'other' }).toArray() },
  {
    name: 'listDatabases (this db)',
    run: async ({ db, dbName }) => {
      const r = await db.admin().listDatabases();
      return { ok: r.ok, mine: r.databases.filter((d) => d.name === dbName) };
    },
  },
  { name: 'find on a missing collection', run: ({ db }) => db.collection('missing').find({}).toArray() },
  { name: 'estimatedDocumentCount on a missing collection', run: ({ db }) => db.collection('missing').estimatedDocumentCount() },
  { name: 'countDocuments on a missing collection', run: ({ db }) => db.collection('missing').countDocuments({}) },
  { name: 'distinct on a missing collection', run: ({ db }) => db.collection('missing').distinct('x') },
  { name: 'insertOne into other', run: ({ db }) => db.collection<{ _id: number; nested: Document }>('other').insertOne({ _id: 1, nested: { a: [1, 2, { b: null }] } }) },
  {
    name: 'rename other -> renamed',
    run: async ({ db }) => {
      const c = await db.collection('other').rename('renamed');
      return { name: c.collectionName, docs: await c.find().toArray() };
    },
  },
  { name: 'rename onto an existing collection', run: ({ db }) => db.collection('renamed').rename('items') },
  { name: 'rename onto an existing collection with dropTarget', run: async ({ db }) => (await db.collection('renamed').rename('gone', { dropTarget: true })).collectionName },
  { name: 'rename back', run: async ({ db }) => (await db.collection('gone').rename('other')).collectionName },
  { name: 'collection drop', run: ({ db }) => db.collection('other').drop() },
  { name: 'collection drop missing', run: ({ db }) => db.collection('other').drop() },
  { name: 'dropCollection', run: ({ db }) => db.dropCollection('items') },
  { name: 'dropDatabase', run: ({ db }) => db.dropDatabase() },
  {
    name: 'listDatabases after dropDatabase',
    run: async ({ db, dbName }) => (await db.admin().listDatabases({ nameOnly: true })).databases.some((d) => d.name === dbName),
  },
];

describe('differential: our client vs the official driver on the same sim', () => {
  let sim: SimHandle;
  let ours: OurClient;
  let official: OfficialClient;
  let oursCtx: Ctx;
  let officialCtx: Ctx;
  const oursSent: StartedEvent[] = [];
  const officialSent: StartedEvent[] = [];

  beforeAll(async () => {
    sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
    const uri = `mongodb://${sim.address}/?serverSelectionTimeoutMS=5000`;
    ours = new OurClient(uri, { monitorCommands: true });
    official = new OfficialClient(uri, { monitorCommands: true });
    await Promise.all([ours.connect(), official.connect()]);
    ours.on('commandStarted', (e: StartedEvent) => oursSent.push(e));
    official.on('commandStarted', (e: StartedEvent) => officialSent.push(e));
    // Our client is exercised through the official driver's types: the table must compile against both.
    const oursAsOfficial = ours as unknown as OfficialClient;
    const mk = (client: OfficialClient, dbName: string): Ctx => {
      const db = client.db(dbName);
      return { client, db, items: db.collection<Item>('items'), dbName };
    };
    oursCtx = mk(oursAsOfficial, 'diff_ours');
    officialCtx = mk(official, 'diff_official');
  });

  afterAll(async () => {
    await ours?.close();
    await official?.close();
    await sim?.close();
  });

  for (const op of OPS) {
    it(op.name, async () => {
      oursSent.length = 0;
      officialSent.length = 0;
      const mine = await outcome(op, oursCtx);
      const raw = await outcome(op, officialCtx);
      const theirs = op.officialBug ? op.officialBug(raw as Document) : raw;
      expect(mine, `operation "${op.name}" differs from the official driver`).toEqual(theirs);
      expect(wireShape(oursSent, 'diff_ours'), `commands sent for "${op.name}" differ from the official driver's`).toEqual(
        op.officialWireBug
          ? op.officialWireBug(wireShape(officialSent, 'diff_official') as Document[])
          : wireShape(officialSent, 'diff_official'),
      );
    });
  }
});
