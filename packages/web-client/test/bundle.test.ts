/**
 * Size of the browser bundle (dist/index.js as scripts/build.mjs builds it, with the
 * same esbuild options: scripts/web-bundle-options.mjs, where `bson` is aliased to
 * bson-lite). The product target is 45 KiB gzip; it is reported, not asserted, and a
 * regression budget at today's size plus a small margin is enforced instead. Prints and
 * records (test-artifacts/bundle-size.json) the minified and gzip sizes, bson-lite (with EJSON) alone
 * and the npm `bson` package alone for comparison, a per-package breakdown from
 * esbuild's metafile, and the driver's size without bson-lite.
 *
 * Also the app-level figure of issue 19: what a browser app that does `find` and
 * `insertOne` (test/fixtures/app-find-insert.ts) loads before its first operation, bundled
 * with the split build's options (scripts/web-bundle-options.mjs appBundleSize: the entry
 * chunk plus the chunks it imports statically, each gzipped -9; chunks reached only through
 * dynamic import() load on first use and are not counted). Its target is Neon's serverless
 * Postgres driver doing the same, 46,970 B; reported, with a regression budget enforced.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, WEB_DIR, artifactsDir, buildBundle } from './helpers.js';
import type { AppSize } from '../../../scripts/web-bundle-options.mjs';

/** The issue's target: reported in the output and bundle-size.json; not met (see README). */
const TARGET_GZIP_BYTES = 45 * 1024;
/**
 * Enforced: today's bundle (70.0 KB = 68.3 KiB gzip) plus ~0.2 KB, so growth is a conscious
 * decision. Since 68.9 KB: issue 19's split build (+1.1 KB here): the code a split build
 * loads on first use (core/src/cold) is imported statically in this file
 * (cold/load-static.ts; an inlined dynamic import() cost +2.3 KB of lazy-initializer
 * wrappers), but the seams remain: the lazy authenticator, the loader calls, the modules
 * split in two (bulk-execute.ts, transaction-end.ts, transaction-end-state.ts, the change
 * stream's light class and its engine.ts, collection-cold.ts). Since
 * 66.6 KB: Client Backpressure overload retries, request-scoped server sets
 * for overlapping Workers requests and read pipelining, the Atlas Search index helpers
 * (+0.3 KB), appendMetadata, command-monitoring redaction, snapshotTime, the faster
 * bson-lite encoder (+0.2 KB): +2.3 KB in all. Before that (66.6 KB): transactions
 * +2.7 KB, the official error/API shapes +1.5 KB, request-scoped I/O and the gateway
 * option, inspect shapes, the BSON options +0.8 KB, change streams +1.9 KB; the bulk
 * writes' in-place section writer, a Node-only speed path, moved to the Node entry:
 * -0.8 KB. What an app loads before its first operation is the split build's figure below.
 * Then 72,110 B: CSOT (timeoutMS: the deadline module, cursor timeoutMode, the per-operation
 * plumbing) +1.7 KB and one bridge WebSocket per Workers request +0.4 KB; budget 70.6 KiB.
 * Now 72,564 B (+454 B): issue 19's second round of lazy code (the counts, distinct, search
 * index writes, drop/rename/options, indexInformation, FindCursor.count, Db createCollection/
 * collections/dropDatabase/stats, the TLS file reads) costs this file the seams it inlines:
 * a wrapper per method, the operations' named exports on the cold namespace, the arguments
 * passed instead of read from `this` (the app-level figure below gained 650 B). Then
 * +1,137 B: `client.bulkWrite` works in the browser, Workers and Deno (it threw "not loaded"
 * outside Node); its code comes with the cold chunk, so the app-level figure is unchanged,
 * but this one file carries it. Then +0.24 KB: CSOT conformance (a change stream read's one
 * deadline and resume after a timeout, withTransaction's timeout cause, GridFS's
 * listIndexes check): 73,916 B. Then 74,234 B (+318 B): the CSOT cursor deadline per next(),
 * the request-scope fix for overlapping Workers requests, the bridge's open-failure marking and
 * ObjectIds written in place. Then 74,371 B (+116 B): issue 19's third round (the Workers request
 * scopes, the change stream's resume-token cache and the command monitoring events load with
 * the cold code) adds its seams here, and the moved modules sit with the other cold modules
 * instead of beside their callers (the app-level figure below gained 753 B). Then 74,715 B
 * (+344 B): bson-lite's faster decoder (its field-name cache) and, for Workers, one topology
 * opening and one connect per request plus monitor starts per I/O scope (no request waits on
 * another's I/O). Then 75,246 B (+531 B): API parity with the official driver (the command
 * events as CommandStartedEvent/... class instances, forceServerObjectId from the client and
 * Db options, MongoClient.connect, addCursorFlag, Db.secondaryOk, write concerns replaced
 * whole, expired-session checks). Then 75,704 B (+458 B): the second parity round (BSONType,
 * ExplainVerbosity, AuthMechanism, ExplainableCursor, Db.createIndex/removeUser and its
 * SYSTEM_* names, MongoError.errmsg, client.serverApi/timeoutMS, redact/geoNear). Budget
 * 74.1 KiB (75,878 B): ~170 B of headroom, so growth stays a conscious decision.
 */
