/**
 * workerd: a Worker with a global web client using the gateway across several requests
 * (examples/edge/gateway-worker.ts; the pattern of edge-runtimes.test.ts). The end user's
 * JWT is the Worker's only secret; each request's answer reports the WebSockets the
 * client has opened so far. workerd forbids using a WebSocket of one request in another
 * (checked by hand: "Cannot perform I/O on behalf of a different request"), so the
 * connection is reused within a request, and each request opens its own WebSocket,
 * transparently (no error reaches the app).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { signGatewayToken, startGateway, validateGatewayConfig, type GatewayHandle } from '@mongo-edge/bridge';
import { MongoClient } from '@mongo-edge/core/node';
import { bundle, startWorkerd, workDir, type ServerProcess } from './runtimes.js';

const SECRET = 'workerd-gateway-secret-0123456789abcdef';
const work = workDir();
let sim: SimHandle;
let gateway: GatewayHandle;
let worker: ServerProcess;

beforeAll(async () => {
  sim = await startSim({ quiet: true });
  const seed = new MongoClient(`${sim.uri}?directConnection=true`);
  await seed.db('app').collection('notes').insertMany([1, 2, 3, 4, 5].map((i) => ({ _id: i as never, owner: i === 5 ? 'someone-else' : 'edge-user', n: i })));
  await seed.close();
  gateway = await startGateway(
    validateGatewayConfig({
      listen: { port: 0 },
      cluster: { uri: { value: `mongodb://${sim.address}/` }, options: { directConnection: true } },
      jwt: { secret: { value: SECRET }, issuer: 'iss', audience: 'aud' },
      rules: [{ name: 'own', roles: ['*'], database: 'app', collection: 'notes', actions: ['find'], filter: { owner: '%%user.sub' } }],
    }),
    { log: () => undefined },
  );
  const token = await signGatewayToken(SECRET, { subject: 'edge-user', issuer: 'iss', audience: 'aud', expiresInSeconds: 600 });
  worker = await startWorkerd(await bundle('gateway-worker.ts', work.dir, 'workerd'), work.dir, { GATEWAY_URL: gateway.url, TOKEN: token });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await gateway?.close();
  await sim?.close();
  work.remove();
});

describe('workerd: a global-scope web client through the gateway', () => {
  it('one client across requests: the rules apply, each request renews the WebSocket transparently, operations within a request share it', async () => {
    const answers = [];
    for (const id of [1, 2, 3, 4, 5]) {
      const { status, body } = await worker.get(`/find?id=${id}&times=3`);
      expect(status, worker.output().slice(-2000)).toBe(200);
      answers.push(body as { doc: { _id: number; n: number } | null; websockets: number; loadBalanced: boolean });
    }
    expect(answers.slice(0, 4).map((a) => a.doc?.n)).toEqual([1, 2, 3, 4]);
    expect(answers[4]!.doc).toBeNull(); // another user's document: filtered out by the gateway
    expect(answers.every((a) => a.loadBalanced)).toBe(true);
    // three operations per request, one WebSocket per request: reused within it, renewed across
    expect(answers.map((a) => a.websockets)).toEqual([1, 2, 3, 4, 5]);
  }, 120_000);
});
