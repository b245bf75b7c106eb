/**
 * The web client's own surface, from source with a fake WebSocket constructor (no
 * network): how `bridge` becomes the transport, validation at construction, no I/O in
 * the constructor, and a transport that can be reopened after close().
 */
import { describe, expect, it } from 'vitest';
import { BridgeTransport, MongoClient, MongoInvalidArgumentError, MongoNetworkError, ReadPreference, WebSocketTransport } from '../src/index.js';
import type { WebSocketLike } from '../src/index.js';

/** A WebSocket that never reaches the network: it closes (1006) right after construction. */
function fakeWebSocket() {
  const opened: Array<{ url: string; protocols: string[] }> = [];
  class FakeWebSocket implements WebSocketLike {
    binaryType = 'blob';
    readyState = 0;
    protocol = '';
    bufferedAmount = 0;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: unknown) => void) | null = null;
    onclose: ((event: unknown) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    constructor(url: string, protocols?: string | string[]) {
      opened.push({ url, protocols: ([] as string[]).concat(protocols ?? []) });
      queueMicrotask(() => {
        this.readyState = 3;
        this.onerror?.({ message: 'refused (fake)' });
        this.onclose?.({ code: 1006, reason: '' });
      });
    }
    send(): void {}
    close(): void {
      this.readyState = 3;
    }
  }
  return { FakeWebSocket, opened };
}

describe('web-client MongoClient', () => {
  it('requires a bridge (or a transport) and names the fix', () => {
    expect(() => new MongoClient('mongodb://127.0.0.1:27017')).toThrow(MongoInvalidArgumentError);
    expect(() => new MongoClient('mongodb://127.0.0.1:27017')).toThrow(/bridge: \{ url/);
  });

  it('builds a bridge transport from `bridge` without opening anything', () => {
    const { FakeWebSocket, opened } = fakeWebSocket();
    const client = new MongoClient('mongodb://a:27017,b:27017/?replicaSet=foo', {
      bridge: { url: 'wss://bridge.example/ws', token: 'secret-token', WebSocket: FakeWebSocket },
    });
    // A factory (the client owns what it returns and closes it on close()).
    expect(client.options.transport).toBeTypeOf('function');
    const transport = (client.options.transport as () => BridgeTransport)();
    expect(transport).toBeInstanceOf(BridgeTransport);
    expect(transport.url).toBe('wss://bridge.example/ws');
    expect(client.options.replicaSet).toBe('foo');
    expect(client.hosts).toEqual(['a:27017', 'b:27017']);
    expect(client.readPreference.mode).toBe(ReadPreference.primary.mode);
    expect(opened).toEqual([]);
  });

  it('rejects a bad bridge url and a missing WebSocket constructor at construction', () => {
    expect(() => new MongoClient('mongodb://a', { bridge: { url: 'https://bridge.example/ws' } })).toThrow(/ws:\/\/ or wss:\/\//);
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
      expect(() => new MongoClient('mongodb://a', { bridge: { url: 'wss://bridge.example/ws' } })).toThrow(/WebSocket constructor/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });

  it('uses an explicit transport as is (bridge ignored)', () => {
    const { FakeWebSocket } = fakeWebSocket();
    const transport = new WebSocketTransport({ url: 'ws://127.0.0.1:1/ws', WebSocket: FakeWebSocket });
    const client = new MongoClient('mongodb://a', { transport, bridge: { url: 'ws://ignored/ws', WebSocket: FakeWebSocket } });
    expect(client.options.transport).toBe(transport);
  });
});

describe('BridgeTransport', () => {
  it('opens a WebSocket per connect cycle and can be reopened after close()', async () => {
    const { FakeWebSocket, opened } = fakeWebSocket();
    const transport = new BridgeTransport({ url: 'ws://127.0.0.1:9/ws', token: 'tok', WebSocket: FakeWebSocket });
    await expect(transport.connect({ host: 'a', port: 27017 })).rejects.toBeInstanceOf(MongoNetworkError);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.protocols[0]).toBe('mongo-edge.v1');
    await transport.close();
    // The core's WebSocketTransport refuses to connect once closed; this one starts over.
    await expect(transport.connect({ host: 'a', port: 27017 })).rejects.toThrow(/cannot open a WebSocket/);
    expect(opened).toHaveLength(2);
    await transport.close();
    await transport.close();
  });
});
