// MongoClient lifecycle: the static connect, close then reuse (7.x reconnects on use), closing
// twice, sessions after close, the options the client exposes.
import { MongoClient, MongoNotConnectedError, MongoTopologyClosedError, MongoExpiredSessionError } from 'mongodb';

const uri = process.env.MONGODB_URI ?? 'mongodb://localhost:27017';
const client = await MongoClient.connect(uri, { appName: 'lifecycle', retryWrites: false });
const coll = client.db('life').collection<{ _id: number }>('cycle');
await coll.insertOne({ _id: 1 });
console.log('connected', await coll.countDocuments());
console.log(client.options.appName, client.options.retryWrites, client.options.dbName, client.options.hosts.length, client.readPreference.mode, client.readConcern, client.writeConcern);
await client.close();
await client.close();
console.log('closed twice');
console.log('used after close', await coll.findOne({ _id: 1 }).catch((e: Error) => `${e.name}: ${e.message}`));
await client.connect();
console.log('reconnected', await coll.countDocuments());
await client.connect();
console.log('connect twice', await coll.estimatedDocumentCount());
const session = client.startSession();
await coll.insertOne({ _id: 2 }, { session });
await session.endSession();
await coll.findOne({ _id: 2 }, { session }).catch((e: Error) => console.log('ended session', e.name, e.message, e instanceof MongoExpiredSessionError));
await client.close();
try {
  client.startSession();
  console.log('session after close: allowed');
} catch (e) {
  console.log('session after close', (e as Error).name);
}
const cursor = coll.find();
console.log('cursor after close', await cursor.toArray().then((d) => d.length).catch((e: Error) => e.name));
await client.close();

const viaWithSession = new MongoClient(uri);
const count = await viaWithSession.withSession(async (s) => viaWithSession.db('life').collection('cycle').countDocuments({}, { session: s }));
console.log('withSession on an unconnected client', count);
await viaWithSession.close();

const unreachable = new MongoClient('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200&connectTimeoutMS=200');
await unreachable.connect().catch((e: Error) => console.log('unreachable', e.name, e.constructor.name));
await unreachable.close();
console.log(typeof MongoNotConnectedError, typeof MongoTopologyClosedError);

const again = new MongoClient(uri);
await again.connect();
console.log('db default name', again.db().databaseName, again.db('other').databaseName);
await again.close();
const withDb = new MongoClient(`${uri.replace(/\/(\?|$)/, '/mydb$1')}`);
console.log('uri db', withDb.db().databaseName, withDb.options.dbName);
await withDb.close();
console.log('done');
