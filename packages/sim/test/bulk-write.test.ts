/** The 8.0 `bulkWrite` command and the `--wire-version` option that enables it. */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../src/options.js';
import { startSim, type SimHandle } from '../src/index.js';

describe('--wire-version', () => {
  it('parses 21..25 and refuses anything else', () => {
    expect(parseArgs(['--wire-version', '25']).wireVersion).toBe(25);
    expect(parseArgs([]).wireVersion).toBeUndefined();
    expect(() => parseArgs(['--wire-version', '26'])).toThrow(UsageError);
  });
});

describe('bulkWrite command', () => {
  let v7: SimHandle;
  let v8: SimHandle;
  beforeAll(async () => {
    v7 = await startSim({ port: 0 });
    v8 = await startSim({ port: 0, maxWireVersion: 25 });
  });
  afterAll(async () => {
    await v7.close();
    await v8.close();
  });

  it('advertises maxWireVersion 25 only when asked, and refuses bulkWrite otherwise', async () => {
    const c7 = new MongoClient(v7.uri);
    const c8 = new MongoClient(v8.uri);
    try {
      expect((await c7.db('admin').command({ hello: 1 })).maxWireVersion).toBe(21);
      expect((await c8.db('admin').command({ hello: 1 })).maxWireVersion).toBe(25);
      await expect(c7.db('admin').command({ bulkWrite: 1, ops: [], nsInfo: [] })).rejects.toMatchObject({ code: 59 });
    } finally {
      await c7.close();
      await c8.close();
    }
  });

  it('runs ops across namespaces with per-op results, stopping at the first error when ordered', async () => {
    const c8 = new MongoClient(v8.uri);
    try {
      const reply = await c8.db('admin').command({
        bulkWrite: 1,
        errorsOnly: false,
        ordered: true,
        ops: [
          { insert: 0, document: { _id: 1 } },
          { insert: 1, document: { _id: 'x' } },
          { update: 0, filter: { _id: 1 }, updateMods: { $set: { a: 1 } }, multi: false },
          { insert: 0, document: { _id: 1 } },
          { delete: 1, filter: {}, multi: true },
        ],
        nsInfo: [{ ns: 'bw.a' }, { ns: 'bw.b' }],
      });
      expect(reply).toMatchObject({ nErrors: 1, nInserted: 2, nMatched: 1, nModified: 1, nUpserted: 0, nDeleted: 0 });
      const batch = reply.cursor.firstBatch;
      expect(batch.map((r: { idx: number; ok: number }) => [r.idx, r.ok])).toEqual([[0, 1], [1, 1], [2, 1], [3, 0]]);
      expect(batch[3].code).toBe(11000);
      expect(await c8.db('bw').collection('b').countDocuments()).toBe(1);
    } finally {
      await c8.close();
    }
  });
});
