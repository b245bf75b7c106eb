// Emits the package's declarations into dist/types (run after scripts/build.mjs, or
// alone): `node packages/web-client/build-types.mjs`.
//
// The browser bundle contains the core, so the types do too: tsc (tsconfig.types.json)
// maps @mongo-edge/core to its sources and `bson` to bson-lite (what the bundle
// contains instead of the npm package, scripts/web-bundle-options.mjs) and emits
// declarations for the web client and the core files it reaches; every import of
// @mongo-edge/core and of `bson` is then rewritten to a relative path, so dist/types is
// self-contained.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist/types');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.types.json')], { stdio: 'inherit' });

const webDir = path.join(out, 'web-client/src');
const specifiers = {
  '@mongo-edge/core': '../../core/src/index.js',
  '@mongo-edge/core/internal': '../../core/src/internal.js',
};
for (const name of readdirSync(webDir)) {
  if (!name.endsWith('.d.ts')) continue;
  const file = path.join(webDir, name);
  const text = readFileSync(file, 'utf8').replace(/(from\s+|import\()(['"])(@mongo-edge\/core(?:\/internal)?)\2/g, (m, head, q, spec) =>
    spec in specifiers ? `${head}${q}${specifiers[spec]}${q}` : m,
  );
  writeFileSync(file, text);
}
// `bson` is bson-lite in the bundle, and so in the declarations: a relative import from
// every emitted file (the core's sources import 'bson' too).
const bsonLite = path.join(out, 'core/src/bson-lite/web.js');
const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.join(dir, n)]));
for (const file of walk(out).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8');
  let rel = path.relative(path.dirname(file), bsonLite).split(path.sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const next = text.replace(/(from\s+|import\()(['"])bson\2/g, (m, head, q) => `${head}${q}${rel}${q}`);
  if (next !== text) writeFileSync(file, next);
}
writeFileSync(path.join(out, 'index.d.ts'), "export * from './web-client/src/index.js';\n");
if (!existsSync(path.join(out, 'core/src/bson-lite/web.d.ts'))) throw new Error('build-types: bson-lite declarations were not emitted');
if (!existsSync(path.join(out, 'core/src/index.d.ts'))) throw new Error('build-types: core declarations were not emitted');
console.log(`build-types: ok (${path.relative(process.cwd(), out)})`);
