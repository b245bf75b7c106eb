/**
 * The published declarations: scripts/build-types.mjs emits them (here into a private
 * directory, so dist/types, which other tests may be packing, is left alone), and a
 * consumer that imports '@mongo-edge/web-client' resolved to them typechecks, with real
 * types (a wrong option is an error, not `any`). test/packaging checks the same from the
 * installed tarball, under every moduleResolution.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, WEB_DIR } from './helpers.js';

const run = promisify(execFile);

describe('package declarations (dist/types)', () => {
  let dir: string;
  let types: string;

  beforeAll(async () => {
    mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    dir = mkdtempSync(path.join(ROOT, '.tmp/web-client-consumer-'));
    await run(process.execPath, [path.join(ROOT, 'scripts/build-types.mjs'), '--only', 'web-client', '--out', path.join(dir, 'out')], { cwd: ROOT, timeout: 120_000 });
    types = path.join(dir, 'out/web-client');
  }, 150_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('package.json exports point at the emitted declarations', () => {
    const pkg = JSON.parse(readFileSync(path.join(WEB_DIR, 'package.json'), 'utf8'));
    expect(pkg.exports['.'].types).toBe('./dist/types/index.d.ts');
    expect(existsSync(path.join(types, 'index.d.ts'))).toBe(true);
    expect(existsSync(path.join(types, 'core/src/index.d.ts'))).toBe(true);
  });

  it('describe bson-lite (what the bundle contains), never the npm bson package', () => {
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.join(dir, n)]));
    const files = walk(types).filter((f) => f.endsWith('.d.ts'));
    const importsBson = files.filter((f) => /(from\s+|import\()['"]bson['"]/.test(readFileSync(f, 'utf8')));
    expect(importsBson.map((f) => path.relative(types, f))).toEqual([]);
    expect(readFileSync(path.join(types, 'core/src/public-names.d.ts'), 'utf8')).toContain("from './bson-lite/web.js'");
    expect(existsSync(path.join(types, 'core/src/bson-lite/long.d.ts'))).toBe(true);
  });

  it('a consumer typechecks against them', async () => {
    writeFileSync(
      path.join(dir, 'consumer.ts'),
      `import { MongoClient, ReadPreference, MongoBridgeError, isNetworkError, ObjectId, Long, Decimal128, UUID, Binary, Timestamp, BSON, type Document, type TopologyDescription } from '@mongo-edge/web-client';
const values: Document = { l: Long.fromNumber(5).add(1), d: Decimal128.fromString('1.5'), u: new UUID(), b: new Binary(new Uint8Array(1), Binary.SUBTYPE_DEFAULT), t: new Timestamp({ t: 1, i: 2 }) };
const bytes: Uint8Array = BSON.serialize(values);
export const back: Document = BSON.deserialize(bytes, { promoteLongs: false, useBigInt64: false });
export const text: string = BSON.EJSON.stringify(back, { relaxed: false });
// @ts-expect-error Long.fromNumber takes a number
Long.fromNumber('5');
const client = new MongoClient('mongodb://a:27017,b:27017/?replicaSet=foo', { bridge: { url: 'wss://bridge.example/ws', token: () => 'jwt' } });
export async function demo(): Promise<string | undefined> {
  const doc: Document = { _id: new ObjectId(), n: 1 };
  await client.db('app').collection('items').insertOne(doc);
  const rows: Document[] = await client.db('app').collection('items').find({}, { readPreference: ReadPreference.secondary }).toArray();
  const td: TopologyDescription | undefined = client.topologyDescription;
  const e: unknown = new MongoBridgeError('x', { reason: 'connection-lost' });
  return isNetworkError(e) ? td?.type : String(rows.length) + client.address;
}
// @ts-expect-error the bridge url is a string
new MongoClient('mongodb://a', { bridge: { url: 42 } });
`,
    );
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // The published declarations must be self-contained and valid on their own.
          skipLibCheck: false,
          types: [],
          paths: { '@mongo-edge/web-client': [path.join(types, 'index.d.ts')] },
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { cwd: dir, timeout: 120_000 }).then(
      () => ({ code: 0, out: '' }),
      (e: { code?: number; stdout?: string }) => ({ code: e.code ?? 1, out: e.stdout ?? '' }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  });
});
