/**
 * Change streams under CSOT (timeoutMS), against a one-member sim replica set: a timed-out
 * read leaves the stream open and the next read resumes; one read's getMore and the
 * aggregate of its resume share one deadline; event mode reports a timeout and goes on.
 * Fail points block far past the timeout (or, for the shared deadline, each block is under
 * the timeout and only their sum is over it): no assertion depends on the machine's speed.
 */
import type { MongoClient } from '@mongo-edge/core/node';
import { MongoOperationTimeoutError } from '@mongo-edge/core/node';
import { startFailPointSim, type FailPointSim } from '../../test/support/fail-point-sim.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

type Doc = Record<string, unknown>;

describe('change streams under timeoutMS', () => {
  let fixture: FailPointSim;
  const newClient = () =>
    fixture.newClient('', {}, (e) => (e.commandName === 'aggregate' || e.commandName === 'getMore' ? e.command : undefined));
  const names = (started: Doc[]): string[] => started.map((c) => ('aggregate' in c ? 'aggregate' : 'getMore'));
  const failPoint = (data: Doc, times = 1) => fixture.failPoint(data, times);
  let admin: MongoClient;

  beforeAll(async () => {
    fixture = await startFailPointSim({ replSet: 'csot' });
    admin = fixture.admin;
    await admin.db('cs').collection('c').insertOne({ _id: 0 });
  });
  beforeEach(() => fixture.failPointOff());
  afterAll(() => fixture?.close());

  it('a read that times out leaves the stream open; the next read resumes (a new aggregate) and returns the change', async () => {
    const { client, started } = newClient();
    const cs = client.db('cs').collection('c').watch([], { timeoutMS: 300, maxAwaitTimeMS: 10 });
    await cs.init();
    await failPoint({ failCommands: ['getMore'], blockConnection: true, blockTimeMS: 10_000 });
    await expect(cs.next()).rejects.toBeInstanceOf(MongoOperationTimeoutError);
    expect(cs.closed).toBe(false);
    await admin.db('cs').collection('c').insertOne({ _id: 1 });
    const change = (await cs.next()) as { documentKey: unknown };
    expect(change.documentKey).toEqual({ _id: 1 });
    expect(names(started).slice(0, 3)).toEqual(['aggregate', 'getMore', 'aggregate']);
    // the resume starts where the stream was: after the token or the operation time it saved
    const stage = ((started[2]!.pipeline as Doc[])[0]!.$changeStream ?? {}) as Doc;
    expect(Object.keys(stage).some((k) => k === 'resumeAfter' || k === 'startAtOperationTime')).toBe(true);
    await cs.close();
  });

  it("one read's deadline covers its getMore and the resume's aggregate (no fresh deadline, no retry of the aggregate)", async () => {
    const { client, started } = newClient();
    const cs = client.db('cs').collection('c').watch([], { timeoutMS: 3000 });
    await cs.init();
    // each command blocks for under the timeout, the two together for more; the error is
    // resumable for the getMore and retryable for the aggregate
    await failPoint({ failCommands: ['getMore', 'aggregate'], blockConnection: true, blockTimeMS: 2000, errorCode: 7, errorLabels: ['ResumableChangeStreamError'] }, 2);
    await expect(cs.next()).rejects.toBeInstanceOf(MongoOperationTimeoutError);
    // with a fresh deadline the aggregate would be answered (error 7), retried, and the read
    // would go on; under one deadline it times out (on a very slow machine the getMore may)
    expect(names(started).slice(0, 2)).toEqual(['aggregate', 'getMore']);
    expect(names(started).length).toBeLessThanOrEqual(3);
    await cs.close();
  });

  it("event mode: a timed-out getMore is emitted as 'error', the stream resumes and delivers later changes", async () => {
    const { client } = newClient();
    const cs = client.db('cs').collection('c').watch([], { timeoutMS: 300, maxAwaitTimeMS: 10 });
    await cs.init();
    await failPoint({ failCommands: ['getMore'], blockConnection: true, blockTimeMS: 10_000 });
    const errored = new Promise<unknown>((resolve) => cs.once('error', resolve));
    const changed = new Promise<{ documentKey: unknown }>((resolve) => cs.on('change', (c) => resolve(c as { documentKey: unknown })));
    // waits for the timeout to be reported
    expect(await errored).toBeInstanceOf(MongoOperationTimeoutError);
    expect(cs.closed).toBe(false);
    await admin.db('cs').collection('c').insertOne({ _id: 2 });
    // waits for the change written after the timeout
    expect((await changed).documentKey).toEqual({ _id: 2 });
    await cs.close();
  });
});
