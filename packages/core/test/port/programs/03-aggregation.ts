// Aggregation pipelines: $match, $group, $sort, $project, $unwind; explain.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const orders = client.db('sales').collection<{ _id: number; customer: string; items: string[]; total: number }>('orders');
  await orders.insertMany([
    { _id: 1, customer: 'ann', items: ['pen', 'ink'], total: 12 },
    { _id: 2, customer: 'bob', items: ['paper'], total: 5 },
    { _id: 3, customer: 'ann', items: ['pen'], total: 3 },
    { _id: 4, customer: 'cy', items: [], total: 0 },
  ]);
  const byCustomer = orders.aggregate([
    { $match: { total: { $gt: 0 } } },
    { $group: { _id: '$customer', spent: { $sum: '$total' }, orders: { $sum: 1 } } },
    { $sort: { spent: -1 } },
  ]);
  for await (const row of byCustomer) console.log(row);
  const items = await orders
    .aggregate<{ _id: string; n: number }>([{ $unwind: '$items' }, { $group: { _id: '$items', n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
    .toArray();
  console.log(items);
  const projected = await orders.aggregate([{ $project: { _id: 0, customer: 1, big: { $gte: ['$total', 10] } } }], { batchSize: 2 }).toArray();
  console.log(projected);
  const plan = await orders.find({ customer: 'ann' }).explain('queryPlanner');
  console.log(plan.queryPlanner.namespace, plan.queryPlanner.winningPlan.stage);
  const stats = await orders.find({ _id: 2 }).explain('executionStats');
  console.log(stats.queryPlanner.winningPlan.stage, stats.executionStats.nReturned);
  const aggPlan = await orders.aggregate([{ $match: { customer: 'bob' } }]).explain();
  console.log(typeof aggPlan, 'explainVersion' in aggPlan);
} finally {
  await client.close();
}
console.log('done');
