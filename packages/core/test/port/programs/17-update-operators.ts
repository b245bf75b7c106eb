// Update operators and their results: arrayFilters, $push with modifiers, upserts, replace.
import { MongoClient } from 'mongodb';

interface Item {
  _id: number;
  item?: string;
  qty?: number;
  tags?: string[];
  sizes?: { h: number; w: number; uom?: string }[];
}

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const inventory = client.db('shop').collection<Item>('inventory');
  await inventory.insertMany([
    { _id: 1, item: 'journal', qty: 25, tags: ['blank', 'red'], sizes: [{ h: 14, w: 21 }, { h: 8, w: 10 }] },
    { _id: 2, item: 'notebook', qty: 50, tags: ['red', 'blank'], sizes: [{ h: 8.5, w: 11 }] },
    { _id: 3, item: 'paper', qty: 100, tags: ['red', 'blank', 'plain'], sizes: [] },
  ]);
  console.log(await inventory.updateOne({ _id: 1 }, { $set: { 'sizes.$[big].uom': 'cm' } }, { arrayFilters: [{ 'big.h': { $gt: 10 } }] }));
  console.log(await inventory.updateMany({ qty: { $lt: 60 } }, { $inc: { qty: 5 }, $currentDate: { lastModified: false } as never, $unset: { tags: '' } }));
  console.log(await inventory.updateOne({ _id: 3 }, { $push: { tags: { $each: ['z', 'a', 'm'], $sort: 1, $slice: 4 } } }));
  console.log(await inventory.updateOne({ _id: 3 }, { $pull: { tags: { $in: ['a', 'z'] } } }));
  console.log(await inventory.updateOne({ _id: 3 }, { $addToSet: { tags: { $each: ['red', 'new'] } } }));
  console.log(await inventory.updateOne({ _id: 3 }, { $pop: { tags: -1 }, $rename: { item: 'name' }, $mul: { qty: 2 }, $min: { low: 7 }, $max: { high: 9 } }));
  console.log(await inventory.updateOne({ _id: 4 }, { $set: { item: 'pen' }, $setOnInsert: { qty: 1 } }, { upsert: true }));
  console.log(await inventory.updateOne({ _id: 4 }, { $set: { item: 'pen' } }));
  console.log(await inventory.replaceOne({ _id: 5 }, { item: 'ink', qty: 3 }, { upsert: true }));
  console.log(await inventory.updateMany({}, [{ $set: { total: { $multiply: ['$qty', 2] } } }]));
  const docs = await inventory.find({}, { projection: { lastModified: 0 } }).sort({ _id: 1 }).toArray();
  for (const doc of docs) console.log(doc);
  console.log(await inventory.deleteMany({ qty: { $gte: 100 } }));
  console.log(await inventory.deleteOne({ _id: 99 }));
} finally {
  await client.close();
}
console.log('done');
