/**
 * Transactions through a MongoClient on the fake replica set and fake mongoses: the
 * exact commands on the wire (Transactions spec: decoration, commit and abort with their
 * one retry, labels, mongos pinning and recoveryToken), misuse errors, and the
 * Convenient Transaction API's retry loop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MongoClient } from '../../src/client/mongo-client.js';
import type { ClientSession } from '../../src/client/sessions.js';
import { withTransaction, type WithTransactionClock } from '../../src/client/transaction-end.js';
import { TxnState } from '../../src/client/transaction.js';
import { MongoError, MongoErrorLabel, MongoInvalidArgumentError, MongoOperationTimeoutError, MongoServerError, MongoTransactionError, type Document } from '../../src/errors.js';
import { FakeCluster, type RecordedCommand } from '../support/fake-cluster.js';

const A = 'a:27017';
const B = 'b:27017';

let cluster: FakeCluster | undefined;
let client: MongoClient | undefined;

afterEach(async () => {
  await client?.close();
  cluster?.close();
  client = undefined;
  cluster = undefined;
});

function setup(options: { mongos?: boolean; query?: string } = {}): { cluster: FakeCluster; client: MongoClient } {
  cluster = new FakeCluster({ mongos: options.mongos });
  const base = options.mongos ? 'mongodb://a:27017,b:27017/?' : 'mongodb://a:27017/?replicaSet=rs&';
  client = new MongoClient(`${base}heartbeatFrequencyMS=10000&serverSelectionTimeoutMS=2000${options.query ?? ''}`, {
    transport: cluster.net.transport(),
  });
  return { cluster, client };
}

const TXN_FIELDS = ['txnNumber', 'startTransaction', 'autocommit', 'readConcern', 'writeConcern', 'maxTimeMS', 'recoveryToken'] as const;

/** The command's name and transaction fields (Longs as numbers), for exact comparison. */
function txnView(c: RecordedCommand): Document {
  const out: Document = { [c.name]: c.body[c.name] };
  for (const k of TXN_FIELDS) {
    const v = c.body[k];
    if (v === undefined) continue;
    out[k] = k === 'txnNumber' ? Number(v) : v;
  }
  return out;
}

/** Every recorded command but the client's own (endSessions at close). */
function sent(c: FakeCluster): RecordedCommand[] {
  return c.commands.filter((x) => x.name !== 'endSessions');
}

function lsidOf(c: RecordedCommand): string {
  return String((c.body.lsid as { id: { toHexString(): string } }).id.toHexString());
}

