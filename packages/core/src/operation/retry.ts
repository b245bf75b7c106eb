/**
 * The Retryable Reads and Retryable Writes specs' loop around one operation: select
 * a server, assign the transaction number, attempt, and on a retryable error (or a
 * retryable writeConcernError in an ok reply) select again (deprioritizing the
 * failed mongos) and attempt once more. The rules it applies are retryability.ts's.
 */
import { MongoServerError } from '../errors.js';
import type { Server, Topology } from '../sdam/topology.js';
import { TopologyType } from '../sdam/topology-description.js';
import { SelectionOperation, type SelectionCriteria } from '../selection/select-servers.js';
import type { ExecuteOptions, ExecuteResult } from './executor.js';
import {
  errorToSurface,
  isRetryableReadError,
  isRetryableWriteError,
  labelRetryableWriteError,
  supportsRetryableWrites,
} from './retryability.js';

export interface RetryableOperation {
  readonly topology: Pick<Topology, 'selectServer' | 'description'>;
  readonly options: Pick<ExecuteOptions, 'retryable' | 'readPreference' | 'session' | 'moreToCome' | 'signal'>;
  /** The client's retryReads / retryWrites. */
  readonly retryReads: boolean;
  readonly retryWrites: boolean;
  /** One attempt on `server`; `txnNumber` is the retryable write's (undefined otherwise). */
  attempt(server: Server, txnNumber: unknown): Promise<ExecuteResult>;
}

export async function executeWithRetry(op: RetryableOperation): Promise<ExecuteResult> {
  const { topology, options } = op;
  const signal = { signal: options.signal };
  const isWrite = options.retryable === 'write';
  let retry = isWrite ? op.retryWrites && !options.moreToCome : options.retryable === 'read' && op.retryReads;
  const criteria: SelectionCriteria = {
    readPreference: options.readPreference,
    operation: isWrite ? SelectionOperation.write : SelectionOperation.read,
  };
  /** One attempt; a write's error gets the RetryableWriteError label the driver must add. */
  const attempt = async (server: Server): Promise<ExecuteResult> => {
    // The wire version of the server as selected: a failed attempt may turn its live
    // description Unknown (maxWireVersion 0) before the error is labelled.
    const wireVersion = server.description.maxWireVersion;
    try {
      return await op.attempt(server, txnNumber);
    } catch (e) {
      if (isWrite && retry) labelRetryableWriteError(e, wireVersion);
      throw e;
    }
  };
  const first = await topology.selectServer(criteria, signal);
  let txnNumber: unknown;
  if (isWrite && retry) {
    if (options.session && supportsRetryableWrites(first.description)) {
      options.session.incrementTransactionNumber();
      txnNumber = options.session.txnNumber;
    } else {
      retry = false;
    }
  }
  let firstError: unknown;
  try {
    const result = await attempt(first);
    // An ok reply whose writeConcernError is labelled retryable is retried like an error.
    const wceError = isWrite && retry && result.reply.writeConcernError !== undefined ? new MongoServerError(result.reply) : undefined;
    if (!wceError || !isRetryableWriteError(wceError)) return result;
    firstError = wceError;
  } catch (e) {
    if (!retry || !(isWrite ? isRetryableWriteError(e) : isRetryableReadError(e))) throw e;
    firstError = e;
  }
  // One retry, on a fresh selection (avoiding the failed mongos when others exist).
  let second: Server;
  try {
    const deprioritized = topology.description.type === TopologyType.Sharded ? [first.address] : [];
    second = await topology.selectServer({ ...criteria, deprioritized }, signal);
  } catch {
    throw firstError;
  }
  if (isWrite && !supportsRetryableWrites(second.description)) throw firstError;
  try {
    return await attempt(second);
  } catch (e) {
    throw errorToSurface(firstError, e);
  }
}
