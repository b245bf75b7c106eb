import { describe, expect, it } from 'vitest';
import { MongoErrorLabel, MongoNetworkError, MongoServerError } from '../errors.js';
import { newServerDescription } from '../sdam/server-description.js';
import type { Server, Topology } from '../sdam/topology.js';
import { TopologyType } from '../sdam/topology-description.js';
import type { ExecuteResult } from './executor.js';
import {
  DEFAULT_MAX_ADAPTIVE_RETRIES,
  decideRetry,
  isOverloadError,
  isRetryableOverloadError,
  overloadBackoffMS,
  overloadRetryAllowed,
} from './overload-retry.js';
import { executeWithRetry, type RetryableOperation } from './retry.js';

const overloaded = (labels = ['RetryableError', 'SystemOverloadedError']): MongoServerError =>
  new MongoServerError({ ok: 0, code: 462, codeName: 'IngressRequestRateLimitExceeded', errmsg: 'rate exceeded', errorLabels: labels });

describe('overload error classification', () => {
  it('needs SystemOverloadedError to be an overload error, and RetryableError too to be retryable', () => {
    expect(isOverloadError(overloaded())).toBe(true);
    expect(isRetryableOverloadError(overloaded())).toBe(true);
    expect(isOverloadError(overloaded(['SystemOverloadedError']))).toBe(true);
    expect(isRetryableOverloadError(overloaded(['SystemOverloadedError']))).toBe(false);
    expect(isRetryableOverloadError(overloaded(['RetryableError']))).toBe(false);
    expect(isOverloadError(new Error('x'))).toBe(false);
  });
});

describe('overloadBackoffMS', () => {
  it('is jitter * min(10000, 100 * 2^(retry - 1))', () => {
    expect([1, 2, 3, 4, 5].map((r) => overloadBackoffMS(r, 1))).toEqual([100, 200, 400, 800, 1600]);
    expect(overloadBackoffMS(20, 1)).toBe(10_000);
    expect(overloadBackoffMS(3, 0.5)).toBe(200);
    expect(overloadBackoffMS(1, 0)).toBe(0);
  });
});

describe('overloadRetryAllowed', () => {
  it.each([
    ['read', true, false, true],
    ['read', false, true, false],
    ['write', false, true, true],
    ['write', true, false, false],
    ['other', true, true, true],
    ['other', true, false, false],
    ['other', false, true, false],
  ] as const)('%s with retryReads=%s retryWrites=%s -> %s', (kind, retryReads, retryWrites, expected) => {
    expect(overloadRetryAllowed(kind, { retryReads, retryWrites })).toBe(expected);
  });
});

describe('decideRetry', () => {
  const input = { retryableByOtherPolicy: false, overloadAllowed: true, maxAdaptiveRetries: DEFAULT_MAX_ADAPTIVE_RETRIES };
  it('retries a retryable overload error maxAdaptiveRetries times, with backoff', () => {
    let state = { retries: 0, allowedRetries: 1 };
    const seen: boolean[] = [];
    for (;;) {
      const d = decideRetry(state, overloaded(), input);
      if (!d.retry) break;
      expect(d.backoff).toBe(true);
      seen.push(d.retry);
      state = d.next;
    }
    expect(seen).toHaveLength(2);
  });
  it('does not retry an overload error without RetryableError unless another policy would', () => {
    const state = { retries: 0, allowedRetries: 1 };
    expect(decideRetry(state, overloaded(['SystemOverloadedError']), input).retry).toBe(false);
    const d = decideRetry(state, overloaded(['SystemOverloadedError']), { ...input, retryableByOtherPolicy: true });
    expect(d).toMatchObject({ retry: true, backoff: true, next: { retries: 1, allowedRetries: 2 } });
  });
  it('does not retry when the client does not allow it for the command', () => {
    expect(decideRetry({ retries: 0, allowedRetries: 0 }, overloaded(), { ...input, overloadAllowed: false }).retry).toBe(false);
  });
  it('keeps the one immediate retry of retryable reads/writes for other errors', () => {
    const d = decideRetry({ retries: 0, allowedRetries: 1 }, new MongoNetworkError('reset'), { ...input, retryableByOtherPolicy: true });
    expect(d).toMatchObject({ retry: true, backoff: false, next: { retries: 1, allowedRetries: 1 } });
    expect(decideRetry(d.next, new MongoNetworkError('reset'), { ...input, retryableByOtherPolicy: true }).retry).toBe(false);
  });
  it('maxAdaptiveRetries=0 turns overload retries off', () => {
    expect(decideRetry({ retries: 0, allowedRetries: 1 }, overloaded(), { ...input, maxAdaptiveRetries: 0 }).retry).toBe(false);
  });
});

