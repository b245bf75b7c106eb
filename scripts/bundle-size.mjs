// Where the web-client bundle's bytes go: builds it in memory exactly as
// scripts/build.mjs does and prints the gzip size, then the minified bytes each
// source area contributes (`--files` lists single files instead).
//   node scripts/bundle-size.mjs [--files]
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { webBundleOptions } = await import('./web-bundle-options.mjs');
const result = await build({ ...webBundleOptions(root), write: false, metafile: true, sourcemap: false });
const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
console.log(`bundle: ${js.contents.length} B minified, ${gzipSync(js.contents, { level: 9 }).length} B gzip`);

const [output] = Object.values(result.metafile.outputs).filter((o) => o.entryPoint);
const areas = new Map();
for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
  let key = input.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+).*$/, 'npm:$1');
  if (!process.argv.includes('--files') && !key.startsWith('npm:')) {
    const parts = key.split('/');
    key = parts.slice(0, parts.length > 4 ? 4 : parts.length - 1).join('/') || key;
  }
  areas.set(key, (areas.get(key) ?? 0) + bytesInOutput);
}
for (const [key, bytes] of [...areas].sort((a, b) => b[1] - a[1])) console.log(`${String(bytes).padStart(8)}  ${key}`);
