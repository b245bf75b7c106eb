/**
 * The web client in a real browser (Debian's Chromium, driven by playwright-core):
 * a 3-member sim replica set (separate processes), the bridge in front of it (allowlist
 * = the members, token auth, the page's origin allowed), and the admin page
 * (examples/browser) served on 127.0.0.1 with the built bundle. The page discovers the
 * set through the bridge, inserts and finds; the test kill -9s the primary; the page
 * sees the member go Unknown (network error and/or a transparent retry) and its next
 * write succeeds on the newly elected primary; a secondary read is served by a member
 * the page shows as RSSecondary (and that the member itself confirms). Screenshot:
 * test-artifacts/browser-failover.png.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type BridgeHandle } from '@mongo-edge/bridge';
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { serveExample, type ExampleServer } from '../../../examples/browser/serve.mjs';
import { artifactsDir, buildBundle, CHROMIUM, launchChromium } from './helpers.js';

const TOKEN = 'web-client-browser-token-0123456789';
// In CI Chromium is installed by .ci/run: a missing browser there must fail, not skip.
const haveChromium = existsSync(CHROMIUM) || Boolean(process.env.CI);

interface Row {
  address: string;
  type: string;
  rtt: string;
  tags: string;
}

async function members(page: Page): Promise<Row[]> {
  return page.$$eval('#members tr[data-address]', (trs) =>
    trs.map((tr) => {
      const cells = Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '');
      return { address: (tr as HTMLElement).dataset.address!, type: (tr as HTMLElement).dataset.type!, rtt: cells[2]!, tags: cells[3]! };
    }),
  );
}

/** Fills the console, runs, waits for this run's result; returns it. */
async function run(page: Page, op: string, arg: unknown, readPref = 'primary') {
  const before = Number(await page.getAttribute('#result', 'data-seq'));
  await page.selectOption('#op', op);
  await page.selectOption('#read-pref', readPref);
  await page.fill('#arg', JSON.stringify(arg));
  await page.click('#run');
  await page.waitForFunction((n) => Number(document.getElementById('result')!.dataset.seq) > n, before, { timeout: 60_000 });
  return page.$eval('#result', (el) => ({
    status: (el as HTMLElement).dataset.status!,
    servedBy: (el as HTMLElement).dataset.servedBy ?? '',
    text: el.textContent ?? '',
  }));
}

