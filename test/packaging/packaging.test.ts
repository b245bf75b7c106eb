/**
 * The packages as a user gets them: scripts/pack.mjs packs all four with `npm pack`, npm
 * installs the tarballs (and nothing else of ours) into a fresh project in the OS temp
 * directory, outside the workspace; then
 * - every package.json agrees with scripts/packages.mjs (exports with `types` first,
 *   typesVersions, tsconfig.base.json paths) and names no @mongo-edge/* dependency;
 * - each tarball holds only LICENSE, README.md, package.json, dist (JS, the web client's split
 *   build, and .d.ts) and bin;
 * - an ES module program imports every entry, starts a sim from the installed
 *   @mongo-edge/sim and runs CRUD with BSON values through @mongo-edge/core/node; a
 *   CommonJS program require()s the Node entry; the CLIs answer --help;
 * - a TypeScript consumer typechecks against the published declarations under `strict`,
 *   `exactOptionalPropertyTypes`, `noPropertyAccessFromIndexSignature` and
 *   `noUncheckedIndexedAccess`, with `skipLibCheck` off, for each `moduleResolution`;
 * - esbuild bundles a browser program that imports @mongo-edge/web-client;
 * - pnpm and yarn (pinned) install the same tarballs into their own fresh projects, all four
 *   together (the ES module program runs there too) and web-client alone.
 * Needs a build (scripts/build.mjs; the test command runs it first): it builds if dist is
 * missing. Dependencies (bson, zod, …) come from npm's cache or the registry.
 */
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLock } from '../../packages/web-client/test/helpers.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const TYPES_NODE = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@types/node/package.json'), 'utf8')).version as string;

interface Entry { subpath: string | null; src: string; out: string; user: boolean }
interface Pkg { name: string; dir: string; entries: Entry[]; bundlesCore: boolean; bson: 'npm' | 'lite' }
const { PACKAGES, CORE_ENTRIES } = (await import(path.join(ROOT, 'scripts/packages.mjs'))) as { PACKAGES: Pkg[]; CORE_ENTRIES: Entry[] };
const { missingBuildOutputs } = (await import(path.join(ROOT, 'scripts/pack.mjs'))) as { missingBuildOutputs: () => string[] };

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
const specifier = (pkg: Pkg, e: Entry) => `${pkg.name}${e.subpath!.slice(1)}`;
const allExported = PACKAGES.flatMap((p) => p.entries.filter((e) => e.subpath !== null).map((e) => ({ pkg: p, entry: e, spec: specifier(p, e) })));
/** Entries Node cannot load: their runtime's own modules (cloudflare:sockets); typechecked only. */
const NOT_ON_NODE = new Set(['@mongo-edge/core/cloudflare']);
const exported = allExported.filter(({ spec }) => !NOT_ON_NODE.has(spec));

