// mongod 7.0 query semantics the unified CRUD suites exercise: `let`, pipeline-style updates,
// dotted and `$`-prefixed field names, collation, IDL unknown fields. The official driver is the env.client.
import { beforeEach, describe, expect, it } from 'vitest';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import { officialDriverOnSim } from './support/official-driver.js';

const env = officialDriverOnSim();
let db: Db;
let coll: Collection;
let n = 0;

beforeEach(() => {
  db = env.client.db(`q${++n}`);
  coll = db.collection('c');
});

async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MongoServerError);
  return e as MongoServerError;
}

describe('let variables', () => {
  it('find, aggregate, update, delete and findAndModify see $$ variables', async () => {
    await coll.insertMany([{ _id: 1 }, { _id: 2 }] as never[]);
    expect(await coll.find({ $expr: { $eq: ['$_id', '$$id'] } }, { let: { id: 1 } }).toArray()).toEqual([{ _id: 1 }]);
    const agg = await coll
      .aggregate([{ $match: { $expr: { $eq: ['$_id', '$$id'] } } }, { $project: { _id: 0, x: '$$x', y: '$$y', rand: '$$rand' } }], {
        let: { id: 1, x: 'foo', y: { $literal: '$bar' }, rand: { $rand: {} } },
      })
      .toArray();
    expect(agg).toHaveLength(1);
    expect(agg[0]).toMatchObject({ x: 'foo', y: '$bar' });
    expect(typeof agg[0]!.rand).toBe('number');
    const u = await coll.updateOne({ $expr: { $eq: ['$_id', '$$id'] } }, [{ $set: { x: '$$x' } }], { let: { id: 1, x: 'foo' } });
    expect(u).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await coll.findOne({ _id: 1 } as never)).toEqual({ _id: 1, x: 'foo' });
    const f = await coll.findOneAndUpdate({ $expr: { $eq: ['$_id', '$$id'] } }, [{ $set: { y: '$$y' } }], { let: { id: 2, y: 7 }, returnDocument: 'after' });
    expect(f).toEqual({ _id: 2, y: 7 });
    expect((await coll.deleteMany({ $expr: { $eq: ['$_id', '$$id'] } }, { let: { id: 2 } })).deletedCount).toBe(1);
    await coll.aggregate([{ $match: { $expr: { $eq: ['$_id', '$$id'] } } }, { $project: { _id: 1 } }, { $out: 'out' }], { let: { id: 1 } }).toArray();
    expect(await db.collection('out').find().toArray()).toEqual([{ _id: 1 }]);
  });

  it('an undefined variable is an error, as in mongod', async () => {
    await coll.insertOne({ _id: 1 } as never);
    const e = await serverError(coll.find({ $expr: { $eq: ['$_id', '$$nope'] } }).toArray());
    expect(e.message).toMatch(/undefined variable/i);
  });
});

describe('filters are parsed before the collection is looked up', () => {
  it('an unknown operator is BadValue (2) on a collection that does not exist, for find, update and delete', async () => {
    const missing = db.collection('never_created');
    for (const run of [
      () => missing.find({ $unsupportedQueryOperator: 1 } as never).toArray(),
      () => missing.find({ a: { $nope: 1 } } as never).toArray(),
      () => missing.updateOne({ $unsupportedQueryOperator: 1 } as never, { $set: { a: 1 } }),
      () => missing.deleteMany({ $unsupportedQueryOperator: 1 } as never),
    ]) {
      const e = await serverError(run());
      expect(e.code).toBe(2);
      expect(e.message).toMatch(/unknown (top level|query) operator/);
    }
    expect(await db.listCollections({ name: 'never_created' }).toArray()).toEqual([]);
  });
});

describe('upserts', () => {
  it("a replacement upsert keeps the replacement's _id: null, as mongod stores it", async () => {
    const r = await coll.replaceOne({ x: 1 }, { _id: null, x: 2 } as never, { upsert: true });
    expect(r.upsertedCount).toBe(1);
    expect(await coll.find().toArray()).toEqual([{ _id: null, x: 2 }]);
  });
});

