/**
 * The browser example's signed-in mode (examples/browser/signed-in.html) in Chromium
 * (playwright-core, /usr/bin/chromium, never downloaded): two pages, two users, each
 * signed in with a JWT from the example server's DEMO token endpoint, each talking to a
 * gateway in front of the sim through the web-client bundle. Driven through the page's
 * own forms: each sees only their own notes, and replacing the other user's note as
 * theirs is refused with code 13 in the page.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { startGateway, validateGatewayConfig, type GatewayHandle } from '../../src/gateway/index.js';
import { serveExample, type ExampleServer } from '../../../../examples/browser/serve.mjs';
import { createDemoIssuer, DEMO_AUDIENCE, DEMO_ISSUER } from '../../../../examples/browser/demo-issuer.mjs';
import { buildBundle, CHROMIUM, launchChromium } from '../../../web-client/test/helpers.js';

const haveChromium = existsSync(CHROMIUM) || Boolean(process.env.CI);
const DEMO_SECRET = 'signed-in-example-demo-secret-0123456789';

describe.skipIf(!haveChromium)('browser example, signed-in mode: two users in Chromium through the gateway', () => {
  let sim: SimHandle;
  let direct: NodeMongoClient;
  let gateway: GatewayHandle;
  let server: ExampleServer;
  let browser: Browser;
  let bundleDir: string | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Serve a private copy: another test process may rebuild dist/ meanwhile.
    bundleDir = mkdtempSync(path.join(os.tmpdir(), 'signed-in-bundle-'));
    const bundle = path.join(bundleDir, 'index.js');
    writeFileSync(bundle, await buildBundle());
    server = await serveExample({ port: 0, bundle, demoIssuer: createDemoIssuer({ secret: DEMO_SECRET }) });
    sim = await startSim({ quiet: true });
    direct = new NodeMongoClient(`${sim.uri}?directConnection=true`);
    gateway = await startGateway(
      validateGatewayConfig({
        listen: { port: 0, origins: [server.url.replace(/\/$/, '')] },
        cluster: { uri: { value: `mongodb://${sim.address}/` }, options: { directConnection: true } },
        jwt: { secret: { value: DEMO_SECRET }, issuer: DEMO_ISSUER, audience: DEMO_AUDIENCE },
        rules: [{ name: 'own-notes', roles: ['user'], database: 'app', collection: 'notes', actions: ['find', 'insert', 'update'], filter: { owner: '%%user.sub' } }],
      }),
      { log: () => undefined },
    );
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await gateway?.close();
    await direct?.close();
    await sim?.close();
    await server?.close();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  }, 60_000);

  async function openPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}signed-in.html?gateway=${encodeURIComponent(gateway.url)}`);
    await page.waitForSelector('body[data-ready="1"]');
    return page;
  }

  /** Submits one of the page's forms and waits for the page to say it finished (its `done` counter). */
  async function submit(page: Page, form: string, fields: Record<string, string>): Promise<{ status: string; code: string }> {
    const before = Number((await page.getAttribute('body', 'data-done')) ?? 0);
    for (const [id, value] of Object.entries(fields)) await page.fill(`#${id}`, value);
    await page.click(`#${form} button[type="submit"]`);
    await page.waitForSelector(`body[data-done="${before + 1}"]`);
    return { status: (await page.textContent('#status')) ?? '', code: (await page.getAttribute('#status', 'data-code')) ?? '' };
  }

  const listed = (page: Page) => page.$$eval('#notes li', (lis) => lis.map((li) => ({ id: li.dataset.id!, owner: li.dataset.owner!, text: li.dataset.text! })));

  it('each user sees and edits only their own notes; replacing the other\'s note is refused with code 13', async () => {
    const alice = await openPage();
    const bob = await openPage();
    expect((await submit(alice, 'sign-in', { user: 'alice' })).status).toBe('signed in as alice');
    expect((await submit(bob, 'sign-in', { user: 'bob' })).status).toBe('signed in as bob');
    expect(await alice.textContent('#who')).toMatch(/signed in as alice \(demo token/);

    expect((await submit(alice, 'add', { text: 'alice-1' })).status).toMatch(/^added /);
    expect((await submit(alice, 'add', { text: 'alice-2' })).status).toMatch(/^added /);
    expect((await submit(bob, 'add', { text: 'bob-1' })).status).toMatch(/^added /);
    await submit(alice, 'sign-in', { user: 'alice' }); // refreshes alice's list after bob's insert

    const aliceNotes = await listed(alice);
    const bobNotes = await listed(bob);
    expect(aliceNotes.map((n) => [n.text, n.owner])).toEqual([
      ['alice-1', 'alice'],
      ['alice-2', 'alice'],
    ]);
    expect(bobNotes.map((n) => [n.text, n.owner])).toEqual([['bob-1', 'bob']]);

    // alice edits her own note
    expect((await submit(alice, 'edit', { 'edit-id': aliceNotes[0]!.id, 'edit-owner': 'alice', 'edit-text': 'alice-1 edited' })).status).toBe('replaced 1');

    // alice tries bob's note: as bob's (owner bob) -> refused by the gateway, code 13
    const bobsId = bobNotes[0]!.id;
    const refused = await submit(alice, 'edit', { 'edit-id': bobsId, 'edit-owner': 'bob', 'edit-text': 'hijacked' });
    expect(refused.code).toBe('13');
    expect(refused.status).toMatch(/^MongoServerError \(code 13\): rule own-notes: update on app\.notes/);
    // ... and as hers (owner alice): bob's note is not among hers, nothing matches
    expect((await submit(alice, 'edit', { 'edit-id': bobsId, 'edit-owner': 'alice', 'edit-text': 'hijacked' })).status).toBe('no note of yours has that id');

    // bob's page, refreshed: his note unchanged, none of alice's
    await submit(bob, 'sign-in', { user: 'bob' });
    expect((await listed(bob)).map((n) => [n.text, n.owner])).toEqual([['bob-1', 'bob']]);
    expect((await listed(alice)).map((n) => n.text)).toEqual(['alice-1 edited', 'alice-2']);
    // the same data read directly
    const all = await direct.db('app').collection('notes').find({}).sort({ text: 1 }).toArray();
    expect(all.map((d) => [d.text, d.owner])).toEqual([
      ['alice-1 edited', 'alice'],
      ['alice-2', 'alice'],
      ['bob-1', 'bob'],
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('the demo token endpoint signs only plausible names, and only with GET', async () => {
    expect((await fetch(`${server.url}demo-token?user=${encodeURIComponent('a b')}`)).status).toBe(400);
    expect((await fetch(`${server.url}demo-token?user=alice`, { method: 'POST' })).status).toBe(405);
    const ok = (await (await fetch(`${server.url}demo-token?user=carol`)).json()) as { token: string; issuer: string; demo: boolean };
    expect(ok).toMatchObject({ issuer: DEMO_ISSUER, demo: true });
    expect(ok.token.split('.')).toHaveLength(3);
  });
});
