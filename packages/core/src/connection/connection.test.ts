import { applicationView } from '../wire/application-view.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DriverErrorCode,
  MongoAuthError,
  MongoCompatibilityError,
  MongoDriverError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoProtocolError,
  MongoServerError,
  type Document,
} from '../errors.js';
import { MemoryNetwork, type MemoryDelivery } from '../runtime/memory/transport.js';
import { encodeOpMsg } from '../wire/op-msg.js';
import { newRequestId, writeHeader } from '../wire/header.js';
import { OP_COMPRESSED } from '../wire/constants.js';
import { parseAddress } from './address.js';
import type { Authenticator } from './auth-hook.js';
import { connect } from './connect.js';
import { makeClientMetadata, MAX_CLIENT_METADATA_BYTES } from './metadata.js';
import { serveFake, type FakeHandler } from '../../test/support/fake-server.js';
import { encodeDocument } from '../wire/bson-io.js';

const ADDR = 'db1:27017';
const deliveries: MemoryDelivery[] = ['sync', 'microtask', 'macrotask'];

function setup(handler?: FakeHandler, hello?: Document, delivery: MemoryDelivery = 'microtask') {
  const net = new MemoryNetwork({ delivery });
  const server = serveFake(net, ADDR, handler, hello ? { hello } : {});
  const transport = net.transport();
  return { net, server, transport };
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryNetwork', () => {
  it('refuses unregistered addresses like ECONNREFUSED', async () => {
    const net = new MemoryNetwork();
    const e = await caught(net.transport().connect({ host: 'nowhere', port: 1 }));
    expect(e).toBeInstanceOf(MongoNetworkError);
    expect((e as Error).message).toMatch(/ECONNREFUSED nowhere:1/);
  });

  it('times out a blackholed connect', async () => {
    const net = new MemoryNetwork();
    net.blackhole('slow:1');
    const e = await caught(net.transport().connect({ host: 'slow', port: 1, connectTimeoutMS: 20 }));
    expect(e).toBeInstanceOf(MongoNetworkTimeoutError);
  });

  for (const delivery of deliveries) {
    it(`delivers bytes in order and closes from either side (${delivery})`, async () => {
      const net = new MemoryNetwork({ delivery });
      const got: number[] = [];
      let serverClosedBy: boolean | undefined;
      net.listen('a:1', (s) => {
        s.onData((c) => {
          got.push(...c);
          s.send(c);
        });
        s.onClose((i) => (serverClosedBy = i.byClient));
      });
      const sock = await net.transport().connect({ host: 'a', port: 1 });
      const echoed: number[] = [];
      let closeErr: unknown = 'none';
      sock.setHandlers({ data: (c) => echoed.push(...c), close: (e) => (closeErr = e) });
      sock.send([new Uint8Array([1, 2]), new Uint8Array([3])]);
      await vi.waitFor(() => expect(echoed).toEqual([1, 2, 3]));
      expect(got).toEqual([1, 2, 3]);
      sock.close();
      await vi.waitFor(() => expect(serverClosedBy).toBe(true));
      expect(closeErr).toBeUndefined();
      expect(net.openSockets).toBe(0);
    });
  }
});

describe('parseAddress', () => {
  it.each([
    ['h:1', 'h', 1],
    ['h', 'h', 27017],
    ['[::1]:27018', '::1', 27018],
    ['[::1]', '::1', 27017],
  ])('%s', (a, host, port) => {
    expect(parseAddress(a)).toEqual({ host, port });
  });
  it('rejects bad input', () => {
    expect(() => parseAddress('::1:5')).toThrow();
    expect(() => parseAddress('h:0')).toThrow();
    expect(() => parseAddress('h:x')).toThrow();
  });
});

