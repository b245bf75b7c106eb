/**
 * TopologyExecutor on a fake replica set: retryable writes and reads after a
 * network error, through live server selection, pools and monitors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MongoErrorLabel, MongoNetworkError, MongoServerError, type Document } from '../../src/errors.js';
import { ClientSession, ServerSessionPool } from '../../src/client/sessions.js';
import { TopologyExecutor } from '../../src/operation/topology-executor.js';
import { ReadPreference } from '../../src/selection/read-preference.js';
import { resolveClientOptions, type MongoClientOptions } from '../../src/uri/client-options.js';
import { FakeCluster, type RecordedCommand } from '../support/fake-cluster.js';

const A = 'a:27017';
const B = 'b:27017';

let cluster: FakeCluster | undefined;
let executor: TopologyExecutor | undefined;

afterEach(async () => {
  await executor?.close();
  cluster?.close();
  executor = undefined;
  cluster = undefined;
});

function setup(options: MongoClientOptions = {}, uri = 'mongodb://a:27017/?replicaSet=rs'): { cluster: FakeCluster; executor: TopologyExecutor; events: Array<{ name: string; payload: unknown }>; session: () => ClientSession } {
  cluster = new FakeCluster();
  const events: Array<{ name: string; payload: unknown }> = [];
  executor = new TopologyExecutor({
    options: resolveClientOptions(uri, {
      heartbeatFrequencyMS: 10_000,
      serverSelectionTimeoutMS: 5_000,
      connectTimeoutMS: 2_000,
      ...options,
    }),
    transport: cluster.net.transport(),
    emit: (name, payload) => events.push({ name, payload }),
  });
  const owner = { sessionPool: new ServerSessionPool(), logicalSessionTimeoutMinutes: () => executor!.logicalSessionTimeoutMinutes() };
  return { cluster, executor, events, session: () => new ClientSession(owner, {}, false) };
}

function txnOf(c: RecordedCommand): string {
  return String(c.body.txnNumber);
}

function lsidOf(c: RecordedCommand): string {
  const id = (c.body.lsid as { id?: { toHexString?: () => string; toString(): string } } | undefined)?.id;
  return id?.toHexString?.() ?? String(id);
}

const insert = (doc: Document): { db: string; cmd: Document; sequences: Record<string, Document[]> } => ({
  db: 'app',
  cmd: { insert: 'items', ordered: true },
  sequences: { documents: [doc] },
});

describe('retryable writes', () => {
  it('a network error on the primary: retried once on the new primary with the same txnNumber and lsid', async () => {
    const { cluster, executor, session } = setup();
    await executor.connect();
    const s = session();
    // The first attempt reaches A, which loses an election to B and drops the connection.
    cluster.failCommand(A, 'insert', { kind: 'network' }, { before: () => cluster.elect(B) });
    const { db, cmd, sequences } = insert({ _id: 1 });
    const result = await executor.execute(db, cmd, { retryable: 'write', session: s, sequences });
    expect(result.address).toBe(B);
    expect(result.reply.n).toBe(1);
    const inserts = cluster.commandsNamed('insert');
    expect(inserts.map((c) => c.address)).toEqual([A, B]);
    expect(txnOf(inserts[0]!)).toBe('1');
    expect(txnOf(inserts[1]!)).toBe(txnOf(inserts[0]!));
    expect(lsidOf(inserts[1]!)).toBe(lsidOf(inserts[0]!));
    expect(inserts[1]!.sequences.documents).toEqual([{ _id: 1 }]);
    // The next retryable write gets the next txnNumber.
    await executor.execute(db, cmd, { retryable: 'write', session: s, sequences });
    expect(txnOf(cluster.commandsNamed('insert')[2]!)).toBe('2');
  });

  it('a network error with the primary unchanged: retried on the same primary once it is re-checked', async () => {
    const { cluster, executor, session } = setup();
    await executor.connect();
    cluster.failCommand(A, 'insert', { kind: 'network' });
    const { db, cmd, sequences } = insert({ _id: 2 });
    const result = await executor.execute(db, cmd, { retryable: 'write', session: session(), sequences });
    expect(result.address).toBe(A);
    const inserts = cluster.commandsNamed('insert');
    expect(inserts).toHaveLength(2);
    expect(txnOf(inserts[1]!)).toBe(txnOf(inserts[0]!));
  });

  it('two network errors: the error surfaces after exactly one retry', async () => {
    const { cluster, executor, session } = setup();
    await executor.connect();
    cluster.failCommand(A, 'insert', { kind: 'network' }, { times: 2 });
    const { db, cmd, sequences } = insert({ _id: 3 });
    const error = await executor.execute(db, cmd, { retryable: 'write', session: session(), sequences }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MongoNetworkError);
    expect((error as MongoNetworkError).hasErrorLabel(MongoErrorLabel.RetryableWriteError)).toBe(true);
    expect(cluster.commandsNamed('insert')).toHaveLength(2);
  });

  it('retryWrites=false: the network error surfaces as MongoNetworkError, no retry, no txnNumber', async () => {
    const { cluster, executor, session } = setup({ retryWrites: false });
    await executor.connect();
    cluster.failCommand(A, 'insert', { kind: 'network' });
    const { db, cmd, sequences } = insert({ _id: 4 });
    await expect(executor.execute(db, cmd, { retryable: 'write', session: session(), sequences })).rejects.toBeInstanceOf(MongoNetworkError);
    const inserts = cluster.commandsNamed('insert');
    expect(inserts).toHaveLength(1);
    expect(inserts[0]!.body.txnNumber).toBeUndefined();
  });

  it('NotWritablePrimary from a stepped-down primary: retried on the new primary', async () => {
    const { cluster, executor, session } = setup({ serverMonitoringMode: 'poll' });
    await executor.connect();
    // Polling monitors have not seen the election yet: the first attempt still goes to A.
    cluster.elect(B);
    const { db, cmd, sequences } = insert({ _id: 5 });
    const result = await executor.execute(db, cmd, { retryable: 'write', session: session(), sequences });
    expect(result.address).toBe(B);
    const inserts = cluster.commandsNamed('insert');
    expect(inserts.map((c) => c.address)).toEqual([A, B]);
    expect(txnOf(inserts[1]!)).toBe(txnOf(inserts[0]!));
  });

  it('a 4.4+ server error without the RetryableWriteError label is not retried (the server labels retryable ones)', async () => {
    const { cluster, executor, session } = setup();
    await executor.connect();
    cluster.failCommand(A, 'insert', { kind: 'reply', reply: { ok: 0, code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' } });
    const { db, cmd, sequences } = insert({ _id: 6 });
    const error = await executor.execute(db, cmd, { retryable: 'write', session: session(), sequences }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).hasErrorLabel(MongoErrorLabel.RetryableWriteError)).toBe(false);
    expect(cluster.commandsNamed('insert')).toHaveLength(1);
  });

  it('a server error labelled RetryableWriteError (primary shutting down) is retried on the new primary', async () => {
    const { cluster, executor, session } = setup();
    await executor.connect();
    cluster.failCommand(
      A,
      'insert',
      {
        kind: 'reply',
        reply: { ok: 0, code: 91, codeName: 'ShutdownInProgress', errmsg: 'shutting down', errorLabels: ['RetryableWriteError'] },
      },
      { before: () => cluster.elect(B) },
    );
    const { db, cmd, sequences } = insert({ _id: 7 });
    const result = await executor.execute(db, cmd, { retryable: 'write', session: session(), sequences });
    expect(result.address).toBe(B);
    const inserts = cluster.commandsNamed('insert');
    expect(inserts.map((c) => c.address)).toEqual([A, B]);
    expect(txnOf(inserts[1]!)).toBe(txnOf(inserts[0]!));
  });
});

describe('retryable reads', () => {
  it('a network error on a find is retried once', async () => {
    const { cluster, executor, session } = setup();
    await executor.connect();
    cluster.failCommand(A, 'find', { kind: 'network' });
    const result = await executor.execute('app', { find: 'items', filter: {} }, { retryable: 'read', session: session(), readPreference: ReadPreference.primary });
    expect(result.reply.cursor).toBeDefined();
    expect(cluster.commandsNamed('find').map((c) => c.address)).toEqual([A, A]);
  });

  it('retryReads=false: the error surfaces', async () => {
    const { cluster, executor, session } = setup({ retryReads: false });
    await executor.connect();
    cluster.failCommand(A, 'find', { kind: 'network' });
    await expect(
      executor.execute('app', { find: 'items', filter: {} }, { retryable: 'read', session: session() }),
    ).rejects.toBeInstanceOf(MongoNetworkError);
    expect(cluster.commandsNamed('find')).toHaveLength(1);
  });
});

describe('executor lifecycle', () => {
  it('close() leaves no socket open', async () => {
    const { cluster, executor } = setup();
    await executor.connect();
    await executor.execute('admin', { ping: 1 });
    await executor.close();
    await new Promise((r) => setTimeout(r, 0));
    expect(cluster.net.openSockets).toBe(0);
  });
});

describe('pool errors before the handshake completed', () => {
  it('an authentication failure on an operation\'s check-out marks the server Unknown and clears its pool', async () => {
    // SDAM: an error before the handshake completes, including an authentication
    // error, marks the server Unknown and clears its pool, as for background errors.
    const { executor, events } = setup({ retryWrites: false }, 'mongodb://user:pw@a:27017/?replicaSet=rs');
    await executor.connect();
    await expect(executor.execute('app', { insert: 'items', ordered: true }, { sequences: { documents: [{ x: 1 }] } })).rejects.toThrow(
      /Authentication failed/,
    );
    expect(
      events.some(
        (e) =>
          e.name === 'serverDescriptionChanged' &&
          (e.payload as { address: string }).address === A &&
          (e.payload as { newDescription: { type: string } }).newDescription.type === 'Unknown' &&
          /Authentication failed/.test(String((e.payload as { newDescription: { error: Error | null } }).newDescription.error?.message)),
      ),
    ).toBe(true);
    expect(events.some((e) => e.name === 'connectionPoolCleared' && (e.payload as { address: string }).address === A)).toBe(true);
  });

  it('a failed minPoolSize connection (error before the handshake completed) marks the server Unknown and clears its pool', async () => {
    // The fake has no users: every pooled connection fails authentication, before its
    // handshake completes; monitoring connections do not authenticate.
    const { executor, events } = setup({ minPoolSize: 1 }, 'mongodb://user:pw@a:27017/?replicaSet=rs');
    await executor.connect();
    await expect
      .poll(
        () =>
          events.some(
            (e) =>
              e.name === 'serverDescriptionChanged' &&
              (e.payload as { address: string; newDescription: { type: string; error: Error | null } }).address === A &&
              (e.payload as { newDescription: { type: string } }).newDescription.type === 'Unknown' &&
              /Authentication failed/.test(String((e.payload as { newDescription: { error: Error | null } }).newDescription.error?.message)),
          ),
        { timeout: 5_000 },
      )
      .toBe(true);
    expect(events.some((e) => e.name === 'connectionPoolCleared' && (e.payload as { address: string }).address === A)).toBe(true);
  });
});

