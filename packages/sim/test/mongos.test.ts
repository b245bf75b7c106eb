// The --mongos router: a 3-member replica set (separate processes) behind three
// routers at 20, 35 and 40 ms, checked with the official driver and with ours.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, ReadPreference, type Document } from 'mongodb';
import { MongoClient as EdgeClient } from '@mongo-edge/core/node';
import { decodeOpReply, encodeOpQuery, MessageFramer } from '@mongo-edge/core/internal';
import { spawnSim, startCluster, startMongos, type Cluster, type MongosProcess } from '../src/index.js';

const LATENCIES = [20, 35, 40] as const;
const TAGS = ['a', 'b', 'c'];

let cluster: Cluster;
let routers: MongosProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({ members: 3, memberOptions: TAGS.map((dc) => ({ tags: { dc } })) });
  const configdb = `${cluster.replSet}/${cluster.members.map((m) => m.host).join(',')}`;
  const started = await Promise.allSettled(LATENCIES.map((latencyMs) => startMongos({ configdb, latencyMs, findHostTimeoutMS: 2000 })));
  routers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}, 60_000);

afterAll(async () => {
  await Promise.all(routers.map((r) => r.stop()));
  await cluster?.stop();
});

const seedList = (): string => routers.map((r) => r.address).join(',');

/** serverStatus.opcounters.query of every member, straight from the members. */
async function queryCounters(): Promise<number[]> {
  return Promise.all(cluster.members.map(async (m) => Number(((await cluster.command(m.index, { serverStatus: 1 })).opcounters as Document).query)));
}

/** A raw legacy OP_QUERY isMaster on admin.$cmd (what old drivers send first). */
async function legacyIsMaster(port: number): Promise<Document> {
  const socket = net.connect(port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const framer = new MessageFramer(48_000_000);
    const reply = new Promise<Uint8Array>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        const msgs = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (msgs[0]) resolve(msgs[0]);
      });
      socket.once('error', reject);
    });
    for (const c of encodeOpQuery({ requestId: 7, flags: 0, fullCollectionName: 'admin.$cmd', numberToSkip: 0, numberToReturn: -1, query: { isMaster: 1 } })) socket.write(c);
    return decodeOpReply(await reply).documents[0]!;
  } finally {
    socket.destroy();
  }
}

