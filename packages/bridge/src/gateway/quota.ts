/**
 * Per-principal quotas (docs/gateway.md "Quotas"), pure: (state, quota, now) -> a named
 * result. The service owns the state (one document window per principal) and counts.
 *
 * - `maxTransactionsPerPrincipal`: open transactions at once; a `startTransaction` over it is refused.
 * - `documentsPerWindow` / `quotaWindowSeconds`: documents returned plus documents written
 *   in a fixed window that starts at the principal's first counted command. A command is
 *   admitted while the window's count is below the quota; its documents are counted once
 *   it ran (their number is known only then), so the last admitted command may cross the
 *   quota by up to one batch. The next window starts the count again.
 */
import type { Document } from '@mongo-edge/core';
import { isPlainDocument } from './filter.js';

export interface DocumentQuota {
  readonly documentsPerWindow: number;
  readonly windowSeconds: number;
}

export interface DocumentWindow {
  /** Start of the window (ms). */
  readonly startMs: number;
  /** Documents counted in it so far. */
  readonly used: number;
}

export type QuotaDecision = { readonly allowed: true } | { readonly allowed: false; readonly quota: string; readonly message: string };

const ALLOWED: QuotaDecision = Object.freeze({ allowed: true });

/** The window as of `nowMs`: a new one once the old has run out (or a clock went back beyond its start). */
export function currentWindow(window: DocumentWindow | undefined, quota: DocumentQuota, nowMs: number): DocumentWindow {
  if (!window || nowMs - window.startMs >= quota.windowSeconds * 1000 || nowMs < window.startMs) return { startMs: nowMs, used: 0 };
  return window;
}

/** May the principal run another command that returns or writes documents? */
export function admitDocuments(window: DocumentWindow | undefined, quota: DocumentQuota, nowMs: number): QuotaDecision {
  const w = currentWindow(window, quota, nowMs);
  if (w.used < quota.documentsPerWindow) return ALLOWED;
  const resetIn = Math.max(1, Math.ceil((w.startMs + quota.windowSeconds * 1000 - nowMs) / 1000));
  return {
    allowed: false,
    quota: 'documentsPerWindow',
    message: `quota documentsPerWindow exceeded: ${w.used} of ${quota.documentsPerWindow} documents read or written in ${quota.windowSeconds} s (the window resets in ${resetIn} s)`,
  };
}

/** The window after a command returned or wrote `documents` documents. */
export function chargeDocuments(window: DocumentWindow | undefined, quota: DocumentQuota, documents: number, nowMs: number): DocumentWindow {
  const w = currentWindow(window, quota, nowMs);
  return { startMs: w.startMs, used: w.used + Math.max(0, documents) };
}

/** May the principal open one more transaction, with `open` open now? */
export function admitTransaction(open: number, maxTransactionsPerPrincipal: number | undefined): QuotaDecision {
  if (maxTransactionsPerPrincipal === undefined || open < maxTransactionsPerPrincipal) return ALLOWED;
  return {
    allowed: false,
    quota: 'maxTransactionsPerPrincipal',
    message: `quota maxTransactionsPerPrincipal exceeded: ${open} of ${maxTransactionsPerPrincipal} transactions open; commit or abort one first`,
  };
}

/** A count as a reply carries it: a number, or (decoded without promotion) an Int32, Double or Long wrapper. */
function count(v: unknown): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'object' && v !== null && typeof (v as { toNumber?: unknown }).toNumber === 'function') n = (v as { toNumber(): number }).toNumber();
  else if (typeof v === 'object' && v !== null && typeof (v as { valueOf(): unknown }).valueOf() === 'number') n = (v as { valueOf(): number }).valueOf();
  else return 0;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/**
 * Documents a successful reply returned or wrote: a cursor's batch; findAndModify's
 * value; insert's n; update's modified plus upserted; delete's n. count and distinct
 * return no documents (a number, a list of values) and count 0.
 */
export function documentsIn(command: string, reply: Document): number {
  switch (command) {
    case 'find':
    case 'aggregate':
    case 'getMore':
    case 'listCollections':
    case 'listIndexes': {
      const cursor = reply.cursor;
      if (!isPlainDocument(cursor)) return 0;
      const batch = cursor.firstBatch ?? cursor.nextBatch;
      return Array.isArray(batch) ? batch.length : 0;
    }
    case 'findAndModify':
      return reply.value !== undefined && reply.value !== null ? 1 : 0;
    case 'insert':
    case 'delete':
      return count(reply.n);
    case 'update':
      return count(reply.nModified) + (Array.isArray(reply.upserted) ? reply.upserted.length : 0);
    default:
      return 0;
  }
}
