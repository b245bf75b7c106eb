// Aggregation stages an application uses: $group, $lookup, $unwind, $facet, $bucket, $out.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('sales');
  await db.collection<{ _id: string; name: string; city: string }>('customers').insertMany([
    { _id: 'c1', name: 'Ada', city: 'London' },
    { _id: 'c2', name: 'Grace', city: 'New York' },
    { _id: 'c3', name: 'Linus', city: 'Helsinki' },
  ]);
  await db.collection<{ _id: number; customer: string; items: { sku: string; qty: number; price: number }[]; day: Date }>('orders').insertMany([
    { _id: 1, customer: 'c1', items: [{ sku: 'a', qty: 2, price: 10 }, { sku: 'b', qty: 1, price: 5 }], day: new Date('2024-01-02T00:00:00Z') },
    { _id: 2, customer: 'c2', items: [{ sku: 'a', qty: 1, price: 10 }], day: new Date('2024-01-02T00:00:00Z') },
    { _id: 3, customer: 'c1', items: [{ sku: 'c', qty: 5, price: 2 }], day: new Date('2024-02-10T00:00:00Z') },
    { _id: 4, customer: 'c4', items: [], day: new Date('2024-03-01T00:00:00Z') },
  ]);
  const orders = db.collection('orders');
  console.log(
    await orders
      .aggregate([
        { $unwind: '$items' },
        { $group: { _id: '$items.sku', units: { $sum: '$items.qty' }, revenue: { $sum: { $multiply: ['$items.qty', '$items.price'] } }, orders: { $addToSet: '$_id' } } },
        { $sort: { revenue: -1, _id: 1 } },
      ])
      .toArray(),
  );
  console.log(
    await orders
      .aggregate([
        { $lookup: { from: 'customers', localField: 'customer', foreignField: '_id', as: 'who' } },
        { $project: { _id: 1, name: { $ifNull: [{ $first: '$who.name' }, 'unknown'] }, n: { $size: '$items' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray(),
  );
  console.log(
    await orders
      .aggregate([
        {
          $facet: {
            byMonth: [{ $group: { _id: { $month: '$day' }, count: { $sum: 1 } } }, { $sort: { _id: 1 } }],
            sizes: [{ $bucket: { groupBy: { $size: '$items' }, boundaries: [0, 1, 2, 10], default: 'many', output: { ids: { $push: '$_id' } } } }],
            top: [{ $sortByCount: '$customer' }, { $limit: 2 }],
          },
        },
      ])
      .toArray(),
  );
  await orders.aggregate([{ $match: { customer: 'c1' } }, { $project: { customer: 1 } }, { $out: 'c1_orders' }]).toArray();
  console.log(await db.collection('c1_orders').find().sort({ _id: 1 }).toArray());
  const cursor = orders.aggregate<{ _id: number }>([{ $sort: { _id: 1 } }, { $project: { _id: 1 } }], { batchSize: 1 });
  for await (const doc of cursor) console.log('streamed', doc._id);
  console.log(await orders.aggregate([{ $count: 'total' }]).next());
  console.log(await db.aggregate([{ $documents: [{ x: 1 }, { x: 2 }] }, { $group: { _id: null, s: { $sum: '$x' } } }]).toArray());
} finally {
  await client.close();
}
console.log('done');
