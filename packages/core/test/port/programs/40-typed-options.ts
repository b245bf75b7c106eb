// A typed program naming the driver's option and model types, as TypeScript applications
// do: bulk write models, bulk/list/drop options, concerns, the `auth` option.
import {
  MongoClient,
  type AnyBulkWriteOperation,
  type Auth,
  type AuthMechanismProperties,
  type BulkWriteOptions,
  type DeleteOneModel,
  type DropCollectionOptions,
  type InsertOneModel,
  type ListIndexesOptions,
  type MongoClientOptions,
  type ReadConcernLike,
  type ReplaceOneModel,
  type UpdateManyModel,
  type UpdateOneModel,
  type WriteConcernSettings,
} from 'mongodb';

interface Item {
  _id: number;
  name: string;
  qty: number;
}

const uri = process.env.MONGODB_URI ?? 'mongodb://localhost:27017';
const auth: Auth = { username: 'reader', password: 'pw' };
const props: AuthMechanismProperties = { SERVICE_NAME: 'mongodb' };
const withAuth: MongoClientOptions = { auth, authMechanism: 'GSSAPI', authMechanismProperties: props };
const gssapi = new MongoClient('mongodb://localhost:27017/', withAuth);
console.log(gssapi.options.credentials?.username, gssapi.options.credentials?.mechanismProperties?.SERVICE_NAME);
await gssapi.close();

const writeConcern: WriteConcernSettings = { w: 1, journal: false };
const readConcern: ReadConcernLike = { level: 'local' };
const client = new MongoClient(uri, { writeConcern, readConcern });
try {
  const items = client.db('typed').collection<Item>('items');
  const inserts: InsertOneModel<Item>[] = [1, 2, 3, 4].map((i) => ({ document: { _id: i, name: `n${i}`, qty: i * 10 } }));
  const update: UpdateOneModel<Item> = { filter: { _id: 1 }, update: { $inc: { qty: 1 } } };
  const many: UpdateManyModel<Item> = { filter: { qty: { $gte: 30 } }, update: { $set: { name: 'big' } } };
  const replace: ReplaceOneModel<Item> = { filter: { _id: 2 }, replacement: { name: 'two', qty: 2 } };
  const remove: DeleteOneModel<Item> = { filter: { _id: 4 } };
  const ops: AnyBulkWriteOperation<Item>[] = [
    ...inserts.map((insertOne) => ({ insertOne })),
    { updateOne: update },
    { updateMany: many },
    { replaceOne: replace },
    { deleteOne: remove },
  ];
  const options: BulkWriteOptions = { ordered: true };
  const result = await items.bulkWrite(ops, options);
  console.log(result.insertedCount, result.matchedCount, result.modifiedCount, result.deletedCount, result.upsertedCount);
  console.log(await items.find({}, { sort: { _id: 1 } }).toArray());
  await items.createIndex({ name: 1 });
  const listOptions: ListIndexesOptions = { batchSize: 1 };
  console.log((await items.listIndexes(listOptions).toArray()).map((ix) => ix.name));
  const dropOptions: DropCollectionOptions = {};
  console.log(await items.drop(dropOptions), await client.db('typed').listCollections().toArray());
} finally {
  await client.close();
}
console.log('done');
