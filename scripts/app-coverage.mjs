// Which of the code the issue-19 app loads up front actually runs (a census for the web
// bundle work; see docs/benchmarks.md "Issue 19: the web app bundle, round three"). Builds
// the app (packages/web-client/test/fixtures/app-find-insert.ts's steps: connect through the
// bridge, find().toArray(), insertOne, close) with the split build's options, whitespace and
// comments kept so esbuild's "// path" lines mark the modules, runs it in Node against a
// one-member mongod-sim set behind a bridge with V8's precise (block-level) coverage, and
// prints, for the chunks loaded up front, the code characters (no whitespace, no comments)
// that never ran, per module, then the largest functions that were never called.
//   node --conditions=source --import tsx scripts/app-coverage.mjs [--functions N]
// Runs in Node, not a browser: the runtime detection takes its Node branch.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import inspector from 'node:inspector/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { startCluster } from '@mongo-edge/sim';
import { startBridge } from '@mongo-edge/bridge';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { webSplitBundleOptions, loadedOutputs } = await import('./web-bundle-options.mjs');
const work = path.join(root, '.tmp/app-coverage');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
// The fixture's steps, with the WebSocket constructor passed in (Node 20 has no global one).
const entry = path.join(work, 'app.ts');
fs.writeFileSync(
  entry,
  `import { MongoClient } from '@mongo-edge/web-client';
export async function run(uri: string, url: string, WebSocket: any): Promise<number> {
  const client = new MongoClient(uri, { bridge: { url, token: 'x', WebSocket } });
  const items = client.db('app').collection<{ name: string }>('items');
  const found = await items.find({ name: 'a' }).toArray();
  await items.insertOne({ name: 'b' });
  await client.close();
  return found.length;
}
`,
);
const outdir = path.join(work, 'out');
const out = await build({
  ...webSplitBundleOptions(root),
  entryPoints: [entry],
  outdir,
  sourcemap: false,
  absWorkingDir: root,
  logLevel: 'silent',
  minify: false,
  minifyIdentifiers: true,
  minifySyntax: true,
  external: ['ws'],
});
// the output files loaded up front (the same walk as appBundleSize)
const outputs = out.metafile.outputs;
const loaded = loadedOutputs(outputs);

const cluster = await startCluster({ members: 1, replSet: 'coverage' });
const bridge = await startBridge({ port: 0, allow: cluster.members.map((m) => m.host), noAuth: true, log: () => undefined });
const session = new inspector.Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
const appFile = path.join(root, [...loaded].find((o) => outputs[o].entryPoint !== undefined));
try {
  await (await import(pathToFileURL(appFile).href)).run(cluster.uri, bridge.url, WebSocket);
} finally {
  await bridge.close();
  await cluster.stop();
}
const { result } = await session.post('Profiler.takePreciseCoverage');

const blank = (s) => ' '.repeat(s.length);
const perModule = new Map();
const functions = [];
let total = 0;
for (const o of loaded) {
  const file = path.join(root, o);
  // comments blanked (same length, so the coverage offsets still apply), the module markers kept
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[^]*?\*\//g, blank).replace(/^\s*\/\/ (?!\S+\.ts$).*$/gm, blank);
  const coverage = result.find((r) => r.url === pathToFileURL(file).href);
  if (!coverage) throw new Error(`no coverage for ${o}`);
  const counts = new Int32Array(text.length).fill(-1);
  for (const f of coverage.functions) for (const r of f.ranges) counts.fill(r.count, r.startOffset, r.endOffset);
  const marks = [...text.matchAll(/^\/\/ (\S+\.ts)$/gm)].map((m) => [m.index, m[1]]);
  const moduleAt = (i) => marks.findLast(([at]) => at <= i)?.[1] ?? '?';
  const code = text.replace(/^\/\/ \S+\.ts$/gm, blank);
  for (let i = 0; i < code.length; i++) {
    if (/\s/.test(code[i])) continue;
    total++;
    if (counts[i] === 0) perModule.set(moduleAt(i), (perModule.get(moduleAt(i)) ?? 0) + 1);
  }
  for (const f of coverage.functions) {
    const r = f.ranges[0];
    if (r.count === 0) functions.push([text.slice(r.startOffset, r.endOffset).replace(/\s+/g, '').length, moduleAt(r.startOffset), text.slice(r.startOffset, r.startOffset + 80).replace(/\s+/g, ' ')]);
  }
}
const never = [...perModule.values()].reduce((a, b) => a + b, 0);
console.log(`loaded up front: ${total} code characters (no whitespace or comments); never run: ${never} (${Math.round((100 * never) / total)} %)`);
for (const [m, n] of [...perModule].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(7)}  ${m}`);
const n = Number(process.argv[process.argv.indexOf('--functions') + 1]) || 40;
console.log(`\nthe ${n} largest functions never called (code characters, module, start):`);
for (const [size, m, start] of functions.sort((a, b) => b[0] - a[0]).slice(0, n)) console.log(`${String(size).padStart(7)}  ${m}  ${start}`);
process.exit(0);
