// ReadConcern, WriteConcern and ReadPreference objects, from the connection string and from
// options at each level, as applications print and compare them.
import { MongoClient, ReadConcern, ReadConcernLevel, ReadPreference, ReadPreferenceMode, WriteConcern, type CommandStartedEvent } from 'mongodb';

const base = process.env.MONGODB_URI ?? 'mongodb://localhost:27017';
const join = (q: string) => `${base}${base.includes('?') ? '&' : '?'}${q}`;

console.log(new WriteConcern('majority', 500, true), new WriteConcern(2), WriteConcern.fromOptions({ writeConcern: { w: 0 } }), WriteConcern.fromOptions({}));
console.log(new ReadConcern('majority'), ReadConcern.fromOptions({ readConcern: { level: 'local' } }), ReadConcern.fromOptions({ level: 'snapshot' }), ReadConcern.MAJORITY, ReadConcernLevel.linearizable, ReadConcern.fromOptions({}));
const rp = new ReadPreference('secondaryPreferred', [{ dc: 'ny' }, {}], { maxStalenessSeconds: 100, hedge: { enabled: true } });
console.log(rp, rp.mode, rp.tags, rp.maxStalenessSeconds, rp.secondaryOk(), rp.isValid(), rp.equals(new ReadPreference('secondaryPreferred', [{ dc: 'ny' }, {}])));
console.log(ReadPreference.primary, ReadPreference.nearest.toJSON(), ReadPreferenceMode.primaryPreferred, ReadPreference.fromOptions({ readPreference: 'nearest', readPreferenceTags: [{ a: 'b' }] }));
console.log(ReadPreference.fromOptions({ readPreference: { mode: 'secondary', tags: [{ x: '1' }], maxStalenessSeconds: 95 } })?.toJSON(), ReadPreference.fromOptions({}));
try {
  new ReadPreference('primary', [{ dc: 'x' }]);
} catch (e) {
  console.log((e as Error).name, (e as Error).message);
}

const client = new MongoClient(join('w=majority&wtimeoutMS=2000&journal=true&readConcernLevel=local&readPreference=primaryPreferred&maxStalenessSeconds=120&readPreferenceTags=dc:east,rack:1&readPreferenceTags='), { monitorCommands: true });
const seen: Record<string, unknown>[] = [];
client.on('commandStarted', (e: CommandStartedEvent) => {
  if (['insert', 'find', 'aggregate', 'update', 'count'].includes(e.commandName)) seen.push({ cmd: e.commandName, wc: JSON.stringify(e.command.writeConcern), rc: JSON.stringify(e.command.readConcern) });
});
try {
  console.log(client.writeConcern, client.readConcern, client.readPreference.mode, JSON.stringify(client.readPreference.tags), client.readPreference.maxStalenessSeconds);
  console.log(client.options.writeConcern, client.options.readConcern, client.options.readPreference.mode);
  const db = client.db('concerns', { readConcern: new ReadConcern('majority'), writeConcern: { w: 1 } });
  console.log(db.writeConcern, db.readConcern, db.readPreference.mode, db.secondaryOk);
  const coll = db.collection<{ _id: number; a?: number }>('c', { writeConcern: new WriteConcern(1, undefined, false), readPreference: ReadPreference.PRIMARY });
  console.log(coll.writeConcern, coll.readConcern, coll.readPreference?.mode);
  await coll.insertOne({ _id: 1 });
  await coll.insertOne({ _id: 2 }, { writeConcern: { w: 'majority' } });
  await coll.find({}, { readConcern: { level: 'available' } }).toArray();
  await coll.find({}).toArray();
  await coll.countDocuments({}, { readConcern: { level: 'local' } });
  await coll.updateOne({ _id: 1 }, { $set: { a: 1 } }, { writeConcern: { journal: false } });
  await client.db('concerns').collection('c').find().toArray();
  for (const s of seen) console.log(s);
} finally {
  await client.close();
}
console.log('done');
