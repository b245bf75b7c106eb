// client.bulkWrite against a MongoDB 7.0 server is refused before anything is sent.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  await client.bulkWrite([{ namespace: 'shop.orders', name: 'insertOne', document: { sku: 'pen' } }]).catch((e: Error) => console.log(e.name, e.message));
  console.log(await client.db('shop').collection('orders').countDocuments());
} finally {
  await client.close();
}
console.log('done');
