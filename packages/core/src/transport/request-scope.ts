/**
 * Request-scoped I/O (Cloudflare Workers): a socket or WebSocket opened while serving
 * one request cannot be used while serving another; workerd throws (or rejects with)
 * "Cannot perform I/O on behalf of a different request". Transports turn that
 * exception into a MongoRequestScopeError so the executor can renew its I/O for the
 * current request instead of failing the operation. Platform-neutral: a message test.
 * The probes that tell requests apart are in request-scopes.ts (loaded with the cold code by
 * the bridge transport: only Workers use them).
 */
import { MongoNetworkError, MongoRequestScopeError } from '../errors.js';

const FOREIGN_REQUEST_IO = /on behalf of a different request/i;

/** True for the runtime's "I/O object of another request" exception. */
export function isForeignRequestIoError(error: unknown): boolean {
  return error instanceof Error && FOREIGN_REQUEST_IO.test(error.message);
}

/** The MongoNetworkError for an exception thrown by a send/write/read on `address`. */
export function ioFailure(what: string, address: string, error: unknown): MongoNetworkError {
  const message = `${what} ${address} failed: ${error instanceof Error ? error.message : String(error)}`;
  return isForeignRequestIoError(error)
    ? new MongoRequestScopeError(message, { cause: error })
    : new MongoNetworkError(message, { cause: error });
}

/** True where I/O is request-scoped and probes exist (workerd): RequestScopeProbe.create() gives a probe. */
export function requestScopesAvailable(): boolean {
  return typeof (globalThis as { IdentityTransformStream?: unknown }).IdentityTransformStream === 'function';
}
