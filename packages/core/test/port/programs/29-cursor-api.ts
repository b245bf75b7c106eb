// Cursor API details: clone, rewind, buffered documents, tryNext, early exit from for await,
// toArray after partial iteration, negative limit, option chaining, explain.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('cursors').collection<{ _id: number; g: string; v: number; name: string }>('data');
  await coll.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i, g: i % 2 ? 'odd' : 'even', v: (i * 13) % 17, name: i % 3 ? `Name${i}` : `name${i}` })));
  await coll.createIndex({ v: 1 });

  const c1 = coll.find({}, { batchSize: 5 }).sort({ _id: 1 });
  console.log('first', (await c1.next())?._id, 'buffered', c1.bufferedCount());
  console.log('read buffered', c1.readBufferedDocuments(2).map((d) => d._id), 'left', c1.bufferedCount());
  console.log('rest', (await c1.toArray()).map((d) => d._id).join(','), c1.closed);

  const c2 = coll.find({ g: 'odd' }).sort({ _id: -1 }).limit(4);
  const clone = c2.clone();
  console.log((await c2.toArray()).map((d) => d._id), (await clone.toArray()).map((d) => d._id));
  c2.rewind();
  console.log('rewound', (await c2.next())?._id);
  await c2.close();

  const c3 = coll.find({}, { batchSize: 3 }).sort({ _id: 1 });
  for await (const doc of c3) {
    if (doc._id === 4) break;
  }
  console.log('after break', c3.closed, c3.killed);

  const c4 = coll.find({ v: { $lt: 3 } }).sort({ v: 1, _id: 1 });
  console.log('tryNext', (await c4.tryNext())?._id, (await c4.tryNext())?._id);
  console.log('rest after two', (await c4.toArray()).map((d) => d._id));
  console.log('tryNext at end', await c4.tryNext(), await c4.hasNext());

  console.log('negative limit', (await coll.find().sort({ _id: 1 }).limit(-3).batchSize(2).toArray()).map((d) => d._id));
  const chained = coll
    .find({ v: { $gte: 5 } })
    .sort({ v: -1 })
    .skip(1)
    .limit(3)
    .project<{ v: number }>({ _id: 0, v: 1 })
    .hint({ v: 1 })
    .comment('chained')
    .maxTimeMS(5000)
    .allowDiskUse()
    .batchSize(2);
  console.log('chained', await chained.toArray());
  console.log('collation', (await coll.find({ name: { $gte: 'name2' } }).collation({ locale: 'en', strength: 2 }).sort({ name: 1 }).limit(4).project({ _id: 0, name: 1 }).toArray()));
  console.log('filter/addCursorFlag', (await coll.find().filter({ g: 'even', v: { $gt: 10 } }).addCursorFlag('noCursorTimeout', true).sort({ _id: 1 }).toArray()).map((d) => d._id));
  console.log('min/max', await coll.find().hint({ v: 1 }).min({ v: 14 }).max({ v: 16 }).project({ _id: 1, v: 1 }).toArray());
  const mapped = coll.find({ _id: { $lt: 5 } }).sort({ _id: 1 }).map((d) => d._id * 10).map((n) => `#${n}`);
  console.log('mapped twice', await mapped.toArray());
  let visited = 0;
  await coll.find().sort({ _id: 1 }).forEach((d) => {
    visited++;
    return d._id < 3;
  });
  console.log('forEach stops on false', visited);
  const plan = await coll.find({ v: 3 }).explain();
  console.log('explain', 'queryPlanner' in plan, typeof plan.queryPlanner?.winningPlan);
  const plan2 = await coll.find({ v: 3 }).explain('executionStats');
  console.log('executionStats', plan2.executionStats?.nReturned);
  const used = coll.find();
  await used.next();
  try {
    used.sort({ _id: -1 });
  } catch (e) {
    console.log('modify after start', (e as Error).name, (e as Error).message);
  }
  await used.close();
  console.log('count after partial', await (async () => {
    const c = coll.find({}, { batchSize: 4 });
    await c.next();
    await c.next();
    return (await c.toArray()).length;
  })());
} finally {
  await client.close();
}
console.log('done');
