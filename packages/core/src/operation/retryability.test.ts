import { describe, expect, it } from 'vitest';
import { newServerDescription } from '../sdam/server-description.js';
import { supportsRetryableWrites } from './retryability.js';

describe('supportsRetryableWrites', () => {
  const hello = { ok: 1, isWritablePrimary: true, maxWireVersion: 21 };
  it('needs sessions and a member or mongos; a load balancer is assumed to have them (its description has no logicalSessionTimeoutMinutes)', () => {
    expect(supportsRetryableWrites(newServerDescription('a:1', { ...hello, msg: 'isdbgrid', logicalSessionTimeoutMinutes: 30 }, { now: 0 }))).toBe(true);
    expect(supportsRetryableWrites(newServerDescription('a:1', { ...hello, msg: 'isdbgrid' }, { now: 0 }))).toBe(false);
    expect(supportsRetryableWrites(newServerDescription('a:1', { ...hello, logicalSessionTimeoutMinutes: 30 }, { now: 0 }))).toBe(false); // standalone
    const lb = newServerDescription('a:1', { ok: 1 }, { now: 0, loadBalancer: true });
    expect(lb.logicalSessionTimeoutMinutes).toBeNull();
    expect(supportsRetryableWrites(lb)).toBe(true);
  });
});