describe('mongod-sim --mongos', () => {
  it('answers hello, isMaster (OP_MSG and legacy OP_QUERY), ping, buildInfo and isdbgrid as mongos does', async () => {
    const client = new MongoClient(routers[0]!.uri, { directConnection: true, serverSelectionTimeoutMS: 5000 });
    try {
      const admin = client.db('admin');
      const h = await admin.command({ hello: 1 });
      expect(h).toMatchObject({ isWritablePrimary: true, msg: 'isdbgrid', maxBsonObjectSize: 16777216, maxMessageSizeBytes: 48000000, maxWriteBatchSize: 100000, logicalSessionTimeoutMinutes: 30, minWireVersion: 0, maxWireVersion: 21, ok: 1 });
      expect(h.localTime).toBeInstanceOf(Date);
      expect(typeof h.connectionId).toBe('number');
      expect(h.topologyVersion.processId).toBeDefined();
      for (const k of ['setName', 'hosts', 'secondary', 'primary', 'me', 'ismaster']) expect(h[k]).toBeUndefined();
      const legacy = await admin.command({ isMaster: 1 });
      expect(legacy).toMatchObject({ ismaster: true, msg: 'isdbgrid', maxWireVersion: 21 });
      expect(legacy.isWritablePrimary).toBeUndefined();
      expect(await admin.command({ ping: 1 })).toMatchObject({ ok: 1 });
      expect(await admin.command({ isdbgrid: 1 })).toMatchObject({ isdbgrid: 1, ok: 1 });
      expect((await admin.command({ buildInfo: 1 })).versionArray.slice(0, 2)).toEqual([7, 0]);
      expect((await admin.command({ serverStatus: 1 })).process).toBe('mongos');
    } finally {
      await client.close();
    }
    const raw = await legacyIsMaster(routers[0]!.port);
    expect(raw).toMatchObject({ ismaster: true, msg: 'isdbgrid', maxWireVersion: 21, ok: 1 });
  });

  it('checkMetadataConsistency answers as mongos 7.0 with a cursor (empty: the sim keeps one copy of the metadata)', async () => {
    const client = new MongoClient(routers[0]!.uri, { directConnection: true, serverSelectionTimeoutMS: 5000 });
    try {
      const db = client.db('meta');
      expect(await db.command({ checkMetadataConsistency: 1 })).toMatchObject({ cursor: { ns: 'meta.$cmd.aggregate', firstBatch: [] }, ok: 1 });
      expect(await db.command({ checkMetadataConsistency: 'c' })).toMatchObject({ cursor: { ns: 'meta.c', firstBatch: [] }, ok: 1 });
      expect(await db.runCursorCommand({ checkMetadataConsistency: 1 }).toArray()).toEqual([]);
      await expect(db.command({ checkMetadataConsistency: { x: 1 } })).rejects.toMatchObject({ code: 14 });
    } finally {
      await client.close();
    }
  });

  it('rejects bad router flags with exit code 2', async () => {
    await expect(spawnSim(['--mongos'])).rejects.toThrow(/exited \(2\).*--configdb/);
    await expect(spawnSim(['--mongos', '--configdb', 'localhost:1'])).rejects.toThrow(/exited \(2\)/);
    await expect(spawnSim(['--configdb', 'rs0/localhost:1'])).rejects.toThrow(/exited \(2\).*need --mongos/);
    await expect(spawnSim(['--mongos', '--configdb', 'rs0/localhost:1', '--dbpath', '/tmp'])).rejects.toThrow(/exited \(2\)/);
  });

  it('the official driver with all three routers as seeds sees a Sharded topology; CRUD and cursors go through', async () => {
    const types: string[] = [];
    const client = new MongoClient(`mongodb://${seedList()}/`, { serverSelectionTimeoutMS: 10000 });
    client.on('topologyDescriptionChanged', (e) => types.push(e.newDescription.type));
    try {
      const coll = client.db('shop').collection<{ _id: number; n: number; tag?: string }>('items');
      await coll.deleteMany({});
      const ins = await coll.insertMany(Array.from({ length: 25 }, (_, i) => ({ _id: i, n: i })));
      expect(ins.insertedCount).toBe(25);
      expect(types).toContain('Sharded');
      // batchSize 4 -> getMores on the member that owns the cursor
      const all = await coll.find({}, { batchSize: 4, sort: { _id: 1 } }).toArray();
      expect(all.map((d) => d._id)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      const agg = await coll.aggregate([{ $match: { n: { $gte: 10 } } }, { $sort: { n: -1 } }], { batchSize: 3 }).toArray();
      expect(agg).toHaveLength(15);
      // killCursors through the router
      const cursor = coll.find({}, { batchSize: 2 });
      await cursor.next();
      await cursor.close();
      const upd = await coll.updateMany({ n: { $lt: 5 } }, { $set: { tag: 'low' } });
      expect(upd.modifiedCount).toBe(5);
      expect(await coll.countDocuments({ tag: 'low' })).toBe(5);
      expect((await coll.deleteOne({ _id: 0 })).deletedCount).toBe(1);
      expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, n: 1, tag: 'low' });
      // a shard error comes back as the shard sent it
      await expect(coll.insertOne({ _id: 1, n: 1 })).rejects.toMatchObject({ code: 11000 });
      const idx = await coll.createIndex({ n: 1 });
      expect(idx).toBe('n_1');
      expect((await coll.indexes()).map((i) => i.name)).toContain('n_1');
      // a retryable write carries lsid + txnNumber to the shard
      const s = client.startSession();
      try {
        await coll.insertOne({ _id: 100, n: 100 }, { session: s });
      } finally {
        await s.endSession();
      }
      expect(await coll.countDocuments({})).toBe(25);
    } finally {
      await client.close();
    }
  });

  it('honours $readPreference: secondary reads land on secondaries, tags pick the member, primary reads on the primary', async () => {
    const primary = await cluster.primary();
    const client = new MongoClient(routers[0]!.uri, { serverSelectionTimeoutMS: 10000 });
    try {
      const coll = client.db('shop').collection('rp');
      await coll.insertOne({ x: 1 }, { writeConcern: { w: 3 } });
      const reads = async (readPreference: ReadPreference, n: number): Promise<number[]> => {
        const before = await queryCounters();
        for (let i = 0; i < n; i++) await coll.findOne({}, { readPreference });
        const after = await queryCounters();
        return after.map((a, i) => a - before[i]!);
      };
      const sec = await reads(ReadPreference.secondary, 20);
      expect(sec[primary.index]).toBe(0);
      expect(sec.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);

      const target = cluster.members.find((m) => m.index !== primary.index)!;
      const tagged = await reads(new ReadPreference('secondary', [{ dc: TAGS[target.index]! }]), 10);
      expect(tagged[target.index]).toBeGreaterThanOrEqual(10);
      for (const m of cluster.members) if (m.index !== target.index) expect(tagged[m.index]).toBe(0);

      const prim = await reads(ReadPreference.primary, 10);
      expect(prim[primary.index]).toBeGreaterThanOrEqual(10);
      for (const m of cluster.members) if (m.index !== primary.index) expect(prim[m.index]).toBe(0);

      // no member matches: FailedToSatisfyReadPreference, as mongos answers
      await expect(coll.findOne({}, { readPreference: new ReadPreference('secondary', [{ dc: 'nowhere' }]) })).rejects.toMatchObject({
        code: 133,
        codeName: 'FailedToSatisfyReadPreference',
        message: expect.stringContaining('Could not find host matching read preference { mode: "secondary", tags: [ { dc: "nowhere" } ] } for set rs0'),
      });
    } finally {
      await client.close();
    }
  });

  it('with no member to target, writes fail per statement and commands with FailedToSatisfyReadPreference (133), as mongos answers', async () => {
    // a set name none of the members has: the router's client finds no usable member
    const hosts = cluster.members.map((m) => m.host).join(',');
    const lost = await startMongos({ seeds: `mongodb://${hosts}/?replicaSet=nosuchset`, findHostTimeoutMS: 1000 });
    const client = new MongoClient(lost.uri, { directConnection: true, serverSelectionTimeoutMS: 5000, retryWrites: false });
    try {
      const coll = client.db('shop').collection('nowhere');
      const why = 'Could not find host matching read preference { mode: "primary" } for set nosuchset';
      await expect(coll.insertOne({ a: 1 })).rejects.toMatchObject({
        code: 133,
        message: `Write results unavailable from failing to target a host in the shard nosuchset :: caused by :: ${why}`,
      });
      const raw = await client.db('shop').command({ insert: 'nowhere', documents: [{ a: 1 }, { a: 2 }], ordered: false });
      expect(raw).toMatchObject({ ok: 1, n: 0 });
      expect(raw.writeErrors.map((w: Document) => w.index)).toEqual([0, 1]);
      await expect(coll.findOne({})).rejects.toMatchObject({ code: 133, codeName: 'FailedToSatisfyReadPreference', message: why });
      await expect(client.db('shop').command({ drop: 'nowhere' })).rejects.toMatchObject({ code: 133 });
      // the router itself still answers
      expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
    } finally {
      await client.close();
      const t = Date.now();
      expect(await lost.stop()).toBe(0);
      expect(Date.now() - t).toBeLessThan(4500);
    }
  });

  it('our driver spreads operations over the routers inside localThresholdMS', async () => {
    const byPort = new Map(routers.map((r, i) => [r.address, LATENCIES[i]!]));
    const run = async (
      localThresholdMS: number | undefined,
    ): Promise<{ counts: Record<number, number>; inWindowAt: Record<number, number>; rtts: Record<number, number | null>; outside: string[] }> => {
      const q = localThresholdMS === undefined ? '' : `&localThresholdMS=${localThresholdMS}`;
      const client = new EdgeClient(`mongodb://${seedList()}/?heartbeatFrequencyMS=500${q}`, { monitorCommands: true });
      const counts: Record<number, number> = { 20: 0, 35: 0, 40: 0 };
      // For each router, at how many finds it was inside the window as the client saw it.
      const inWindowAt: Record<number, number> = { 20: 0, 35: 0, 40: 0 };
      const outside: string[] = [];
      const heartbeats = new Map<string, number>();
      client.on('serverHeartbeatSucceeded', (e: { connectionId: string }) => heartbeats.set(e.connectionId, (heartbeats.get(e.connectionId) ?? 0) + 1));
      try {
        const coll = client.db('shop').collection('items');
        await coll.findOne({});
        // let the RTT averages settle: a few heartbeats from every router
        const deadline = Date.now() + 15000;
        while (Date.now() < deadline && (heartbeats.size < 3 || [...heartbeats.values()].some((n) => n < 6))) await new Promise((r) => setTimeout(r, 100));
        // Every description the client held since the previous find: the one the
        // selection used is among them (descriptions change on heartbeats only here).
        type Td = NonNullable<typeof client.topologyDescription>;
        let seen: Td[] = [client.topologyDescription!];
        client.on('serverHeartbeatSucceeded', () => queueMicrotask(() => seen.push(client.topologyDescription!)));
        client.on('commandSucceeded', (e: { commandName: string }) => {
          if (e.commandName === 'find') seen = [client.topologyDescription!];
        });
        const inWindow = (td: Td, address: string): boolean => {
          const rtts = [...td.servers.values()].flatMap((sd) => (sd.roundTripTime === null ? [] : [sd.roundTripTime]));
          const chosen = td.servers.get(address)?.roundTripTime ?? null;
          return chosen === null || chosen <= Math.min(...rtts) + (localThresholdMS ?? 15) + 1e-9;
        };
        client.on('commandStarted', (e: { address: string; commandName: string }) => {
          if (e.commandName !== 'find') return;
          counts[byPort.get(e.address)!]!++;
          // Was the chosen router inside the latency window? A check of the driver that
          // does not depend on this machine's timing.
          seen.push(client.topologyDescription!);
          for (const address of client.topologyDescription!.servers.keys()) if (inWindow(client.topologyDescription!, address)) inWindowAt[byPort.get(address)!]!++;
          if (!seen.some((td) => inWindow(td, e.address))) {
            const td = client.topologyDescription!;
            outside.push(`${byPort.get(e.address)} ms router: ${[...td.servers].map(([a, sd]) => `${byPort.get(a)}=${sd.roundTripTime?.toFixed(1)}`).join(' ')}`);
          }
        });
        for (let i = 0; i < 300; i++) await coll.findOne({ _id: i % 25 });
        const rtts: Record<number, number | null> = {};
        for (const [address, sd] of client.topologyDescription!.servers) rtts[byPort.get(address)!] = sd.roundTripTime === null ? null : Math.round(sd.roundTripTime * 10) / 10;
        return { counts, inWindowAt, rtts, outside };
      } finally {
        await client.close();
      }
    };

    // The routers' RTTs as the client measures them are the configured delays plus this
    // machine's scheduling noise (several ms under load): the 35 ms router sits right on
    // the edge of the default 15 ms window, the 40 ms router 5 ms outside it.
    const narrow = await run(undefined);
    console.log('localThresholdMS=15 (default):', JSON.stringify(narrow));
    expect(narrow.counts[20]! + narrow.counts[35]! + narrow.counts[40]!).toBe(300);
    expect(narrow.outside).toEqual([]);
    // How many finds the 40 ms router gets depends on whether this machine's noise put it
    // inside the window, so judge the share by the client's own view: every router gets a
    // fair part of the finds during which it was inside the window.
    const fairShare = (r: { counts: Record<number, number>; inWindowAt: Record<number, number> }): void => {
      for (const ms of LATENCIES) expect(r.counts[ms], JSON.stringify(r)).toBeGreaterThanOrEqual(Math.floor(r.inWindowAt[ms]! * 0.1));
    };
    fairShare(narrow);

    const wide = await run(30);
    console.log('localThresholdMS=30:', JSON.stringify(wide));
    expect(wide.outside).toEqual([]);
    expect(wide.counts[20]! + wide.counts[35]! + wide.counts[40]!).toBe(300);
    fairShare(wide);
  }, 120_000);
});
