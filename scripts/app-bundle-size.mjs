// What a browser app that does `find` and `insertOne` loads before its first operation
// (issue 19): packages/web-client/test/fixtures/app-find-insert.ts bundled with the web
// bundle's options plus code splitting (esbuild, minified, ESM), counting the entry chunk
// and every chunk it imports statically (chunks reached only through dynamic import()
// are loaded on demand and not counted), gzip -9. Prints the figure and, from esbuild's
// metafile, what the loaded chunks hold by module.
//   node scripts/app-bundle-size.mjs [--all]   (--all: every module, not the top 40)
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { appBundleSize } = await import('./web-bundle-options.mjs');
const r = await appBundleSize(root, { build, gzipSync });
console.log(`app (find + insertOne): ${r.loadedMinBytes} B minified, ${r.loadedGzipBytes} B gzip in ${r.loadedChunks.length} chunk(s) loaded up front; ${r.lazyChunks.length} lazy chunk(s), ${r.lazyMinBytes} B minified`);
const rows = Object.entries(r.loadedByInput).sort((a, b) => b[1] - a[1]);
for (const [input, bytes] of process.argv.includes('--all') ? rows : rows.slice(0, 40)) console.log(`${String(bytes).padStart(8)}  ${input}`);
