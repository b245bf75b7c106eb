import { describe, expect, it } from 'vitest';
import { Int32, Long } from 'bson';
import { admitDocuments, admitTransaction, chargeDocuments, currentWindow, documentsIn, type DocumentWindow } from './quota.js';
import { validateGatewayConfig } from './config.js';

const quota = { documentsPerWindow: 10, windowSeconds: 60 };

describe('documents per window (pure)', () => {
  const cases: Array<{ name: string; window: DocumentWindow | undefined; now: number; allowed: boolean; resetIn?: number }> = [
    { name: 'no window yet', window: undefined, now: 0, allowed: true },
    { name: 'below the quota', window: { startMs: 0, used: 9 }, now: 1_000, allowed: true },
    { name: 'at the quota', window: { startMs: 0, used: 10 }, now: 1_000, allowed: false, resetIn: 59 },
    { name: 'crossed by the last batch', window: { startMs: 0, used: 14 }, now: 59_500, allowed: false, resetIn: 1 },
    { name: 'the window ran out', window: { startMs: 0, used: 14 }, now: 60_000, allowed: true },
    { name: 'a clock that went back starts a new window', window: { startMs: 5_000, used: 14 }, now: 4_000, allowed: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = admitDocuments(c.window, quota, c.now);
      expect(d.allowed).toBe(c.allowed);
      if (!d.allowed) {
        expect(d.quota).toBe('documentsPerWindow');
        expect(d.message).toBe(`quota documentsPerWindow exceeded: ${c.window!.used} of 10 documents read or written in 60 s (the window resets in ${c.resetIn} s)`);
      }
    });
  }

  it('charges within the window and starts a new one after it', () => {
    let w = chargeDocuments(undefined, quota, 4, 100);
    expect(w).toEqual({ startMs: 100, used: 4 });
    w = chargeDocuments(w, quota, 7, 30_000);
    expect(w).toEqual({ startMs: 100, used: 11 });
    expect(admitDocuments(w, quota, 30_001).allowed).toBe(false);
    w = chargeDocuments(w, quota, 2, 60_100);
    expect(w).toEqual({ startMs: 60_100, used: 2 });
    expect(chargeDocuments(w, quota, -3, 60_200).used).toBe(2);
    expect(currentWindow(w, quota, 60_200)).toBe(w);
  });
});

describe('open transactions (pure)', () => {
  it.each([
    [0, undefined, true],
    [100, undefined, true],
    [0, 1, true],
    [1, 1, false],
    [2, 3, true],
    [3, 3, false],
  ] as const)('%i open, max %s -> %s', (open, max, allowed) => {
    const d = admitTransaction(open, max);
    expect(d.allowed).toBe(allowed);
    if (!d.allowed) expect(d.message).toMatch(new RegExp(`^quota maxTransactionsPerPrincipal exceeded: ${open} of ${max} transactions open`));
  });
});

describe('documentsIn: documents a reply returned or wrote', () => {
  it.each([
    ['find', { cursor: { id: 0, ns: 'a.b', firstBatch: [{}, {}, {}] }, ok: 1 }, 3],
    ['aggregate', { cursor: { id: 0, ns: 'a.b', firstBatch: [] }, ok: 1 }, 0],
    ['getMore', { cursor: { id: 0, ns: 'a.b', nextBatch: [{}, {}] }, ok: 1 }, 2],
    ['find', { ok: 1 }, 0],
    ['findAndModify', { value: { _id: 1 }, ok: 1 }, 1],
    ['findAndModify', { value: null, ok: 1 }, 0],
    ['insert', { n: 4, ok: 1 }, 4],
    ['insert', { n: new Int32(2), ok: 1 }, 2],
    ['delete', { n: Long.fromNumber(5), ok: 1 }, 5],
    ['update', { n: 3, nModified: 2, ok: 1 }, 2],
    ['update', { n: 1, nModified: 0, upserted: [{ index: 0, _id: 1 }], ok: 1 }, 1],
    ['count', { n: 1000, ok: 1 }, 0],
    ['distinct', { values: [1, 2, 3], ok: 1 }, 0],
    ['insert', { n: 'x', ok: 1 }, 0],
  ] as const)('%s %j -> %i', (name, reply, n) => {
    expect(documentsIn(name, reply)).toBe(n);
  });
});

describe('quotas in gateway.json (zod)', () => {
  const base = {
    cluster: { uri: { value: 'mongodb://x/' } },
    jwt: { secret: { value: 's' }, issuer: 'i', audience: 'a' },
    rules: [{ name: 'r', roles: ['*'], database: 'app', collection: 'c', actions: ['find'] }],
  };
  it('accepts them, defaults to none, and refuses a quota without its window, a window without its quota, or a non-positive value', () => {
    expect(validateGatewayConfig(base).quotas).toEqual({});
    expect(validateGatewayConfig({ ...base, quotas: { maxTransactionsPerPrincipal: 2, documentsPerWindow: 100, quotaWindowSeconds: 60 } }).quotas).toEqual({
      maxTransactionsPerPrincipal: 2,
      documentsPerWindow: 100,
      quotaWindowSeconds: 60,
    });
    expect(() => validateGatewayConfig({ ...base, quotas: { documentsPerWindow: 100 } })).toThrow(/documentsPerWindow and quotaWindowSeconds go together/);
    expect(() => validateGatewayConfig({ ...base, quotas: { quotaWindowSeconds: 100 } })).toThrow(/go together/);
    expect(() => validateGatewayConfig({ ...base, quotas: { maxTransactionsPerPrincipal: 0 } })).toThrow(/quotas.maxTransactionsPerPrincipal/);
    expect(() => validateGatewayConfig({ ...base, quotas: { bytesPerDay: 1 } })).toThrow(/quotas/);
  });
});
