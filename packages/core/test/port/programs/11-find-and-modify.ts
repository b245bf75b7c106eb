// findOneAndUpdate / findOneAndReplace / findOneAndDelete with returnDocument and metadata.
import { MongoClient, ReturnDocument } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const counters = client.db('app').collection<{ _id: string; seq: number }>('counters');
  await counters.insertOne({ _id: 'orders', seq: 0 });
  console.log(await counters.findOneAndUpdate({ _id: 'orders' }, { $inc: { seq: 1 } }, { returnDocument: ReturnDocument.AFTER }));
  console.log(await counters.findOneAndUpdate({ _id: 'orders' }, { $inc: { seq: 1 } }));
  console.log(await counters.findOneAndUpdate({ _id: 'users' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }));
  console.log(await counters.findOneAndReplace({ _id: 'users' }, { seq: 100 }, { includeResultMetadata: true }));
  console.log(await counters.findOneAndDelete({ _id: 'orders' }));
  console.log(await counters.findOneAndDelete({ _id: 'missing' }));
  console.log(await counters.distinct('seq'));
} finally {
  await client.close();
}
console.log('done');
