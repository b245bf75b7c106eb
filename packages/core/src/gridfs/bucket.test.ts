/** GridFS on WHATWG streams (the platform-neutral half), against a sim. */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from '../runtime/node/index.js';
import { MongoRuntimeError } from '../errors.js';
import { GridFSBucket, MongoGridFSChunkError } from './bucket.js';

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('GridFSBucket (web streams)', () => {
  let sim: SimHandle;
  let client: MongoClient;
  beforeAll(async () => {
    sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
    client = new MongoClient(sim.uri);
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('uploads in chunkSize pieces and downloads whole files and byte ranges', async () => {
    const bucket = new GridFSBucket(client.db('gridfs_web'), { chunkSizeBytes: 5 });
    const data = new Uint8Array(23).map((_, i) => i);
    const upload = bucket.openUploadWebStream('bytes.bin', { contentType: 'application/octet-stream' });
    const writer = upload.getWriter();
    await writer.write(data.subarray(0, 7));
    await writer.write(data.subarray(7));
    await writer.close();
    expect(upload.upload.gridFSFile).toMatchObject({ _id: upload.id, length: 23, chunkSize: 5, filename: 'bytes.bin', contentType: 'application/octet-stream' });
    const chunks = await bucket.chunks.find({ files_id: upload.id }).sort({ n: 1 }).toArray();
    expect(chunks.map((c) => [c.n, c.data.length()])).toEqual([[0, 5], [1, 5], [2, 5], [3, 5], [4, 3]]);
    expect(await bytesOf(bucket.openDownloadWebStream(upload.id))).toEqual(data);
    expect(await bytesOf(bucket.openDownloadWebStream(upload.id, { start: 3, end: 12 }))).toEqual(data.subarray(3, 12));
    expect(await bytesOf(bucket.openDownloadWebStreamByName('bytes.bin'))).toEqual(data);
  });

  it('reports a missing chunk as MongoGridFSChunkError', async () => {
    const bucket = new GridFSBucket(client.db('gridfs_web'), { bucketName: 'broken', chunkSizeBytes: 4 });
    const upload = bucket.openUploadWebStream('gap.bin');
    const writer = upload.getWriter();
    await writer.write(new Uint8Array(12));
    await writer.close();
    await bucket.chunks.deleteOne({ files_id: upload.id, n: 1 });
    await expect(bytesOf(bucket.openDownloadWebStream(upload.id))).rejects.toBeInstanceOf(MongoGridFSChunkError);
  });

  it('renameByName and deleteByName act on every revision of a name, and refuse a missing name', async () => {
    const bucket = new GridFSBucket(client.db('gridfs_web'), { bucketName: 'byname', chunkSizeBytes: 4 });
    const put = async (name: string, size: number): Promise<unknown> => {
      const upload = bucket.openUploadWebStream(name);
      const writer = upload.getWriter();
      await writer.write(new Uint8Array(size));
      await writer.close();
      return upload.id;
    };
    await put('a', 6);
    await put('a', 3);
    const other = await put('b', 5);
    await bucket.renameByName('a', 'c');
    expect((await bucket.find({}, { sort: { filename: 1 } }).toArray()).map((f) => f.filename)).toEqual(['b', 'c', 'c']);
    await bucket.deleteByName('c');
    expect((await bucket.find({}).toArray()).map((f) => f.filename)).toEqual(['b']);
    expect((await bucket.chunks.find({}).toArray()).every((c) => String(c.files_id) === String(other))).toBe(true);
    await expect(bucket.deleteByName('c')).rejects.toBeInstanceOf(MongoRuntimeError);
    await expect(bucket.renameByName('missing', 'x')).rejects.toBeInstanceOf(MongoRuntimeError);
  });
});
