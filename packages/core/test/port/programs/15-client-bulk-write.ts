// sim: --wire-version 25
// client.bulkWrite (MongoDB 8.0): one command writing to several collections.
import { MongoClient, MongoClientBulkWriteError } from 'mongodb';
import { ObjectId } from 'bson';

const id = (n: number) => new ObjectId(n.toString(16).padStart(24, '0'));

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const result = await client.bulkWrite(
    [
      { namespace: 'shop.orders', name: 'insertOne', document: { _id: id(1), item: 'pen', qty: 2 } },
      { namespace: 'shop.orders', name: 'insertOne', document: { _id: id(2), item: 'ink', qty: 1 } },
      { namespace: 'shop.audit', name: 'insertOne', document: { _id: id(101), action: 'created' } },
      { namespace: 'shop.orders', name: 'updateOne', filter: { _id: id(1) }, update: { $inc: { qty: 1 } } },
      { namespace: 'shop.orders', name: 'updateMany', filter: {}, update: { $set: { open: true } } },
      { namespace: 'shop.orders', name: 'replaceOne', filter: { _id: id(3) }, replacement: { item: 'pad', qty: 9 }, upsert: true },
      { namespace: 'shop.audit', name: 'deleteOne', filter: { _id: id(101) } },
    ],
    { verboseResults: true },
  );
  console.log(result.insertedCount, result.matchedCount, result.modifiedCount, result.upsertedCount, result.deletedCount);
  console.log(result.insertResults, result.updateResults, result.deleteResults);
  const quiet = await client.bulkWrite([{ namespace: 'shop.audit', name: 'insertOne', document: { _id: id(102) } }]);
  console.log(quiet.insertedCount, quiet.insertResults);
  try {
    await client.bulkWrite([
      { namespace: 'shop.orders', name: 'insertOne', document: { _id: id(1) } },
      { namespace: 'shop.orders', name: 'insertOne', document: { _id: id(4) } },
    ]);
  } catch (e) {
    if (e instanceof MongoClientBulkWriteError) console.log(e.name, [...e.writeErrors.keys()], e.writeErrors.get(0)?.code, e.partialResult?.insertedCount);
  }
  console.log(await client.db('shop').collection('orders').find().sort({ _id: 1 }).toArray());
} finally {
  await client.close();
}
console.log('done');
