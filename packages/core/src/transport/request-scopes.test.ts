/**
 * RequestScopeProbe's stuck-check rule: a check still in flight after STUCK_CHECK_MS (its
 * request ended in the middle of it, so its byte is never read) retires the probe. The
 * runtime's IdentityTransformStream is a fake global whose pipe never moves a byte (the
 * stuck check), and the clock is vitest's: no real wait.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestScopeProbe, RequestScopes } from './request-scopes.js';

/** A one-byte pipe that never delivers: every write and read stays pending. */
class StuckIdentityTransformStream {
  readonly writable = new WritableStream<Uint8Array>({ write: () => new Promise<void>(() => undefined) });
  readonly readable = new ReadableStream<Uint8Array>();
}

beforeEach(() => {
  vi.stubGlobal('IdentityTransformStream', StuckIdentityTransformStream);
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Settles into `state` when `promise` does (never awaited by the test: the stuck one never settles). */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T } {
  const state: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => Object.assign(state, { settled: true, value }));
  return state;
}

describe('RequestScopeProbe: a check that never ends', () => {
  it('a caller waiting behind it gets "foreign" once it has been in flight for 2 s, and so does every later caller', async () => {
    const probe = RequestScopeProbe.create()!;
    expect(probe).toBeDefined();
    const stuck = track(probe.foreign()); // its request ended mid-check: never settles
    const waiting = track(probe.foreign());
    await vi.advanceTimersByTimeAsync(1000);
    expect(waiting.settled).toBe(false); // still within the grace period
    await vi.advanceTimersByTimeAsync(1100);
    expect(waiting).toEqual({ settled: true, value: true });
    expect(stuck.settled).toBe(false);
    // Retired: answered at once, without another check (which would also stick).
    const later = track(probe.foreign());
    await vi.advanceTimersByTimeAsync(0);
    expect(later).toEqual({ settled: true, value: true });
  });

  it('RequestScopes: a scope whose probe is stuck is given up, and the caller gets a new scope', async () => {
    const scopes = new RequestScopes();
    const first = await scopes.current(); // a new scope: no check yet
    const stuck = track(scopes.current()); // checks the first scope's probe: stuck
    const next = track(scopes.current());
    await vi.advanceTimersByTimeAsync(2100);
    expect(stuck.settled).toBe(false);
    expect(next.settled).toBe(true);
    expect(next.value).toBeTypeOf('object');
    expect(next.value).not.toBe(first);
  });
});
