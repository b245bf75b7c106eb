import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../connection/connect.js';
import { MongoNetworkError, MongoNetworkTimeoutError } from '../../errors.js';
import { MessageFramer } from '../../wire/framer.js';
import { newRequestId } from '../../wire/header.js';
import { decodeOpMsg, encodeOpMsg } from '../../wire/op-msg.js';
import { defaultNodeTransport, TcpTransport, tlsConnectOptions } from './index.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A tiny OP_MSG server over TCP: replies { ok: 1, echo: body } (hello gets hello fields). */
function listen(host: string, onSocket?: (s: net.Socket) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      if (onSocket) {
        onSocket(socket);
        return;
      }
      const framer = new MessageFramer();
      socket.on('data', (chunk) => {
        for (const m of framer.push(new Uint8Array(chunk))) {
          const req = decodeOpMsg(m);
          const body = req.body.hello
            ? { ok: 1, helloOk: true, isWritablePrimary: true, maxWireVersion: 21, maxMessageSizeBytes: 48_000_000 }
            : { ok: 1, echo: req.body };
          for (const c of encodeOpMsg({ requestId: newRequestId(), responseTo: req.requestId, body })) socket.write(c);
        }
      });
      socket.on('error', () => {});
    });
    servers.push(server);
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('TcpTransport', () => {
  it('runs a handshake and a command over IPv4', async () => {
    const port = await listen('127.0.0.1');
    const conn = await connect({ transport: defaultNodeTransport(), address: `127.0.0.1:${port}` });
    expect(conn.hello.isWritablePrimary).toBe(true);
    const reply = await conn.command('test', { ping: 1, pad: 'x'.repeat(200_000) });
    expect((reply.echo as { ping: number }).ping).toBe(1);
    conn.close();
  });

  it('connects to IPv6 literals "[::1]:port"', async (ctx) => {
    let port: number;
    try {
      port = await listen('::1');
    } catch {
      ctx.skip('no IPv6 loopback (::1) on this machine'); // reported as skipped, not passed
      return;
    }
    const conn = await connect({ transport: new TcpTransport(), address: `[::1]:${port}` });
    expect(conn.address).toBe(`[::1]:${port}`);
    conn.close();
  });

  it('maps ECONNREFUSED to MongoNetworkError naming the address', async () => {
    const port = await listen('127.0.0.1');
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const e = await caught(new TcpTransport().connect({ host: '127.0.0.1', port }));
    expect(e).toBeInstanceOf(MongoNetworkError);
    expect((e as Error).message).toContain(`127.0.0.1:${port}`);
    expect((e as Error).message).toContain('ECONNREFUSED');
    expect((e as MongoNetworkError).beforeHandshake).toBe(true);
  });

  it('times out a TLS connect that never completes', async () => {
    const held: net.Socket[] = [];
    const port = await listen('127.0.0.1', (s) => {
      held.push(s);
      s.on('error', () => {});
    });
    const e = await caught(new TcpTransport().connect({ host: '127.0.0.1', port, tls: {}, connectTimeoutMS: 50 }));
    expect(e).toBeInstanceOf(MongoNetworkTimeoutError);
    expect((e as Error).message).toContain(`127.0.0.1:${port}`);
    for (const s of held) s.destroy();
  });

  it('aborts a pending connect', async () => {
    const held: net.Socket[] = [];
    const port = await listen('127.0.0.1', (s) => held.push(s));
    const ac = new AbortController();
    const p = caught(new TcpTransport().connect({ host: '127.0.0.1', port, tls: {}, signal: ac.signal }));
    setTimeout(() => ac.abort(), 10);
    expect(await p).toBeInstanceOf(MongoNetworkError);
    for (const s of held) s.destroy();
  });

  it('reports a server-side close as MongoNetworkError and a local close without error', async () => {
    const held: net.Socket[] = [];
    const port = await listen('127.0.0.1', (s) => held.push(s));
    const sock = await new TcpTransport().connect({ host: '127.0.0.1', port });
    const closed = new Promise<unknown>((r) => sock.setHandlers({ data: () => {}, close: (e) => r(e) }));
    await new Promise((r) => setTimeout(r, 10));
    held[0]!.destroy();
    expect(await closed).toBeInstanceOf(MongoNetworkError);

    const sock2 = await new TcpTransport().connect({ host: '127.0.0.1', port });
    const closed2 = new Promise<unknown>((r) => sock2.setHandlers({ data: () => {}, close: (e) => r(e ?? 'clean') }));
    sock2.close();
    expect(await closed2).toBe('clean');
    for (const s of held) s.destroy();
  });

  it('maps TLS options (SNI only for host names)', () => {
    const o = tlsConnectOptions('db.example.com', 27017, {
      ca: 'CA',
      cert: 'CERT',
      key: 'KEY',
      passphrase: 'pw',
      allowInvalidCertificates: true,
      allowInvalidHostnames: true,
    });
    expect(o).toMatchObject({ host: 'db.example.com', port: 27017, ca: 'CA', cert: 'CERT', key: 'KEY', passphrase: 'pw', servername: 'db.example.com', rejectUnauthorized: false });
    expect(o.checkServerIdentity!('x', {} as never)).toBeUndefined();
    expect(tlsConnectOptions('10.0.0.1', 1, {}).servername).toBeUndefined();
    expect(tlsConnectOptions('::1', 1, {}).servername).toBeUndefined();
    expect(tlsConnectOptions('10.0.0.1', 1, { servername: 'sni.example' }).servername).toBe('sni.example');
    expect(tlsConnectOptions('h', 1, {}).rejectUnauthorized).toBeUndefined();
  });
});
