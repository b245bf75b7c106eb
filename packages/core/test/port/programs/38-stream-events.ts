// cursor.stream() as applications use it: 'data' / 'end' events (no 'close' after 'end'), pause and resume,
// a transform, destroying early, an error from the server, and a change of mind with the cursor.
import { MongoClient } from 'mongodb';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('streams').collection<{ _id: number; v: number }>('events');
  await coll.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, v: i * i })));

  const order: string[] = [];
  const s1 = coll.find({}, { batchSize: 4 }).sort({ _id: 1 }).stream();
  await new Promise<void>((resolve, reject) => {
    let n = 0;
    s1.on('data', (doc: { _id: number }) => {
      n++;
      if (doc._id === 3) {
        s1.pause();
        order.push('paused');
        setTimeout(() => {
          order.push('resumed');
          s1.resume();
        }, 5);
      }
    });
    s1.on('end', () => {
      order.push(`end ${n}`);
      setTimeout(resolve, 20);
    });
    s1.on('close', () => order.push('close'));
    s1.on('error', reject);
  });
  console.log(order, s1.destroyed, s1.readableEnded);

  const s2 = coll.find({ v: { $gt: 50 } }).sort({ _id: 1 }).map((d) => `${d._id}=${d.v}`).stream();
  const got: string[] = [];
  for await (const line of s2) got.push(String(line));
  console.log(got);

  const s3 = coll.find().sort({ _id: 1 }).batchSize(2).stream();
  const firstTwo: number[] = [];
  for await (const doc of s3) {
    firstTwo.push((doc as { _id: number })._id);
    if (firstTwo.length === 2) break;
  }
  console.log(firstTwo, s3.destroyed);

  const s4 = coll.aggregate([{ $project: { _id: 0, v: 1 } }, { $limit: 3 }]).stream();
  const collected: unknown[] = [];
  await pipeline(
    s4,
    new Transform({
      objectMode: true,
      transform(doc, _enc, cb) {
        cb(null, JSON.stringify(doc));
      },
    }),
    async function* (source) {
      for await (const chunk of source) collected.push(chunk);
    },
  );
  console.log(collected);

  const s5 = coll.find({ $where: 'oops' } as never).stream();
  const err = await new Promise<Error>((resolve) => {
    s5.on('error', resolve);
    s5.on('data', () => undefined);
  });
  console.log('stream error', err.name, (err as Error & { codeName?: string }).codeName);

  const cursor = coll.find({ _id: { $lt: 3 } }).sort({ _id: 1 });
  const s6 = cursor.stream();
  const viaEvents: number[] = [];
  s6.on('data', (d: { _id: number }) => viaEvents.push(d._id));
  await new Promise((r) => s6.on('end', r));
  console.log(viaEvents, cursor.closed);
  const s7 = coll.find().stream();
  s7.destroy();
  await new Promise((r) => s7.on('close', r));
  console.log('destroyed before reading', s7.destroyed, s7.readableEnded);
} finally {
  await client.close();
}
console.log('done');
