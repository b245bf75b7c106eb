import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { takeToken, type Bucket } from '../../src/gateway/rate-limit.js';
import { startGateway, validateGatewayConfig, type GatewayHandle } from '../../src/gateway/index.js';
import { openCommandSocket, wsTransport } from '../helpers.js';
import { AUDIENCE, ISSUER, JWT_SECRET, tokenFor } from './support.js';

describe('takeToken (pure token bucket)', () => {
  const limit = { perSecond: 2, burst: 3 };
  it('allows a burst, refuses beyond it, refills with time, never above the burst', () => {
    let b: Bucket | undefined;
    const take = (now: number) => {
      const r = takeToken(b, limit, now);
      b = r.bucket;
      return r.allowed;
    };
    expect([take(0), take(0), take(0), take(0)]).toEqual([true, true, true, false]);
    expect(take(499)).toBe(false); // 0.998 tokens
    expect(take(500)).toBe(true); // 1 token after 500 ms (from the refusal at 499: 0.998 + 0.002)
    expect([take(10_000), take(10_000), take(10_000), take(10_000)]).toEqual([true, true, true, false]);
    expect(takeToken(undefined, limit, 5).bucket).toEqual({ tokens: 2, atMs: 5 });
    expect(takeToken({ tokens: 0, atMs: 100 }, limit, 50).allowed).toBe(false); // a clock going back adds nothing
  });
});

describe('gateway rate limit per principal', () => {
  let sim: SimHandle;
  let gateway: GatewayHandle;
  beforeAll(async () => {
    sim = await startSim({ quiet: true });
    gateway = await startGateway(
      validateGatewayConfig({
        listen: { port: 0 },
        cluster: { uri: { value: `mongodb://${sim.address}/` }, options: { directConnection: true } },
        jwt: { secret: { value: JWT_SECRET }, issuer: ISSUER, audience: AUDIENCE },
        limits: { commandsPerSecond: 1, burst: 2 },
        rules: [{ name: 'n', roles: ['*'], database: 'app', collection: 'n', actions: ['count'] }],
      }),
      { log: () => undefined },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await sim?.close();
  });

  it('refuses a user over the limit with code 13 and leaves other users alone; hello is not counted', async () => {
    const t1 = wsTransport(gateway.url, { token: await tokenFor('eve') });
    const t2 = wsTransport(gateway.url, { token: await tokenFor('finn') });
    try {
      const eve = await openCommandSocket(t1, 'gateway:27017');
      const finn = await openCommandSocket(t2, 'gateway:27017');
      for (let i = 0; i < 5; i++) expect(await eve.command({ hello: 1 })).toMatchObject({ ok: 1 });
      const replies = [];
      for (let i = 0; i < 10; i++) replies.push(await eve.command({ count: 'n', $db: 'app' }));
      const refused = replies.filter((r) => r.ok === 0);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]).toMatchObject({ code: 13, errmsg: expect.stringMatching(/rate limit of 1 commands per second/) });
      expect(replies[0]).toMatchObject({ ok: 1 });
      expect(await finn.command({ count: 'n', $db: 'app' })).toMatchObject({ ok: 1 });
    } finally {
      await t1.close();
      await t2.close();
    }
  });
});
