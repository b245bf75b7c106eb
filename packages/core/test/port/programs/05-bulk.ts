// Bulk writes: bulkWrite with every model, an ordered failure, legacy ordered/unordered bulk ops.
import { MongoBulkWriteError, MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('bulk').collection<{ _id: number; n?: number }>('things');
  const result = await coll.bulkWrite([
    { insertOne: { document: { _id: 1, n: 1 } } },
    { insertOne: { document: { _id: 2, n: 2 } } },
    { updateOne: { filter: { _id: 1 }, update: { $set: { n: 10 } } } },
    { updateMany: { filter: {}, update: { $inc: { n: 1 } } } },
    { replaceOne: { filter: { _id: 2 }, replacement: { n: 20 } } },
    { updateOne: { filter: { _id: 3 }, update: { $set: { n: 3 } }, upsert: true } },
    { deleteOne: { filter: { _id: 1 } } },
    { deleteMany: { filter: { n: { $gt: 100 } } } },
  ]);
  console.log(result.insertedCount, result.matchedCount, result.modifiedCount, result.deletedCount, result.upsertedCount);
  console.log(result.insertedIds, result.upsertedIds, result.isOk(), result.hasWriteErrors());
  try {
    await coll.bulkWrite([{ insertOne: { document: { _id: 5 } } }, { insertOne: { document: { _id: 2 } } }, { insertOne: { document: { _id: 6 } } }]);
  } catch (e) {
    if (e instanceof MongoBulkWriteError) {
      console.log(e.name, e.code, e.result.insertedCount, e.insertedCount, e.result.getWriteErrorCount());
      const [first] = e.result.getWriteErrors();
      console.log(first?.index, first?.code, first?.errmsg);
    }
  }
  const ordered = coll.initializeOrderedBulkOp();
  ordered.insert({ _id: 10, n: 0 });
  ordered.find({ _id: 10 }).updateOne({ $set: { n: 1 } });
  ordered.find({ _id: 11 }).upsert().replaceOne({ n: 11 });
  ordered.find({ n: { $gte: 20 } }).delete();
  console.log(ordered.length);
  const r1 = await ordered.execute();
  console.log(r1.insertedCount, r1.matchedCount, r1.modifiedCount, r1.upsertedCount, r1.deletedCount, r1.upsertedIds);
  const unordered = coll.initializeUnorderedBulkOp();
  unordered.insert({ _id: 10 });
  unordered.insert({ _id: 12 });
  unordered.find({ _id: 11 }).deleteOne();
  try {
    await unordered.execute();
  } catch (e) {
    if (e instanceof MongoBulkWriteError) console.log(e.name, e.result.insertedCount, e.result.deletedCount, e.result.getWriteErrorCount());
  }
  console.log(await coll.find().sort({ _id: 1 }).toArray());
  // The driver adds an ObjectId _id (as the last key, mutating the document) when _id is missing or undefined.
  // (An _id of null differs: the CRUD spec keeps it, create-null-ids.json; the official driver 7.9 replaces it.)
  const ids = client.db('bulk').collection('ids');
  const docs: { [key: string]: unknown }[] = [{ n: 1 }, { _id: undefined, n: 3 }, { _id: 0, n: 4 }];
  const many = await ids.insertMany(docs);
  console.log(docs.map((d) => [Object.keys(d).join(','), (d._id as { _bsontype?: string } | null)?._bsontype ?? d._id]));
  console.log(Object.values(many.insertedIds).map((id) => (id as { _bsontype?: string })._bsontype ?? id), many.insertedCount);
  const one: { [key: string]: unknown } = { n: 5 };
  const r2 = await ids.insertOne(one);
  console.log(Object.keys(one), (r2.insertedId as { _bsontype?: string })._bsontype);
} finally {
  await client.close();
}
console.log('done');
