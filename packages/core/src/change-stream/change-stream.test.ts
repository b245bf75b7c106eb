/**
 * ChangeStream against a scripted server (FakeExecutor: each aggregate / getMore is
 * answered from a script): the commands it sends, the resume rules of the Change
 * Streams spec, token caching, event mode, close, and the streams.
 */
import { Long, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import {
  MongoAPIError,
  MongoChangeStreamError,
  MongoNetworkError,
  MongoRuntimeError,
  MongoServerError,
  type Document,
} from '../errors.js';
import { FakeExecutor } from '../../test/support/fake-executor.js';
import { MongoClient } from '../client/mongo-client.js';
import type { TopologyDescription } from '../sdam/topology-description.js';
import { ChangeStream } from './change-stream.js';

const ID = Long.fromString('8589934593');
const OP_TIME = new Timestamp({ t: 1700000000, i: 3 });
const T = (n: number) => ({ _data: `82${String(n).padStart(4, '0')}` });
const change = (n: number) => ({
  _id: T(n),
  operationType: 'insert',
  ns: { db: 'app', coll: 'c' },
  documentKey: { _id: n },
  fullDocument: { _id: n },
});

function aggReply(batch: Document[] = [], pbrt?: Document, ns = 'app.c'): Document {
  return { ok: 1, cursor: { id: ID, ns, firstBatch: batch, ...(pbrt ? { postBatchResumeToken: pbrt } : {}) }, operationTime: OP_TIME };
}
function moreReply(batch: Document[] = [], pbrt?: Document, id: Long = ID, ns = 'app.c'): Document {
  return { ok: 1, cursor: { id, ns, nextBatch: batch, ...(pbrt ? { postBatchResumeToken: pbrt } : {}) } };
}
const serverError = (code: number, labels: string[] = []) => ({ ok: 0, code, errmsg: `error ${code}`, errorLabels: labels });

/** A FakeExecutor whose topology description gives the server a wire version. */
class VersionedFake extends FakeExecutor {
  constructor(readonly maxWireVersion: number) {
    super();
  }
  get description(): TopologyDescription {
    return { servers: new Map([[this.address, { maxWireVersion: this.maxWireVersion }]]) } as unknown as TopologyDescription;
  }
}

function setup(fake: FakeExecutor = new FakeExecutor()) {
  fake.address = 'node1:27017';
  const client = new MongoClient('mongodb://localhost/app', { executorFactory: () => fake });
  const coll = client.db().collection('c');
  return { fake, client, coll };
}

const stageOf = (cmd: Document) => (cmd.pipeline as Document[])[0]!.$changeStream as Document;

describe('watch(): the commands', () => {
  it('Collection.watch: lazy; aggregate with $changeStream first, options in the stage, cursor options outside', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1)]));
    const cs = coll.watch([{ $match: { operationType: 'insert' } }], {
      fullDocument: 'updateLookup',
      fullDocumentBeforeChange: 'whenAvailable',
      showExpandedEvents: true,
      batchSize: 5,
      collation: { locale: 'en' },
      comment: 'hi',
      maxAwaitTimeMS: 250,
    });
    expect(fake.calls).toHaveLength(0);
    expect(await cs.next()).toEqual(change(1));
    const cmd = fake.named('aggregate')[0]!.command;
    expect(cmd).toEqual({
      aggregate: 'c',
      pipeline: [{ $changeStream: { fullDocument: 'updateLookup', fullDocumentBeforeChange: 'whenAvailable', showExpandedEvents: true } }, { $match: { operationType: 'insert' } }],
      collation: { locale: 'en' },
      comment: 'hi',
      cursor: { batchSize: 5 },
    });
    expect(fake.named('aggregate')[0]!.db).toBe('app');
    await cs.close();
  });

  it('an empty stage when no option is given (cursor: {})', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1)]));
    const cs = coll.watch();
    await cs.next();
    expect(fake.named('aggregate')[0]!.command).toEqual({ aggregate: 'c', pipeline: [{ $changeStream: {} }], cursor: {} });
    await cs.close();
  });

  it('tryNext on a stream not started: the aggregate, then one getMore when its first batch is empty (as the official driver)', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([]));
    fake.once('getMore', moreReply([change(1)]));
    const cs = coll.watch();
    expect(await cs.tryNext()).toEqual(change(1));
    expect(fake.calls.map((c) => c.name)).toEqual(['aggregate', 'getMore']);
    await cs.close();
  });

  it('getMore: to the cursor server, maxAwaitTimeMS as maxTimeMS, batchSize and comment', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply());
    fake.once('getMore', moreReply([change(1)]));
    const cs = coll.watch([], { maxAwaitTimeMS: 250, batchSize: 7, comment: { x: 1 } });
    await cs.next();
    const gm = fake.named('getMore')[0]!;
    expect(gm.command).toEqual({ getMore: ID, collection: 'c', batchSize: 7, maxTimeMS: 250, comment: { x: 1 } });
    expect(gm.options.pinnedServer).toBe('node1:27017');
    await cs.close();
  });

  it('Db.watch: aggregate 1; getMore uses the collection of the reply ns', async () => {
    const { fake, client } = setup();
    fake.once('aggregate', aggReply([], T(1), 'app.$cmd.aggregate'));
    fake.once('getMore', moreReply([change(1)], undefined, ID, 'app.$cmd.aggregate'));
    const cs = client.db('app').watch();
    await cs.next();
    expect(fake.named('aggregate')[0]!.command.aggregate).toBe(1);
    expect(fake.named('getMore')[0]!.command.collection).toBe('$cmd.aggregate');
    expect(cs.namespace).toEqual({ db: 'app', collection: undefined });
    await cs.close();
  });

  it('MongoClient.watch: admin, allChangesForCluster', async () => {
    const { fake, client } = setup();
    fake.once('aggregate', aggReply([change(1)], undefined, 'admin.$cmd.aggregate'));
    const cs = client.watch([], { startAtOperationTime: OP_TIME });
    await cs.next();
    const call = fake.named('aggregate')[0]!;
    expect(call.db).toBe('admin');
    expect(call.command.aggregate).toBe(1);
    expect(stageOf(call.command)).toEqual({ allChangesForCluster: true, startAtOperationTime: OP_TIME });
    await cs.close();
  });

  it('inherits the read preference and read concern of the collection', async () => {
    const { fake, client } = setup();
    fake.once('aggregate', aggReply([change(1)]));
    const cs = client.db('app', { readConcern: { level: 'majority' }, readPreference: 'secondary' }).collection('c').watch();
    await cs.next();
    const call = fake.named('aggregate')[0]!;
    expect(call.command.readConcern).toEqual({ level: 'majority' });
    expect(call.options.readPreference?.mode).toBe('secondary');
    await cs.close();
  });

  it('a pipeline that is not an array is refused', () => {
    const { coll } = setup();
    expect(() => coll.watch({} as unknown as Document[])).toThrow(/pipeline/);
  });
});

