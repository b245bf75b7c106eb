// Change streams: watch() on a collection, a database and the client, typed changes, the
// resume token, event mode; on this standalone (no oplog) the server refuses the stream.
import { MongoClient, MongoServerError, type ChangeStreamDocument, type ChangeStreamOptions, type ResumeToken } from 'mongodb';

interface Reading {
  _id: number;
  v: number;
}

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('cs').collection<Reading>('readings');
  await coll.insertOne({ _id: 1, v: 1 });
  const options: ChangeStreamOptions = { fullDocument: 'updateLookup', maxAwaitTimeMS: 100 };
  const cs = coll.watch<Reading>([{ $match: { operationType: { $in: ['insert', 'update'] } } }], options);
  const before: ResumeToken = cs.resumeToken;
  console.log('before', before, 'closed', cs.closed);
  try {
    const change: ChangeStreamDocument<Reading> = await cs.next();
    if (change.operationType === 'insert') console.log('inserted', change.fullDocument.v, change.documentKey._id);
  } catch (error) {
    if (!(error instanceof MongoServerError)) throw error;
    console.log('refused', error.name, error.code, error.codeName);
  }
  console.log('closed after the error', cs.closed);
  await cs.close();

  const dbStream = client.db('cs').watch([], { batchSize: 10 });
  const failed = await dbStream.tryNext().catch((e: unknown) => (e instanceof MongoServerError ? e.code : 'other'));
  console.log('db.watch', failed, dbStream.closed);
  await dbStream.close();

  const clusterStream = client.watch();
  const event = await new Promise<string>((resolve) => {
    clusterStream.on('change', () => resolve('change'));
    clusterStream.on('error', (e) => resolve(`error ${e instanceof MongoServerError ? e.code : 'other'}`));
  });
  console.log('client.watch', event);
  await clusterStream.close();
  console.log('closed', clusterStream.closed);
} finally {
  await client.close();
}
console.log('done');
