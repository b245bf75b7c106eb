// Cursor streams: cursor.stream() as a Node Readable, with a transform, piped and iterated.
import { MongoClient } from 'mongodb';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('streams').collection<{ _id: number; v: number }>('readings');
  await coll.insertMany(Array.from({ length: 7 }, (_, i) => ({ _id: i, v: i * i })));
  const stream = coll.find({}, { batchSize: 3 }).sort({ _id: 1 }).stream();
  stream.on('data', (doc) => console.log('data', doc));
  await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
  for await (const doc of coll.find({ v: { $gt: 10 } }).stream()) console.log('iterated', doc._id);
  const collected: number[] = [];
  await pipeline(
    coll.aggregate([{ $sort: { _id: -1 } }]).stream(),
    new Writable({
      objectMode: true,
      write(doc, _enc, cb) {
        collected.push(doc._id);
        cb();
      },
    }),
  );
  console.log(collected);
  const mapped = coll.find().map((d) => d.v).stream();
  console.log(await mapped.toArray());
} finally {
  await client.close();
}
console.log('done');
