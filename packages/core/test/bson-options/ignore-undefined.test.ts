/**
 * `undefined` in documents and filters, as the official driver sends it: null by
 * default (so `{ a: undefined }` as a filter matches null or missing, and a delete
 * with it never becomes `deleteMany({})`), left out with `ignoreUndefined: true`.
 * Checked against the official driver on the same sim.
 */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import * as official from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoParseError } from '../../src/runtime/node/index.js';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
});
afterAll(async () => {
  await sim?.close();
});

type AnyClient = { db(name: string): { collection(name: string): any }; close(): Promise<void> };

/** What a driver stores and matches for undefined values. */
async function observe(client: AnyClient, name: string): Promise<unknown[]> {
  const coll = client.db('undef').collection(name);
  try {
    await coll.insertMany([{ _id: 1, a: 1 }, { _id: 2 }, { _id: 3, a: null }, { _id: 4, b: undefined, nested: { c: undefined }, list: [undefined] }]);
    const stored = await coll.find({}).sort({ _id: 1 }).toArray();
    const counted = await coll.countDocuments({ a: undefined });
    const updated = (await coll.updateMany({ a: undefined }, { $set: { seen: true } })).modifiedCount;
    const deleted = (await coll.deleteMany({ a: undefined })).deletedCount;
    const left = (await coll.find({}).toArray()).map((d: { _id: number }) => d._id);
    return [stored, counted, updated, deleted, left];
  } finally {
    await client.close();
  }
}

describe('undefined values in documents and filters', () => {
  it('are sent as null by default, as the official driver does (a filter { a: undefined } never matches everything)', async () => {
    const ours = await observe(new MongoClient(sim.uri), 'ours');
    const theirs = await observe(new official.MongoClient(sim.uri) as unknown as AnyClient, 'official');
    expect(ours).toEqual(theirs);
    expect(ours[3]).toBe(3);
    expect(ours[4]).toEqual([1]);
  });

  it('are left out with ignoreUndefined: true, as the official driver does', async () => {
    const ours = await observe(new MongoClient(sim.uri, { ignoreUndefined: true }), 'ours-ignore');
    const theirs = await observe(new official.MongoClient(sim.uri, { ignoreUndefined: true }) as unknown as AnyClient, 'official-ignore');
    expect(ours).toEqual(theirs);
    expect(ours[3]).toBe(4);
  });

  it('ignoreUndefined must be a boolean', () => {
    expect(() => new MongoClient(sim.uri, { ignoreUndefined: 'yes' as never })).toThrow(MongoParseError);
  });
});
