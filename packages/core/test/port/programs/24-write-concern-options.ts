// Options inherited from client, db and collection: write concern, read preference, read concern.
import { MongoClient, ReadPreference, WriteConcern } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017/appdb?w=1&readPreference=primaryPreferred', { retryWrites: true });
try {
  const db = client.db();
  console.log(db.databaseName, db.writeConcern, db.readPreference.mode, db.readConcern);
  const coll = db.collection<{ _id: number; v: number }>('items', { writeConcern: { w: 0 }, readPreference: 'secondaryPreferred', readConcern: { level: 'local' } });
  console.log(coll.writeConcern, coll.readPreference?.mode, coll.readConcern?.level, coll.namespace, coll.dbName, coll.collectionName);
  const unack = await coll.insertOne({ _id: 1, v: 1 });
  console.log(unack.acknowledged);
  const acked = db.collection<{ _id: number; v: number }>('items', { writeConcern: new WriteConcern(1) });
  console.log(await acked.insertOne({ _id: 2, v: 2 }));
  const wc = db.collection('items', { writeConcern: { w: 'majority', wtimeoutMS: 1000 } });
  console.log(wc.writeConcern);
  console.log(await acked.updateOne({ _id: 2 }, { $inc: { v: 1 } }, { writeConcern: { w: 1, journal: true } }));
  console.log((await acked.find({}, { readPreference: ReadPreference.PRIMARY }).sort({ _id: 1 }).toArray()).length >= 1);
  console.log(await acked.findOne({ _id: 2 }, { readPreference: new ReadPreference('nearest') }));
  console.log(new ReadPreference('secondary', [{ dc: 'east' }], { maxStalenessSeconds: 120 }).toJSON());
  console.log(ReadPreference.fromString('secondaryPreferred').mode, ReadPreference.isValid('bogus'));
  try {
    new ReadPreference('bogus' as never);
  } catch (e) {
    console.log((e as Error).name, (e as Error).message);
  }
  const deleted = await acked.deleteMany({}, { writeConcern: { w: 1 } });
  console.log(deleted.deletedCount >= 1);
} finally {
  await client.close();
}
console.log('done');