describe('transactions on a replica set: commands on the wire', () => {
  it('first statement starts the transaction; later ones continue it; commit on admin', async () => {
    const { cluster, client } = setup();
    const items = client.db('app').collection('items', { readConcern: { level: 'local' }, writeConcern: { w: 1 } });
    const session = client.startSession();
    session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
    expect(session.transaction.state).toBe(TxnState.STARTING_TRANSACTION);
    expect(session.inTransaction()).toBe(true);
    await items.insertOne({ _id: 1 }, { session });
    expect(session.transaction.state).toBe(TxnState.TRANSACTION_IN_PROGRESS);
    await items.find({}, { session }).toArray();
    await items.updateOne({ _id: 1 }, { $set: { x: 1 } }, { session });
    await session.commitTransaction();
    expect(session.transaction.state).toBe(TxnState.TRANSACTION_COMMITTED);
    expect(session.inTransaction()).toBe(false);
    const cmds = sent(cluster);
    expect(cmds.map(txnView)).toEqual([
      { insert: 'items', txnNumber: 1, startTransaction: true, autocommit: false, readConcern: { level: 'snapshot' } },
      { find: 'items', txnNumber: 1, autocommit: false },
      { update: 'items', txnNumber: 1, autocommit: false },
      { commitTransaction: 1, txnNumber: 1, autocommit: false, writeConcern: { w: 'majority' } },
    ]);
    expect(cmds.map((c) => c.address)).toEqual([A, A, A, A]);
    expect(cmds.map((c) => c.body.$db)).toEqual(['app', 'app', 'app', 'admin']);
    expect(new Set(cmds.map(lsidOf)).size).toBe(1);
    await session.endSession();
  });

  it('options inherited from the session defaults, then the client; maxCommitTimeMS on commit', async () => {
    const { cluster, client } = setup({ query: '&readConcernLevel=majority&w=2' });
    const session = client.startSession({ defaultTransactionOptions: { writeConcern: { w: 3 }, maxCommitTimeMS: 500 } });
    session.startTransaction();
    await client.db('app').collection('items').insertOne({ _id: 1 }, { session });
    await session.commitTransaction();
    expect(sent(cluster).map(txnView)).toEqual([
      { insert: 'items', txnNumber: 1, startTransaction: true, autocommit: false, readConcern: { level: 'majority' } },
      { commitTransaction: 1, txnNumber: 1, autocommit: false, writeConcern: { w: 3 }, maxTimeMS: 500 },
    ]);
    await session.endSession();
  });

  it('txnNumbers: one per transaction, shared with the retryable writes outside; no autocommit outside', async () => {
    const { cluster, client } = setup();
    const items = client.db('app').collection('items');
    const session = client.startSession();
    session.startTransaction();
    await items.insertOne({ _id: 1 }, { session });
    await session.commitTransaction();
    await items.insertOne({ _id: 2 }, { session });
    session.startTransaction();
    await items.deleteOne({ _id: 2 }, { session });
    await session.abortTransaction();
    expect(session.transaction.state).toBe(TxnState.TRANSACTION_ABORTED);
    expect(sent(cluster).map(txnView)).toEqual([
      { insert: 'items', txnNumber: 1, startTransaction: true, autocommit: false },
      { commitTransaction: 1, txnNumber: 1, autocommit: false },
      { insert: 'items', txnNumber: 2 },
      { delete: 'items', txnNumber: 3, startTransaction: true, autocommit: false },
      { abortTransaction: 1, txnNumber: 3, autocommit: false },
    ]);
    expect(session.transaction.state).toBe(TxnState.TRANSACTION_ABORTED);
    await session.endSession();
  });

  it('causal consistency: the first statement reads after the operationTime the session has seen', async () => {
    const { cluster, client } = setup();
    const items = client.db('app').collection('items');
    const session = client.startSession();
    await items.insertOne({ _id: 1 }, { session });
    const operationTime = { t: 5, i: 1 };
    session.advanceOperationTime(new (await import('bson')).Timestamp(operationTime));
    session.startTransaction();
    await items.findOne({}, { session });
    const first = sent(cluster)[1]!;
    expect(first.body.startTransaction).toBe(true);
    expect(String((first.body.readConcern as Document).afterClusterTime)).toBe(String(session.operationTime));
    await session.abortTransaction();
    await session.endSession();
  });

  it('commit and abort with nothing sent send nothing', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    session.startTransaction();
    await session.commitTransaction();
    expect(session.transaction.state).toBe(TxnState.TRANSACTION_COMMITTED_EMPTY);
    await session.commitTransaction();
    session.startTransaction();
    await session.abortTransaction();
    expect(session.transaction.state).toBe(TxnState.TRANSACTION_ABORTED);
    expect(sent(cluster)).toEqual([]);
    await session.endSession();
  });

  it('a collection with w:0 writes acknowledged statements in a transaction', async () => {
    const { cluster, client } = setup();
    const items = client.db('app').collection('items', { writeConcern: { w: 0 } });
    const session = client.startSession();
    session.startTransaction();
    const result = await items.insertOne({ _id: 1 }, { session });
    expect(result.acknowledged).toBe(true);
    await session.commitTransaction();
    expect(sent(cluster).map(txnView)).toEqual([
      { insert: 'items', txnNumber: 1, startTransaction: true, autocommit: false },
      { commitTransaction: 1, txnNumber: 1, autocommit: false },
    ]);
    await session.endSession();
  });

  it('endSession aborts a transaction in progress', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    session.startTransaction();
    await client.db('app').collection('items').insertOne({ _id: 1 }, { session });
    await session.endSession();
    expect(sent(cluster).map((c) => c.name)).toEqual(['insert', 'abortTransaction']);
  });
});

