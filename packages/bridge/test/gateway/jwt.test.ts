import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { createJwtVerifier } from '../../src/gateway/jwt.js';

/** A JWKS endpoint on localhost whose key set the test can rotate. */
let server: http.Server;
let jwksUrl: string;
let keys: JWK[] = [];
let fetches = 0;
let rsa1: CryptoKey;
let rsa2: CryptoKey;
let ec: CryptoKey;

const SECRET = 'a-shared-secret-of-at-least-32-chars!';

async function sign(key: CryptoKey | Uint8Array, alg: string, kid: string | undefined, claims: Record<string, unknown> = {}, opts: { iss?: string; aud?: string; exp?: number | string; nbf?: number } = {}) {
  const h: { alg: string; kid?: string } = { alg };
  if (kid) h.kid = kid;
  let jwt = new SignJWT({ role: 'user', ...claims }).setProtectedHeader(h).setSubject('alice').setIssuer(opts.iss ?? 'https://issuer.test').setAudience(opts.aud ?? 'app').setIssuedAt();
  jwt = jwt.setExpirationTime(opts.exp ?? '5m');
  if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
  return jwt.sign(key);
}

beforeAll(async () => {
  const a = await generateKeyPair('RS256');
  const b = await generateKeyPair('RS256');
  const c = await generateKeyPair('ES256');
  rsa1 = a.privateKey;
  rsa2 = b.privateKey;
  ec = c.privateKey;
  const jwk1 = { ...(await exportJWK(a.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const jwk2 = { ...(await exportJWK(b.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
  const jwk3 = { ...(await exportJWK(c.publicKey)), kid: 'e1', alg: 'ES256', use: 'sig' };
  keys = [jwk1, jwk3];
  (globalThis as { __k2?: JWK }).__k2 = jwk2;
  server = http.createServer((_req, res) => {
    fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const verifier = () =>
  createJwtVerifier({ secret: SECRET, jwksUrl, algorithms: undefined, issuer: 'https://issuer.test', audience: 'app', clockToleranceSec: 0 });

describe('gateway JWT verification (jose)', () => {
  it('accepts HS256 with the shared secret and returns the claims', async () => {
    const r = await verifier().verify(await sign(new TextEncoder().encode(SECRET), 'HS256', undefined, { org: { id: 7 } }));
    expect(r).toMatchObject({ ok: true, grant: { subject: 'alice', claims: { sub: 'alice', role: 'user', org: { id: 7 } } } });
  });

  it('accepts RS256 and ES256 from the JWKS', async () => {
    const v = verifier();
    expect(await v.verify(await sign(rsa1, 'RS256', 'k1'))).toMatchObject({ ok: true });
    expect(await v.verify(await sign(ec, 'ES256', 'e1'))).toMatchObject({ ok: true });
  });

  it('follows key rotation: an unknown kid refetches the JWKS', async () => {
    const v = verifier();
    expect(await v.verify(await sign(rsa1, 'RS256', 'k1'))).toMatchObject({ ok: true });
    expect(await v.verify(await sign(rsa2, 'RS256', 'k2'))).toMatchObject({ ok: false, message: expect.stringMatching(/no key/) });
    const before = fetches;
    keys = [(globalThis as { __k2?: JWK }).__k2!];
    await new Promise((r) => setTimeout(r, 1100)); // past the JWKS cooldown
    expect(await v.verify(await sign(rsa2, 'RS256', 'k2'))).toMatchObject({ ok: true });
    expect(fetches).toBeGreaterThan(before);
  });

  it('refuses a wrong issuer, a wrong audience, an expired token, a future nbf', async () => {
    const v = verifier();
    const key = new TextEncoder().encode(SECRET);
    const now = Math.floor(Date.now() / 1000);
    expect(await v.verify(await sign(key, 'HS256', undefined, {}, { iss: 'https://evil.test' }))).toMatchObject({ ok: false, message: expect.stringMatching(/iss/) });
    expect(await v.verify(await sign(key, 'HS256', undefined, {}, { aud: 'other' }))).toMatchObject({ ok: false, message: expect.stringMatching(/aud/) });
    expect(await v.verify(await sign(key, 'HS256', undefined, {}, { exp: now - 60 }))).toMatchObject({ ok: false, message: 'token expired' });
    expect(await v.verify(await sign(key, 'HS256', undefined, {}, { nbf: now + 600 }))).toMatchObject({ ok: false, message: expect.stringMatching(/nbf/) });
  });

  it('refuses alg none, a wrong secret, garbage and a token without sub/exp', async () => {
    const v = verifier();
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none' })}.${b64({ sub: 'alice', iss: 'https://issuer.test', aud: 'app', exp: Math.floor(Date.now() / 1000) + 60 })}.`;
    expect(await v.verify(none)).toMatchObject({ ok: false });
    expect(await v.verify(await sign(new TextEncoder().encode('another-secret-of-at-least-32-chars!!'), 'HS256', undefined))).toMatchObject({ ok: false, message: 'token signature invalid' });
    expect(await v.verify('not.a.jwt')).toMatchObject({ ok: false });
    expect(await v.verify('')).toMatchObject({ ok: false, message: 'missing token' });
    const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test').setAudience('app').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
    expect(await v.verify(noSub)).toMatchObject({ ok: false, message: expect.stringMatching(/sub/) });
  });

  it('an HS256-only gateway refuses RS256 tokens and vice versa', async () => {
    const hsOnly = createJwtVerifier({ secret: SECRET, jwksUrl: undefined, algorithms: ['HS256'], issuer: 'https://issuer.test', audience: 'app', clockToleranceSec: 0 });
    expect(await hsOnly.verify(await sign(rsa1, 'RS256', 'k1'))).toMatchObject({ ok: false, message: 'token algorithm not allowed' });
    const rsOnly = createJwtVerifier({ secret: undefined, jwksUrl, algorithms: ['RS256'], issuer: 'https://issuer.test', audience: 'app', clockToleranceSec: 0 });
    expect(await rsOnly.verify(await sign(new TextEncoder().encode(SECRET), 'HS256', undefined))).toMatchObject({ ok: false });
    expect(await rsOnly.verify(await sign(ec, 'ES256', 'e1'))).toMatchObject({ ok: false });
  });
});
