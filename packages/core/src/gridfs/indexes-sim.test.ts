/**
 * GridFS "Before write operations" against a sim: the commands of a bucket's first write
 * (findOne on files, then listIndexes and createIndexes for each missing index), none on
 * later writes, existing indexes recognised by value, and all of it under the upload's one
 * CSOT deadline. Fail points block far past the timeout, or (the one-deadline case) each
 * for under it and together for more: no assertion depends on the machine's speed.
 */
import { Double } from 'bson';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MongoClient } from '../runtime/node/index.js';
import { startFailPointSim, type FailPointSim } from '../../test/support/fail-point-sim.js';
import { MongoOperationTimeoutError } from '../errors.js';
import { GridFSBucket } from './bucket.js';

type Doc = Record<string, unknown>;

describe('GridFS index check before the first write', () => {
  let fixture: FailPointSim;
  let admin: MongoClient;
  let db = 0;
  const newClient = (options: Doc = {}) =>
    fixture.newClient('', options, (e) => (e.commandName !== 'hello' && e.commandName !== 'endSessions' ? { name: e.commandName, command: e.command } : undefined));
  const names = (started: Doc[]): string[] => started.map((c) => `${String(c.name)} ${String(Object.values(c.command as Doc)[0])}`);
  const upload = async (bucket: GridFSBucket, options: { timeoutMS?: number } = {}): Promise<void> => {
    const writer = bucket.openUploadWebStream('f.bin', options).getWriter();
    await writer.write(new Uint8Array([1, 2, 3]));
    await writer.close();
  };
  const failPoint = (data: Doc, times = 1) => fixture.failPoint(data, times);

  beforeAll(async () => {
    fixture = await startFailPointSim();
    admin = fixture.admin;
  });
  beforeEach(async () => {
    db += 1;
    await fixture.failPointOff();
  });
  afterAll(() => fixture?.close());

  it('an empty bucket: findOne { _id: 1 }, then listIndexes and createIndexes on files and on chunks; the next upload checks nothing', async () => {
    const { client, started } = newClient();
    const bucket = new GridFSBucket(client.db(`gi${db}`));
    await upload(bucket);
    expect(names(started)).toEqual([
      'find fs.files',
      'listIndexes fs.files',
      'createIndexes fs.files',
      'listIndexes fs.chunks',
      'createIndexes fs.chunks',
      'insert fs.chunks',
      'insert fs.files',
    ]);
    const find = started[0]!.command as Doc;
    expect(find.projection).toEqual({ _id: 1 });
    expect((started[4]!.command as { indexes: Doc[] }).indexes[0]).toMatchObject({ key: { files_id: 1, n: 1 }, unique: true });
    started.length = 0;
    await upload(bucket);
    expect(names(started)).toEqual(['insert fs.chunks', 'insert fs.files']);
  });

  it('indexes that exist (directions stored as doubles) are not created again', async () => {
    const { client, started } = newClient();
    const name = `gi${db}`;
    await admin.db(name).collection('fs.files').createIndex({ filename: new Double(1), uploadDate: new Double(1) } as never);
    await admin.db(name).collection('fs.chunks').createIndex({ files_id: new Double(1), n: new Double(1) } as never, { unique: true });
    await upload(new GridFSBucket(client.db(name)));
    expect(names(started)).toEqual(['find fs.files', 'listIndexes fs.files', 'listIndexes fs.chunks', 'insert fs.chunks', 'insert fs.files']);
  });

  it('a files collection with documents: no index check at all', async () => {
    const { client, started } = newClient();
    const name = `gi${db}`;
    await admin.db(name).collection('fs.files').insertOne({ _id: 'x' } as never);
    await upload(new GridFSBucket(client.db(name)));
    expect(names(started)).toEqual(['find fs.files', 'insert fs.chunks', 'insert fs.files']);
  });

  it('timeoutMS: a listIndexes blocked past the deadline fails the upload with MongoOperationTimeoutError', async () => {
    const { client } = newClient();
    const bucket = new GridFSBucket(client.db(`gi${db}`));
    await client.connect();
    await failPoint({ failCommands: ['listIndexes'], blockConnection: true, blockTimeMS: 10_000 });
    await expect(upload(bucket, { timeoutMS: 300 })).rejects.toBeInstanceOf(MongoOperationTimeoutError);
  });

  it('timeoutMS: one deadline for the whole upload (the find and the listIndexes each under it, together over)', async () => {
    const { client } = newClient();
    const bucket = new GridFSBucket(client.db(`gi${db}`));
    await client.connect();
    await failPoint({ failCommands: ['find', 'listIndexes'], blockConnection: true, blockTimeMS: 1200 }, 2);
    await expect(upload(bucket, { timeoutMS: 2000 })).rejects.toBeInstanceOf(MongoOperationTimeoutError);
  });
});
