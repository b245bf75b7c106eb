/**
 * GridFS (the GridFS spec): files stored as `<bucket>.files` documents ({ _id, length,
 * chunkSize, uploadDate, filename, metadata? }) plus `<bucket>.chunks` ({ _id, files_id,
 * n, data }). Platform-neutral: uploads are WHATWG WritableStreams and downloads WHATWG
 * ReadableStreams of Uint8Array; the Node entry wraps them in Node streams
 * (runtime/node/gridfs.ts). Not part of the browser bundle's first load: imported
 * from this module (or the Node entry) only.
 */
import { Binary, ObjectId } from 'bson';
import { MongoAPIError, MongoRuntimeError, type Document } from '../errors.js';
import type { Collection } from '../client/collection.js';
import type { Db } from '../client/db.js';
import type { FindCursor, FindOptions } from '../client/find-cursor.js';
import type { WriteConcernLike } from '../client/concerns.js';
import type { ReadPreferenceLike } from '../selection/read-preference.js';
import type { Filter } from '../client/types.js';
import { monotonicNow, startBudget, type OperationBudget } from '../operation/timeout.js';
import { isNamespaceNotFound } from '../client/operation.js';
import { CHUNKS_INDEX, FILES_INDEX, hasIndex } from './indexes.js';

export interface GridFSBucketOptions {
  /** Collection prefix (default 'fs'). */
  bucketName?: string;
  /** Default 255 KiB. */
  chunkSizeBytes?: number;
  writeConcern?: WriteConcernLike;
  readPreference?: ReadPreferenceLike;
  /** Client Side Operations Timeout of the bucket's operations (over the Db's; 0 = none). */
  timeoutMS?: number;
}

/** CSOT for one GridFS operation: its whole work (every command) runs under this timeoutMS. */
export interface GridFSTimeoutOptions {
  timeoutMS?: number;
}

export interface GridFSFile {
  _id: any;
  length: number;
  chunkSize: number;
  filename: string;
  metadata?: Document;
  uploadDate: Date;
  contentType?: string;
  aliases?: string[];
}

export interface GridFSChunk {
  _id: ObjectId;
  files_id: any;
  n: number;
  data: Binary;
}

export interface GridFSBucketWriteStreamOptions {
  id?: any;
  chunkSizeBytes?: number;
  metadata?: Document;
  contentType?: string;
  aliases?: string[];
  /** CSOT: the whole upload (index check, every chunk, the files document) under one deadline. */
  timeoutMS?: number;
}

export interface GridFSBucketReadStreamOptions {
  /** First byte to return (default 0). */
  start?: number;
  /** Byte after the last one to return (default: the file's length). */
  end?: number;
  /** CSOT: the whole download (files document and every chunk) under one deadline. */
  timeoutMS?: number;
}

export interface GridFSBucketReadStreamOptionsWithRevision extends GridFSBucketReadStreamOptions {
  /** 0 = the first upload of the name, 1 the second, ...; -1 (default) the latest, -2 the one before. */
  revision?: number;
}

const DEFAULT_CHUNK_SIZE = 255 * 1024;

/** A file's chunks (or its document) are not where the spec says they must be. */
export class MongoGridFSChunkError extends MongoRuntimeError {
  override get name(): string {
    return 'MongoGridFSChunkError';
  }
}

export class MongoGridFSStreamError extends MongoRuntimeError {
  override get name(): string {
    return 'MongoGridFSStreamError';
  }
}

/** One upload in progress: buffers to whole chunks, inserts each; the files document last. */
export class GridFSUpload {
  readonly id: any;
  readonly filename: string;
  /** The files document, once the upload is complete. */
  gridFSFile: GridFSFile | null = null;
  readonly #bucket: GridFSBucket;
  readonly #chunkSize: number;
  readonly #options: GridFSBucketWriteStreamOptions;
  readonly #buffer: Uint8Array;
  /** CSOT: the upload's one deadline, spread over its commands. */
  readonly #budget: OperationBudget;
  #buffered = 0;
  #n = 0;
  #length = 0;
  #done = false;