async function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<{ code: number; out: string }> {
  return run(cmd, args, { cwd, timeout, maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '' } }).then(
    (r) => ({ code: 0, out: `${r.stdout}${r.stderr}` }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
}

describe('package.json of every package', () => {
  const base = readJson(path.join(ROOT, 'tsconfig.base.json')).compilerOptions.paths as Record<string, string[]>;
  for (const pkg of PACKAGES) {
    const json = readJson(path.join(ROOT, pkg.dir, 'package.json'));
    it(`${pkg.name}: exports, typesVersions, paths, license and dependencies agree with scripts/packages.mjs`, () => {
      expect(json.license).toBe('Apache-2.0');
      expect(json.type).toBe('module');
      const subpaths = pkg.entries.filter((e) => e.subpath !== null);
      expect(Object.keys(json.exports).filter((k) => k !== './package.json').sort()).toEqual(subpaths.map((e) => e.subpath).sort());
      for (const e of subpaths) {
        const dts = pkg.bundlesCore ? './dist/types/index.d.ts' : `./dist/types/${e.src.replace(/^src\//, '').replace(/\.ts$/, '.d.ts')}`;
        // `types` first (what TypeScript reads), then the workspace's `source`, then the JS
        expect(json.exports[e.subpath!]).toEqual({ types: dts, source: `./${e.src}`, default: `./dist/${e.out}.js` });
        expect(Object.keys(json.exports[e.subpath!])[0]).toBe('types');
        if (e.subpath === '.') expect([json.types, json.main]).toEqual([dts, `./dist/${e.out}.js`]);
        else expect(json.typesVersions['*'][e.subpath!.slice(2)]).toEqual([dts]);
        // the workspace typechecks against sources
        expect(base[specifier(pkg, e)]).toEqual([`./${pkg.dir}/${e.src}`]);
      }
      const deps = Object.keys({ ...json.dependencies, ...json.peerDependencies, ...json.optionalDependencies });
      expect(deps.filter((d) => d.startsWith('@mongo-edge/'))).toEqual([]);
      if (pkg.bson === 'npm') expect(json.dependencies.bson).toBe(readJson(path.join(ROOT, 'packages/core/package.json')).dependencies.bson);
      if (pkg.bson === 'lite') expect(json.dependencies ?? {}).toEqual({});
    });
  }
  it('the core entries are the core package', () => {
    expect(PACKAGES.find((p) => p.name === '@mongo-edge/core')!.entries).toBe(CORE_ENTRIES);
  });
});

/** The ES module program every install runs: imports every entry, then CRUD with BSON values against the installed sim. */
const ESM_PROGRAM = `${exported.map(({ spec }, i) => `import * as m${i} from '${spec}';`).join('\n')}
const entries = { ${exported.map(({ spec }, i) => `'${spec}': m${i}`).join(', ')} };
const bsonNames = ['ObjectId', 'Long', 'Decimal128', 'Binary', 'UUID', 'Timestamp', 'Double', 'Int32', 'MinKey', 'MaxKey', 'Code', 'BSONRegExp', 'BSONSymbol', 'DBRef', 'BSON', 'EJSON', 'ServerApiVersion'];
const missing = [];
for (const spec of ['@mongo-edge/core', '@mongo-edge/core/node', '@mongo-edge/web-client']) {
  for (const name of bsonNames) if (entries[spec][name] === undefined) missing.push(spec + ' ' + name);
  if (typeof entries[spec].MongoClient !== 'function') missing.push(spec + ' MongoClient');
}
console.log('missing', JSON.stringify(missing));
// every entry exports several names (the smallest, ./gridfs: the bucket, its upload, two errors)
console.log('sizes', Object.entries(entries).map(([k, m]) => k + '=' + (Object.keys(m).length >= 4)).join(' '));
const { MongoClient, ObjectId, Long, Decimal128, ServerApiVersion } = entries['@mongo-edge/core/node'];
const { startSim } = entries['@mongo-edge/sim'];
const sim = await startSim({ port: 0, bindIp: '127.0.0.1', quiet: true });
const client = new MongoClient(sim.uri, { serverApi: { version: ServerApiVersion.v1 }, serverSelectionTimeoutMS: 10000 });
try {
  const id = new ObjectId();
  const items = client.db('app').collection('items');
  await items.insertOne({ _id: id, n: Long.fromNumber(5), d: Decimal128.fromString('1.5') });
  const doc = await items.findOne({ _id: id });
  console.log('found', doc._id instanceof ObjectId && doc._id.equals(id), String(doc.n), doc.d instanceof Decimal128 && String(doc.d));
} finally {
  await client.close();
  await sim.close();
}
`;

function expectEsmProgramRan(r: { code: number; out: string }): void {
  expect(r.out).toContain('missing []');
  expect(r.out).toContain(`sizes ${exported.map(({ spec }) => `${spec}=true`).join(' ')}`);
  expect(r.out).toContain('found true 5 1.5');
  expect(r.code).toBe(0);
}

/** web-client installed alone (it is one file with no dependencies): a program imports it. */
const WEB_ALONE_PROGRAM = `import { MongoClient, ObjectId, BSON } from '@mongo-edge/web-client';
const id = new ObjectId();
// Node 20 has no global WebSocket; the client opens none until an operation runs
const client = new MongoClient('mongodb://a:27017/?replicaSet=rs0', { bridge: { url: 'wss://bridge.example/', WebSocket: class {} } });
console.log('web', typeof client.db, BSON.deserialize(BSON.serialize({ id })).id.equals(id));
`;

/** The other package managers, pinned; each installs the same tarballs into its own fresh projects. */
const MANAGERS = {
  pnpm: (files: string[]) => ['npx', ['--yes', 'pnpm@10.34.9', 'add', '--prefer-offline', '--ignore-scripts', ...files]],
  yarn: (files: string[]) => ['npx', ['--yes', 'yarn@1.22.22', 'add', '--prefer-offline', '--ignore-scripts', '--non-interactive', '--no-progress', ...files.map((f) => `file:${f}`)]],
} as const satisfies Record<string, (files: string[]) => readonly [string, string[]]>;

describe('tarballs installed with npm outside the workspace', () => {
  let dir: string;
  let packs: Record<string, { file: string; files: string[]; size: number }>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mongo-edge-consumer-'));
    expect(path.relative(ROOT, dir).startsWith('..')).toBe(true);
    const packDir = path.join(dir, 'packs');
    // Under the lock the web-client tests build with, so dist/ is whole while packed.
    await withLock(async () => {
      if (missingBuildOutputs().length > 0) {
        const b = await sh(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], ROOT);
        if (b.code !== 0) throw new Error(`build failed:\n${b.out}`);
      }
      const p = await sh(process.execPath, [path.join(ROOT, 'scripts/pack.mjs'), '--no-build', '--out', packDir], ROOT);
      if (p.code !== 0) throw new Error(`pack failed:\n${p.out}`);
      console.log(p.out.trim());
    });
    packs = {};
    for (const pkg of PACKAGES) {
      const file = path.join(packDir, `${pkg.name.slice(1).replace('/', '-')}-${readJson(path.join(ROOT, pkg.dir, 'package.json')).version}.tgz`);
      const list = await sh('tar', ['-tzf', file], dir);
      packs[pkg.name] = { file, files: list.out.trim().split('\n'), size: readFileSync(file).byteLength };
    }
    const app = path.join(dir, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const install = await sh(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...Object.values(packs).map((p) => p.file), `@types/node@${TYPES_NODE}`],
      app,
    );
    if (install.code !== 0) throw new Error(`npm install failed (${install.code}):\n${install.out}`);
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const app = () => path.join(dir, 'app');

  it('each tarball holds only LICENSE, README.md, package.json, dist (JS and declarations) and bin', () => {
    for (const pkg of PACKAGES) {
      const { files } = packs[pkg.name]!;
      const stray = files.filter((f) => !/^package\/(LICENSE|README\.md|package\.json|dist\/[^/]+\.js|dist\/esm-split\/(chunks\/)?[^/]+\.js|dist\/types\/.+\.d\.ts|bin\/[^/]+\.js)$/.test(f));
      expect(stray, pkg.name).toEqual([]);
      expect(files, pkg.name).toContain('package/LICENSE');
      expect(files, pkg.name).toContain('package/README.md');
    }
  });

  it('installs no @mongo-edge package other than the four tarballs, and no TypeScript sources', async () => {
    const installed = readJson(path.join(app(), 'package-lock.json')).packages as Record<string, { resolved?: string }>;
    for (const [where, info] of Object.entries(installed)) {
      if (where.includes('node_modules/@mongo-edge/')) expect(info.resolved, where).toMatch(/^file:.*\.tgz$/);
    }
    const ts = await sh('find', ['node_modules/@mongo-edge', '-name', '*.ts', '-not', '-name', '*.d.ts'], app());
    expect(ts.out.trim()).toBe('');
  });

  it('an ES module program imports every entry and runs CRUD against the installed sim', async () => {
    writeFileSync(path.join(app(), 'main.mjs'), ESM_PROGRAM);
    expectEsmProgramRan(await sh(process.execPath, ['main.mjs'], app(), 120_000));
  });

  it('a CommonJS program require()s the Node entry', async () => {
    writeFileSync(
      path.join(app(), 'main.cjs'),
      `const { MongoClient, ObjectId, BSON } = require('@mongo-edge/core/node');
const id = new ObjectId();
console.log('cjs', typeof MongoClient, BSON.deserialize(BSON.serialize({ id })).id.equals(id));
`,
    );
    const r = await sh(process.execPath, ['main.cjs'], app());
    expect(r.out).toContain('cjs function true');
    expect(r.code).toBe(0);
  });

  it('the CLIs run from node_modules/.bin', async () => {
    const sim = await sh(path.join(app(), 'node_modules/.bin/mongod-sim'), ['--help'], app());
    expect(sim.out).toContain('--replSet');
    expect(sim.code).toBe(0);
    const bridge = await sh(path.join(app(), 'node_modules/.bin/mongo-edge-bridge'), ['--help'], app());
    expect(bridge.out).toContain('--jwt-secret');
    expect(bridge.code).toBe(0);
  });

  const consumer = `import { MongoClient, ObjectId, Long, Decimal128, Binary, UUID, Timestamp, Double, Int32, MinKey, MaxKey, Code, BSONRegExp, BSONSymbol, DBRef, BSON, EJSON, ServerApiVersion, ReadPreference, MongoServerError, type Document, type CommandStartedEvent } from '@mongo-edge/core/node';
import * as core from '@mongo-edge/core';
import * as web from '@mongo-edge/web-client';
import { startSim } from '@mongo-edge/sim';
import { signBridgeToken } from '@mongo-edge/bridge';
${allExported.filter(({ spec }) => spec.startsWith('@mongo-edge/core/')).map(({ spec }, i) => `import * as entry${i} from '${spec}';\nexport const typed${i}: object = entry${i};`).join('\n')}

interface Item { _id: ObjectId; n: Long; d?: Decimal128; tags: string[] }
export async function main(uri: string): Promise<string> {
  const client = new MongoClient(uri, { serverApi: { version: ServerApiVersion.v1, strict: true }, monitorCommands: true });
  const started: string[] = [];
  client.on('commandStarted', (e: CommandStartedEvent) => started.push(e.commandName));
  const items = client.db('app').collection<Item>('items');
  await items.insertOne({ _id: new ObjectId(), n: Long.fromNumber(1), tags: [] });
  const found = await items.find({ tags: 'a' }, { readPreference: ReadPreference.primary }).toArray();
  const first = found[0];
  const values: Document = { b: new Binary(new Uint8Array(1)), u: new UUID(), t: new Timestamp({ t: 1, i: 1 }), f: new Double(1), i: new Int32(1), lo: new MinKey(), hi: new MaxKey(), c: new Code('x'), r: new BSONRegExp('a'), s: new BSONSymbol('s'), ref: new DBRef('c', new ObjectId()) };
  const bytes: Uint8Array = BSON.serialize(values);
  try {
    await client.db('admin').command({ nope: 1 });
  } catch (e) {
    if (e instanceof MongoServerError) started.push(String(e.code));
  }
  await client.close();
  return EJSON.stringify({ n: first?.n.toString() ?? 'none', size: bytes.length, started });
}
// @ts-expect-error Long.fromNumber takes a number
Long.fromNumber('1');
export const neutral: typeof core.MongoClient = core.MongoClient;
export const browser = new web.MongoClient('mongodb://a:27017/?replicaSet=rs0', { bridge: { url: 'wss://bridge.example/', token: () => 'jwt' } });
export const webId: web.ObjectId = new web.ObjectId();
export const token: Promise<string> = signBridgeToken('x'.repeat(32), { expiresInSeconds: 60 });
export const sim = startSim({ port: 0 });
`;

  for (const [resolution, module] of [['node10', 'esnext'], ['node16', 'node16'], ['nodenext', 'nodenext'], ['bundler', 'esnext']] as const) {
    it(`a strict TypeScript consumer typechecks against the declarations (moduleResolution ${resolution})`, async () => {
      const file = `consumer-${resolution}.ts`;
      writeFileSync(path.join(app(), file), consumer);
      writeFileSync(
        path.join(app(), `tsconfig.${resolution}.json`),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2022', 'DOM'],
            module,
            moduleResolution: resolution,
            strict: true,
            exactOptionalPropertyTypes: true,
            noPropertyAccessFromIndexSignature: true,
            noUncheckedIndexedAccess: true,
            skipLibCheck: false,
            noEmit: true,
            types: ['node'],
            // zod's own declarations (the bridge exposes its config schema) default-import
            // under node10; ours do not (build-types.mjs writes namespace imports of built-ins)
            ...(resolution === 'node10' ? { allowSyntheticDefaultImports: true } : {}),
          },
          files: [file],
        }),
      );
      const r = await sh(process.execPath, [TSC, '-p', `tsconfig.${resolution}.json`], app());
      expect(r.out).toBe('');
      expect(r.code).toBe(0);
    }, 300_000);
  }

  it('esbuild bundles a browser program that imports @mongo-edge/web-client', async () => {
    writeFileSync(path.join(app(), 'browser.mjs'), "import { MongoClient, ObjectId } from '@mongo-edge/web-client';\nexport const make = () => [new MongoClient('mongodb://a', { bridge: { url: 'wss://b/' } }), new ObjectId()];\n");
    const out = await build({ entryPoints: [path.join(app(), 'browser.mjs')], bundle: true, platform: 'browser', format: 'esm', write: false, absWorkingDir: app(), logLevel: 'silent', metafile: true });
    const inputs = Object.keys(out.metafile!.inputs);
    expect(inputs.filter((f) => !f.startsWith('node_modules/@mongo-edge/web-client/') && f !== 'browser.mjs')).toEqual([]);
    expect(out.outputFiles![0]!.text).toContain('MongoClient');
  });

  for (const [manager, command] of Object.entries(MANAGERS)) {
    /** A fresh project beside npm's, installed by `manager` from `files`; its exit code and output. */
    const installWith = async (name: string, files: string[]) => {
      const project = path.join(dir, `${manager}-${name}`);
      mkdirSync(project);
      writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }));
      const [cmd, args] = command(files);
      const r = await sh(cmd, args, project);
      if (r.code !== 0) throw new Error(`${manager} install failed (${r.code}):\n${r.out}`);
      return project;
    };

    it(`${manager} installs the four tarballs together; the ES module program runs`, async () => {
      const project = await installWith('all', Object.values(packs).map((p) => p.file));
      const installed = await sh('ls', [path.join(project, 'node_modules/@mongo-edge')], project);
      expect(installed.out.trim().split('\n').sort()).toEqual(PACKAGES.map((p) => p.name.slice('@mongo-edge/'.length)).sort());
      writeFileSync(path.join(project, 'main.mjs'), ESM_PROGRAM);
      expectEsmProgramRan(await sh(process.execPath, ['main.mjs'], project, 120_000));
    }, 300_000);

    it(`${manager} installs @mongo-edge/web-client alone; a program imports it`, async () => {
      const project = await installWith('web', [packs['@mongo-edge/web-client']!.file]);
      const installed = await sh('ls', [path.join(project, 'node_modules')], project);
      expect(installed.out).not.toMatch(/\bbson\b/);
      writeFileSync(path.join(project, 'main.mjs'), WEB_ALONE_PROGRAM);
      const r = await sh(process.execPath, ['main.mjs'], project);
      expect(r.out).toContain('web function true');
      expect(r.code).toBe(0);
    }, 300_000);
  }
});
