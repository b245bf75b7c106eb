// Command monitoring: commandStarted / commandSucceeded / commandFailed listeners.
import { MongoClient, type CommandFailedEvent, type CommandStartedEvent, type CommandSucceededEvent } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017', { monitorCommands: true });
const started = (e: CommandStartedEvent) => console.log('started', e.commandName, e.databaseName, Object.keys(e.command)[0]);
const succeeded = (e: CommandSucceededEvent) => console.log('succeeded', e.commandName, typeof e.duration, (e.reply as { ok?: number }).ok);
const failed = (e: CommandFailedEvent) => console.log('failed', e.commandName, (e.failure as { code?: number }).code);
try {
  await client.connect();
  client.on('commandStarted', started);
  client.on('commandSucceeded', succeeded);
  client.on('commandFailed', failed);
  const coll = client.db('events').collection<{ _id: number }>('log');
  await coll.insertOne({ _id: 1 });
  await coll.find({}, { batchSize: 1 }).toArray();
  await coll.insertOne({ _id: 1 }).catch(() => undefined);
  await client.db('events').command({ nope: 1 }).catch(() => undefined);
  client.off('commandStarted', started);
  client.off('commandSucceeded', succeeded);
  client.off('commandFailed', failed);
} finally {
  await client.close();
}
console.log('done');
