// Collections of other kinds and their metadata: capped collections, schema validation and
// its error details, views, collations, index management by name and by key.
import { MongoServerError, MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI ?? 'mongodb://localhost:27017';
const client = new MongoClient(uri);
try {
  const db = client.db('kinds');
  const log = await db.createCollection('log', { capped: true, size: 4096, max: 3 });
  console.log(log.collectionName, await log.isCapped(), await log.options());
  for (let i = 0; i < 5; i++) await log.insertOne({ i });
  console.log(await log.find({}, { projection: { _id: 0 } }).toArray());

  const users = await db.createCollection('users', {
    validator: { $jsonSchema: { bsonType: 'object', required: ['email'], properties: { email: { bsonType: 'string' }, age: { bsonType: 'int', minimum: 0 } } } },
    validationLevel: 'strict',
    validationAction: 'error',
  });
  console.log(await users.isCapped(), Object.keys(await users.options()));
  await users.insertOne({ email: 'a@x', age: 3 });
  try {
    await users.insertOne({ age: -1 });
  } catch (e) {
    const err = e as MongoServerError;
    console.log(err.name, err.code, err.codeName, err.message, typeof err.errInfo, err.errInfo?.failingDocumentId !== undefined);
  }
  const adults = await db.createCollection('adults', { viewOn: 'users', pipeline: [{ $match: { age: { $gte: 0 } } }, { $project: { _id: 0, email: 1 } }] });
  console.log(await adults.find().toArray(), (await db.listCollections({ name: 'adults' }).toArray()).map((c) => [c.name, c.type, 'options' in c ? c.options : undefined]));
  try {
    await adults.insertOne({ email: 'b@x' });
  } catch (e) {
    console.log((e as MongoServerError).code, (e as MongoServerError).codeName);
  }

  const words = db.collection('words');
  await words.insertMany([{ w: 'b' }, { w: 'A' }, { w: 'a' }, { w: 'B' }]);
  console.log(await words.find({}, { projection: { _id: 0 }, sort: { w: 1 }, collation: { locale: 'en', strength: 2 } }).toArray().then((d) => d.length));
  console.log(await words.createIndexes([{ key: { w: 1 }, name: 'w_ci', collation: { locale: 'en', strength: 2 } }, { key: { w: -1 } }]));
  console.log(await words.indexExists('w_ci'), await words.indexExists(['w_ci', 'w_-1']), await words.indexExists('nope'));
  console.log(await words.indexInformation(), await words.indexInformation({ full: true }).then((ix) => ix.map((i) => i.name)));
  console.log(await words.dropIndex('w_-1'), await words.listIndexes().toArray().then((ix) => ix.length));
  console.log(await words.dropIndexes(), await words.indexes().then((ix) => ix.map((i) => i.name)));
  try {
    await words.dropIndex('missing');
  } catch (e) {
    console.log((e as MongoServerError).code, (e as MongoServerError).codeName);
  }
  const renamed = await words.rename('terms');
  console.log(renamed.collectionName, renamed.namespace, (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort());
  console.log(await db.dropCollection('terms'), await db.dropCollection('log'));
} finally {
  await client.close();
}
console.log('done');
