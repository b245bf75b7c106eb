// Typed errors: duplicate keys, invalid arguments, server errors, use after close.
import { MongoClient, MongoInvalidArgumentError, MongoNotConnectedError, MongoServerError } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
const show = (e: unknown) => {
  if (e instanceof MongoServerError) console.log('server', e.name, e.code, e.codeName, e.message, e.keyValue ?? '');
  else if (e instanceof MongoInvalidArgumentError) console.log('argument', e.name, e.message, 'code' in e);
  else if (e instanceof MongoNotConnectedError) console.log('not connected', e.name, e.message);
  else if (e instanceof TypeError) console.log('type', e.name, e.message);
  else console.log('other', e);
};
const coll = client.db('errors').collection<{ _id: number; name: string }>('people');
try {
  await coll.insertOne({ _id: 1, name: 'ann' });
  await coll.insertOne({ _id: 1, name: 'bob' }).catch(show);
  await coll.insertOne(42 as never).catch(show);
  await coll.updateOne({ _id: 1 }, { name: 'x' } as never).catch(show);
  await coll.replaceOne({ _id: 1 }, { $set: { name: 'x' } } as never).catch(show);
  await coll.insertMany('nope' as never).catch(show);
  await client.db('errors').command({ noSuchCommand: 1 }).catch(show);
  await coll.find({ $bogus: 1 }).toArray().catch(show);
  await coll.aggregate([{ $nope: 1 }]).toArray().catch(show);
  try {
    coll.find(42 as never);
  } catch (e) {
    show(e);
  }
} finally {
  await client.close();
}
await coll.findOne({}).catch(show);
await client.connect();
console.log('reconnected', await coll.countDocuments());
await client.close();
console.log('done');
