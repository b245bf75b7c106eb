// BSON value helpers as the driver re-exports them: ObjectId, UUID, Binary, Long, Decimal128,
// Timestamp, Double, Int32, and EJSON's options.
import { Binary, BSON, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, UUID, Code, BSONRegExp, BSONSymbol, DBRef, MongoClient } from 'mongodb';

const when = new Date('2024-05-06T07:08:09.000Z');
const fromTime = ObjectId.createFromTime(Math.floor(when.getTime() / 1000));
console.log(fromTime.toHexString(), fromTime.getTimestamp().toISOString());
const hex = '65a1b2c3d4e5f60718293a4b';
const id = ObjectId.createFromHexString(hex);
console.log(id, id.toString(), id.toJSON(), String(id), id.equals(hex), id.equals(new ObjectId(hex)), id.equals('65a1b2c3d4e5f60718293a4c'));
console.log(ObjectId.isValid(hex), ObjectId.isValid('xyz'), ObjectId.isValid(id), ObjectId.isValid('123456789012'), ObjectId.createFromBase64(id.toString('base64')).equals(id));
console.log(ObjectId.generate(1700000000).length, new ObjectId().toHexString().length, id.id.length, id.getTimestamp().toISOString());
try {
  ObjectId.createFromHexString('nothex');
} catch (e) {
  console.log((e as Error).name, (e as Error).message);
}

const uuid = new UUID('0f4f8d3e-3d52-4d0c-9e6a-7a5b8c9d0e1f');
console.log(uuid, uuid.toHexString(), uuid.toString(), uuid.toJSON(), UUID.isValid('not-a-uuid'), UUID.isValid(uuid.toHexString()));
const asBinary = uuid.toBinary();
console.log(asBinary.sub_type, asBinary.length(), asBinary.toUUID().equals(uuid), UUID.createFromHexString('0f4f8d3e3d524d0c9e6a7a5b8c9d0e1f').equals(uuid), new UUID().toHexString().length);

const bin = new Binary(Buffer.from('hello world'), Binary.SUBTYPE_USER_DEFINED);
console.log(bin, bin.sub_type, bin.position, bin.length(), bin.toString('hex'), bin.toString('base64'), bin.value());
const b64 = Binary.createFromBase64('aGVsbG8=', 0);
console.log(b64.sub_type, b64.toString('utf8'), Binary.createFromHexString('cafe').toString('hex'), Binary.SUBTYPE_UUID, Binary.SUBTYPE_DEFAULT);
bin.put('!');
bin.write(Buffer.from('?'), 0);
console.log(bin.toString('utf8'), bin.read(0, 5).length);

const long = Long.fromNumber(123456789012);
console.log(long, long.toString(16), long.high, long.low, long.isNegative(), long.negate().toString(), long.div(7).toString(), long.mod(1000).toNumber());
console.log(Long.fromBigInt(2n ** 60n).toString(), Long.fromString('ff', 16).toInt(), Long.fromString('-42').toBigInt(), Long.ZERO.isZero(), Long.ONE.shiftLeft(10).toString(), Long.MIN_VALUE.toString());
console.log(Long.fromInt(5).compare(3), Long.fromInt(5).greaterThan(Long.fromInt(9)), Long.isLong(long), Long.fromValue('7').toNumber(), Long.fromNumber(2.9).toNumber(), new Long(1, 0, true).unsigned);

const dec = Decimal128.fromString('1234.5600');
console.log(dec, dec.toString(), dec.toJSON(), Decimal128.fromStringWithRounding('1.00000000000000000000000000000000001').toString(), new Decimal128('-0').toString());
try {
  Decimal128.fromString('1.00000000000000000000000000000000001');
} catch (e) {
  console.log((e as Error).name, (e as Error).message);
}
const ts = new Timestamp({ t: 1700000000, i: 7 });
console.log(ts, ts.t, ts.i, ts.getHighBits(), ts.getLowBits(), ts.toString(), ts.toJSON(), Timestamp.fromNumber(42).toString(), Timestamp.MAX_VALUE.toString());
console.log(new Double(5), new Double(5).valueOf(), new Double(-0).toString(), new Double(1.5).toJSON(), new Int32(42), new Int32('12').valueOf(), new Int32(3).toString(2));
console.log(new MinKey(), new MaxKey(), new Code('function () {}', { x: 1 }), new BSONRegExp('^a', 'mi'), new BSONSymbol('sym').toString(), new DBRef('coll', id, 'db'));

const doc = { id, n: Long.fromNumber(5), i: 5, f: 2.5, d: dec, when, bin: new Binary(Buffer.from([1, 2, 3])), ts, uuid, re: /x+/i };
console.log(BSON.EJSON.stringify(doc));
console.log(BSON.EJSON.stringify(doc, { relaxed: false }));
console.log(BSON.EJSON.stringify({ a: 1, b: [true, null] }, undefined, 2));
console.log(BSON.EJSON.stringify({ keep: 1, drop: 2 }, ['keep']));
const canonical = BSON.EJSON.stringify(doc, { relaxed: false });
console.log(BSON.EJSON.parse(canonical));
console.log(BSON.EJSON.parse(canonical, { relaxed: false }));
console.log(BSON.EJSON.serialize({ n: Long.fromNumber(1), d: when }), BSON.EJSON.deserialize({ n: { $numberLong: '1' } }));
console.log(BSON.EJSON.parse('{"big":{"$numberLong":"9007199254740993"}}', { useBigInt64: true }));
const bytes = BSON.serialize(doc);
console.log(bytes.length, BSON.calculateObjectSize(doc), BSON.deserialize(bytes, { promoteValues: false }).i, BSON.deserialize(bytes, { useBigInt64: true }).n);

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('types').collection('helpers');
  await coll.insertOne({ _id: fromTime, uuid, bin, dec, ts, d: new Double(5), i: new Int32(5), min: new MinKey(), max: new MaxKey(), code: new Code('x'), re: new BSONRegExp('^a', 'i') });
  console.log(await coll.findOne({ _id: fromTime }));
  console.log(await coll.findOne({ uuid }, { projection: { _id: 0, uuid: 1 }, promoteBuffers: true }));
  console.log(await coll.findOne({ _id: { $gte: ObjectId.createFromTime(0) } }, { projection: { _id: 1 }, bsonRegExp: true }));
  console.log(await coll.findOne({}, { projection: { _id: 0, re: 1 }, bsonRegExp: true }));
} finally {
  await client.close();
}
console.log('done');
