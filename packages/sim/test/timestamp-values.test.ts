// BSON Timestamps stored in documents stay Timestamps through updates, as on mongod.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, Timestamp, type Collection } from 'mongodb';
import { startSim, type SimHandle } from '../src/index.js';

let sim: SimHandle;
let client: MongoClient;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- documents with numeric _id
let coll: Collection<any>;

beforeAll(async () => {
  sim = await startSim({ port: 0 });
  client = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000 });
  coll = client.db('ts').collection('c');
});
afterAll(async () => {
  await client?.close();
  await sim?.close();
});

describe('Timestamp fields', () => {
  it('an update of another field leaves a stored Timestamp a Timestamp', async () => {
    await coll.insertOne({ _id: 1, ts: new Timestamp({ t: 5, i: 1 }), n: 1 });
    await coll.updateOne({ _id: 1 }, { $inc: { n: 1 } });
    await coll.updateOne({ _id: 1 }, [{ $set: { m: 1 } }]);
    const doc = await coll.findOne({ _id: 1 });
    expect(doc!.ts).toBeInstanceOf(Timestamp);
    expect(doc!.ts).toEqual(new Timestamp({ t: 5, i: 1 }));
  });

  it('$set and pipeline $set store Timestamps', async () => {
    await coll.updateOne({ _id: 2 }, { $set: { ts: new Timestamp({ t: 6, i: 2 }) } }, { upsert: true });
    await coll.updateOne({ _id: 3 }, [{ $set: { ts: new Timestamp({ t: 8, i: 1 }) } }], { upsert: true });
    expect((await coll.findOne({ _id: 2 }))!.ts).toEqual(new Timestamp({ t: 6, i: 2 }));
    expect((await coll.findOne({ _id: 3 }))!.ts).toEqual(new Timestamp({ t: 8, i: 1 }));
  });

  it("$currentDate with $type 'timestamp' stores a Timestamp of now, increasing", async () => {
    const before = Math.floor(Date.now() / 1000);
    await coll.updateOne({ _id: 4 }, { $currentDate: { a: { $type: 'timestamp' }, 'b.c': { $type: 'timestamp' }, d: { $type: 'date' } } }, { upsert: true });
    const doc = await coll.findOne({ _id: 4 });
    expect(doc!.a).toBeInstanceOf(Timestamp);
    expect(doc!.b.c).toBeInstanceOf(Timestamp);
    expect(doc!.d).toBeInstanceOf(Date);
    expect(doc!.a.t).toBeGreaterThanOrEqual(before);
    expect(doc!.b.c.compare(doc!.a)).toBe(1);
  });

  it('$currentDate takes any boolean (false too) as a Date, and refuses other values with BadValue as mongod does', async () => {
    await coll.updateOne({ _id: 5 }, { $currentDate: { t: true, f: false } } as never, { upsert: true });
    const doc = await coll.findOne({ _id: 5 });
    expect(doc!.t).toBeInstanceOf(Date);
    expect(doc!.f).toBeInstanceOf(Date);
    await expect(coll.updateOne({ _id: 5 }, { $currentDate: { x: 1 } } as never)).rejects.toMatchObject({ code: 2, message: expect.stringContaining('is not valid type for $currentDate') });
    await expect(coll.updateOne({ _id: 5 }, { $currentDate: { x: { $type: 'string' } } } as never)).rejects.toMatchObject({ code: 2, message: expect.stringContaining("'$type' string field is required") });
  });

  it('queries compare Timestamps by (t, i)', async () => {
    await coll.deleteMany({});
    await coll.insertMany([1, 2, 3].map((i) => ({ _id: i, ts: new Timestamp({ t: 10 - i, i }) })));
    const ids = async (f: object): Promise<unknown[]> => (await coll.find(f).sort({ ts: 1 }).toArray()).map((d) => d._id);
    expect(await ids({ ts: { $gt: new Timestamp({ t: 7, i: 5 }) } })).toEqual([2, 1]);
    expect(await ids({})).toEqual([3, 2, 1]);
    await coll.updateMany({ ts: { $lt: new Timestamp({ t: 9, i: 0 }) } }, { $set: { hit: true } });
    expect(await ids({ hit: true })).toEqual([3, 2]);
    for (const d of await coll.find({}).toArray()) expect(d.ts).toBeInstanceOf(Timestamp);
  });
});
