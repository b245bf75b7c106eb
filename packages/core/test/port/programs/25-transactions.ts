// sim: --replSet rs0
// Multi-document transactions: withTransaction, the core API, aborts, errors inside them.
import { MongoClient, MongoServerError, MongoTransactionError, ReadConcern, ReadPreference, WriteConcern } from 'mongodb';

interface Account {
  _id: string;
  balance: number;
}

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017/?replicaSet=rs0');
try {
  const accounts = client.db('bank').collection<Account>('accounts');
  await accounts.insertMany([
    { _id: 'alice', balance: 100 },
    { _id: 'bob', balance: 50 },
  ]);
  const session = client.startSession();
  try {
    const result = await session.withTransaction(async () => {
      await accounts.updateOne({ _id: 'alice' }, { $inc: { balance: -30 } }, { session });
      await accounts.updateOne({ _id: 'bob' }, { $inc: { balance: 30 } }, { session });
      return 'transferred';
    });
    console.log('withTransaction returned', result);
    console.log(await accounts.find().sort({ _id: 1 }).toArray());

    session.startTransaction({ readConcern: new ReadConcern('snapshot'), writeConcern: new WriteConcern('majority'), readPreference: ReadPreference.primary });
    console.log('in transaction', session.inTransaction());
    await accounts.insertOne({ _id: 'carol', balance: 10 }, { session });
    console.log('inside sees', await accounts.countDocuments({}, { session }), 'outside sees', await accounts.countDocuments({}));
    await session.abortTransaction();
    console.log('after abort', await accounts.countDocuments({}), session.inTransaction());

    session.startTransaction();
    await accounts.insertOne({ _id: 'dave', balance: 5 }, { session });
    await session.commitTransaction();
    console.log('after commit', await accounts.findOne({ _id: 'dave' }));

    await session
      .withTransaction(async () => {
        await accounts.insertOne({ _id: 'erin', balance: 1 }, { session });
        await accounts.insertOne({ _id: 'alice', balance: 1 }, { session });
      })
      .catch((e) => console.log('callback failed', e instanceof MongoServerError, e.code, e.codeName, e.hasErrorLabel('TransientTransactionError')));
    console.log('erin rolled back', await accounts.findOne({ _id: 'erin' }));

    try {
      session.startTransaction();
      session.startTransaction();
    } catch (e) {
      console.log('twice', e instanceof MongoTransactionError, (e as Error).message);
    }
    await session.abortTransaction();
    await session.commitTransaction().catch((e) => console.log('commit after abort', (e as Error).name, (e as Error).message));
  } finally {
    await session.endSession();
  }
  console.log(await accounts.find().sort({ _id: 1 }).toArray());
} finally {
  await client.close();
}
console.log('done');
