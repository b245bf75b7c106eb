// BSON options and helpers: promoteLongs, useBigInt64, ignoreUndefined, EJSON, Long maths.
import { BSON, Decimal128, Long, MongoClient, ObjectId } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017', { ignoreUndefined: true });
try {
  const coll = client.db('types').collection<{ _id: number; n?: unknown; gone?: unknown; d?: unknown }>('opts');
  await coll.insertOne({ _id: 1, n: Long.fromString('123'), gone: undefined, d: Decimal128.fromString('1.50') });
  console.log(await coll.findOne({ _id: 1 }));
  console.log(await coll.findOne({ _id: 1 }, { promoteLongs: false }));
  console.log(await coll.findOne({ _id: 1 }, { useBigInt64: true }));
  console.log(await coll.findOne({ _id: 1 }, { promoteValues: false }));
  const raw = client.db('types', { ignoreUndefined: false }).collection<{ _id: number; gone?: unknown }>('opts');
  await raw.insertOne({ _id: 2, gone: undefined });
  console.log(await raw.findOne({ _id: 2 }));
  await coll.insertOne({ _id: 3, n: 2n ** 62n });
  console.log(await coll.findOne({ _id: 3 }, { useBigInt64: true }), await coll.findOne({ _id: 3 }));
  const id = new ObjectId('6620f1a2b3c4d5e6f7a8b9c0');
  console.log(id.getTimestamp().toISOString(), ObjectId.isValid('nope'), id.equals('6620f1a2b3c4d5e6f7a8b9c0'));
  const text = BSON.EJSON.stringify({ id, n: Long.fromNumber(5), when: new Date(0) }, { relaxed: false });
  console.log(text);
  console.log(BSON.EJSON.parse(text));
  const bytes = BSON.serialize({ a: 1, b: 'two' });
  console.log(bytes.length, BSON.deserialize(bytes));
  const big = Long.fromString('9223372036854775807');
  console.log(big.toString(), big.add(1).toString(), Long.fromInt(7).multiply(6).toNumber(), Long.MAX_VALUE.equals(big));
  console.log(Decimal128.fromString('0.1').toString(), new Decimal128('1E+10').toJSON());
} finally {
  await client.close();
}
console.log('done');