describe('pipeline-style updates', () => {
  it('keep the _id when the pipeline replaces the root', async () => {
    await coll.insertMany([{ _id: 1, x: 1, y: 1, t: { u: { v: 1 } } }, { _id: 2, x: 2, y: 1 }] as never[]);
    const r = await coll.updateOne({ _id: 1 } as never, [{ $replaceRoot: { newRoot: '$t' } }, { $addFields: { foo: 1 } }]);
    expect(r).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await coll.find().toArray()).toEqual([{ _id: 1, u: { v: 1 }, foo: 1 }, { _id: 2, x: 2, y: 1 }]);
  });

  it('refuse a changed _id and stages other than $set/$project/$unset/$replaceRoot/...', async () => {
    await coll.insertOne({ _id: 1 } as never);
    expect((await serverError(coll.updateOne({ _id: 1 } as never, [{ $set: { _id: 2 } }]))).code).toBe(66);
    const e = await serverError(coll.updateOne({ _id: 1 } as never, [{ $group: { _id: null } }]));
    expect(e.code).toBe(72);
    expect(e.message).toContain('$group is not allowed to be used within an update');
  });

  it('write dotted and $-prefixed field names with $setField', async () => {
    await coll.insertOne({ _id: 1, foo: {} } as never);
    await coll.updateOne({ _id: 1 } as never, [{ $replaceWith: { $setField: { field: { $literal: '$a' }, value: 1, input: '$$ROOT' } } }]);
    await coll.updateMany({ _id: 1 } as never, [{ $set: { foo: { $setField: { field: { $literal: 'a.b' }, value: 1, input: '$foo' } } } }]);
    expect(await coll.find().toArray()).toEqual([{ _id: 1, foo: { 'a.b': 1 }, $a: 1 }]);
  });
});

describe('field names', () => {
  it('accepts dotted / $-prefixed names in documents, refuses $-prefixed names inside _id (code 52)', async () => {
    await coll.insertOne({ _id: 1, $a: 1, 'a.b': 1, e: { $b: 1, 'c.d': 2 } } as never);
    await coll.replaceOne({ _id: 1 } as never, { _id: 1, a: { $b: 1 } } as never);
    expect(await coll.findOne({ _id: 1 } as never)).toEqual({ _id: 1, a: { $b: 1 } });
    await coll.insertOne({ _id: { 'a.b': 1 } } as never);
    await coll.insertOne({ _id: 2, a: { $db: 'foo' } } as never);
    const e = await serverError(coll.insertOne({ _id: { $a: 1 } } as never));
    expect(e.code).toBe(52);
    expect(await coll.countDocuments()).toBe(3);
  });
});

describe('IDL unknown fields in write statements', () => {
  it("update with 'sort' (an 8.0 field) fails the whole command with 40415", async () => {
    await coll.insertMany([{ _id: 1 }, { _id: 2 }] as never[]);
    const e = await serverError(db.command({ update: 'c', updates: [{ q: {}, u: { $set: { z: 1 } }, sort: { _id: -1 } }] }));
    expect(e.code).toBe(40415);
    expect(e.message).toBe("BSON field 'update.updates.sort' is an unknown field.");
    const d = await serverError(db.command({ delete: 'c', deletes: [{ q: {}, limit: 1, bogus: 1 }] }));
    expect(d.code).toBe(40415);
    expect(await coll.countDocuments({ z: 1 })).toBe(0);
  });
});

