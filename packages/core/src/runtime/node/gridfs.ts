/**
 * GridFS with Node streams (as the official driver's GridFSBucket): the core bucket
 * (gridfs/bucket.ts) plus openUploadStream* returning a Writable and openDownloadStream*
 * returning a Readable of Buffers.
 */
import { Readable, Writable } from 'node:stream';
import {
  GridFSBucket as CoreGridFSBucket,
  type GridFSBucketReadStreamOptions,
  type GridFSBucketReadStreamOptionsWithRevision,
  type GridFSBucketWriteStreamOptions,
  type GridFSFile,
  type GridFSUpload,
} from '../../gridfs/bucket.js';

/** An upload as a Node Writable; 'finish' is emitted once the files document is written. */
export class GridFSBucketWriteStream extends Writable {
  readonly id: any;
  readonly filename: string;
  readonly #upload: GridFSUpload;

  constructor(upload: GridFSUpload) {
    super({ decodeStrings: true });
    this.#upload = upload;
    this.id = upload.id;
    this.filename = upload.filename;
  }

  /** The files document, once 'finish' was emitted. */
  get gridFSFile(): GridFSFile | null {
    return this.#upload.gridFSFile;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#upload.write(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#upload.close().then(() => callback(), callback);
  }

  /** Stop the upload and delete the chunks written so far. */
  async abort(): Promise<void> {
    await this.#upload.abort();
    this.destroy();
  }
}

/** A download as a Node Readable of Buffers. */
export class GridFSBucketReadStream extends Readable {
  readonly #open: () => Promise<AsyncGenerator<Uint8Array, void, void>>;
  #source: AsyncGenerator<Uint8Array, void, void> | undefined;

  constructor(open: () => Promise<AsyncGenerator<Uint8Array, void, void>>) {
    super();
    this.#open = open;
  }

  override _read(): void {
    (async () => {
      this.#source ??= await this.#open();
      const { value, done } = await this.#source.next();
      if (done) this.push(null);
      else this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    })().catch((error: Error) => this.destroy(error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const source = this.#source;
    if (!source) return callback(error);
    source.return().then(
      () => callback(error),
      () => callback(error),
    );
  }

  /** Stop reading (closes the chunks cursor). */
  async abort(): Promise<void> {
    this.destroy();
  }
}

export class GridFSBucket extends CoreGridFSBucket {
  openUploadStream(filename: string, options: GridFSBucketWriteStreamOptions = {}): GridFSBucketWriteStream {
    return new GridFSBucketWriteStream(this.startUpload(filename, options));
  }

  openUploadStreamWithId(id: any, filename: string, options: GridFSBucketWriteStreamOptions = {}): GridFSBucketWriteStream {
    return new GridFSBucketWriteStream(this.startUpload(filename, { ...options, id }));
  }

  openDownloadStream(id: any, options: GridFSBucketReadStreamOptions = {}): GridFSBucketReadStream {
    return new GridFSBucketReadStream(async () => this.openDownload(id, options));
  }

  openDownloadStreamByName(filename: string, options: GridFSBucketReadStreamOptionsWithRevision = {}): GridFSBucketReadStream {
    return new GridFSBucketReadStream(async () => this.openDownloadByName(filename, options));
  }
}
