/**
 * connectTimeoutMS and the caller's AbortSignal around a platform's connect call that
 * takes neither (the Workers and Deno socket APIs, runtime/{cloudflare,deno}): the first of the three settles
 * the result; a socket that opens after the deadline is closed at once. Every
 * failure is a MongoNetworkError (MongoNetworkTimeoutError for the timeout) naming the
 * address, with the platform's error as the cause. Platform-neutral.
 */
import { MongoNetworkError, MongoNetworkTimeoutError } from '../errors.js';

export interface OpenWithDeadlineOptions<T> {
  /** "host:port", for messages. */
  readonly address: string;
  /** Starts the platform connect. */
  readonly open: () => Promise<T>;
  /** Releases a socket that opened too late (errors are ignored). */
  readonly discard: (socket: T) => unknown;
  /** 0 or absent: no limit. */
  readonly timeoutMS?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export function openWithDeadline<T>(o: OpenWithDeadlineOptions<T>): Promise<T> {
  const { address, signal } = o;
  const aborted = () => new MongoNetworkError(`connect to ${address} aborted`, { beforeHandshake: true, cause: signal?.reason });
  if (signal?.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (finish()) reject(aborted());
    };
    const timeoutMS = o.timeoutMS ?? 0;
    if (timeoutMS > 0) {
      timer = setTimeout(() => {
        if (finish()) reject(new MongoNetworkTimeoutError(`connect to ${address} timed out after ${timeoutMS} ms`, { beforeHandshake: true }));
      }, timeoutMS);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    let pending: Promise<T>;
    try {
      pending = o.open();
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (socket) => {
        if (finish()) resolve(socket);
        else {
          try {
            const r = o.discard(socket);
            if (r instanceof Promise) r.catch(() => undefined);
          } catch {
            // already gone
          }
        }
      },
      (error: unknown) => {
        if (!finish()) return;
        const detail = error instanceof Error ? error.message : String(error);
        reject(error instanceof MongoNetworkError ? error : new MongoNetworkError(`connect to ${address} failed: ${detail}`, { beforeHandshake: true, cause: error }));
      },
    );
  });
}
