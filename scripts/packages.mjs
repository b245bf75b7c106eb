// The publishable packages and their entries, in one place: scripts/build.mjs bundles
// them, scripts/build-types.mjs emits their declarations, scripts/pack.mjs packs them,
// and test/packaging checks each package.json against this list.
//
// To add a core entry (e.g. './cloudflare'): add a line to CORE_ENTRIES, then the same
// subpath to packages/core/package.json `exports` (types first: `types`, `source`,
// `default`) and `typesVersions`, and to tsconfig.base.json `paths`. The packaging test
// fails until all four agree.

/**
 * @typedef {{ subpath: string, src: string, out: string, user: boolean }} Entry
 *   subpath: the export ('.', './node', …); src: its source, relative to the package;
 *   out: the bundle's name in dist/ (`dist/<out>.js`); user: public API (false: an
 *   entry for sibling packages only, still shipped so the exports map resolves).
 */

/** @type {Entry[]} */
export const CORE_ENTRIES = [
  { subpath: '.', src: 'src/index.ts', out: 'index', user: true },
  { subpath: './node', src: 'src/runtime/node/index.ts', out: 'node', user: true },
  { subpath: './cloudflare', src: 'src/runtime/cloudflare/index.ts', out: 'cloudflare', user: true },
  { subpath: './deno', src: 'src/runtime/deno/index.ts', out: 'deno', user: true },
  { subpath: './gridfs', src: 'src/gridfs/index.ts', out: 'gridfs', user: true },
  { subpath: './wire', src: 'src/wire/index.ts', out: 'wire', user: false },
  { subpath: './internal', src: 'src/internal.ts', out: 'internal', user: false },
];

/**
 * Every publishable package. `bundlesCore`: the core is compiled into its dist (and its
 * declarations into dist/types), so it has no install-time dependency on @mongo-edge/core.
 * `bson`: what `bson` is in the package's types ('npm' = the bson package, a dependency;
 * 'lite' = bson-lite, compiled in, as the browser bundle aliases it).
 */
export const PACKAGES = [
  { name: '@mongo-edge/core', dir: 'packages/core', entries: CORE_ENTRIES, bundlesCore: false, bson: 'npm' },
  {
    name: '@mongo-edge/sim',
    dir: 'packages/sim',
    entries: [
      { subpath: '.', src: 'src/index.ts', out: 'index', user: true },
      { subpath: null, src: 'src/cli.ts', out: 'cli', user: false },
      { subpath: null, src: 'src/cluster-cli.ts', out: 'cluster-cli', user: false },
    ],
    bundlesCore: true,
    bson: 'npm',
  },
  {
    name: '@mongo-edge/bridge',
    dir: 'packages/bridge',
    entries: [
      { subpath: '.', src: 'src/index.ts', out: 'index', user: true },
      { subpath: null, src: 'src/cli.ts', out: 'cli', user: false },
    ],
    bundlesCore: true,
    bson: 'npm',
  },
  {
    name: '@mongo-edge/web-client',
    dir: 'packages/web-client',
    // './split': the same entry built with code splitting (dist/esm-split/, issue 19): what
    // most apps never use before their first operation is in chunks loaded on first use
    entries: [
      { subpath: '.', src: 'src/index.ts', out: 'index', user: true },
      { subpath: './split', src: 'src/index.ts', out: 'esm-split/index', user: true },
    ],
    bundlesCore: true,
    bson: 'lite',
  },
];

/** `src/runtime/node/index.ts` → `runtime/node/index.d.ts` (its declaration, relative to dist/types/<pkg>/). */
export function declarationOf(src) {
  return src.replace(/^src\//, '').replace(/\.ts$/, '.d.ts');
}
