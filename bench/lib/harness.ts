/**
 * The benchmark harness: section registry types, statistics (the driver benchmark
 * spec's nearest-rank percentiles), the interleaved runner (A B A B ... so machine
 * drift hits every contender alike) and metric construction with ratios.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the driver benchmark data sets live (never copied into the repository). */
export function benchDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MONGO_BENCH_DATA_DIR || path.resolve(REPO_ROOT, '../shared/bench-data/driverbench');
}

export type Better = 'higher' | 'lower';

export interface ContenderResult {
  /** The score at the median sample (for rates: size / median time). */
  readonly median: number;
  /** The score at the 99th-percentile sample (for rates: the slowest 1%, i.e. size / p99 time). */
  readonly p99: number;
  /** median / the reference contender's median. */
  readonly ratio: number;
  /** How many samples the numbers come from. */
  readonly samples: number;
}

export interface Metric {
  readonly title: string;
  readonly unit: string;
  readonly better: Better;
  /** The contender every ratio is relative to. */
  readonly reference: string;
  readonly contenders: Readonly<Record<string, ContenderResult>>;
  readonly note?: string;
}

export interface TargetResult {
  readonly name: string;
  readonly description: string;
  readonly value: number;
  readonly comparison: '<=' | '>=';
  readonly limit: number;
  readonly met: boolean;
}

export interface SectionOutput {
  readonly metrics: Record<string, Metric>;
  readonly targets?: TargetResult[];
  readonly notes?: string[];
  /** SVG charts (file name -> SVG text), written beside latest.json. */
  readonly charts?: Record<string, string>;
}

export type SectionStatus = 'ok' | 'not run' | 'failed';

export interface SectionResult {
  readonly name: string;
  readonly title: string;
  readonly status: SectionStatus;
  /** Why a section was not run or failed. */
  readonly reason?: string;
  readonly seconds: number;
  readonly metrics: Record<string, Metric>;
  readonly targets: TargetResult[];
  readonly notes: string[];
  readonly charts: Record<string, string>;
}

export interface SectionContext {
  readonly quick: boolean;
  readonly repoRoot: string;
  readonly dataDir: string;
  /** A scratch directory owned by this run (removed at the end). */
  readonly tmpDir: string;
  log(message: string): void;
}

export interface Section {
  /** Stable key in latest.json. */
  readonly name: string;
  readonly title: string;
  /** One paragraph for docs/benchmarks.md: what is measured and how. */
  readonly description: string;
  run(ctx: SectionContext): Promise<SectionOutput>;
}

/** Thrown by a section whose prerequisites are missing: reported as "not run: <reason>". */
export class NotRunError extends Error {
  override get name(): string {
    return 'NotRunError';
  }
}

// ------------------------------------------------------------------ statistics

/** Nearest-rank percentile as the driver benchmark spec defines it: i = int(N * p / 100) - 1. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  const n = sortedAscending.length;
  if (n === 0) return Number.NaN;
  const i = Math.min(n - 1, Math.max(0, Math.floor((n * p) / 100) - 1));
  return sortedAscending[i]!;
}

export interface Summary {
  readonly median: number;
  readonly p99: number;
  readonly samples: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length };
}

// ------------------------------------------------------------------ interleaving

export interface InterleaveOptions {
  /** Rounds whose samples are discarded. */
  readonly warmup: number;
  readonly rounds: number;
  /**
   * Start each round one contender later (A B C, B C A, C A B, ...), so that each follows
   * every other equally often: a contender's CPU then does not always include collecting
   * the same predecessor's garbage. Default false (the same order every round).
   */
  readonly rotate?: boolean;
}

/**
 * Runs every contender once per round, in the same order (A B C A B C ...; rotated with `rotate`), and
 * collects what each call returns (a sample or several). Warm-up rounds are discarded.
 */
export async function interleave<K extends string>(
  contenders: Readonly<Record<K, () => Promise<number | number[]> | number | number[]>>,
  options: InterleaveOptions,
): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < options.warmup + options.rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + (options.rotate ? r : 0)) % names.length]!;
      const s = await contenders[name]();
      if (r < options.warmup) continue;
      if (Array.isArray(s)) out[name].push(...s);
      else out[name].push(s);
    }
  }
  return out;
}

/** Timer for one sample. */
export function nowMs(): number {
  return performance.now();
}

// ------------------------------------------------------------------ metrics

export interface MetricSpec {
  readonly title: string;
  readonly unit: string;
  readonly better: Better;
  readonly reference: string;
  readonly note?: string;
}

/** A metric whose samples already are the reported quantity (e.g. round-trip µs, bytes). */
export function metricFromSamples(spec: MetricSpec, samples: Readonly<Record<string, readonly number[]>>): Metric {
  return metricFromTimes(spec, samples, (x) => x);
}

/**
 * A metric from per-sample times, reported as `score(time)`: for a rate
 * (size / time) the median score is the score of the median time and "p99" the score
 * of the p99 (slowest) time.
 */
export function metricFromTimes(
  spec: MetricSpec,
  times: Readonly<Record<string, readonly number[]>>,
  score: (time: number) => number,
): Metric {
  const summaries: Record<string, Summary> = {};
  for (const [name, s] of Object.entries(times)) summaries[name] = summarize(s);
  const ref = summaries[spec.reference];
  if (!ref) throw new Error(`metric ${spec.title}: no samples for the reference contender ${spec.reference}`);
  const refMedian = score(ref.median);
  const contenders: Record<string, ContenderResult> = {};
  for (const [name, s] of Object.entries(summaries)) {
    const median = score(s.median);
    contenders[name] = { median, p99: score(s.p99), ratio: name === spec.reference ? 1 : median / refMedian, samples: s.samples };
  }
  return { ...spec, contenders };
}

/** A single measured value per contender (no distribution: median = p99 = value). */
export function metricFromValues(spec: MetricSpec, values: Readonly<Record<string, number>>): Metric {
  const ref = values[spec.reference];
  if (ref === undefined) throw new Error(`metric ${spec.title}: no value for the reference contender ${spec.reference}`);
  const contenders: Record<string, ContenderResult> = {};
  // The reference's ratio is 1 by definition (0 / 0 when a small reading rounds to 0).
  for (const [name, v] of Object.entries(values)) contenders[name] = { median: v, p99: v, ratio: name === spec.reference ? 1 : v / ref, samples: 1 };
  return { ...spec, contenders };
}

export function target(name: string, description: string, value: number, comparison: '<=' | '>=', limit: number): TargetResult {
  const met = Number.isFinite(value) && (comparison === '<=' ? value <= limit : value >= limit);
  return { name, description, value, comparison, limit, met };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