describe('collation', () => {
  const en2 = { locale: 'en_US', strength: 2 };
  it('strength 2 matches case-insensitively in find, count, distinct, update, delete, aggregate, findAndModify', async () => {
    await coll.insertMany([{ _id: 1, x: 11 }, { _id: 2, x: 'ping' }, { _id: 3, x: 'pINg' }, { _id: 4, x: 'pong' }] as never[]);
    expect((await coll.find({ x: 'PING' }, { collation: en2 }).toArray()).map((d) => d._id)).toEqual([2, 3]);
    expect(await coll.find({ x: 'PING' }).toArray()).toEqual([]);
    expect(await coll.countDocuments({ x: 'ping' }, { collation: en2 })).toBe(2);
    expect(await coll.count({ x: 'ping' }, { collation: en2 })).toBe(2);
    expect(await coll.distinct('x', { _id: { $gt: 1 } } as never, { collation: en2 })).toEqual(['ping', 'pong']);
    expect((await coll.aggregate([{ $match: { x: 'PONG' } }], { collation: en2 }).toArray()).map((d) => d._id)).toEqual([4]);
    const f = await coll.findOneAndUpdate({ x: 'PING' }, { $set: { x: 'pong' } }, { sort: { _id: 1 }, projection: { x: 1, _id: 0 }, collation: en2 });
    expect(f).toEqual({ x: 'ping' });
    expect((await coll.updateMany({ x: 'PONG' }, { $set: { y: 1 } }, { collation: en2 })).modifiedCount).toBe(2);
    expect((await coll.deleteMany({ x: 'PING' }, { collation: en2 })).deletedCount).toBe(1);
  });

  it('strength 1 ignores diacritics, numericOrdering sorts digit runs as numbers', async () => {
    await coll.insertMany([{ _id: 1, s: 'café' }, { _id: 2, s: 'CAFE' }, { _id: 3, s: 'cafe2' }] as never[]);
    expect((await coll.find({ s: 'cafe' }, { collation: { locale: 'en', strength: 1 } }).toArray()).map((d) => d._id)).toEqual([1, 2]);
    expect((await coll.find({ s: 'cafe' }, { collation: { locale: 'en', strength: 2 } }).toArray()).map((d) => d._id)).toEqual([2]);
    await db.collection('n').insertMany([{ v: '10' }, { v: '9' }, { v: '100' }]);
    const sorted = await db.collection('n').find({}, { projection: { _id: 0 }, sort: { v: 1 }, collation: { locale: 'en', numericOrdering: true } }).toArray();
    expect(sorted.map((d) => d.v)).toEqual(['9', '10', '100']);
    const plain = await db.collection('n').find({}, { projection: { _id: 0 }, sort: { v: 1 } }).toArray();
    expect(plain.map((d) => d.v)).toEqual(['10', '100', '9']);
  });

  it('a bad collation is refused as mongod refuses it', async () => {
    expect((await serverError(coll.find({}, { collation: { strength: 2 } as never }).toArray())).code).toBe(40414);
    expect((await serverError(coll.find({}, { collation: { locale: 'en', strength: 9 } }).toArray())).code).toBe(2);
    expect((await serverError(coll.find({}, { collation: { locale: 'xx_nope_bogus' } }).toArray())).code).toBe(2);
  });
});

describe('aggregate write stages', () => {
  it('$merge whenMatched fail reports DuplicateKey with keyPattern and keyValue; $out refuses linearizable read concern', async () => {
    await coll.insertOne({ _id: 2, x: 0 } as never);
    const e = await serverError(db.aggregate([{ $documents: [{ _id: 2, x: 1 }] }, { $merge: { into: 'c', whenMatched: 'fail' } }]).toArray());
    expect(e.code).toBe(11000);
    expect(e.errorResponse).toMatchObject({ keyPattern: { _id: 1 }, keyValue: { _id: 2 } });
    const l = await serverError(coll.aggregate([{ $out: 'o' }], { readConcern: { level: 'linearizable' } }).toArray());
    expect(l.code).toBe(72);
    expect(await db.listCollections({ name: 'o' }).toArray()).toEqual([]);
  });
});


