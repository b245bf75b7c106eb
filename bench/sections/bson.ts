/**
 * Section "bson": the driver benchmark spec's BSON micro-benchmarks (flat, deep, full;
 * encode and decode) plus our OP_MSG encode/decode, each run with bson's Node path
 * (Buffer present) and its web path (no Buffer global, as in a browser).
 *
 * Both contenders run the same esbuild bundle (bson's browser build + our wire code)
 * in a worker thread of their own; the web worker deletes `Buffer` before loading it.
 * The main thread alternates requests (node, web, node, web, ...); each worker times
 * only its own loop.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import {
  interleave,
  metricFromTimes,
  NotRunError,
  type Metric,
  type Section,
  type SectionContext,
  type SectionOutput,
} from '../lib/harness.js';
import { barChart } from '../lib/svg.js';

/** Dataset sizes the spec scores with (bytes of the single-document source file). */
export const SPEC_DATASET_BYTES = Object.freeze({
  flat_bson: 7531,
  deep_bson: 1964,
  full_bson: 5734,
  tweet: 1622,
} as const);

/** Source bytes per timed iteration (flat_bson × 500, as before per-task counts). */
const BYTES_PER_ITERATION = 500 * SPEC_DATASET_BYTES.flat_bson;

const TASKS = [
  { key: 'flat_encode', title: 'Flat BSON encoding', file: 'flat_bson', op: 'encode' },
  { key: 'flat_decode', title: 'Flat BSON decoding', file: 'flat_bson', op: 'decode' },
  { key: 'deep_encode', title: 'Deep BSON encoding', file: 'deep_bson', op: 'encode' },
  { key: 'deep_decode', title: 'Deep BSON decoding', file: 'deep_bson', op: 'decode' },
  { key: 'full_encode', title: 'Full BSON encoding', file: 'full_bson', op: 'encode' },
  { key: 'full_decode', title: 'Full BSON decoding', file: 'full_bson', op: 'decode' },
  { key: 'opmsg_encode', title: 'OP_MSG encode (insert of TWEET in a document sequence)', file: 'tweet', op: 'opmsg_encode' },
  { key: 'opmsg_decode', title: 'OP_MSG decode (find reply with TWEET in firstBatch)', file: 'tweet', op: 'opmsg_decode' },
] as const;

type TaskKey = (typeof TASKS)[number]['key'];

