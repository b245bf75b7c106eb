import { Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { MongoBulkWriteError, MongoInvalidArgumentError, MongoNetworkError, MongoServerError, MongoServerSelectionError, MongoWriteConcernError } from '../errors.js';
import { FakeExecutor } from '../../test/support/fake-executor.js';
import { MongoClient } from './mongo-client.js';
import { BulkWriteResult } from './results.js';

function setup(url = 'mongodb://localhost:27017/app', options = {}) {
  const fake = new FakeExecutor();
  const client = new MongoClient(url, { ...options, executorFactory: () => fake });
  const coll = client.db().collection<{ _id?: unknown; a?: number; name?: string }>('c');
  return { fake, client, coll };
}

describe('insertOne', () => {
  it('sends insert with documents as a kind-1 sequence and generates an ObjectId _id', async () => {
    const { fake, coll } = setup();
    const doc: { a: number; _id?: unknown } = { a: 1 };
    const res = await coll.insertOne(doc);
    expect(res.acknowledged).toBe(true);
    expect(res.insertedId).toBeInstanceOf(ObjectId);
    expect(doc._id).toBe(res.insertedId);
    const [call] = fake.named('insert');
    expect(call!.db).toBe('app');
    expect(call!.command).toEqual({ insert: 'c', ordered: true });
    expect(call!.options.sequences).toEqual({ documents: [{ a: 1, _id: res.insertedId }] });
    expect(call!.options.retryable).toBe('write');
    expect(call!.lsid).toBeDefined();
    expect(call!.txnNumber?.toNumber()).toBe(1);
  });

  it('keeps a caller _id and honours forceServerObjectId', async () => {
    const { fake, coll } = setup();
    expect((await coll.insertOne({ _id: 7, a: 1 })).insertedId).toBe(7);
    await coll.insertOne({ a: 2 }, { forceServerObjectId: true });
    expect(fake.calls[1]!.options.sequences!.documents![0]).toEqual({ a: 2 });
  });

  it('takes forceServerObjectId from the Db, and the Db from the client (official driver 7: insertOne `??`, bulk either true)', async () => {
    const sent = (fake: FakeExecutor) => fake.calls.map((c) => c.options.sequences!.documents!.map((d) => '_id' in d));
    // client option, inherited by client.db()
    const byClient = setup('mongodb://localhost:27017/app', { forceServerObjectId: true });
    await byClient.coll.insertOne({ a: 1 });
    await byClient.coll.insertMany([{ a: 2 }]);
    await byClient.coll.bulkWrite([{ insertOne: { document: { a: 3 } } }]);
    // insertOne: the call's false wins; insertMany / bulkWrite: the Db's true still wins
    await byClient.coll.insertOne({ a: 4 }, { forceServerObjectId: false });
    await byClient.coll.insertMany([{ a: 5 }], { forceServerObjectId: false });
    expect(sent(byClient.fake)).toEqual([[false], [false], [false], [true], [false]]);
    // the URI option, and a Db option over the client's
    const byUri = setup('mongodb://localhost:27017/app?forceServerObjectId=true');
    await byUri.coll.insertOne({ a: 1 });
    await byUri.client.db('app', { forceServerObjectId: false }).collection('c').insertMany([{ a: 2 }]);
    const byDb = setup();
    await byDb.client.db('app', { forceServerObjectId: true }).collection('c').insertOne({ a: 3 });
    await byDb.coll.insertOne({ a: 4 });
    expect([...sent(byUri.fake), ...sent(byDb.fake)]).toEqual([[false], [true], [false], [true]]);
  });

  it("a write error's errorResponse is the write error as sent (no errorLabels key when the reply has none)", async () => {
    const { fake, coll } = setup();
    const writeError = { index: 0, code: 121, errmsg: 'Document failed validation', errInfo: { failingDocumentId: 1 } };
    fake.once('insert', { ok: 1, n: 0, writeErrors: [writeError] });
    const err = await coll.insertOne({ _id: 1 }).catch((e) => e);
    expect(err.errorResponse).toEqual(writeError);
    expect(Object.keys(err.errorResponse)).toEqual(['index', 'code', 'errmsg', 'errInfo']);
    fake.once('insert', { ok: 1, n: 0, writeErrors: [writeError], errorLabels: ['X'] });
    expect((await coll.insertOne({ _id: 2 }).catch((e) => e)).hasErrorLabel('X')).toBe(true);
  });

  it('throws MongoServerError 11000 for a duplicate key write error', async () => {
    const { fake, coll } = setup();
    fake.once('insert', { ok: 1, n: 0, writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key', keyValue: { _id: 1 } }] });
    const err = await coll.insertOne({ _id: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).not.toBeInstanceOf(MongoBulkWriteError);
    expect(err.code).toBe(11000);
    expect(err.message).toBe('E11000 duplicate key');
    expect(err.keyValue).toEqual({ _id: 1 });
  });

  it('throws MongoWriteConcernError for a writeConcernError', async () => {
    const { fake, coll } = setup();
    fake.once('insert', { ok: 1, n: 1, writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out' } });
    const err = await coll.insertOne({ a: 1 }, { writeConcern: { w: 2, wtimeoutMS: 10 } }).catch((e) => e);
    expect(err).toBeInstanceOf(MongoWriteConcernError);
    expect(err.code).toBe(64);
    expect(fake.calls[0]!.command.writeConcern).toEqual({ w: 2, wtimeout: 10 });
  });

  it('w:0 is sent with moreToCome and without a session', async () => {
    const { fake, coll } = setup();
    const res = await coll.insertOne({ a: 1 }, { writeConcern: { w: 0 } });
    expect(res.acknowledged).toBe(false);
    expect(fake.calls[0]!.options.moreToCome).toBe(true);
    expect(fake.calls[0]!.options.session).toBeUndefined();
    expect(fake.calls[0]!.command.writeConcern).toEqual({ w: 0 });
  });

  it('refuses documents over maxBsonObjectSize', async () => {
    const { fake, coll } = setup();
    fake.wireLimits = { ...fake.wireLimits, maxBsonObjectSize: 100 };
    await expect(coll.insertOne({ name: 'x'.repeat(200) })).rejects.toBeInstanceOf(MongoInvalidArgumentError);
    expect(fake.named('insert')).toHaveLength(0);
  });
});

describe('insertMany', () => {
  it('inserts in one batch and returns insertedIds by index', async () => {
    const { fake, coll } = setup();
    const res = await coll.insertMany([{ a: 1 }, { a: 2 }, { _id: 'x', a: 3 }]);
    expect(res.acknowledged).toBe(true);
    expect(res.insertedCount).toBe(3);
    expect(res.insertedIds[2]).toBe('x');
    expect(res.insertedIds[0]).toBeInstanceOf(ObjectId);
    expect(fake.named('insert')).toHaveLength(1);
    expect(fake.calls[0]!.command).toEqual({ insert: 'c', ordered: true });
  });

  it('splits batches by maxWriteBatchSize and by message size, one session for all', async () => {
    const { fake, coll } = setup();
    fake.wireLimits = { ...fake.wireLimits, maxWriteBatchSize: 2 };
    await coll.insertMany([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }, { a: 5 }]);
    const inserts = fake.named('insert');
    expect(inserts.map((c) => c.options.sequences!.documents!.length)).toEqual([2, 2, 1]);
    expect(new Set(inserts.map((c) => c.options.session))).toHaveProperty('size', 1);
    expect(inserts.map((c) => c.txnNumber?.toNumber())).toEqual([1, 2, 3]);

    fake.calls.length = 0;
    fake.wireLimits = { maxWriteBatchSize: 100_000, maxBsonObjectSize: 16 * 1024 * 1024, maxMessageSizeBytes: 16 * 1024 + 2500 };
    const big = 'x'.repeat(1000);
    await coll.insertMany([{ name: big }, { name: big }, { name: big }, { name: big }]);
    expect(fake.named('insert').map((c) => c.options.sequences!.documents!.length)).toEqual([2, 2]);
  });

  it('ordered: stops at the first write error and throws MongoBulkWriteError with the partial result', async () => {
    const { fake, coll } = setup();
    fake.wireLimits = { ...fake.wireLimits, maxWriteBatchSize: 3 };
    fake.once('insert', { ok: 1, n: 1, writeErrors: [{ index: 1, code: 11000, errmsg: 'dup' }] });
    const err = await coll.insertMany([{ _id: 1 }, { _id: 1 }, { _id: 2 }, { _id: 3 }]).catch((e) => e);
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    expect(err.code).toBe(11000);
    expect(err.writeErrors).toHaveLength(1);
    expect(err.writeErrors[0].index).toBe(1);
    expect(err.insertedCount).toBe(1);
    expect(err.insertedIds).toEqual({ 0: 1 });
    expect(err.result).toBeInstanceOf(BulkWriteResult);
    expect(fake.named('insert')).toHaveLength(1);
  });

  it('unordered: continues after errors, indexes map to the caller list', async () => {
    const { fake, coll } = setup();
    fake.wireLimits = { ...fake.wireLimits, maxWriteBatchSize: 2 };
    fake.once('insert', { ok: 1, n: 1, writeErrors: [{ index: 0, code: 11000, errmsg: 'dup' }] });
    fake.once('insert', { ok: 1, n: 1, writeErrors: [{ index: 1, code: 11000, errmsg: 'dup' }] });
    const err = await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }, { _id: 4 }], { ordered: false }).catch((e) => e);
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    expect(err.writeErrors.map((e: { index: number }) => e.index)).toEqual([0, 3]);
    expect(err.insertedCount).toBe(2);
    expect(err.insertedIds).toEqual({ 1: 2, 2: 3 });
    expect(fake.named('insert').every((c) => c.command.ordered === false)).toBe(true);
  });
});

describe('update / replace / delete', () => {
  it('updateOne: statement fields and UpdateResult', async () => {
    const { fake, coll } = setup();
    fake.once('update', { ok: 1, n: 1, nModified: 0, upserted: [{ index: 0, _id: 42 }] });
    const res = await coll.updateOne(
      { a: 1 },
      { $set: { name: 'x' } },
      { upsert: true, arrayFilters: [{ 'e.x': 1 }], hint: 'a_1', collation: { locale: 'fr' } },
    );
    expect(res).toEqual({ acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 1, upsertedId: 42 });
    const call = fake.named('update')[0]!;
    expect(call.command).toEqual({ update: 'c', ordered: true });
    expect(call.options.sequences!.updates).toEqual([
      { q: { a: 1 }, u: { $set: { name: 'x' } }, upsert: true, hint: 'a_1', arrayFilters: [{ 'e.x': 1 }], collation: { locale: 'fr' } },
    ]);
    expect(call.options.retryable).toBe('write');
  });

  it('updateMany is multi and not retryable; pipelines are accepted', async () => {
    const { fake, coll } = setup();
    fake.once('update', { ok: 1, n: 3, nModified: 2 });
    const res = await coll.updateMany({}, [{ $set: { a: 1 } }]);
    expect(res).toEqual({ acknowledged: true, matchedCount: 3, modifiedCount: 2, upsertedCount: 0, upsertedId: null });
    expect(fake.calls[0]!.options.sequences!.updates![0]).toEqual({ q: {}, u: [{ $set: { a: 1 } }], multi: true });
    expect(fake.calls[0]!.options.retryable).toBe(false);
  });

  it('validates update vs replacement documents', async () => {
    const { fake, coll } = setup();
    await expect(coll.updateOne({}, { a: 1 } as never)).rejects.toThrow(/atomic operators/);
    await expect(coll.updateMany({}, {})).rejects.toBeInstanceOf(MongoInvalidArgumentError);
    await expect(coll.replaceOne({}, { $set: { a: 1 } } as never)).rejects.toThrow(/must not contain atomic operators/);
    await expect(coll.findOneAndUpdate({}, { a: 1 } as never)).rejects.toBeInstanceOf(MongoInvalidArgumentError);
    await expect(coll.findOneAndReplace({}, { $inc: { a: 1 } } as never)).rejects.toBeInstanceOf(MongoInvalidArgumentError);
    expect(fake.calls).toHaveLength(0);
  });

  it('replaceOne sends the replacement as u', async () => {
    const { fake, coll } = setup();
    await coll.replaceOne({ _id: 1 }, { a: 2 });
    expect(fake.calls[0]!.options.sequences!.updates![0]).toEqual({ q: { _id: 1 }, u: { a: 2 } });
  });

  it('deleteOne / deleteMany send limit 1 / 0', async () => {
    const { fake, coll } = setup();
    fake.once('delete', { ok: 1, n: 1 });
    expect(await coll.deleteOne({ a: 1 })).toEqual({ acknowledged: true, deletedCount: 1 });
    fake.once('delete', { ok: 1, n: 5 });
    expect(await coll.deleteMany({ a: { $gt: 1 } })).toEqual({ acknowledged: true, deletedCount: 5 });
    expect(fake.calls[0]!.command).toEqual({ delete: 'c', ordered: true });
    expect(fake.calls[0]!.options.sequences!.deletes).toEqual([{ q: { a: 1 }, limit: 1 }]);
    expect(fake.calls[1]!.options.sequences!.deletes).toEqual([{ q: { a: { $gt: 1 } }, limit: 0 }]);
    expect(fake.calls[0]!.options.retryable).toBe('write');
    expect(fake.calls[1]!.options.retryable).toBe(false);
  });

  it('a write error in updateOne is a MongoServerError', async () => {
    const { fake, coll } = setup();
    fake.once('update', { ok: 1, n: 0, nModified: 0, writeErrors: [{ index: 0, code: 66, errmsg: 'immutable _id' }] });
    const err = await coll.updateOne({}, { $set: { _id: 2 } }).catch((e) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(66);
  });
});

describe('bulkWrite', () => {
  const ops = [
    { insertOne: { document: { _id: 1 } } },
    { insertOne: { document: { _id: 2 } } },
    { updateOne: { filter: { _id: 1 }, update: { $set: { a: 1 } } } },
    { deleteOne: { filter: { _id: 2 } } },
    { insertOne: { document: { _id: 3 } } },
    { updateMany: { filter: {}, update: { $inc: { a: 1 } }, upsert: true } },
    { replaceOne: { filter: { _id: 9 }, replacement: { a: 9 }, upsert: true } },
    { deleteMany: { filter: { a: 0 } } },
  ];

  it('ordered: one batch per run of the same type, in order', async () => {
    const { fake, coll } = setup();
    fake.on('update', (_cmd, call) => {
      const ups = call.options.sequences!.updates!;
      // the replaceOne (last statement of the second update batch) upserts
      return ups.length === 2 ? { ok: 1, n: 3, nModified: 2, upserted: [{ index: 1, _id: 9 }] } : { ok: 1, n: 1, nModified: 1 };
    });
    fake.on('delete', { ok: 1, n: 1 });
    const res = await coll.bulkWrite(ops);
    expect(fake.calls.map((c) => `${c.name}:${Object.values(c.options.sequences!)[0]!.length}`)).toEqual([
      'insert:2',
      'update:1',
      'delete:1',
      'insert:1',
      'update:2',
      'delete:1',
    ]);
    expect(res).toBeInstanceOf(BulkWriteResult);
    expect(res.insertedCount).toBe(3);
    expect(res.matchedCount).toBe(3);
    expect(res.modifiedCount).toBe(3);
    expect(res.deletedCount).toBe(2);
    expect(res.upsertedCount).toBe(1);
    expect(res.upsertedIds).toEqual({ 6: 9 });
    expect(res.insertedIds).toEqual({ 0: 1, 1: 2, 4: 3 });
    expect(res.isOk()).toBe(true);
    // batches with a multi statement are not retryable
    expect(fake.calls.map((c) => c.options.retryable)).toEqual(['write', 'write', 'write', 'write', false, false]);
  });

  it('unordered: inserts, then updates, then deletes', async () => {
    const { fake, coll } = setup();
    await coll.bulkWrite(ops, { ordered: false });
    expect(fake.calls.map((c) => `${c.name}:${Object.values(c.options.sequences!)[0]!.length}`)).toEqual([
      'insert:3',
      'update:3',
      'delete:2',
    ]);
    expect(fake.calls[0]!.options.sequences!.documents).toEqual([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
  });

  it('a write concern error surfaces as MongoBulkWriteError with getWriteConcernError()', async () => {
    const { fake, coll } = setup();
    fake.once('insert', { ok: 1, n: 1, writeConcernError: { code: 64, errmsg: 'wtimeout' } });
    const err = await coll.bulkWrite([{ insertOne: { document: { a: 1 } } }]).catch((e) => e);
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    expect(err.result.getWriteConcernError().code).toBe(64);
    expect(err.insertedCount).toBe(1);
  });

  describe('a batch that fails as a whole interrupts the bulk write (CRUD spec BulkWriteException.writeResult)', () => {
    const models = [
      { insertOne: { document: { _id: 2, x: 22 } } },
      { updateOne: { filter: { _id: 2 }, update: { $inc: { x: 1 } } } },
      { deleteOne: { filter: { _id: 1 } } },
    ];

    it('a network error (after the retry) in the second batch: MongoBulkWriteError with only the first batch applied', async () => {
      const { fake, coll } = setup();
      const network = new MongoNetworkError('connection closed', { labels: ['RetryableWriteError'] });
      fake.once('insert', { ok: 1, n: 1 });
      fake.once('update', network);
      const err = await coll.bulkWrite(models).catch((e) => e);
      expect(err).toBeInstanceOf(MongoBulkWriteError);
      expect(err.cause).toBe(network);
      expect(err.message).toBe('connection closed');
      expect(err.hasErrorLabel('RetryableWriteError')).toBe(true);
      expect(err.writeErrors).toEqual([]);
      expect({ ...err.result.insertedIds }).toEqual({ 0: 2 });
      expect([err.insertedCount, err.matchedCount, err.modifiedCount, err.deletedCount, err.upsertedCount]).toEqual([1, 0, 0, 0, 0]);
      // ordered: the delete is never sent
      expect(fake.calls.map((c) => Object.keys(c.command)[0])).toEqual(['insert', 'update']);
    });

    it('the first batch fails: the result is empty (the insert is not reported as inserted)', async () => {
      const { fake, coll } = setup();
      fake.once('insert', new MongoNetworkError('connection closed'));
      const err = await coll.bulkWrite(models).catch((e) => e);
      expect(err).toBeInstanceOf(MongoBulkWriteError);
      expect({ ...err.result.insertedIds }).toEqual({});
      expect([err.insertedCount, err.matchedCount, err.modifiedCount, err.deletedCount]).toEqual([0, 0, 0, 0]);
    });

    it("a command error keeps its code and reply; the result has the earlier batches' counts", async () => {
      const { fake, coll } = setup();
      fake.once('insert', { ok: 1, n: 1 });
      fake.once('update', { ok: 1, n: 1, nModified: 1 });
      fake.once('delete', new MongoServerError({ ok: 0, code: 8, codeName: 'UnknownError', errmsg: 'boom' }));
      const err = await coll.bulkWrite(models).catch((e) => e);
      expect(err).toBeInstanceOf(MongoBulkWriteError);
      expect([err.code, err.codeName, err.errorResponse.code]).toEqual([8, 'UnknownError', 8]);
      expect([err.insertedCount, err.matchedCount, err.modifiedCount, err.deletedCount]).toEqual([1, 1, 1, 0]);
    });

    it('an error before anything was sent (server selection) is thrown unchanged', async () => {
      const { fake, coll } = setup();
      const selection = new MongoServerSelectionError('no primary', undefined);
      fake.once('insert', selection);
      await expect(coll.bulkWrite(models)).rejects.toBe(selection);
    });
  });

  it('rejects bad models before any I/O', async () => {
    const { fake, coll } = setup();
    await expect(coll.bulkWrite([{ updateOne: { filter: {}, update: { a: 1 } } }] as never)).rejects.toBeInstanceOf(
      MongoInvalidArgumentError,
    );
    await expect(coll.bulkWrite([{ nope: {} }] as never)).rejects.toBeInstanceOf(MongoInvalidArgumentError);
    await expect(coll.bulkWrite([])).rejects.toBeInstanceOf(MongoInvalidArgumentError);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('reads and helpers', () => {
  it('countDocuments runs $match/$skip/$limit/$group', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', { ok: 1, cursor: { id: 0, ns: 'app.c', firstBatch: [{ _id: 1, n: 7 }] } });
    expect(await coll.countDocuments({ a: 1 }, { skip: 1, limit: 10 })).toBe(7);
    expect(fake.calls[0]!.command).toEqual({
      aggregate: 'c',
      pipeline: [{ $match: { a: 1 } }, { $skip: 1 }, { $limit: 10 }, { $group: { _id: 1, n: { $sum: 1 } } }],
      cursor: {},
    });
    expect(await coll.countDocuments()).toBe(0);
  });

  it('estimatedDocumentCount uses count, distinct returns values', async () => {
    const { fake, coll } = setup();
    fake.once('count', { ok: 1, n: 12 });
    expect(await coll.estimatedDocumentCount({ maxTimeMS: 5 })).toBe(12);
    expect(fake.calls[0]!.command).toEqual({ count: 'c', maxTimeMS: 5 });
    fake.once('distinct', { ok: 1, values: [1, 2] });
    expect(await coll.distinct('a', { b: 1 })).toEqual([1, 2]);
    expect(fake.calls[1]!.command).toEqual({ distinct: 'c', key: 'a', query: { b: 1 } });
    expect(fake.calls[1]!.options.retryable).toBe('read');
  });

  it('count sends the legacy count command as a retryable read', async () => {
    const { fake, coll } = setup();
    fake.once('count', { ok: 1, n: 3 });
    expect(await coll.count({ a: 1 }, { limit: 5, skip: 1 })).toBe(3);
    expect(fake.calls[0]!.command).toEqual({ count: 'c', query: { a: 1 }, limit: 5, skip: 1 });
    expect(fake.calls[0]!.options.retryable).toBe('read');
  });

  it('findOneAndDelete with w: 0 returns null, not the server reply', async () => {
    const { fake, coll } = setup();
    fake.once('findAndModify', { ok: 1, value: { _id: 1 } });
    expect(await coll.findOneAndDelete({ _id: 1 }, { writeConcern: { w: 0 } })).toBeNull();
  });

  it('findOne sends limit 1 + singleBatch (no batchSize) and returns the document or null', async () => {
    const { fake, coll } = setup();
    fake.once('find', { ok: 1, cursor: { id: 0, ns: 'app.c', firstBatch: [{ _id: 1 }] } });
    expect(await coll.findOne({ _id: 1 }, { projection: { a: 1 } })).toEqual({ _id: 1 });
    expect(fake.calls[0]!.command).toEqual({ find: 'c', filter: { _id: 1 }, projection: { a: 1 }, limit: 1, singleBatch: true });
    expect(await coll.findOne({ _id: 2 })).toBeNull();
    expect(fake.named('killCursors')).toHaveLength(0);
  });

  it('findOneAndUpdate returns the document; includeResultMetadata returns the ModifyResult', async () => {
    const { fake, coll } = setup();
    fake.on('findAndModify', { ok: 1, value: { _id: 1, a: 2 }, lastErrorObject: { n: 1, updatedExisting: true } });
    expect(await coll.findOneAndUpdate({ _id: 1 }, { $inc: { a: 1 } }, { returnDocument: 'after', upsert: true, sort: { a: -1 } })).toEqual({ _id: 1, a: 2 });
    expect(fake.calls[0]!.command).toEqual({
      findAndModify: 'c',
      query: { _id: 1 },
      sort: { a: -1 },
      update: { $inc: { a: 1 } },
      new: true,
      upsert: true,
    });
    expect(fake.calls[0]!.options.retryable).toBe('write');
    const meta = await coll.findOneAndDelete({ _id: 1 }, { includeResultMetadata: true, projection: { a: 1 } });
    expect(meta).toEqual({ value: { _id: 1, a: 2 }, ok: 1, lastErrorObject: { n: 1, updatedExisting: true } });
    expect(fake.calls[1]!.command).toEqual({ findAndModify: 'c', query: { _id: 1 }, remove: true, fields: { a: 1 } });
    await coll.findOneAndReplace({ _id: 1 }, { a: 3 });
    expect(fake.calls[2]!.command).toEqual({ findAndModify: 'c', query: { _id: 1 }, update: { a: 3 }, new: false });
  });

  it('findOneAndDelete returns null when nothing matched', async () => {
    const { coll } = setup();
    expect(await coll.findOneAndDelete({ _id: 404 })).toBeNull();
  });
});

describe('indexes and collection management', () => {
  it('createIndex derives the name; createIndexes passes options', async () => {
    const { fake, coll } = setup();
    expect(await coll.createIndex({ a: 1, b: -1 }, { unique: true })).toBe('a_1_b_-1');
    expect(fake.calls[0]!.command).toEqual({ createIndexes: 'c', indexes: [{ key: { a: 1, b: -1 }, name: 'a_1_b_-1', unique: true }] });
    expect(await coll.createIndex('name')).toBe('name_1');
    expect(await coll.createIndex([['loc', '2dsphere']])).toBe('loc_2dsphere');
    expect(await coll.createIndexes([{ key: { x: 1 }, name: 'ix', sparse: true }], { commitQuorum: 'majority' })).toEqual(['ix']);
    expect(fake.calls[3]!.command).toEqual({ createIndexes: 'c', indexes: [{ key: { x: 1 }, name: 'ix', sparse: true }], commitQuorum: 'majority' });
  });

  it('listIndexes / indexes / dropIndex / dropIndexes', async () => {
    const { fake, coll } = setup();
    fake.once('listIndexes', { ok: 1, cursor: { id: 0, ns: 'app.c', firstBatch: [{ v: 2, key: { _id: 1 }, name: '_id_' }] } });
    expect(await coll.indexes()).toEqual([{ v: 2, key: { _id: 1 }, name: '_id_' }]);
    expect(fake.calls[0]!.command).toEqual({ listIndexes: 'c', cursor: {} });
    fake.once('listIndexes', { ok: 1, cursor: { id: 0, ns: 'app.c', firstBatch: [{ v: 2, key: { _id: 1 }, name: '_id_' }, { v: 2, key: { a: 1, b: -1 }, name: 'a_1_b_-1' }] } });
    expect(await coll.indexes({ full: false })).toEqual({ _id_: [['_id', 1]], 'a_1_b_-1': [['a', 1], ['b', -1]] });
    expect(fake.calls[1]!.command).toEqual({ listIndexes: 'c', cursor: {} });
    await coll.dropIndex('a_1');
    expect(fake.calls[2]!.command).toEqual({ dropIndexes: 'c', index: 'a_1' });
    expect(await coll.dropIndexes()).toBe(true);
    expect(fake.calls[3]!.command).toEqual({ dropIndexes: 'c', index: '*' });
  });

  it('drop returns false on NamespaceNotFound; rename runs on admin', async () => {
    const { fake, client, coll } = setup();
    fake.once('drop', { ok: 0, code: 26, codeName: 'NamespaceNotFound', errmsg: 'ns not found' });
    expect(await coll.drop()).toBe(false);
    expect(await coll.drop()).toBe(true);
    const renamed = await coll.rename('d', { dropTarget: true });
    expect(renamed.collectionName).toBe('d');
    const call = fake.named('renameCollection')[0]!;
    expect(call.db).toBe('admin');
    expect(call.command).toEqual({ renameCollection: 'app.c', to: 'app.d', dropTarget: true });
    expect(client.db('other').collection('x').namespace).toBe('other.x');
  });
});

describe('typing', () => {
  it('Collection<TSchema> accepts interfaces and typed filters', async () => {
    interface User {
      name: string;
      age: number;
    }
    const { client, fake } = setup();
    const users = client.db().collection<User>('users');
    const res = await users.insertOne({ name: 'a', age: 1 });
    const id: ObjectId = res.insertedId;
    expect(id).toBeInstanceOf(ObjectId);
    fake.once('find', { ok: 1, cursor: { id: Long.ZERO, ns: 'app.users', firstBatch: [{ _id: id, name: 'a', age: 1 }] } });
    const found = await users.findOne({ age: { $gt: 0 }, 'nested.path': 1 });
    expect(found?.name).toBe('a');
    await users.updateOne({ name: 'a' }, { $set: { age: 2 } });
  });
});

describe('Collection.withOptions', () => {
  it('overrides the read preference and keeps the rest; the original handle is unchanged', async () => {
    const { FakeExecutor } = await import('../../test/support/fake-executor.js');
    const { MongoClient } = await import('./mongo-client.js');
    const fake = new FakeExecutor();
    const client = new MongoClient('mongodb://localhost/app?readPreference=secondary', {
      executorFactory: () => Object.assign(fake, { connect: async () => {}, close: async () => {} }),
    });
    const coll = client.db('test').collection('c');
    const nearest = coll.withOptions({ readPreference: 'nearest' });
    expect(coll.readPreference.mode).toBe('secondary');
    expect(nearest.readPreference.mode).toBe('nearest');
    expect(nearest.collectionName).toBe('c');
    expect(nearest.dbName).toBe('test');
  });
});

describe('Db names', () => {
  it("accepts '$external' (X.509 users) and rejects other names with '$'", async () => {
    const { MongoClient } = await import('./mongo-client.js');
    const client = new MongoClient('mongodb://localhost/app', {
      executorFactory: () => { throw new Error('no I/O expected'); },
    });
    expect(client.db('$external').databaseName).toBe('$external');
    expect(() => client.db('a$b')).toThrow(/Invalid database name/);
  });

  it("refuses a '.' with the official driver's message", async () => {
    const { MongoClient } = await import('./mongo-client.js');
    const client = new MongoClient('mongodb://localhost/app', {
      executorFactory: () => { throw new Error('no I/O expected'); },
    });
    expect(() => client.db('bad.name')).toThrow("Database names cannot contain the character '.'");
  });
});
