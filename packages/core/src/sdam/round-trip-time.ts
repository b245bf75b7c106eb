/**
 * Round trip time bookkeeping for one server, as the Server Selection spec
 * ("Calculation of Average Round Trip Times") and the SDAM spec (minimum RTT for
 * client-side operation timeouts) define it.
 *
 * - Average: exponentially weighted moving average with alpha 0.2; the first sample
 *   after the server becomes available sets the average.
 * - Minimum: the smallest of the last 10 samples; 0 until at least 2 samples exist.
 *
 * Pure apart from the small sample buffer this object owns; no clocks, no timers.
 */

/** Weight of a new sample in the moving average. */
export const RTT_ALPHA = 0.2;
/** How many recent samples the minimum is taken over. */
export const MIN_RTT_SAMPLE_WINDOW = 10;
/** Fewer samples than this and the minimum RTT is reported as 0. */
export const MIN_RTT_MIN_SAMPLES = 2;

/**
 * The next average from the previous one (null when there is none) and a new sample:
 * `alpha * sample + (1 - alpha) * previous`.
 */
export function nextAverageRoundTripTime(previous: number | null, sample: number): number {
  if (!Number.isFinite(sample) || sample < 0) {
    throw new RangeError(`round trip time sample must be finite and >= 0, got ${sample}`);
  }
  if (previous === null) return sample;
  return RTT_ALPHA * sample + (1 - RTT_ALPHA) * previous;
}

/** The minimum over `samples` (most recent last), or 0 if there are fewer than 2. */
export function minimumRoundTripTime(samples: readonly number[]): number {
  return samples.length < MIN_RTT_MIN_SAMPLES ? 0 : Math.min(...samples.slice(-MIN_RTT_SAMPLE_WINDOW));
}

/** Average and minimum RTT of one server's monitoring round trips (ms). */
export class RoundTripTimeStats {
  #average: number | null = null;
  #samples: number[] = [];

  /** Records one hello round trip, in milliseconds (a negative duration counts as 0). */
  addSample(ms: number): void {
    if (ms < 0) ms = 0;
    this.#average = nextAverageRoundTripTime(this.#average, ms);
    this.#samples.push(ms);
    if (this.#samples.length > MIN_RTT_SAMPLE_WINDOW) this.#samples.shift();
  }

  /** The moving average, or null before the first sample (or after `reset()`). */
  get average(): number | null {
    return this.#average;
  }

  /** Minimum of the last 10 samples; 0 while fewer than 2 samples were recorded. */
  get min(): number {
    return minimumRoundTripTime(this.#samples);
  }

  /** Number of samples currently held (at most 10). */
  get sampleCount(): number {
    return this.#samples.length;
  }

  /** Forgets everything: called when the server becomes unavailable (its RTT is cleared). */
  reset(): void {
    this.#average = null;
    this.#samples = [];
  }
}