describe('retries and labels', () => {
  it('commit: a network error is retried once with w: majority and wtimeout 10000', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    session.startTransaction({ writeConcern: { w: 2 } });
    await client.db('app').collection('items').insertOne({ _id: 1 }, { session });
    cluster.failCommand(A, 'commitTransaction', { kind: 'network' });
    await session.commitTransaction();
    const commits = cluster.commandsNamed('commitTransaction').map(txnView);
    expect(commits).toEqual([
      { commitTransaction: 1, txnNumber: 1, autocommit: false, writeConcern: { w: 2 } },
      { commitTransaction: 1, txnNumber: 1, autocommit: false, writeConcern: { w: 'majority', wtimeout: 10000 } },
    ]);
    // Committing again (the user's retry) also uses w: majority.
    await session.commitTransaction();
    expect(txnView(cluster.commandsNamed('commitTransaction')[2]!).writeConcern).toEqual({ w: 'majority', wtimeout: 10000 });
    await session.endSession();
  });

  it('commit: two network errors surface with UnknownTransactionCommitResult; a plain error does not retry', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    session.startTransaction();
    await client.db('app').collection('items').insertOne({ _id: 1 }, { session });
    cluster.failCommand(A, 'commitTransaction', { kind: 'network' }, { times: 2 });
    const error = (await session.commitTransaction().catch((e: unknown) => e)) as MongoError;
    expect(error.errorLabels).toEqual(expect.arrayContaining(['RetryableWriteError', 'UnknownTransactionCommitResult']));
    expect(error.hasErrorLabel(MongoErrorLabel.TransientTransactionError)).toBe(false);
    expect(cluster.commandsNamed('commitTransaction')).toHaveLength(2);
    expect(session.transaction.state).toBe(TxnState.TRANSACTION_COMMITTED);

    session.startTransaction();
    await client.db('app').collection('items').insertOne({ _id: 2 }, { session });
    cluster.failCommand(A, 'commitTransaction', {
      kind: 'reply',
      reply: { ok: 0, code: 251, codeName: 'NoSuchTransaction', errmsg: 'no such transaction', errorLabels: ['TransientTransactionError'] },
    });
    const second = (await session.commitTransaction().catch((e: unknown) => e)) as MongoServerError;
    expect(second.code).toBe(251);
    expect(second.errorLabels).toEqual(['TransientTransactionError']);
    expect(cluster.commandsNamed('commitTransaction')).toHaveLength(3);
    await session.endSession();
  });

  it('commit: a writeConcernError (WriteConcernFailed) gets UnknownTransactionCommitResult, UnsatisfiableWriteConcern does not', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    for (const [code, codeName, unknown] of [
      [64, 'WriteConcernFailed', true],
      [100, 'UnsatisfiableWriteConcern', false],
    ] as const) {
      session.startTransaction();
      await client.db('app').collection('items').insertOne({ _id: code }, { session });
      cluster.failCommand(A, 'commitTransaction', { kind: 'reply', reply: { ok: 1, writeConcernError: { code, codeName, errmsg: 'wc' } } });
      const error = (await session.commitTransaction().catch((e: unknown) => e)) as MongoError;
      expect(error.name).toBe('MongoWriteConcernError');
      expect(error.hasErrorLabel(MongoErrorLabel.UnknownTransactionCommitResult)).toBe(unknown);
    }
    await session.endSession();
  });

  it('a statement: a network error is not retried and is a TransientTransactionError (not a RetryableWriteError)', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    session.startTransaction();
    cluster.failCommand(A, 'insert', { kind: 'network' });
    const error = (await client.db('app').collection('items').insertOne({ _id: 1 }, { session }).catch((e: unknown) => e)) as MongoError;
    expect(error.errorLabels).toEqual(['TransientTransactionError']);
    expect(cluster.commandsNamed('insert')).toHaveLength(1);
    await session.abortTransaction();
    await session.endSession();
  });

  it('abort: a network error is retried once; errors are never thrown', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    session.startTransaction();
    await client.db('app').collection('items').insertOne({ _id: 1 }, { session });
    cluster.failCommand(A, 'abortTransaction', { kind: 'network' }, { times: 2 });
    await session.abortTransaction();
    expect(cluster.commandsNamed('abortTransaction').map(txnView)).toEqual([
      { abortTransaction: 1, txnNumber: 1, autocommit: false },
      { abortTransaction: 1, txnNumber: 1, autocommit: false },
    ]);
    expect(session.transaction.state).toBe(TxnState.TRANSACTION_ABORTED);
    await session.endSession();
  });
});