describe('client metadata', () => {
  it('has the required fields and detects Node through globalThis', () => {
    const md = makeClientMetadata({ appName: 'app' });
    expect(md.driver.name).toBe('mongo-edge');
    expect(md.application).toEqual({ name: 'app' });
    expect(md.os.type).toBeTypeOf('string');
    expect(md.platform).toMatch(/^Node\.js v/);
  });

  it('joins several driver infos (the client\'s, then appendMetadata\'s) with "|", skipping missing fields', () => {
    const md = makeClientMetadata({
      driverInfo: [{ name: 'lib', version: '1.0' }, { name: 'framework', version: '2.0', platform: 'Framework Platform' }],
      runtime: { os: { type: 'Linux' }, platform: 'P' },
    });
    expect(md.driver).toEqual({ name: 'mongo-edge|lib|framework', version: `${makeClientMetadata().driver.version}|1.0|2.0` });
    expect(md.platform).toBe('P|Framework Platform');
    expect(makeClientMetadata({ driverInfo: { name: 'one' }, runtime: { os: { type: 'Linux' }, platform: 'P' } }).driver.name).toBe('mongo-edge|one');
  });

  it('caps at 512 bytes, dropping fields in the spec order', () => {
    const big = 'x'.repeat(600);
    const md = makeClientMetadata({
      runtime: { os: { type: 'Linux', name: 'linux', architecture: big }, platform: 'P', env: { name: 'aws.lambda', region: 'r' } },
    });
    expect(md.os).toEqual({ type: 'Linux' });
    expect(md.env).toEqual({ name: 'aws.lambda' });
    const md2 = makeClientMetadata({ runtime: { os: { type: 'Linux' }, platform: big } });
    expect(encodeDocument(md2 as unknown as Document).byteLength).toBeLessThanOrEqual(MAX_CLIENT_METADATA_BYTES);
    expect(md2.platform.length).toBeGreaterThan(300);
    expect(makeClientMetadata({ appName: 'é'.repeat(100) }).application!.name.length).toBe(64);
  });
});

