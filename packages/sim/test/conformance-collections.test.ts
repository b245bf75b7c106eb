// mongod 7.0 collection semantics through the official driver: validators ($jsonSchema,
// levels, actions, bypass), create options as listCollections/listIndexes report them,
// views, collMod, and IDL unknown-field errors.
import { beforeEach, describe, expect, it } from 'vitest';
import { MongoBulkWriteError, type Db } from 'mongodb';
import { officialDriverOnSim, serverFailure } from './support/official-driver.js';

const env = officialDriverOnSim();
let db: Db;
let n = 0;

beforeEach(() => {
  db = env.client.db(`c${++n}`);
});

const failure = serverFailure;

const schema = {
  $jsonSchema: {
    bsonType: 'object',
    required: ['name'],
    properties: { name: { bsonType: 'string' }, age: { bsonType: 'int', minimum: 0 } },
  },
};

describe('document validation', () => {
  it('a $jsonSchema validator refuses a bad insert with 121 and errInfo details', async () => {
    await db.createCollection('p', { validator: schema });
    const p = db.collection('p');
    await p.insertOne({ name: 'ann', age: 3 });
    const e = await failure(p.insertOne({ age: -1 }));
    expect(e.code).toBe(121);
    expect(e.message).toBe('Document failed validation');
    const info = e.errInfo as { failingDocumentId: unknown; details: { operatorName: string; schemaRulesNotSatisfied: Array<Record<string, unknown>> } };
    expect(info.failingDocumentId).toBeDefined();
    expect(info.details.operatorName).toBe('$jsonSchema');
    const ops = info.details.schemaRulesNotSatisfied.map((r) => r.operatorName);
    expect(ops).toEqual(expect.arrayContaining(['required', 'properties']));
    expect(info.details.schemaRulesNotSatisfied.find((r) => r.operatorName === 'required')).toMatchObject({ missingProperties: ['name'] });
    // a batch: the failure is a write error with errInfo, earlier documents stay
    const bulk = await p.insertMany([{ name: 'bob' }, { name: 7 }], { ordered: true }).catch((x: unknown) => x);
    expect(bulk).toBeInstanceOf(MongoBulkWriteError);
    const we = (bulk as MongoBulkWriteError).writeErrors as unknown as Array<{ code: number; errInfo?: unknown }> | { code: number; errInfo?: unknown };
    const first = Array.isArray(we) ? we[0]! : we;
    expect(first.code).toBe(121);
    expect(first.errInfo).toBeDefined();
    expect(await p.countDocuments()).toBe(2);
  });

  it('updates, findAndModify and $out are validated; bypassDocumentValidation skips it', async () => {
    await db.createCollection('v', { validator: { x: { $type: 'string' } } });
    const v = db.collection('v');
    await v.insertOne({ _id: 1, x: 'a' } as never);
    expect((await failure(v.updateOne({ _id: 1 } as never, { $set: { x: 1 } }))).code).toBe(121);
    const fam = await failure(v.findOneAndUpdate({ _id: 1 } as never, { $set: { x: 1 } }));
    expect(fam.code).toBe(121);
    expect(fam.errInfo).toMatchObject({ failingDocumentId: 1 });
    await v.updateOne({ _id: 1 } as never, { $set: { x: 2 } }, { bypassDocumentValidation: true });
    expect(await v.findOne({ _id: 1 } as never)).toEqual({ _id: 1, x: 2 });
    await db.collection('src').insertOne({ x: 5 });
    expect((await failure(db.collection('src').aggregate([{ $out: 'v' }]).toArray())).code).toBe(121);
    expect(await v.countDocuments()).toBe(1);
  });

  it('validationLevel moderate skips documents already invalid; validationAction warn writes', async () => {
    await db.createCollection('m');
    const m = db.collection('m');
    await m.insertMany([{ _id: 1, x: 1 }, { _id: 2, x: 'ok' }] as never[]);
    await db.command({ collMod: 'm', validator: { x: { $type: 'string' } }, validationLevel: 'moderate' });
    await m.updateOne({ _id: 1 } as never, { $set: { y: 1 } });
    expect((await failure(m.updateOne({ _id: 2 } as never, { $set: { x: 3 } }))).code).toBe(121);
    await db.command({ collMod: 'm', validationAction: 'warn' });
    await m.updateOne({ _id: 2 } as never, { $set: { x: 3 } });
    const info = (await db.listCollections({ name: 'm' }, { nameOnly: false }).toArray())[0]!;
    expect(info.options).toMatchObject({ validator: { x: { $type: 'string' } }, validationLevel: 'moderate', validationAction: 'warn' });
  });

  it('bad validator options are refused', async () => {
    expect((await failure(db.createCollection('b', { validationLevel: 'sometimes' as never }))).code).toBe(2);
    expect((await failure(db.createCollection('b', { validator: { $jsonSchema: { bsonType: 'nope' } } }))).code).toBe(2);
    expect((await failure(db.createCollection('b', { validator: { $jsonSchema: { foo: 1 } } }))).code).toBe(9);
  });

  it('$jsonSchema works in query filters too', async () => {
    const q = db.collection('q');
    await q.insertMany([{ _id: 1, name: 'x' }, { _id: 2 }] as never[]);
    expect(await q.find(schema).toArray()).toEqual([{ _id: 1, name: 'x' }]);
  });
});

