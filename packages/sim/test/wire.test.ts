// Raw wire behaviour: legacy handshake, moreToCome, streaming hello, and hostile input.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatChunks, decodeOpMsg, decodeOpReply, encodeOpMsg, encodeOpQuery, MessageFramer, OP_MSG, OP_REPLY, readHeader } from '@mongo-edge/core/internal';
import { Long } from 'bson';
import { startSim, type SimHandle } from '../src/index.js';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSim({ port: 0 });
});
afterAll(async () => {
  await sim?.close();
});

/** A raw client: send bytes, read whole messages, observe close. */
class RawClient {
  readonly socket: net.Socket;
  private framer = new MessageFramer();
  private queue: Uint8Array[] = [];
  private waiters: Array<(m: Uint8Array) => void> = [];
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (c: Buffer) => {
      for (const m of this.framer.push(new Uint8Array(c))) {
        const w = this.waiters.shift();
        if (w) w(m);
        else this.queue.push(m);
      }
    });
    this.closed = new Promise((r) => this.socket.on('close', () => r()));
    this.socket.on('error', () => {});
  }

  async ready(): Promise<void> {
    await new Promise<void>((r) => this.socket.once('connect', () => r()));
  }

  send(bytes: Uint8Array | Uint8Array[]): void {
    this.socket.write(Array.isArray(bytes) ? concatChunks(bytes) : bytes);
  }

  next(timeoutMs = 3000): Promise<Uint8Array> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply')), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  async command(body: Record<string, unknown>, requestId = 1): Promise<Record<string, unknown>> {
    this.send(encodeOpMsg({ requestId, body }));
    const reply = decodeOpMsg(await this.next());
    expect(reply.responseTo).toBe(requestId);
    return reply.body;
  }

  close(): void {
    this.socket.destroy();
  }
}

async function client(): Promise<RawClient> {
  const c = new RawClient(sim.port);
  await c.ready();
  return c;
}

async function stillServes(): Promise<void> {
  const c = await client();
  expect(await c.command({ ping: 1, $db: 'admin' })).toEqual({ ok: 1 });
  c.close();
}

describe('legacy OP_QUERY handshake', () => {
  it('answers isMaster on admin.$cmd with OP_REPLY', async () => {
    const c = await client();
    c.send(encodeOpQuery({ requestId: 9, flags: 0, fullCollectionName: 'admin.$cmd', numberToSkip: 0, numberToReturn: -1, query: { isMaster: 1, helloOk: true, client: { application: { name: 'raw' } } } }));
    const m = await c.next();
    expect(readHeader(m).opCode).toBe(OP_REPLY);
    const r = decodeOpReply(m);
    expect(r.responseTo).toBe(9);
    expect(r.documents[0]).toMatchObject({ helloOk: true, ismaster: true, maxWireVersion: 21, ok: 1 });
    c.close();
  });

  it('refuses other OP_QUERY commands with 352', async () => {
    const c = await client();
    c.send(encodeOpQuery({ requestId: 2, flags: 0, fullCollectionName: 'test.$cmd', numberToSkip: 0, numberToReturn: -1, query: { find: 'c' } }));
    const r = decodeOpReply(await c.next());
    expect(r.documents[0]).toMatchObject({ ok: 0, code: 352, codeName: 'UnsupportedOpQueryCommand' });
    c.close();
  });
});

