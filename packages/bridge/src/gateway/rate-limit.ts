/**
 * Per-principal rate limit: a token bucket as a pure function of (bucket, rate,
 * burst, now) -> allowed + the next bucket. The service owns the buckets.
 */
export interface Bucket {
  readonly tokens: number;
  readonly atMs: number;
}

export interface RateLimit {
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Bucket size: the most commands in a burst. */
  readonly burst: number;
}

export function takeToken(bucket: Bucket | undefined, limit: RateLimit, nowMs: number): { allowed: boolean; bucket: Bucket } {
  const prev = bucket ?? { tokens: limit.burst, atMs: nowMs };
  const elapsed = Math.max(0, nowMs - prev.atMs);
  const tokens = Math.min(limit.burst, prev.tokens + (elapsed * limit.perSecond) / 1000);
  if (tokens < 1) return { allowed: false, bucket: { tokens, atMs: nowMs } };
  return { allowed: true, bucket: { tokens: tokens - 1, atMs: nowMs } };
}
