/** Behaviour the official driver has and code written for it relies on (issue 13): errors and argument checks. */
import { describe, expect, it } from 'vitest';
import {
  MongoAPIError,
  MongoInvalidArgumentError,
  MongoNotConnectedError,
  MongoUnexpectedServerResponseError,
} from '../errors.js';
import { FakeExecutor } from '../../test/support/fake-executor.js';
import { MongoClient } from './mongo-client.js';

function setup() {
  const fake = new FakeExecutor();
  const client = new MongoClient('mongodb://localhost/app', { executorFactory: () => fake });
  return { fake, client, coll: client.db().collection('c') };
}

describe('error parity', () => {
  it('the MongoAPIError family carries no code', () => {
    for (const e of [new MongoInvalidArgumentError('x'), new MongoNotConnectedError(), new MongoAPIError('y')]) {
      expect('code' in e).toBe(false);
      expect(e).toBeInstanceOf(MongoAPIError);
    }
    expect(new MongoNotConnectedError().message).toBe('Client must be connected before running operations');
  });

  it('insertOne of a non-document throws the TypeError the official driver throws', async () => {
    const { coll, fake } = setup();
    await expect(coll.insertOne(42 as never)).rejects.toThrow(new TypeError("Cannot create property '_id' on number '42'"));
    await expect(coll.insertOne(null as never)).rejects.toThrow(new TypeError("Cannot read properties of null (reading '_id')"));
    await expect(coll.updateOne({}, 42 as never)).rejects.toThrow(new MongoInvalidArgumentError('Document must be a valid JavaScript object'));
    // lazily, as the official driver: the cursor fails when it starts
    const cursor = coll.find(42 as never);
    await expect(cursor.toArray()).rejects.toThrow(new MongoInvalidArgumentError('Query filter must be a plain object or ObjectId'));
    expect(fake.named('insert')).toHaveLength(0);
  });

  it('operations after close() throw MongoNotConnectedError; connect() reopens the client', async () => {
    const { client, fake, coll } = setup();
    fake.on('find', { ok: 1, cursor: { id: 0, ns: 'app.c', firstBatch: [{ _id: 1 }] } });
    expect(await coll.findOne({})).toEqual({ _id: 1 });
    await client.close();
    await expect(coll.findOne({})).rejects.toBeInstanceOf(MongoNotConnectedError);
    await expect(client.db().command({ ping: 1 })).rejects.toBeInstanceOf(MongoNotConnectedError);
    await client.connect();
    expect(await coll.findOne({})).toEqual({ _id: 1 });
    await client.close();
  });

  it('a find reply without a cursor is a MongoUnexpectedServerResponseError, not a document', async () => {
    const { coll, fake } = setup();
    fake.on('find', { ok: 1 });
    await expect(coll.find({}).toArray()).rejects.toBeInstanceOf(MongoUnexpectedServerResponseError);
    fake.on('aggregate', { ok: 1, cursor: { id: 0 } });
    await expect(coll.aggregate([]).toArray()).rejects.toBeInstanceOf(MongoUnexpectedServerResponseError);
  });
});
