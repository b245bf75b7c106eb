/**
 * Runs sections from the registry and assembles the results document
 * (bench/results/latest.json). A section that throws NotRunError is "not run" with its
 * reason; any other error makes it "failed" with the message; neither stops the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDataDir, NotRunError, REPO_ROOT, type Metric, type Section, type SectionResult, type TargetResult } from './harness.js';
import { machineInfo, type MachineInfo } from './machine.js';

export const RESULTS_SCHEMA = 'mongo-edge-bench/1';

export interface MetricEntry extends Metric {
  readonly section: string;
}

export interface SectionEntry {
  readonly title: string;
  readonly description: string;
  readonly status: SectionResult['status'];
  readonly reason?: string;
  readonly seconds: number;
  /** Keys into `metrics`. */
  readonly metrics: string[];
  readonly targets: TargetResult[];
  readonly notes: string[];
  /** Chart files written beside latest.json. */
  readonly charts: string[];
}

export interface BenchResults {
  readonly schema: typeof RESULTS_SCHEMA;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  readonly totalSeconds: number;
  readonly sections: Record<string, SectionEntry>;
  readonly metrics: Record<string, MetricEntry>;
  readonly targets: Array<TargetResult & { section: string }>;
}

export interface RunOptions {
  quick: boolean;
  sections: readonly Section[];
  dataDir?: string;
  log?: (message: string) => void;
}

export interface RunOutput {
  results: BenchResults;
  /** SVG charts by file name. */
  charts: Record<string, string>;
}

export async function runBench(options: RunOptions): Promise<RunOutput> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const machine = machineInfo();
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'mongo-edge-bench-'));
  const sections: Record<string, SectionEntry> = {};
  const metrics: Record<string, MetricEntry> = {};
  const targets: Array<TargetResult & { section: string }> = [];
  const charts: Record<string, string> = {};
  try {
    for (const section of options.sections) {
      const t0 = performance.now();
      log(`== ${section.name}: ${section.title}`);
      const ctx = {
        quick: options.quick,
        repoRoot: REPO_ROOT,
        dataDir: options.dataDir ?? benchDataDir(),
        tmpDir,
        log,
      };
      try {
        const out = await section.run(ctx);
        for (const [key, m] of Object.entries(out.metrics)) {
          if (!key.startsWith(`${section.name}.`)) throw new Error(`metric key ${key} must start with "${section.name}."`);
          metrics[key] = { section: section.name, ...m };
        }
        for (const t of out.targets ?? []) targets.push({ section: section.name, ...t });
        for (const [file, svg] of Object.entries(out.charts ?? {})) charts[file] = svg;
        sections[section.name] = {
          title: section.title,
          description: section.description,
          status: 'ok',
          seconds: round((performance.now() - t0) / 1000),
          metrics: Object.keys(out.metrics),
          targets: out.targets ?? [],
          notes: out.notes ?? [],
          charts: Object.keys(out.charts ?? {}),
        };
      } catch (e) {
        const notRun = e instanceof NotRunError;
        const reason = notRun ? (e as Error).message : `${(e as Error).name}: ${(e as Error).message}`;
        log(`   ${notRun ? 'not run' : 'FAILED'}: ${reason}`);
        sections[section.name] = {
          title: section.title,
          description: section.description,
          status: notRun ? 'not run' : 'failed',
          reason,
          seconds: round((performance.now() - t0) / 1000),
          metrics: [],
          targets: [],
          notes: [],
          charts: [],
        };
      }
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return {
    results: {
      schema: RESULTS_SCHEMA,
      quick: options.quick,
      machine,
      totalSeconds: round((performance.now() - started) / 1000),
      sections,
      metrics,
      targets,
    },
    charts,
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
