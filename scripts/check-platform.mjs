// Fails if platform-neutral core code imports a platform module or uses a platform global.
// Platform code lives in packages/core/src/runtime/<platform>/ and may use its own
// platform's APIs only: runtime/node/ Node's, runtime/cloudflare/ cloudflare:* modules,
// runtime/deno/ the Deno global. Everything else (runtime/bridge/, runtime/memory/ included)
// uses none of them. Tests (*.test.ts) are exempt.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'packages/core/src');
const PLATFORM_DIRS = { node: 'node', cloudflare: 'cloudflare', deno: 'deno' };
const banned = [
  { re: /from\s+['"]cloudflare:[^'"]+['"]|import\(\s*['"]cloudflare:/, what: 'cloudflare: module import', platform: 'cloudflare' },
  // (outside string literals: Symbol.for('Deno.customInspect') names a symbol, not the global)
  { re: /\bDeno\.|globalThis\.Deno\b|\{\s*Deno\?:/, what: 'Deno global', platform: 'deno', outsideStrings: true },
  { re: /from\s+['"](node:[^'"]+|net|tls|dns|os|crypto|buffer|events|fs|path|child_process|stream|util)['"]/, what: 'Node built-in import' },
  { re: /import\(\s*['"](node:[^'"]+|net|tls|dns|os|crypto|buffer|events)['"]\s*\)/, what: 'Node built-in dynamic import' },
  { re: /require\(/, what: 'require()' },
  { re: /\bBuffer\b/, what: 'Buffer' },
  { re: /\bprocess\./, what: 'process global' },
  { re: /\bsetImmediate\b/, what: 'setImmediate' },
  { re: /\b__dirname\b|\b__filename\b/, what: 'CommonJS globals' },
];

/** The platform whose APIs `file` may use ('node', 'cloudflare', 'deno'), or undefined. */
function platformOf(file) {
  const rel = path.relative(path.join(srcDir, 'runtime'), file).split(path.sep);
  return rel.length > 1 && !rel[0].startsWith('..') ? PLATFORM_DIRS[rel[0]] : undefined;
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

const problems = [];
for (const file of walk(srcDir)) {
  const platform = platformOf(file);
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (/^\s*\*/.test(code)) return; // doc comment line
    const bare = code.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
    for (const b of banned) if ((b.platform ?? 'node') !== platform && b.re.test(b.outsideStrings ? bare : code)) problems.push(`${path.relative(root, file)}:${i + 1}: ${b.what}: ${line.trim()}`);
  });
}
if (problems.length) {
  console.error('core must stay platform-neutral:\n' + problems.join('\n'));
  process.exit(1);
}
console.log('platform-neutral core: ok');
