// fullDocument: 'updateLookup' is a majority read, as mongod 7.0 makes it: on a three-member
// sim set (separate processes) read with the official driver, both secondaries stop fetching
// (mongod's stopReplProducer fail point), so a w:1 write is acknowledged by the primary but
// not majority committed. An update event's looked-up document never shows that write; once
// replication resumes and a later w:'majority' write commits past it, lookups show it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type ChangeStreamDocument, type Document } from 'mongodb';
import { startCluster, type Cluster } from '../../src/index.js';

let cluster: Cluster;
let client: MongoClient;
let secondaries: MongoClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'cslookup' });
  client = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 20000 });
  await client.connect();
}, 60_000);

afterAll(async () => {
  await Promise.all(secondaries.map((c) => c.close()));
  await client?.close();
  await cluster?.stop();
});

/** Turns mongod's stopReplProducer on or off on both secondaries (configureFailPoint answers once it is set). */
async function stopReplication(mode: 'alwaysOn' | 'off'): Promise<void> {
  for (const c of secondaries) await c.db('admin').command({ configureFailPoint: 'stopReplProducer', mode });
}

describe('updateLookup at the majority commit point', () => {
  it('never shows a w:1 write that is not majority committed; shows it once it is', async () => {
    const primary = await cluster.primary();
    const others = cluster.members.filter((m) => m.index !== primary.index);
    secondaries = others.map((m) => new MongoClient(`mongodb://${m.host}/?directConnection=true`, { serverSelectionTimeoutMS: 10000 }));
    const majority = { writeConcern: { w: 'majority' as const, wtimeoutMS: 20000 } };
    const coll = client.db('lookup').collection<{ _id: number; a?: number; b?: number; c?: number }>('docs');
    await coll.insertOne({ _id: 1 }, majority);
    const cs = coll.watch<Document, ChangeStreamDocument & Document>([], { fullDocument: 'updateLookup', maxAwaitTimeMS: 200 });
    await cs.tryNext();
    const first = await coll.updateOne({ _id: 1 }, { $set: { a: 1 } }, majority);
    expect(first.modifiedCount).toBe(1);

    // both secondaries stop fetching: the next write is acknowledged w:1 only
    await stopReplication('alwaysOn');
    await coll.updateOne({ _id: 1 }, { $set: { b: 1 } }, { writeConcern: { w: 1 } });
    expect(await coll.findOne({ _id: 1 }, { readConcern: { level: 'local' } })).toEqual({ _id: 1, a: 1, b: 1 });

    // the first update's event: its lookup is the document at the commit point, without b
    const e1 = (await cs.next()) as Document;
    expect(e1.operationType).toBe('update');
    expect(e1.updateDescription.updatedFields).toEqual({ a: 1 });
    expect(e1.fullDocument).toEqual({ _id: 1, a: 1 });
    // the w:1 update is not an event yet, and a stream opened now looks up the same document
    expect(await cs.tryNext()).toBeNull();
    const again = coll.watch([], { fullDocument: 'updateLookup', startAtOperationTime: e1.clusterTime, maxAwaitTimeMS: 200 });
    const e1Again = (await again.next()) as Document;
    expect(e1Again._id).toEqual(e1._id);
    expect(e1Again.fullDocument).toEqual({ _id: 1, a: 1 });
    expect(await again.tryNext()).toBeNull();
    await again.close();

    // replication resumes; a later w:'majority' write means the commit point passed the w:1 one
    await stopReplication('off');
    await coll.updateOne({ _id: 1 }, { $set: { c: 1 } }, majority);
    const e2 = (await cs.next()) as Document;
    expect(e2.updateDescription.updatedFields).toEqual({ b: 1 });
    expect(e2.fullDocument).toEqual({ _id: 1, a: 1, b: 1, c: 1 });
    // a later lookup of the first event sees the newer majority-committed document
    const late = coll.watch([], { fullDocument: 'updateLookup', startAtOperationTime: e1.clusterTime });
    const e1Late = (await late.next()) as Document;
    expect(e1Late._id).toEqual(e1._id);
    expect(e1Late.fullDocument).toEqual({ _id: 1, a: 1, b: 1, c: 1 });
    await late.close();
    await cs.close();
  });
});
