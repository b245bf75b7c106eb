import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient } from '@mongo-edge/core';
import type { WebSocketTransport } from '@mongo-edge/core/internal';
// The core's connection handshake is not exported yet; the test reaches into its source.
import { connect } from '../../core/src/connection/connect.js';
import { startBridge, type BridgeHandle } from '../src/index.js';
import { openCommandSocket, wsTransport } from './helpers.js';

describe('through the bridge to the sim', () => {
  let sim: SimHandle;
  let bridge: BridgeHandle;
  let transport: WebSocketTransport;

  beforeAll(async () => {
    sim = await startSim({ quiet: true });
    bridge = await startBridge({ port: 0, allow: [sim.address], tokens: ['sim-test-token-0123456789'], log: () => undefined });
    transport = wsTransport(bridge.url, { token: 'sim-test-token-0123456789' });
  });

  afterAll(async () => {
    await transport?.close();
    await bridge?.close();
    await sim?.close();
  });

  it('runs the core handshake and CRUD commands over the WebSocket transport', async () => {
    const conn = await connect({ transport, address: sim.address, connectTimeoutMS: 5000, socketTimeoutMS: 5000 });
    try {
      const inserted = await conn.command('edge', { insert: 'items', documents: [{ _id: 1, n: 'a' }, { _id: 2, n: 'b' }] });
      expect(inserted).toMatchObject({ ok: 1, n: 2 });
      const found = await conn.command('edge', { find: 'items', filter: { _id: 2 } });
      expect((found.cursor as { firstBatch: unknown[] }).firstBatch).toEqual([{ _id: 2, n: 'b' }]);
    } finally {
      conn.close();
    }
  });

  it('runs concurrent commands on many channels', async () => {
    const sockets = await Promise.all(Array.from({ length: 10 }, () => openCommandSocket(transport, sim.address)));
    const replies = await Promise.all(
      sockets.map((s, i) => s.command({ insert: 'many', documents: [{ _id: i }], $db: 'edge' })),
    );
    for (const r of replies) expect(r).toMatchObject({ ok: 1, n: 1 });
    const count = await sockets[0]!.command({ count: 'many', $db: 'edge' });
    expect(count).toMatchObject({ ok: 1, n: 10 });
    for (const s of sockets) s.socket.close();
  });

  it('a MongoClient on the WebSocket transport runs CRUD, survives a bridge restart and recovers', async () => {
    const own = await startBridge({ port: 0, allow: [sim.address], noAuth: true, shutdownTimeoutMs: 200, log: () => undefined });
    const port = own.port;
    const t = wsTransport(own.url);
    const client = new MongoClient(`${sim.uri}?directConnection=true&serverSelectionTimeoutMS=5000&heartbeatFrequencyMS=500`, { transport: t });
    let restarted: BridgeHandle | undefined;
    try {
      const coll = client.db('edge').collection<{ _id: number; v: string }>('client');
      await coll.insertOne({ _id: 1, v: 'before' });
      expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, v: 'before' });
      await own.close();
      restarted = await startBridge({ port, allow: [sim.address], noAuth: true, log: () => undefined });
      // The first operation after the drop may fail with a network error (retryable reads
      // retry once); within serverSelectionTimeoutMS the client must be working again.
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await coll.insertOne({ _id: 2, v: 'after' });
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(await coll.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 1, v: 'before' },
        { _id: 2, v: 'after' },
      ]);
      expect(restarted.metrics().websocketsTotal).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
      await t.close();
      await own.close();
      await restarted?.close();
    }
  });
});
