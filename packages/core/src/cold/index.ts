/**
 * Everything the client loads on first use (util/lazy.ts), in one module so a split build
 * makes one lazy chunk of it. One chunk rather than one per feature: esbuild gives every
 * module that the entry and a lazy chunk share a chunk of its own per combination of users,
 * and each extra file the entry must load up front costs gzip context (measured: six files
 * instead of two cost 1.3 KB more gzip than the bytes moved out saved). Nothing in the
 * public barrel (index.ts) may import these modules, or they stay in the entry. Not here: what
 * an error path needs (selection explanations: a timed-out selection must not wait for a load;
 * with 10,000 members connecting it waited 66 s).
 */
export { monitorCommand } from '../operation/command-events.js';
export { resolveSrvConnectionString } from '../uri/srv.js';
export { defaultAuthenticator } from '../connection/auth/authenticator.js';
export { executeBulk } from '../client/bulk-execute.js';
export { abortTransaction, commitTransaction, withTransaction } from '../client/transaction-end.js';
export { newChangeStreamEngine } from '../change-stream/engine.js';
export {
  count,
  countDocuments,
  createIndex,
  createIndexes,
  createSearchIndexes,
  cursorCount,
  distinct,
  drop,
  dropSearchIndex,
  estimatedDocumentCount,
  findAndModify,
  indexExists,
  indexInformation,
  options,
  rename,
  updateSearchIndex,
} from '../client/collection-cold.js';
export { collections, createCollection, dbStats, dropDatabase, removeUser } from '../client/db-cold.js';
export { readTlsFiles } from '../operation/tls-file-read.js';
export { executeClientBulkWrite } from '../client/client-bulk-write.js';
export { RequestScopes } from '../transport/request-scopes.js';
