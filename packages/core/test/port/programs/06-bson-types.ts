// BSON types round trip: Decimal128, Long, Int32, Double, Binary, UUID, Timestamp, Date, RegExp, ObjectId.
import { MongoClient } from 'mongodb';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID } from 'bson';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('types').collection('values');
  const doc = {
    _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
    price: Decimal128.fromString('19.99'),
    big: Long.fromString('9007199254740993'),
    small: new Int32(7),
    ratio: new Double(2),
    bytes: new Binary(Buffer.from('hello')),
    id: new UUID('0f4f8d3e-3d52-4d0c-9e6a-7a5b8c9d0e1f'),
    ts: new Timestamp({ t: 1700000000, i: 3 }),
    when: new Date('2024-01-02T03:04:05.678Z'),
    pattern: /ab+c/i,
    nested: { list: [1, 'two', null, { three: 3 }] },
  };
  await coll.insertOne(doc);
  const back = await coll.findOne({ _id: doc._id });
  console.log(back);
  console.log(back?._id.toHexString(), back?.price.toString(), typeof back?.big, back?.small, back?.ratio);
  const big = await coll.findOne({ big: { $gt: 2 ** 53 } }, { projection: { _id: 0, big: 1 } });
  console.log(big);
  console.log(await coll.countDocuments({ when: { $gt: new Date('2024-01-01') } }));
  console.log(await coll.findOne({ id: new UUID('0f4f8d3e-3d52-4d0c-9e6a-7a5b8c9d0e1f') }, { projection: { _id: 0, id: 1 } }));
} finally {
  await client.close();
}
console.log('done');