const BUDGET_GZIP_BYTES = 74.1 * 1024;

/** Issue 19's target for the app-level figure: Neon's serverless driver doing find + insert. */
const APP_TARGET_GZIP_BYTES = 46_970;
/**
 * Enforced: the app-level figure plus ~0.3 KB (headroom for small unrelated changes; a real
 * regression is larger). 60,452 B now: the entry chunk plus one shared chunk; the cold chunk,
 * core/src/cold, is not loaded by this app. History: 66,888 B in one chunk before anything
 * was lazy (the one-file bundle's options with splitting); 58,773 B after the first round of
 * lazy code; 60,709 B after CSOT (+1.9 KB); 60,059 B after the second round (-650 B: the
 * rarely used Collection, FindCursor and Db operations and the TLS file reads, see
 * docs/benchmarks.md "Web bundle"); 60,432 B after the CSOT cursor and change-stream
 * deadlines, the request-scope fix for overlapping Workers requests and ObjectIds written in
 * place (+373 B); 59,674 B after the third round (-753 B: the Workers request scopes, the
 * change stream's resume-token cache and the command monitoring events, each used only by an
 * app that needs it, load with the cold code; see docs/benchmarks.md "Issue 19: the web app
 * bundle, round three"); 59,802 B with bson-lite's faster decoder (+128 B: its field-name
 * cache, docs/benchmarks.md "bson-lite decode"); 60,057 B with the Workers openings and
 * connects per request and the monitor starts per I/O scope (+255 B); 60,452 B with the API
 * parity round (+395 B, the same additions as the one-file figure); 60,696 B with the second
 * parity round (+244 B, the same additions as the one-file figure). Budget 60,850 B.
 */
const APP_BUDGET_GZIP_BYTES = 60_850;

/** The browser build of scripts/build.mjs (its own options), in memory (checked against dist below). */
const { webBundleOptions, appBundleSize } = (await import(path.join(ROOT, 'scripts/web-bundle-options.mjs'))) as typeof import('../../../scripts/web-bundle-options.mjs');
const { entryPoints: _entry, ...shipped } = webBundleOptions(ROOT);
const browserOptions: BuildOptions = { ...shipped, write: false, logLevel: 'silent', absWorkingDir: ROOT };
/** What `bson` is in the bundle: bson-lite with EJSON. */
const BSON_LITE = path.join(ROOT, 'packages/core/src/bson-lite/web.ts');

interface Measured {
  min: number;
  gzip: number;
  brotli: number;
  metafile: Metafile | undefined;
}

const gzip = (bytes: Uint8Array | string) => gzipSync(bytes, { level: 9 }).byteLength;
/** For information only (CDNs usually serve brotli); the budget is gzip. */
const brotli = (bytes: string) =>
  brotliCompressSync(Buffer.from(bytes), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }).byteLength;

async function measure(options: BuildOptions): Promise<Measured> {
  const result = await build({ ...browserOptions, ...options });
  const js = result.outputFiles!.find((f) => f.path.endsWith('.js'))!;
  // Leave out the sourceMappingURL comment so the in-memory and the dist numbers agree.
  const text = js.text.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  return { min: Buffer.byteLength(text), gzip: gzip(text), brotli: brotli(text), metafile: result.metafile };
}

