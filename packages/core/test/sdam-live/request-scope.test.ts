/**
 * Request-scoped I/O (as on Cloudflare Workers) and transport ownership, on a fake
 * replica set. The "scoped" transport below wraps memory sockets in the core's
 * StreamSocket and refuses writes from a scope other than the one that opened the
 * socket with workerd's own message, as workerd does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MongoClient } from '../../src/client/mongo-client.js';
import { MongoNetworkError, MongoRequestScopeError } from '../../src/errors.js';
import { StreamSocket } from '../../src/transport/stream-socket.js';
import { isForeignRequestIoError } from '../../src/transport/request-scope.js';
import type { Transport, TransportConnectOptions, TransportSocket } from '../../src/transport/transport.js';
import { FakeCluster } from '../support/fake-cluster.js';

const A = 'a:27017';
const FOREIGN = 'Cannot perform I/O on behalf of a different request. I/O objects (such as streams) created in the context of one request handler cannot be accessed from a different request';

/** Memory sockets behind a ReadableStream/WritableStream pair whose writes check the scope. */
class ScopedTransport implements Transport {
  readonly name = 'scoped';
  scope = 1;
  closed = 0;
  refused = 0;
  constructor(private readonly inner: Transport) {}

  async connect(options: TransportConnectOptions): Promise<TransportSocket> {
    const raw = await this.inner.connect(options);
    const opened = this.scope;
    let push!: (chunk: Uint8Array) => void;
    let end!: () => void;
    const readable = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (c) => controller.enqueue(c.slice());
        end = () => {
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
      },
    });
    raw.setHandlers({ data: (c) => push(c), close: () => end() });
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (this.scope !== opened) {
          this.refused++;
          throw new Error(FOREIGN);
        }
        raw.send([chunk]);
      },
      close: () => raw.close(),
      abort: () => raw.close(),
    });
    return new StreamSocket(raw.address, { readable, writable }, { release: () => raw.close() });
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

/**
 * Requests that overlap: the current request is an AsyncLocalStorage value (as workerd
 * knows which request runs); a socket refuses writes from any request but its opener's,
 * and ioScope() answers the current request, as the Cloudflare transport does.
 */
class OverlappingRequestsTransport implements Transport {
  readonly name = 'overlapping';
  readonly request = new AsyncLocalStorage<object>();
  refused = 0;
  /** 'connect' per socket opened, and whatever the test adds, in order. */
  readonly log: string[] = [];
  constructor(private readonly inner: Transport) {}

  async ioScope(): Promise<object> {
    return this.request.getStore()!;
  }

  async connect(options: TransportConnectOptions): Promise<TransportSocket> {
    const opener = this.request.getStore();
    this.log.push('connect');
    const raw = await this.inner.connect(options);
    const check = (): void => {
      if (this.request.getStore() !== opener) {
        this.refused++;
        throw new Error(FOREIGN);
      }
    };
    return {
      address: raw.address,
      setHandlers: (h) => raw.setHandlers(h),
      send: (chunks) => {
        check();
        raw.send(chunks);
      },
      close: () => raw.close(),
    } as TransportSocket;
  }
}

let cluster: FakeCluster | undefined;
const clients: MongoClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  cluster?.close();
  cluster = undefined;
});

function client(transport: unknown, uri = 'mongodb://a:27017/?replicaSet=rs'): MongoClient {
  const c = new MongoClient(uri, { transport, serverSelectionTimeoutMS: 5_000, heartbeatFrequencyMS: 10_000 });
  clients.push(c);
  return c;
}

