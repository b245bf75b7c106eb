// Packs every publishable package (scripts/packages.mjs) with plain `npm pack`, after a
// full build (bundles and declarations) unless --no-build is given:
//   node scripts/pack.mjs [--out DIR] [--no-build]
// Writes the tarballs to DIR (default .tmp/packs) and prints one line per package:
// file name, packed and unpacked size, file count. `npm install ./mongo-edge-core-0.1.0.tgz`
// then works in any project (sim, bridge and web-client carry the core compiled in).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGES, declarationOf } from './packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = path.resolve(outArg > 0 ? process.argv[outArg + 1] : path.join(root, '.tmp/packs'));

/** The files a package's exports need: fails (before packing) if the build has not run. */
export function missingBuildOutputs() {
  const missing = [];
  for (const pkg of PACKAGES) {
    for (const e of pkg.entries) {
      const js = path.join(root, pkg.dir, 'dist', `${e.out}.js`);
      if (!existsSync(js)) missing.push(js);
      if (e.subpath === null) continue;
      const dts = path.join(root, pkg.dir, 'dist/types', pkg.bundlesCore ? `${path.basename(pkg.dir)}/src/${declarationOf(e.src)}` : declarationOf(e.src));
      if (!existsSync(dts)) missing.push(dts);
    }
  }
  return missing.map((f) => path.relative(root, f));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--no-build')) execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  const missing = missingBuildOutputs();
  if (missing.length > 0) {
    console.error(`pack: not built (run node scripts/build.mjs): ${missing.join(', ')}`);
    process.exit(1);
  }
  mkdirSync(out, { recursive: true });
  for (const pkg of PACKAGES) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const json = execFileSync(npm, ['pack', '--json', '--pack-destination', out], { cwd: path.join(root, pkg.dir), encoding: 'utf8' });
    const [info] = JSON.parse(json);
    console.log(`${info.filename}  ${(info.size / 1024).toFixed(1)} KiB packed, ${(info.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${info.entryCount} files`);
  }
  console.log(`pack: ok (${path.relative(process.cwd(), out) || '.'})`);
}
