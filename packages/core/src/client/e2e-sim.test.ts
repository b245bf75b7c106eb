/**
 * End to end against the sim, through a minimal single-connection executor built
 * on connection/connect(): proves the commands this layer builds are ones a
 * mongod-compatible server accepts (kind-1 sequences, getMore/killCursors, lsid).
 */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../connection/connect.js';
import type { Connection } from '../connection/types.js';
import { MongoBulkWriteError, MongoServerError, type Document } from '../errors.js';
import { TcpTransport } from '../runtime/node/tcp.js';
import { DEFAULT_WIRE_LIMITS, type ExecuteOptions, type ExecuteResult, type ManagedOperationExecutor, type WireLimits } from '../operation/executor.js';
import { MongoClient } from './mongo-client.js';

class SingleConnectionExecutor implements ManagedOperationExecutor {
  private conn: Connection | undefined;
  readonly sent: Document[] = [];
  constructor(private readonly address: string) {}

  async connect(): Promise<void> {
    this.conn = await connect({ transport: new TcpTransport(), address: this.address });
  }

  async close(): Promise<void> {
    this.conn?.close();
    this.conn = undefined;
  }

  limits(): WireLimits {
    const h = this.conn?.hello ?? {};
    return {
      maxBsonObjectSize: (h.maxBsonObjectSize as number | undefined) ?? DEFAULT_WIRE_LIMITS.maxBsonObjectSize,
      maxMessageSizeBytes: (h.maxMessageSizeBytes as number | undefined) ?? DEFAULT_WIRE_LIMITS.maxMessageSizeBytes,
      maxWriteBatchSize: (h.maxWriteBatchSize as number | undefined) ?? DEFAULT_WIRE_LIMITS.maxWriteBatchSize,
    };
  }

  logicalSessionTimeoutMinutes(): number | null {
    const v = this.conn?.hello.logicalSessionTimeoutMinutes;
    return typeof v === 'number' ? v : null;
  }

  async execute(db: string, command: Document, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const conn = this.conn!;
    const full: Document = { ...command };
    if (options.session && this.logicalSessionTimeoutMinutes() !== null && !options.moreToCome) {
      full.lsid = options.session.id;
      const h = this.conn!.hello;
      const retryableWritesSupported = h.setName !== undefined || h.msg === 'isdbgrid';
      if (options.retryable === 'write' && retryableWritesSupported) {
        options.session.incrementTransactionNumber();
        full.txnNumber = options.session.txnNumber;
      }
    }
    this.sent.push(full);
    const cmdOptions: { sequences?: Record<string, Document[]>; moreToCome?: boolean } = {};
    if (options.sequences) cmdOptions.sequences = options.sequences;
    if (options.moreToCome) cmdOptions.moreToCome = true;
    const reply = await conn.command(db, full, cmdOptions);
    return { reply, address: conn.address };
  }
}

describe('client against the sim', () => {
  let sim: SimHandle;
  let client: MongoClient;
  let executor: SingleConnectionExecutor;

  beforeAll(async () => {
    sim = await startSim({ port: 0 });
    client = new MongoClient(`mongodb://${sim.address}/e2e`, {
      executorFactory: () => {
        executor = new SingleConnectionExecutor(sim.address);
        return executor;
      },
    });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  it('CRUD round trip', async () => {
    const coll = client.db().collection<{ _id?: unknown; n: number; tag?: string }>('items');
    await coll.drop();
    const many = await coll.insertMany(Array.from({ length: 25 }, (_, n) => ({ n })));
    expect(many.insertedCount).toBe(25);
    expect(await coll.countDocuments({ n: { $gte: 10 } })).toBe(15);
    expect(await coll.estimatedDocumentCount()).toBe(25);

    const docs = await coll.find({}, { sort: { n: 1 }, batchSize: 4, projection: { _id: 0 } }).toArray();
    expect(docs.map((d) => d.n)).toEqual(Array.from({ length: 25 }, (_, n) => n));
    expect(executor.sent.filter((c) => 'getMore' in c).length).toBeGreaterThanOrEqual(6);

    const upd = await coll.updateMany({ n: { $lt: 5 } }, { $set: { tag: 'low' } });
    expect(upd.matchedCount).toBe(5);
    expect(upd.modifiedCount).toBe(5);
    const ups = await coll.updateOne({ n: 100 }, { $set: { tag: 'new' } }, { upsert: true });
    expect(ups.upsertedCount).toBe(1);
    expect(ups.upsertedId).not.toBeNull();

    const after = await coll.findOneAndUpdate({ n: 1 }, { $inc: { n: 1000 } }, { returnDocument: 'after' });
    expect(after?.n).toBe(1001);
    expect(await coll.distinct('tag')).toEqual(expect.arrayContaining(['low', 'new']));

    const del = await coll.deleteMany({ tag: 'low' });
    expect(del.deletedCount).toBe(5);
    expect(await coll.findOne({ n: 100 })).toMatchObject({ n: 100, tag: 'new' });
  });

  it('duplicate keys: MongoServerError for insertOne, MongoBulkWriteError for insertMany', async () => {
    const coll = client.db().collection('dups');
    await coll.drop();
    await coll.insertOne({ _id: 1 });
    const one = await coll.insertOne({ _id: 1 }).catch((e) => e);
    expect(one).toBeInstanceOf(MongoServerError);
    expect(one.code).toBe(11000);
    const many = await coll.insertMany([{ _id: 2 }, { _id: 1 }, { _id: 3 }], { ordered: false }).catch((e) => e);
    expect(many).toBeInstanceOf(MongoBulkWriteError);
    expect(many.insertedCount).toBe(2);
    expect(many.writeErrors[0].index).toBe(1);
  });

  it('bulkWrite, indexes, listCollections, early cursor close', async () => {
    const db = client.db();
    const coll = db.collection('bulk');
    await coll.drop();
    const res = await coll.bulkWrite([
      { insertOne: { document: { _id: 1, a: 1 } } },
      { insertOne: { document: { _id: 2, a: 2 } } },
      { updateOne: { filter: { _id: 1 }, update: { $set: { a: 10 } } } },
      { replaceOne: { filter: { _id: 3 }, replacement: { a: 3 }, upsert: true } },
      { deleteOne: { filter: { _id: 2 } } },
    ]);
    expect(res.insertedCount).toBe(2);
    expect(res.modifiedCount).toBe(1);
    expect(res.upsertedIds).toEqual({ 3: 3 });
    expect(res.deletedCount).toBe(1);

    expect(await coll.createIndex({ a: 1 })).toBe('a_1');
    expect((await coll.indexes()).map((i) => i.name)).toEqual(expect.arrayContaining(['_id_', 'a_1']));
    const names = await db.listCollections({}, { nameOnly: true }).map((c) => c.name).toArray();
    expect(names).toContain('bulk');

    await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
    const cursor = coll.find({}, { batchSize: 2 });
    await cursor.next();
    await cursor.close();
    expect(cursor.killed).toBe(true);
    expect(executor.sent.some((c) => 'killCursors' in c)).toBe(true);
  });
});
