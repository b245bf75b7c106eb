// The esbuild options of the browser bundle, shared by scripts/build.mjs and
// scripts/bundle-size.mjs so the size report measures what is shipped.
import path from 'node:path';

export function webBundleOptions(root) {
  return {
    entryPoints: [path.join(root, 'packages/web-client/src/index.ts')],
    outfile: path.join(root, 'packages/web-client/dist/index.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    conditions: ['source', 'browser'],
    metafile: true,
    logLevel: 'warning',
  };
}
