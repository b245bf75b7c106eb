import { Long } from 'bson';
import { describe, expect, it } from 'vitest';
import { MongoCursorExhaustedError, MongoServerError, type Document } from '../errors.js';
import { MongoCursorInUseError } from '../errors.js';
import { FakeExecutor } from '../../test/support/fake-executor.js';
import { MongoClient } from './mongo-client.js';

const CURSOR_ID = Long.fromString('8589934593'); // > 2^32, as servers hand out

describe('cursor flags and builder messages (the official driver\'s)', () => {
  it('addCursorFlag sets a find flag, refuses unknown flags and non-booleans', async () => {
    const { fake, coll } = setup();
    serve(fake, [{ _id: 1 }], 1);
    await coll.find().addCursorFlag('noCursorTimeout', true).toArray();
    expect(fake.named('find')[0]!.command.noCursorTimeout).toBe(true);
    expect(() => coll.find().addCursorFlag('bogus' as never, true)).toThrow('Flag bogus is not one of tailable,oplogReplay,noCursorTimeout,awaitData,exhaust,partial');
    expect(() => coll.find().addCursorFlag('tailable', 1 as never)).toThrow('Flag tailable must be a boolean value');
  });

  it('batchSize / limit / skip of a non-number', () => {
    const { coll } = setup();
    expect(() => coll.find().batchSize('x' as never)).toThrow('Operation "batchSize" requires an integer');
    expect(() => coll.find().limit('x' as never)).toThrow('Operation "limit" requires an integer');
    expect(() => coll.find().skip('x' as never)).toThrow('Operation "skip" requires an integer');
  });
});

function setup() {
  const fake = new FakeExecutor();
  fake.address = 'node2:27017';
  const client = new MongoClient('mongodb://localhost/app', { executorFactory: () => fake });
  const coll = client.db().collection('c');
  return { fake, client, coll };
}

/** Serve `docs` in batches: firstBatch of `first`, getMores of their batchSize (or `first`). */
function serve(fake: FakeExecutor, docs: Document[], first: number, cmdName = 'find') {
  let pos = 0;
  fake.on(cmdName, (cmd) => {
    const n = (cmd.batchSize as number | undefined) ?? ((cmd.cursor as Document | undefined)?.batchSize as number | undefined) ?? first;
    const batch = docs.slice(0, n);
    pos = batch.length;
    const id = pos < docs.length ? CURSOR_ID : Long.ZERO;
    return { ok: 1, cursor: { id, ns: 'app.c', firstBatch: batch } };
  });
  fake.on('getMore', (cmd) => {
    const n = (cmd.batchSize as number | undefined) ?? first;
    const batch = docs.slice(pos, pos + n);
    pos += batch.length;
    return { ok: 1, cursor: { id: pos < docs.length ? CURSOR_ID : Long.ZERO, ns: 'app.c', nextBatch: batch } };
  });
}

const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ _id: i }));

