// Write errors in detail: bulk errors, partial inserts, validation failures.
import { MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('errs');
  const users = db.collection<{ _id: number; email?: string; age?: number }>('users');
  await users.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
  await users.insertOne({ _id: 1, email: 'a@x' });
  try {
    await users.insertMany([{ _id: 2, email: 'b@x' }, { _id: 3, email: 'a@x' }, { _id: 4, email: 'c@x' }], { ordered: false });
  } catch (e) {
    if (e instanceof MongoBulkWriteError) {
      console.log(e.name, e.code, e.result.insertedCount, e.insertedCount, Object.keys(e.insertedIds));
      for (const w of [e.writeErrors].flat()) console.log('writeError', w.index, w.code);
    } else console.log('unexpected', e);
  }
  try {
    await users.insertMany([{ _id: 5, email: 'd@x' }, { _id: 1 }, { _id: 6 }]);
  } catch (e) {
    if (e instanceof MongoBulkWriteError) console.log('ordered', e.result.insertedCount, [e.writeErrors].flat().length);
  }
  console.log(await users.countDocuments());
  try {
    await users.updateOne({ _id: 2 }, { $set: { email: 'c@x' } });
  } catch (e) {
    if (e instanceof MongoServerError) console.log(e.code, e.codeName, e.keyPattern, e.keyValue);
  }
  await db.createCollection('adults', { validator: { age: { $gte: 18 } } });
  try {
    await db.collection('adults').insertOne({ age: 10 });
  } catch (e) {
    if (e instanceof MongoServerError) console.log(e.code, e.codeName, typeof e.errInfo, e.errInfo?.failingDocumentId === undefined);
  }
  const res = await db.collection('adults').insertOne({ age: 10 }, { bypassDocumentValidation: true });
  console.log(res.acknowledged);
  try {
    await users.bulkWrite([{ insertOne: { document: { _id: 10 } } }, { updateOne: { filter: { _id: 10 }, update: { $inc: { age: 1 } } } }, { insertOne: { document: { _id: 10 } } }]);
  } catch (e) {
    if (e instanceof MongoBulkWriteError) console.log('bulk', e.result.insertedCount, e.result.modifiedCount, [e.writeErrors].flat().map((w) => w.index));
  }
} finally {
  await client.close();
}
console.log('done');
