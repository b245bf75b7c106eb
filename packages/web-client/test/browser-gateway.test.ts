/**
 * Two signed-in users in Chromium (playwright-core, /usr/bin/chromium, never
 * downloaded) through a mongo-edge gateway with the web client's one option,
 * `gateway: { url, token }`: each page holds only its user's JWT (no database
 * credential reaches the browser), each sees and edits only its own documents, and a
 * forbidden operation is a MongoServerError with code 13 in the page.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signGatewayToken, startGateway, validateGatewayConfig, type GatewayHandle } from '@mongo-edge/bridge';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { buildBundle, CHROMIUM, launchChromium } from './helpers.js';

const haveChromium = existsSync(CHROMIUM) || Boolean(process.env.CI);
const SECRET = 'browser-gateway-secret-0123456789abcdef';

const PAGE = `<!doctype html><meta charset="utf-8"><title>notes</title>
<script type="module">
  import { MongoClient, GATEWAY_URI } from './bundle.js';
  window.notes = async (gatewayUrl, token, action, arg) => {
    window.client ??= new MongoClient(GATEWAY_URI + 'app', { gateway: { url: gatewayUrl, token: async () => token } });
    const notes = window.client.db().collection('notes');
    try {
      if (action === 'add') return { ok: true, value: String((await notes.insertOne({ text: arg })).insertedId) };
      if (action === 'list') return { ok: true, value: (await notes.find({}).sort({ text: 1 }).toArray()).map((d) => d.text + '@' + d.owner) };
      if (action === 'edit-all') return { ok: true, value: (await notes.updateMany({}, { $set: { edited: arg } })).modifiedCount };
      if (action === 'steal') return { ok: true, value: (await notes.updateMany({}, { $set: { owner: arg } })).modifiedCount };
    } catch (e) {
      return { ok: false, name: e.name, code: e.code, message: e.message };
    }
  };
  document.title = 'ready';
</script>`;

describe.skipIf(!haveChromium)('two signed-in users in Chromium through the gateway', () => {
  let sim: SimHandle;
  let gateway: GatewayHandle;
  let server: http.Server;
  let origin: string;
  let browser: Browser;
  let direct: NodeMongoClient;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const bundle = await buildBundle();
    server = http.createServer((req, res) => {
      if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sim = await startSim({ quiet: true });
    direct = new NodeMongoClient(`${sim.uri}?directConnection=true`);
    gateway = await startGateway(
      validateGatewayConfig({
        listen: { port: 0, origins: [origin] },
        cluster: { uri: { value: `mongodb://${sim.address}/` }, options: { directConnection: true } },
        jwt: { secret: { value: SECRET }, issuer: 'https://idp.test', audience: 'notes' },
        rules: [{ name: 'own-notes', roles: ['user'], database: 'app', collection: 'notes', actions: ['find', 'insert', 'update'], filter: { owner: '%%user.sub' } }],
      }),
      { log: () => undefined },
    );
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await gateway?.close();
    await direct?.close();
    await sim?.close();
    await new Promise((r) => server?.close(r));
  }, 60_000);

  async function signedIn(sub: string): Promise<{ page: Page; run: (action: string, arg?: unknown) => Promise<Record<string, unknown>> }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(origin + '/');
    await page.waitForFunction(() => document.title === 'ready');
    const token = await signGatewayToken(SECRET, { subject: sub, issuer: 'https://idp.test', audience: 'notes', claims: { role: 'user' } });
    const run = (action: string, arg?: unknown) =>
      page.evaluate(([u, t, a, x]) => (window as unknown as { notes: (...args: unknown[]) => Promise<Record<string, unknown>> }).notes(u, t, a, x), [gateway.url, token, action, arg] as const);
    return { page, run };
  }

  it('each page sees and edits only its own user\'s documents', async () => {
    const ann = await signedIn('ann');
    const ben = await signedIn('ben');
    expect(await ann.run('add', 'ann-1')).toMatchObject({ ok: true });
    expect(await ann.run('add', 'ann-2')).toMatchObject({ ok: true });
    expect(await ben.run('add', 'ben-1')).toMatchObject({ ok: true });
    expect(await ann.run('list')).toEqual({ ok: true, value: ['ann-1@ann', 'ann-2@ann'] });
    expect(await ben.run('list')).toEqual({ ok: true, value: ['ben-1@ben'] });
    expect(await ben.run('edit-all', 'by-ben')).toEqual({ ok: true, value: 1 });
    const steal = await ann.run('steal', 'ben');
    expect(steal).toMatchObject({ ok: false, name: 'MongoServerError', code: 13 });
    const stored = await direct.db('app').collection('notes').find({}).sort({ text: 1 }).toArray();
    expect(stored.map((d) => [d.text, d.owner, d.edited ?? null])).toEqual([
      ['ann-1', 'ann', null],
      ['ann-2', 'ann', null],
      ['ben-1', 'ben', 'by-ben'],
    ]);
    expect(pageErrors).toEqual([]);
  });
});
