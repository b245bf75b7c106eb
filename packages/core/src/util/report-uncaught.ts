/**
 * Raise an error nobody can catch any more as an uncaught exception of the platform:
 * Node's 'uncaughtException' (the process exits unless a handler is installed), the
 * browser's window 'error' event, Deno's and workerd's uncaught-error handling.
 *
 * This is what Node's EventEmitter does with `emit('error')` when no 'error' listener is
 * registered and the emit runs outside any caller's stack (as the official driver's
 * change stream emits from its cursor stream's callbacks): the error is thrown, and
 * being thrown from a callback it reaches the runtime's uncaught handler. A microtask
 * gives our emits, which run in a promise chain, the same fate instead of a rejection
 * that would be swallowed.
 */
export function reportUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
