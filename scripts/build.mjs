// Builds every package's runnable output with esbuild (entries: scripts/packages.mjs),
// then their declarations (scripts/build-types.mjs) unless `--no-types` is given.
// Entries whose source does not exist yet are skipped, so a partial tree still builds.
// Output files left in dist/ by an earlier build (old chunks) are removed.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { PACKAGES } from './packages.mjs';
import { webBundleOptions, webSplitBundleOptions } from './web-bundle-options.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Workspace packages are bundled from source; third-party packages stay external.
const externalNpm = {
  name: 'external-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@mongo-edge/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

// Node packages: the core, and sim and bridge with the core compiled in.
const nodeTargets = PACKAGES.filter((p) => p.bson === 'npm').map((p) => [p.dir, Object.fromEntries(p.entries.map((e) => [e.out, e.src]))]);

async function buildNode(pkg, entries) {
  const entryPoints = {};
  for (const [out, src] of Object.entries(entries)) {
    const file = path.join(root, pkg, src);
    if (existsSync(file)) entryPoints[out] = file;
  }
  if (Object.keys(entryPoints).length === 0) return;
  const outdir = path.join(root, pkg, 'dist');
  const result = await build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    conditions: ['source'],
    splitting: true,
    plugins: [externalNpm],
    metafile: true,
    logLevel: 'warning',
  });
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(f)));
  for (const name of readdirSync(outdir)) {
    const file = path.join(outdir, name);
    if (/\.js(\.map)?$/.test(name) && !written.has(file)) rmSync(file, { force: true });
  }
}

for (const [pkg, entries] of nodeTargets) await buildNode(pkg, entries);

// The browser bundle: everything (the BSON codec included) in one ESM file, and the split
// build (dist/esm-split/: the entry plus chunks, what is needed only later loaded on first
// use; the package's `./split` export). Stale chunks of an earlier split build are removed.
const webEntry = path.join(root, 'packages/web-client/src/index.ts');
if (existsSync(webEntry)) {
  await build(webBundleOptions(root));
  const split = webSplitBundleOptions(root);
  rmSync(split.outdir, { recursive: true, force: true });
  await build(split);
}
if (!process.argv.includes('--no-types')) execFileSync(process.execPath, [path.join(root, 'scripts/build-types.mjs')], { stdio: 'inherit' });
console.log('build: ok');