describe('misuse', () => {
  it('throws the official driver errors', async () => {
    const { client } = setup();
    const session = client.startSession();
    const refuse = async (fn: () => unknown, message: string): Promise<void> => {
      let error: unknown;
      try {
        await fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MongoTransactionError);
      expect((error as Error).message).toBe(message);
    };
    await refuse(() => session.commitTransaction(), 'No transaction started');
    await refuse(() => session.abortTransaction(), 'No transaction started');
    session.startTransaction();
    await refuse(() => session.startTransaction(), 'Transaction already in progress');
    await session.abortTransaction();
    await refuse(() => session.abortTransaction(), 'Cannot call abortTransaction twice');
    await refuse(() => session.commitTransaction(), 'Cannot call commitTransaction after calling abortTransaction');
    session.startTransaction();
    await session.commitTransaction();
    await refuse(() => session.abortTransaction(), 'Cannot call abortTransaction after calling commitTransaction');
    await refuse(() => session.startTransaction({ writeConcern: { w: 0 } }), 'Transactions do not support unacknowledged write concern');
    expect(() => client.startSession({ snapshot: true }).startTransaction()).toThrow('Transactions are not supported in snapshot sessions');
    await session.endSession();
  });

  it('a session of another client is refused, on cursors too', async () => {
    const { cluster, client } = setup();
    const other = new MongoClient('mongodb://a:27017/?replicaSet=rs', { transport: cluster.net.transport() });
    const foreign = other.startSession();
    foreign.startTransaction();
    const items = client.db('app').collection('items');
    await expect(items.insertOne({ _id: 1 }, { session: foreign })).rejects.toThrow('ClientSession must be from the same MongoClient');
    await expect(items.find({}, { session: foreign }).toArray()).rejects.toThrow('ClientSession must be from the same MongoClient');
    expect(sent(cluster)).toEqual([]);
    expect(foreign.transaction.state).toBe(TxnState.STARTING_TRANSACTION);
    await foreign.endSession();
    await other.close();
  });

  it('a read in a transaction whose read preference is not primary fails before anything is sent', async () => {
    const { cluster, client } = setup();
    const items = client.db('app').collection('items');
    const session = client.startSession();
    session.startTransaction({ readPreference: 'secondary' });
    await expect(items.find({}, { session }).toArray()).rejects.toThrow('Read preference in a transaction must be primary, not: secondary');
    expect(session.transaction.state).toBe(TxnState.STARTING_TRANSACTION);
    // Writes are fine; the collection's read preference is not the transaction's.
    await items.insertOne({ _id: 1 }, { session });
    await session.abortTransaction();
    session.startTransaction();
    await client.db('app').collection('items', { readPreference: 'secondary' }).find({}, { session }).toArray();
    await session.commitTransaction();
    expect(sent(cluster).map((c) => [c.name, c.address])).toEqual([
      ['insert', A],
      ['abortTransaction', A],
      ['find', A],
      ['commitTransaction', A],
    ]);
    await session.endSession();
  });
});

describe('read preference of a generic command (runCommand) in a transaction', () => {
  it('a read is a read with retryReads=false too', async () => {
    const { cluster, client } = setup({ query: '&retryReads=false' });
    const session = client.startSession();
    session.startTransaction({ readPreference: 'secondary' });
    await expect(client.db('app').collection('items').findOne({}, { session })).rejects.toThrow('Read preference in a transaction must be primary, not: secondary');
    expect(sent(cluster)).toEqual([]);
    await session.endSession();
  });

  it('the transaction\'s, or the one given explicitly; not primary fails', async () => {
    const { cluster, client } = setup({ query: '&readPreference=secondary' });
    const db = client.db('app');
    const session = client.startSession();
    // The client's secondary is not the transaction's primary.
    session.startTransaction({ readPreference: 'primary' });
    await db.command({ insert: 'items', documents: [{ _id: 1 }] }, { session });
    await expect(db.command({ find: 'items' }, { session, readPreference: 'secondary' })).rejects.toThrow(
      'Read preference in a transaction must be primary, not: secondary',
    );
    await session.commitTransaction();
    session.startTransaction({ readPreference: 'nearest' });
    await expect(db.command({ find: 'items' }, { session })).rejects.toThrow('Read preference in a transaction must be primary, not: nearest');
    await session.abortTransaction();
    expect(sent(cluster).map((c) => c.name)).toEqual(['insert', 'commitTransaction']);
    await session.endSession();
  });
});

