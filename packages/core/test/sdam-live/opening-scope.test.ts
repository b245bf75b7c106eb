/**
 * The topology's opening (mongodb+srv lookup, TLS files, the Topology) under request-scoped
 * I/O (Cloudflare Workers): a request that arrives while another request's opening is in
 * flight must not wait on that request's I/O (which ends with its request). Requests are an
 * AsyncLocalStorage value, as in request-scope.test.ts; the SRV resolver is a fake whose
 * answer each test gives per request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCold } from '../../src/cold/load.js';
import { MongoClient } from '../../src/client/mongo-client.js';
import { TopologyExecutor } from '../../src/operation/topology-executor.js';
import { resolveClientOptions } from '../../src/uri/client-options.js';
import type { SrvRecord, SrvResolver } from '../../src/uri/srv.js';
import type { Transport, TransportConnectOptions, TransportSocket } from '../../src/transport/transport.js';
import { FakeCluster } from '../support/fake-cluster.js';

const HOSTS = ['a.example.com:27017', 'b.example.com:27017'];
const URL = 'mongodb+srv://rs.example.com/?tls=false';
const RECORDS: SrvRecord[] = HOSTS.map((h) => ({ name: h.split(':')[0]!, port: 27017 }));

/** ioScope() answers the current request; nothing else is checked here. */
class RequestTransport implements Transport {
  readonly name = 'requests';
  readonly request = new AsyncLocalStorage<string>();
  constructor(private readonly inner: Transport) {}
  async ioScope(): Promise<object> {
    return scopeOf(this.request.getStore()!);
  }
  connect(options: TransportConnectOptions): Promise<TransportSocket> {
    return this.inner.connect(options);
  }
}
const scopes = new Map<string, object>();
function scopeOf(request: string): object {
  let scope = scopes.get(request);
  if (!scope) scopes.set(request, (scope = {}));
  return scope;
}