// ------------------------------------------------------------------------ resume rules

type GetMoreFailure = Document | Error;
/** [description, the getMore failure, wire version, resumes] */
const RESUME_TABLE: Array<[string, () => GetMoreFailure, number, boolean]> = [
  ['network error', () => new MongoNetworkError('connection reset'), 21, true],
  ['CursorNotFound (43)', () => serverError(43), 21, true],
  ['ResumableChangeStreamError label', () => serverError(10107, ['ResumableChangeStreamError']), 21, true],
  ['a listed code without the label on 4.4+', () => serverError(10107), 21, false],
  ['a listed code before 4.4 (wire 8)', () => serverError(10107), 8, true],
  ['Interrupted (11601) before 4.4', () => serverError(11601), 8, false],
  ['any other server error', () => serverError(2), 21, false],
];

describe('resume rules (Change Streams spec "Resumable Error", "Resume Process")', () => {
  for (const [name, failure, wire, resumes] of RESUME_TABLE) {
    it(`getMore fails with ${name}: ${resumes ? 'resumes once with resumeAfter the cached token' : 'no resume, the error is thrown and the stream closed'}`, async () => {
      const { fake, coll } = setup(new VersionedFake(wire));
      fake.once('aggregate', aggReply([], T(1)));
      fake.once('getMore', failure());
      fake.once('aggregate', aggReply([change(2)]));
      const cs = coll.watch();
      if (resumes) {
        expect(await cs.next()).toEqual(change(2));
        const aggregates = fake.named('aggregate');
        expect(aggregates).toHaveLength(2);
        expect(stageOf(aggregates[1]!.command)).toEqual({ resumeAfter: T(1) });
        // the resume runs in the same session
        expect(aggregates[1]!.lsid).toBe(aggregates[0]!.lsid);
        expect(cs.closed).toBe(false);
        await cs.close();
      } else {
        await expect(cs.next()).rejects.toBeInstanceOf(MongoServerError);
        expect(fake.named('aggregate')).toHaveLength(1);
        expect(cs.closed).toBe(true);
      }
    });
  }

  it('the error of the initial aggregate is not resumed', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', new MongoNetworkError('reset'));
    const cs = coll.watch();
    await expect(cs.next()).rejects.toBeInstanceOf(MongoNetworkError);
    expect(fake.named('aggregate')).toHaveLength(1);
    expect(cs.closed).toBe(true);
  });

  it('resumes once per error: a failing resume aggregate is thrown', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([], T(1)));
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', new MongoNetworkError('still down'));
    const cs = coll.watch();
    await expect(cs.next()).rejects.toThrow('still down');
    expect(fake.named('aggregate')).toHaveLength(2);
    expect(cs.closed).toBe(true);
  });

  it('consecutive resumes succeed without changes in between', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([], T(1)));
    fake.once('getMore', serverError(43));
    fake.once('aggregate', aggReply([], T(2)));
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', aggReply([change(3)]));
    const cs = coll.watch();
    expect(await cs.next()).toEqual(change(3));
    const stages = fake.named('aggregate').map((c) => stageOf(c.command));
    expect(stages).toEqual([{}, { resumeAfter: T(1) }, { resumeAfter: T(2) }]);
    await cs.close();
  });

  it('the old cursor is killed on its server when the error left it open; not after a network error', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([], T(1)));
    fake.once('getMore', serverError(280, ['ResumableChangeStreamError']));
    fake.once('aggregate', aggReply([], T(2)));
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', aggReply([change(3)]));
    const cs = coll.watch();
    await cs.next();
    const kills = fake.named('killCursors');
    expect(kills).toHaveLength(1);
    expect(kills[0]!.command).toEqual({ killCursors: 'c', cursors: [ID] });
    expect(kills[0]!.options.pinnedServer).toBe('node1:27017');
    await cs.close();
  });

  it('no token yet: resumes with startAtOperationTime from the initial aggregate', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([]));
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', aggReply([change(1)]));
    const cs = coll.watch();
    await cs.next();
    expect(stageOf(fake.named('aggregate')[1]!.command)).toEqual({ startAtOperationTime: OP_TIME });
    await cs.close();
  });

  it('the user startAtOperationTime is dropped once a token is cached', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1)]));
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', aggReply([change(2)]));
    const cs = coll.watch([], { startAtOperationTime: new Timestamp({ t: 5, i: 0 }), fullDocument: 'updateLookup' });
    await cs.next();
    await cs.next();
    expect(stageOf(fake.named('aggregate')[1]!.command)).toEqual({ fullDocument: 'updateLookup', resumeAfter: T(1) });
    await cs.close();
  });

  it('started with startAfter: startAfter until a change was returned, resumeAfter then', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([]));
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', aggReply([change(5)]));
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', aggReply([change(6)]));
    const cs = coll.watch([], { startAfter: T(4) });
    expect(await cs.next()).toEqual(change(5));
    expect(await cs.next()).toEqual(change(6));
    const stages = fake.named('aggregate').map((c) => stageOf(c.command));
    expect(stages).toEqual([{ startAfter: T(4) }, { startAfter: T(4) }, { resumeAfter: T(5) }]);
    await cs.close();
  });
});

