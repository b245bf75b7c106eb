import { describe, expect, expectTypeOf, it } from 'vitest';
import { MongoInvalidArgumentError, MongoParseError, MongoRuntimeError } from '../errors.js';
import { ReadPreference } from '../selection/read-preference.js';
import { FakeExecutor } from '../../test/support/fake-executor.js';
import { MongoClient } from './mongo-client.js';
import type { CommandStartedEvent } from '../operation/command-monitoring.js';
import type { ConnectionPoolCreatedEvent } from '../pool/events.js';
import type { TopologyDescription } from '../sdam/topology-description.js';
import { resolveClientOptions as resolveMongoOptions } from '../uri/client-options.js';
import { clientLayerOptions } from './options.js';

/** The client-layer view of a URI + options. */
const resolveClientOptions = (url: string, options = {}) => clientLayerOptions(resolveMongoOptions(url, options));

function make(url = 'mongodb://localhost/app', options = {}) {
  const fake = new FakeExecutor();
  let created = 0;
  const client = new MongoClient(url, {
    ...options,
    executorFactory: () => {
      created += 1;
      return fake;
    },
  });
  return { fake, client, created: () => created };
}

describe('MongoClient lifecycle', () => {
  it('the constructor does no I/O; connect is idempotent and shared', async () => {
    const { fake, client, created } = make();
    expect(created()).toBe(0);
    await Promise.all([client.connect(), client.connect()]);
    await client.connect();
    expect(created()).toBe(1);
    expect(fake.connectCount).toBe(1);
  });

  it('MongoClient.connect (static) returns a connected client of the class it is called on', async () => {
    const fake = new FakeExecutor();
    class Sub extends MongoClient {}
    const client = await Sub.connect('mongodb://localhost/app', { executorFactory: () => fake });
    expect(client).toBeInstanceOf(Sub);
    expect(fake.connectCount).toBe(1);
    expect(client.db().secondaryOk).toBe(false);
    expect(client.db('x', { readPreference: 'nearest' }).secondaryOk).toBe(true);
    await client.close();
  });

  it('operations auto-connect', async () => {
    const { fake, client } = make();
    await client.db().command({ ping: 1 });
    expect(fake.connectCount).toBe(1);
  });

  it('a failed connect closes the executor and can be retried', async () => {
    const { fake, client } = make();
    fake.connectError = new Error('nope');
    await expect(client.connect()).rejects.toThrow('nope');
    expect(fake.closeCount).toBe(1);
    fake.connectError = undefined;
    await client.connect();
    expect(fake.connectCount).toBe(2);
  });

  it('close() sends endSessions for pooled sessions, ends explicit ones and closes the executor', async () => {
    const { fake, client } = make();
    const coll = client.db().collection('c');
    const explicit = client.startSession();
    await coll.insertOne({}, { session: explicit });
    await coll.insertOne({}); // the explicit session still holds its server session: a second one
    await client.close();
    expect(explicit.hasEnded).toBe(true);
    const [end] = fake.named('endSessions');
    expect(end!.db).toBe('admin');
    expect((end!.command.endSessions as unknown[]).length).toBe(2);
    expect(end!.options.session).toBeUndefined();
    expect(end!.options.readPreference?.mode).toBe('primaryPreferred');
    expect(fake.closeCount).toBe(1);
    expect(client.sessionPool.size).toBe(0);
  });

  it('close() without connect does nothing; emits close', async () => {
    const { fake, client } = make();
    let closed = 0;
    client.once('close', () => (closed += 1));
    await client.close();
    expect(fake.calls).toHaveLength(0);
    expect(closed).toBe(1);
  });

  it('without a transport (core entry) connect fails with a clear error naming the fix', async () => {
    const client = new MongoClient('mongodb://localhost');
    await expect(client.connect()).rejects.toBeInstanceOf(MongoInvalidArgumentError);
    await expect(client.connect()).rejects.toThrow(/No transport: pass `transport`/);
  });

  it('forwards executor events through on/off/once', async () => {
    let emit: ((e: string, p: unknown) => void) | undefined;
    const fake = new FakeExecutor();
    const client = new MongoClient('mongodb://h', {
      executorFactory: (ctx) => {
        emit = ctx.emit;
        return fake;
      },
    });
    const got: unknown[] = [];
    const l = (p: unknown) => got.push(p);
    client.on('commandStarted', l);
    await client.connect();
    emit!('commandStarted', { commandName: 'ping' });
    client.off('commandStarted', l);
    emit!('commandStarted', { commandName: 'ping' });
    expect(got).toEqual([{ commandName: 'ping' }]);
  });
});

