// Atlas Search index helpers of the official driver against the sim: answered as a
// mongod 7.0 that is not Atlas answers them (an error naming Atlas, not "no such command").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError } from 'mongodb';
import { startSim, type SimHandle } from '../src/index.js';

let sim: SimHandle;
let client: MongoClient;
beforeAll(async () => {
  sim = await startSim({ port: 0 });
  client = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  await client.db('search').collection('c').insertOne({ x: 1 });
});
afterAll(async () => {
  await client?.close();
  await sim?.close();
});

async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MongoServerError);
  return e as MongoServerError;
}

describe('search index commands off Atlas', () => {
  const c = () => client.db('search').collection('c');

  it('createSearchIndex(es), updateSearchIndex, dropSearchIndex: CommandNotSupported naming Atlas', async () => {
    for (const run of [
      () => c().createSearchIndex({ name: 'idx', definition: { mappings: { dynamic: true } } }),
      () => c().createSearchIndexes([]),
      () => c().updateSearchIndex('idx', { mappings: { dynamic: true } }),
      () => c().dropSearchIndex('idx'),
    ]) {
      const e = await serverError(run());
      expect(e).toMatchObject({ code: 115, codeName: 'CommandNotSupported', message: 'Search index commands are only supported with Atlas.' });
    }
  });

  it('$listSearchIndexes (listSearchIndexes): 6047401 naming Atlas', async () => {
    const e = await serverError(c().listSearchIndexes('idx').toArray());
    expect(e.code).toBe(6047401);
    expect(e.message).toBe('$listSearchIndexes stage is only allowed on MongoDB Atlas');
  });
});
