// The esbuild options of the browser bundle, shared by scripts/build.mjs,
// scripts/bundle-size.mjs and the web-client's bundle tests, so what is measured and
// tested is what is shipped. `bson` is aliased to bson-lite (packages/core/src/bson-lite),
// the compact platform-neutral codec with the same API; web.ts is the codec plus EJSON
// (the admin page in examples/browser uses BSON.EJSON; index.ts is the codec alone).
// Node builds keep the real `bson`.
import path from 'node:path';

/**
 * One-file builds take cold/load-static.ts for cold/load.ts (see there): the code the split
 * build loads on first use is imported statically, with no lazy-initializer wrappers.
 */
export function staticColdPlugin(root) {
  const target = path.join(root, 'packages/core/src/cold/load-static.ts');
  return {
    name: 'static-cold',
    setup(b) {
      b.onResolve({ filter: /(^|\/)cold\/load\.js$|^\.\/load\.js$/ }, (args) => {
        const resolved = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        return resolved === path.join(root, 'packages/core/src/cold/load.ts') ? { path: target } : undefined;
      });
    },
  };
}

export function webBundleOptions(root) {
  return {
    plugins: [staticColdPlugin(root)],
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

/**
 * The split build (issue 19): the same entry and options with code splitting, into
 * dist/esm-split/ (index.js plus chunks). What most apps never use before their first
 * operation sits behind dynamic import() in the core, so it lands in chunks the browser
 * fetches on first use; the one-file dist/index.js above inlines them all.
 */
export function webSplitBundleOptions(root) {
  const { outfile: _outfile, plugins: _static, ...rest } = webBundleOptions(root);
  return { ...rest, outdir: path.join(root, 'packages/web-client/dist/esm-split'), splitting: true, chunkNames: 'chunks/[name]-[hash]' };
}

/** The app fixture the issue-19 figure measures (find().toArray() and insertOne through the bridge). */
export const APP_FIXTURE = 'packages/web-client/test/fixtures/app-find-insert.ts';

/**
 * Bundles the app fixture with the split build's options (in memory) and measures what it
 * loads before its first operation: the entry chunk plus every chunk reachable from it
 * through static imports (`import-statement`), not those reached only through dynamic
 * import(). esbuild and gzipSync are passed in so this file needs neither.
 */
/** The output files an app loads up front: the entry chunk and the chunks it imports statically (from an esbuild metafile's outputs). */
export function loadedOutputs(outputs) {
  const loaded = new Set();
  const queue = [Object.keys(outputs).find((o) => outputs[o].entryPoint !== undefined)];
  while (queue.length > 0) {
    const o = queue.pop();
    if (loaded.has(o)) continue;
    loaded.add(o);
    for (const imp of outputs[o].imports) if (imp.kind === 'import-statement' && !imp.external) queue.push(imp.path);
  }
  return loaded;
}

export async function appBundleSize(root, { build, gzipSync }, entry = APP_FIXTURE) {
  const result = await build({
    ...webSplitBundleOptions(root),
    entryPoints: [path.join(root, entry)],
    outdir: path.join(root, '.tmp/app-bundle'),
    sourcemap: false,
    write: false,
    absWorkingDir: root,
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const text = new Map(result.outputFiles.map((f) => [path.relative(root, f.path), f.contents]));
  const loaded = loadedOutputs(outputs);
  const lazy = Object.keys(outputs).filter((o) => o.endsWith('.js') && !loaded.has(o));
  const loadedByInput = {};
  let loadedMinBytes = 0;
  let loadedGzipBytes = 0;
  for (const o of loaded) {
    const bytes = text.get(o);
    loadedMinBytes += bytes.byteLength;
    loadedGzipBytes += gzipSync(bytes, { level: 9 }).byteLength;
    for (const [input, { bytesInOutput }] of Object.entries(outputs[o].inputs)) loadedByInput[input] = (loadedByInput[input] ?? 0) + bytesInOutput;
  }
  const lazyMinBytes = lazy.reduce((n, o) => n + text.get(o).byteLength, 0);
  return { loadedChunks: [...loaded], lazyChunks: lazy, loadedMinBytes, loadedGzipBytes, lazyMinBytes, loadedByInput, metafile: result.metafile };
}
