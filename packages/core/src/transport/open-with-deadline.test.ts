import { describe, expect, it } from 'vitest';
import { MongoNetworkError, MongoNetworkTimeoutError } from '../errors.js';
import { openWithDeadline } from './open-with-deadline.js';

describe('openWithDeadline', () => {
  it('resolves with the socket', async () => {
    await expect(openWithDeadline({ address: 'a:1', open: async () => 'sock', discard: () => undefined })).resolves.toBe('sock');
  });

  it('a platform failure becomes a MongoNetworkError with the cause, before the handshake', async () => {
    const cause = new Error('Connection refused');
    const e = await openWithDeadline({ address: 'a:1', open: () => Promise.reject(cause), discard: () => undefined }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MongoNetworkError);
    expect((e as MongoNetworkError).cause).toBe(cause);
    expect((e as MongoNetworkError).beforeHandshake).toBe(true);
    expect((e as Error).message).toBe('connect to a:1 failed: Connection refused');
  });

  it('a synchronous throw from open() is a MongoNetworkError too', async () => {
    const e = await openWithDeadline({ address: 'a:1', open: () => { throw new TypeError('bad port'); }, discard: () => undefined }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MongoNetworkError);
  });

  it('times out, and a socket that opens later is discarded', async () => {
    let open!: (s: string) => void;
    const discarded: string[] = [];
    const p = openWithDeadline({ address: 'a:1', timeoutMS: 5, open: () => new Promise<string>((r) => (open = r)), discard: (s) => discarded.push(s) });
    await expect(p).rejects.toBeInstanceOf(MongoNetworkTimeoutError);
    open('late');
    await Promise.resolve();
    expect(discarded).toEqual(['late']);
  });

  it('an aborted signal rejects at once, before open() is called', async () => {
    const ac = new AbortController();
    ac.abort();
    let called = false;
    const e = await openWithDeadline({ address: 'a:1', signal: ac.signal, open: async () => { called = true; return 's'; }, discard: () => undefined }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MongoNetworkError);
    expect(called).toBe(false);
  });
});
