/**
 * A change stream of the web client through the bridge (Node, ws) against a one-member
 * sim replica set: events arrive in order, and across a bridge restart (the awaitData
 * getMore fails with a network error; the stream resumes from its cached token once the
 * bridge is back) none is lost and none repeated, including writes made while the
 * bridge was down (by a Node client over TCP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { startBridge, type BridgeHandle } from '@mongo-edge/bridge';
import { MongoClient as NodeMongoClient } from '@mongo-edge/core/node';
import { MongoClient, type ChangeStreamInsertDocument, type WebSocketConstructorLike } from '../src/index.js';

const WS = WebSocket as unknown as WebSocketConstructorLike;

let sim: SimHandle;
let direct: NodeMongoClient;

beforeAll(async () => {
  sim = await startSim({ port: 0, replSet: 'csweb', quiet: true });
  direct = new NodeMongoClient(`${sim.uri}?directConnection=true&serverSelectionTimeoutMS=10000`);
  await direct.db('admin').command({ replSetInitiate: 1 });
  // a primary before the test: poll hello (the set elects its one member)
  for (let i = 0; i < 150 && !(await direct.db('admin').command({ hello: 1 })).isWritablePrimary; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  await direct?.close();
  await sim?.close();
});

describe('watch() through the bridge', () => {
  it('reads inserts in order and resumes across a bridge restart without losing or repeating one', async () => {
    let bridge: BridgeHandle = await startBridge({ port: 0, allow: [sim.address], noAuth: true, shutdownTimeoutMs: 200, log: () => undefined });
    const port = bridge.port;
    const client = new MongoClient(`mongodb://${sim.address}/?directConnection=true&serverSelectionTimeoutMS=15000&heartbeatFrequencyMS=500`, {
      bridge: { url: bridge.url, WebSocket: WS },
    });
    const coll = client.db('live').collection<{ _id: number }>('events');
    const cs = coll.watch<{ _id: number }, ChangeStreamInsertDocument<{ _id: number }>>([{ $match: { operationType: 'insert' } }], { maxAwaitTimeMS: 200 });
    const seen: number[] = [];
    let aggregates = 0;
    cs.on('init', () => aggregates++);
    const read = async (n: number) => {
      while (seen.length < n) seen.push((await cs.next()).fullDocument._id);
    };
    try {
      expect(await cs.tryNext()).toBeNull(); // the aggregate: nothing yet
      const other = direct.db('live').collection<{ _id: number }>('events');
      for (let i = 1; i <= 3; i++) await other.insertOne({ _id: i });
      await read(3);
      expect(cs.resumeToken).not.toBeNull();

      // The bridge goes away while a getMore waits; writes go on over TCP meanwhile.
      const pending = read(6);
      await bridge.close();
      for (let i = 4; i <= 5; i++) await other.insertOne({ _id: i });
      bridge = await startBridge({ port, allow: [sim.address], noAuth: true, shutdownTimeoutMs: 200, log: () => undefined });
      await other.insertOne({ _id: 6 });
      await pending;
      expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
      // it did resume (a second aggregate), from the token of event 3 or later
      expect(aggregates).toBeGreaterThanOrEqual(2);
    } finally {
      await cs.close();
      await client.close();
      await bridge.close();
    }
  }, 60_000);
});
