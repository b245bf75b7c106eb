/**
 * Acceptance: client lifecycle. The constructor does no I/O, operations connect on
 * demand, close() ends sessions (endSessions) and leaves nothing running: no socket
 * or timer more than before the client existed, and the server sees its connections
 * closed.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoNotConnectedError, type Document } from '@mongo-edge/core/node';

/** A TCP proxy in front of the sim that records every connection made through it. */
class RecordingProxy {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  accepted = 0;
  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      this.accepted += 1;
      const upstream = createConnection(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  /** Client-side sockets currently open through the proxy. */
  get open(): number {
    return this.sockets.size / 2;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

type ResourceCounts = Record<string, number>;
const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'TTYWrap'] as const;

function resources(): ResourceCounts {
  const counts: ResourceCounts = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Resources of the watched kinds that exist now but did not before. */
function extra(before: ResourceCounts, now: ResourceCounts): ResourceCounts {
  const out: ResourceCounts = {};
  for (const k of WATCHED) {
    const d = (now[k] ?? 0) - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/** Poll `check` until it holds (a short settle for sockets and timers to go away). */
async function settle(check: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('client lifecycle', () => {
  let sim: SimHandle;
  let proxy: RecordingProxy;
  let proxyAddress: string;
  const clients: MongoClient[] = [];

  beforeAll(async () => {
    sim = await startSim({ port: 0, bindIp: '127.0.0.1' });
    proxy = new RecordingProxy({ host: sim.host, port: sim.port });
    proxyAddress = await proxy.listen();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  afterAll(async () => {
    await proxy?.close();
    await sim?.close();
  });

  const newClient = (uri: string, options: ConstructorParameters<typeof MongoClient>[1] = {}): MongoClient => {
    const c = new MongoClient(uri, options);
    clients.push(c);
    return c;
  };

  it('new MongoClient() does no I/O; the first operation connects', async () => {
    const before = proxy.accepted;
    const client = newClient(`mongodb://${proxyAddress}/lifecycle`);
    const db = client.db();
    const coll = db.collection('c');
    // handles, cursors and sessions are all lazy too
    const cursor = coll.find({});
    const session = client.startSession();
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.accepted).toBe(before);
    expect(client.topologyDescription).toBeUndefined();
    await session.endSession();
    await cursor.close();
    expect(proxy.accepted).toBe(before);

    // no explicit connect(): the operation connects
    await coll.insertOne({ _id: 1 });
    expect(proxy.accepted).toBeGreaterThan(before);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1 });
    expect(client.topologyDescription?.type).toBe('Single');
  });

  it('connect() is idempotent and shared by concurrent callers', async () => {
    const client = newClient(`mongodb://${proxyAddress}/lifecycle`);
    const [a, b] = await Promise.all([client.connect(), client.connect()]);
    expect(a).toBe(client);
    expect(b).toBe(client);
    await client.connect();
    expect(await client.db().command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('close() leaves no socket or timer behind, and the server sees the connections closed', async () => {
    // the clients of earlier tests are closed: wait for their sockets to be gone
    expect(await settle(() => proxy.open === 0)).toBe(true);
    const simBefore = sim.node.connections.current;
    const proxiedBefore = proxy.open;
    const before = resources();

    const client = new MongoClient(`mongodb://${proxyAddress}/lifecycle?heartbeatFrequencyMS=500&maxPoolSize=5`);
    const coll = client.db().collection('leak');
    await coll.deleteMany({});
    await coll.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i })));
    // some concurrency so the pool holds several connections, and an open server cursor
    await Promise.all(Array.from({ length: 5 }, () => coll.find({}).toArray()));
    const open = coll.find({}, { batchSize: 2 });
    await open.next();
    expect(proxy.open).toBeGreaterThan(proxiedBefore);
    expect(sim.node.connections.current).toBeGreaterThan(simBefore);

    await client.close();

    // the server (behind the proxy) sees every connection of this client closed
    expect(await settle(() => proxy.open === proxiedBefore)).toBe(true);
    expect(await settle(() => sim.node.connections.current === simBefore)).toBe(true);
    // and nothing of ours is left in the event loop
    const settled = await settle(() => Object.keys(extra(before, resources())).length === 0);
    expect(extra(before, resources()), 'resources left after close()').toEqual({});
    expect(settled).toBe(true);

    // close() is idempotent; an operation afterwards throws MongoNotConnectedError and
    // connect() reopens the same client (as the official driver)
    await client.close();
    await expect(client.db().command({ ping: 1 })).rejects.toBeInstanceOf(MongoNotConnectedError);
    await client.connect();
    expect(await client.db().command({ ping: 1 })).toMatchObject({ ok: 1 });
    await client.close();
    expect(await settle(() => proxy.open === proxiedBefore)).toBe(true);
  });

  it('close() without any operation does no I/O and resolves', async () => {
    const before = proxy.accepted;
    const client = new MongoClient(`mongodb://${proxyAddress}/`);
    await client.close();
    expect(proxy.accepted).toBe(before);
  });

  it('close() sends endSessions for the sessions that were used', async () => {
    const client = newClient(`mongodb://${proxyAddress}/lifecycle`, { monitorCommands: true });
    const started: Array<{ commandName: string; databaseName: string; command: Document }> = [];
    client.on('commandStarted', (e: (typeof started)[number]) => started.push(e));
    const coll = client.db().collection('sessions');
    const explicit = client.startSession();
    await coll.insertOne({ _id: 'explicit' }, { session: explicit });
    await explicit.endSession();
    await coll.find({}).toArray(); // implicit session
    const lsids = new Set(started.filter((e) => e.command.lsid).map((e) => JSON.stringify((e.command.lsid as Document).id)));
    expect(lsids.size).toBeGreaterThan(0);

    await client.close();
    const ends = started.filter((e) => e.commandName === 'endSessions');
    expect(ends).toHaveLength(1);
    expect(ends[0]!.databaseName).toBe('admin');
    const ended = new Set((ends[0]!.command.endSessions as Document[]).map((s) => JSON.stringify(s.id)));
    for (const id of lsids) expect(ended.has(id)).toBe(true);
  });

  it('close() sends no endSessions when no session was used', async () => {
    const client = newClient(`mongodb://${proxyAddress}/lifecycle`, { monitorCommands: true });
    const names: string[] = [];
    client.on('commandStarted', (e: Document) => names.push(e.commandName as string));
    await client.connect();
    await client.close();
    expect(names).not.toContain('endSessions');
  });

  it('toString() shows the host list', async () => {
    const one = newClient(`mongodb://${proxyAddress}/`);
    expect(one.toString()).toBe(`MongoClient('${proxyAddress}')`);
    const seeds = newClient('mongodb://h1.example:27017,h2.example:27018/?replicaSet=rs');
    expect(seeds.toString()).toBe("MongoClient(['h1.example:27017', 'h2.example:27018'])");
    expect(seeds.hosts).toEqual(['h1.example:27017', 'h2.example:27018']);
    expect(String(newClient('mongodb://[::1]:27019/'))).toBe("MongoClient('[::1]:27019')");
    // after connecting: the hosts as discovered
    await one.connect();
    expect(one.toString()).toBe(`MongoClient('${proxyAddress}')`);
  });
});

describe('URI warnings', () => {
  it('the Node client emits a process warning for an unknown URI option', async () => {
    const { MongoClient: NodeClient } = await import('@mongo-edge/core/node');
    const seen: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => {
      if (w.code === 'MONGO_EDGE_URI_OPTION') seen.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const client = new NodeClient('mongodb://127.0.0.1:1/?notAnOption=1');
      await new Promise((r) => setTimeout(r, 20)); // warnings are emitted on the next tick
      expect(seen.some((m) => m.includes('notAnOption'))).toBe(true);
      await client.close();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
