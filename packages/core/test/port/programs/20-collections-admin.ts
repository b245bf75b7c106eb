// Collections and databases: create with options, list, rename, drop, commands, admin.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('catalog');
  const logs = await db.createCollection<{ _id: number; msg: string }>('logs', { capped: true, size: 4096, max: 3 });
  for (let i = 0; i < 5; i++) await logs.insertOne({ _id: i, msg: `line ${i}` });
  console.log(await logs.find().toArray(), await logs.isCapped());
  await db.createCollection('people', { validator: { $jsonSchema: { bsonType: 'object', required: ['name'] } }, validationAction: 'error' });
  console.log((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort());
  const info = await db.listCollections({ name: 'people' }).next();
  console.log(info?.name, info?.type, info && 'options' in info ? info.options : undefined);
  console.log((await db.collections()).map((c) => c.collectionName).sort());
  await db.collection('people').insertOne({ name: 'x' });
  const renamed = await db.renameCollection('people', 'persons');
  console.log(renamed.collectionName, await renamed.countDocuments());
  console.log(await db.collection('persons').drop(), await db.dropCollection('missing').catch((e) => e.codeName));
  console.log(await db.command({ ping: 1 }));
  const stats = await db.stats();
  console.log(stats.db, stats.collections, typeof stats.dataSize);
  const admin = client.db('admin').admin();
  const { databases } = await admin.listDatabases({ nameOnly: true });
  console.log(databases.map((d) => d.name).filter((n) => n === 'catalog'));
  const build = await admin.buildInfo();
  console.log(typeof build.version, Array.isArray(build.versionArray));
  console.log(Object.keys(await admin.ping()));
  console.log(await db.collection('logs').indexExists('_id_'), await db.collection('logs').indexes());
  console.log(await db.dropDatabase());
  console.log((await db.listCollections().toArray()).length);
} finally {
  await client.close();
}
console.log('done');
