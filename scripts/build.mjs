// Builds every package's runnable output with esbuild. Entries whose source does not
// exist yet are skipped with a note, so a partial tree still builds.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { webBundleOptions } from './web-bundle-options.mjs';

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

const nodeTargets = [
  ['packages/core', { index: 'src/index.ts', node: 'src/runtime/node/index.ts', cloudflare: 'src/runtime/cloudflare/index.ts', deno: 'src/runtime/deno/index.ts', wire: 'src/wire/index.ts', internal: 'src/internal.ts' }],
  ['packages/sim', { index: 'src/index.ts', cli: 'src/cli.ts', 'cluster-cli': 'src/cluster-cli.ts' }],
  ['packages/bridge', { index: 'src/index.ts', cli: 'src/cli.ts' }],
];

async function buildNode(pkg, entries) {
  const entryPoints = {};
  for (const [out, src] of Object.entries(entries)) {
    const file = path.join(root, pkg, src);
    if (existsSync(file)) entryPoints[out] = file;
  }
  if (Object.keys(entryPoints).length === 0) return;
  await build({
    entryPoints,
    outdir: path.join(root, pkg, 'dist'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    conditions: ['source'],
    splitting: true,
    plugins: [externalNpm],
    logLevel: 'warning',
  });
}

for (const [pkg, entries] of nodeTargets) await buildNode(pkg, entries);

// The browser bundle: everything (the BSON codec included) in one ESM file.
const webEntry = path.join(root, 'packages/web-client/src/index.ts');
if (existsSync(webEntry)) await build(webBundleOptions(root));
console.log('build: ok');
