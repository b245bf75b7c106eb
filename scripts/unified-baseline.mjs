#!/usr/bin/env node
// Regenerates packages/core/test/unified/expectations/{official,edge}.json: the unified
// tests each driver fails today, with the first line of the failure as the reason.
//
// Usage (from the repo root):
//   node scripts/unified-baseline.mjs            # runs the whole `unified` vitest project
//   UNIFIED_FILTER=crud/ node scripts/unified-baseline.mjs   # only tests whose "file#description"
//                                                  contains the filter; other entries are kept
//   node scripts/unified-baseline.mjs edge        # one driver only (official | edge)
//   node scripts/unified-baseline.mjs --from <dir> # no run: rewrite from an earlier record dir
//
// How: runs `vitest run --project unified` with UNIFIED_RECORD=<tmp dir>, where the runner
// (test/unified/define.ts) appends every test's real outcome (pass, or the error) to
// <tmp>/<driver>.jsonl whatever the expectation said. The lists are rewritten from those
// outcomes: a failing test is listed, a passing one is removed. With a filter, entries
// outside it are left as they were. A driver that recorded nothing (crash before any test)
// leaves its list untouched and the script exits 1. Then the run is green by construction;
// check the diff of the expectation files before committing it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const expectationsDir = path.join(root, 'packages/core/test/unified/expectations');
const args = process.argv.slice(2);
const fromIndex = args.indexOf('--from');
const from = fromIndex >= 0 ? args[fromIndex + 1] : undefined;
const named = args.filter((a) => a === 'official' || a === 'edge');
const drivers = named.length ? named : ['official', 'edge'];
const recordDir = from ?? mkdtempSync(path.join(os.tmpdir(), 'unified-baseline-'));
const filter = process.env.UNIFIED_FILTER;

if (!from) {
  const files = drivers.map((d) => `packages/core/test/unified/${d}.test.ts`);
  const r = spawnSync(path.join(root, 'node_modules/.bin/vitest'), ['run', '--project', 'unified', '--reporter=dot', ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, UNIFIED_RECORD: recordDir },
  });
  console.log(`vitest exited ${r.status ?? r.signal} (failures are expected while the lists are stale)`);
}

let bad = false;
for (const driver of drivers) {
  const file = path.join(recordDir, `${driver}.jsonl`);
  if (!existsSync(file)) {
    console.log(`${driver}: no outcomes recorded; ${driver}.json left as it was`);
    bad = true;
    continue;
  }
  const outcomes = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line);
    outcomes.set(o.key, o);
  }
  const target = path.join(expectationsDir, `${driver}.json`);
  const old = existsSync(target) ? JSON.parse(readFileSync(target, 'utf8')).failing : {};
  const failing = {};
  // keep entries this run did not cover (filtered out, or skipped): they are not evidence
  for (const [k, v] of Object.entries(old)) if (!outcomes.has(k)) failing[k] = v;
  let pass = 0;
  for (const [k, o] of outcomes) {
    if (o.ok) pass++;
    else failing[k] = o.error ?? 'failed';
  }
  const sorted = Object.fromEntries(Object.entries(failing).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(
    target,
    `${JSON.stringify({ comment: 'Unified tests this driver fails today (regenerate: node scripts/unified-baseline.mjs). Each runs as it.fails.', failing: sorted }, null, 1)}\n`,
  );
  const added = Object.keys(sorted).filter((k) => !(k in old)).length;
  const removed = Object.keys(old).filter((k) => !(k in sorted)).length;
  console.log(`${driver}: ${outcomes.size} run${filter ? ` (filter ${filter})` : ''}, ${pass} pass, ${Object.keys(sorted).length} listed as failing (+${added} -${removed})`);
}
if (!from) rmSync(recordDir, { recursive: true, force: true });
process.exit(bad ? 1 : 0);