describe('FindCursor', () => {
  it('is lazy and builds the find command in mongod field order', async () => {
    const { fake, coll } = setup();
    const cursor = coll
      .find({ a: 1 })
      .sort({ b: -1 })
      .project({ a: 1 })
      .skip(2)
      .limit(5)
      .batchSize(3)
      .maxTimeMS(100)
      .comment('hi')
      .hint({ b: 1 })
      .collation({ locale: 'en' })
      .allowDiskUse();
    expect(fake.calls).toHaveLength(0);
    expect(cursor.id).toBeUndefined();
    await cursor.toArray();
    const cmd = fake.calls[0]!.command;
    expect(Object.keys(cmd)).toEqual([
      'find', 'filter', 'sort', 'projection', 'hint', 'skip', 'limit', 'batchSize', 'comment', 'maxTimeMS', 'collation', 'allowDiskUse',
    ]);
    expect(cmd).toEqual({
      find: 'c', filter: { a: 1 }, sort: { b: -1 }, projection: { a: 1 }, hint: { b: 1 }, skip: 2, limit: 5, batchSize: 3,
      comment: 'hi', maxTimeMS: 100, collation: { locale: 'en' }, allowDiskUse: true,
    });
    expect(fake.calls[0]!.options.retryable).toBe('read');
  });

  it('builder methods override the same option given to find() (as the official driver)', async () => {
    const { fake, coll } = setup();
    serve(fake, docs(10), 10);
    const cursor = coll.find({}, { sort: { a: 1 }, limit: 5, skip: 1, projection: { a: 1 } }).sort({ b: 1 }).limit(2).skip(3).project({ b: 1 });
    await cursor.toArray();
    expect(fake.calls[0]!.command).toMatchObject({ sort: { b: 1 }, limit: 2, skip: 3, projection: { b: 1 } });
    await cursor.clone().toArray();
    expect(fake.calls.at(-1)!.command).toMatchObject({ sort: { b: 1 }, limit: 2, skip: 3, projection: { b: 1 } });
  });

  it('getMore carries a Long id, the collection and batchSize, pinned to the first server, same lsid', async () => {
    const { fake, coll } = setup();
    serve(fake, docs(5), 2);
    const out = await coll.find({}, { batchSize: 2 }).toArray();
    expect(out).toEqual(docs(5));
    const getMores = fake.named('getMore');
    expect(getMores).toHaveLength(2);
    for (const g of getMores) {
      expect(g.command).toEqual({ getMore: CURSOR_ID, collection: 'c', batchSize: 2 });
      expect(Long.isLong(g.command.getMore)).toBe(true);
      expect(g.options.pinnedServer).toBe('node2:27017');
      expect(g.options.retryable).toBeUndefined();
      expect(g.lsid).toBe(fake.calls[0]!.lsid);
    }
    expect(fake.named('killCursors')).toHaveLength(0);
  });

  it('is exhausted on cursor id 0 without getMore and releases the implicit session', async () => {
    const { fake, client, coll } = setup();
    serve(fake, docs(3), 10);
    const cursor = coll.find();
    expect(await cursor.next()).toEqual({ _id: 0 });
    expect(cursor.id?.isZero()).toBe(true);
    expect(client.sessionPool.size).toBe(1); // released as soon as the server said id 0
    expect(cursor.bufferedCount()).toBe(2);
    expect(await cursor.hasNext()).toBe(true);
    expect(await cursor.next()).toEqual({ _id: 1 });
    expect(await cursor.next()).toEqual({ _id: 2 });
    expect(await cursor.next()).toBeNull();
    expect(await cursor.tryNext()).toBeNull();
    expect(cursor.closed).toBe(true);
    expect(cursor.killed).toBe(false);
    expect(fake.named('getMore')).toHaveLength(0);
  });

  it('close() before exhaustion sends killCursors to the pinned server', async () => {
    const { fake, client, coll } = setup();
    serve(fake, docs(10), 2);
    const cursor = coll.find({}, { batchSize: 2 });
    await cursor.next();
    expect(client.sessionPool.size).toBe(0);
    await cursor.close();
    const [kill] = fake.named('killCursors');
    expect(kill!.command).toEqual({ killCursors: 'c', cursors: [CURSOR_ID] });
    expect(kill!.options.pinnedServer).toBe('node2:27017');
    expect(kill!.db).toBe('app');
    // As the official driver: the buffered document is kept (so not `closed` yet), but a
    // cursor killed by close() refuses to iterate further.
    expect(cursor.closed).toBe(false);
    expect(cursor.bufferedCount()).toBe(1);
    expect(cursor.killed).toBe(true);
    expect(client.sessionPool.size).toBe(1);
    await expect(cursor.next()).rejects.toBeInstanceOf(MongoCursorExhaustedError);
    await expect(cursor.hasNext()).rejects.toBeInstanceOf(MongoCursorExhaustedError);
    await cursor.close();
    expect(fake.named('killCursors')).toHaveLength(1);
  });

  it('breaking out of for-await closes (kills) the cursor', async () => {
    const { fake, coll } = setup();
    serve(fake, docs(10), 2);
    const seen: unknown[] = [];
    for await (const d of coll.find({}, { batchSize: 2 })) {
      seen.push(d);
      if (seen.length === 3) break;
    }
    expect(seen).toHaveLength(3);
    expect(fake.named('getMore')).toHaveLength(1);
    expect(fake.named('killCursors')).toHaveLength(1);
  });

  it('forEach stops on false; map transforms', async () => {
    const { fake, coll } = setup();
    serve(fake, docs(4), 10);
    const ids: number[] = [];
    await coll.find().forEach((d) => {
      ids.push(d._id as number);
      return ids.length < 2;
    });
    expect(ids).toEqual([0, 1]);
    const mapped = await coll.find().map((d) => (d._id as number) * 10).toArray();
    expect(mapped).toEqual([0, 10, 20, 30]);
  });

  it('limit caps getMore batch sizes and ends the cursor with killCursors when reached', async () => {
    const { fake, coll } = setup();
    serve(fake, docs(20), 4);
    const out = await coll.find({}).limit(7).batchSize(4).toArray();
    expect(out).toHaveLength(7);
    expect(fake.named('getMore').map((g) => g.command.batchSize)).toEqual([3]);
  });

  it('batchSize equal to limit asks for limit + 1 (the cursor closes in the first reply)', async () => {
    const { fake, coll } = setup();
    await coll.find({}).limit(4).batchSize(4).toArray();
    expect(fake.calls[0]!.command).toEqual({ find: 'c', filter: {}, limit: 4, batchSize: 5 });
  });

  it('aggregate with $merge and batchSize 0 sends cursor: {}', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', { ok: 1, cursor: { id: 0, ns: 'app.c', firstBatch: [] } });
    await coll.aggregate([{ $merge: { into: 'o' } }], { batchSize: 0 }).toArray();
    expect(fake.calls[0]!.command.cursor).toEqual({});
  });

  it('negative limit means a single batch', async () => {
    const { fake, coll } = setup();
    await coll.find({}).limit(-3).toArray();
    expect(fake.calls[0]!.command).toEqual({ find: 'c', filter: {}, limit: 3, singleBatch: true });
  });

  it('modifying a started cursor throws MongoCursorInUseError', async () => {
    const { fake, coll } = setup();
    serve(fake, docs(3), 1);
    const cursor = coll.find();
    await cursor.next();
    expect(() => cursor.limit(1)).toThrow(MongoCursorInUseError);
    expect(() => cursor.sort({ a: 1 })).toThrow(MongoCursorInUseError);
    expect(() => cursor.map((x) => x)).toThrow(MongoCursorInUseError);
    expect(() => cursor.batchSize(1)).toThrow(MongoCursorInUseError);
    await cursor.close();
  });

  it('bufferedCount / readBufferedDocuments read the batch without I/O', async () => {
    const { fake, coll } = setup();
    serve(fake, docs(5), 3);
    const cursor = coll.find();
    expect(cursor.bufferedCount()).toBe(0);
    await cursor.hasNext();
    expect(cursor.bufferedCount()).toBe(3);
    expect(cursor.readBufferedDocuments(2)).toEqual(docs(2));
    expect(cursor.readBufferedDocuments()).toEqual([{ _id: 2 }]);
    expect(fake.named('getMore')).toHaveLength(0);
    expect(await cursor.next()).toEqual({ _id: 3 });
    await cursor.close();
  });

  it('rewind re-runs the query (killing the old server cursor); clone is a fresh cursor', async () => {
    const { fake, coll } = setup();
    serve(fake, docs(6), 2);
    const cursor = coll.find({ x: 1 }, { batchSize: 2 });
    expect(await cursor.next()).toEqual({ _id: 0 });
    cursor.rewind();
    expect(cursor.closed).toBe(false);
    expect(cursor.id).toBeUndefined();
    expect(await cursor.toArray()).toEqual(docs(6));
    expect(fake.named('find')).toHaveLength(2);
    expect(fake.named('killCursors')).toHaveLength(1);
    const copy = cursor.clone();
    expect(await copy.toArray()).toEqual(docs(6));
    expect(fake.named('find').map((c) => c.command.filter)).toEqual([{ x: 1 }, { x: 1 }, { x: 1 }]);
  });

  it('a getMore error closes the cursor and surfaces; CursorNotFound does not kill', async () => {
    const { fake, client, coll } = setup();
    serve(fake, docs(6), 2);
    fake.once('getMore', { ok: 0, code: 43, codeName: 'CursorNotFound', errmsg: 'cursor id not found' });
    const cursor = coll.find({}, { batchSize: 2 });
    await cursor.next();
    await cursor.next();
    await expect(cursor.next()).rejects.toBeInstanceOf(MongoServerError);
    expect(cursor.closed).toBe(true);
    expect(fake.named('killCursors')).toHaveLength(0);
    expect(client.sessionPool.size).toBe(1);
  });

  it('an explicit session is used and not ended', async () => {
    const { fake, client, coll } = setup();
    serve(fake, docs(4), 2);
    const session = client.startSession();
    await coll.find({}, { session, batchSize: 2 }).toArray();
    expect(fake.calls.every((c) => c.options.session === session)).toBe(true);
    expect(session.hasEnded).toBe(false);
    await session.endSession();
    expect(client.sessionPool.size).toBe(1);
  });
});

