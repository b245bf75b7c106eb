// forceServerObjectId from the client's options, the connection string and the Db's options:
// the server, not the driver, gives inserted documents their _id.
import { MongoClient, ObjectId } from 'mongodb';

const uri = process.env.MONGODB_URI ?? 'mongodb://localhost:27017';
const client = new MongoClient(uri, { forceServerObjectId: true });
const kind = (d: { _id?: unknown } | null) => (d?._id instanceof ObjectId ? 'ObjectId' : typeof d?._id);
try {
  const coll = client.db('ids').collection<{ _id?: ObjectId; n: number }>('server');
  const one = { n: 1 };
  const res = await coll.insertOne(one);
  console.log('insertOne', res.insertedId, '_id' in one, kind(await coll.findOne({ n: 1 })));
  const many = [{ n: 2 }, { n: 3 }];
  const resMany = await coll.insertMany(many);
  console.log('insertMany', resMany.insertedCount, many.map((d) => '_id' in d), (await coll.find({ n: { $gt: 1 } }).toArray()).map(kind));
  const bulk = await coll.bulkWrite([{ insertOne: { document: { n: 4 } } }]);
  console.log('bulkWrite', bulk.insertedCount, kind(await coll.findOne({ n: 4 })));
  const own = { n: 5 };
  await coll.insertOne(own, { forceServerObjectId: false });
  console.log('call false on insertOne', '_id' in own);
  const own2 = { n: 6 };
  await coll.insertMany([own2], { forceServerObjectId: false });
  console.log('call false on insertMany', '_id' in own2);
  const legacy = coll.initializeUnorderedBulkOp();
  const own3 = { n: 7 };
  legacy.insert(own3);
  await legacy.execute();
  console.log('legacy bulk', '_id' in own3);
  const dbOff = client.db('ids', { forceServerObjectId: false }).collection<{ _id?: ObjectId; n: number }>('server');
  const own4 = { n: 8 };
  await dbOff.insertOne(own4);
  console.log('db option over the client', '_id' in own4, kind(own4 as { _id?: unknown }));
  console.log('count', await coll.countDocuments());
} finally {
  await client.close();
}

const viaUri = new MongoClient(`${uri}${uri.includes('?') ? '&' : '?'}forceServerObjectId=true`);
try {
  const doc = { n: 9 };
  await viaUri.db('ids').collection('uri').insertOne(doc);
  console.log('from the connection string', '_id' in doc);
} finally {
  await viaUri.close();
}

const plain = new MongoClient(uri);
try {
  const byDb = plain.db('ids', { forceServerObjectId: true }).collection('db');
  const doc = { n: 10 };
  const res = await byDb.insertOne(doc);
  console.log('db option only', res.insertedId, '_id' in doc);
  const doc2 = { n: 11 };
  await plain.db('ids').collection('db').insertOne(doc2);
  console.log('another db handle', '_id' in doc2);
} finally {
  await plain.close();
}
console.log('done');
