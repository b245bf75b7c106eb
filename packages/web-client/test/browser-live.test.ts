/**
 * The live view (examples/browser/live.html) in a real browser (Debian's Chromium, driven by
 * playwright-core): a 3-member sim replica set (separate processes), the bridge in front of
 * it, the page watching one collection through the web client (collection.watch(), event
 * mode). Node writes over TCP; the page shows each insert, update and delete with the member
 * that served it. Then the test kill -9s the primary and keeps writing (retrying a write
 * whose outcome the failover left unknown, a duplicate key meaning it had happened): the
 * page's stream resumes on the new primary (its event log says so) and every insert shows
 * up exactly once, in write order (checked by _id). Last, dropping the collection invalidates
 * the stream and the page says it ended. Screenshot: test-artifacts/browser-live.png.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type BridgeHandle } from '@mongo-edge/bridge';
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient, MongoServerError } from '@mongo-edge/core/node';
import { serveExample, type ExampleServer } from '../../../examples/browser/serve.mjs';
import { artifactsDir, buildBundle, CHROMIUM, launchChromium } from './helpers.js';

const TOKEN = 'web-client-live-token-0123456789';
// In CI Chromium is installed by .ci/run: a missing browser there must fail, not skip.
const haveChromium = existsSync(CHROMIUM) || Boolean(process.env.CI);

interface Row {
  seq: number;
  op: string;
  id: string;
  servedBy: string;
  lagMs: string;
}

/** The page's change rows, oldest first. */
async function rows(page: Page): Promise<Row[]> {
  const list = await page.$$eval('#events tr[data-seq]', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return { seq: Number(d.seq), op: d.op ?? '', id: d.id ?? '', servedBy: d.servedBy ?? '', lagMs: d.lagMs ?? '' };
    }),
  );
  return list.sort((a, b) => a.seq - b.seq);
}

/** Waits until the page shows an insert of `id`. */
async function waitForInsert(page: Page, id: number): Promise<void> {
  await page.waitForSelector(`#events tr[data-op="insert"][data-id="${id}"]`, { state: 'attached', timeout: 90_000 });
}

