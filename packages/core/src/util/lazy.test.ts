import { describe, expect, it } from 'vitest';
import { MongoRuntimeError } from '../errors.js';
import { lazy } from './lazy.js';

describe('lazy (code loaded on first use)', () => {
  it('loads once and hands every caller the same module', async () => {
    let loads = 0;
    const load = lazy('test', async () => {
      loads++;
      return { value: 42 };
    });
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(b);
    expect((await load()).value).toBe(42);
    expect(loads).toBe(1);
  });

  it('turns a failed load into a MongoRuntimeError with the cause, and tries again on the next call', async () => {
    let attempt = 0;
    const network = new TypeError('Failed to fetch dynamically imported module: /chunks/cold-X.js');
    const load = lazy('authentication', async () => {
      attempt++;
      if (attempt === 1) throw network;
      return { ok: true };
    });
    const error = await load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MongoRuntimeError);
    expect((error as MongoRuntimeError).message).toMatch(/could not load its authentication code.*Failed to fetch/);
    expect((error as MongoRuntimeError).cause).toBe(network);
    expect(await load()).toEqual({ ok: true });
    expect(attempt).toBe(2);
  });
});
