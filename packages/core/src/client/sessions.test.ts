import { Binary, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { MongoExpiredSessionError, MongoInvalidArgumentError, MongoNetworkError } from '../errors.js';
import { FakeExecutor } from '../../test/support/fake-executor.js';
import { MongoClient } from './mongo-client.js';
import { ClientSession, END_SESSIONS_BATCH_SIZE, ServerSessionPool, endSessionsCommands } from './sessions.js';
import { compareTimestamps } from '../operation/cluster-time.js';
import { readConcernFor } from './operation.js';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('ServerSessionPool', () => {
  it('creates lsids as UUID binaries (subtype 4)', () => {
    const pool = new ServerSessionPool();
    const s = pool.acquire(30);
    expect(s.id.id).toBeInstanceOf(Binary);
    expect(s.id.id.sub_type).toBe(4);
    expect(s.id.id.buffer.length).toBe(16);
  });

  it('reuses the most recently used session first', () => {
    const c = clock();
    const pool = new ServerSessionPool(c);
    const a = pool.acquire(30);
    const b = pool.acquire(30);
    pool.release(a, 30);
    c.t += 1000;
    pool.release(b, 30);
    expect(pool.acquire(30)).toBe(b);
    expect(pool.acquire(30)).toBe(a);
    expect(pool.size).toBe(0);
  });

  it('discards sessions within a minute of logicalSessionTimeoutMinutes, and dirty ones', () => {
    const c = clock();
    const pool = new ServerSessionPool(c);
    const a = pool.acquire(10);
    pool.release(a, 10);
    c.t += 9 * 60_000 + 1;
    const b = pool.acquire(10);
    expect(b).not.toBe(a);
    b.isDirty = true;
    pool.release(b, 10);
    expect(pool.size).toBe(0);
  });

  it('prunes expired sessions from the back on release', () => {
    const c = clock();
    const pool = new ServerSessionPool(c);
    const [a, b] = [pool.acquire(10), pool.acquire(10)];
    pool.release(a, 10);
    c.t += 9.5 * 60_000;
    pool.release(b, 10);
    expect(pool.size).toBe(1);
    expect(pool.drain()).toEqual([b.id]);
  });

  it('endSessions commands hold at most 10,000 ids each', () => {
    const pool = new ServerSessionPool();
    const ids = Array.from({ length: END_SESSIONS_BATCH_SIZE + 5 }, () => pool.acquire(30).id);
    const cmds = endSessionsCommands(ids);
    expect(cmds.map((c) => (c.endSessions as unknown[]).length)).toEqual([10_000, 5]);
  });
});

describe('ClientSession', () => {
  it('acquires the server session lazily and returns it on end', async () => {
    const fake = new FakeExecutor();
    const client = new MongoClient('mongodb://h/', { executorFactory: () => fake });
    const s = client.startSession();
    expect(s.explicit).toBe(true);
    expect(s.supports.causalConsistency).toBe(true);
    expect(s.hasServerSession).toBe(false);
    const id = s.id;
    expect(s.hasServerSession).toBe(true);
    expect(s.id).toBe(id);
    await s.endSession();
    expect(s.hasEnded).toBe(true);
    expect(client.sessionPool.size).toBe(1);
    // the lsid it used stays readable (the official driver keeps it); using the session throws
    expect(s.id).toBe(id);
    expect(() => s.serverSession).toThrow(MongoExpiredSessionError);
    await expect(client.db().collection('c').insertOne({}, { session: s })).rejects.toBeInstanceOf(MongoExpiredSessionError);
    // cursors too (findOne, find, aggregate), with the official driver's message
    const calls = fake.calls.length;
    const err = await client.db().collection('c').findOne({}, { session: s }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoExpiredSessionError);
    expect((err as Error).message).toBe('Use of expired sessions is not permitted');
    await expect(client.db().collection('c').aggregate([], { session: s }).toArray()).rejects.toBeInstanceOf(MongoExpiredSessionError);
    expect(fake.calls.length).toBe(calls);
  });

  it('no server session is used when the deployment does not support sessions', async () => {
    const fake = new FakeExecutor();
    fake.sessionTimeoutMinutes = null;
    const client = new MongoClient('mongodb://h/', { executorFactory: () => fake });
    await client.db().collection('c').insertOne({});
    expect(fake.calls[0]!.lsid).toBeUndefined();
    expect(client.sessionPool.size).toBe(0);
  });

  it('increments txnNumber per retryable write; implicit sessions are reused', async () => {
    const fake = new FakeExecutor();
    const client = new MongoClient('mongodb://h/', { executorFactory: () => fake });
    const coll = client.db().collection('c');
    await coll.insertOne({});
    await coll.insertOne({});
    expect(fake.calls[0]!.lsid).toBe(fake.calls[1]!.lsid);
    expect(fake.calls.map((c) => c.txnNumber?.toNumber())).toEqual([1, 2]);
    // retryWrites=false: no txnNumber
    const c2 = new MongoClient('mongodb://h/?retryWrites=false', { executorFactory: () => fake });
    await c2.db().collection('c').insertOne({});
    expect(fake.calls[2]!.options.retryable).toBe(false);
    expect(fake.calls[2]!.txnNumber).toBeUndefined();
  });

  it('tracks $clusterTime and operationTime from replies and error replies', async () => {
    const fake = new FakeExecutor();
    const client = new MongoClient('mongodb://h/', { executorFactory: () => fake });
    const session = client.startSession();
    const ct = (t: number) => ({ clusterTime: new Timestamp({ t, i: 1 }), signature: { hash: new Binary(new Uint8Array(20)), keyId: 0 } });
    fake.once('ping', { ok: 1, $clusterTime: ct(10), operationTime: new Timestamp({ t: 10, i: 1 }) });
    await client.db().command({ ping: 1 }, { session });
    expect(session.clusterTime?.clusterTime.t).toBe(10);
    fake.once('ping', { ok: 1, $clusterTime: ct(5), operationTime: new Timestamp({ t: 5, i: 1 }) });
    await client.db().command({ ping: 1 }, { session });
    expect(session.clusterTime?.clusterTime.t).toBe(10);
    expect(session.operationTime?.t).toBe(10);
    fake.once('ping', { ok: 0, code: 2, errmsg: 'bad', $clusterTime: ct(20), operationTime: new Timestamp({ t: 20, i: 0 }) });
    await expect(client.db().command({ ping: 1 }, { session })).rejects.toThrow('bad');
    expect(session.clusterTime?.clusterTime.t).toBe(20);
    // causally consistent reads send afterClusterTime
    await client.db().collection('c').find({}, { session }).toArray();
    expect(fake.named('find')[0]!.command.readConcern).toEqual({ afterClusterTime: new Timestamp({ t: 20, i: 0 }) });
  });

  it('a network error marks the server session dirty so it is not reused', async () => {
    const fake = new FakeExecutor();
    const client = new MongoClient('mongodb://h/', { executorFactory: () => fake });
    fake.once('insert', new MongoNetworkError('reset'));
    await expect(client.db().collection('c').insertOne({})).rejects.toBeInstanceOf(MongoNetworkError);
    expect(client.sessionPool.size).toBe(0);
    await client.db().collection('c').insertOne({});
    expect(client.sessionPool.size).toBe(1);
  });

  it('sessions from another client are refused', async () => {
    const fake = new FakeExecutor();
    const a = new MongoClient('mongodb://h/', { executorFactory: () => fake });
    const b = new MongoClient('mongodb://h/', { executorFactory: () => fake });
    const s = b.startSession();
    await expect(a.db().command({ ping: 1 }, { session: s })).rejects.toThrow(/same MongoClient/);
  });

  it('explicit sessions cannot be used with w:0', async () => {
    const fake = new FakeExecutor();
    const client = new MongoClient('mongodb://h/', { executorFactory: () => fake });
    const session = client.startSession();
    await expect(client.db().collection('c').insertOne({}, { session, writeConcern: { w: 0 } })).rejects.toThrow(/unacknowledged/);
  });

  it('snapshot and causalConsistency are exclusive; compareTimestamps orders (t, i)', () => {
    const pool = { sessionPool: new ServerSessionPool(), logicalSessionTimeoutMinutes: () => 30 };
    expect(() => new ClientSession(pool, { snapshot: true, causalConsistency: true })).toThrow();
    expect(compareTimestamps(new Timestamp({ t: 2, i: 0 }), new Timestamp({ t: 1, i: 9 }))).toBeGreaterThan(0);
    expect(compareTimestamps(new Timestamp({ t: 1, i: 1 }), new Timestamp({ t: 1, i: 2 }))).toBeLessThan(0);
  });

  it('snapshotTime: a snapshot session given one reads at it from the first read; without snapshot: true it is refused', () => {
    const pool = { sessionPool: new ServerSessionPool(), logicalSessionTimeoutMinutes: () => 30 };
    const at = new Timestamp({ t: 7, i: 3 });
    const s = new ClientSession(pool, { snapshot: true, snapshotTime: at });
    expect(s.snapshotTime).toBe(at);
    expect(readConcernFor(undefined, s)).toEqual({ level: 'snapshot', atClusterTime: at });
    expect(() => new ClientSession(pool, { snapshotTime: at })).toThrow(MongoInvalidArgumentError);
  });

  it("a snapshot session keeps its first read's atClusterTime (cursor or top level) and reads at it", () => {
    const pool = { sessionPool: new ServerSessionPool(), logicalSessionTimeoutMinutes: () => 30 };
    const first = new Timestamp({ t: 5, i: 1 });
    const s = new ClientSession(pool, { snapshot: true });
    expect(readConcernFor(undefined, s)).toEqual({ level: 'snapshot' });
    s.observeReply({ ok: 1, operationTime: new Timestamp({ t: 6, i: 1 }) });
    expect(s.snapshotTime).toBeUndefined();
    s.observeReply({ ok: 1, cursor: { id: 0, firstBatch: [], atClusterTime: first } });
    s.observeReply({ ok: 1, cursor: { id: 0, firstBatch: [], atClusterTime: new Timestamp({ t: 9, i: 1 }) } });
    expect(s.snapshotTime).toEqual(first);
    expect(readConcernFor(undefined, s)).toEqual({ level: 'snapshot', atClusterTime: first });
    const d = new ClientSession(pool, { snapshot: true });
    d.observeReply({ ok: 1, values: [], atClusterTime: first });
    expect(d.snapshotTime).toEqual(first);
    // not a snapshot session: nothing kept
    const plain = new ClientSession(pool, {});
    plain.observeReply({ ok: 1, cursor: { id: 0, firstBatch: [], atClusterTime: first } });
    expect(plain.snapshotTime).toBeUndefined();
  });
});
