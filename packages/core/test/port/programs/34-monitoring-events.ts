// Monitoring as the 7.x driver names it: command events' fields, connection pool events,
// server and topology events.
import { MongoClient, type CommandStartedEvent, type CommandSucceededEvent, type CommandFailedEvent, type ConnectionCheckedOutEvent } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017', { monitorCommands: true, maxPoolSize: 2 });
const seen = new Set<string>();
const poolEvents = ['connectionPoolCreated', 'connectionPoolReady', 'connectionPoolCleared', 'connectionPoolClosed', 'connectionCreated', 'connectionReady', 'connectionClosed', 'connectionCheckOutStarted', 'connectionCheckOutFailed', 'connectionCheckedOut', 'connectionCheckedIn'] as const;
const sdamEvents = ['serverOpening', 'serverClosed', 'serverDescriptionChanged', 'topologyOpening', 'topologyClosed', 'topologyDescriptionChanged'] as const;
for (const name of [...poolEvents, ...sdamEvents]) client.on(name, () => seen.add(name));
const started: CommandStartedEvent[] = [];
const succeeded: CommandSucceededEvent[] = [];
const failed: CommandFailedEvent[] = [];
client.on('commandStarted', (e) => {
  if (!['hello', 'ismaster', 'endSessions'].includes(e.commandName)) started.push(e);
});
client.on('commandSucceeded', (e) => {
  if (!['hello', 'ismaster', 'endSessions'].includes(e.commandName)) succeeded.push(e);
});
client.on('commandFailed', (e) => failed.push(e));
let checkedOut: ConnectionCheckedOutEvent | undefined;
client.once('connectionCheckedOut', (e) => {
  checkedOut = e;
});
try {
  await client.connect();
  const coll = client.db('monitoring').collection<{ _id: number }>('events');
  await coll.insertOne({ _id: 1 });
  await coll.find({ _id: 1 }, { comment: 'look' }).toArray();
  await coll.insertOne({ _id: 1 }).catch(() => undefined);
  await client.db('monitoring').command({ nope: 1 }).catch(() => undefined);
  for (const e of started) {
    console.log('started', e.commandName, e.databaseName, typeof e.requestId, typeof e.connectionId, typeof e.address, e.serviceId, Object.keys(e.command).filter((k) => !k.startsWith('$') && k !== 'lsid').join(','), e.command.comment ?? '');
  }
  for (const e of succeeded) {
    console.log('succeeded', e.commandName, typeof e.duration, e.requestId === started.find((s) => s.commandName === e.commandName)?.requestId, e.reply && (e.reply as { ok?: number }).ok, (e.reply as { writeErrors?: unknown[] }).writeErrors?.length ?? 0, e.databaseName);
  }
  for (const e of failed) {
    const failure = e.failure as Error & { code?: number };
    console.log('failed', e.commandName, typeof e.duration, failure.name, failure.code, e.databaseName);
  }
  console.log('checkedOut fields', Object.keys(checkedOut ?? {}).filter((k) => k !== 'time').sort(), typeof checkedOut?.connectionId, typeof checkedOut?.address);
  const inst = started[0];
  console.log(inst?.constructor.name, succeeded[0]?.constructor.name, failed[0]?.constructor.name);
} finally {
  await client.close();
}
console.log([...poolEvents, ...sdamEvents].filter((n) => seen.has(n)));
console.log('done');
