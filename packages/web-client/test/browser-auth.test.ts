/**
 * Authentication and TLS in a real browser: the admin page (examples/browser) in
 * Chromium authenticates with SCRAM-SHA-256 (WebCrypto, in the page) to a
 * `mongod-sim --auth --tlsMode requireTLS` through the bridge, which makes the TLS
 * connection to the sim itself and trusts its CA (the browser never sees the
 * server's certificate). A wrong password fails with AuthenticationFailed and the
 * page never shows the password. Run with the one-file bundle and with the split build
 * (dist/esm-split/), where SCRAM is in the chunk the page fetches on its first handshake.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from '@mongo-edge/core/node';
import { startBridge, type BridgeHandle } from '@mongo-edge/bridge';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { serveExample, type ExampleServer } from '../../../examples/browser/serve.mjs';
import { makeTestCerts, type TestCerts } from '../../sim/test/auth-certs.js';
import { buildBundle, CHROMIUM, copySplitBuild, launchChromium } from './helpers.js';

const TOKEN = 'web-client-browser-auth-token-0123456789';
const USER = 'admin-page';
const PASSWORD = 'page-secret-Pa55';
// In CI Chromium is installed by .ci/run: a missing browser there must fail, not skip.
const skip = !existsSync(CHROMIUM) && !process.env.CI;

async function run(page: Page, op: string, arg: unknown) {
  const before = Number(await page.getAttribute('#result', 'data-seq'));
  await page.selectOption('#op', op);
  await page.fill('#arg', JSON.stringify(arg));
  await page.click('#run');
  await page.waitForFunction((n) => Number(document.getElementById('result')!.dataset.seq) > n, before, { timeout: 60_000 });
  return page.$eval('#result', (el) => ({ status: (el as HTMLElement).dataset.status!, text: el.textContent ?? '' }));
}

describe.skipIf(skip).each(['one-file', 'split'] as const)('admin page in Chromium (%s build): SCRAM through the bridge, TLS from the bridge to the server', (build) => {
  let certs: TestCerts;
  let sim: SimHandle;
  let bridge: BridgeHandle;
  let server: ExampleServer;
  let browser: Browser;
  let bundleDir: string;

  beforeAll(async () => {
    certs = makeTestCerts();
    sim = await startSim({ port: 0, auth: true, tls: { mode: 'requireTLS', certificateKeyFile: certs.serverPem } });
    // The first user, through the localhost exception (as with a fresh mongod --auth).
    const setup = new MongoClient(`mongodb://127.0.0.1:${sim.port}/?directConnection=true&tls=true&tlsCAFile=${encodeURIComponent(certs.caFile)}`);
    await setup.db('admin').command({ createUser: USER, pwd: PASSWORD, roles: ['root'] });
    await setup.close();

    bundleDir = mkdtempSync(path.join(os.tmpdir(), 'web-client-auth-bundle-'));
    if (build === 'split') {
      server = await serveExample({ port: 0, splitDir: await copySplitBuild(path.join(bundleDir, 'split')) });
    } else {
      const bundle = path.join(bundleDir, 'index.js');
      writeFileSync(bundle, await buildBundle());
      server = await serveExample({ port: 0, bundle });
    }
    bridge = await startBridge({
      port: 0,
      host: '127.0.0.1',
      allow: [`127.0.0.1:${sim.port}`],
      tokens: [TOKEN],
      origins: [server.url.replace(/\/$/, '')],
      requireTargetTls: true,
      targetCa: readFileSync(certs.caFile, 'utf8'),
      log: () => undefined,
    });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await bridge?.close();
    await server?.close();
    await sim?.close();
    certs?.remove();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  }, 60_000);

  async function open(password: string, page?: Page): Promise<Page> {
    page ??= await browser.newPage();
    const uri = `mongodb://${USER}:${encodeURIComponent(password)}@127.0.0.1:${sim.port}/?directConnection=true&tls=true&serverSelectionTimeoutMS=5000`;
    const query = new URLSearchParams({ bridge: bridge.url, token: TOKEN, uri, autoconnect: '1' });
    await page.goto(`${server.url}?${query}`);
    await page.waitForFunction(() => ['connected', 'error'].includes(document.getElementById('status')!.dataset.state ?? ''), undefined, { timeout: 60_000 });
    return page;
  }

  it('authenticates with SCRAM-SHA-256 in the page and runs CRUD over TLS', async () => {
    const chunks: string[] = [];
    const page = await browser.newPage();
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/chunks/')) chunks.push(new URL(r.url()).pathname);
    });
    await open(PASSWORD, page);
    expect(await page.getAttribute('#status', 'data-state')).toBe('connected');
    const inserted = await run(page, 'insertOne', { _id: 'from-the-browser', secure: true });
    expect(inserted.status, inserted.text).toBe('ok');
    const found = await run(page, 'find', { _id: 'from-the-browser' });
    expect(found.status, found.text).toBe('ok');
    expect(JSON.parse(found.text)).toEqual([{ _id: 'from-the-browser', secure: true }]);
    // the split build fetched the chunk holding SCRAM (core/src/cold) to authenticate
    if (build === 'split') expect(chunks.some((c) => /\/chunks\/cold-[\w-]+\.js$/.test(c)), chunks.join(' ')).toBe(true);
    else expect(chunks).toEqual([]);
    await page.close();
  }, 120_000);

  it('a wrong password fails with AuthenticationFailed and the page never shows it', async () => {
    const wrong = 'not-the-Pa55word';
    const page = await open(wrong);
    const r = await run(page, 'find', {});
    expect(r.status).toBe('error');
    expect(r.text).toMatch(/Authentication failed/i);
    const html = await page.content();
    const shown = html.replace(/<input[^>]*>/g, ''); // the URI field holds what the user typed
    expect(shown).not.toContain(wrong);
    await page.close();
  }, 120_000);
});
