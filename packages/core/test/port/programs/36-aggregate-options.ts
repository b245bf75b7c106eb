// Aggregation with options and writing stages: $out, $merge, $lookup with a pipeline, $facet,
// $unwind options, cursor options, the builder methods, explain, db.aggregate.
import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('agg');
  const sales = db.collection<{ _id: number; item: string; qty: number; tags: string[]; store: string }>('sales');
  await sales.insertMany(Array.from({ length: 12 }, (_, i) => ({ _id: i, item: ['pen', 'ink', 'Pad'][i % 3]!, qty: i * 2, tags: i % 4 ? ['a', 'b'].slice(0, i % 3) : [], store: i < 6 ? 'north' : 'south' })));
  await db.collection<{ _id: string; city: string }>('stores').insertMany([{ _id: 'north', city: 'Oslo' }, { _id: 'south', city: 'Rome' }]);

  const out = await sales.aggregate([{ $group: { _id: '$item', total: { $sum: '$qty' } } }, { $out: 'totals' }]).toArray();
  console.log('$out returns', out, await db.collection('totals').find().sort({ _id: 1 }).toArray());
  await sales.aggregate([{ $match: { store: 'north' } }, { $project: { item: 1, qty: 1 } }, { $merge: { into: 'merged', on: '_id', whenMatched: 'replace', whenNotMatched: 'insert' } }]).toArray();
  await sales.aggregate([{ $match: { qty: { $gte: 8 } } }, { $project: { item: 1, big: { $literal: true } } }, { $merge: { into: 'merged', whenMatched: 'merge' } }]).toArray();
  console.log('$merge', await db.collection('merged').find().sort({ _id: 1 }).toArray());
  const lookedUp = await sales
    .aggregate([
      { $match: { _id: { $in: [0, 7] } } },
      { $lookup: { from: 'stores', let: { s: '$store' }, pipeline: [{ $match: { $expr: { $eq: ['$_id', '$$s'] } } }, { $project: { _id: 0, city: 1 } }], as: 'where' } },
      { $unwind: '$where' },
      { $project: { item: 1, city: '$where.city' } },
    ])
    .toArray();
  console.log(lookedUp);
  console.log(
    await sales
      .aggregate([{ $match: { _id: { $lt: 5 } } }, { $unwind: { path: '$tags', includeArrayIndex: 'pos', preserveNullAndEmptyArrays: true } }, { $project: { tags: 1, pos: 1 } }])
      .toArray(),
  );
  console.log(
    await sales
      .aggregate([
        { $facet: { byStore: [{ $sortByCount: '$store' }], top: [{ $sort: { qty: -1 } }, { $limit: 2 }, { $project: { qty: 1 } }], count: [{ $count: 'n' }] } },
      ])
      .toArray(),
  );
  const withOptions = sales.aggregate([{ $sort: { item: 1, _id: 1 } }, { $project: { _id: 0, item: 1 } }], {
    batchSize: 2,
    allowDiskUse: true,
    comment: 'report',
    maxTimeMS: 5000,
    collation: { locale: 'en', strength: 2 },
    let: { min: 3 },
    hint: { _id: 1 },
  });
  console.log((await withOptions.toArray()).map((d) => d.item).join(','));
  console.log(await sales.aggregate([{ $match: { $expr: { $gte: ['$qty', '$$min'] } } }, { $count: 'n' }], { let: { min: 10 } }).toArray());
  const built = sales.aggregate().match({ store: 'south' }).group({ _id: '$item', n: { $sum: 1 } }).sort({ _id: 1 }).project({ n: 1 }).limit(2).skip(1).addStage({ $set: { built: true } });
  console.log(built.pipeline.length, await built.toArray());
  const unwound = await sales.aggregate().match({ _id: 5 }).unwind('$tags').toArray();
  console.log(unwound);
  const geo = await sales.aggregate<{ _id: string; count: number }>().group({ _id: '$item', count: { $count: {} } }).sort({ count: -1, _id: 1 }).map((d) => `${d._id}:${d.count}`).toArray();
  console.log(geo);
  const plan = await sales.aggregate([{ $match: { qty: 2 } }]).explain();
  console.log('explain', typeof plan, 'ok' in plan);
  const cursor = sales.aggregate([{ $sort: { _id: 1 } }], { batchSize: 3 });
  console.log((await cursor.next())?._id, cursor.bufferedCount(), (await cursor.toArray()).length);
  const empty = await sales.aggregate([{ $match: { nothing: true } }]).toArray();
  console.log(empty, await sales.aggregate([{ $match: { nothing: true } }]).next());
  console.log(await db.aggregate([{ $documents: [{ x: 1 }, { x: 2 }] }, { $set: { y: { $multiply: ['$x', 10] } } }]).toArray());
  console.log(await client.db('admin').aggregate([{ $currentOp: { localOps: true } }, { $match: { 'command.comment': 'nobody-uses-this' } }]).toArray());
} finally {
  await client.close();
}
console.log('done');
