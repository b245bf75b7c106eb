// Sessions: explicit sessions with causal consistency, withSession.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const coll = client.db('sess').collection<{ _id: number; kind: string }>('events');
  const session = client.startSession({ causalConsistency: true });
  try {
    await coll.insertOne({ _id: 1, kind: 'login' }, { session });
    console.log(await coll.findOne({ _id: 1 }, { session }));
    console.log(session.hasEnded, typeof session.id);
  } finally {
    await session.endSession();
  }
  console.log(session.hasEnded);
  const n = await client.withSession(async (s) => {
    await coll.insertOne({ _id: 2, kind: 'logout' }, { session: s });
    return await coll.countDocuments({}, { session: s });
  });
  console.log(n);
} finally {
  await client.close();
}
console.log('done');
