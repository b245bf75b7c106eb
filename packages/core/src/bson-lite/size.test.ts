/**
 * bson-lite's own size, measured as the brief states it: its index bundled alone with
 * esbuild (minified, browser, es2022), gzip level 9. The target is 5,500 B; 7,000 B is
 * the hard ceiling this test enforces.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const CEILING_GZIP_BYTES = 7000;

describe('bson-lite size', () => {
  it(`is at most ${CEILING_GZIP_BYTES} B gzip on its own, with no Node API in it`, async () => {
    const result = await build({
      entryPoints: [path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.ts')],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const js = result.outputFiles[0]!.contents;
    const gzip = gzipSync(js, { level: 9 }).length;
    console.log(`bson-lite: ${js.length} B minified, ${gzip} B gzip (target 5500, ceiling ${CEILING_GZIP_BYTES})`);
    expect(gzip).toBeLessThanOrEqual(CEILING_GZIP_BYTES);
    const text = new TextDecoder().decode(js);
    expect(text.match(/(?<![\w$])(Buffer|process|require|setImmediate)(?![\w$])|node:/g) ?? []).toEqual([]);
  });
});
