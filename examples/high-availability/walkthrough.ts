/**
 * The high-availability walkthrough of the seed documents (pymongo's "High
 * Availability and PyMongo"), step by step, with mongo-edge. Each step prints what
 * it does and what it saw, like the seed's interpreter sessions, and returns what
 * it saw so tests can assert on it. The same steps run over TCP or through the
 * bridge: only the client factory differs.
 */
import {
  isNetworkError,
  isServerError,
  isStateChangeError,
  isServerSelectionError,
  MongoServerSelectionError,
  ReadPreference,
  ServerType,
  type MongoClient,
  type MongoClientOptions,
  type TopologyDescription,
} from '@mongo-edge/core';
import type { Cluster } from '@mongo-edge/sim';
import type { SeedReplicaSet } from './deployment.js';

/** What the client-side steps need of a replica set: its name and members. */
export interface WalkthroughSet {
  readonly replSet: string;
  readonly members: readonly { readonly address: string; readonly host: string; readonly port: number }[];
}

/** How step 5 takes the primary down: `kill -9` on our sim, `replSetStepDown` on a user's set. */
export interface Disruption {
  describe(primary: string): string;
  run(primary: string): Promise<void>;
}

export function killDisruption(rs: SeedReplicaSet): Disruption {
  return {
    describe: (primary) => `$ kill -9 ${rs.member(primary).pid}   # the primary, ${primary}`,
    run: (primary) => rs.member(primary).kill(),
  };
}

/** For deployments we did not start: ask the primary to step down (it stays a secondary). */
export function stepDownDisruption(ctx: Ctx, options: MongoClientOptions = {}): Disruption {
  return {
    describe: (primary) => `> await new MongoClient('mongodb://${primary}/?directConnection=true').db('admin').command({ replSetStepDown: 10 })   # the primary`,
    run: async (primary) => {
      const direct = client(ctx, `mongodb://${primary}/?directConnection=true`, options);
      try {
        await direct.db('admin').command({ replSetStepDown: 10, secondaryCatchUpPeriodSecs: 5 });
      } catch (e) {
        // mongod closes connections on step-down: a network error here means it worked.
        if (!isNetworkError(e)) throw e;
      }
      await direct.close();
    },
  };
}

export type ClientFactory = (uri: string, options?: MongoClientOptions) => MongoClient;
export type Print = (line: string) => void;

export interface Ctx {
  makeClient: ClientFactory;
  print: Print;
  /** Clients made by steps; closed by `closeAll()`. */
  clients: MongoClient[];
}

export function newCtx(makeClient: ClientFactory, print: Print): Ctx {
  return { makeClient, print, clients: [] };
}

function client(ctx: Ctx, uri: string, options?: MongoClientOptions): MongoClient {
  const c = ctx.makeClient(uri, options);
  ctx.clients.push(c);
  return c;
}

