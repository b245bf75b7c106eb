/**
 * Load-balanced mode end to end on a MemoryNetwork (the web client's gateway mode uses
 * it): a network error clears only the failing connection's service and never pauses the
 * pool (CMAP clear(serviceId)), so the next operation runs; connections opened after the
 * clear are reused.
 */
import { describe, expect, it } from 'vitest';
import { MongoNetworkError } from '../errors.js';
import { MemoryNetwork } from '../runtime/memory/transport.js';
import { serveFake } from '../../test/support/fake-server.js';
import { MongoClient } from '../client/mongo-client.js';

describe('load-balanced mode after a network error', () => {
  it('the next operation runs; the service is cleared, not the pool paused; later connections are reused', async () => {
    const net = new MemoryNetwork();
    let pings = 0;
    const server = serveFake(
      net,
      'lb:27017',
      (req, ctx) => {
        if (req.name === 'ping' && pings++ === 0) {
          ctx.close();
          return null;
        }
        return undefined;
      },
      { hello: { serviceId: 'svc', msg: 'isdbgrid' } },
    );
    const events: string[] = [];
    const client = new MongoClient('mongodb://lb:27017/?loadBalanced=true&serverSelectionTimeoutMS=2000&retryReads=false', { transport: net.transport() });
    client.on('connectionPoolCleared', (e: { serviceId?: unknown }) => events.push(`cleared:${String(e.serviceId)}`));
    client.on('connectionCreated', () => events.push('created'));
    try {
      expect(await client.db('a').command({ ping: 1 }).catch((e: unknown) => e)).toBeInstanceOf(MongoNetworkError);
      expect(await client.db('a').command({ ping: 1 })).toMatchObject({ ok: 1 });
      expect(await client.db('a').command({ ping: 1 })).toMatchObject({ ok: 1 });
      expect(events).toEqual(['created', 'cleared:svc', 'created']);
      expect(server.sockets).toHaveLength(2);
    } finally {
      await client.close();
    }
  });
});
