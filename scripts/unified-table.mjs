#!/usr/bin/env node
// The README's per-suite table of the unified runner's results for both drivers, from the
// JSON report the test command writes (.vitest-results.json) and the expectation lists.
//
// Usage (from the repo root, after `pnpm test` or `vitest run --project unified` with the JSON
// reporter writing .vitest-results.json):
//   node scripts/unified-table.mjs            # prints the table
//   node scripts/unified-table.mjs --write    # replaces it in README.md, between its markers
//
// A test listed in expectations/<driver>.json runs as an expected failure (vitest reports it
// passed when it failed), so it is counted as failed here; a test shown skipped carries its
// reason in its title; every other test that ran passed. Suites are the first folder of the
// spec file's path under $MONGO_SPECS_DIR. A report without the unified project is refused;
// one made with UNIFIED_FILTER would give a partial table, so use the whole test command's.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DRIVERS = [
  ['edge', 'ours'],
  ['official', 'official'],
];
const START = '<!-- unified-table:start (node scripts/unified-table.mjs --write) -->';
const END = '<!-- unified-table:end -->';

const report = JSON.parse(readFileSync(path.join(root, '.vitest-results.json'), 'utf8'));
/** suite -> driver -> { pass, fail, skip, unexpected } */
const table = new Map();
const files = new Map();
for (const [driver] of DRIVERS) {
  const failing = JSON.parse(readFileSync(path.join(root, `packages/core/test/unified/expectations/${driver}.json`), 'utf8')).failing;
  const result = report.testResults.find((r) => r.name.endsWith(`packages/core/test/unified/${driver === 'edge' ? 'edge' : 'official'}.test.ts`));
  if (!result) throw new Error(`.vitest-results.json has no results for the ${driver} unified suite: run the whole test command first`);
  for (const a of result.assertionResults) {
    const file = a.ancestorTitles[1];
    if (!file) continue;
    const suite = file.split('/')[0];
    const row = table.get(suite) ?? new Map();
    table.set(suite, row);
    (files.get(suite) ?? files.set(suite, new Set()).get(suite)).add(file);
    const cell = row.get(driver) ?? { pass: 0, fail: 0, skip: 0, unexpected: 0 };
    row.set(driver, cell);
    // the runner appends " [known failure: ...]" or " [skipped: ...]" to the description
    const key = `${file}#${a.title.replace(/ \[(known failure|skipped): [\s\S]*\]$/, '')}`;
    if (a.status === 'skipped' || a.status === 'pending' || a.status === 'todo') cell.skip++;
    else if (a.status !== 'passed') cell.unexpected++;
    else if (key in failing) cell.fail++;
    else cell.pass++;
  }
}
if (table.size === 0) throw new Error('no unified tests in .vitest-results.json');

const fmt = (n) => n.toLocaleString('en-US');
const lines = [
  '| suite | files | tests | ours: pass / fail / skipped | official: pass / fail / skipped |',
  '|---|---:|---:|---|---|',
];
const total = Object.fromEntries(DRIVERS.map(([d]) => [d, { pass: 0, fail: 0, skip: 0, unexpected: 0 }]));
let totalFiles = 0;
let totalTests = 0;
for (const suite of [...table.keys()].sort()) {
  const row = table.get(suite);
  const cells = DRIVERS.map(([d]) => row.get(d) ?? { pass: 0, fail: 0, skip: 0, unexpected: 0 });
  const tests = cells[0].pass + cells[0].fail + cells[0].skip + cells[0].unexpected;
  totalFiles += files.get(suite).size;
  totalTests += tests;
  for (const [i, [d]] of DRIVERS.entries()) for (const k of Object.keys(total[d])) total[d][k] += cells[i][k];
  const show = (c) => `${fmt(c.pass)} / ${fmt(c.fail + c.unexpected)} / ${fmt(c.skip)}`;
  lines.push(`| ${suite} | ${files.get(suite).size} | ${fmt(tests)} | ${show(cells[0])} | ${show(cells[1])} |`);
}
const showTotal = (c) => `**${fmt(c.pass)} / ${fmt(c.fail + c.unexpected)} / ${fmt(c.skip)}**`;
lines.push(`| **all** | ${totalFiles} | ${fmt(totalTests)} | ${showTotal(total.edge)} | ${showTotal(total.official)} |`);
const unexpected = DRIVERS.filter(([d]) => total[d].unexpected > 0).map(([d]) => `${d}: ${total[d].unexpected}`);
if (unexpected.length) console.warn(`note: tests that failed outside the expectation lists are counted as failed (${unexpected.join(', ')})`);
const markdown = lines.join('\n') + '\n';

if (process.argv.includes('--write')) {
  const readme = path.join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} ... ${END} markers`);
  writeFileSync(readme, `${text.slice(0, a + START.length)}\n${markdown}${text.slice(b)}`);
  console.log('README.md: unified table written');
} else {
  process.stdout.write(markdown);
}
