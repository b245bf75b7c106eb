// The driver's constant objects as applications use them: BSONType in a $type query,
// ExplainVerbosity with find and aggregate explain (ExplainableCursor), AuthMechanism in
// options (DEFAULT negotiates, as no mechanism does).
import { AuthMechanism, BSONType, ExplainableCursor, ExplainVerbosity, MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI ?? 'mongodb://localhost:27017';

console.log(BSONType.string, BSONType.long, BSONType.minKey, BSONType.maxKey, Object.keys(BSONType).length);
console.log(ExplainVerbosity, AuthMechanism.MONGODB_SCRAM_SHA256, AuthMechanism.MONGODB_DEFAULT);

const withDefault = new MongoClient('mongodb://app:secret@localhost:27017/shop', { authMechanism: AuthMechanism.MONGODB_DEFAULT });
console.log(withDefault.options.credentials?.username, withDefault.options.credentials?.source);
await withDefault.close();
const noUser = new MongoClient(`mongodb://localhost:27017/?authMechanism=${AuthMechanism.MONGODB_DEFAULT}`);
console.log(noUser.options.credentials);
await noUser.close();

const client = new MongoClient(uri);
try {
  const items = client.db('constants').collection<{ _id: number; v: unknown }>('items');
  await items.insertMany([{ _id: 1, v: 'a' }, { _id: 2, v: 3 }, { _id: 3, v: 4.5 }, { _id: 4, v: null }, { _id: 5, v: ['x'] }]);
  console.log(await items.find({ v: { $type: BSONType.string } }).toArray());
  console.log(await items.find({ v: { $type: [BSONType.int, BSONType.double] } }, { sort: { _id: 1 } }).toArray());
  console.log(await items.countDocuments({ v: { $type: BSONType.null } }));

  const cursor = items.find({ v: 3 });
  console.log(cursor instanceof ExplainableCursor, items.aggregate([]) instanceof ExplainableCursor, items.listIndexes() instanceof ExplainableCursor);
  const plan = await cursor.explain(ExplainVerbosity.queryPlanner);
  console.log(plan.queryPlanner.namespace, plan.queryPlanner.winningPlan.stage, 'executionStats' in plan);
  const stats = await items.find({ _id: 2 }).explain({ verbosity: ExplainVerbosity.executionStats });
  console.log(stats.queryPlanner.winningPlan.stage, stats.executionStats.nReturned);
  const agg = await items.aggregate([{ $match: { v: { $type: BSONType.double } } }]).explain(ExplainVerbosity.queryPlanner);
  console.log(typeof agg.ok, agg.ok);
} finally {
  await client.close();
}
console.log('done');
