// The CSOT deadline module (operation/timeout.ts): pure, so every case gives its own clock.
import { describe, expect, it } from 'vitest';
import { MongoInvalidArgumentError, MongoOperationTimeoutError } from '../errors.js';
import {
  commandMaxTimeMS,
  deadlineOptions,
  isExpired,
  remainingMS,
  resolveTimeoutMS,
  startBudget,
  startTimeout,
  stepLimit,
  validateTimeoutMS,
} from './timeout.js';

describe('CSOT deadline', () => {
  it('resolves timeoutMS operation first, then session, collection, database, client; 0 is a value', () => {
    expect(resolveTimeoutMS(undefined, 0, 500)).toBe(0);
    expect(resolveTimeoutMS(100, 0, 500)).toBe(100);
    expect(resolveTimeoutMS(undefined, undefined, 500)).toBe(500);
    expect(resolveTimeoutMS(undefined, undefined)).toBeUndefined();
  });

  it('refuses a negative or non-numeric timeoutMS with a typed error', () => {
    expect(() => validateTimeoutMS(-1)).toThrow(MongoInvalidArgumentError);
    expect(() => validateTimeoutMS('10')).toThrow(MongoInvalidArgumentError);
    expect(() => validateTimeoutMS(Number.NaN)).toThrow(MongoInvalidArgumentError);
    expect(validateTimeoutMS(undefined)).toBeUndefined();
    expect(validateTimeoutMS(0)).toBe(0);
  });

  it('starts no deadline for undefined or 0, and says whether CSOT is in use', () => {
    expect(startTimeout(undefined, 1000)).toBeUndefined();
    expect(startTimeout(0, 1000)).toBeUndefined();
    expect(deadlineOptions(undefined, 1000)).toEqual({});
    expect(deadlineOptions(0, 1000)).toEqual({ csot: true });
    expect(deadlineOptions(250, 1000)).toEqual({ csot: true, timeout: { timeoutMS: 250, expiresAt: 1250 } });
  });

  it('counts the remaining time down to 0 and expires at the deadline', () => {
    const t = startTimeout(100, 1000)!;
    expect(remainingMS(t, 1040)).toBe(60);
    expect(remainingMS(t, 1200)).toBe(0);
    expect(isExpired(t, 1099)).toBe(false);
    expect(isExpired(t, 1100)).toBe(true);
  });

  it('bounds a step by the remaining time, keeping a shorter legacy limit where the step keeps one', () => {
    const t = startTimeout(1000, 0)!;
    expect(stepLimit(undefined, 0, 30_000, true)).toEqual({ timeoutMS: 30_000, byDeadline: false });
    // server selection: min(serverSelectionTimeoutMS, remaining)
    expect(stepLimit(t, 200, 30_000, true)).toEqual({ timeoutMS: 800, byDeadline: true });
    expect(stepLimit(t, 200, 500, true)).toEqual({ timeoutMS: 500, byDeadline: false });
    // checkout and the reply: the remaining time, whatever the legacy option says
    expect(stepLimit(t, 200, 500, false)).toEqual({ timeoutMS: 800, byDeadline: true });
    // an expired deadline still gives a positive limit (0 would mean "no limit")
    expect(stepLimit(t, 5000, 0, false)).toEqual({ timeoutMS: 1, byDeadline: true });
  });

  it('derives maxTimeMS as the remaining time minus the minimum round trip time, and refuses to send without time for the server', () => {
    const t = startTimeout(1000, 0)!;
    expect(commandMaxTimeMS(t, 100, 0)).toEqual({ kind: 'send', maxTimeMS: 900 });
    expect(commandMaxTimeMS(t, 100, 50.5)).toEqual({ kind: 'send', maxTimeMS: 849 });
    expect(commandMaxTimeMS(t, 980, 20)).toEqual({ kind: 'expired', remaining: 20 });
    expect(commandMaxTimeMS(t, 1000, 0)).toEqual({ kind: 'expired', remaining: 0 });
  });

  it('spreads one deadline over the commands of a composite operation', () => {
    let now = 0;
    const clock = (): number => now;
    expect(startBudget(undefined, clock).next('x')).toBeUndefined();
    expect(startBudget(0, clock).next('x')).toBe(0);
    const budget = startBudget(300, clock);
    expect(budget.next('first')).toBe(300);
    now = 120;
    expect(budget.next('second')).toBe(180);
    now = 300;
    expect(() => budget.next('third')).toThrow(MongoOperationTimeoutError);
  });
});
