// Helpers older applications still call: Db.createIndex, Db/Admin.removeUser, the
// client's option getters, MongoError.errmsg, the Db system collection names and the
// aggregation cursor's redact/geoNear builders. (Not `client.timeoutMS`: mongodb 7.9 ignores
// the option and its getter answers undefined; ours implements CSOT and answers the value.)
import { Db, MongoClient, MongoServerError } from 'mongodb';

const uri = process.env.MONGODB_URI ?? 'mongodb://localhost:27017';

const configured = new MongoClient(uri, { serverApi: { version: '1', strict: false }, monitorCommands: true });
console.log(configured.serverApi);
await configured.close();
console.log(Db.SYSTEM_PROFILE_COLLECTION, Db.SYSTEM_USER_COLLECTION, Db.SYSTEM_COMMAND_COLLECTION, Db.SYSTEM_JS_COLLECTION);

const client = new MongoClient(uri);
try {
  console.log(client.serverApi);
  const db = client.db('legacy');
  await db.collection('people').insertOne({ name: 'ada', city: 'london' });
  console.log(await db.createIndex('people', { city: 1, name: -1 }), await db.createIndex('people', 'name', { unique: true }));
  console.log((await db.collection('people').indexes()).map((ix) => ix.name));
  const people = db.collection('people');
  console.log(people.db.databaseName, people.db === db, people.db.collection('other').dbName);

  await db.command({ createUser: 'report', pwd: 'pw', roles: [] });
  console.log(await db.removeUser('report'));
  try {
    await db.removeUser('report');
  } catch (e) {
    const err = e as MongoServerError;
    console.log(err instanceof MongoServerError, err.code, err.codeName, err.errmsg === err.message, err.errmsg);
  }
  await client.db('admin').command({ createUser: 'ops', pwd: 'pw', roles: [] });
  console.log(await client.db('admin').admin().removeUser('ops'));

  const cursor = db.collection('people').aggregate([{ $match: { city: 'london' } }]).redact({ $cond: { if: true, then: '$$DESCEND', else: '$$PRUNE' } });
  console.log(JSON.stringify(cursor.pipeline));
  console.log(JSON.stringify(db.collection('places').aggregate().geoNear({ near: { type: 'Point', coordinates: [0, 0] }, distanceField: 'd' }).pipeline));
} finally {
  await client.close();
}
console.log('done');
