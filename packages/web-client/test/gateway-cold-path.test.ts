/**
 * The gateway's cold path (docs/gateway.md "Latency"): with the `gateway` option a new
 * client's first operation costs the WebSocket upgrade plus ONE exchange: the channel's
 * `open`, the handshake `hello` and the command leave in one flight, before anything
 * comes back (load-balanced mode: no monitor; handshake pipelining). Counted on the
 * WebSocket itself, not timed. The mongos face (a core client without the option) is
 * counted too, as the contrast: its monitor and its pooled connection each wait for a
 * hello first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { signGatewayToken, startGateway, validateGatewayConfig, type GatewayHandle } from '@mongo-edge/bridge';
import { MongoClient as CoreClient, WebSocketTransport } from '@mongo-edge/core';
import { MongoClient as NodeClient } from '@mongo-edge/core/node';
import { GATEWAY_URI, MongoClient, TopologyType, type WebSocketConstructorLike, type WebSocketLike } from '../src/index.js';

const SECRET = 'web-client-cold-path-secret-0123456789';

/** A `ws` WebSocket that logs 'open', 'send' and 'recv' in order. */
function recordingWebSocket(log: string[]): WebSocketConstructorLike {
  return class implements WebSocketLike {
    readonly #ws: WebSocket;
    onopen: ((event: any) => void) | null = null;
    onmessage: ((event: any) => void) | null = null;
    onclose: ((event: any) => void) | null = null;
    onerror: ((event: any) => void) | null = null;
    constructor(url: string, protocols?: string | string[]) {
      this.#ws = new WebSocket(url, protocols);
      this.#ws.onopen = (e) => (log.push('open'), this.onopen?.(e));
      this.#ws.onmessage = (e) => (log.push('recv'), this.onmessage?.(e));
      this.#ws.onclose = (e) => this.onclose?.(e);
      this.#ws.onerror = (e) => this.onerror?.(e);
    }
    get binaryType(): string {
      return this.#ws.binaryType;
    }
    set binaryType(v: string) {
      this.#ws.binaryType = v as 'arraybuffer';
    }
    get readyState(): number {
      return this.#ws.readyState;
    }
    get protocol(): string {
      return this.#ws.protocol;
    }
    send(data: Uint8Array): void {
      log.push('send');
      this.#ws.send(data);
    }
    close(code?: number, reason?: string): void {
      this.#ws.close(code, reason);
    }
  };
}

/** Client flights after the upgrade: runs of sends, each answered before the next run. */
function flights(log: readonly string[]): number {
  let n = 0;
  let prev = '';
  for (const e of log) {
    if (e === 'send' && prev !== 'send') n += 1;
    prev = e;
  }
  return n;
}

describe('gateway cold path: WebSocket upgrade + one exchange', () => {
  let sim: SimHandle;
  let gateway: GatewayHandle;
  let token: string;
  beforeAll(async () => {
    sim = await startSim({ quiet: true });
    gateway = await startGateway(
      validateGatewayConfig({
        listen: { port: 0 },
        cluster: { uri: { value: `mongodb://${sim.address}/` }, options: { directConnection: true } },
        jwt: { secret: { value: SECRET }, issuer: 'iss', audience: 'aud' },
        limits: { maxCommandBytes: 64 * 1024, maxDocuments: 10 },
        rules: [{ name: 'notes', roles: ['*'], database: 'app', collection: 'notes', actions: ['find', 'insert'], filter: { owner: '%%user.sub' } }],
      }),
      { log: () => undefined },
    );
    token = await signGatewayToken(SECRET, { subject: 'edge', issuer: 'iss', audience: 'aud', expiresInSeconds: 300 });
  });
  afterAll(async () => {
    await gateway?.close();
    await sim?.close();
  });

  it('with the gateway option: open, hello and find leave in one flight; the second request reuses the connection', async () => {
    const log: string[] = [];
    const client = new MongoClient(`${GATEWAY_URI}app`, { gateway: { url: gateway.url, token, WebSocket: recordingWebSocket(log) } });
    try {
      expect(await client.db().collection('notes').findOne({})).toBeNull();
      const cold = [...log];
      expect(cold[0]).toBe('open');
      expect(cold.filter((e) => e === 'send')).toHaveLength(3); // open frame, hello, find
      expect(flights(cold)).toBe(1);
      expect(client.topologyDescription?.type).toBe(TopologyType.LoadBalanced);
      await client.db().collection('notes').findOne({});
      const warm = log.slice(cold.length);
      expect(warm.filter((e) => e === 'send')).toHaveLength(1); // the find alone, on the same channel
      expect(flights(warm)).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('the mongos face (a core client without the option) takes three exchanges after the upgrade', async () => {
    const log: string[] = [];
    const client = new CoreClient('mongodb://gateway/app', {
      transport: new WebSocketTransport({ url: gateway.url, token, WebSocket: recordingWebSocket(log) }),
    });
    try {
      expect(await client.db().collection('notes').findOne({})).toBeNull();
      expect(flights(log)).toBe(3); // monitor hello; pooled connection's hello; find
      expect(client.topologyDescription?.type).toBe(TopologyType.Sharded);
    } finally {
      await client.close();
    }
  });

  it('load-balanced mode learns the gateway limits from the handshake: insertMany is split by maxWriteBatchSize', async () => {
    const client = new MongoClient(`${GATEWAY_URI}app`, { monitorCommands: true, gateway: { url: gateway.url, token, WebSocket: WebSocket as unknown as WebSocketConstructorLike } });
    const inserts: number[] = [];
    client.on('commandStarted', (e: { commandName: string; command: { documents?: unknown[] } }) => {
      if (e.commandName === 'insert') inserts.push(e.command.documents?.length ?? 0);
    });
    try {
      await client.db().collection('notes').findOne({});
      const r = await client.db().collection('notes').insertMany(Array.from({ length: 25 }, (_, i) => ({ i })));
      expect(r.insertedCount).toBe(25);
      expect(inserts).toEqual([10, 10, 5]); // maxDocuments 10 (a LoadBalancer description has no limits)
    } finally {
      await client.close();
    }
  });

  it('a reply larger than maxCommandBytes is read: the hello bounds replies as a mongod does', async () => {
    const direct = new NodeClient(`mongodb://${sim.address}/?directConnection=true`);
    await direct.db('app').collection('notes').insertMany(Array.from({ length: 3 }, (_, i) => ({ big: i, owner: 'edge', pad: 'y'.repeat(30_000) })));
    await direct.close();
    const client = new MongoClient(`${GATEWAY_URI}app`, { gateway: { url: gateway.url, token, WebSocket: WebSocket as unknown as WebSocketConstructorLike } });
    try {
      const docs = await client.db().collection('notes').find({ big: { $exists: true } }).toArray();
      expect(docs).toHaveLength(3); // ~90 kB in one reply, over the 64 kB command limit
    } finally {
      await client.close();
    }
  });
});
