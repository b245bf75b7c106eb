// The whole test command: typecheck, platform-neutrality check, build, then every
// Vitest project (spec runners and unit/integration tests). Ends with one line
// `N passed, N failed` that counts the checks and the Vitest tests together.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let passed = 0;
let failed = 0;
let skipped = 0;

function step(name, cmd, args) {
  console.log(`\n== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  const ok = r.status === 0;
  if (ok) passed += 1;
  else failed += 1;
  console.log(`== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`}`);
  return ok;
}

const tsc = path.join(root, 'node_modules/.bin/tsc');
// Three programs: the platform-neutral core + web client (no Node types, so a stray
// Node API fails to compile); the same sources as the browser bundle builds them, with
// `bson` resolved to bson-lite (so anything the core uses that bson-lite lacks fails);
// and the whole workspace with Node types.
const tsconfigs = ['packages/core/tsconfig.json', 'packages/web-client/tsconfig.json', 'tsconfig.json'];
for (const cfg of tsconfigs) {
  if (existsSync(path.join(root, cfg))) step(`typecheck ${cfg}`, tsc, ['-p', cfg, '--noEmit']);
}
step('platform-neutral core', process.execPath, ['scripts/check-platform.mjs']);
const built = step('build', process.execPath, ['scripts/build.mjs']);

const results = path.join(root, '.vitest-results.json');
rmSync(results, { force: true });
if (built) {
  console.log('\n== vitest');
  const run = spawnSync(
    path.join(root, 'node_modules/.bin/vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`],
    { cwd: root, stdio: 'inherit', env: process.env },
  );
  if (existsSync(results)) {
    const r = JSON.parse(readFileSync(results, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    // A suite that failed to load counts as a failure even if it reported no tests.
    for (const s of r.testResults ?? []) {
      if (s.status === 'failed' && (s.assertionResults ?? []).every((a) => a.status !== 'failed')) {
        console.log(`suite failed to run: ${path.relative(root, s.name)}: ${s.message ?? ''}`);
        failed += 1;
      }
    }
  } else {
    console.log('vitest wrote no results');
    failed += 1;
  }
  // Vitest failing for any other reason (a config error, an unhandled error, no tests at
  // all) must not end in a green summary.
  if (run.status !== 0 && failed === 0) {
    console.log(`vitest exited ${run.status ?? run.signal} with no failed test: counted as a failure`);
    failed += 1;
  }
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
