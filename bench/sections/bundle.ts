/**
 * Section "bundle": bytes a browser downloads. The web client's bundle (or, while
 * packages/web-client has no source yet, an esbuild browser bundle of the core as a
 * stand-in) against `bson` alone, minified and gzipped.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import type { AppSize } from '../../scripts/web-bundle-options.mjs';
import { metricFromValues, target, type Metric, type Section, type SectionContext, type SectionOutput } from '../lib/harness.js';

export const GZIP_BUDGET_BYTES = 45 * 1024;
/** Issue 19: what a find + insertOne app loads before its first operation; Neon's serverless driver doing the same. */
export const APP_GZIP_TARGET_BYTES = 46_970;

interface Sizes {
  min: number;
  gzip: number;
}

function sizesOf(code: Uint8Array): Sizes {
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

/** Bytes in the output by package (node_modules package name, or the workspace folder). */
function byOrigin(metafile: Metafile): Array<{ origin: string; bytes: number }> {
  const totals = new Map<string, number>();
  for (const out of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
      const nm = input.lastIndexOf('node_modules/');
      let origin: string;
      if (nm >= 0) {
        const rest = input.slice(nm + 'node_modules/'.length).split('/');
        origin = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
      } else {
        const m = /packages\/([^/]+)\/src\/([^/]+)/.exec(input);
        origin = m ? `${m[1]}/${m[2]!.replace(/\.ts$/, '')}` : input;
      }
      totals.set(origin, (totals.get(origin) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].map(([origin, bytes]) => ({ origin, bytes })).sort((a, b) => b.bytes - a.bytes);
}

async function bundle(ctx: SectionContext, entry: { file?: string; contents?: string }, name: string): Promise<{ code: Uint8Array; metafile: Metafile }> {
  const outfile = path.join(ctx.tmpDir, `${name}.js`);
  const result = await build({
    ...(entry.file
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.contents!, resolveDir: path.join(ctx.repoRoot, 'bench'), loader: 'ts' as const } }),
    outfile,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['source', 'browser'],
    metafile: true,
    logLevel: 'silent',
  });
  return { code: readFileSync(outfile), metafile: result.metafile };
}

export const bundleSection: Section = {
  name: 'bundle',
  title: 'Browser bundle size',
  description:
    'Minified and gzipped (level 9) bytes of the browser bundle, against `bson` alone (esbuild bundle of ' +
    "`import * as b from 'bson'; export default b`, minified, browser conditions). The web client's bundle is " +
    '`packages/web-client/dist/index.js` as built by `scripts/build.mjs` (`pnpm bench` builds first); while `packages/web-client/src/index.ts` does ' +
    'not exist, a stand-in is measured instead (`core-standin`): an esbuild browser bundle of ' +
    '`bench/lib/web-standin-entry.ts` (the core API, `MongoClient`, `WebSocketTransport`, bson value types; same options as ' +
    'the web build). Reference contender: `bson`.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    const notes: string[] = [];
    const webSrc = path.join(ctx.repoRoot, 'packages/web-client/src/index.ts');
    const webDist = path.join(ctx.repoRoot, 'packages/web-client/dist/index.js');
    let client: { code: Uint8Array; metafile: Metafile };
    let clientName: string;
    if (existsSync(webSrc)) {
      clientName = 'web-client';
      // A fresh build with the options of scripts/build.mjs, for the per-package breakdown.
      client = await bundle(ctx, { file: webSrc }, 'web-client');
      if (existsSync(webDist)) {
        const fresh = sizesOf(client.code);
        client = { code: readFileSync(webDist), metafile: client.metafile };
        const stale = statSync(webDist).mtimeMs < statSync(webSrc).mtimeMs;
        notes.push(
          `Measured: packages/web-client/dist/index.js as built by scripts/build.mjs${stale ? ' (OLDER than src/index.ts: run node scripts/build.mjs)' : ''}; ` +
            `a fresh bundle of src/index.ts here gives ${fresh.min.toLocaleString('en-US')} B min, ${fresh.gzip.toLocaleString('en-US')} B gzip.`,
        );
      } else {
        notes.push('Measured: packages/web-client/src/index.ts bundled here (dist/index.js not built: run node scripts/build.mjs).');
      }
    } else {
      client = await bundle(ctx, { file: path.join(ctx.repoRoot, 'bench/lib/web-standin-entry.ts') }, 'core-standin');
      clientName = 'core-standin';
      notes.push(
        'STAND-IN: packages/web-client/src/index.ts does not exist yet, so the number is an esbuild browser bundle of ' +
          'bench/lib/web-standin-entry.ts: the public core API, MongoClient, WebSocketTransport and bson value types. ' +
          'Re-run when the web client lands.',
      );
    }
    const bson = await bundle(ctx, { contents: "import * as b from 'bson';\nexport default b;\n" }, 'bson-alone');
    const c = sizesOf(client.code);
    const b = sizesOf(bson.code);
    const top = byOrigin(client.metafile).slice(0, 8);
    notes.push(`Largest contributors to ${clientName} (minified bytes): ${top.map((t) => `${t.origin} ${t.bytes.toLocaleString('en-US')}`).join(', ')}.`);
    // Issue 19's app-level figure: the split build's options, the app fixture, entry + static imports.
    const scriptsUrl = pathToFileURL(path.join(ctx.repoRoot, 'scripts/web-bundle-options.mjs')).href;
    const { appBundleSize } = (await import(scriptsUrl)) as typeof import('../../scripts/web-bundle-options.mjs');
    const app: AppSize | undefined = existsSync(webSrc) ? await appBundleSize(ctx.repoRoot, { build, gzipSync }) : undefined;
    if (app) {
      notes.push(
        `App level (issue 19): packages/web-client/test/fixtures/app-find-insert.ts (new MongoClient with a bridge, find().toArray(), insertOne) bundled with the split build's options ` +
          `(scripts/web-bundle-options.mjs, esbuild splitting) loads ${app.loadedChunks.length} chunk(s) before its first operation: ${app.loadedMinBytes.toLocaleString('en-US')} B min, ` +
          `${app.loadedGzipBytes.toLocaleString('en-US')} B gzip (each chunk gzipped -9); ${app.lazyChunks.length} chunk(s), ${app.lazyMinBytes.toLocaleString('en-US')} B min, load on first use only (auth, mongodb+srv, bulk results, ending transactions, findAndModify and index creation, the counts, distinct and the other rarely used Collection/Db operations, the TLS file reads, the change stream engine). ` +
          `The one-file bundle stays at packages/web-client/dist/index.js; the split build is dist/esm-split/ (export "@mongo-edge/web-client/split").`,
      );
    }
    const metrics: Record<string, Metric> = {
      'bundle.min_bytes': metricFromValues({ title: 'Minified bytes', unit: 'bytes', better: 'lower', reference: 'bson' }, { bson: b.min, [clientName]: c.min }),
      'bundle.gzip_bytes': metricFromValues({ title: 'Minified + gzip bytes', unit: 'bytes', better: 'lower', reference: 'bson' }, { bson: b.gzip, [clientName]: c.gzip }),
    };
    notes.push(`The client adds about ${((c.gzip - b.gzip) / 1024).toFixed(1)} KiB gzip on top of bson's ${(b.gzip / 1024).toFixed(1)} KiB.`);
    if (app) {
      metrics['bundle.app_gzip_bytes'] = metricFromValues(
        { title: 'find + insertOne app, loaded before its first operation (gzip)', unit: 'bytes', better: 'lower', reference: 'bson' },
        { bson: b.gzip, 'app-split': app.loadedGzipBytes },
      );
    }
    const targets = [target('bundle.gzip_bytes', `${clientName} at most 45 KiB (46,080 bytes) gzip`, c.gzip, '<=', GZIP_BUDGET_BYTES)];
    if (app) targets.push(target('bundle.app_gzip_bytes', 'find + insertOne app at most 46,970 B gzip before its first operation (Neon serverless driver)', app.loadedGzipBytes, '<=', APP_GZIP_TARGET_BYTES));
    return { metrics, targets, notes };
  },
};