describe('mongos pinning', () => {
  it('statements, commit and abort go to the mongos of the first statement, with its recoveryToken', async () => {
    const { cluster, client } = setup({ mongos: true });
    await client.connect();
    const items = client.db('app').collection('items');
    const session = client.startSession();
    for (let round = 0; round < 4; round++) {
      session.startTransaction();
      for (let i = 0; i < 4; i++) await items.insertOne({ _id: round * 10 + i }, { session });
      const pinned = session.transaction.pinnedServer;
      expect([A, B]).toContain(pinned);
      if (round % 2 === 0) await session.commitTransaction();
      else await session.abortTransaction();
      const mine = sent(cluster).slice(-5);
      expect(mine.map((c) => c.address)).toEqual([pinned, pinned, pinned, pinned, pinned]);
      expect(mine[4]!.body.recoveryToken).toEqual({ recoveredBy: pinned });
    }
    expect(session.transaction.isPinned).toBe(false);
    await session.endSession();
  });

  it('a commit retried after a network error is unpinned and keeps the recoveryToken', async () => {
    const { cluster, client } = setup({ mongos: true });
    await client.connect();
    const session = client.startSession();
    session.startTransaction();
    await client.db('app').collection('items').insertOne({ _id: 1 }, { session });
    const pinned = session.transaction.pinnedServer!;
    cluster.failCommand(pinned, 'commitTransaction', { kind: 'network' });
    await session.commitTransaction();
    const commits = cluster.commandsNamed('commitTransaction');
    expect(commits).toHaveLength(2);
    expect(commits[0]!.address).toBe(pinned);
    expect(commits[1]!.body.recoveryToken).toEqual({ recoveredBy: pinned });
    expect(session.transaction.isPinned).toBe(false);
    await session.endSession();
  });

  it('a TransientTransactionError unpins; the next operation outside the transaction is not pinned', async () => {
    const { cluster, client } = setup({ mongos: true });
    await client.connect();
    const items = client.db('app').collection('items');
    const session = client.startSession();
    session.startTransaction();
    await items.insertOne({ _id: 1 }, { session });
    const pinned = session.transaction.pinnedServer!;
    cluster.failCommand(pinned, 'insert', { kind: 'reply', reply: { ok: 0, code: 112, codeName: 'WriteConflict', errmsg: 'conflict', errorLabels: ['TransientTransactionError'] } });
    await expect(items.insertOne({ _id: 2 }, { session })).rejects.toThrow('conflict');
    expect(session.transaction.isPinned).toBe(false);
    await session.abortTransaction();
    await session.endSession();
  });
});

describe('withTransaction', () => {
  it('retries the whole transaction on a TransientTransactionError, then commits; resolves to the callback value', async () => {
    const { cluster, client } = setup();
    const items = client.db('app').collection('items');
    const session = client.startSession();
    cluster.failCommand(A, 'insert', { kind: 'reply', reply: { ok: 0, code: 112, codeName: 'WriteConflict', errmsg: 'conflict', errorLabels: ['TransientTransactionError'] } });
    let calls = 0;
    const value = await session.withTransaction(async (s) => {
      calls++;
      await items.insertOne({ _id: 1 }, { session: s });
      return 'done';
    });
    expect(value).toBe('done');
    expect(calls).toBe(2);
    expect(sent(cluster).map(txnView)).toEqual([
      { insert: 'items', txnNumber: 1, startTransaction: true, autocommit: false },
      { abortTransaction: 1, txnNumber: 1, autocommit: false },
      { insert: 'items', txnNumber: 2, startTransaction: true, autocommit: false },
      { commitTransaction: 1, txnNumber: 2, autocommit: false },
    ]);
    await session.endSession();
  });

  it('retries the commit on UnknownTransactionCommitResult (w: majority), not the callback', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    // Two network errors: the commit's own retry fails too, withTransaction commits again.
    cluster.failCommand(A, 'commitTransaction', { kind: 'network' }, { times: 2 });
    let calls = 0;
    await session.withTransaction(async (s) => {
      calls++;
      await client.db('app').collection('items').insertOne({ _id: 1 }, { session: s });
    });
    expect(calls).toBe(1);
    expect(cluster.commandsNamed('commitTransaction').map((c) => c.body.writeConcern)).toEqual([
      undefined,
      { w: 'majority', wtimeout: 10000 },
      { w: 'majority', wtimeout: 10000 },
    ]);
    await session.endSession();
  });

  it('a callback error without the label aborts and is rethrown as is; a callback that commits itself is not committed again', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    const boom = new Error('boom');
    await expect(
      session.withTransaction(async (s) => {
        await client.db('app').collection('items').insertOne({ _id: 1 }, { session: s });
        throw boom;
      }),
    ).rejects.toBe(boom);
    await session.withTransaction(async (s) => {
      await client.db('app').collection('items').insertOne({ _id: 2 }, { session: s });
      await s.commitTransaction();
    });
    expect(sent(cluster).map((c) => c.name)).toEqual(['insert', 'abortTransaction', 'insert', 'commitTransaction']);
    await session.endSession();
  });

  it('stops retrying after 120 s (injected clock) and throws the last error', async () => {
    const { client } = setup();
    const session: ClientSession = client.startSession();
    let now = 0;
    const clock: WithTransactionClock = { now: () => now, sleep: async () => undefined, random: () => 0.5 };
    let calls = 0;
    const transient = (): MongoError => {
      const e = new MongoServerError({ ok: 0, code: 112, codeName: 'WriteConflict', errmsg: `conflict ${calls}` });
      e.addErrorLabel(MongoErrorLabel.TransientTransactionError);
      return e;
    };
    const error = (await withTransaction(session, client, async () => {
      calls++;
      now += 50_000;
      throw transient();
    }, undefined, clock).catch((e: unknown) => e)) as MongoError;
    // 50 s, 100 s: retried; 150 s: past the limit.
    expect(calls).toBe(3);
    expect(error.message).toBe('conflict 3');
    await session.endSession();
  });
});

