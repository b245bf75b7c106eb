/**
 * mongo-edge on Deno over direct TCP (Deno.connect / Deno.connectTls):
 *   deno run --allow-net main.ts mongodb://127.0.0.1:27017/?replicaSet=rs0
 * (from a checkout, bundle first: see README.md.)
 */
import { MongoClient } from '@mongo-edge/core/deno';

declare const Deno: { args: string[] };

const client = new MongoClient(Deno.args[0] ?? 'mongodb://127.0.0.1:27017');
try {
  const items = client.db('app').collection<{ _id: number; at: Date }>('items');
  await items.insertOne({ _id: Date.now(), at: new Date() });
  console.log('documents:', await items.countDocuments({}), 'served by', client.address);
} finally {
  await client.close();
}
