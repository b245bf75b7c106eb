import { describe, expect, it } from 'vitest';
import { MongoServerError } from '../errors.js';
import { FakeExecutor } from '../../test/support/fake-executor.js';
import { MongoClient } from './mongo-client.js';
import { ListSearchIndexesCursor } from './search-indexes.js';

/** A collection whose client and collection both configure read and write concerns, which these commands must not send. */
function setup() {
  const fake = new FakeExecutor();
  const client = new MongoClient('mongodb://localhost:27017/app?readConcernLevel=local&w=1', { executorFactory: () => fake });
  const coll = client.db().collection('c', { readConcern: { level: 'majority' }, writeConcern: { w: 'majority' }, readPreference: 'secondary' });
  return { fake, coll };
}

const definition = { mappings: { dynamic: true } };

describe('search index helpers (Index Management spec)', () => {
  it('createSearchIndexes sends the descriptions as given and resolves to the created names', async () => {
    const { fake, coll } = setup();
    fake.once('createSearchIndexes', { ok: 1, indexesCreated: [{ id: 'a1', name: 'default' }, { id: 'a2', name: 'vec' }] });
    const vector = { name: 'vec', type: 'vectorSearch' as const, definition: { fields: [{ type: 'vector', path: 'v', numDimensions: 3, similarity: 'euclidean' }] } };
    expect(await coll.createSearchIndexes([{ definition }, vector])).toEqual(['default', 'vec']);
    const [call] = fake.named('createSearchIndexes');
    expect(call!.db).toBe('app');
    expect(call!.command).toEqual({ createSearchIndexes: 'c', indexes: [{ definition }, vector] });
    expect(call!.options.retryable ?? false).toBe(false);
  });

  it('createSearchIndexes sends an empty list too (the server answers, as the spec tests expect)', async () => {
    const { fake, coll } = setup();
    fake.once('createSearchIndexes', { ok: 1, indexesCreated: [] });
    expect(await coll.createSearchIndexes([])).toEqual([]);
    expect(fake.named('createSearchIndexes')[0]!.command).toEqual({ createSearchIndexes: 'c', indexes: [] });
  });

  it('createSearchIndex is createSearchIndexes of one and resolves to its name', async () => {
    const { fake, coll } = setup();
    fake.once('createSearchIndexes', { ok: 1, indexesCreated: [{ id: 'x', name: 'idx' }] });
    expect(await coll.createSearchIndex({ name: 'idx', type: 'search', definition })).toBe('idx');
    expect(fake.named('createSearchIndexes')[0]!.command).toEqual({ createSearchIndexes: 'c', indexes: [{ name: 'idx', type: 'search', definition }] });
  });

  it('updateSearchIndex and dropSearchIndex send name (and definition) without concerns', async () => {
    const { fake, coll } = setup();
    fake.once('updateSearchIndex', { ok: 1 });
    fake.once('dropSearchIndex', { ok: 1 });
    expect(await coll.updateSearchIndex('idx', { mappings: { dynamic: false } })).toBeUndefined();
    expect(await coll.dropSearchIndex('idx')).toBeUndefined();
    expect(fake.named('updateSearchIndex')[0]!.command).toEqual({ updateSearchIndex: 'c', name: 'idx', definition: { mappings: { dynamic: false } } });
    expect(fake.named('dropSearchIndex')[0]!.command).toEqual({ dropSearchIndex: 'c', name: 'idx' });
  });

  it('dropSearchIndex ignores NamespaceNotFound and rethrows any other server error', async () => {
    const { fake, coll } = setup();
    fake.once('dropSearchIndex', new MongoServerError({ ok: 0, code: 26, codeName: 'NamespaceNotFound', errmsg: 'ns does not exist' }));
    await expect(coll.dropSearchIndex('idx')).resolves.toBeUndefined();
    fake.once('dropSearchIndex', new MongoServerError({ ok: 0, code: 115, codeName: 'CommandNotSupported', errmsg: 'Search index commands are only supported with Atlas.' }));
    await expect(coll.dropSearchIndex('idx')).rejects.toMatchObject({ code: 115 });
  });

  it('listSearchIndexes aggregates $listSearchIndexes, with the name when given, and aggregate options but no concerns', async () => {
    const { fake, coll } = setup();
    fake.on('aggregate', { ok: 1, cursor: { id: 0, ns: 'app.c', firstBatch: [{ name: 'idx', status: 'READY' }] } });
    const all = coll.listSearchIndexes();
    expect(all).toBeInstanceOf(ListSearchIndexesCursor);
    expect(await all.toArray()).toEqual([{ name: 'idx', status: 'READY' }]);
    await coll.listSearchIndexes('idx', { batchSize: 10, comment: 'x' }).toArray();
    // an untyped caller's concerns are dropped too
    await coll.listSearchIndexes({ readConcern: { level: 'majority' }, writeConcern: { w: 1 } } as never).toArray();
    const [first, second, third] = fake.named('aggregate');
    expect(first!.command).toEqual({ aggregate: 'c', pipeline: [{ $listSearchIndexes: {} }], cursor: {} });
    expect(second!.command).toEqual({ aggregate: 'c', pipeline: [{ $listSearchIndexes: { name: 'idx' } }], comment: 'x', cursor: { batchSize: 10 } });
    expect(third!.command).toEqual({ aggregate: 'c', pipeline: [{ $listSearchIndexes: {} }], cursor: {} });
    // as the official driver: the collection's read preference is not inherited (primary unless given)
    expect(first!.options.readPreference?.mode ?? 'primary').toBe('primary');
    await coll.listSearchIndexes({ readPreference: 'secondaryPreferred' }).toArray();
    expect(fake.named('aggregate')[3]!.options.readPreference?.mode).toBe('secondaryPreferred');
  });

  it('a server without Atlas Search: the error reaches the caller', async () => {
    const { fake, coll } = setup();
    fake.once('createSearchIndexes', new MongoServerError({ ok: 0, code: 115, errmsg: 'Search index commands are only supported with Atlas.' }));
    await expect(coll.createSearchIndex({ definition })).rejects.toThrow(/Atlas/);
  });
});
