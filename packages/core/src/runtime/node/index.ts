/**
 * Entry '@mongo-edge/core/node': everything from the platform-neutral core, plus the
 * Node.js-only pieces (TCP/TLS transport; DNS SRV lives in ./dns.ts).
 */
import { readFile } from 'node:fs/promises';
import type { Transport } from '../../transport/transport.js';
import { MongoClient as CoreMongoClient } from '../../client/mongo-client.js';
import type { MongoClientOptions } from '../../client/options.js';
import { nodeSrvResolver } from './dns.js';
import { TcpTransport, type TcpTransportOptions } from './tcp.js';
import { registerSectionBufferFactory } from '../../wire/section-buffer.js';
import { sectionWriterFactory } from '../../wire/section-writer.js';
import './streams.js';

// Bulk writes encode their documents in place on Node (a speed path; the same bytes).
registerSectionBufferFactory(sectionWriterFactory);

export * from '../../index.js';
export { NodeDnsResolver, nodeSrvResolver } from './dns.js';
export { TcpTransport, KEEP_ALIVE_INITIAL_DELAY_MS, tlsConnectOptions } from './tcp.js';
export type { TcpTransportOptions } from './tcp.js';
export { nodeCursorStream } from './streams.js';
export { MongoClientBulkWriteError, executeClientBulkWrite } from '../../client/client-bulk-write.js';
export { GridFSBucket, GridFSBucketReadStream, GridFSBucketWriteStream } from './gridfs.js';
export { MongoGridFSChunkError, MongoGridFSStreamError, GridFSUpload } from '../../gridfs/bucket.js';
export type {
  GridFSBucketOptions,
  GridFSFile,
  GridFSChunk,
  GridFSBucketWriteStreamOptions,
  GridFSBucketReadStreamOptions,
  GridFSBucketReadStreamOptionsWithRevision,
} from '../../gridfs/bucket.js';

/** The transport a Node MongoClient uses unless one is injected: direct TCP/TLS. */
export function defaultNodeTransport(options?: TcpTransportOptions): Transport {
  return new TcpTransport(options);
}

/**
 * The Node MongoClient: the core client with TCP/TLS as the default transport,
 * DNS SRV/TXT through node:dns, and tlsCAFile / tlsCertificateKeyFile read from
 * disk. `new MongoClient('mongodb://localhost:27017')` just works.
 */
export class MongoClient extends CoreMongoClient {
  constructor(url: string, options: MongoClientOptions = {}) {
    super(url, {
      // A factory: the client owns (and closes) the transport it makes; a `transport` passed in stays the caller's.
      transport: () => defaultNodeTransport(),
      srvResolver: nodeSrvResolver,
      tlsFileReader: (path: string) => readFile(path, 'utf8'),
      ...options,
    });
    // Unknown URI options and ignored values are warnings (URI Options spec): show them.
    for (const warning of this.options.warnings) process.emitWarning(warning, { code: 'MONGO_EDGE_URI_OPTION' });
  }
}
