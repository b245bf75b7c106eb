/**
 * promoteLongs / promoteValues / useBigInt64 / bsonRegExp / promoteBuffers, inherited
 * client → Db → Collection → operation, shape the application's documents exactly as
 * the official driver's do (both drivers on one sim), on every path that hands out
 * documents: find batches and getMore batches, findOneAnd*, aggregate, db.command.
 */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import * as official from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary, BSONRegExp, Long, MongoClient } from '../../src/runtime/node/index.js';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
  const seed = new official.MongoClient(sim.uri);
  await seed.db('bsonopts').collection<{ _id: number; [key: string]: unknown }>('c').insertMany([
    { _id: 1, n: official.Long.fromNumber(5), i: 7, d: 1.5, re: /ab/i, bin: new official.Binary(Buffer.from('hi')) },
    { _id: 2, n: official.Long.fromString('9007199254740993'), i: 8, d: 2.5, re: /cd/, bin: new official.Binary(Buffer.from('yo')) },
  ]);
  await seed.close();
});
afterAll(async () => {
  await sim?.close();
});

type Options = Record<string, boolean>;
interface Client {
  db(name: string, options?: Options): { collection(name: string, options?: Options): any; command(cmd: object, options?: Options): Promise<any> };
  close(): Promise<void>;
}

/** Every value type's constructor name (or typeof), per document, on each path. */
async function shapes(client: Client, clientLevel: boolean, op: Options): Promise<unknown> {
  const shape = (doc: Record<string, unknown> | null) =>
    doc && Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'touched').map(([k, v]) => [k, v === null ? 'null' : typeof v === 'object' ? (v as object).constructor.name : typeof v]));
  try {
    const db = client.db('bsonopts', clientLevel ? {} : op);
    const coll = db.collection('c');
    const found = await coll.find({}, { batchSize: 1, ...(clientLevel ? {} : op) }).sort({ _id: 1 }).toArray();
    const modified = await coll.findOneAndUpdate({ _id: 1 }, { $set: { touched: true } }, { returnDocument: 'after', ...op });
    const aggregated = await coll.aggregate([{ $sort: { _id: -1 } }, { $limit: 1 }], op).toArray();
    const command = await db.command({ find: 'c', filter: { _id: 2 } }, op);
    return [found.map(shape), shape(modified), aggregated.map(shape), shape(command.cursor.firstBatch[0])];
  } finally {
    await client.close();
  }
}

describe('BSON decode options', () => {
  const cases: Options[] = [{ promoteLongs: false }, { promoteValues: false }, { useBigInt64: true }, { bsonRegExp: true, promoteBuffers: true }];
  for (const op of cases) {
    it(`${JSON.stringify(op)} at the operation and Db level shapes documents as the official driver`, async () => {
      const ours = await shapes(new MongoClient(sim.uri) as unknown as Client, false, op);
      const theirs = await shapes(new official.MongoClient(sim.uri) as unknown as Client, false, op);
      expect(ours).toEqual(theirs);
    });
    it(`${JSON.stringify(op)} as a client option shapes documents as the official driver`, async () => {
      const ours = await shapes(new MongoClient(sim.uri, op) as unknown as Client, true, {});
      const theirs = await shapes(new official.MongoClient(sim.uri, op) as unknown as Client, true, {});
      expect(ours).toEqual(theirs);
    });
  }

  it('the defaults are unchanged, and the options really change the values', async () => {
    const client = new MongoClient(sim.uri);
    try {
      const coll = client.db('bsonopts').collection('c');
      expect((await coll.findOne({ _id: 1 }))!.n).toBe(5);
      expect((await coll.findOne({ _id: 1 }, { promoteLongs: false }))!.n).toBeInstanceOf(Long);
      expect((await coll.findOne({ _id: 2 }, { useBigInt64: true }))!.n).toBe(9007199254740993n);
      expect((await coll.findOne({ _id: 1 }, { bsonRegExp: true }))!.re).toBeInstanceOf(BSONRegExp);
      expect((await coll.findOne({ _id: 1 }))!.bin).toBeInstanceOf(Binary);
    } finally {
      await client.close();
    }
  });
});
