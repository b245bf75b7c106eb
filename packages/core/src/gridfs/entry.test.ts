/**
 * The '@mongo-edge/core/gridfs' entry as a browser or Worker imports it: GridFSBucket on
 * WHATWG streams with a client of the platform-neutral entry (its transport injected, as
 * a non-Node runtime does), against a sim.
 */
import { GridFSBucket, MongoGridFSChunkError, type GridFSFile } from '@mongo-edge/core/gridfs';
import { MongoClient } from '@mongo-edge/core';
import { TcpTransport } from '@mongo-edge/core/node';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe("'@mongo-edge/core/gridfs'", () => {
  let sim: SimHandle;
  let client: MongoClient;
  beforeAll(async () => {
    sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
    client = new MongoClient(sim.uri, { transport: new TcpTransport() });
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  it('uploads a web ReadableStream through openUploadWebStream and downloads it whole', async () => {
    const bucket = new GridFSBucket(client.db('gridfs_entry'), { chunkSizeBytes: 8 });
    const text = 'hello from a WHATWG stream, in several chunks';
    const source = new Blob([text]).stream();
    const upload = bucket.openUploadWebStream('hello.txt', { metadata: { from: 'entry' } });
    await source.pipeTo(upload);
    const files: GridFSFile[] = await bucket.find({ filename: 'hello.txt' }).toArray();
    expect(files.map((f) => [f.length, f.chunkSize, f.metadata])).toEqual([[text.length, 8, { from: 'entry' }]]);
    expect(await bucket.chunks.countDocuments({ files_id: upload.id })).toBe(Math.ceil(text.length / 8));
    expect(await new Response(bucket.openDownloadWebStreamByName('hello.txt')).text()).toBe(text);
    expect(await new Response(bucket.openDownloadWebStream(upload.id, { start: 6, end: 10 })).text()).toBe(text.slice(6, 10));
  });

  it('a download with a chunk missing fails with the MongoGridFSChunkError this entry exports', async () => {
    const bucket = new GridFSBucket(client.db('gridfs_entry'), { bucketName: 'gaps', chunkSizeBytes: 4 });
    const upload = bucket.openUploadWebStream('gap.bin');
    await new Blob([new Uint8Array(12)]).stream().pipeTo(upload);
    await bucket.chunks.deleteOne({ files_id: upload.id, n: 1 });
    await expect(new Response(bucket.openDownloadWebStream(upload.id)).arrayBuffer()).rejects.toBeInstanceOf(MongoGridFSChunkError);
  });
});