  constructor(bucket: GridFSBucket, filename: string, options: GridFSBucketWriteStreamOptions = {}) {
    this.#bucket = bucket;
    this.filename = filename;
    this.id = options.id ?? new ObjectId();
    this.#options = options;
    this.#chunkSize = options.chunkSizeBytes ?? bucket.chunkSizeBytes;
    if (!Number.isInteger(this.#chunkSize) || this.#chunkSize <= 0) throw new MongoAPIError('chunkSizeBytes must be a positive integer');
    this.#buffer = new Uint8Array(this.#chunkSize);
    this.#budget = bucket.budget(options.timeoutMS);
  }

  async write(bytes: Uint8Array | string): Promise<void> {
    if (this.#done) throw new MongoAPIError('this upload has ended');
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    await this.#bucket.ensureIndexes(this.#budget);
    let offset = 0;
    while (offset < data.length) {
      const n = Math.min(this.#chunkSize - this.#buffered, data.length - offset);
      this.#buffer.set(data.subarray(offset, offset + n), this.#buffered);
      this.#buffered += n;
      offset += n;
      this.#length += n;
      if (this.#buffered === this.#chunkSize) await this.#flush();
    }
  }

  async #flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const chunk: GridFSChunk = { _id: new ObjectId(), files_id: this.id, n: this.#n, data: new Binary(this.#buffer.slice(0, this.#buffered)) };
    this.#buffered = 0;
    this.#n += 1;
    await this.#bucket.chunks.insertOne(chunk, timeoutOption(this.#budget, 'GridFS upload'));
  }

  /** Write the last chunk and the files document. */
  async close(): Promise<GridFSFile> {
    if (this.gridFSFile) return this.gridFSFile;
    await this.#bucket.ensureIndexes(this.#budget);
    await this.#flush();
    this.#done = true;
    const file: GridFSFile = { _id: this.id, length: this.#length, chunkSize: this.#chunkSize, uploadDate: new Date(), filename: this.filename };
    const { metadata, contentType, aliases } = this.#options;
    if (contentType !== undefined) file.contentType = contentType;
    if (aliases !== undefined) file.aliases = aliases;
    if (metadata !== undefined) file.metadata = metadata;
    await this.#bucket.files.insertOne(file, timeoutOption(this.#budget, 'GridFS upload'));
    this.gridFSFile = file;
    return file;
  }

  /** Give up: remove the chunks written so far. */
  async abort(): Promise<void> {
    if (this.#done) throw new MongoAPIError('Cannot call abort() on a stream twice');
    this.#done = true;
    await this.#bucket.chunks.deleteMany({ files_id: this.id }, timeoutOption(this.#budget, 'GridFS upload abort'));
  }
}

/** `{ timeoutMS }` for the next command of a budgeted operation (nothing when it has no timeoutMS). */
function timeoutOption(budget: OperationBudget, step: string): { timeoutMS?: number } {
  const timeoutMS = budget.next(step);
  return timeoutMS === undefined ? {} : { timeoutMS };
}

export class GridFSBucket {
  readonly db: Db;
  readonly bucketName: string;
  readonly chunkSizeBytes: number;
  readonly files: Collection<GridFSFile>;
  readonly chunks: Collection<GridFSChunk>;
  #indexes: Promise<void> | undefined;

  constructor(db: Db, options: GridFSBucketOptions = {}) {
    this.db = db;
    this.bucketName = options.bucketName ?? 'fs';
    this.chunkSizeBytes = options.chunkSizeBytes ?? DEFAULT_CHUNK_SIZE;
    const collOptions = {
      ...(options.writeConcern ? { writeConcern: options.writeConcern } : {}),
      ...(options.readPreference ? { readPreference: options.readPreference } : {}),
      ...(options.timeoutMS !== undefined ? { timeoutMS: options.timeoutMS } : {}),
    };
    this.files = db.collection<GridFSFile>(`${this.bucketName}.files`, collOptions);
    this.chunks = db.collection<GridFSChunk>(`${this.bucketName}.chunks`, collOptions);
  }

  /** CSOT: one deadline for an operation of this bucket (`timeoutMS`, else the bucket's). */
  budget(timeoutMS: number | undefined): OperationBudget {
    return startBudget(timeoutMS ?? this.files.timeoutMS, monotonicNow);
  }

  /**
   * The spec's "Before write operations": before the first write of this bucket, if the files
   * collection is empty (findOne with projection `{ _id: 1 }`, primary), each index that
   * listIndexes does not show is created (files, then chunks). Every command is the operation's:
   * under its one deadline (`budget`).
   */
  ensureIndexes(budget: OperationBudget = this.budget(undefined)): Promise<void> {
    this.#indexes ??= (async () => {
      const any = await this.files.findOne({}, { projection: { _id: 1 }, readPreference: 'primary', ...timeoutOption(budget, 'GridFS index check') });
      if (any) return;
      if (!hasIndex(await this.#indexesOf(this.files, budget), FILES_INDEX)) {
        await this.files.createIndex({ ...FILES_INDEX }, timeoutOption(budget, 'GridFS index creation'));
      }
      if (!hasIndex(await this.#indexesOf(this.chunks, budget), CHUNKS_INDEX)) {
        await this.chunks.createIndex({ ...CHUNKS_INDEX }, { unique: true, ...timeoutOption(budget, 'GridFS index creation') });
      }
    })().catch((error: unknown) => {
      this.#indexes = undefined;
      throw error;
    });
    return this.#indexes;
  }

  /** The collection's indexes (none when it does not exist yet). */
  async #indexesOf(collection: Collection<any>, budget: OperationBudget): Promise<Document[]> {
    try {
      return await collection.listIndexes(timeoutOption(budget, 'GridFS index check')).toArray();
    } catch (error) {
      if (isNamespaceNotFound(error)) return [];
      throw error;
    }
  }

  /** Start an upload (the Node entry returns a Writable; here a WHATWG WritableStream is built by openUploadWebStream). */
  startUpload(filename: string, options: GridFSBucketWriteStreamOptions = {}): GridFSUpload {
    return new GridFSUpload(this, filename, options);
  }

  /** A WritableStream of bytes into a new file; `upload.gridFSFile` is set once the stream is closed. */
  openUploadWebStream(filename: string, options: GridFSBucketWriteStreamOptions = {}): WritableStream<Uint8Array | string> & { readonly upload: GridFSUpload; readonly id: any } {
    const upload = this.startUpload(filename, options);
    const stream = new WritableStream<Uint8Array | string>({
      write: (chunk) => upload.write(chunk),
      close: async () => {
        await upload.close();
      },
      abort: () => upload.abort(),
    });
    return Object.assign(stream, { upload, id: upload.id });
  }

  /** The files documents matching `filter`. */
  find(filter: Filter<GridFSFile> = {}, options: FindOptions = {}): FindCursor<GridFSFile> {
    return this.files.find(filter, options) as FindCursor<GridFSFile>;
  }

  /** The files document of `id` (a MongoRuntimeError if there is none, worded as the official driver's). */
  async fileById(id: any, budget: OperationBudget = this.budget(undefined)): Promise<GridFSFile> {
    const file = await this.files.findOne({ _id: id }, timeoutOption(budget, 'GridFS download'));
    if (!file) throw new MongoRuntimeError(`FileNotFound: file ${String(id)} was not found`);
    return file as GridFSFile;
  }

  /** The files document of a revision of `filename`. */
  async fileByName(filename: string, revision = -1, budget: OperationBudget = this.budget(undefined)): Promise<GridFSFile> {
    const skip = revision >= 0 ? revision : -revision - 1;
    const files = await this.files.find({ filename }, { sort: { uploadDate: revision >= 0 ? 1 : -1 }, skip, limit: 1, ...timeoutOption(budget, 'GridFS download') }).toArray();
    if (files.length === 0) {
      throw new MongoRuntimeError(`FileNotFound: file ${filename} was not found`);
    }
    return files[0] as GridFSFile;
  }

  /** The bytes of `file`, chunk by chunk (checked: consecutive n, full chunks but the last). */
  async *download(file: GridFSFile, options: GridFSBucketReadStreamOptions = {}, budget: OperationBudget = this.budget(options.timeoutMS)): AsyncGenerator<Uint8Array, void, void> {
    const start = options.start ?? 0;
    const end = options.end ?? file.length;
    if (start < 0 || end > file.length || start > end) throw new MongoAPIError(`Stream start (${start}) and end (${end}) must be within the file's ${file.length} bytes`);
    if (file.length === 0 || start === end) return;
    const size = file.chunkSize;
    const first = Math.floor(start / size);
    const last = Math.ceil(end / size) - 1;
    // The cursor's lifetime (its find and every getMore) is what remains of the download's deadline.
    const cursor = this.chunks.find({ files_id: file._id, n: { $gte: first, $lte: last } }, { sort: { n: 1 }, ...timeoutOption(budget, 'GridFS download') });
    try {
      let expected = first;
      for await (const chunk of cursor) {
        if (chunk.n !== expected) throw new MongoGridFSChunkError(`ChunkIsMissing: Got unexpected n: ${chunk.n}, expected: ${expected}`);
        const bytes = chunk.data.buffer instanceof Uint8Array ? chunk.data.buffer : new Uint8Array(chunk.data.buffer as ArrayBufferLike);
        const want = expected === Math.ceil(file.length / size) - 1 ? file.length - expected * size : size;
        if (bytes.length !== want) throw new MongoGridFSChunkError(`ChunkIsWrongSize: Got unexpected length: ${bytes.length}, expected: ${want}`);
        const from = expected === first ? start - first * size : 0;
        const to = expected === last ? end - last * size : bytes.length;
        expected += 1;
        yield bytes.subarray(from, to);
      }
      if (expected !== last + 1) throw new MongoGridFSChunkError(`ChunkIsMissing: Got unexpected n: ${expected}, expected: ${last + 1}`);
    } finally {
      await cursor.close();
    }
  }

  /** A ReadableStream of the file `id`'s bytes. */
  openDownloadWebStream(id: any, options: GridFSBucketReadStreamOptions = {}): ReadableStream<Uint8Array> {
    return bytesStream(async () => this.openDownload(id, options));
  }

  openDownloadWebStreamByName(filename: string, options: GridFSBucketReadStreamOptionsWithRevision = {}): ReadableStream<Uint8Array> {
    return bytesStream(async () => this.openDownloadByName(filename, options));
  }

  /** The bytes of file `id`: its files document and its chunks under one deadline (options.timeoutMS). */
  async openDownload(id: any, options: GridFSBucketReadStreamOptions = {}): Promise<AsyncGenerator<Uint8Array, void, void>> {
    const budget = this.budget(options.timeoutMS);
    return this.download(await this.fileById(id, budget), options, budget);
  }

  async openDownloadByName(filename: string, options: GridFSBucketReadStreamOptionsWithRevision = {}): Promise<AsyncGenerator<Uint8Array, void, void>> {
    const budget = this.budget(options.timeoutMS);
    return this.download(await this.fileByName(filename, options.revision, budget), options, budget);
  }

  /** Delete the file and its chunks (a MongoRuntimeError if there was no such file; its chunks are deleted anyway). */
  async delete(id: any, options: GridFSTimeoutOptions = {}): Promise<void> {
    const budget = this.budget(options.timeoutMS);
    const { deletedCount } = await this.files.deleteOne({ _id: id }, timeoutOption(budget, 'GridFS delete'));
    await this.chunks.deleteMany({ files_id: id }, timeoutOption(budget, 'GridFS delete'));
    if (deletedCount === 0) throw new MongoRuntimeError(`File not found for id ${String(id)}`);
  }

  async rename(id: any, filename: string, options: GridFSTimeoutOptions = {}): Promise<void> {
    const { matchedCount } = await this.files.updateOne({ _id: id }, { $set: { filename } }, timeoutOption(this.budget(options.timeoutMS), 'GridFS rename'));
    if (matchedCount === 0) throw new MongoRuntimeError(`File with id ${String(id)} not found`);
  }

  /**
   * Delete every revision of `filename` and their chunks (a MongoRuntimeError if there is
   * no file of that name).
   */
  async deleteByName(filename: string): Promise<void> {
    const files = await this.files.find({ filename }, { projection: { _id: 1 } }).toArray();
    if (files.length === 0) throw new MongoRuntimeError(`File with name ${filename} not found`);
    const ids = files.map((f) => f._id);
    await this.files.deleteMany({ _id: { $in: ids } });
    await this.chunks.deleteMany({ files_id: { $in: ids } });
  }

  /** Rename every revision of `filename` (a MongoRuntimeError if there is no file of that name). */
  async renameByName(filename: string, newFilename: string): Promise<void> {
    const { matchedCount } = await this.files.updateMany({ filename }, { $set: { filename: newFilename } });
    if (matchedCount === 0) throw new MongoRuntimeError(`File with name ${filename} not found`);
  }

  /** Drop both collections. */
  async drop(options: GridFSTimeoutOptions = {}): Promise<void> {
    const budget = this.budget(options.timeoutMS);
    await this.files.drop(timeoutOption(budget, 'GridFS drop'));
    await this.chunks.drop(timeoutOption(budget, 'GridFS drop'));
    this.#indexes = undefined;
  }
}

function bytesStream(open: () => Promise<AsyncGenerator<Uint8Array, void, void>>): ReadableStream<Uint8Array> {
  let source: AsyncGenerator<Uint8Array, void, void> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          source ??= await open();
          const { value, done } = await source.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        await source?.return();
      },
    },
    { highWaterMark: 0 },
  );
}
