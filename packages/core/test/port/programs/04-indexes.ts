// Index management: createIndex, createIndexes, listIndexes, indexInformation, indexExists, dropIndex.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('catalog');
  const products = db.collection<{ _id: number; sku: string; price?: number; tags?: string[] }>('products');
  await products.insertOne({ _id: 1, sku: 'a-1', price: 3, tags: ['x'] });
  console.log(await products.createIndex({ sku: 1 }, { unique: true }));
  console.log(await products.createIndex({ price: -1, sku: 1 }));
  console.log(await products.createIndexes([{ key: { tags: 1 }, name: 'by_tags' }, { key: { price: 1 }, sparse: true }]));
  console.log(await products.indexes());
  console.log(await products.indexInformation());
  console.log(await products.indexInformation({ full: true }));
  console.log(await db.indexInformation('products'));
  console.log(await products.indexExists('sku_1'), await products.indexExists(['sku_1', 'nope']));
  for await (const index of products.listIndexes()) console.log(index.name);
  console.log(await products.dropIndex('by_tags'));
  console.log(await products.dropIndexes());
  console.log((await products.indexes()).map((i) => i.name));
  try {
    await products.insertMany([{ _id: 2, sku: 'b' }]);
    await products.createIndex({ sku: 1 }, { unique: true });
    await products.insertOne({ _id: 3, sku: 'b' });
  } catch (e) {
    if (e instanceof Error) console.log(e.name, (e as { code?: unknown }).code, (e as { keyValue?: unknown }).keyValue);
  }
} finally {
  await client.close();
}
console.log('done');
