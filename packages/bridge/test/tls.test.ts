import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MongoBridgeError, WebSocketTransport, type WebSocketConstructorLike } from '@mongo-edge/core/internal';
import { startBridge, type BridgeHandle } from '../src/index.js';
import { CommandSocket, startFakeMongod, type FakeMongod } from './helpers.js';

const TOKEN = 'tls-test-token-0123456789';

/** A throwaway self-signed certificate for localhost / 127.0.0.1. */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mongo-edge-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('TLS: wss termination and TLS to targets', () => {
  let pem: { key: string; cert: string };
  let tlsMongod: FakeMongod;
  let plainMongod: FakeMongod;
  let bridge: BridgeHandle;
  let strictBridge: BridgeHandle;
  let transport: WebSocketTransport;

  beforeAll(async () => {
    pem = selfSigned();
    tlsMongod = await startFakeMongod({ tls: pem });
    plainMongod = await startFakeMongod();
    bridge = await startBridge({
      port: 0,
      allow: ['127.0.0.1:*', 'localhost:*'],
      tokens: [TOKEN],
      tlsCert: pem.cert,
      tlsKey: pem.key,
      requireTargetTls: true,
      log: () => undefined,
    });
    strictBridge = await startBridge({ port: 0, allow: ['localhost:*'], tokens: [TOKEN], targetCa: pem.cert, log: () => undefined });
    // The client trusts the self-signed bridge certificate.
    class TrustingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca: pem.cert });
      }
    }
    transport = new WebSocketTransport({ url: bridge.url, token: TOKEN, WebSocket: TrustingWebSocket as unknown as WebSocketConstructorLike, pipelineOpen: false });
  });

  afterAll(async () => {
    await transport?.close();
    await bridge?.close();
    await strictBridge?.close();
    await tlsMongod?.close();
    await plainMongod?.close();
  });

  it('serves wss:// and https:// with --tls-cert/--tls-key', async () => {
    expect(bridge.url).toMatch(/^wss:\/\//);
    expect(bridge.httpUrl).toMatch(/^https:\/\//);
  });

  it('refuses a certificate the bridge does not trust with target-unreachable', async () => {
    const err = await transport.connect({ host: 'localhost', port: tlsMongod.port, tls: {}, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
    expect((err as MongoBridgeError).reason).toBe('target-unreachable');
    expect((err as Error).message).toMatch(/self[- ]signed/i);
  });

  it('connects with TLS when the open frame allows invalid certificates', async () => {
    const s = new CommandSocket(
      await transport.connect({ host: '127.0.0.1', port: tlsMongod.port, tls: { allowInvalidCertificates: true }, connectTimeoutMS: 5000 }),
    );
    expect((await s.command({ ping: 1 })).ok).toBe(1);
    s.socket.close();
  });

  it('verifies the target against --target-ca', async () => {
    const t = new WebSocketTransport({ url: strictBridge.url, token: TOKEN, WebSocket: WebSocket as unknown as WebSocketConstructorLike, pipelineOpen: false });
    try {
      const s = new CommandSocket(await t.connect({ host: 'localhost', port: tlsMongod.port, tls: {}, connectTimeoutMS: 5000 }));
      expect((await s.command({ hello: 1 })).ok).toBe(1);
      // servername that does not match the certificate: refused.
      const err = await t
        .connect({ host: 'localhost', port: tlsMongod.port, tls: { servername: 'db.example.com' }, connectTimeoutMS: 5000 })
        .catch((e: unknown) => e);
      expect((err as MongoBridgeError).reason).toBe('target-unreachable');
      expect((err as Error).message).toMatch(/altnames|Hostname/i);
    } finally {
      await t.close();
    }
  });

  it('--require-target-tls refuses plain channels', async () => {
    const err = await transport.connect({ host: '127.0.0.1', port: plainMongod.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
    expect((err as MongoBridgeError).reason).toBe('target-refused');
    expect((err as Error).message).toMatch(/only opens TLS connections/);
  });
});
