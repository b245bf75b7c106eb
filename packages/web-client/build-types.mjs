// Emits the package's declarations into dist/types (run after scripts/build.mjs, or
// alone): `node packages/web-client/build-types.mjs`.
//
// The browser bundle contains the core, so the types do too: tsc (tsconfig.types.json)
// maps @mongo-edge/core to its sources and emits declarations for the web client and
// the core files it reaches; the web client's imports of @mongo-edge/core are then
// rewritten to relative paths, so dist/types is self-contained except for `bson`
// (a dependency of this package) and `zod` (referenced by the core's uri options
// table types; see the report in test-artifacts/bundle-size.json).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
writeFileSync(path.join(out, 'index.d.ts'), "export * from './web-client/src/index.js';\n");
if (!existsSync(path.join(out, 'core/src/index.d.ts'))) throw new Error('build-types: core declarations were not emitted');
console.log(`build-types: ok (${path.relative(process.cwd(), out)})`);