/** A DNS seam whose SRV answer, per request, the test settles (or never does). */
class PerRequestResolver implements SrvResolver {
  readonly calls: string[] = [];
  readonly #answers = new Map<string, { resolve: (r: SrvRecord[]) => void; reject: (e: unknown) => void }>();
  constructor(private readonly transport: RequestTransport) {}
  resolveSrv(): Promise<SrvRecord[]> {
    const request = this.transport.request.getStore()!;
    this.calls.push(request);
    return new Promise((resolve, reject) => this.#answers.set(request, { resolve, reject }));
  }
  async resolveTxt(): Promise<string[][]> {
    return [['replicaSet=rs']];
  }
  answer(request: string): void {
    this.#answers.get(request)!.resolve(RECORDS);
  }
  fail(request: string, error: Error): void {
    this.#answers.get(request)!.reject(error);
  }
}

// The SRV code is loaded on first use; loaded here, so that settle() below is enough for a lookup to start.
beforeAll(async () => {
  await loadCold();
});

let cluster: FakeCluster | undefined;
const executors: TopologyExecutor[] = [];
afterEach(async () => {
  for (const e of executors.splice(0)) await e.close();
  cluster?.close();
  cluster = undefined;
  scopes.clear();
});

function setup(): { transport: RequestTransport; resolver: PerRequestResolver; executor: TopologyExecutor; events: string[] } {
  cluster = new FakeCluster({ hosts: HOSTS });
  const transport = new RequestTransport(cluster.net.transport());
  const resolver = new PerRequestResolver(transport);
  const userOptions = { transport, srvResolver: resolver, serverSelectionTimeoutMS: 5_000, heartbeatFrequencyMS: 10_000 };
  const events: string[] = [];
  const executor = new TopologyExecutor({ options: resolveClientOptions(URL, userOptions), url: URL, userOptions, emit: (name) => events.push(name) });
  executors.push(executor);
  return { transport, resolver, executor, events };
}

/** Whether `promise` settled, read without awaiting it. */
function track(promise: Promise<unknown>): { settled: boolean; error?: unknown } {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** Lets every pending microtask and memory-socket delivery run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

describe('opening the topology with request-scoped I/O', () => {
  it("a request that arrives during another's opening opens on its own I/O: the first request's lookup never ending does not hold it", async () => {
    const { transport, resolver, executor } = setup();
    // Request A starts the opening; its DoH lookup never ends (A ended in the middle of it).
    const a = track(transport.request.run('A', () => executor.connect()));
    await settle();
    expect(resolver.calls).toEqual(['A']);
    // Request B: its own lookup, which answers; it connects, and runs an operation.
    const b = transport.request.run('B', async () => {
      const connected = executor.connect();
      await settle();
      resolver.answer('B');
      await connected;
      return executor.execute('app', { ping: 1 });
    });
    expect((await b).reply.ok).toBe(1);
    expect(resolver.calls).toEqual(['A', 'B']);
    expect(a.settled).toBe(false);
  });

  it('one topology per client: the first opening to finish is the client\'s, the later one gets it too', async () => {
    const { transport, resolver, executor, events } = setup();
    const a = transport.request.run('A', () => executor.connect());
    await settle();
    const b = transport.request.run('B', () => executor.connect());
    await settle();
    resolver.answer('B');
    await b;
    const topology = executor.topology;
    resolver.answer('A');
    await a;
    expect(executor.topology).toBe(topology);
    expect(events.filter((e) => e === 'topologyOpening')).toHaveLength(1);
    // Two calls in one request share that request's opening.
    expect(resolver.calls).toEqual(['A', 'B']);
  });

  it('a failed opening is every waiting request\'s error, and the next call\'s (as before)', async () => {
    const { transport, resolver, executor } = setup();
    const a = track(transport.request.run('A', () => executor.connect()));
    await settle();
    const b = track(transport.request.run('B', () => executor.connect()));
    await settle();
    const failure = new Error('DoH lookup failed');
    resolver.fail('A', failure);
    await settle();
    expect(a.settled).toBe(true);
    expect((a.error as Error).cause).toBe(failure); // the SRV lookup's MongoParseError
    // B's lookup answers later: the client's opening already failed.
    resolver.answer('B');
    await settle();
    expect(b).toEqual({ settled: true, error: a.error });
    await expect(transport.request.run('C', () => executor.connect())).rejects.toBe(a.error);
    expect(resolver.calls).toEqual(['A', 'B']);
  });

  it('close() during the openings: each request gets MongoTopologyClosedError, close() waits for no request\'s I/O', async () => {
    const { transport, resolver, executor } = setup();
    const a = track(transport.request.run('A', () => executor.connect()));
    await settle();
    await transport.request.run('B', () => executor.close());
    resolver.answer('A');
    await settle();
    expect(a.settled).toBe(true);
    expect((a.error as Error).name).toBe('MongoTopologyClosedError');
  });

  it("MongoClient: a request that finds another's connect in flight connects on its own I/O; close() then waits for neither", async () => {
    cluster = new FakeCluster({ hosts: HOSTS });
    const transport = new RequestTransport(cluster.net.transport());
    const resolver = new PerRequestResolver(transport);
    const client = new MongoClient(URL, { transport, srvResolver: resolver, serverSelectionTimeoutMS: 5_000, heartbeatFrequencyMS: 10_000 });
    // Request A's first operation starts the client's connect; its lookup never ends.
    const a = track(transport.request.run('A', () => client.db('app').command({ ping: 1 })));
    await settle();
    const b = transport.request.run('B', async () => {
      const ping = client.db('app').command({ ping: 1 });
      await settle();
      resolver.answer('B');
      return ping;
    });
    expect((await b).ok).toBe(1);
    expect(resolver.calls).toEqual(['A', 'B']);
    // Connected: a later request's operation needs no lookup.
    expect((await transport.request.run('C', () => client.db('app').command({ ping: 1 }))).ok).toBe(1);
    expect(resolver.calls).toEqual(['A', 'B']);
    await transport.request.run('C', () => client.close());
    expect(a.settled).toBe(false);
  });
});