describe('create options', () => {
  it('clusteredIndex shows in listCollections and listIndexes', async () => {
    await db.createCollection('cl', { clusteredIndex: { key: { _id: 1 }, unique: true, name: 'test index' } });
    const [info] = await db.listCollections({ name: { $eq: 'cl' } }, { nameOnly: false }).toArray();
    expect(info).toMatchObject({ name: 'cl', type: 'collection', options: { clusteredIndex: { key: { _id: 1 }, unique: true, name: 'test index', v: 2 } } });
    expect((info as Record<string, unknown>).idIndex).toBeUndefined();
    expect(await db.collection('cl').listIndexes().toArray()).toEqual([{ v: 2, key: { _id: 1 }, name: 'test index', unique: true, clustered: true }]);
    expect((await failure(db.createCollection('cl2', { clusteredIndex: { key: { a: 1 }, unique: true } }))).code).toBe(72);
  });

  it('timeseries: type timeseries, bucket span filled in, duplicate _ids kept, time field required', async () => {
    await db.createCollection('ts', { expireAfterSeconds: 604800, timeseries: { timeField: 'time', metaField: 'meta', granularity: 'minutes' } });
    const [info] = await db.listCollections({ name: 'ts' }, { nameOnly: false }).toArray();
    expect(info).toMatchObject({ type: 'timeseries', options: { expireAfterSeconds: 604800, timeseries: { timeField: 'time', metaField: 'meta', granularity: 'minutes', bucketMaxSpanSeconds: 86400 } } });
    const ts = db.collection('ts');
    const t0 = new Date(1552949630482);
    const t1 = new Date(1552949630483);
    await ts.insertMany([{ _id: 1, time: t0 }, { _id: 1, time: t1 }] as never[]);
    expect(await ts.find({}, { sort: { time: 1 } }).toArray()).toEqual([{ _id: 1, time: t0 }, { _id: 1, time: t1 }]);
    expect((await failure(ts.insertOne({ x: 1 }))).code).toBe(2);
  });

  it('capped needs size; expireAfterSeconds needs clustering; changeStreamPreAndPostImages is stored', async () => {
    expect((await failure(db.createCollection('cap', { capped: true }))).code).toBe(72);
    await db.createCollection('cap', { capped: true, size: 4096, max: 3 });
    expect((await db.listCollections({ name: 'cap' }, { nameOnly: false }).toArray())[0]!.options).toEqual({ capped: true, size: 4096, max: 3 });
    expect((await failure(db.createCollection('e', { expireAfterSeconds: 10 }))).code).toBe(72);
    await db.createCollection('pp', { changeStreamPreAndPostImages: { enabled: false } });
    await db.command({ collMod: 'pp', changeStreamPreAndPostImages: { enabled: true } });
    expect((await db.listCollections({ name: 'pp' }, { nameOnly: false }).toArray())[0]!.options).toEqual({ changeStreamPreAndPostImages: { enabled: true } });
  });

  it('a collection default collation applies to queries and indexes', async () => {
    await db.createCollection('dc', { collation: { locale: 'en', strength: 2 } });
    const [info] = await db.listCollections({ name: 'dc' }, { nameOnly: false }).toArray();
    expect(info!.options!.collation).toMatchObject({ locale: 'en', strength: 2, caseLevel: false, caseFirst: 'off', numericOrdering: false, alternate: 'non-ignorable' });
    const dc = db.collection('dc');
    await dc.insertOne({ s: 'Hello' });
    expect(await dc.countDocuments({ s: 'HELLO' })).toBe(1);
    await dc.createIndex({ s: 1 }, { unique: true });
    expect((await failure(dc.insertOne({ s: 'hello' }))).code).toBe(11000);
  });

  it('an unknown create option fails with 40415', async () => {
    const e = await failure(db.command({ create: 'u', bogus: 1 }));
    expect(e.code).toBe(40415);
    expect(e.message).toBe("BSON field 'create.bogus' is an unknown field.");
    expect((await failure(db.command({ find: 'u', bogus: 1 }))).code).toBe(40415);
  });
});

