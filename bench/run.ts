/**
 * `pnpm bench`: runs every benchmark section and writes bench/results/latest.json,
 * the SVG charts beside it, and docs/benchmarks.md.
 *
 *   --quick (or BENCH_QUICK=1)  few iterations, small data; writes bench/results/quick.json only
 *   --only a,b                  run these sections; writes bench/results/partial.json only
 *   --report-only               re-render docs/benchmarks.md from bench/results/latest.json
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/harness.js';
import { handWrittenRecords, renderMarkdown } from './lib/report.js';
import { runBench, type BenchResults } from './lib/runner.js';
import { SECTIONS } from './sections/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    'report-only': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
const docsFile = path.join(REPO_ROOT, 'docs/benchmarks.md');
/** docs/benchmarks.md from these results, keeping the hand-written records of the file it replaces. */
const renderDocs = (r: BenchResults) =>
  renderMarkdown(r, { chartsPath: '../bench/results', records: handWrittenRecords(readFileSync(docsFile, 'utf8')) });
const resultsDir = path.join(REPO_ROOT, 'bench/results');
if (values['report-only']) {
  const saved = JSON.parse(readFileSync(path.join(resultsDir, 'latest.json'), 'utf8')) as BenchResults;
  writeFileSync(docsFile, renderDocs(saved));
  console.log(`wrote ${path.relative(REPO_ROOT, docsFile)} from bench/results/latest.json`);
  process.exit(0);
}
if (values.help) {
  console.log(`usage: pnpm bench [--quick] [--only ${SECTIONS.map((s) => s.name).join(',')}] [--report-only]`);
  process.exit(0);
}
const quick = Boolean(values.quick) || process.env.BENCH_QUICK === '1';
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
if (only) {
  const unknown = [...only].filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`unknown section(s): ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
}
const sections = only ? SECTIONS.filter((s) => only.has(s.name)) : SECTIONS;

const { results, charts } = await runBench({ quick, sections, log: (m) => console.log(m) });

mkdirSync(resultsDir, { recursive: true });
const full = !quick && !only;
const file = path.join(resultsDir, full ? 'latest.json' : quick && !only ? 'quick.json' : 'partial.json');
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${path.relative(REPO_ROOT, file)}`);
if (full) {
  for (const [name, svg] of Object.entries(charts)) writeFileSync(path.join(resultsDir, name), svg);
  writeFileSync(docsFile, renderDocs(results));
  console.log(`wrote ${path.relative(REPO_ROOT, docsFile)} and ${Object.keys(charts).length} chart(s)`);
}
for (const t of results.targets) console.log(`target ${t.met ? 'met   ' : 'MISSED'} ${t.description}: ${t.value.toFixed(2)} (limit ${t.comparison} ${t.limit})`);
const failed = Object.entries(results.sections).filter(([, s]) => s.status === 'failed');
if (failed.length) {
  console.error(`failed sections: ${failed.map(([k]) => k).join(', ')}`);
  process.exitCode = 1;
}