describe('AggregationCursor and list cursors', () => {
  it('aggregate sends pipeline + cursor.batchSize; getMore goes to the reply ns', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', { ok: 1, cursor: { id: CURSOR_ID, ns: 'app.c', firstBatch: [{ n: 1 }] } });
    fake.once('getMore', { ok: 1, cursor: { id: 0, ns: 'app.c', nextBatch: [{ n: 2 }] } });
    const out = await coll.aggregate([{ $match: { a: 1 } }], { batchSize: 1, allowDiskUse: true }).toArray();
    expect(out).toEqual([{ n: 1 }, { n: 2 }]);
    expect(fake.calls[0]!.command).toEqual({ aggregate: 'c', pipeline: [{ $match: { a: 1 } }], allowDiskUse: true, cursor: { batchSize: 1 } });
    expect(fake.calls[0]!.options.retryable).toBe('read');
  });

  it('aggregate with $out goes to the primary, is not retried, carries writeConcern', async () => {
    const { fake, client } = setup();
    const coll = client.db('app', { readPreference: 'secondary' }).collection('c', { writeConcern: { w: 'majority' } });
    await coll.aggregate([{ $match: {} }, { $out: 'o' }]).toArray();
    expect(fake.calls[0]!.options.readPreference?.mode).toBe('primary');
    expect(fake.calls[0]!.options.retryable).toBe(false);
    expect(fake.calls[0]!.command.writeConcern).toEqual({ w: 'majority' });
  });

  it('chainable stages', async () => {
    const { fake, coll } = setup();
    await coll.aggregate().match({ a: 1 }).group({ _id: '$a' }).sort({ _id: 1 }).limit(2).toArray();
    expect(fake.calls[0]!.command.pipeline).toEqual([{ $match: { a: 1 } }, { $group: { _id: '$a' } }, { $sort: { _id: 1 } }, { $limit: 2 }]);
  });

  it('db.listCollections uses the reply ns for getMore', async () => {
    const { fake, client } = setup();
    fake.once('listCollections', { ok: 1, cursor: { id: CURSOR_ID, ns: 'app.$cmd.listCollections', firstBatch: [{ name: 'a' }] } });
    fake.once('getMore', { ok: 1, cursor: { id: 0, ns: 'app.$cmd.listCollections', nextBatch: [{ name: 'b' }] } });
    const names = await client.db().listCollections({ type: 'collection' }, { nameOnly: true, batchSize: 1 }).map((c) => c.name).toArray();
    expect(names).toEqual(['a', 'b']);
    expect(fake.calls[0]!.command).toEqual({ listCollections: 1, filter: { type: 'collection' }, nameOnly: true, cursor: { batchSize: 1 } });
    expect(fake.named('getMore')[0]!.command).toEqual({ getMore: CURSOR_ID, collection: '$cmd.listCollections', batchSize: 1 });
  });

  it('cursor ids decoded as number or bigint are sent as Long', async () => {
    const { fake, coll } = setup();
    fake.once('find', { ok: 1, cursor: { id: 12345, ns: 'app.c', firstBatch: [{}] } });
    fake.once('getMore', { ok: 1, cursor: { id: 0n, ns: 'app.c', nextBatch: [] } });
    await coll.find().toArray();
    expect(fake.named('getMore')[0]!.command.getMore).toEqual(Long.fromNumber(12345));
  });
});
