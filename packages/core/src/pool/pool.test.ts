import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../connection/connect.js';
import { serveFake } from '../../test/support/fake-server.js';
import type { Connection } from '../connection/types.js';
import { MongoInvalidArgumentError, MongoNetworkError, MongoPoolClearedError } from '../errors.js';
import { MemoryNetwork } from '../runtime/memory/transport.js';
import { MongoPoolClosedError, MongoWaitQueueTimeoutError } from './errors.js';
import { CONNECTION_POOL_EVENTS } from './events.js';
import { connectionFactory, Pool, PoolState, type PoolOptions } from './pool.js';

const ADDR = 'db1:27017';

function makePool(overrides: Partial<PoolOptions> = {}) {
  const net = new MemoryNetwork({ delivery: 'microtask' });
  const server = serveFake(net, ADDR);
  const events: string[] = [];
  const pool = new Pool({
    address: ADDR,
    connect: connectionFactory(connect, { transport: net.transport(), address: ADDR }),
    subscribe: (p) => {
      for (const name of CONNECTION_POOL_EVENTS) p.on(name, () => events.push(name));
    },
    ...overrides,
  });
  return { net, server, pool, events };
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Pool', () => {
  it('starts paused, checks out real connections once ready, reuses them', async () => {
    const { pool, events, net } = makePool();
    expect(pool.state).toBe(PoolState.paused);
    expect(await caught(pool.checkOut())).toBeInstanceOf(MongoPoolClearedError);
    pool.ready();
    const c1 = await pool.checkOut();
    expect(await c1.command('admin', { ping: 1 })).toEqual({ ok: 1 });
    pool.checkIn(c1);
    const c2 = await pool.checkOut();
    expect(c2).toBe(c1);
    expect(pool.totalConnectionCount).toBe(1);
    pool.checkIn(c2);
    await pool.close();
    expect(net.openSockets).toBe(0);
    expect(events).toEqual([
      'connectionPoolCreated',
      'connectionCheckOutStarted',
      'connectionCheckOutFailed',
      'connectionPoolReady',
      'connectionCheckOutStarted',
      'connectionCreated',
      'connectionReady',
      'connectionCheckedOut',
      'connectionCheckedIn',
      'connectionCheckOutStarted',
      'connectionCheckedOut',
      'connectionCheckedIn',
      'connectionClosed',
      'connectionPoolClosed',
    ]);
  });

  it("each event carries its own name (the official driver's `event.name`)", async () => {
    const names: string[] = [];
    const { pool } = makePool({
      subscribe: (p) => {
        for (const name of CONNECTION_POOL_EVENTS) p.on(name, (e: { name?: string }) => names.push(`${name}=${e.name}`));
      },
    });
    pool.ready();
    pool.checkIn(await pool.checkOut());
    await pool.close();
    expect(names.length).toBeGreaterThan(4);
    for (const pair of names) expect(pair.split('=')[0]).toBe(pair.split('=')[1]);
  });

  it('refuses to check in a foreign connection', async () => {
    const { pool } = makePool();
    pool.ready();
    const c = await pool.checkOut();
    pool.checkIn(c);
    expect(() => pool.checkIn(c)).toThrow(MongoInvalidArgumentError);
    await pool.close();
  });

  it('times out waiters with MongoWaitQueueTimeoutError (FIFO), leaving no timers', async () => {
    const { pool } = makePool({ maxPoolSize: 1, waitQueueTimeoutMS: 30 });
    pool.ready();
    const c = await pool.checkOut();
    const w1 = caught(pool.checkOut());
    const e = await w1;
    expect(e).toBeInstanceOf(MongoWaitQueueTimeoutError);
    // FIFO: first waiter gets the returned connection
    const order: number[] = [];
    const a = pool.checkOut({ timeoutMS: 0 }).then((x) => (order.push(1), x));
    const b = pool.checkOut({ timeoutMS: 0 }).then((x) => (order.push(2), x));
    pool.checkIn(c);
    pool.checkIn(await a);
    pool.checkIn(await b);
    expect(order).toEqual([1, 2]);
    await pool.close();
  });

  it('clear() fails waiters with MongoPoolClearedError and closes stale connections on check-in', async () => {
    const { pool } = makePool({ maxPoolSize: 1 });
    const closedReasons: string[] = [];
    pool.on('connectionClosed', (e) => closedReasons.push(e.reason));
    pool.ready();
    const c = await pool.checkOut();
    const waiter = caught(pool.checkOut());
    pool.clear();
    expect(await waiter).toBeInstanceOf(MongoPoolClearedError);
    expect(pool.generation).toBe(1);
    expect(pool.state).toBe(PoolState.paused);
    pool.checkIn(c);
    expect(closedReasons).toEqual(['stale']);
    expect(c.closed).toBe(true);
    pool.ready();
    const c2 = await pool.checkOut();
    expect(c2.generation).toBe(1);
    pool.checkIn(c2);
    await pool.close();
  });

  it('interruptInUseConnections closes in-use connections with a pool-cleared error', async () => {
    const net = new MemoryNetwork({ delivery: 'microtask' });
    serveFake(net, ADDR, (req) => (req.name === 'slow' ? null : undefined));
    const pool = new Pool({ address: ADDR, connect: connectionFactory(connect, { transport: net.transport(), address: ADDR }) });
    pool.ready();
    const c = await pool.checkOut();
    const p = caught(c.command('db', { slow: 1 }));
    pool.clear({ interruptInUseConnections: true });
    const e = await p;
    expect(e).toBeInstanceOf(MongoPoolClearedError);
    expect((e as Error).message).toMatch(/interrupted due to server monitor timeout/);
    pool.checkIn(c);
    await pool.close();
    expect(net.openSockets).toBe(0);
  });

  it('close() fails waiters, closes available connections, aborts pending ones, and leaves no timers', async () => {
    vi.useFakeTimers();
    const net = new MemoryNetwork({ delivery: 'sync' });
    net.blackhole('slow:1');
    const pool = new Pool({
      address: 'slow:1',
      minPoolSize: 1,
      maxIdleTimeMS: 1000,
      waitQueueTimeoutMS: 5000,
      connect: connectionFactory(connect, { transport: net.transport(), address: 'slow:1', connectTimeoutMS: 0 }),
    });
    const bg: unknown[] = [];
    pool.ready();
    await vi.advanceTimersByTimeAsync(1);
    expect(pool.pendingConnectionCount).toBe(1);
    const w = caught(pool.checkOut());
    await pool.close();
    expect(await w).toBeInstanceOf(MongoPoolClosedError);
    expect(await caught(pool.checkOut())).toBeInstanceOf(MongoPoolClosedError);
    expect(pool.totalConnectionCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(bg).toEqual([]);
  });

  it('populates minPoolSize in the background and reports populate errors', async () => {
    const { pool } = makePool({ minPoolSize: 2, backgroundIntervalMS: 10 });
    pool.ready();
    await vi.waitFor(() => expect(pool.availableConnectionCount).toBe(2));
    await pool.close();

    const net = new MemoryNetwork();
    const errors: unknown[] = [];
    const failing = new Pool({
      address: 'down:1',
      minPoolSize: 1,
      connect: connectionFactory(connect, { transport: net.transport(), address: 'down:1' }),
      onEstablishError: (e, background) => errors.push({ e, background }),
    });
    failing.ready();
    await vi.waitFor(() => expect(errors.length).toBe(1));
    expect(errors[0]).toMatchObject({ e: expect.any(MongoNetworkError), background: true });
    await failing.close();
  });

  it('closes idle connections (maxIdleTimeMS) in the background', async () => {
    const { pool } = makePool({ maxIdleTimeMS: 20, backgroundIntervalMS: 5 });
    const reasons: string[] = [];
    pool.on('connectionClosed', (e) => reasons.push(e.reason));
    pool.ready();
    const c: Connection = await pool.checkOut();
    pool.checkIn(c);
    await vi.waitFor(() => expect(reasons).toEqual(['idle']));
    expect(pool.totalConnectionCount).toBe(0);
    await pool.close();
  });
});