describe('connect / handshake', () => {
  it('sends hello on admin with helloOk, client metadata, loadBalanced, saslSupportedMechs', async () => {
    const { server, transport } = setup(undefined, { serviceId: 'svc' });
    const conn = await connect({
      transport,
      address: ADDR,
      appName: 'myApp',
      loadBalanced: true,
      credentials: { username: 'u', source: 'admin' },
      authenticator: { authenticate: async () => {} },
      serverApi: { version: '1', strict: true },
    });
    const hello = server.requests[0]!;
    expect(hello.name).toBe('hello');
    expect(hello.body).toMatchObject({
      hello: 1,
      helloOk: true,
      $db: 'admin',
      loadBalanced: true,
      saslSupportedMechs: 'admin.u',
      apiVersion: '1',
      apiStrict: true,
      client: { application: { name: 'myApp' }, driver: { name: 'mongo-edge' } },
    });
    expect(hello.body.compression).toBeUndefined();
    expect(conn.hello.isWritablePrimary).toBe(true);
    expect(conn.serviceId).toBe('svc');
    expect(conn.roundTrips).toBe(1);
    conn.close();
  });

  it('fails load-balanced mode when the server has no serviceId', async () => {
    const { transport, net } = setup();
    const e = await caught(connect({ transport, address: ADDR, loadBalanced: true }));
    expect(e).toBeInstanceOf(MongoCompatibilityError);
    expect(net.openSockets).toBe(0);
  });

  it('runs speculative auth then authenticate with the hello reply', async () => {
    const calls: string[] = [];
    const { server, transport } = setup((req) =>
      req.name === 'hello' ? { ...{ ok: 1, helloOk: true, maxWireVersion: 21 }, speculativeAuthenticate: { done: true } } : { ok: 1 },
    );
    const auth: Authenticator = {
      speculativeAuthenticate: async () => {
        calls.push('spec');
        return { document: { saslStart: 1, mechanism: 'SCRAM-SHA-256' }, state: 'nonce' };
      },
      authenticate: async (c, creds, reply, spec) => {
        calls.push(`auth:${creds.username}:${JSON.stringify(reply.speculativeAuthenticate)}:${String(spec?.state)}`);
        await c.command('admin', { ping: 1 });
      },
    };
    const conn = await connect({ transport, address: ADDR, credentials: { username: 'u', source: 'admin', mechanism: 'SCRAM-SHA-256' }, authenticator: auth });
    expect(calls).toEqual(['spec', 'auth:u:{"done":true}:nonce']);
    expect(server.requests[0]!.body.speculativeAuthenticate).toEqual({ saslStart: 1, mechanism: 'SCRAM-SHA-256' });
    expect(server.requests[0]!.body.saslSupportedMechs).toBeUndefined();
    expect(server.requests.map((r) => r.name)).toEqual(['hello', 'ping']);
    conn.close();
  });

  it('skips auth for monitoring connections and requires an authenticator otherwise', async () => {
    const { transport } = setup();
    const creds = { username: 'u', source: 'admin' };
    const m = await connect({ transport, address: ADDR, credentials: creds, monitoring: true });
    m.close();
    expect(await caught(connect({ transport, address: ADDR, credentials: creds }))).toBeInstanceOf(MongoAuthError);
  });

  it('maps a refused connect and a hello ok:0', async () => {
    const { transport } = setup((req) => (req.name === 'hello' ? { ok: 0, errmsg: 'nope', code: 18 } : { ok: 1 }));
    const refused = await caught(connect({ transport, address: 'other:1' }));
    expect(refused).toBeInstanceOf(MongoNetworkError);
    expect((refused as MongoNetworkError).beforeHandshake).toBe(true);
    const e = await caught(connect({ transport, address: ADDR }));
    expect(e).toBeInstanceOf(MongoServerError);
    expect((e as MongoServerError).code).toBe(18);
  });

  it('a server that closes during the handshake gives a labelled network error', async () => {
    const { transport } = setup((_req, ctx) => {
      ctx.close();
      return null;
    });
    const e = (await caught(connect({ transport, address: ADDR }))) as MongoNetworkError;
    expect(e).toBeInstanceOf(MongoNetworkError);
    expect(e.beforeHandshake).toBe(true);
    expect(e.hasErrorLabel(MongoErrorLabel.HandshakeError)).toBe(true);
  });

  it('Client Backpressure: a network error before the hello reply is labelled SystemOverloadedError and RetryableError (not on monitoring connections, not during auth, not a refused TCP connect)', async () => {
    const overload = (e: unknown) =>
      [MongoErrorLabel.SystemOverloadedError, MongoErrorLabel.RetryableError].map((l) => (e as MongoNetworkError).hasErrorLabel(l));
    const closing = setup((_req, ctx) => {
      ctx.close();
      return null;
    });
    expect(overload(await caught(connect({ transport: closing.transport, address: ADDR })))).toEqual([true, true]);
    // nothing listens at other:1: a refused TCP connect is a dead server, not a rate limiter
    expect(overload(await caught(connect({ transport: closing.transport, address: 'other:1' })))).toEqual([false, false]);
    expect(overload(await caught(connect({ transport: closing.transport, address: ADDR, monitoring: true })))).toEqual([false, false]);
    const timeout = setup(() => null);
    const slow = await caught(connect({ transport: timeout.transport, address: ADDR, connectTimeoutMS: 20 }));
    expect(slow).toBeInstanceOf(MongoNetworkTimeoutError);
    expect(overload(slow)).toEqual([true, true]);
    const { transport } = setup();
    const auth: Authenticator = {
      authenticate: async () => {
        throw new MongoNetworkError('reset during saslContinue');
      },
    };
    const during = await caught(connect({ transport, address: ADDR, credentials: { username: 'u', source: 'admin', mechanism: 'SCRAM-SHA-256' }, authenticator: auth }));
    expect(during).toBeInstanceOf(MongoNetworkError);
    expect(overload(during)).toEqual([false, false]);
  });

  it('hello timeout uses connectTimeoutMS', async () => {
    const { transport, net } = setup(() => null);
    const e = await caught(connect({ transport, address: ADDR, connectTimeoutMS: 20 }));
    expect(e).toBeInstanceOf(MongoNetworkTimeoutError);
    expect(net.openSockets).toBe(0);
  });
});

