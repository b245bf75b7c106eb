// Fails if platform-neutral core code (packages/core/src outside src/runtime/node/) imports a
// Node built-in or uses Node globals. Tests (*.test.ts) are exempt.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'packages/core/src');
const banned = [
  { re: /from\s+['"](node:[^'"]+|net|tls|dns|os|crypto|buffer|events|fs|path|child_process|stream|util)['"]/, what: 'Node built-in import' },
  { re: /import\(\s*['"](node:[^'"]+|net|tls|dns|os|crypto|buffer|events)['"]\s*\)/, what: 'Node built-in dynamic import' },
  { re: /require\(/, what: 'require()' },
  { re: /\bBuffer\b/, what: 'Buffer' },
  { re: /\bprocess\./, what: 'process global' },
  { re: /\bsetImmediate\b/, what: 'setImmediate' },
  { re: /\b__dirname\b|\b__filename\b/, what: 'CommonJS globals' },
];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (p === path.join(srcDir, 'runtime', 'node')) continue;
      yield* walk(p);
    } else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) yield p;
  }
}

const problems = [];
for (const file of walk(srcDir)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (/^\s*\*/.test(code)) return; // doc comment line
    for (const b of banned) if (b.re.test(code)) problems.push(`${path.relative(root, file)}:${i + 1}: ${b.what}: ${line.trim()}`);
  });
}
if (problems.length) {
  console.error('core must stay platform-neutral:\n' + problems.join('\n'));
  process.exit(1);
}
console.log('platform-neutral core: ok');