describe.skipIf(!haveChromium)('admin page in Chromium through the bridge to a replica set', () => {
  let cluster: Cluster;
  let bridge: BridgeHandle;
  let server: ExampleServer;
  let browser: Browser;
  let page: Page;
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
      memberOptions: [{ priority: 2, tags: { dc: 'east' } }, { tags: { dc: 'west' } }, { tags: { dc: 'east', rack: 'b' } }],
    });
    await cluster.waitForSecondaries();
    server = await serveExample({ port: 0, bundle });
    const origin = server.url.replace(/\/$/, '');
    bridge = await startBridge({
      port: 0,
      host: '127.0.0.1',
      allow: cluster.members.map((m) => m.host),
      tokens: [TOKEN],
      origins: [origin],
      log: () => undefined,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }, 120_000);

  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await bridge?.close();
    await server?.close();
    await cluster?.stop();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  }, 60_000);

  it('discovers the set, inserts and finds, survives kill -9 of the primary, reads from a secondary', async () => {
    // One seed only: the page discovers the rest through the bridge.
    const uri = `mongodb://${cluster.members[1]!.host}/?replicaSet=rs0&w=majority&heartbeatFrequencyMS=500&serverSelectionTimeoutMS=30000`;
    const query = new URLSearchParams({ bridge: bridge.url, token: TOKEN, uri, autoconnect: '1' });
    await page.goto(`${server.url}?${query}`);

    // Discovery: one primary, two secondaries, RTTs measured, tags shown.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#members tr[data-type="RSPrimary"]').length === 1 &&
        document.querySelectorAll('#members tr[data-type="RSSecondary"]').length === 2,
      undefined,
      { timeout: 60_000 },
    );
    await expect.poll(async () => (await members(page)).every((r) => r.rtt.endsWith(' ms')), { timeout: 30_000 }).toBe(true);
    expect(await page.getAttribute('#status', 'data-state')).toBe('connected');
    expect(await page.textContent('#topology-type')).toBe('ReplicaSetWithPrimary');
    const discovered = await members(page);
    expect(discovered.map((r) => r.address).sort()).toEqual(cluster.members.map((m) => m.host).sort());
    expect(discovered.map((r) => r.tags).sort()).toEqual(['dc:east', 'dc:east, rack:b', 'dc:west']);

    const primary = await cluster.primary();
    expect(discovered.find((r) => r.type === 'RSPrimary')!.address).toBe(primary.host);

    // Insert and find on the primary.
    const inserted = await run(page, 'insertOne', { _id: 1, msg: 'before failover' });
    expect(inserted.status, inserted.text).toBe('ok');
    expect(inserted.servedBy).toBe(primary.host);
    const found = await run(page, 'find', { _id: 1 });
    expect(found.status, found.text).toBe('ok');
    expect(JSON.parse(found.text)).toEqual([{ _id: 1, msg: 'before failover' }]);

    // kill -9 the primary.
    await cluster.kill(primary.index, 'SIGKILL');

    // The page keeps writing until a write succeeds; each attempt is either a network
    // error (shown) or succeeds after the driver's own retry on the new primary.
    const attempts: Array<{ status: string; servedBy: string; text: string }> = [];
    const deadline = Date.now() + 90_000;
    let ok: { status: string; servedBy: string; text: string } | undefined;
    for (let i = 2; Date.now() < deadline; i++) {
      const r = await run(page, 'insertOne', { _id: i, msg: 'after failover' });
      attempts.push(r);
      if (r.status === 'ok') {
        ok = r;
        break;
      }
      await page.waitForTimeout(500);
    }
    expect(ok, `no successful write after the kill: ${attempts.map((a) => a.text).join(' | ')}`).toBeDefined();
    const newPrimary = await cluster.waitForPrimary({ exclude: primary.index });
    expect(newPrimary.host).not.toBe(primary.host);
    expect(ok!.servedBy).toBe(newPrimary.host);

    // The page saw the failover: the old primary went Unknown in its table and log, a new one is primary.
    await page.waitForFunction(
      ({ dead, live }) =>
        document.querySelector(`#members tr[data-address="${dead}"]`)?.getAttribute('data-type') === 'Unknown' &&
        document.querySelector(`#members tr[data-address="${live}"]`)?.getAttribute('data-type') === 'RSPrimary',
      { dead: primary.host, live: newPrimary.host },
      { timeout: 60_000 },
    );
    const logText = await page.textContent('#log');
    expect(logText).toContain(`${primary.host}: RSPrimary → Unknown`);
    expect(logText).toContain(`${newPrimary.host}: RSSecondary → RSPrimary`);

    // The first write before the kill survived (w: majority), read on the new primary.
    const again = await run(page, 'find', {});
    expect(again.status, again.text).toBe('ok');
    expect(JSON.parse(again.text).map((d: { _id: number }) => d._id)).toContain(1);

    // A secondary read is served by a secondary: the page says so and so does the member.
    const secondaryRead = await run(page, 'find', { _id: 1 }, 'secondary');
    expect(secondaryRead.status, secondaryRead.text).toBe('ok');
    const rows = await members(page);
    const servedRow = rows.find((r) => r.address === secondaryRead.servedBy);
    expect(servedRow?.type, `served by ${secondaryRead.servedBy}`).toBe('RSSecondary');
    expect(secondaryRead.servedBy).not.toBe(newPrimary.host);
    expect(secondaryRead.servedBy).not.toBe(primary.host);
    const servedMember = cluster.members.find((m) => m.host === secondaryRead.servedBy)!;
    const hello = await cluster.command(servedMember.index, { hello: 1 });
    expect(hello.secondary).toBe(true);
    expect(await page.getAttribute(`#members tr[data-address="${secondaryRead.servedBy}"]`, 'class')).toContain('served');

    await page.screenshot({ path: path.join(artifactsDir(), 'browser-failover.png'), fullPage: true });
    const summary = {
      killed: primary.host,
      newPrimary: newPrimary.host,
      attemptsAfterKill: attempts,
      secondaryReadServedBy: secondaryRead.servedBy,
      members: rows,
      log: await page.$$eval('#log li', (lis) => lis.map((li) => li.textContent ?? '').reverse()),
    };
    writeFileSync(path.join(artifactsDir(), 'browser-failover.json'), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(
      `browser failover: killed ${primary.host}; ${attempts.length} write attempt(s) after the kill ` +
        `(${attempts.filter((a) => a.status === 'error').length} surfaced an error); new primary ${newPrimary.host}; ` +
        `secondary read served by ${secondaryRead.servedBy}`,
    );
    expect(pageErrors.filter((e) => !/WebSocket/.test(e))).toEqual([]);
  }, 240_000);
});