describe('MongoClient events', () => {
  it('are typed by MongoClientEvents (checked by the typecheck; listeners get the payload type, not any)', async () => {
    let emit: ((e: string, p: unknown) => void) | undefined;
    const client = new MongoClient('mongodb://h', {
      executorFactory: (ctx) => {
        emit = ctx.emit;
        return new FakeExecutor();
      },
    });
    const seen: string[] = [];
    client.on('commandStarted', (e) => {
      expectTypeOf(e).toEqualTypeOf<CommandStartedEvent>();
      seen.push(e.commandName);
    });
    client.once('topologyDescriptionChanged', (e) => {
      expectTypeOf(e.newDescription).toEqualTypeOf<TopologyDescription>();
      seen.push(e.newDescription.type);
    });
    client.on('connectionPoolCreated', (e) => {
      expectTypeOf(e).toEqualTypeOf<ConnectionPoolCreatedEvent>();
      seen.push(e.address);
    });
    client.on('close', () => seen.push('close'));
    await client.connect();
    emit!('commandStarted', { commandName: 'ping' });
    emit!('topologyDescriptionChanged', { newDescription: { type: 'Single' } });
    emit!('topologyDescriptionChanged', { newDescription: { type: 'Unknown' } });
    emit!('connectionPoolCreated', { address: 'h:27017' });
    await client.close();
    expect(seen).toEqual(['ping', 'Single', 'h:27017', 'close']);
  });
});

