/**
 * A write outside any transaction to a document an open transaction has written waits
 * for that transaction to end, as on mongod 7.0: the storage engine answers the write
 * with a write conflict and mongod retries it internally (writeConflictRetry) until the
 * transaction commits or aborts, bounded by the operation's maxTimeMS. Then the write
 * runs on the committed (or restored) document.
 *
 * The live engine's write guard (installed by txn/transactions.ts) throws
 * TransactionConflict before anything changes; a write statement (commands/crud.ts)
 * catches it, waits with `waitOut`, and runs the statement again. A writer that does not
 * wait sees the error as what it is, a WriteConflict.
 */
import { CommandError, ErrorCode } from '../errors.js';
import { WRITE_CONFLICT_MESSAGE } from './snapshot-engine.js';

export class TransactionConflict extends CommandError {
  constructor(
    /** Resolves when the transaction holding the document commits or aborts. */
    readonly ended: Promise<void>,
    /** When that transaction outlives transactionLifetimeLimitSeconds (ms since epoch): it is aborted then. */
    readonly expiresAt: number,
  ) {
    super(ErrorCode.WriteConflict, WRITE_CONFLICT_MESSAGE);
  }
}

/** The deadline of a write from its maxTimeMS (Infinity without one). */
export function writeDeadline(maxTimeMS: unknown, now = Date.now()): number {
  return typeof maxTimeMS === 'number' && maxTimeMS > 0 ? now + maxTimeMS : Infinity;
}

/**
 * Waits until the conflicting transaction ends, or it outlives its lifetime (the retried
 * write's guard sweeps it away), or the connection closes. MaxTimeMSExpired when the
 * write's deadline comes first.
 */
export async function waitOut(conflict: TransactionConflict, deadline: number, signal?: AbortSignal): Promise<void> {
  const now = Date.now();
  if (now >= deadline) throw new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit');
  const until = Math.min(deadline, Math.max(conflict.expiresAt, now) + 1);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      conflict.ended,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, until - now);
      }),
      new Promise<void>((resolve) => {
        onAbort = resolve;
        if (signal?.aborted) resolve();
        else signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw new CommandError(ErrorCode.Interrupted, 'operation was interrupted because a client disconnected');
  if (Date.now() >= deadline) throw new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit');
}