/** Bytes in the output per package (node_modules) or per core folder. */
function breakdown(metafile: Metafile): Record<string, number> {
  const out = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  const by: Record<string, number> = {};
  for (const [file, { bytesInOutput }] of Object.entries(out.inputs)) {
    const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const key = pkg ?? file.replace(/^packages\/([^/]+)\/src\/([^/.]+).*/, '$1/$2');
    by[key] = (by[key] ?? 0) + bytesInOutput;
  }
  return Object.fromEntries(Object.entries(by).sort((a, b) => b[1] - a[1]));
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

describe('browser bundle size', () => {
  let distText: string;
  let dist: { min: number; gzip: number };
  let bundle: Measured;
  let bsonAlone: Measured;
  let bsonLite: Measured;
  let coreOnly: Measured;
  let parts: Record<string, number>;
  let app: AppSize;

  beforeAll(async () => {
    distText = await buildBundle();
    const text = distText.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
    dist = { min: Buffer.byteLength(text), gzip: gzip(text) };
    const entry = { entryPoints: [path.join(WEB_DIR, 'src/index.ts')] };
    [bundle, bsonAlone, bsonLite, coreOnly] = await Promise.all([
      measure(entry),
      // the npm package, for comparison: no alias, resolved from the root (esbuild would
      // apply packages/web-client/tsconfig.json's `paths`, which also map bson to bson-lite)
      measure({ stdin: { contents: "export * from 'bson';", resolveDir: ROOT, loader: 'ts' }, outfile: path.join(ROOT, '.tmp/bson.js'), alias: {} }),
      measure({ entryPoints: [BSON_LITE], outfile: path.join(ROOT, '.tmp/bson-lite.js') }),
      // the driver alone: bson-lite left out
      measure({ ...entry, external: ['bson'], alias: {} }),
    ]);
    parts = breakdown(bundle.metafile!);
    app = await appBundleSize(ROOT, { build, gzipSync });
    const report = {
      budgetGzipBytes: BUDGET_GZIP_BYTES,
      targetGzipBytes: TARGET_GZIP_BYTES,
      withinTarget: dist.gzip <= TARGET_GZIP_BYTES,
      gzipLevel: 9,
      bundle: { file: 'packages/web-client/dist/index.js', minBytes: dist.min, gzipBytes: dist.gzip, withinBudget: dist.gzip <= BUDGET_GZIP_BYTES, brotliBytes: bundle.brotli },
      bsonLite: { note: 'packages/core/src/bson-lite/web.ts: the codec plus EJSON, as bundled', minBytes: bsonLite.min, gzipBytes: bsonLite.gzip, brotliBytes: bsonLite.brotli },
      bsonNpmAlone: { note: 'the npm bson package, no longer in the bundle (bson is aliased to bson-lite)', minBytes: bsonAlone.min, gzipBytes: bsonAlone.gzip, brotliBytes: bsonAlone.brotli },
      driverWithoutBson: { minBytes: coreOnly.min, gzipBytes: coreOnly.gzip, brotliBytes: coreOnly.brotli },
      minifiedBytesByInput: parts,
      app: {
        note: 'test/fixtures/app-find-insert.ts with the split build options: what it loads before its first operation (entry + static imports, each gzip -9)',
        loadedChunks: app.loadedChunks.length,
        minBytes: app.loadedMinBytes,
        gzipBytes: app.loadedGzipBytes,
        budgetGzipBytes: APP_BUDGET_GZIP_BYTES,
        targetGzipBytes: APP_TARGET_GZIP_BYTES,
        withinTarget: app.loadedGzipBytes <= APP_TARGET_GZIP_BYTES,
        lazyChunks: app.lazyChunks.length,
        lazyMinBytes: app.lazyMinBytes,
      },
      measuredAt: new Date().toISOString(),
    };
    writeFileSync(path.join(artifactsDir(), 'bundle-size.json'), `${JSON.stringify(report, null, 2)}\n`);
    const top = Object.entries(parts)
      .slice(0, 6)
      .map(([k, v]) => `${k} ${kib(v)}`)
      .join(', ');
    console.log(
      [
        `web-client bundle: ${kib(dist.min)} min, ${kib(dist.gzip)} gzip (budget ${kib(BUDGET_GZIP_BYTES)}), ${kib(bundle.brotli)} brotli`,
        `bson-lite (with EJSON) alone: ${kib(bsonLite.min)} min, ${kib(bsonLite.gzip)} gzip (npm bson alone: ${kib(bsonAlone.min)} min, ${kib(bsonAlone.gzip)} gzip)`,
        `core + web client without bson-lite: ${kib(coreOnly.min)} min, ${kib(coreOnly.gzip)} gzip`,
        `target ${kib(TARGET_GZIP_BYTES)} gzip: ${dist.gzip <= TARGET_GZIP_BYTES ? 'met' : `missed by ${dist.gzip - TARGET_GZIP_BYTES} B`}`,
        `largest inputs (minified): ${top}`,
        `app (find + insertOne) before its first operation: ${app.loadedGzipBytes} B gzip in ${app.loadedChunks.length} chunk(s), ${app.loadedMinBytes} B min ` +
          `(budget ${APP_BUDGET_GZIP_BYTES} B; target ${APP_TARGET_GZIP_BYTES} B: ${app.loadedGzipBytes <= APP_TARGET_GZIP_BYTES ? 'met' : `missed by ${app.loadedGzipBytes - APP_TARGET_GZIP_BYTES} B`}); ` +
          `on demand: ${app.lazyChunks.length} chunk(s), ${app.lazyMinBytes} B min; one file: ${dist.gzip} B gzip`,
      ].join('\n'),
    );
  });

  it('measures the same bundle scripts/build.mjs wrote', () => {
    expect(bundle.min).toBe(dist.min);
  });

  it('bundles bson-lite, not the npm bson package (measured alone for comparison)', () => {
    expect(bsonAlone.min, 'the npm bson measurement picked up bson-lite').toBeGreaterThan(2 * bsonLite.min);
    expect(parts.bson, 'npm bson is in the bundle').toBeUndefined();
    expect(parts['core/bson-lite'], 'bson-lite is not in the bundle').toBeGreaterThan(0);
  });

  it('leaves out the in-place section writer (the Node entry registers it; bulk writes here use the generic path)', () => {
    const inputs = Object.keys(Object.values(bundle.metafile!.outputs).find((o) => o.entryPoint !== undefined)!.inputs);
    expect(inputs.some((f) => f.endsWith('wire/section-buffer.ts')), 'the generic section buffer is not in the bundle').toBe(true);
    expect(inputs.filter((f) => f.endsWith('wire/section-writer.ts'))).toEqual([]);
  });

  it('bundles no zod (the URI options are checked by hand)', () => {
    expect(Object.keys(parts).filter((k) => k.startsWith('zod'))).toEqual([]);
  });

  it(`is at most ${BUDGET_GZIP_BYTES} bytes gzipped, bson included (regression budget)`, () => {
    const top = Object.entries(parts)
      .slice(0, 5)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    expect(dist.gzip, `gzip ${dist.gzip} B > ${BUDGET_GZIP_BYTES} B; largest minified inputs: ${top}`).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
  });

  it(`a find + insertOne app loads at most ${APP_BUDGET_GZIP_BYTES} bytes gzipped before its first operation (regression budget)`, () => {
    const top = Object.entries(app.loadedByInput)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    expect(app.loadedGzipBytes, `gzip ${app.loadedGzipBytes} B > ${APP_BUDGET_GZIP_BYTES} B; largest minified inputs: ${top}`).toBeLessThanOrEqual(APP_BUDGET_GZIP_BYTES);
  });

  it('keeps what that app does not need before its first operation out of what it loads up front', () => {
    const upFront = Object.keys(app.loadedByInput);
    for (const lazyModule of ['connection/auth/scram.ts', 'connection/auth/saslprep-tables.ts', 'uri/srv.ts', 'bson-lite/ejson.ts', 'client/bulk-execute.ts', 'client/transaction-end.ts', 'change-stream/engine.ts', 'client/collection-cold.ts', 'client/db-cold.ts', 'operation/tls-file-read.ts']) {
      expect(upFront.filter((f) => f.endsWith(lazyModule)), `${lazyModule} is loaded up front`).toEqual([]);
    }
    expect(app.lazyChunks.length, 'no chunk is left for on-demand loading').toBeGreaterThan(0);
  });

  it('ships the split build beside the one-file bundle (dist/esm-split/)', () => {
    const split = path.join(WEB_DIR, 'dist/esm-split');
    expect(existsSync(path.join(split, 'index.js'))).toBe(true);
    expect(readdirSync(path.join(split, 'chunks')).some((f) => /^cold-[\w-]+\.js$/.test(f))).toBe(true);
    // the one-file bundle inlines the on-demand code: it imports nothing
    expect(distText).not.toMatch(/\bimport\(\s*["'`]/);
  });
});