/** The transport of `setup()`, saying its peer runs nothing behind a failed handshake (the gateway's promise). */
function pipelining(transport: ReturnType<MemoryNetwork['transport']>) {
  return { name: transport.name, handshakePipelining: true, connect: (o: Parameters<typeof transport.connect>[0]) => transport.connect(o) };
}

describe('connect / read pipelining (Transport.readPipelining)', () => {
  const readsOnly = (transport: ReturnType<MemoryNetwork['transport']>) => ({
    name: transport.name,
    readPipelining: true,
    connect: (o: Parameters<typeof transport.connect>[0]) => transport.connect(o),
  });

  it('a read goes out behind the hello; a write waits for the hello reply; a failed hello fails the read', async () => {
    const held: Array<() => void> = [];
    // The server holds the hello reply until a second request arrives (or the test lets it go).
    const { server, transport } = setup((req, ctx) => {
      const send = () => ctx.reply(req.name === 'hello' ? { helloOk: true, maxWireVersion: 21, ok: 1 } : { ok: 1, n: 1 });
      if (req.name !== 'hello') return (send(), null);
      held.push(send);
      return null;
    });
    const reader = await connect({ transport: readsOnly(transport), address: ADDR });
    expect(server.requests.map((r) => r.name)).toEqual(['hello']);
    const read = reader.command('app', { count: 'c' }, { pipelineSafe: true });
    await vi.waitFor(() => expect(server.requests.map((r) => r.name)).toEqual(['hello', 'count']));
    held.shift()!();
    expect(await read).toEqual({ ok: 1, n: 1 });
    expect(reader.established).toBe(true);
    reader.close();

    const writer = await connect({ transport: readsOnly(transport), address: ADDR });
    const write = writer.command('app', { insert: 'c', documents: [{}] });
    // Nothing but the hello until its reply: the insert is held by the connection.
    await Promise.resolve();
    expect(server.requests.map((r) => r.name)).toEqual(['hello', 'count', 'hello']);
    held.shift()!();
    expect(await write).toEqual({ ok: 1, n: 1 });
    expect(server.requests.map((r) => r.name)).toEqual(['hello', 'count', 'hello', 'insert']);
    writer.close();
  });

  it('a failed hello fails the pipelined read with the handshake error and closes the connection', async () => {
    const { transport } = setup((req) => (req.name === 'hello' ? { ok: 0, errmsg: 'no', code: 2, codeName: 'BadValue' } : { ok: 1 }));
    const conn = await connect({ transport: readsOnly(transport), address: ADDR });
    const e = await caught(conn.command('app', { find: 'c' }, { pipelineSafe: true }));
    expect(e).toBeInstanceOf(MongoServerError);
    expect(conn.closed).toBe(true);
  });
});