describe('executeWithRetry with overload errors', () => {
  const primary = newServerDescription('a:1', { ok: 1, isWritablePrimary: true, setName: 'rs', hosts: ['a:1', 'b:1'], maxWireVersion: 21, logicalSessionTimeoutMinutes: 30 }, { now: 0 });
  const server = (address: string): Server => ({ address, description: { ...primary, address } }) as unknown as Server;

  function run(outcomes: unknown[], extra: Partial<RetryableOperation> = {}) {
    const attempts: string[] = [];
    const sleeps: number[] = [];
    const selections: string[][] = [];
    const servers = [server('a:1'), server('b:1')];
    const topology = {
      description: { type: TopologyType.ReplicaSetWithPrimary },
      selectServer: async (criteria: { deprioritized?: string[] }) => {
        selections.push(criteria.deprioritized ?? []);
        return servers.find((s) => !(criteria.deprioritized ?? []).includes(s.address)) ?? servers[0]!;
      },
    } as unknown as Pick<Topology, 'selectServer' | 'description'>;
    const promise = executeWithRetry({
      topology,
      options: { retryable: 'read' },
      retryReads: true,
      retryWrites: true,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 1,
      attempt: async (s) => {
        attempts.push(s.address);
        const next = outcomes.shift();
        if (next instanceof Error) throw next;
        return { reply: { ok: 1 }, address: s.address } as ExecuteResult;
      },
      ...extra,
    });
    return { promise, attempts, sleeps, selections };
  }

  it('retries twice by default, backing off 100 then 200 ms (jitter 1), then surfaces the error', async () => {
    const r = run([overloaded(), overloaded(), overloaded(), undefined]);
    await expect(r.promise).rejects.toBeInstanceOf(MongoServerError);
    expect(r.attempts).toHaveLength(3);
    expect(r.sleeps).toEqual([100, 200]);
  });

  it('succeeds on a retry', async () => {
    const r = run([overloaded(), undefined]);
    await expect(r.promise).resolves.toMatchObject({ reply: { ok: 1 } });
    expect(r.attempts).toHaveLength(2);
  });

  it('honours maxAdaptiveRetries', async () => {
    const r = run([overloaded(), overloaded(), overloaded(), overloaded(), overloaded()], { maxAdaptiveRetries: 3 });
    await expect(r.promise).rejects.toBeInstanceOf(MongoServerError);
    expect(r.attempts).toHaveLength(4);
  });

  it('deprioritizes the overloaded server only with enableOverloadRetargeting', async () => {
    const plain = run([overloaded(), undefined]);
    await plain.promise;
    expect(plain.attempts).toEqual(['a:1', 'a:1']);
    const retarget = run([overloaded(), undefined], { enableOverloadRetargeting: true });
    await retarget.promise;
    expect(retarget.attempts).toEqual(['a:1', 'b:1']);
    expect(retarget.selections.at(-1)).toEqual(['a:1']);
  });

  it('retries a command that is neither a retryable read nor write only when both retryReads and retryWrites are on', async () => {
    const both = run([overloaded(), undefined], { options: {} });
    await expect(both.promise).resolves.toBeDefined();
    const readsOff = run([overloaded(), undefined], { options: {}, retryReads: false });
    await expect(readsOff.promise).rejects.toSatisfy((e) => e instanceof MongoServerError && e.hasErrorLabel(MongoErrorLabel.SystemOverloadedError));
    expect(readsOff.attempts).toHaveLength(1);
  });

  it('in a transaction: no retryable-read retry of a network error, but overload retries', async () => {
    const network = run([new MongoNetworkError('reset'), undefined], { inTransaction: true });
    await expect(network.promise).rejects.toBeInstanceOf(MongoNetworkError);
    const overload = run([overloaded(), undefined], { inTransaction: true });
    await expect(overload.promise).resolves.toBeDefined();
    expect(overload.attempts).toHaveLength(2);
  });
});
