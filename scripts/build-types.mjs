// Emits every publishable package's declarations into its dist/types (run by
// scripts/build.mjs; alone: `node scripts/build-types.mjs [--out DIR] [--only NAME]`; with
// --out they go to DIR/<package dir name>/ instead, leaving dist/ untouched; --only
// web-client (a package's directory name) builds that package alone).
//
// Two tsc programs (settings: tsconfig.types.json), one per flavour of `bson`:
// - node: the core's entries (scripts/packages.mjs CORE_ENTRIES), sim and bridge, with
//   the npm `bson` package;
// - web: the web client, with `bson` resolved to bson-lite exactly as the browser bundle
//   aliases it (scripts/web-bundle-options.mjs).
// Each package then gets the declarations its entries reach, and nothing else. The core
// keeps its own layout (dist/types/index.d.ts, dist/types/runtime/node/index.d.ts, …).
// Packages that bundle the core (sim, bridge, web-client) get dist/types/<pkg>/src/…,
// the core files they reach under dist/types/core/src/…, and dist/types/index.d.ts; every
// `@mongo-edge/core…` specifier (and, for the web client, `bson`) is rewritten to a
// relative path, so the published types never name a package they do not depend on.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_ENTRIES, PACKAGES, declarationOf } from './packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const outArg = process.argv.indexOf('--out');
const outRoot = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : undefined;
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
const rel = (from, to) => {
  const r = path.relative(from, to).split(path.sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
};

/** `@mongo-edge/core…` → its source, for the programs' `paths`. */
const corePaths = Object.fromEntries(
  CORE_ENTRIES.map((e) => [`@mongo-edge/core${e.subpath.slice(1)}`, [path.join(root, 'packages/core', e.src)]]),
);
/** `@mongo-edge/core…` → the staging-relative declaration (core/src/…d.ts). */
const coreDeclarations = Object.fromEntries(
  CORE_ENTRIES.map((e) => [`@mongo-edge/core${e.subpath.slice(1)}`, `core/src/${declarationOf(e.src)}`]),
);
const BSON_LITE = 'core/src/bson-lite/web.d.ts';

// Hand-written ambient declarations in the core (e.g. runtime/cloudflare/sockets.d.ts
// declares 'cloudflare:sockets'): compiled with the programs, shipped beside the files
// that import their modules, and referenced from them (`/// <reference path>`), so a
// consumer needs no platform type package.
const walkDir = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walkDir(path.join(dir, d.name)) : [path.join(dir, d.name)]));
const ambient = new Map(); // module name → staging-relative path (core/src/…d.ts)
for (const file of walkDir(path.join(root, 'packages/core/src')).filter((f) => f.endsWith('.d.ts'))) {
  for (const m of readFileSync(file, 'utf8').matchAll(/^declare module (['"])([^'"]+)\1/gm)) {
    ambient.set(m[2], path.relative(path.join(root, 'packages'), file).split(path.sep).join('/'));
  }
}

const programs = [
  { name: 'node', types: ['node'], bsonPath: undefined, packages: PACKAGES.filter((p) => p.bson === 'npm') },
  {
    name: 'web',
    types: [],
    bsonPath: path.join(root, 'packages/core/src/bson-lite/web.ts'),
    packages: PACKAGES.filter((p) => p.bson === 'lite'),
  },
];

const SPECIFIER = /(\bfrom\s+|\bimport\(|^import\s+)(['"])([^'"\n]+)\2/g;

for (const program of programs) {
  if (only !== undefined) program.packages = program.packages.filter((p) => path.basename(p.dir) === only);
  if (program.packages.length === 0) continue;
  const staging = path.join(root, '.tmp', `types-${program.name}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const files = [
    ...program.packages.flatMap((p) => p.entries.filter((e) => e.subpath !== null).map((e) => path.join(root, p.dir, e.src))),
    ...[...new Set(ambient.values())].map((f) => path.join(root, 'packages', f)),
  ];
  const config = path.join(root, '.tmp', `tsconfig.types.${program.name}-${process.pid}.json`);
  writeFileSync(
    config,
    JSON.stringify(
      {
        extends: path.join(root, 'tsconfig.types.json'),
        compilerOptions: {
          rootDir: path.join(root, 'packages'),
          outDir: staging,
          types: program.types,
          paths: { ...corePaths, ...(program.bsonPath ? { bson: [program.bsonPath] } : {}) },
        },
        files,
      },
      null,
      2,
    ),
  );
  // tsc exits 2 when the sources have type errors but the declarations were written: the
  // typecheck steps of the test command report those; only a failure to emit stops here.
  const emitted = spawnSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit', cwd: root });
  if (emitted.status === 2) console.warn(`build-types: ${program.name}: type errors above (declarations emitted anyway)`);
  else if (emitted.status !== 0) throw new Error(`build-types: tsc failed (${emitted.status ?? emitted.signal})`);

  for (const pkg of program.packages) {
    const pkgName = path.basename(pkg.dir);
    const dest = outRoot ? path.join(outRoot, pkgName) : path.join(root, pkg.dir, 'dist/types');
    // staging-relative declaration → its path under dest
    const place = pkg.bundlesCore ? (f) => f : (f) => f.replace(/^core\/src\//, '');
    const starts = pkg.entries.filter((e) => e.subpath !== null).map((e) => `${pkgName}/src/${declarationOf(e.src)}`);
    const out = new Map();
    const queue = [...starts];
    while (queue.length > 0) {
      const file = queue.pop();
      if (out.has(file)) continue;
      if ([...ambient.values()].includes(file)) {
        out.set(file, readFileSync(path.join(root, 'packages', file), 'utf8'));
        continue;
      }
      const abs = path.join(staging, file);
      if (!existsSync(abs)) throw new Error(`build-types: ${file} was not emitted`);
      const references = [];
      const rewrite = (line) => (/^\s*(\*|\/\*|\/\/)/.test(line) ? line : line.replace(SPECIFIER, (m, head, q, spec) => {
        let target;
        if (spec.startsWith('.')) target = path.posix.join(path.posix.dirname(file), spec).replace(/\.js$/, '.d.ts');
        else if (spec in coreDeclarations) target = coreDeclarations[spec];
        else if (spec === 'bson' && program.bsonPath) target = BSON_LITE;
        else if (ambient.has(spec)) {
          queue.push(ambient.get(spec));
          references.push(`/// <reference path="${rel(path.posix.dirname(place(file)), place(ambient.get(spec)))}" />`);
          return m;
        }
        else if (spec.startsWith('@mongo-edge/')) throw new Error(`build-types: ${file} imports ${spec}, which has no declaration`);
        else return m;
        queue.push(target);
        if (spec.startsWith('.')) return m;
        return `${head}${q}${rel(path.posix.dirname(place(file)), place(target)).replace(/\.d\.ts$/, '.js')}${q}`;
      }));
      // Line by line, so a specifier quoted in a doc comment is left alone.
      // A default import of a Node built-in (`import tls from 'node:tls'`) needs the
      // consumer's esModuleInterop; the namespace import means the same in a declaration.
      const builtins = (line) => line.replace(/^import (type )?(\w+) from (['"])(node:[^'"]+)\3;$/, 'import $1* as $2 from $3$4$3;');
      const text = readFileSync(abs, 'utf8').split('\n').map((line) => builtins(rewrite(line))).join('\n');
      out.set(file, [...new Set(references)].map((r) => `${r}\n`).join('') + text);
    }
    rmSync(dest, { recursive: true, force: true });
    for (const [file, text] of out) {
      const target = path.join(dest, place(file));
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, text);
    }
    if (pkg.bundlesCore) writeFileSync(path.join(dest, 'index.d.ts'), `export * from './${pkgName}/src/index.js';\n`);
    console.log(`build-types: ${pkg.name}: ${out.size} declaration files → ${path.relative(root, dest)}`);
  }
  rmSync(staging, { recursive: true, force: true });
  rmSync(config, { force: true });
}