describe('withTransaction under CSOT (timeoutMS)', () => {
  const transientError = (n: number): MongoError => {
    const e = new MongoServerError({ ok: 0, code: 24, codeName: 'LockTimeout', errmsg: `transient ${n}` });
    e.addErrorLabel(MongoErrorLabel.TransientTransactionError);
    return e;
  };

  it('out of time for the next backoff: a MongoOperationTimeoutError whose cause is the last transient error, with its labels', async () => {
    const { client } = setup();
    const session: ClientSession = client.startSession();
    let now = 0;
    const clock: WithTransactionClock = { now: () => now, sleep: async () => undefined, random: () => 0.99 };
    let calls = 0;
    const error = (await withTransaction(
      session,
      client,
      async () => {
        calls++;
        // the second attempt ends 5 ms before the deadline: the next backoff (about 7 ms) does not fit
        now = calls === 1 ? 400 : 995;
        throw transientError(calls);
      },
      { timeoutMS: 1000 },
      clock,
    ).catch((e: unknown) => e)) as MongoError;
    expect(calls).toBe(2);
    expect(error).toBeInstanceOf(MongoOperationTimeoutError);
    expect((error.cause as Error).message).toBe('transient 2');
    expect(error.hasErrorLabel(MongoErrorLabel.TransientTransactionError)).toBe(true);
    await session.endSession();
  });

  it('a transient error after the deadline is a MongoOperationTimeoutError too (cause: that error)', async () => {
    const { client } = setup();
    const session: ClientSession = client.startSession();
    let now = 0;
    const clock: WithTransactionClock = { now: () => now, sleep: async () => undefined, random: () => 0 };
    const error = (await withTransaction(
      session,
      client,
      async () => {
        now += 600;
        throw transientError(now);
      },
      { timeoutMS: 1000 },
      clock,
    ).catch((e: unknown) => e)) as MongoError;
    expect(error).toBeInstanceOf(MongoOperationTimeoutError);
    expect((error.cause as Error).message).toBe('transient 1200');
    await session.endSession();
  });

  it('an operation of the callback that overrides timeoutMS is refused (a client-side error, nothing sent) and fails withTransaction', async () => {
    const { cluster, client } = setup({ query: '&timeoutMS=60000' });
    const session = client.startSession();
    const error = await session
      .withTransaction(async (s) => {
        await client.db('app').collection('items').insertOne({ _id: 1 }, { session: s, timeoutMS: 100 });
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoInvalidArgumentError);
    expect(sent(cluster)).toEqual([]);
    await session.endSession();
  });
});

describe('close', () => {
  it('client.close() aborts the transactions in progress', async () => {
    const { cluster, client } = setup();
    const session = client.startSession();
    session.startTransaction();
    await client.db('app').collection('items').insertOne({ _id: 1 }, { session });
    await client.close();
    expect(cluster.commands.map((c) => c.name)).toEqual(['insert', 'abortTransaction', 'endSessions']);
  });
});
