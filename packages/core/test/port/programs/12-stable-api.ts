// The Stable API as Atlas's connection snippet declares it; the fields go on every command.
import { MongoClient, type CommandStartedEvent } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017', {
  serverApi: { version: '1', strict: true, deprecationErrors: true },
  monitorCommands: true,
});
try {
  await client.db('admin').command({ ping: 1 });
  console.log('Pinged your deployment. You successfully connected to MongoDB!');
  const seen = (e: CommandStartedEvent) => console.log(e.commandName, e.command.apiVersion, e.command.apiStrict, e.command.apiDeprecationErrors);
  client.on('commandStarted', seen);
  const coll = client.db('stable').collection<{ _id: number }>('docs');
  await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
  console.log(await coll.find({}, { batchSize: 2 }).toArray());
  client.off('commandStarted', seen);
} finally {
  await client.close();
}
console.log('done');
