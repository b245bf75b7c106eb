// Databases and collections: create, list, rename, capped, options, stats, drop.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('inventory');
  const logs = await db.createCollection('logs', { capped: true, size: 4096 });
  console.log(logs.collectionName, await logs.isCapped(), await logs.options());
  const stock = db.collection<{ _id: number; q: number }>('stock');
  await stock.insertMany([{ _id: 1, q: 5 }, { _id: 2, q: 0 }]);
  console.log(await stock.isCapped(), await stock.count(), await stock.count({ q: { $gt: 0 } }), await stock.estimatedDocumentCount());
  const renamed = await stock.rename('warehouse');
  console.log(renamed.collectionName, renamed.namespace, await renamed.countDocuments());
  const back = await db.renameCollection('warehouse', 'stock2');
  console.log(back.namespace);
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  console.log(names);
  console.log((await db.collections()).map((c) => c.collectionName).sort());
  const { databases } = await client.db().admin().listDatabases();
  console.log(databases.map((d) => d.name).filter((n) => n === 'inventory'));
  console.log(await db.command({ ping: 1 }));
  console.log(await db.dropCollection('logs'), await db.dropCollection('logs'));
  console.log(await back.drop());
  console.log(await db.dropDatabase());
} finally {
  await client.close();
}
console.log('done');