/** Plain JavaScript run inside each worker (eval'd, so no TypeScript loader is needed). */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
(async () => {
  const text = (f) => fs.readFileSync(path.join(workerData.dataDir, f), 'utf8');
  const raw = { flat_bson: text('flat_bson.json'), deep_bson: text('deep_bson.json'), full_bson: text('full_bson.json'), tweet: text('tweet.json') };
  if (workerData.removeBuffer) delete globalThis.Buffer;
  const { BSON, encodeOpMsg, decodeOpMsg, concatChunks } = await import(workerData.bundleUrl);
  const docs = {
    flat_bson: BSON.EJSON.parse(raw.flat_bson, { relaxed: false }),
    deep_bson: BSON.EJSON.parse(raw.deep_bson, { relaxed: false }),
    full_bson: BSON.EJSON.parse(raw.full_bson, { relaxed: false }),
    tweet: JSON.parse(raw.tweet),
  };
  const bytes = {};
  for (const k of Object.keys(docs)) bytes[k] = BSON.serialize(docs[k]);
  const reply = concatChunks(encodeOpMsg({
    requestId: 2, responseTo: 1,
    body: { cursor: { firstBatch: [docs.tweet], id: BSON.Long.fromNumber(0), ns: 'perftest.corpus' }, ok: 1 },
  }));
  let sink = 0;
  const run = (file, op, ops) => {
    const doc = docs[file];
    const b = bytes[file];
    if (op === 'encode') for (let i = 0; i < ops; i++) sink += BSON.serialize(doc).byteLength;
    else if (op === 'decode') for (let i = 0; i < ops; i++) sink += BSON.deserialize(b) ? 1 : 0;
    else if (op === 'opmsg_encode') {
      for (let i = 0; i < ops; i++) {
        sink += concatChunks(encodeOpMsg({ requestId: i + 1, body: { insert: 'corpus', $db: 'perftest' }, sequences: { documents: [doc] } })).byteLength;
      }
    } else if (op === 'opmsg_decode') for (let i = 0; i < ops; i++) sink += decodeOpMsg(reply).body.ok;
    else throw new Error('unknown op ' + op);
  };
  parentPort.on('message', (m) => {
    if (m.exit) { process.exit(0); }
    const t0 = performance.now();
    run(m.file, m.op, m.ops);
    const ms = performance.now() - t0;
    parentPort.postMessage({ ms, sink: sink % 7 });
  });
  parentPort.postMessage({
    ready: true,
    hasBuffer: typeof globalThis.Buffer === 'function',
    byteType: Object.getPrototypeOf(BSON.serialize({ a: 1 })).constructor.name,
    bsonBytes: Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, v.byteLength])),
  });
})().catch((e) => { parentPort.postMessage({ error: String(e && e.stack || e) }); });
`;

interface Ready {
  hasBuffer: boolean;
  byteType: string;
  bsonBytes: Record<string, number>;
}

class BsonWorker {
  private readonly worker: Worker;
  readonly ready: Promise<Ready>;

  constructor(bundleUrl: string, dataDir: string, removeBuffer: boolean) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bundleUrl, dataDir, removeBuffer } });
    this.ready = new Promise<Ready>((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('message', (m: Ready & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m)));
    });
  }

  async time(file: string, op: string, ops: number): Promise<number> {
    const reply = await new Promise<{ ms?: number; error?: string }>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.worker.once('error', onError);
      this.worker.once('message', (m: { ms?: number; error?: string }) => {
        this.worker.off('error', onError);
        resolve(m);
      });
      this.worker.postMessage({ file, op, ops });
    });
    if (reply.error || reply.ms === undefined) throw new Error(reply.error ?? 'no timing from the worker');
    return reply.ms;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Bundles bson's browser build with our wire code into ctx.tmpDir; with `lite`, `bson`
 * resolves to bson-lite as in the web client's bundle (scripts/web-bundle-options.mjs).
 */
export async function buildWireBundle(ctx: SectionContext, lite = false): Promise<string> {
  const outfile = path.join(ctx.tmpDir, lite ? 'wire-bundle-lite.mjs' : 'wire-bundle.mjs');
  await build({
    entryPoints: [path.join(ctx.repoRoot, 'bench/lib/wire-entry.ts')],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['source', 'browser'],
    ...(lite ? { alias: { bson: path.join(ctx.repoRoot, 'packages/core/src/bson-lite/web.ts') } } : {}),
    logLevel: 'silent',
  });
  return outfile;
}

export const bsonSection: Section = {
  name: 'bson',
  title: 'BSON and OP_MSG: Node path vs web path',
  description:
    "The driver benchmark spec's BSON tasks (flat, deep, full; encode and decode) and our OP_MSG encode/decode, " +
    "with bson's Node path (`Buffer` present) against its web path (no `Buffer` global, as in a browser), " +
    "and against `lite`: bson-lite, the codec the web client's bundle ships instead of bson, also without `Buffer`. " +
    "`node` and `web` load the same esbuild bundle (bson's browser build `bson/lib/bson.mjs` plus `@mongo-edge/core` wire code), " +
    '`lite` the same bundle with `bson` aliased to bson-lite; each runs in a worker thread of its own. Scored as the spec scores them: ' +
    'MB/s = (source file size × operations) / median iteration time, with the spec\'s file sizes ' +
    `(flat ${SPEC_DATASET_BYTES.flat_bson} B, deep ${SPEC_DATASET_BYTES.deep_bson} B, full ${SPEC_DATASET_BYTES.full_bson} B, tweet ${SPEC_DATASET_BYTES.tweet} B). ` +
    'Reference contender: `node`. A ratio below 1 for `web` or `lite` is what a browser pays.',
  async run(ctx: SectionContext): Promise<SectionOutput> {
    for (const f of ['flat_bson.json', 'deep_bson.json', 'full_bson.json', 'tweet.json']) {
      if (!existsSync(path.join(ctx.dataDir, f))) throw new NotRunError(`data set ${f} not found in ${ctx.dataDir} (set MONGO_BENCH_DATA_DIR)`);
    }
    const [bundle, liteBundle] = await Promise.all([buildWireBundle(ctx), buildWireBundle(ctx, true)]);
    const url = pathToFileURL(bundle).href;
    const node = new BsonWorker(url, ctx.dataDir, false);
    const web = new BsonWorker(url, ctx.dataDir, true);
    const lite = new BsonWorker(pathToFileURL(liteBundle).href, ctx.dataDir, true);
    try {
      const [nodeInfo, webInfo, liteInfo] = await Promise.all([node.ready, web.ready, lite.ready]);
      if (!nodeInfo.hasBuffer || webInfo.hasBuffer || liteInfo.hasBuffer) throw new Error('worker setup: Buffer global not as intended');
      // The same source bytes per iteration for every task (~4 MB, flat's 500 operations):
      // 500 tweets were a 5-8 ms sample, too short on a shared 2-core machine (p99 at half
      // the median); 40 rounds, the contenders' order rotated round by round.
      const opsOf = (file: keyof typeof SPEC_DATASET_BYTES) => Math.round(BYTES_PER_ITERATION / SPEC_DATASET_BYTES[file] / (ctx.quick ? 10 : 1));
      const rounds = ctx.quick ? 3 : 40;
      const warmup = ctx.quick ? 1 : 3;
      const metrics: Record<string, Metric> = {};
      for (const task of TASKS) {
        ctx.log(`bson: ${task.key}`);
        const ops = opsOf(task.file);
        const times = await interleave(
          {
            node: () => node.time(task.file, task.op, ops),
            web: () => web.time(task.file, task.op, ops),
            lite: () => lite.time(task.file, task.op, ops),
          },
          { warmup, rounds, rotate: true },
        );
        const bytesPerIteration = SPEC_DATASET_BYTES[task.file] * ops;
        metrics[`bson.${task.key as TaskKey}`] = metricFromTimes(
          { title: task.title, unit: 'MB/s', better: 'higher', reference: 'node' },
          times,
          (ms) => bytesPerIteration / 1e6 / (ms / 1000),
        );
      }
      const notes = [
        `Node path: serialize returns ${nodeInfo.byteType}; web path: serialize returns ${webInfo.byteType}; bson-lite: ${liteInfo.byteType} (Buffer global removed for both).`,
        `Operations per iteration: ${Object.keys(SPEC_DATASET_BYTES).map((f) => `${f} ${opsOf(f as keyof typeof SPEC_DATASET_BYTES)}`).join(', ')} (the same source bytes each; the spec uses 10,000; the score is per byte, so it is comparable), ${warmup} warm-up + ${rounds} measured iterations per contender, interleaved, the order rotated each round.`,
        `BSON sizes of the loaded documents: ${Object.entries(nodeInfo.bsonBytes).map(([k, v]) => `${k} ${v} B`).join(', ')}.`,
      ];
      const charts = {
        'bson-paths.svg': barChart({
          title: 'BSON and OP_MSG, MB/s (higher is better): Node path vs web path vs bson-lite',
          groups: TASKS.map((t) => ({
            label: t.title.replace(/ \(.*\)$/, ''),
            bars: Object.entries(metrics[`bson.${t.key}`]!.contenders).map(([name, r]) => ({ label: name, value: r.median })),
          })),
          unit: 'MB/s',
        }),
      };
      return { metrics, notes, charts };
    } finally {
      await Promise.all([node.close(), web.close(), lite.close()]);
    }
  },
};
