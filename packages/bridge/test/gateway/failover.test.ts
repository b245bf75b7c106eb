/**
 * The gateway in front of a 3-member sim replica set (separate processes): reads with a
 * secondary read preference open cursors that only their member knows, so a getMore
 * that went anywhere else would fail (pinning); after kill -9 of the primary, a user's
 * next write succeeds through the gateway on the new primary (the client retries the
 * gateway's RetryableWriteError, the gateway selects the new primary).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadPreference, type MongoClient } from '@mongo-edge/core';
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { startGateway, type GatewayHandle } from '../../src/gateway/index.js';
import { gatewayClient, gatewayConfig, gatewayEnv, tokenFor } from './support.js';

let cluster: Cluster;
let gateway: GatewayHandle;
let alice: MongoClient;

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'rs0', electionTimeoutMillis: 1000, heartbeatIntervalMillis: 250 });
  await cluster.waitForSecondaries();
  gateway = await startGateway(gatewayConfig({ uri: { value: `${cluster.uri}&serverSelectionTimeoutMS=20000&heartbeatFrequencyMS=500` } }), { env: gatewayEnv(), log: () => undefined });
  alice = gatewayClient(gateway.url, await tokenFor('alice'), 'serverSelectionTimeoutMS=30000&heartbeatFrequencyMS=500');
}, 120_000);

afterAll(async () => {
  await alice?.close();
  await gateway?.close();
  await cluster?.stop();
});

const notes = (c: MongoClient) => c.db('app').collection<{ text: string; owner?: string }>('notes');

describe('gateway with a replica set', () => {
  it('pins a secondary read\'s cursor: every getMore reaches the member that opened it', async () => {
    await notes(alice).insertMany(Array.from({ length: 12 }, (_, i) => ({ text: `n${i}` })), { writeConcern: { w: 3 } });
    const docs = await notes(alice).find({}, { readPreference: ReadPreference.secondary }).batchSize(2).toArray();
    expect(docs).toHaveLength(12);
    expect(new Set(docs.map((d) => d.owner))).toEqual(new Set(['alice']));
  });

  it('survives kill -9 of the primary: the next write goes to the new primary', async () => {
    const old = await cluster.primary();
    await cluster.kill(old.index);
    await notes(alice).insertOne({ text: 'after-failover' });
    const fresh = await cluster.waitForPrimary({ exclude: old.index });
    expect(fresh.index).not.toBe(old.index);
    expect(await notes(alice).countDocuments({ text: 'after-failover' })).toBe(1);
  });
});
