// GridFS: upload with openUploadStream, download by id and by name, find, rename, delete, drop.
import { GridFSBucket, MongoClient } from 'mongodb';
import { ObjectId } from 'bson';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const db = client.db('files');
  const bucket = new GridFSBucket(db, { bucketName: 'docs', chunkSizeBytes: 8 });
  const text = 'The quick brown fox jumps over the lazy dog';
  const upload = bucket.openUploadStreamWithId(new ObjectId('65a1b2c3d4e5f60718293a4c'), 'fox.txt', { metadata: { lang: 'en' } });
  await pipeline(Readable.from([Buffer.from(text)]), upload);
  console.log(upload.id, upload.gridFSFile?.length, upload.gridFSFile?.chunkSize, upload.gridFSFile?.filename, upload.gridFSFile?.metadata);
  const seven = new ObjectId('65a1b2c3d4e5f60718293a47');
  const second = bucket.openUploadStreamWithId(seven, 'fox.txt');
  second.end('version two');
  await new Promise((resolve) => second.once('finish', resolve));
  console.log(await readAll(bucket.openDownloadStream(new ObjectId('65a1b2c3d4e5f60718293a4c'))));
  console.log(await readAll(bucket.openDownloadStreamByName('fox.txt')));
  console.log(await readAll(bucket.openDownloadStreamByName('fox.txt', { revision: 0 })));
  console.log(await readAll(bucket.openDownloadStream(new ObjectId('65a1b2c3d4e5f60718293a4c'), { start: 4, end: 19 })));
  const files = await bucket.find({}, { sort: { _id: -1 } }).toArray();
  console.log(files.map((f) => [f._id, f.filename, f.length, f.chunkSize, typeof f.uploadDate]));
  const chunks = await db.collection('docs.chunks').find({}, { projection: { _id: 0, n: 1, files_id: 1 } }).sort({ files_id: 1, n: 1 }).toArray();
  console.log(chunks.length, chunks[0], chunks[5]);
  console.log((await db.collection('docs.chunks').indexes()).map((i) => [i.name, i.unique ?? false]));
  console.log((await db.collection('docs.files').indexes()).map((i) => i.name));
  await bucket.rename(seven, 'fox-v2.txt');
  console.log((await bucket.find({ _id: seven }).toArray()).map((f) => f.filename));
  await bucket.delete(seven);
  console.log(await db.collection('docs.chunks').countDocuments({ files_id: seven }), await bucket.find().count());
  await bucket.delete(new ObjectId('65a1b2c3d4e5f60718293a99')).catch((e: Error) => console.log(e.name, e.message));
  await bucket.rename(new ObjectId('65a1b2c3d4e5f60718293a99'), 'x').catch((e: Error) => console.log(e.name, e.message));
  await readAll(bucket.openDownloadStream(new ObjectId('65a1b2c3d4e5f60718293a98'))).catch((e: Error) => console.log(e.name, e.message));
  await readAll(bucket.openDownloadStreamByName('nope.txt')).catch((e: Error) => console.log(e.name, e.message));
  await bucket.drop();
  console.log((await db.listCollections().toArray()).length);
} finally {
  await client.close();
}
console.log('done');
