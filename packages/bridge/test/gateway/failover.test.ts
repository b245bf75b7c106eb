/**
 * The gateway in front of a 3-member sim replica set (separate processes): reads with a
 * secondary read preference open cursors that only their member knows, so a getMore
 * that went anywhere else would fail (pinning); after kill -9 of the primary, a user's
 * next write succeeds through the gateway on the new primary (the client retries the
 * gateway's RetryableWriteError, the gateway selects the new primary); a transaction
 * interrupted by a stepdown is run again by withTransaction on the new primary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadPreference, type Document, type MongoClient } from '@mongo-edge/core';
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { startGateway, type GatewayHandle } from '../../src/gateway/index.js';
import { gatewayClient, gatewayConfig, gatewayEnv, tokenFor } from './support.js';

let cluster: Cluster;
let gateway: GatewayHandle;
let alice: MongoClient;
const sent: Array<{ name: string; address: string; txnNumber: string; text: string | undefined }> = [];

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'rs0', electionTimeoutMillis: 1000, heartbeatIntervalMillis: 250 });
  await cluster.waitForSecondaries();
  gateway = await startGateway(gatewayConfig({ uri: { value: `${cluster.uri}&serverSelectionTimeoutMS=20000&heartbeatFrequencyMS=500` }, options: { monitorCommands: true } }), {
    env: gatewayEnv(),
    log: () => undefined,
  });
  // what the gateway sends to the cluster: the commands of a transaction and the member each went to
  gateway.service.cluster.on('commandStarted', (e: { commandName: string; command: Document; address: string }) => {
    if (e.command.autocommit === false) sent.push({ name: e.commandName, address: e.address, txnNumber: String(e.command.txnNumber), text: (e.command.documents as Array<{ text?: string }> | undefined)?.[0]?.text });
  });
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

  it('a transaction is pinned to its primary: interrupted by a stepdown, withTransaction runs it again on the new primary, once', async () => {
    const session = alice.startSession();
    let attempts = 0;
    let oldPrimary = '';
    let newPrimary = '';
    try {
      await session.withTransaction(async () => {
        attempts += 1;
        await notes(alice).insertOne({ text: `txn-attempt-${attempts}` }, { session });
        if (attempts === 1) {
          const old = await cluster.primary();
          oldPrimary = old.host;
          await cluster.stepDown(old.index, 30);
          newPrimary = (await cluster.waitForPrimary({ exclude: old.index })).host;
        }
        // attempt 1: sent to the member the transaction started on, no longer primary
        await notes(alice).insertOne({ text: 'txn-second' }, { session });
      });
    } finally {
      await session.endSession();
    }
    expect(attempts).toBeGreaterThan(1);
    // attempt 1's second statement went where its first ran (the old primary), not to the new one
    const first = sent.find((c) => c.name === 'insert' && c.text === 'txn-attempt-1')!;
    expect(first.address).toBe(oldPrimary);
    const second = sent.filter((c) => c.name === 'insert' && c.txnNumber === first.txnNumber);
    expect(second.map((c) => c.address)).toEqual([oldPrimary, oldPrimary]);
    // the committed attempt ran on the new primary, commit included
    const last = sent.find((c) => c.name === 'insert' && c.text === `txn-attempt-${attempts}`)!;
    expect(sent.filter((c) => c.txnNumber === last.txnNumber).map((c) => [c.name, c.address])).toEqual([
      ['insert', newPrimary],
      ['insert', newPrimary],
      ['commitTransaction', newPrimary],
    ]);
    expect(await notes(alice).countDocuments({ text: 'txn-attempt-1' })).toBe(0);
    expect(await notes(alice).countDocuments({ text: `txn-attempt-${attempts}` })).toBe(1);
    expect(await notes(alice).countDocuments({ text: 'txn-second' })).toBe(1);
    expect(gateway.service.openTransactions).toBe(0);
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
