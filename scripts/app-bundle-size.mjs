// What a browser app that does `find` and `insertOne` loads before its first operation
// (issue 19): packages/web-client/test/fixtures/app-find-insert.ts bundled with the web
// bundle's options plus code splitting (esbuild, minified, ESM), counting the entry chunk
// and every chunk it imports statically (chunks reached only through dynamic import()
// are loaded on demand and not counted), gzip -9. Prints the figure and, from esbuild's
// metafile, what the loaded chunks hold by module.
//   node scripts/app-bundle-size.mjs [--all] [--gzip]
//     --all   every module, not the top 40
//     --gzip  also each module's gzip cost, estimated leave-one-out: the loaded code is built
//             again with whitespace kept (so esbuild's "// path" comments mark the modules) and
//             gzipped without each module in turn; marginal costs, so they overlap
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { appBundleSize } = await import('./web-bundle-options.mjs');
const r = await appBundleSize(root, { build, gzipSync });
console.log(`app (find + insertOne): ${r.loadedMinBytes} B minified, ${r.loadedGzipBytes} B gzip in ${r.loadedChunks.length} chunk(s) loaded up front; ${r.lazyChunks.length} lazy chunk(s), ${r.lazyMinBytes} B minified`);

/** Module -> estimated gzip bytes (see --gzip above). */
async function gzipEstimates() {
  const { webSplitBundleOptions, APP_FIXTURE, loadedOutputs } = await import('./web-bundle-options.mjs');
  const out = await build({ ...webSplitBundleOptions(root), entryPoints: [path.join(root, APP_FIXTURE)], outdir: path.join(root, '.tmp/app-bundle'), sourcemap: false, write: false, absWorkingDir: root, logLevel: 'silent', minify: false, minifyIdentifiers: true, minifySyntax: true });
  const loaded = loadedOutputs(out.metafile.outputs);
  const segments = [];
  for (const f of out.outputFiles) {
    if (!loaded.has(path.relative(root, f.path))) continue;
    const parts = f.text.split(/^\/\/ (\S+\.ts)$/m);
    for (let i = 1; i < parts.length; i += 2) segments.push([parts[i], parts[i + 1]]);
  }
  const gz = (s) => gzipSync(s, { level: 9 }).byteLength;
  const total = gz(segments.map((s) => s[1]).join(''));
  return new Map(segments.map(([name], i) => [name, total - gz(segments.filter((_, j) => j !== i).map((s) => s[1]).join(''))]));
}

const estimates = process.argv.includes('--gzip') ? await gzipEstimates() : undefined;
const rows = Object.entries(r.loadedByInput).sort((a, b) => b[1] - a[1]);
for (const [input, bytes] of process.argv.includes('--all') ? rows : rows.slice(0, 40)) {
  console.log(`${String(bytes).padStart(8)}${estimates ? String(estimates.get(input) ?? '').padStart(8) : ''}  ${input}`);
}
