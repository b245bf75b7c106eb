// Iterate a cursor: sort, skip, limit, projection, map, for await, next/hasNext, count.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('shop').collection<{ _id: number; name: string; qty: number }>('items');
  await coll.insertMany(Array.from({ length: 25 }, (_, i) => ({ _id: i, name: `item${i}`, qty: (i * 7) % 11 })));

  const cursor = coll.find({ qty: { $gte: 3 } }).sort({ qty: -1, _id: 1 }).skip(2).limit(5).project({ _id: 0, name: 1, qty: 1 });
  for await (const doc of cursor) console.log(doc);

  const names = await coll.find({}, { batchSize: 4 }).map((d) => d.name).toArray();
  console.log(names.length, names.slice(0, 3));

  const c2 = coll.find({ qty: 0 }).sort({ _id: 1 });
  while (await c2.hasNext()) console.log('next', await c2.next());
  console.log('after end', await c2.next());

  console.log('count', await coll.find({ qty: { $lt: 5 } }).count());
  console.log('count with limit', await coll.find({ qty: { $lt: 5 } }).limit(3).count());
  const c3 = coll.find().batchSize(2);
  console.log(await c3.next(), await c3.tryNext());
  await c3.close();
  console.log('closed', c3.closed);
  await coll.find().forEach((doc) => {
    if (doc._id < 2) console.log('forEach', doc._id);
  });
} finally {
  await client.close();
}
console.log('done');