describe('OP_MSG', () => {
  it('kind 1 document sequences, checksum, and moreToCome (no reply)', async () => {
    const c = await client();
    c.send(encodeOpMsg({ requestId: 3, body: { insert: 'seq', $db: 'wire' }, sequences: { documents: [{ _id: 1 }, { _id: 2 }] }, checksum: true }));
    expect(decodeOpMsg(await c.next()).body).toEqual({ n: 2, ok: 1 });
    c.send(encodeOpMsg({ requestId: 4, body: { insert: 'seq', $db: 'wire', writeConcern: { w: 0 } }, sequences: { documents: [{ _id: 3 }] }, moreToCome: true }));
    const r = await c.command({ count: 'seq', $db: 'wire' }, 5);
    expect(r).toEqual({ n: 3, ok: 1 });
    c.close();
  });

  it('missing $db is 40571; errors carry code and codeName', async () => {
    const c = await client();
    expect(await c.command({ ping: 1 })).toMatchObject({ ok: 0, code: 40571 });
    expect(await c.command({ nope: 1, $db: 'x' })).toEqual({ ok: 0, errmsg: "no such command: 'nope'", code: 59, codeName: 'CommandNotFound' });
    c.close();
  });

  it('streams hello with exhaustAllowed + topologyVersion + maxAwaitTimeMS', async () => {
    const c = await client();
    const first = await c.command({ hello: 1, $db: 'admin' });
    const tv = first.topologyVersion as { processId: unknown; counter: Long };
    c.send(encodeOpMsg({ requestId: 7, body: { hello: 1, $db: 'admin', topologyVersion: tv, maxAwaitTimeMS: 50 }, exhaustAllowed: true }));
    const a = decodeOpMsg(await c.next());
    expect(a.responseTo).toBe(7);
    expect(a.moreToCome).toBe(true);
    const b = decodeOpMsg(await c.next());
    expect(b.responseTo).toBe(a.requestId);
    expect(b.body.isWritablePrimary).toBe(true);
    c.close();
    await c.closed;
  });
});

describe('bad input closes only that connection', () => {
  it('a declared length < 16', async () => {
    const c = await client();
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setInt32(0, 8, true);
    c.send(bad);
    await c.closed;
    await stillServes();
  });

  it('a declared length over 48,000,000 (rejected on the header)', async () => {
    const c = await client();
    const bad = new Uint8Array(16);
    const v = new DataView(bad.buffer);
    v.setInt32(0, 48_000_001, true);
    v.setInt32(12, OP_MSG, true);
    c.send(bad);
    await c.closed;
    await stillServes();
  });

  it('invalid BSON in an OP_MSG body', async () => {
    const c = await client();
    const msg = concatChunks(encodeOpMsg({ requestId: 1, body: { ping: 1, $db: 'admin' } }));
    new DataView(msg.buffer).setInt32(21, 9999, true);
    c.send(msg);
    await c.closed;
    await stillServes();
  });

  it('a bad checksum', async () => {
    const c = await client();
    const msg = concatChunks(encodeOpMsg({ requestId: 1, body: { ping: 1, $db: 'admin' }, checksum: true }));
    msg[msg.length - 1]! ^= 0xff;
    c.send(msg);
    await c.closed;
    await stillServes();
  });

  it('a removed legacy opcode (OP_INSERT)', async () => {
    const c = await client();
    const msg = new Uint8Array(32);
    const v = new DataView(msg.buffer);
    v.setInt32(0, 32, true);
    v.setInt32(12, 2002, true);
    c.send(msg);
    await c.closed;
    await stillServes();
  });

  it('a client that closes mid-message', async () => {
    const c = await client();
    const msg = concatChunks(encodeOpMsg({ requestId: 1, body: { ping: 1, $db: 'admin', pad: 'x'.repeat(1000) } }));
    c.send(msg.subarray(0, 500));
    await new Promise((r) => setTimeout(r, 20));
    c.close();
    await c.closed;
    await stillServes();
  });

  it('garbage bytes', async () => {
    const c = await client();
    c.send(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await c.closed;
    await stillServes();
  });
});

describe('latency', () => {
  it('--latency-ms delays every reply', async () => {
    const slow = await startSim({ port: 0, latencyMs: 80 });
    try {
      const c = new RawClient(slow.port);
      await c.ready();
      const t0 = Date.now();
      c.send(encodeOpMsg({ requestId: 1, body: { ping: 1, $db: 'admin' } }));
      await c.next();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
      c.close();
    } finally {
      await slow.close();
    }
  });
});
