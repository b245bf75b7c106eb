// db.command and admin helpers: the shapes applications read from ping, buildInfo, hello,
// serverStatus, listDatabases, listCollections, listIndexes, collStats via aggregate.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('shapes');
  const admin = client.db().admin();
  console.log(await admin.ping(), await admin.command({ ping: 1 }), await db.command({ ping: 1 }));
  const build = await admin.buildInfo();
  console.log(typeof build.version, build.versionArray.length, typeof build.maxBsonObjectSize, build.ok);
  const hello = await db.command({ hello: 1 });
  console.log(hello.isWritablePrimary, typeof hello.maxWireVersion, hello.maxBsonObjectSize, hello.maxMessageSizeBytes, hello.maxWriteBatchSize, typeof hello.localTime);
  const status = await admin.serverStatus();
  console.log(typeof status.host, typeof status.version, typeof status.uptime, status.ok);
  const info = await admin.serverInfo();
  console.log(typeof info.version, info.ok);
  await db.collection<{ _id: number; x: number }>('a').insertOne({ _id: 1, x: 1 });
  await db.collection('b').createIndex({ x: 1 }, { unique: true, name: 'x_unique' });
  await db.createCollection('v', { viewOn: 'a', pipeline: [{ $project: { x: 1 } }] });
  const all = await admin.listDatabases();
  const mine = all.databases.find((d) => d.name === 'shapes');
  console.log(Object.keys(all).sort(), Object.keys(mine ?? {}).sort(), typeof all.totalSize, mine?.empty);
  console.log(await admin.listDatabases({ nameOnly: true }).then((r) => Object.keys(r.databases[0] ?? {})));
  console.log((await admin.listDatabases({ filter: { name: 'shapes' } })).databases.map((d) => d.name));
  const cols = await db.listCollections().toArray();
  for (const c of cols.sort((x, y) => x.name.localeCompare(y.name))) console.log(c.name, c.type, Object.keys(c).sort(), 'options' in c ? c.options : '-', 'info' in c ? Object.keys(c.info ?? {}).sort() : '-', 'idIndex' in c ? c.idIndex?.name : '-');
  console.log(await db.listCollections({ name: 'b' }, { nameOnly: true }).toArray());
  console.log(await db.listCollections({ type: 'view' }, { nameOnly: true }).toArray());
  console.log(await db.listCollections({}, { nameOnly: true, authorizedCollections: true }).map((c) => c.name).toArray().then((n) => n.sort()));
  console.log(await db.collection('b').listIndexes().toArray());
  console.log(await db.collection('b').indexes({ full: false }), await db.collection('b').indexInformation());
  console.log(await db.collection('b').indexExists(['x_unique', '_id_']), await db.collection('b').indexExists('nope'));
  console.log(await db.collection('a').estimatedDocumentCount(), await db.collection('v').countDocuments());
  const stats = await db.collection('a').aggregate([{ $collStats: { count: {} } }, { $project: { _id: 0, ns: 1, count: 1 } }]).toArray();
  console.log(stats);
  const cursorReply = await db.command({ find: 'a', filter: {}, batchSize: 1 });
  console.log(Object.keys(cursorReply.cursor).sort(), cursorReply.cursor.ns, cursorReply.cursor.firstBatch);
  const listed = await db.command({ listCollections: 1, nameOnly: true, filter: { name: 'a' } });
  console.log(listed.cursor.firstBatch);
  const run = db.runCursorCommand({ find: 'a', filter: {} });
  console.log(await run.toArray());
  console.log(await db.command({ dbStats: 1 }).then((s) => [s.db, s.views, s.collections]));
  const validate = await db.command({ validate: 'a' });
  console.log(validate.ns, validate.valid, validate.ok);
  console.log(await db.command({ count: 'a' }), await db.command({ distinct: 'a', key: 'x' }));
} finally {
  await client.close();
}
console.log('done');
