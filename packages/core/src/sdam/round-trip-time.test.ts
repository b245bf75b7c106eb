import { describe, expect, it } from 'vitest';
import { minimumRoundTripTime, nextAverageRoundTripTime, RoundTripTimeStats } from './round-trip-time.js';

describe('nextAverageRoundTripTime', () => {
  it.each([
    { previous: null, sample: 10, expected: 10 },
    { previous: null, sample: 0, expected: 0 },
    { previous: 0, sample: 5, expected: 1 },
    { previous: 3.1, sample: 36, expected: 9.68 },
    { previous: 100, sample: 0, expected: 80 },
  ])('$previous then $sample -> $expected', ({ previous, sample, expected }) => {
    expect(nextAverageRoundTripTime(previous, sample)).toBeCloseTo(expected, 10);
  });

  it('rejects negative and non-finite samples', () => {
    expect(() => nextAverageRoundTripTime(null, -1)).toThrow(RangeError);
    expect(() => nextAverageRoundTripTime(1, Number.NaN)).toThrow(RangeError);
  });
});

describe('minimumRoundTripTime', () => {
  it('is 0 with fewer than 2 samples', () => {
    expect(minimumRoundTripTime([])).toBe(0);
    expect(minimumRoundTripTime([7])).toBe(0);
  });
  it('is the minimum of the last 10 samples', () => {
    expect(minimumRoundTripTime([7, 9])).toBe(7);
    expect(minimumRoundTripTime([1, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20])).toBe(20);
  });
});

describe('RoundTripTimeStats', () => {
  it('first sample sets the average, then EWMA with alpha 0.2', () => {
    const s = new RoundTripTimeStats();
    expect(s.average).toBeNull();
    s.addSample(10);
    expect(s.average).toBe(10);
    expect(s.min).toBe(0);
    s.addSample(20);
    expect(s.average).toBeCloseTo(12, 10);
    expect(s.min).toBe(10);
  });

  it('keeps only the last 10 samples for the minimum', () => {
    const s = new RoundTripTimeStats();
    s.addSample(1);
    for (let i = 0; i < 10; i++) s.addSample(50 + i);
    expect(s.sampleCount).toBe(10);
    expect(s.min).toBe(50);
  });

  it('reset clears the average and the samples', () => {
    const s = new RoundTripTimeStats();
    s.addSample(5);
    s.addSample(6);
    s.reset();
    expect(s.average).toBeNull();
    expect(s.min).toBe(0);
    expect(s.sampleCount).toBe(0);
    s.addSample(42);
    expect(s.average).toBe(42);
  });
});
