/**
 * The web client's `gateway` option: one option selects a mongo-edge gateway (the
 * bridge URL and the end user's token); the URI carries no hosts of its own and no
 * credentials. End to end from source against a gateway in front of the sim.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { signGatewayToken, startGateway, validateGatewayConfig, type GatewayHandle } from '@mongo-edge/bridge';
import { GATEWAY_URI, MongoClient, MongoInvalidArgumentError, MongoServerError, type WebSocketConstructorLike } from '../src/index.js';

const SECRET = 'web-client-gateway-secret-0123456789';
const sign = (sub: string) => signGatewayToken(SECRET, { subject: sub, issuer: 'iss', audience: 'aud', expiresInSeconds: 300 });
const WS = WebSocket as unknown as WebSocketConstructorLike;

describe('web-client gateway option: validation', () => {
  it('refuses credentials, replicaSet/loadBalanced/directConnection in the URI, and bridge or transport alongside', () => {
    const gateway = { url: 'ws://127.0.0.1:1/ws', token: 't', WebSocket: WS };
    expect(() => new MongoClient('mongodb://u:p@gateway/', { gateway })).toThrow(/no credentials/);
    expect(() => new MongoClient('mongodb://gateway/?loadBalanced=true', { gateway })).toThrow(MongoInvalidArgumentError);
    expect(() => new MongoClient('mongodb://gateway/?replicaSet=rs0', { gateway })).toThrow(/the gateway option sets them/);
    expect(() => new MongoClient(GATEWAY_URI, { gateway, bridge: { url: 'ws://x/ws' } })).toThrow(/excludes/);
    expect(() => new MongoClient(GATEWAY_URI, { gateway })).not.toThrow();
  });
});

describe('web-client through a gateway (Node, ws)', () => {
  let sim: SimHandle;
  let gateway: GatewayHandle;
  beforeAll(async () => {
    sim = await startSim({ quiet: true });
    gateway = await startGateway(
      validateGatewayConfig({
        listen: { port: 0 },
        cluster: { uri: { value: `mongodb://${sim.address}/` }, options: { directConnection: true } },
        jwt: { secret: { value: SECRET }, issuer: 'iss', audience: 'aud' },
        rules: [{ name: 'todos', roles: ['*'], database: 'app', collection: 'todos', actions: ['find', 'insert', 'update', 'delete'], filter: { owner: '%%user.sub' } }],
      }),
      { log: () => undefined },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await sim?.close();
  });

  it('two users with one option each: their own documents only, a typed refusal, a token getter', async () => {
    let calls = 0;
    const a = new MongoClient(`${GATEWAY_URI}app`, { gateway: { url: gateway.url, token: () => (calls++, sign('ann')), WebSocket: WS } });
    const b = new MongoClient(`${GATEWAY_URI}app`, { gateway: { url: gateway.url, token: await sign('ben'), WebSocket: WS } });
    try {
      await a.db().collection('todos').insertOne({ t: 'ann-1' });
      await b.db().collection('todos').insertOne({ t: 'ben-1' });
      expect((await a.db().collection('todos').find({}).toArray()).map((d) => [d.t, d.owner])).toEqual([['ann-1', 'ann']]);
      expect((await b.db().collection('todos').find({}).toArray()).map((d) => [d.t, d.owner])).toEqual([['ben-1', 'ben']]);
      const refused = await a.db().collection('other').findOne({}).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MongoServerError);
      expect(refused).toMatchObject({ code: 13 });
      expect(calls).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