describe('views', () => {
  it('reads through the pipeline, lists as type view, refuses writes and indexes (166)', async () => {
    const base = db.collection('coll0');
    await base.insertMany([{ _id: 1, x: 11 }, { _id: 2, x: 22 }, { _id: 3, x: 33 }] as never[]);
    await db.createCollection('v', { viewOn: 'coll0', pipeline: [{ $match: { _id: { $gt: 1 } } }] });
    const v = db.collection('v');
    expect(await v.estimatedDocumentCount()).toBe(2);
    expect(await v.find({ x: { $lt: 30 } }).toArray()).toEqual([{ _id: 2, x: 22 }]);
    expect(await v.countDocuments()).toBe(2);
    expect(await v.distinct('x')).toEqual([22, 33]);
    expect(await v.aggregate([{ $group: { _id: null, s: { $sum: '$x' } } }]).toArray()).toEqual([{ _id: null, s: 55 }]);
    const [info] = await db.listCollections({ name: 'v' }, { nameOnly: false }).toArray();
    expect(info).toEqual({ name: 'v', type: 'view', options: { viewOn: 'coll0', pipeline: [{ $match: { _id: { $gt: 1 } } }] }, info: { readOnly: true } });
    expect((await failure(v.insertOne({ x: 1 }))).code).toBe(166);
    expect((await failure(v.deleteMany({}))).code).toBe(166);
    expect((await failure(v.createIndex({ x: 1 }))).code).toBe(166);
    await db.createCollection('vv', { viewOn: 'v', pipeline: [{ $match: { x: 33 } }] });
    expect(await db.collection('vv').find().toArray()).toEqual([{ _id: 3, x: 33 }]);
    expect((await failure(db.command({ collMod: 'v', viewOn: 'vv', pipeline: [] }))).code).toBe(5);
    await db.command({ collMod: 'v', viewOn: 'coll0', pipeline: [] });
    expect(await v.countDocuments()).toBe(3);
    await v.drop();
    expect((await db.listCollections({ name: 'v' }, { nameOnly: false }).toArray()).length).toBe(0);
  });
});

describe('collMod', () => {
  it('prepareUnique refuses new duplicates; unique with existing duplicates fails with 359 and violations', async () => {
    const t = db.collection('test');
    await t.insertMany([{ _id: 1, x: 1 }, { _id: 2, x: 1 }] as never[]);
    await t.createIndex({ x: 1 });
    const r = await db.command({ collMod: 'test', index: { keyPattern: { x: 1 }, prepareUnique: true } });
    expect(r).toMatchObject({ prepareUnique_old: false, prepareUnique_new: true, ok: 1 });
    expect((await failure(t.insertOne({ _id: 3, x: 1 } as never))).code).toBe(11000);
    const e = await failure(db.command({ collMod: 'test', index: { keyPattern: { x: 1 }, unique: true } }));
    expect(e.code).toBe(359);
    expect(e.errorResponse.violations).toEqual([{ ids: [1, 2] }]);
    await t.deleteOne({ _id: 2 } as never);
    expect(await db.command({ collMod: 'test', index: { keyPattern: { x: 1 }, unique: true } })).toMatchObject({ unique_new: true });
    expect((await t.listIndexes().toArray()).find((i) => i.name === 'x_1')).toMatchObject({ unique: true });
  });

  it('hidden, missing index and missing namespace', async () => {
    const t = db.collection('h');
    await t.createIndex({ a: 1 });
    expect(await db.command({ collMod: 'h', index: { name: 'a_1', hidden: true } })).toMatchObject({ hidden_old: false, hidden_new: true });
    expect((await t.listIndexes().toArray()).find((i) => i.name === 'a_1')).toMatchObject({ hidden: true });
    expect((await failure(db.command({ collMod: 'h', index: { name: 'nope', hidden: true } }))).code).toBe(27);
    expect((await failure(db.command({ collMod: 'nothere', validator: {} }))).code).toBe(26);
  });
});

describe('capped collections', () => {
  it('evict the oldest documents past max; a tailable cursor stays open and sees later inserts', async () => {
    await db.createCollection('cap', { capped: true, size: 4096, max: 3 });
    const cap = db.collection('cap');
    await cap.insertMany([{ _id: 1 }, { _id: 2 }] as never[]);
    const first = await db.command({ find: 'cap', tailable: true, batchSize: 2 });
    expect(first.cursor.firstBatch).toEqual([{ _id: 1 }, { _id: 2 }]);
    expect(first.cursor.id.isZero()).toBe(false);
    const empty = await db.command({ getMore: first.cursor.id, collection: 'cap' });
    expect(empty.cursor.nextBatch).toEqual([]);
    expect(empty.cursor.id.equals(first.cursor.id)).toBe(true);
    await cap.insertMany([{ _id: 3 }, { _id: 4 }] as never[]);
    const more = await db.command({ getMore: first.cursor.id, collection: 'cap' });
    expect(more.cursor.nextBatch).toEqual([{ _id: 3 }, { _id: 4 }]);
    await db.command({ killCursors: 'cap', cursors: [first.cursor.id] });
    expect(await cap.find().toArray()).toEqual([{ _id: 2 }, { _id: 3 }, { _id: 4 }]);
    await db.collection('plain').insertOne({ a: 1 });
    expect((await failure(db.command({ find: 'plain', tailable: true }))).code).toBe(2);
  });
});