describe('connect / handshake pipelining (Transport.handshakePipelining)', () => {
  it('returns before the hello reply; the first command goes out behind the hello and its reply waits for the handshake', async () => {
    const held: Array<() => void> = [];
    // The server answers nothing until both requests are in: one round trip for hello + find.
    const { server, transport } = setup((req, ctx) => {
      held.push(() => ctx.reply(req.name === 'hello' ? { helloOk: true, maxWireVersion: 21, maxMessageSizeBytes: 2048, serviceId: 'svc', ok: 1 } : { ok: 1, n: 1 }));
      if (held.length === 2) for (const send of held.splice(0)) send();
      return null;
    });
    const conn = await connect({ transport: pipelining(transport), address: ADDR, loadBalanced: true });
    expect(server.requests.map((r) => r.name)).toEqual(['hello']);
    expect(conn.established).toBe(false);
    const reply = await conn.command('app', { count: 'c' });
    expect(reply).toEqual({ ok: 1, n: 1 });
    expect(server.requests.map((r) => r.name)).toEqual(['hello', 'count']);
    expect(conn.established).toBe(true);
    expect(conn.serviceId).toBe('svc');
    expect(conn.maxMessageSizeBytes).toBe(2048);
    expect(conn.roundTrips).toBe(2);
    conn.close();
  });

  it('a failed hello fails the pipelined command with the handshake error and closes the connection', async () => {
    const { transport, net } = setup((req) => (req.name === 'hello' ? { ok: 0, errmsg: 'no', code: 2, codeName: 'BadValue' } : { ok: 1 }));
    const conn = await connect({ transport: pipelining(transport), address: ADDR });
    const e = await caught(conn.command('app', { insert: 'c', documents: [{}] }));
    expect(e).toBeInstanceOf(MongoServerError);
    expect((e as MongoServerError).code).toBe(2);
    expect(conn.closed).toBe(true);
    expect(net.openSockets).toBe(0);
  });

  it('load-balanced mode without a serviceId fails the pipelined command with MongoCompatibilityError', async () => {
    const { transport } = setup();
    const conn = await connect({ transport: pipelining(transport), address: ADDR, loadBalanced: true });
    expect(await caught(conn.command('app', { ping: 1 }))).toBeInstanceOf(MongoCompatibilityError);
    expect(conn.closed).toBe(true);
  });

  it('a connection lost during the handshake fails the pipelined command with a labelled network error', async () => {
    const { transport } = setup((_req, ctx) => {
      ctx.close();
      return null;
    });
    const conn = await connect({ transport: pipelining(transport), address: ADDR });
    const e = (await caught(conn.command('app', { ping: 1 }))) as MongoNetworkError;
    expect(e).toBeInstanceOf(MongoNetworkError);
    expect(e.beforeHandshake).toBe(true);
    expect(e.hasErrorLabel(MongoErrorLabel.HandshakeError)).toBe(true);
  });

  it('never pipelines with credentials (auth needs the reply) nor on monitoring connections', async () => {
    const { server, transport } = setup();
    const auth: Authenticator = { authenticate: async (c) => void (await c.command('admin', { saslStart: 1 })) };
    const withCreds = await connect({ transport: pipelining(transport), address: ADDR, credentials: { username: 'u', source: 'admin', mechanism: 'SCRAM-SHA-256' }, authenticator: auth });
    expect(withCreds.established).toBe(true);
    expect(server.requests.map((r) => r.name)).toEqual(['hello', 'saslStart']);
    const monitor = await connect({ transport: pipelining(transport), address: ADDR, monitoring: true });
    expect(monitor.established).toBe(true);
    withCreds.close();
    monitor.close();
  });
});

describe('Connection.command deserialize', () => {
  it('also decodes the reply with the given options for the application (promoteValues: false keeps Int32/Double/Long); the driver reads the defaults; an ok:0 reply as usual', async () => {
    const { Double, Int32, Long } = await import('bson');
    const { transport } = setup((req) =>
      req.name === 'find' ? { ok: 1, l: Long.fromNumber(5), d: new Double(1), i: 7 } : req.name === 'bad' ? { ok: 0, code: 2, errmsg: 'no' } : undefined,
    );
    const conn = await connect({ transport, address: ADDR });
    const reply = await conn.command('app', { find: 'c' }, { deserialize: { promoteValues: false } });
    expect([reply.l, reply.d, reply.i]).toEqual([5, 1, 7]);
    const exact = applicationView(reply);
    expect(exact.l).toBeInstanceOf(Long);
    expect(exact.d).toBeInstanceOf(Double);
    expect(exact.i).toBeInstanceOf(Int32);
    const promoted = await conn.command('app', { find: 'c' });
    expect([promoted.l, promoted.d, promoted.i]).toEqual([5, 1, 7]);
    const e = await caught(conn.command('app', { bad: 1 }, { deserialize: { promoteValues: false } }));
    expect(e).toBeInstanceOf(MongoServerError);
    expect((e as MongoServerError).code).toBe(2);
    conn.close();
  });
});