describe('text search', () => {
  it('a text index lists as mongod stores it; $text matches terms, phrases and negations; textScore projects and sorts', async () => {
    await coll.insertMany([
      { _id: 1, title: 'Coffee shop', body: 'the best coffee and more coffee' },
      { _id: 2, title: 'Tea house', body: 'green tea, no coffee' },
      { _id: 3, title: 'Bakery', body: 'bread and cakes' },
    ] as never[]);
    expect((await serverError(coll.find({ $text: { $search: 'coffee' } }).toArray())).code).toBe(27);
    await coll.createIndex({ title: 'text', body: 'text' }, { weights: { title: 10 } });
    const idx = (await coll.listIndexes().toArray()).find((i) => i.name === 'title_text_body_text');
    expect(idx).toMatchObject({ key: { _fts: 'text', _ftsx: 1 }, weights: { body: 1, title: 10 }, default_language: 'english', language_override: 'language', textIndexVersion: 3 });
    const hits = await coll
      .find({ $text: { $search: 'coffee' } }, { projection: { score: { $meta: 'textScore' } }, sort: { score: { $meta: 'textScore' } } })
      .toArray();
    expect(hits.map((d) => d._id)).toEqual([1, 2]);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect((await coll.find({ $text: { $search: 'COFFEE -tea' } }).toArray()).map((d) => d._id)).toEqual([1]);
    expect((await coll.find({ $text: { $search: '"green tea"' } }).toArray()).map((d) => d._id)).toEqual([2]);
    expect(await coll.countDocuments({ $text: { $search: 'cakes bread' } })).toBe(1);
    expect((await coll.aggregate([{ $match: { $text: { $search: 'coffee' } } }, { $count: 'n' }]).toArray())[0]).toEqual({ n: 2 });
    expect((await serverError(coll.find({}, { projection: { s: { $meta: 'textScore' } } }).toArray())).code).toBe(40218);
    expect((await serverError(coll.createIndex({ other: 'text' }))).code).toBe(85);
  });
});

describe('find returnKey', () => {
  it('returns the key of the index the query uses, {} for a collection scan', async () => {
    await coll.insertMany([{ _id: 2, x: 22, y: 1 }, { _id: 1, x: 11, y: 2 }] as never[]);
    expect(await coll.find({}, { sort: { _id: 1 }, returnKey: true, showRecordId: true }).toArray()).toEqual([{ _id: 1 }, { _id: 2 }]);
    expect(await coll.find({ y: 1 }, { returnKey: true }).toArray()).toEqual([{}]);
    await coll.createIndex({ y: 1 });
    expect(await coll.find({ y: 1 }, { returnKey: true }).toArray()).toEqual([{ y: 1 }]);
  });
});

describe("find's min / max (mongod: an index scan of the hinted index, min inclusive, max exclusive)", () => {
  it('returns the documents whose key is in [min, max), in the index order, skip and limit after', async () => {
    await coll.insertMany([5, 1, 4, 2, 3, 2].map((v, i) => ({ _id: i, v })) as never[]);
    await coll.createIndex({ v: 1 });
    const ids = async (c: ReturnType<typeof coll.find>) => (await c.toArray()).map((d) => d._id);
    expect(await ids(coll.find().hint({ v: 1 }).min({ v: 2 }).max({ v: 4 }))).toEqual([3, 5, 4]);
    expect(await ids(coll.find().hint('v_1').min({ v: 4 }))).toEqual([2, 0]);
    expect(await ids(coll.find().hint({ v: 1 }).max({ v: 3 }).limit(2))).toEqual([1, 3]);
    expect(await ids(coll.find({ _id: { $ne: 5 } } as never).hint({ v: 1 }).min({ v: 2 }).max({ v: 4 }).sort({ _id: -1 }))).toEqual([4, 3]);
    await coll.createIndex({ v: -1 });
    expect(await ids(coll.find().hint({ v: -1 }).min({ v: 4 }).max({ v: 2 }))).toEqual([2, 4]);
  });

  it('min / max without a hint is error 51173', async () => {
    await coll.insertOne({ _id: 1, v: 1 } as never);
    const e = await serverError(coll.find().min({ v: 0 }).toArray());
    expect(e.code).toBe(51173);
  });
});