describe('options and inheritance', () => {
  it('a Db or Collection write concern replaces the inherited one whole (official driver); ReadPreference key order and equals', () => {
    const client = new MongoClient('mongodb://localhost/app?w=majority&wtimeoutMS=2000&journal=true', { executorFactory: () => new FakeExecutor() });
    const db = client.db('x', { writeConcern: { w: 1 } });
    expect(db.writeConcern?.toJSON()).toEqual({ w: 1 });
    expect(db.collection('c', { writeConcern: { journal: false } }).writeConcern?.toJSON()).toEqual({ j: false });
    expect(client.db('y').collection('c').writeConcern?.toJSON()).toEqual({ w: 'majority', wtimeout: 2000, j: true });
    const rp = new ReadPreference('secondary', [{ dc: 'ny' }], { maxStalenessSeconds: 100, hedge: { enabled: true } });
    expect(Object.keys(rp)).toEqual(['mode', 'tags', 'hedge', 'maxStalenessSeconds']);
    expect(rp.equals(new ReadPreference('secondary'))).toBe(true);
    expect(rp.equals(new ReadPreference('nearest'))).toBe(false);
  });

  it('default db from the URI, else "test"', () => {
    expect(make('mongodb://u:p@h1,h2/mydb?replicaSet=rs').client.db().databaseName).toBe('mydb');
    expect(make('mongodb://h1:27017').client.db().databaseName).toBe('test');
    expect(make('mongodb+srv://cluster.example.com/').client.db().databaseName).toBe('test');
    expect(make('mongodb://h/a%2Db').client.db().databaseName).toBe('a-b');
  });

  it('reads readPreference, tags, maxStaleness, w, journal, wtimeoutMS, readConcernLevel from the URI', () => {
    const o = resolveClientOptions(
      'mongodb://h/?readPreference=secondary&readPreferenceTags=dc:ny,rack:1&readPreferenceTags=&maxStalenessSeconds=120&w=majority&journal=true&wtimeoutMS=50&readConcernLevel=majority',
    );
    expect(o.readPreference.mode).toBe('secondary');
    expect(o.readPreference.tags).toEqual([{ dc: 'ny', rack: '1' }, {}]);
    expect(o.readPreference.maxStalenessSeconds).toBe(120);
    expect(o.writeConcern).toEqual({ w: 'majority', journal: true, j: true, wtimeoutMS: 50, wtimeout: 50 });
    expect(o.readConcern).toEqual({ level: 'majority' });
    expect(() => resolveClientOptions('mongodb://h/?readPreference=primary&readPreferenceTags=a:b')).toThrow(MongoParseError);
    expect(() => resolveClientOptions('http://h')).toThrow(MongoParseError);
  });

  it('the options object wins over the URI', () => {
    const o = resolveClientOptions('mongodb://h/db?w=1&readPreference=secondary', { w: 'majority', readPreference: 'nearest' });
    expect(o.writeConcern?.w).toBe('majority');
    expect(o.readPreference.mode).toBe('nearest');
  });

  it('readPreference: client -> db -> collection, per-operation override', async () => {
    const { fake, client } = make('mongodb://h/app?readPreference=secondaryPreferred');
    expect(client.readPreference.mode).toBe('secondaryPreferred');
    const db = client.db('app');
    expect(db.readPreference.mode).toBe('secondaryPreferred');
    const coll = db.collection('c');
    await coll.find().toArray();
    expect(fake.calls[0]!.options.readPreference?.mode).toBe('secondaryPreferred');

    const dbN = client.db('app', { readPreference: 'nearest' });
    const collN = dbN.collection('c');
    expect(collN.readPreference.mode).toBe('nearest');
    await collN.countDocuments();
    expect(fake.calls[1]!.options.readPreference?.mode).toBe('nearest');

    const collS = dbN.collection('c', { readPreference: ReadPreference.secondary });
    await collS.distinct('a');
    expect(fake.calls[2]!.options.readPreference?.mode).toBe('secondary');

    await collS.find({}, { readPreference: ReadPreference.primary }).toArray();
    expect(fake.calls[3]!.options.readPreference?.mode).toBe('primary');
    await collS.estimatedDocumentCount({ readPreference: 'primaryPreferred' });
    expect(fake.calls[4]!.options.readPreference?.mode).toBe('primaryPreferred');

    // writes never carry a read preference
    await collS.insertOne({});
    expect(fake.calls[5]!.options.readPreference).toBeUndefined();
  });

  it('db.command runs on the primary unless a readPreference is passed', async () => {
    const { fake, client } = make('mongodb://h/app?readPreference=secondary');
    await client.db().command({ ping: 1 });
    expect(fake.calls[0]!.options.readPreference).toBeUndefined();
    expect(fake.calls[0]!.options.retryable).toBe(false);
    await client.db().command({ dbStats: 1 }, { readPreference: 'secondary' });
    expect(fake.calls[1]!.options.readPreference?.mode).toBe('secondary');
  });

  it('read and write concerns are inherited and rendered into commands', async () => {
    const { fake, client } = make('mongodb://h/app?w=majority&readConcernLevel=local');
    const coll = client.db().collection('c');
    await coll.insertOne({});
    expect(fake.calls[0]!.command.writeConcern).toEqual({ w: 'majority' });
    await coll.find().toArray();
    expect(fake.calls[1]!.command.readConcern).toEqual({ level: 'local' });
    const c2 = client.db('app', { writeConcern: { w: 1, journal: true } }).collection('c', { readConcern: { level: 'majority' } });
    await c2.deleteOne({});
    expect(fake.calls[2]!.command.writeConcern).toEqual({ w: 1, j: true });
    await c2.aggregate([]).toArray();
    expect(fake.calls[3]!.command.readConcern).toEqual({ level: 'majority' });
  });
});

