// The esbuild options of the browser bundle, shared by scripts/build.mjs,
// scripts/bundle-size.mjs and the web-client's bundle tests, so what is measured and
// tested is what is shipped. `bson` is aliased to bson-lite (packages/core/src/bson-lite),
// the compact platform-neutral codec with the same API; web.ts is the codec plus EJSON
// (the admin page in examples/browser uses BSON.EJSON; index.ts is the codec alone).
// Node builds keep the real `bson`.
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
    alias: { bson: path.join(root, 'packages/core/src/bson-lite/web.ts') },
    logLevel: 'warning',
  };
}