export async function closeAll(ctx: Ctx): Promise<void> {
  const all = ctx.clients.splice(0);
  await Promise.all(all.map((c) => c.close()));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (polling the client's topology snapshot) until `predicate` holds. */
export async function waitForTopology(
  c: MongoClient,
  predicate: (td: TopologyDescription) => boolean,
  timeoutMS = 20_000,
): Promise<TopologyDescription> {
  const deadline = Date.now() + timeoutMS;
  for (;;) {
    const td = c.topologyDescription;
    if (td && predicate(td)) return td;
    if (Date.now() > deadline) throw new Error(`topology did not reach the expected state within ${timeoutMS} ms`);
    await sleep(50);
  }
}

const membersOfType = (td: TopologyDescription, type: ServerType): string[] =>
  [...td.servers.values()].filter((s) => s.type === type).map((s) => s.address);

/** Prints a value as mongosh does: `ObjectId('…')`, `Timestamp({ t, i })`, `Long('…')`, `ISODate('…')`. */
export const show = (v: unknown): string => {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `'${v.replace(/'/g, "\\'")}'`;
  if (typeof v === 'bigint') return `Long('${v}')`;
  if (typeof v !== 'object') return String(v);
  if (v instanceof Date) return `ISODate('${v.toISOString()}')`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  const bson = (v as { _bsontype?: string })._bsontype;
  if (bson === 'ObjectId') return `ObjectId('${(v as { toHexString(): string }).toHexString()}')`;
  if (bson === 'Timestamp') {
    const t = v as { high: number; low: number };
    return `Timestamp({ t: ${t.high >>> 0}, i: ${t.low >>> 0} })`;
  }
  if (bson === 'Long') return `Long('${String(v)}')`;
  if (bson) return `${bson}('${String(v)}')`;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: ${show(x)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
};

/**
 * A failover error application code can catch to decide to retry (pymongo's
 * AutoReconnect): a network error, no suitable server in time, or a server saying it
 * is no longer primary / is recovering.
 */
export function isFailoverError(e: unknown): boolean {
  return isNetworkError(e) || isServerSelectionError(e) || (isServerError(e) && isStateChangeError(e));
}

// ------------------------------------------------------------------ 2. initiate

export async function initiate(ctx: Ctx, rs: SeedReplicaSet): Promise<{ reply: Record<string, unknown>; primary: string }> {
  const seed = rs.members[0]!;
  ctx.print(`> c = new MongoClient('mongodb://${seed.address}/?directConnection=true')`);
  const c = client(ctx, `mongodb://${seed.address}/?directConnection=true`);
  const config = rs.config();
  ctx.print(`> config = ${show(config)}`);
  ctx.print(`> await c.db('admin').command({ replSetInitiate: config })`);
  const reply = await c.db('admin').command({ replSetInitiate: config });
  ctx.print(show(reply));
  // Wait for the election, watching from a replica-set client.
  const watcher = client(ctx, `mongodb://${seed.address}/?replicaSet=${rs.replSet}`);
  await watcher.connect();
  const td = await waitForTopology(watcher, (t) => t.type === 'ReplicaSetWithPrimary' && t.servers.size === 3);
  const primary = membersOfType(td, ServerType.RSPrimary)[0]!;
  ctx.print(`(the set elected ${primary} as its primary)`);
  return { reply, primary };
}

// ------------------------------------------------------------------ 3. connect each way

export interface ConnectResult {
  uri: string;
  before: string;
  after: string;
  hosts: string[];
}

export async function connectEachWay(ctx: Ctx, rs: WalkthroughSet): Promise<ConnectResult[]> {
  const [m0, m1, m2] = rs.members as [typeof rs.members[0], typeof rs.members[0], typeof rs.members[0]];
  const uris = [
    `mongodb://${m0.address}/?replicaSet=${rs.replSet}`,
    `mongodb://${m1.address}/?replicaSet=${rs.replSet}`,
    `mongodb://${m2.host}:${m2.port}/?replicaSet=${rs.replSet}`,
    `mongodb://${m0.address},${m1.address}/?replicaSet=${rs.replSet}`,
  ];
  const results: ConnectResult[] = [];
  for (const uri of uris) {
    const c = client(ctx, uri);
    const before = String(c);
    ctx.print(`> c = new MongoClient('${uri}'); String(c)`);
    ctx.print(before);
    await c.connect();
    await waitForTopology(c, (t) => [...t.servers.values()].filter((s) => s.type !== ServerType.Unknown).length === 3);
    const after = String(c);
    ctx.print(`> await c.connect(); String(c)   // after discovery`);
    ctx.print(after);
    results.push({ uri, before, after, hosts: c.hosts });
  }
  return results;
}

// ------------------------------------------------------------------ 4. insert and read back

export async function insertAndRead(ctx: Ctx, rs: WalkthroughSet): Promise<{ doc: Record<string, unknown> | null; address: string | undefined; client: MongoClient }> {
  const uri = `mongodb://${rs.members[0]!.address}/?replicaSet=${rs.replSet}`;
  const c = client(ctx, uri);
  const db = c.db('test');
  ctx.print(`> c = new MongoClient('${uri}'); db = c.db('test')`);
  const { insertedId } = await db.collection('test').insertOne({ x: 1 });
  ctx.print(`> (await db.collection('test').insertOne({ x: 1 })).insertedId`);
  ctx.print(show(insertedId));
  const doc = await db.collection('test').findOne();
  ctx.print(`> await db.collection('test').findOne()`);
  ctx.print(show(doc));
  ctx.print(`> c.address`);
  ctx.print(`'${c.address}'`);
  return { doc, address: c.address, client: c };
}

// ------------------------------------------------------------------ 5. failover

export interface FailoverResult {
  oldPrimary: string;
  /** The error the first operation after the kill got with retries off, if any. */
  errorName: string | undefined;
  errorMessage: string | undefined;
  /** Failed attempts before the first success (retries off). */
  failedAttempts: number;
  newPrimary: string | undefined;
  failoverMS: number;
  /** With retryable reads on (the default), the same read right after a kill just succeeds. */
  retryingReadSucceeded: boolean;
}

export async function failover(ctx: Ctx, rs: WalkthroughSet, primaryAddress: string, disruption: Disruption): Promise<FailoverResult> {
  // Retries off and a short selection timeout, so the failover surfaces as an error
  // (pymongo's AutoReconnect) instead of the read waiting for the new primary.
  const uri = `mongodb://${rs.members[0]!.address}/?replicaSet=${rs.replSet}&retryReads=false&retryWrites=false&serverSelectionTimeoutMS=250`;
  const c = client(ctx, uri);
  const coll = c.db('test').collection('test');
  await coll.findOne();
  ctx.print(`> db = new MongoClient('${uri}').db('test')`);
  ctx.print(disruption.describe(primaryAddress));
  const killedAt = Date.now();
  await disruption.run(primaryAddress);
  let errorName: string | undefined;
  let errorMessage: string | undefined;
  let failedAttempts = 0;
  ctx.print(`> await db.collection('test').findOne()`);
  for (;;) {
    try {
      const doc = await coll.findOne();
      ctx.print(show(doc));
      break;
    } catch (e) {
      if (!isFailoverError(e)) throw e;
      failedAttempts += 1;
      if (errorName === undefined) {
        errorName = (e as Error).name;
        errorMessage = (e as Error).message.split('\n')[0];
        ctx.print(`Uncaught ${errorName}: ${errorMessage}`);
        ctx.print(`(a failover error: isFailoverError(e) — network, server selection or not-primary — so retry, as with pymongo's AutoReconnect)`);
        ctx.print(`> await db.collection('test').findOne()   // again, until the set has a new primary`);
      }
      await sleep(100);
    }
  }
  const failoverMS = Date.now() - killedAt;
  ctx.print(`> c.address`);
  ctx.print(`'${c.address}'   // the new primary, ${failoverMS} ms after the kill`);

  // The default client: retryable reads on, so a read right after a failover waits and succeeds.
  // (Seeded with every member: a seed that is down is fine as long as one answers.)
  const retrying = client(ctx, `mongodb://${rs.members.map((m) => m.address).join(',')}/?replicaSet=${rs.replSet}`);
  await retrying.db('test').collection('test').findOne();
  const retryingReadSucceeded = (await retrying.db('test').collection('test').findOne()) !== null;
  return { oldPrimary: primaryAddress, errorName, errorMessage, failedAttempts, newPrimary: c.address, failoverMS, retryingReadSucceeded };
}

// ------------------------------------------------------------------ 6. restart the old primary

export async function restartOldPrimary(ctx: Ctx, rs: WalkthroughSet & { member(address: string): { port: number; args: readonly string[]; restart(): Promise<void> } }, address: string): Promise<{ type: string }> {
  // A client that checks every second, so the rejoin shows at once (the default is 10 s).
  const uri = `mongodb://${rs.members.map((m) => m.address).join(',')}/?replicaSet=${rs.replSet}&heartbeatFrequencyMS=1000`;
  const watcher = client(ctx, uri);
  await watcher.connect();
  ctx.print(`> watcher = new MongoClient('${uri}')`);
  ctx.print(`$ mongod-sim --port ${rs.member(address).port} ${rs.member(address).args.join(' ')}   # ${address} again`);
  await rs.member(address).restart();
  const td = await waitForTopology(watcher, (t) => t.servers.get(address)?.type === ServerType.RSSecondary, 30_000);
  const type = td.servers.get(address)!.type;
  ctx.print(`(the watcher now sees ${address} as ${type})`);
  return { type };
}

// ------------------------------------------------------------------ 7. secondary reads

export interface SecondaryReadsResult {
  clientMode: string;
  dbMode: string;
  collMode: string;
  coll2Mode: string;
  secondaryPreferredServedBy: string | undefined;
  secondaries: string[];
  primary: string;
  dbStatsDefaultServedBy: string | undefined;
  dbStatsNearestServedBy: string | undefined;
}

export async function secondaryReads(ctx: Ctx, rs: WalkthroughSet): Promise<SecondaryReadsResult> {
  const uri = `mongodb://${rs.members[0]!.address}/?replicaSet=${rs.replSet}&readPreference=secondaryPreferred`;
  const c = client(ctx, uri);
  await c.connect();
  const td = await waitForTopology(c, (t) => t.type === 'ReplicaSetWithPrimary' && membersOfType(t, ServerType.RSSecondary).length === 2);
  const primary = membersOfType(td, ServerType.RSPrimary)[0]!;
  const secondaries = membersOfType(td, ServerType.RSSecondary);
  ctx.print(`> client = new MongoClient('${uri}')`);
  ctx.print(`> client.readPreference.mode`);
  ctx.print(`'${c.readPreference.mode}'`);
  await c.db('test').collection('test').findOne();
  const secondaryPreferredServedBy = c.address;
  ctx.print(`> await client.db('test').collection('test').findOne(); client.address`);
  ctx.print(`'${secondaryPreferredServedBy}'   // a secondary (secondaries: ${secondaries.join(', ')})`);

  const db = c.db('test', { readPreference: ReadPreference.secondary });
  const coll = db.collection('test', { readPreference: ReadPreference.primary });
  const coll2 = coll.withOptions({ readPreference: ReadPreference.nearest });
  ctx.print(`> db = client.db('test', { readPreference: ReadPreference.secondary }); db.readPreference.mode`);
  ctx.print(`'${db.readPreference.mode}'`);
  ctx.print(`> coll = db.collection('test', { readPreference: ReadPreference.primary }); coll.readPreference.mode`);
  ctx.print(`'${coll.readPreference.mode}'`);
  ctx.print(`> coll2 = coll.withOptions({ readPreference: ReadPreference.nearest }); [coll.readPreference.mode, coll2.readPreference.mode]`);
  ctx.print(`['${coll.readPreference.mode}', '${coll2.readPreference.mode}']`);

  // Commands go to the primary unless given an explicit read preference.
  await db.command({ dbStats: 1 });
  const dbStatsDefaultServedBy = c.address;
  ctx.print(`> await db.command({ dbStats: 1 }); client.address   // commands ignore db.readPreference`);
  ctx.print(`'${dbStatsDefaultServedBy}'   // the primary`);
  await db.command({ dbStats: 1 }, { readPreference: ReadPreference.nearest });
  const dbStatsNearestServedBy = c.address;
  ctx.print(`> await db.command({ dbStats: 1 }, { readPreference: ReadPreference.nearest }); client.address`);
  ctx.print(`'${dbStatsNearestServedBy}'   // any member in the latency window`);
  return {
    clientMode: c.readPreference.mode,
    dbMode: db.readPreference.mode,
    collMode: coll.readPreference.mode,
    coll2Mode: coll2.readPreference.mode,
    secondaryPreferredServedBy,
    secondaries,
    primary,
    dbStatsDefaultServedBy,
    dbStatsNearestServedBy,
  };
}

// ------------------------------------------------------------------ 8. tag sets

export interface TagSetsResult {
  nyFirst: string | undefined;
  fallbackToSf: string | undefined;
  emptyTagSetServedBy: string | undefined;
  noMatchError: string | undefined;
  ny: string;
  sf: string;
}

export async function tagSets(ctx: Ctx, tagged: Cluster): Promise<TagSetsResult> {
  const uri = `${tagged.uri}&serverSelectionTimeoutMS=1500`;
  const c = client(ctx, uri);
  await c.connect();
  const td = await waitForTopology(c, (t) => membersOfType(t, ServerType.RSSecondary).length === 2);
  const secondaryTagged = (dc: string): string =>
    [...td.servers.values()].find((s) => s.type === ServerType.RSSecondary && s.tags.dc === dc)?.address ?? '(none)';
  const ny = secondaryTagged('ny');
  const sf = secondaryTagged('sf');
  ctx.print(`(members: ${tagged.members.map((m) => `${m.host} ${show(m.options.tags ?? {})}`).join(', ')})`);
  const read = async (tags: Record<string, string>[]): Promise<string | undefined> => {
    const db = c.db('test', { readPreference: new ReadPreference('secondary', tags) });
    ctx.print(`> db = client.db('test', { readPreference: new ReadPreference('secondary', ${show(tags)}) }); await db.collection('t').findOne(); client.address`);
    await db.collection('t').findOne();
    ctx.print(`'${c.address}'`);
    return c.address;
  };
  const nyFirst = await read([{ dc: 'ny' }, { dc: 'sf' }]);
  const fallbackToSf = await read([{ dc: 'la' }, { dc: 'sf' }]);
  const emptyTagSetServedBy = await read([{ dc: 'la' }, {}]);
  let noMatchError: string | undefined;
  try {
    await read([{ dc: 'la' }]);
  } catch (e) {
    if (!(e instanceof MongoServerSelectionError)) throw e;
    noMatchError = e.message;
    ctx.print(`Uncaught MongoServerSelectionError: ${e.message.split('\n')[0]}`);
  }
  return { nyFirst, fallbackToSf, emptyTagSetServedBy, noMatchError, ny, sf };
}

// ------------------------------------------------------------------ 9. localThresholdMS

export interface LatencyResult {
  counts: Record<string, number>;
  threshold: number;
  /**
   * What the client itself saw when each operation started: how many operations went to a
   * member outside the latency window of its own RTT averages (should be 0), and for each
   * member, at how many operations it was inside the window. The window depends on RTTs the
   * client measures, which a loaded machine inflates, so tests judge selection by these.
   */
  outOfWindow: number;
  inWindow: Record<string, number>;
}

/** A member chosen this much beyond the window counts as outside it: RTT averages move between selection and the command's start. */
const WINDOW_SLACK_MS = 5;

/** Runs `n` reads (10 at a time) and counts which member served each. */
async function countReads(ctx: Ctx, uri: string, n: number, threshold: number, settleMS: number): Promise<LatencyResult> {
  const c = client(ctx, uri, { monitorCommands: true });
  const result: LatencyResult = { counts: {}, threshold, outOfWindow: 0, inWindow: {} };
  c.on('commandStarted', (e: { commandName: string; address: string }) => {
    if (e.commandName !== 'find') return;
    result.counts[e.address] = (result.counts[e.address] ?? 0) + 1;
    const servers = [...(c.topologyDescription?.servers.values() ?? [])];
    const type = servers.find((s) => s.address === e.address)?.type;
    const rtts = new Map(servers.filter((s) => s.type === type && s.roundTripTime !== null).map((s) => [s.address, s.roundTripTime!]));
    const fastest = Math.min(...rtts.values());
    for (const [address, rtt] of rtts) if (rtt <= fastest + threshold) result.inWindow[address] = (result.inWindow[address] ?? 0) + 1;
    if ((rtts.get(e.address) ?? Infinity) > fastest + threshold + WINDOW_SLACK_MS) result.outOfWindow++;
  });
  await c.connect();
  // Let every member be discovered and its RTT average settle over several heartbeats.
  await waitForTopology(c, (t) => [...t.servers.values()].every((s) => s.type !== ServerType.Unknown && s.roundTripTime !== null));
  await sleep(settleMS);
  const rtts = [...(c.topologyDescription?.servers.values() ?? [])].map((s) => `${s.address} ${s.roundTripTime?.toFixed(1)} ms`);
  ctx.print(`(average round trips the client measured: ${rtts.join(', ')})`);
  const coll = c.db('test').collection('t');
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, () => coll.findOne()));
  return result;
}

export async function localThreshold(ctx: Ctx, tagged: Cluster, thresholds: readonly number[] = [15, 100]): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  ctx.print(`(secondaries: ${tagged.members[1]!.host} answers at once, ${tagged.members[2]!.host} 40 ms later)`);
  for (const threshold of thresholds) {
    const uri = `${tagged.uri}&readPreference=secondary&localThresholdMS=${threshold}&heartbeatFrequencyMS=500`;
    ctx.print(`> client = new MongoClient('${uri}'); 60 x findOne()`);
    const result = await countReads(ctx, uri, 60, threshold, 1500);
    ctx.print(`reads per member: ${show(result.counts)}`);
    results.push(result);
  }
  return results;
}

// ------------------------------------------------------------------ 10. mongos load balancing

export async function mongosLoadBalancing(
  ctx: Ctx,
  routers: readonly { host: string; port: number; latencyMs?: number }[],
  thresholds: readonly number[] = [15, 30],
  operations = 300,
): Promise<LatencyResult[]> {
  const hosts = routers.map((r) => `${r.host}:${r.port}`);
  const results: LatencyResult[] = [];
  ctx.print(`(routers: ${routers.map((r, i) => (r.latencyMs !== undefined ? `${hosts[i]} at ${r.latencyMs} ms` : hosts[i])).join(', ')})`);
  for (const threshold of thresholds) {
    const uri = `mongodb://${hosts.join(',')}/?heartbeatFrequencyMS=500${threshold === 15 ? '' : `&localThresholdMS=${threshold}`}`;
    ctx.print(`> client = new MongoClient('${uri}'); ${operations} x findOne()`);
    // Routers are 15-20 ms apart, so their averages need more heartbeats to separate.
    const result = await countReads(ctx, uri, operations, threshold, 3000);
    ctx.print(`operations per mongos: ${show(Object.fromEntries(hosts.map((h) => [h, result.counts[h] ?? 0])))}`);
    results.push(result);
  }
  return results;
}