describe('Db and Admin', () => {
  it('Db commands', async () => {
    const { fake, client } = make();
    const db = client.db('app');
    const created = await db.createCollection('logs', { capped: true, size: 1024, writeConcern: { w: 1 } });
    expect(created.collectionName).toBe('logs');
    expect(fake.calls[0]!.command).toEqual({ create: 'logs', capped: true, size: 1024, writeConcern: { w: 1 } });
    fake.once('drop', { ok: 0, code: 26, errmsg: 'ns not found' });
    expect(await db.dropCollection('nope')).toBe(false);
    expect(await db.dropDatabase()).toBe(true);
    expect(fake.named('dropDatabase')[0]!.command).toEqual({ dropDatabase: 1 });
    fake.once('dbStats', { ok: 1, collections: 3 });
    expect((await db.stats({ scale: 1024 })).collections).toBe(3);
    expect(fake.named('dbStats')[0]!.command).toEqual({ dbStats: 1, scale: 1024 });
    fake.once('listCollections', { ok: 1, cursor: { id: 0, ns: 'app.$cmd.listCollections', firstBatch: [{ name: 'a' }, { name: 'system.views' }] } });
    expect((await db.collections()).map((c) => c.collectionName)).toEqual(['a']);
  });

  it('Admin talks to the admin database', async () => {
    const { fake, client } = make();
    const admin = client.db('app').admin();
    await admin.ping();
    await admin.buildInfo();
    await admin.serverStatus();
    await admin.replSetGetStatus();
    fake.once('listDatabases', { ok: 1, databases: [{ name: 'admin' }], totalSize: 1 });
    const dbs = await admin.listDatabases({ nameOnly: true });
    expect(dbs.databases).toEqual([{ name: 'admin' }]);
    expect(fake.calls.map((c) => [c.db, c.command])).toEqual([
      ['admin', { ping: 1 }],
      ['admin', { buildinfo: 1 }],
      ['admin', { serverStatus: 1 }],
      ['admin', { replSetGetStatus: 1 }],
      ['admin', { listDatabases: 1, nameOnly: true }],
    ]);
    // listDatabases is a retryable read; a generic command is not
    expect(fake.calls[4]!.options.retryable).toBe('read');
    expect(fake.calls[0]!.options.retryable).toBe(false);
  });

  it('rejects invalid names', () => {
    const { client } = make();
    expect(() => client.db('a.b')).toThrow();
    expect(() => client.db('app').collection('')).toThrow();
  });
});

describe('MongoClient.appendMetadata', () => {
  it('hands each new driver info to the executor once, before and after connect, and to a rebuilt executor', async () => {
    const appended: unknown[][] = [];
    const client = new MongoClient('mongodb://h', {
      executorFactory: () => {
        const fake = new FakeExecutor();
        const calls: unknown[] = [];
        appended.push(calls);
        return Object.assign(fake, { appendMetadata: (info: unknown) => calls.push(info) });
      },
    });
    client.appendMetadata({ name: 'lib', version: '1.0' });
    await client.connect();
    client.appendMetadata({ name: 'lib', version: '1.0' });
    client.appendMetadata({ name: 'framework', version: '2.0', platform: 'Framework Platform' });
    expect(appended).toEqual([[{ name: 'lib', version: '1.0' }, { name: 'framework', version: '2.0', platform: 'Framework Platform' }]]);
    await client.close();
    await client.connect();
    expect(appended[1]).toEqual(appended[0]);
    await client.close();
  });

  it('refuses a non-string field with a typed error', () => {
    const client = new MongoClient('mongodb://h', { executorFactory: () => new FakeExecutor() });
    expect(() => client.appendMetadata({ name: 5 as unknown as string })).toThrow(MongoInvalidArgumentError);
  });
});