describe('Connection.command', () => {
  for (const delivery of deliveries) {
    it(`round trip with $db, sequences and $clusterTime (${delivery})`, async () => {
      const { server, transport } = setup(
        (req) =>
          req.name === 'insert'
            ? { ok: 1, n: req.sequences.documents!.length, $clusterTime: { clusterTime: 5 }, operationTime: 7 }
            : undefined,
        undefined,
        delivery,
      );
      const conn = await connect({ transport, address: ADDR });
      const reply = await conn.command('test', { insert: 'c' }, { sequences: { documents: [{ _id: 1 }, { _id: 2 }] } });
      expect(reply.n).toBe(2);
      expect(server.requests[1]!.body).toMatchObject({ insert: 'c', $db: 'test' });
      expect(server.requests[1]!.sequences.documents).toEqual([{ _id: 1 }, { _id: 2 }]);
      expect(conn.lastClusterTime).toEqual({ clusterTime: 5 });
      expect(conn.lastOperationTime).toBe(7);
      expect(conn.roundTrips).toBe(2);
      conn.close();
    });
  }

  it('maps ok:0 to MongoServerError with the reply and labels; raw returns it', async () => {
    const errReply = { ok: 0, errmsg: 'not primary', code: 10107, codeName: 'NotWritablePrimary', errorLabels: ['RetryableWriteError'] };
    const { transport } = setup((req) => (req.name === 'find' ? errReply : undefined));
    const conn = await connect({ transport, address: ADDR });
    const e = (await caught(conn.command('db', { find: 'c' }))) as MongoServerError;
    expect(e).toBeInstanceOf(MongoServerError);
    expect(e.code).toBe(10107);
    expect(e.errorResponse).toMatchObject(errReply);
    expect(e.hasErrorLabel('RetryableWriteError')).toBe(true);
    expect(conn.closed).toBe(false);
    expect(await conn.command('db', { find: 'c' }, { raw: true })).toMatchObject({ ok: 0, code: 10107 });
    conn.close();
  });

  it('moreToCome requests resolve once written and expect no reply', async () => {
    const { server, transport } = setup((req) => (req.name === 'insert' ? null : undefined));
    const conn = await connect({ transport, address: ADDR });
    expect(await conn.command('db', { insert: 'c', writeConcern: { w: 0 } }, { moreToCome: true })).toEqual({ ok: 1 });
    await new Promise((r) => setTimeout(r, 1));
    expect(server.requests[1]!.moreToCome).toBe(true);
    expect(conn.roundTrips).toBe(1);
    conn.close();
  });

  it('times out a request, closes the connection and leaves no timers', async () => {
    vi.useFakeTimers();
    const { transport, net } = setup((req) => (req.name === 'slow' ? null : undefined), undefined, 'sync');
    const conn = await connect({ transport, address: ADDR, socketTimeoutMS: 1000 });
    const p = caught(conn.command('db', { slow: 1 }));
    await vi.advanceTimersByTimeAsync(1001);
    const e = await p;
    expect(e).toBeInstanceOf(MongoNetworkTimeoutError);
    expect((e as Error).message).toMatch(/db1:27017.*1000 ms/);
    expect(conn.closed).toBe(true);
    expect(net.openSockets).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // per-request timeoutMS overrides socketTimeoutMS
    const conn2 = await connect({ transport, address: ADDR, socketTimeoutMS: 0 });
    const p2 = caught(conn2.command('db', { slow: 1 }, { timeoutMS: 50 }));
    await vi.advanceTimersByTimeAsync(51);
    expect(await p2).toBeInstanceOf(MongoNetworkTimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() with a request in flight rejects it and leaves no timers', async () => {
    vi.useFakeTimers();
    const { transport } = setup((req) => (req.name === 'slow' ? null : undefined), undefined, 'sync');
    const conn = await connect({ transport, address: ADDR, socketTimeoutMS: 1000 });
    const p = caught(conn.command('db', { slow: 1 }));
    expect(vi.getTimerCount()).toBe(1);
    conn.close();
    expect(await p).toBeInstanceOf(MongoNetworkError);
    expect(vi.getTimerCount()).toBe(0);
    expect(await caught(conn.command('db', { ping: 1 }))).toBeInstanceOf(MongoNetworkError);
  });

  it('an AbortSignal rejects and closes the connection', async () => {
    const { transport } = setup((req) => (req.name === 'slow' ? null : undefined));
    const conn = await connect({ transport, address: ADDR });
    const ac = new AbortController();
    const p = caught(conn.command('db', { slow: 1 }, { signal: ac.signal }));
    ac.abort();
    expect(((await p) as Error).name).toBe('AbortError');
    expect(conn.closed).toBe(true);
  });

  it('a server that closes mid-reply gives MongoNetworkError', async () => {
    const { transport } = setup((req, ctx) => {
      if (req.name !== 'find') return undefined;
      const bytes = encodeOpMsg({ requestId: 99, responseTo: req.requestId, body: { ok: 1, pad: 'x'.repeat(100) } });
      ctx.send(bytes[0]!); // header only
      ctx.close();
      return null;
    });
    const conn = await connect({ transport, address: ADDR });
    const e = await caught(conn.command('db', { find: 'c' }));
    expect(e).toBeInstanceOf(MongoNetworkError);
    expect((e as Error).message).toMatch(/mid-reply/);
    expect((e as MongoNetworkError).beforeHandshake).toBe(false);
    expect(conn.closed).toBe(true);
  });

  it('rejects a bad length from the server as a protocol error and closes', async () => {
    const { transport, net } = setup((req, ctx) => {
      if (req.name !== 'find') return undefined;
      const bad = new Uint8Array(16);
      writeHeader(bad, { messageLength: 8, requestId: 1, responseTo: req.requestId, opCode: 2013 });
      ctx.send(bad);
      return null;
    });
    const conn = await connect({ transport, address: ADDR });
    const e = await caught(conn.command('db', { find: 'c' }));
    expect(e).toBeInstanceOf(MongoProtocolError);
    expect(conn.closed).toBe(true);
    expect(net.openSockets).toBe(0);
  });

  it('rejects a reply over the hello maxMessageSizeBytes before buffering it', async () => {
    const { transport } = setup((req) => (req.name === 'find' ? { ok: 1, pad: 'x'.repeat(5000) } : undefined), { maxMessageSizeBytes: 2000 });
    const conn = await connect({ transport, address: ADDR });
    expect(conn.maxMessageSizeBytes).toBe(2000);
    const e = (await caught(conn.command('db', { find: 'c' }))) as MongoProtocolError;
    expect(e).toBeInstanceOf(MongoProtocolError);
    expect(e.code).toBe(DriverErrorCode.MessageTooLarge);
    expect(conn.closed).toBe(true);
  });

  it('refuses to send a request over maxMessageSizeBytes without closing', async () => {
    const { transport } = setup(undefined, { maxMessageSizeBytes: 2000 });
    const conn = await connect({ transport, address: ADDR });
    const e = (await caught(conn.command('db', { insert: 'c', pad: 'x'.repeat(5000) }))) as MongoDriverError;
    expect(e.code).toBe(DriverErrorCode.MessageTooLarge);
    expect(conn.closed).toBe(false);
    conn.close();
  });

  it('rejects an invalid BSON reply as a protocol error', async () => {
    const { transport } = setup((req, ctx) => {
      if (req.name !== 'find') return undefined;
      const chunks = encodeOpMsg({ requestId: 5, responseTo: req.requestId, body: { ok: 1 } });
      const body = chunks[1]!;
      new DataView(body.buffer, body.byteOffset).setInt32(0, 9999, true);
      ctx.send(chunks);
      return null;
    });
    const conn = await connect({ transport, address: ADDR });
    const e = (await caught(conn.command('db', { find: 'c' }))) as MongoProtocolError;
    expect(e).toBeInstanceOf(MongoProtocolError);
    expect(e.code).toBe(DriverErrorCode.InvalidBSON);
    expect(conn.closed).toBe(true);
  });

  it('rejects a reply whose responseTo matches nothing and closes', async () => {
    const { transport } = setup((req, ctx) => {
      if (req.name !== 'find') return undefined;
      ctx.reply({ ok: 1 }, { to: req.requestId + 1000 });
      return null;
    });
    const conn = await connect({ transport, address: ADDR });
    const e = await caught(conn.command('db', { find: 'c' }));
    expect(e).toBeInstanceOf(MongoProtocolError);
    expect((e as Error).message).toMatch(/responseTo/);
    expect(conn.closed).toBe(true);
  });

  it('rejects OP_COMPRESSED clearly', async () => {
    const { transport } = setup((req, ctx) => {
      if (req.name !== 'find') return undefined;
      const m = new Uint8Array(25);
      writeHeader(m, { messageLength: 25, requestId: newRequestId(), responseTo: req.requestId, opCode: OP_COMPRESSED });
      ctx.send(m);
      return null;
    });
    const conn = await connect({ transport, address: ADDR });
    const e = await caught(conn.command('db', { find: 'c' }));
    expect(e).toBeInstanceOf(MongoProtocolError);
    expect((e as Error).message).toMatch(/OP_COMPRESSED.*not negotiated/);
  });

  it('reads an exhaust stream with nextReply()', async () => {
    let ctxRef: Parameters<FakeHandler>[1] | undefined;
    let last = 0;
    const { transport } = setup((req, ctx) => {
      if (req.name !== 'hello' || !req.exhaustAllowed) return undefined;
      ctxRef = ctx;
      last = ctx.reply({ ok: 1, n: 1 }, { moreToCome: true });
      return null;
    });
    const conn = await connect({ transport, address: ADDR });
    const first = await conn.command('admin', { hello: 1, maxAwaitTimeMS: 10 }, { exhaustAllowed: true });
    expect(first.n).toBe(1);
    expect(conn.moreToCome).toBe(true);
    // a second command while the stream is open is refused
    expect(await caught(conn.command('admin', { ping: 1 }))).toBeInstanceOf(MongoDriverError);
    const next = conn.nextReply();
    last = ctxRef!.reply({ ok: 1, n: 2 }, { moreToCome: true, to: last });
    expect((await next).n).toBe(2);
    // replies that arrive before nextReply() is called are queued
    ctxRef!.reply({ ok: 1, n: 3 }, { to: last });
    await new Promise((r) => setTimeout(r, 1));
    expect((await conn.nextReply()).n).toBe(3);
    expect(conn.moreToCome).toBe(false);
    expect(await caught(conn.nextReply())).toBeInstanceOf(MongoDriverError);
    expect(conn.roundTrips).toBe(2);
    conn.close();
  });

  it('nextReply rejects when the socket closes', async () => {
    let ctxRef: Parameters<FakeHandler>[1] | undefined;
    const { transport } = setup((req, ctx) => {
      if (req.name !== 'hello' || !req.exhaustAllowed) return undefined;
      ctxRef = ctx;
      ctx.reply({ ok: 1 }, { moreToCome: true });
      return null;
    });
    const conn = await connect({ transport, address: ADDR });
    await conn.command('admin', { hello: 1 }, { exhaustAllowed: true });
    const p = caught(conn.nextReply());
    ctxRef!.close();
    expect(await p).toBeInstanceOf(MongoNetworkError);
  });
});