// ------------------------------------------------------------------------ tokens

describe('resume token caching', () => {
  it('resumeToken: the pbrt of an empty batch, the _id of a change, the pbrt of the last change of a batch', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([], T(1)));
    fake.once('getMore', moreReply([], T(2)));
    fake.once('getMore', moreReply([change(3), change(4)], T(5)));
    const cs = coll.watch();
    const seen: unknown[] = [];
    cs.on('resumeTokenChanged', (t) => seen.push(t));
    expect(cs.resumeToken).toBeNull();
    await cs.init();
    expect(cs.resumeToken).toEqual(T(1));
    expect(await cs.tryNext()).toBeNull();
    expect(cs.resumeToken).toEqual(T(2));
    expect(await cs.next()).toEqual(change(3));
    expect(cs.resumeToken).toEqual(T(3));
    expect(await cs.next()).toEqual(change(4));
    expect(cs.resumeToken).toEqual(T(5));
    expect(seen).toEqual([T(1), T(2), T(3), T(5)]);
    await cs.close();
  });

  it('resumeAfter / startAfter are the token before anything arrives', () => {
    const { coll } = setup();
    expect(coll.watch([], { resumeAfter: T(7) }).resumeToken).toEqual(T(7));
    expect(coll.watch([], { startAfter: T(8) }).resumeToken).toEqual(T(8));
  });

  it('a change without _id: MongoChangeStreamError, the stream is closed and its cursor killed', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([{ operationType: 'insert' }, { operationType: 'insert' }]));
    const cs = coll.watch([{ $project: { _id: 0 } }]);
    const error = await cs.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoChangeStreamError);
    expect((error as Error).message).toMatch(/lacks a resume token/);
    expect(cs.closed).toBe(true);
    expect(fake.named('killCursors')).toHaveLength(1);
    expect(fake.named('aggregate')).toHaveLength(1);
  });
});

