/**
 * The transport's default pipelined open (protocol §2.1): connect() returns right
 * after the `open` frame, the first message follows without waiting for `opened`,
 * and a refused open reaches the caller as the socket closing with the bridge's error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerSelectionError, WebSocketTransport } from '@mongo-edge/core';
import { MongoBridgeError, type WebSocketConstructorLike } from '@mongo-edge/core/internal';
import { WebSocket } from 'ws';
import { startBridge, type BridgeHandle } from '../src/index.js';
import { CommandSocket, startFakeMongod, type FakeMongod } from './helpers.js';

const TOKEN = 'pipelined-open-token-0123456789';

describe('pipelined channel open', () => {
  let mongod: FakeMongod;
  let bridge: BridgeHandle;
  let transport: WebSocketTransport;

  beforeAll(async () => {
    mongod = await startFakeMongod();
    bridge = await startBridge({ port: 0, allow: [mongod.address], tokens: [TOKEN], log: () => {} });
    transport = new WebSocketTransport({ url: bridge.url, token: TOKEN, WebSocket: WebSocket as unknown as WebSocketConstructorLike });
  });
  afterAll(async () => {
    await transport?.close();
    await bridge?.close();
    await mongod?.close();
  });

  it('sends the first command before `opened` and gets its reply', async () => {
    const [host, port] = mongod.address.split(':') as [string, string];
    const socket = await transport.connect({ host, port: Number(port), connectTimeoutMS: 5000 });
    const cmd = new CommandSocket(socket);
    const reply = await cmd.command({ ping: 1 });
    expect(reply.ok).toBe(1);
    socket.close();
  });

  it('a target outside the allowlist closes the socket with target-refused', async () => {
    const socket = await transport.connect({ host: '127.0.0.1', port: 1, connectTimeoutMS: 5000 });
    const cmd = new CommandSocket(socket);
    const error = await cmd.command({ ping: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MongoBridgeError);
    expect((error as MongoBridgeError).reason).toBe('target-refused');
  });

  it('through MongoClient, a refused target is a server selection error whose cause names the refusal', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=1500', {
      transport: () => new WebSocketTransport({ url: bridge.url, token: TOKEN, WebSocket: WebSocket as unknown as WebSocketConstructorLike }),
    });
    try {
      const error = await client.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MongoServerSelectionError);
      expect(String((error as Error).message) + String(((error as Error).cause as Error | undefined)?.message)).toMatch(/refused|allowlist|not allowed/i);
    } finally {
      await client.close();
    }
  });
});
