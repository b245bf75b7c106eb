// Update results in detail: pipelines, arrayFilters, upserts (upsertedId, counts), findOneAnd*
// with includeResultMetadata / returnDocument / upsert, countDocuments options, distinct.
import { MongoClient, ReturnDocument } from 'mongodb';

interface Order {
  _id: number;
  customer: string;
  items: { sku: string; qty: number; price: number }[];
  status?: string;
  total?: number;
  tags?: string[];
}

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const orders = client.db('updates').collection<Order>('orders');
  await orders.insertMany([
    { _id: 1, customer: 'ann', items: [{ sku: 'a', qty: 2, price: 5 }, { sku: 'b', qty: 1, price: 20 }] },
    { _id: 2, customer: 'bob', items: [{ sku: 'a', qty: 5, price: 5 }] },
    { _id: 3, customer: 'ann', items: [], status: 'empty' },
  ]);
  console.log(await orders.updateMany({}, [{ $set: { total: { $sum: { $map: { input: '$items', in: { $multiply: ['$$this.qty', '$$this.price'] } } } } } }, { $unset: 'status' }]));
  console.log(await orders.find({}, { projection: { total: 1, status: 1 } }).sort({ _id: 1 }).toArray());
  console.log(await orders.updateOne({ _id: 1 }, { $inc: { 'items.$[big].qty': 10 } }, { arrayFilters: [{ 'big.price': { $gte: 10 } }] }));
  console.log(await orders.updateMany({ 'items.sku': 'a' }, { $set: { 'items.$[].checked': true } } as never));
  console.log(await orders.updateOne({ _id: 9 }, { $set: { customer: 'cy' }, $setOnInsert: { items: [] } }, { upsert: true }));
  console.log(await orders.updateMany({ customer: 'dee' }, { $set: { status: 'new' } }, { upsert: true }).then((r) => [r.acknowledged, r.matchedCount, r.modifiedCount, r.upsertedCount, typeof r.upsertedId]));
  console.log(await orders.replaceOne({ _id: 10 }, { customer: 'eve', items: [] }, { upsert: true }));
  console.log(await orders.replaceOne({ _id: 10 }, { customer: 'eve', items: [] }));
  console.log(await orders.updateOne({ _id: 10 }, { $set: { customer: 'eve' } }));
  console.log(await orders.updateOne({ _id: 404 }, { $set: { customer: 'nobody' } }));

  console.log(await orders.findOneAndUpdate({ _id: 2 }, { $push: { tags: 'vip' } }));
  console.log(await orders.findOneAndUpdate({ _id: 2 }, { $push: { tags: 'gold' } }, { returnDocument: ReturnDocument.AFTER, projection: { tags: 1 } }));
  console.log(await orders.findOneAndUpdate({ _id: 2 }, { $pop: { tags: 1 } }, { returnDocument: 'after', includeResultMetadata: true, projection: { tags: 1 } }));
  console.log(await orders.findOneAndUpdate({ _id: 77 }, { $set: { customer: 'new' } }, { upsert: true, includeResultMetadata: true }));
  console.log(await orders.findOneAndUpdate({ _id: 78 }, { $set: { customer: 'newer' } }, { upsert: true, returnDocument: 'after' }));
  console.log(await orders.findOneAndUpdate({ _id: 79 }, { $set: { customer: 'none' } }, { includeResultMetadata: true }));
  console.log(await orders.findOneAndReplace({ _id: 78 }, { customer: 'replaced', items: [] }, { includeResultMetadata: true, returnDocument: 'after' }));
  console.log(await orders.findOneAndDelete({ customer: 'ann' }, { sort: { _id: -1 }, projection: { customer: 1 } }));
  console.log(await orders.findOneAndDelete({ customer: 'zed' }, { includeResultMetadata: true }));
  console.log(await orders.findOneAndUpdate({ customer: { $exists: true } }, [{ $set: { seen: true } }], { sort: { _id: 1 }, returnDocument: 'after', projection: { seen: 1 } }));

  console.log(await orders.countDocuments(), await orders.countDocuments({}, { skip: 2 }), await orders.countDocuments({}, { limit: 2 }), await orders.countDocuments({ customer: 'ann' }, { skip: 1, limit: 5 }));
  console.log(await orders.countDocuments({ _id: { $gt: 2 } }, { hint: { _id: 1 } }), await orders.countDocuments({ customer: 'ANN' }, { collation: { locale: 'en', strength: 1 } }));
  console.log((await orders.distinct('customer')).sort(), await orders.distinct('items.sku', { _id: { $lt: 5 } }), await orders.distinct('customer', { customer: 'ANN' }, { collation: { locale: 'en', strength: 2 } }));
  console.log(await orders.distinct('nothing'), await orders.distinct('tags', { _id: 2 }));
  console.log(await orders.deleteMany({ _id: { $gte: 9 } }), await orders.deleteOne({ _id: 404 }));
} finally {
  await client.close();
}
console.log('done');
