import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@mongo-edge/sim';
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
});