// ------------------------------------------------------------------------ lifecycle

describe('iteration, close and the end of a stream', () => {
  it('for await yields changes; breaking out closes the stream (killCursors)', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1), change(2)]));
    const cs = coll.watch();
    const got: unknown[] = [];
    for await (const c of cs) {
      got.push(c._id);
      if (got.length === 2) break;
    }
    expect(got).toEqual([T(1), T(2)]);
    expect(cs.closed).toBe(true);
    expect(fake.named('killCursors')).toHaveLength(1);
  });

  it('close(): kills the cursor, emits close once, further reads throw MongoAPIError', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1)]));
    const cs = coll.watch();
    let closes = 0;
    cs.on('close', () => closes++);
    await cs.next();
    await cs.close();
    await cs.close();
    expect(closes).toBe(1);
    expect(cs.closed).toBe(true);
    expect(fake.named('killCursors')).toHaveLength(1);
    await expect(cs.next()).rejects.toBeInstanceOf(MongoAPIError);
    expect(() => cs.toReadableStream()).toThrow(MongoChangeStreamError);
  });

  it('the server ends the stream after invalidate: hasNext false, next throws, end is emitted', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([]));
    fake.once('getMore', moreReply([{ _id: T(9), operationType: 'invalidate' }], T(9), Long.ZERO));
    const cs = coll.watch();
    let ended = false;
    cs.on('end', () => (ended = true));
    expect((await cs.next()).operationType).toBe('invalidate');
    expect(await cs.hasNext()).toBe(false);
    await expect(cs.next()).rejects.toBeInstanceOf(MongoRuntimeError);
    expect(ended).toBe(true);
    expect(cs.closed).toBe(true);
  });

  it('init, more and response events carry the replies', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([], T(1)));
    fake.once('getMore', moreReply([change(2)]));
    const cs = coll.watch();
    const events: string[] = [];
    cs.on('init', (r) => events.push(`init:${Array.isArray(r.cursor.firstBatch)}`));
    cs.on('more', (r) => events.push(`more:${r.cursor.nextBatch.length}`));
    cs.on('response', () => events.push('response'));
    await cs.next();
    expect(events).toEqual(['init:true', 'response', 'more:1', 'response']);
    await cs.close();
  });

  it('init() sends the aggregate without taking a change', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1)]));
    const cs = coll.watch();
    await cs.init();
    expect(fake.named('aggregate')).toHaveLength(1);
    expect(cs.bufferedCount()).toBe(1);
    expect(await cs.next()).toEqual(change(1));
    await cs.close();
  });
});