describe.skipIf(!haveChromium)('live view (change streams) in Chromium through the bridge to a replica set', () => {
  let cluster: Cluster;
  let bridge: BridgeHandle;
  let server: ExampleServer;
  let browser: Browser;
  let page: Page;
  let writer: NodeMongoClient;
  let bundleDir: string | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Serve a private copy: another test process may rebuild dist/ meanwhile.
    bundleDir = mkdtempSync(path.join(os.tmpdir(), 'web-client-bundle-'));
    const bundle = path.join(bundleDir, 'index.js');
    writeFileSync(bundle, await buildBundle());
    cluster = await startCluster({
      members: 3,
      replSet: 'rs0',
      electionTimeoutMillis: 1000,
      heartbeatIntervalMillis: 250,
      memberOptions: [{ priority: 2 }, {}, {}],
    });
    await cluster.waitForSecondaries();
    server = await serveExample({ port: 0, bundle });
    bridge = await startBridge({
      port: 0,
      host: '127.0.0.1',
      allow: cluster.members.map((m) => m.host),
      tokens: [TOKEN],
      origins: [server.url.replace(/\/$/, '')],
      log: () => undefined,
    });
    writer = new NodeMongoClient(
      `mongodb://${cluster.members.map((m) => m.host).join(',')}/?replicaSet=rs0&w=majority&heartbeatFrequencyMS=500&serverSelectionTimeoutMS=30000`,
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }, 120_000);

  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await writer?.close();
    await bridge?.close();
    await server?.close();
    await cluster?.stop();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  }, 60_000);

  it('shows inserts, updates and deletes as they happen, and every insert exactly once across kill -9 of the primary', async () => {
    const coll = writer.db('live').collection<{ _id: number; n?: number }>('events');
    /** Inserts { _id: id } until acknowledged; a duplicate key means an earlier attempt had happened. */
    const insert = async (id: number, attempts: string[]) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          await coll.insertOne({ _id: id });
          return;
        } catch (e) {
          if (e instanceof MongoServerError && e.code === 11000) return;
          attempts.push(`${id}: ${(e as Error).message}`);
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };

    const uri = `mongodb://${cluster.members[1]!.host}/?replicaSet=rs0&heartbeatFrequencyMS=500&serverSelectionTimeoutMS=30000`;
    const query = new URLSearchParams({ bridge: bridge.url, token: TOKEN, uri, db: 'live', coll: 'events', autowatch: '1' });
    await page.goto(`${server.url}live.html?${query}`);
    // The stream's aggregate answered: changes from now on are shown.
    await page.waitForSelector('#stream-status[data-state="watching"]', { timeout: 60_000 });
    const primary = await cluster.primary();

    // Before the failover: inserts, an update and a delete, each shown with who served it.
    const failures: string[] = [];
    for (let id = 1; id <= 5; id++) await insert(id, failures);
    await coll.updateOne({ _id: 1 }, { $set: { n: 1 } });
    await coll.deleteOne({ _id: 2 });
    await page.waitForSelector('#events tr[data-op="delete"][data-id="2"]', { state: 'attached', timeout: 60_000 });
    const before = await rows(page);
    expect(before.map((r) => `${r.op} ${r.id}`)).toEqual(['insert 1', 'insert 2', 'insert 3', 'insert 4', 'insert 5', 'update 1', 'delete 2']);
    expect(new Set(before.map((r) => r.servedBy))).toEqual(new Set([primary.host]));
    for (const r of before) expect(Number.isFinite(Number(r.lagMs)), `lag of ${r.op} ${r.id}: "${r.lagMs}"`).toBe(true);
    expect(await page.getAttribute('#count', 'data-count')).toBe('7');

    // kill -9 the primary; writes go on (each retried until acknowledged).
    await cluster.kill(primary.index, 'SIGKILL');
    const LAST = 30;
    for (let id = 6; id <= LAST; id++) await insert(id, failures);
    const newPrimary = await cluster.waitForPrimary({ exclude: primary.index });

    // Every insert arrives, exactly once and in order; the stream resumed on the new primary.
    await waitForInsert(page, LAST);
    await page.waitForFunction(() => Number(document.getElementById('resumes')!.dataset.count) >= 1, undefined, { timeout: 60_000 });
    const all = await rows(page);
    const inserted = all.filter((r) => r.op === 'insert').map((r) => Number(r.id));
    expect(inserted).toEqual(Array.from({ length: LAST }, (_, i) => i + 1));
    expect(all.filter((r) => r.op !== 'insert').map((r) => `${r.op} ${r.id}`)).toEqual(['update 1', 'delete 2']);
    const after = all.filter((r) => r.op === 'insert' && Number(r.id) > 5);
    expect(after.at(-1)!.servedBy).toBe(newPrimary.host);
    for (const r of after) expect([primary.host, newPrimary.host]).toContain(r.servedBy);
    const log = await page.$$eval('#log li', (lis) => lis.map((li) => li.textContent ?? '').reverse());
    const resumedLine = log.find((l) => /resumed by the driver|restarted by the page/.test(l));
    expect(resumedLine, log.join('\n')).toContain(`on ${newPrimary.host}`);

    // Dropping the collection invalidates the stream: the page shows the drop and says the stream ended.
    await coll.drop();
    await page.waitForSelector('#stream-status[data-state="ended"]', { timeout: 60_000 });
    const tail = (await rows(page)).slice(all.length).map((r) => r.op);
    expect(tail).toEqual(['drop', 'invalidate']);

    await page.screenshot({ path: path.join(artifactsDir(), 'browser-live.png'), fullPage: true });
    writeFileSync(
      path.join(artifactsDir(), 'browser-live.json'),
      `${JSON.stringify({ killed: primary.host, newPrimary: newPrimary.host, writeFailures: failures, rows: all, log }, null, 2)}\n`,
    );
    console.log(
      `browser live: killed ${primary.host}; new primary ${newPrimary.host}; ${inserted.length} inserts seen once each; ` +
        `${failures.length} write attempt(s) failed and were retried; ${resumedLine}`,
    );
    expect(pageErrors.filter((e) => !/WebSocket/.test(e))).toEqual([]);
  }, 300_000);
});
