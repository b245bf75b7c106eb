// DEMO ONLY — a test token endpoint for the signed-in page (signed-in.html).
//
// It signs an HS256 JWT for whatever user name it is asked for, with no password: it
// stands in for your identity provider (Auth0, Cognito, Firebase, Keycloak, ...) so the
// example runs on one machine. Never run it anywhere real: anyone who can reach it can be
// anyone. Its tokens say so (issuer `mongo-edge-demo-issuer`, claim `demo: true`).
//
//   GET /demo-token?user=alice  ->  { token, user, issuer, audience, expiresAt }
import { createHmac } from 'node:crypto';

export const DEMO_ISSUER = 'mongo-edge-demo-issuer';
export const DEMO_AUDIENCE = 'mongo-edge-demo';

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The demo issuer: `sign(user)` and the `/demo-token` route (`handle(req, res)` -> true when it answered). */
export function createDemoIssuer({ secret, issuer = DEMO_ISSUER, audience = DEMO_AUDIENCE, ttlSeconds = 600 } = {}) {
  if (typeof secret !== 'string' || secret.length < 32) throw new Error('the demo issuer needs a secret of 32+ characters (the gateway verifies with the same one)');
  const sign = (user) => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { sub: user, iss: issuer, aud: audience, iat: now, exp: now + ttlSeconds, role: 'user', demo: true };
    const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
    return { token: `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`, expiresAt: payload.exp };
  };
  const handle = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/demo-token') return false;
    const user = url.searchParams.get('user') ?? '';
    const json = (status, body) => res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    if (req.method !== 'GET') json(405, { error: 'GET only' });
    else if (!/^[A-Za-z0-9_-]{1,32}$/.test(user)) json(400, { error: 'user: 1 to 32 letters, digits, _ or -' });
    else json(200, { user, issuer, audience, demo: true, ...sign(user) });
    return true;
  };
  return { issuer, audience, sign: (user) => sign(user).token, handle };
}
