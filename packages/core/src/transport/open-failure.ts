/**
 * A connection that failed to open AFTER the transport's connect() returned it: a bridge
 * channel used before the bridge confirmed it (pipelined open, docs/bridge-protocol.md),
 * whose target then refused or could not be reached. The handshake sees it as its hello
 * failing; marked, it is judged as connect() failing would be (connection/connect.ts): a dead
 * server, not a server shedding load (Client Backpressure labels). Platform-neutral.
 */
const openFailures = new WeakSet<object>();

/** Marks `error` as the failure of the connection's open (returns it). */
export function markOpenFailure<E extends Error>(error: E): E {
  openFailures.add(error);
  return error;
}

/** True for an error markOpenFailure() marked, or one caused by it (a connection's error wraps its socket's). */
export function isOpenFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (openFailures.has(e)) return true;
  }
  return false;
}