describe('event mode', () => {
  it("on('change') reads and emits changes, resuming after a resumable error", async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1)], undefined));
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', aggReply([change(2)]));
    fake.on('getMore', moreReply([], T(2)));
    const cs = coll.watch();
    const got = await new Promise<unknown[]>((resolve) => {
      const seen: unknown[] = [];
      cs.on('change', (c) => {
        seen.push(c._id);
        if (seen.length === 2) resolve(seen);
      });
    });
    expect(got).toEqual([T(1), T(2)]);
    expect(stageOf(fake.named('aggregate')[1]!.command)).toEqual({ resumeAfter: T(1) });
    await cs.close();
  });

  it("a non-resumable error is emitted as 'error' and closes the stream", async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([]));
    fake.once('getMore', serverError(2));
    const cs = coll.watch();
    const closed = new Promise<void>((resolve) => cs.on('close', resolve));
    const error = await new Promise<unknown>((resolve) => {
      cs.on('error', resolve);
      cs.on('change', () => undefined);
    });
    expect(error).toBeInstanceOf(MongoServerError);
    await closed;
    expect(cs.closed).toBe(true);
  });

  describe("with no 'error' listener: thrown as an uncaught exception, as Node's EventEmitter (the official driver's) throws an unheard 'error'", () => {
    /** Runs `start` with this worker's uncaughtException handlers swapped for one that captures; returns the first error raised. */
    async function uncaughtDuring(start: () => void): Promise<unknown> {
      const saved = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      try {
        const raised = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
        start();
        return await raised;
      } finally {
        process.removeAllListeners('uncaughtException');
        for (const l of saved) process.on('uncaughtException', l);
      }
    }

    it('a non-resumable getMore error: raised, and the stream is closed', async () => {
      const { fake, coll } = setup();
      fake.once('aggregate', aggReply([]));
      fake.once('getMore', serverError(2));
      const cs = coll.watch();
      const closed = new Promise<void>((resolve) => cs.on('close', resolve));
      const error = await uncaughtDuring(() => cs.on('change', () => undefined));
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).code).toBe(2);
      await closed;
      expect(cs.closed).toBe(true);
    });

    it("a throwing 'change' listener: raised, and the stream goes on", async () => {
      const { fake, coll } = setup();
      fake.once('aggregate', aggReply([change(1), change(2)]));
      fake.on('getMore', moreReply([], T(2)));
      const cs = coll.watch();
      const seen: unknown[] = [];
      let gotSecond!: () => void;
      const second = new Promise<void>((resolve) => (gotSecond = resolve));
      const error = await uncaughtDuring(() =>
        cs.on('change', (c) => {
          seen.push(c._id);
          if (seen.length === 1) throw new Error('listener failed');
          gotSecond();
        }),
      );
      expect((error as Error).message).toBe('listener failed');
      await second;
      expect(seen).toEqual([T(1), T(2)]);
      expect(cs.closed).toBe(false);
      await cs.close();
    });
  });

  it('iterator and event modes do not mix (MongoAPIError, as the official driver)', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1)]));
    const cs = coll.watch();
    await cs.next();
    expect(() => cs.on('change', () => undefined)).toThrow(/cannot be used as an EventEmitter after being used as an iterator/);
    await cs.close();

    fake.once('aggregate', aggReply([]));
    fake.on('getMore', moreReply([], T(1)));
    const other = coll.watch();
    other.on('change', () => undefined);
    await expect(other.next()).rejects.toThrow(/cannot be used as an iterator after being used as an EventEmitter/);
    await other.close();
  });

  it('exposes the official event names as statics', () => {
    expect([ChangeStream.CHANGE, ChangeStream.CLOSE, ChangeStream.END, ChangeStream.ERROR, ChangeStream.INIT, ChangeStream.MORE, ChangeStream.RESPONSE, ChangeStream.RESUME_TOKEN_CHANGED]).toEqual(
      ['change', 'close', 'end', 'error', 'init', 'more', 'response', 'resumeTokenChanged'],
    );
  });
});

describe('toReadableStream()', () => {
  it('reads changes; cancelling it closes the change stream', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([change(1)]));
    fake.once('getMore', moreReply([change(2)]));
    const cs = coll.watch();
    const reader = cs.toReadableStream().getReader();
    expect((await reader.read()).value).toEqual(change(1));
    expect((await reader.read()).value).toEqual(change(2));
    await reader.cancel();
    expect(cs.closed).toBe(true);
    expect(fake.named('killCursors')).toHaveLength(1);
  });

  it('ends (done) when the server ends the stream', async () => {
    const { fake, coll } = setup();
    fake.once('aggregate', aggReply([{ _id: T(9), operationType: 'invalidate' }], T(9)));
    fake.once('getMore', moreReply([], T(9), Long.ZERO));
    const cs = coll.watch();
    const reader = cs.toReadableStream().getReader();
    expect((await reader.read()).value).toMatchObject({ operationType: 'invalidate' });
    expect((await reader.read()).done).toBe(true);
  });
});
