// Error classes and their properties: server errors (codeName, errInfo, errorResponse, labels),
// invalid arguments, bad connection strings, bad names, API misuse.
import {
  MongoAPIError,
  MongoClient,
  MongoError,
  MongoInvalidArgumentError,
  MongoParseError,
  MongoServerError,
  MongoBulkWriteError,
  MongoDriverError,
  MongoCursorExhaustedError,
  MongoTopologyClosedError,
  MongoNotConnectedError,
  MongoMissingCredentialsError,
  MongoCompatibilityError,
} from 'mongodb';

const describeError = (label: string, e: unknown) => {
  if (!(e instanceof Error)) return console.log(label, 'not an Error', e);
  const flags = [MongoError, MongoDriverError, MongoAPIError, MongoInvalidArgumentError, MongoParseError, MongoServerError, MongoBulkWriteError, MongoCompatibilityError].map((C) => (e instanceof C ? 1 : 0)).join('');
  console.log(label, e.name, flags, e.message);
};

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('errclasses');
  await db.createCollection('strict', { validator: { $jsonSchema: { bsonType: 'object', required: ['name'], properties: { name: { bsonType: 'string' } } } } });
  const strict = db.collection<{ _id: number; name?: unknown }>('strict');
  const failure = await strict.insertOne({ _id: 1, name: 5 }).catch((e: unknown) => e);
  if (failure instanceof MongoServerError) {
    console.log(failure.name, failure.code, failure.codeName, failure.message);
    console.log(failure.errInfo?.failingDocumentId, Object.keys(failure.errInfo ?? {}).sort(), failure.errorLabels, failure.hasErrorLabel('TransientTransactionError'));
    console.log(Object.keys(failure.errorResponse).sort(), failure.errorResponse.code);
  }
  await strict.insertOne({ _id: 2, name: 'ok' });
  const dup = await strict.insertOne({ _id: 2, name: 'again' }).catch((e: unknown) => e);
  if (dup instanceof MongoServerError) console.log(dup.code, dup.codeName, dup.keyPattern, dup.keyValue, dup.errorResponse.index, dup.message);
  const cmd = await db.command({ count: 'strict', query: { $where: 1 } }).catch((e: unknown) => e);
  if (cmd instanceof MongoServerError) console.log(cmd.code, cmd.codeName, typeof cmd.message, cmd.errorResponse.ok, Object.keys(cmd.errorResponse).sort());
  const bad = await db.command({ find: 'strict', filter: { $nope: 1 } }).catch((e: unknown) => e);
  describeError('bad operator', bad);

  await strict.insertOne(null as never).catch((e: unknown) => describeError('insertOne(null)', e));
  await strict.insertMany({} as never).catch((e: unknown) => describeError('insertMany({})', e));
  await strict.updateOne({ _id: 2 }, { name: 'x' } as never).catch((e: unknown) => describeError('update without operators', e));
  await strict.updateMany({}, {} as never).catch((e: unknown) => describeError('empty update', e));
  await strict.updateOne({ _id: 2 }, [] as never).catch((e: unknown) => describeError('empty pipeline', e));
  await strict.replaceOne({ _id: 2 }, { $set: { name: 'x' } } as never).catch((e: unknown) => describeError('replace with operators', e));
  await strict.bulkWrite([]).catch((e: unknown) => describeError('empty bulkWrite', e));
  await strict.bulkWrite([{ bogus: {} }] as never).catch((e: unknown) => describeError('bogus model', e));
  await strict.findOneAndUpdate({ _id: 2 }, { name: 'x' } as never).catch((e: unknown) => describeError('findOneAndUpdate without operators', e));
  await strict.findOneAndReplace({ _id: 2 }, { $set: { name: 'x' } } as never).catch((e: unknown) => describeError('findOneAndReplace with operators', e));
  await strict.initializeOrderedBulkOp().execute().catch((e: unknown) => describeError('empty legacy bulk', e));
  try {
    client.db('bad.name');
  } catch (e) {
    describeError('db name with a dot', e);
  }
  await db.collection('has$dollar').insertOne({ a: 1 }).catch((e: unknown) => describeError('collection name with $', e));
  await db.collection('system.bogus').insertOne({ a: 1 }).catch((e: unknown) => describeError('system collection', e));
  const cursor = strict.find();
  await cursor.toArray();
  await cursor.next().then((d) => console.log('next after toArray', d)).catch((e: unknown) => describeError('next after toArray', e));
  try {
    cursor.limit(1);
  } catch (e) {
    describeError('limit after start', e);
  }
  try {
    strict.find().limit(1.5);
  } catch (e) {
    describeError('non-integer limit', e);
  }
  try {
    strict.find().batchSize('x' as never);
  } catch (e) {
    describeError('string batchSize', e);
  }
  console.log(typeof MongoCursorExhaustedError, typeof MongoTopologyClosedError, typeof MongoNotConnectedError);
} finally {
  await client.close();
}

// Connection strings both drivers refuse (the messages differ: not printed).
for (const uri of ['mongodb://a,b/?directConnection=true', 'mongodb+srv://a:27017']) {
  try {
    new MongoClient(uri);
    console.log(uri, 'accepted');
  } catch (e) {
    console.log(uri, (e as Error).name);
  }
}
try {
  new MongoClient('mongodb://localhost', { maxPoolSize: -1 });
} catch (e) {
  console.log('negative maxPoolSize', (e as Error).name, e instanceof MongoParseError);
}
try {
  new MongoClient('mongodb://localhost/?authMechanism=PLAIN');
} catch (e) {
  console.log('PLAIN without a user', (e as Error).name, e instanceof MongoMissingCredentialsError);
}
console.log('done');