describe('request-scoped I/O', () => {
  it('recognizes workerd\'s refusal and nothing else', () => {
    expect(isForeignRequestIoError(new Error(FOREIGN))).toBe(true);
    expect(isForeignRequestIoError(new Error('connection reset'))).toBe(false);
    expect(isForeignRequestIoError(FOREIGN)).toBe(false);
  });

  it('a new scope: the operation succeeds on fresh sockets, the primary stays known, no error reaches the user', async () => {
    cluster = new FakeCluster();
    const transport = new ScopedTransport(cluster.net.transport());
    const c = client(transport);
    const serverChanges: string[] = [];
    c.on('serverDescriptionChanged', (e) => serverChanges.push(`${e.address}:${e.newDescription.type}`));
    const coll = c.db('app').collection('items');
    await coll.insertOne({ _id: 1 });
    const changesAfterFirst = serverChanges.length;
    const connectsBefore = cluster.net.connectAttempts.length;
    for (let scope = 2; scope <= 6; scope++) {
      transport.scope = scope;
      await coll.insertOne({ _id: scope });
      // The fake answers every find with an empty batch: what counts is that it answers.
      expect(await coll.findOne({ _id: scope })).toBeNull();
    }
    expect(transport.refused).toBeGreaterThanOrEqual(5);
    // The primary was never marked Unknown: no rediscovery, straight to the known primary.
    expect(serverChanges.slice(changesAfterFirst).filter((s) => s.endsWith(':Unknown'))).toEqual([]);
    expect(cluster.net.connectAttempts.length).toBeGreaterThan(connectsBefore);
    expect(cluster.commandsNamed('insert').map((i) => i.address)).toEqual(Array(6).fill(A));
  });

  it('ioScopeChanged(): the client renews its sockets before the operation, so nothing is refused', async () => {
    cluster = new FakeCluster();
    const transport = new ScopedTransport(cluster.net.transport());
    let changed = false;
    const probing: Transport = {
      name: 'probing',
      connect: (o) => transport.connect(o),
      ioScopeChanged: async () => {
        const was = changed;
        changed = false;
        return was;
      },
    };
    const c = client(probing);
    const coll = c.db('app').collection('items');
    await coll.insertOne({ _id: 1 });
    const before = cluster.net.connectAttempts.length;
    transport.scope = 2;
    changed = true;
    await coll.insertOne({ _id: 2 });
    expect(transport.refused).toBe(0);
    // New sockets for the new scope: monitors and the pool connection.
    expect(cluster.net.connectAttempts.length).toBeGreaterThan(before);
  });

  it('overlapping requests on one client: each uses its own sockets, none is refused or torn down', async () => {
    cluster = new FakeCluster();
    const transport = new OverlappingRequestsTransport(cluster.net.transport());
    const c = client(transport);
    const coll = c.db('app').collection('items');
    const serve = (base: number) =>
      transport.request.run({}, async () => {
        for (let i = 0; i < 5; i++) await coll.insertOne({ _id: base + i });
        return 'ok';
      });
    // Three requests whose operations interleave, then two more while those still run.
    const first = [serve(100), serve(200), serve(300)];
    await Promise.resolve();
    const later = [serve(400), serve(500)];
    expect(await Promise.all([...first, ...later])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(transport.refused).toBe(0);
    expect(cluster.commandsNamed('insert')).toHaveLength(25);
  });

  it('a later request with the primary known: its operation connects first, its monitors start after it', async () => {
    cluster = new FakeCluster();
    const transport = new OverlappingRequestsTransport(cluster.net.transport());
    const c = new MongoClient('mongodb://a:27017/?replicaSet=rs', { transport, serverSelectionTimeoutMS: 5_000, heartbeatFrequencyMS: 10_000, monitorCommands: true });
    clients.push(c);
    c.on('commandSucceeded', (e) => transport.log.push(e.commandName));
    const coll = c.db('app').collection('items');
    await transport.request.run({}, () => coll.insertOne({ _id: 1 }));
    transport.log.length = 0;
    await transport.request.run({}, () => coll.insertOne({ _id: 2 }));
    // One connect (the pool's) and the insert; the monitors of the three members only then.
    expect(transport.log.slice(0, 2)).toEqual(['connect', 'insert']);
    // Then the monitors (and their RTT connections) of the three members.
    await vi.waitFor(() => expect(transport.log.filter((l) => l === 'connect').length).toBeGreaterThanOrEqual(4), { timeout: 5_000 });
  });

  it('a refused write is a MongoRequestScopeError (a MongoNetworkError) with the cause', async () => {
    cluster = new FakeCluster();
    const transport = new ScopedTransport(cluster.net.transport());
    const socket = await transport.connect({ host: 'a', port: 27017 });
    const closed = new Promise<MongoNetworkError | undefined>((resolve) => socket.setHandlers({ data: () => undefined, close: resolve }));
    transport.scope = 2;
    expect(() => socket.send([new Uint8Array([1, 2, 3])])).not.toThrow();
    const error = await closed;
    expect(error).toBeInstanceOf(MongoRequestScopeError);
    expect(error).toBeInstanceOf(MongoNetworkError);
    expect((error!.cause as Error).message).toBe(FOREIGN);
  });
});

describe('transport ownership', () => {
  it('a transport passed in is the caller\'s: close() leaves it open, and connect() works again', async () => {
    cluster = new FakeCluster();
    const transport = new ScopedTransport(cluster.net.transport());
    const c = client(transport);
    await c.db('app').collection('items').insertOne({ _id: 1 });
    await c.close();
    expect(transport.closed).toBe(0);
    await c.connect();
    expect((await c.db('app').collection('items').insertOne({ _id: 2 })).acknowledged).toBe(true);
  });

  it('a transport factory: the client closes what it made, and makes a new one on the next connect', async () => {
    cluster = new FakeCluster();
    const made: ScopedTransport[] = [];
    const c = client(() => {
      const t = new ScopedTransport(cluster!.net.transport());
      made.push(t);
      return t;
    });
    await c.connect();
    await c.close();
    expect(made.map((t) => t.closed)).toEqual([1]);
    // as the official driver: after close(), operations need connect() again
    await expect(c.db('app').collection('items').insertOne({ _id: 2 })).rejects.toThrow(/must be connected/);
    await c.connect();
    await c.db('app').collection('items').insertOne({ _id: 2 });
    expect(made).toHaveLength(2);
    await c.close();
    expect(made.map((t) => t.closed)).toEqual([1, 1]);
  });

});
