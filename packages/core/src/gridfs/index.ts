/**
 * Entry '@mongo-edge/core/gridfs': GridFS on WHATWG streams, for every runtime (browsers,
 * Workers, Deno, Node). A subpath of its own so the main entries (and the browser bundle)
 * do not carry it. The Node entry exports a GridFSBucket with Node streams instead.
 */
export { GridFSBucket, GridFSUpload, MongoGridFSChunkError, MongoGridFSStreamError } from './bucket.js';
export type {
  GridFSBucketOptions,
  GridFSFile,
  GridFSChunk,
  GridFSBucketWriteStreamOptions,
  GridFSBucketReadStreamOptions,
  GridFSBucketReadStreamOptionsWithRevision,
} from './bucket.js';
