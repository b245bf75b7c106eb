/** changeStream.stream() on the Node entry: a Readable of the changes that resumes; destroying it closes the change stream. */
import { Readable } from 'node:stream';
import { Long } from 'bson';
import { describe, expect, it } from 'vitest';
import { MongoNetworkError } from '../../errors.js';
import { FakeExecutor } from '../../../test/support/fake-executor.js';
import { MongoClient } from './index.js';

const ID = Long.fromNumber(77);
const change = (n: number) => ({ _id: { _data: `t${n}` }, operationType: 'insert', documentKey: { _id: n } });

describe('ChangeStream.stream() (Node entry)', () => {
  it('is a Readable of the changes, resuming after a network error; destroy() closes the change stream', async () => {
    const fake = new FakeExecutor();
    fake.once('aggregate', { ok: 1, cursor: { id: ID, ns: 'app.c', firstBatch: [change(1)] } });
    fake.once('getMore', new MongoNetworkError('reset'));
    fake.once('aggregate', { ok: 1, cursor: { id: ID, ns: 'app.c', firstBatch: [change(2)] } });
    const client = new MongoClient('mongodb://localhost/app', { executorFactory: () => fake });
    const cs = client.db().collection('c').watch();
    const stream = cs.stream();
    expect(stream).toBeInstanceOf(Readable);
    const got: unknown[] = [];
    for await (const c of stream) {
      if (c.operationType === 'insert') got.push(c.documentKey);
      if (got.length === 2) break;
    }
    expect(got).toEqual([{ _id: 1 }, { _id: 2 }]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(cs.closed).toBe(true);
    expect(fake.named('aggregate')[1]!.command.pipeline[0].$changeStream).toEqual({ resumeAfter: { _data: 't1' } });
  });
});
