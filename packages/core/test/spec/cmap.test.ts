/**
 * CMAP spec runner: connection-monitoring-and-pooling/cmap-format/*.json (test
 * format: source/connection-monitoring-and-pooling/tests/cmap-format/README.md).
 * Runs every file found against `Pool` with a fake connection factory ("threads"
 * are async operation chains).
 *
 * Integration files configure a `failCommand` fail point on the handshake (hello /
 * isMaster: blockConnection + blockTimeMS, errorCode, closeConnection). There is no
 * server here, so the fake factory emulates that fail point while establishing a
 * connection, and SDAM's reaction to a background populate error (clear the pool) is
 * wired through `onEstablishError`. A fail point the emulation does not understand
 * makes the test fail loudly; such files must be listed in SKIPS with a reason.
 */
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/types.js';
import { MongoNetworkError, MongoPoolClearedError, MongoServerError, type Document } from '../../src/errors.js';
import { MongoPoolClosedError, MongoWaitQueueTimeoutError } from '../../src/pool/errors.js';
import { CONNECTION_POOL_EVENTS, type ConnectionPoolEventName } from '../../src/pool/events.js';
import { Pool, type ConnectionFactoryOptions } from '../../src/pool/pool.js';
import { findSpecFiles, skipReason, type SkipList } from './spec-files.js';

interface Operation {
  name: string;
  thread?: string;
  target?: string;
  ms?: number;
  event?: string;
  count?: number;
  timeout?: number;
  label?: string;
  connection?: string;
  interruptInUseConnections?: boolean;
}

interface CmapTest {
  version: number;
  style: 'unit' | 'integration';
  description: string;
  runOn?: unknown[];
  failPoint?: Document;
  poolOptions?: Document;
  operations: Operation[];
  error?: Document;
  events: Document[];
  ignore?: string[];
}

/** Files or file#description not run, and why. */
const SKIPS: SkipList = {};

const ERROR_TYPES: Readonly<Record<string, new (...args: never[]) => Error>> = {
  PoolClosedError: MongoPoolClosedError,
  WaitQueueTimeoutError: MongoWaitQueueTimeoutError,
  PoolClearedError: MongoPoolClearedError,
};

/** "ConnectionCheckOutStarted" -> "connectionCheckOutStarted". */
function eventName(type: string): ConnectionPoolEventName {
  const name = (type[0]!.toLowerCase() + type.slice(1)) as ConnectionPoolEventName;
  if (!CONNECTION_POOL_EVENTS.includes(name)) throw new Error(`unknown CMAP event type ${type}`);
  return name;
}

/** Test-format MATCH: `expected` is a subset of `actual`; 42 / "42" match any present value. */
function assertMatches(actual: unknown, expected: unknown, path: string): void {
  if (expected === 42 || expected === '42') {
    expect(actual, `${path} should exist`).not.toBeUndefined();
    expect(actual, `${path} should exist`).not.toBeNull();
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} should be an array`).toBe(true);
    expected.forEach((v, i) => assertMatches((actual as unknown[])[i], v, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', `${path} should be an object`).toBe(true);
    for (const [k, v] of Object.entries(expected)) {
      // The spec's `duration` is our `durationMS`.
      const key = k === 'duration' ? 'durationMS' : k;
      assertMatches((actual as Document)[key], v, `${path}.${key}`);
    }
    return;
  }
  expect(actual, path).toEqual(expected);
}

/** The handshake part of a `failCommand` fail point, as a fake factory can apply it. */
class HandshakeFailPoint {
  private remaining: number;
  private readonly data: Document;
  constructor(failPoint: Document, private readonly appName: unknown) {
    if (failPoint.configureFailPoint !== 'failCommand') throw new Error(`cannot emulate fail point ${String(failPoint.configureFailPoint)}`);
    const mode = failPoint.mode as unknown;
    if (mode === 'alwaysOn') this.remaining = Infinity;
    else if (mode && typeof mode === 'object' && typeof (mode as Document).times === 'number') this.remaining = (mode as Document).times as number;
    else throw new Error(`cannot emulate fail point mode ${JSON.stringify(mode)}`);
    this.data = (failPoint.data ?? {}) as Document;
    const cmds = (this.data.failCommands ?? []) as string[];
    if (!cmds.every((c) => c === 'hello' || c === 'isMaster')) throw new Error(`cannot emulate failCommands ${cmds.join(',')}`);
    const known = new Set(['failCommands', 'closeConnection', 'blockConnection', 'blockTimeMS', 'errorCode', 'appName']);
    for (const k of Object.keys(this.data)) if (!known.has(k)) throw new Error(`cannot emulate fail point field ${k}`);
  }

  /** Applies the fail point to one handshake: may wait, then may throw. */
  async apply(signal: AbortSignal): Promise<void> {
    if (this.remaining <= 0) return;
    if (this.data.appName !== undefined && this.data.appName !== this.appName) return;
    this.remaining--;
    if (this.data.blockConnection === true) await abortableSleep(Number(this.data.blockTimeMS ?? 0), signal);
    if (this.data.closeConnection === true) throw new MongoNetworkError('connection closed by fail point', { beforeHandshake: true });
    if (typeof this.data.errorCode === 'number') {
      throw new MongoServerError({ ok: 0, code: this.data.errorCode, errmsg: 'Failing command via failCommand fail point' });
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function fakeFactory(failPoint?: HandshakeFailPoint) {
  const created: Connection[] = [];
  const factory = async ({ id, generation, signal }: ConnectionFactoryOptions): Promise<Connection> => {
    await failPoint?.apply(signal);
    let closed = false;
    const conn: Connection = {
      id,
      address: 'fake:27017',
      generation,
      hello: { ok: 1, helloOk: true, maxWireVersion: 21 },
      moreToCome: false,
      get closed() {
        return closed;
      },
      roundTrips: 0,
      command: () => Promise.reject(new Error('fake connection')),
      nextReply: () => Promise.reject(new Error('fake connection')),
      close() {
        closed = true;
      },
      destroy() {
        closed = true;
      },
    };
    created.push(conn);
    return conn;
  };
  return { factory, created };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function runTest(test: CmapTest): Promise<void> {
  const options = { ...(test.poolOptions ?? {}) } as Document;
  const { backgroundThreadIntervalMS, appName, ...poolOptions } = options;
  const { factory } = fakeFactory(test.failPoint ? new HandshakeFailPoint(test.failPoint, appName) : undefined);
  const events: Array<{ type: string; payload: Document }> = [];
  let poolRef: Pool | undefined;
  const pool = new Pool({
    ...(poolOptions as object),
    address: 'fake:27017',
    connect: factory,
    // SDAM's answer to an error while populating the pool: mark the server Unknown, clear the pool.
    onEstablishError: (_error, background) => {
      if (background) poolRef?.clear();
    },
    ...(typeof backgroundThreadIntervalMS === 'number' ? { backgroundIntervalMS: backgroundThreadIntervalMS } : {}),
    subscribe: (p) => {
      for (const name of CONNECTION_POOL_EVENTS) {
        const type = name[0]!.toUpperCase() + name.slice(1);
        p.on(name, (payload) => events.push({ type, payload: payload as unknown as Document }));
      }
    },
  });

  poolRef = pool;
  const labels = new Map<string, Connection>();
  const threads = new Map<string, { chain: Promise<void>; error?: unknown }>();

  const execute = async (op: Operation): Promise<void> => {
    switch (op.name) {
      case 'start':
        threads.set(op.target!, { chain: Promise.resolve() });
        return;
      case 'wait':
        await sleep(op.ms ?? 0);
        return;
      case 'waitForThread': {
        const t = threads.get(op.target!);
        if (!t) throw new Error(`no thread ${op.target}`);
        await t.chain;
        if (t.error !== undefined) throw t.error;
        return;
      }
      case 'waitForEvent': {
        const timeout = op.timeout ?? 10_000;
        const deadline = Date.now() + timeout;
        const count = op.count ?? 1;
        while (events.filter((e) => e.type === op.event).length < count) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} ${op.event} events`);
          await sleep(1);
        }
        return;
      }
      case 'checkOut': {
        const conn = await pool.checkOut();
        if (op.label) labels.set(op.label, conn);
        return;
      }
      case 'checkIn': {
        const conn = labels.get(op.connection!);
        if (!conn) throw new Error(`no connection labelled ${op.connection}`);
        pool.checkIn(conn);
        return;
      }
      case 'clear':
        pool.clear(op.interruptInUseConnections !== undefined ? { interruptInUseConnections: op.interruptInUseConnections } : {});
        return;
      case 'close':
        await pool.close();
        return;
      case 'ready':
        pool.ready();
        return;
      default:
        throw new Error(`unknown operation ${op.name}`);
    }
  };

  let mainError: unknown;
  try {
    for (const op of test.operations) {
      if (op.thread) {
        const t = threads.get(op.thread);
        if (!t) throw new Error(`no thread ${op.thread}`);
        t.chain = t.chain.then(async () => {
          if (t.error !== undefined) return;
          try {
            await execute(op);
          } catch (e) {
            t.error = e;
          }
        });
      } else {
        await execute(op);
      }
    }
  } catch (e) {
    mainError = e;
  } finally {
    // Let threads settle, then close so no timer outlives the test.
    await Promise.all([...threads.values()].map((t) => t.chain));
    await pool.close();
  }

  if (test.error) {
    expect(mainError, 'expected the main thread to fail').toBeDefined();
    const type = ERROR_TYPES[test.error.type as string];
    if (type) expect(mainError).toBeInstanceOf(type);
    const { type: _t, ...rest } = test.error;
    assertMatches(mainError, rest, 'error');
  } else if (mainError !== undefined) {
    throw mainError;
  }

  for (const t of [...(test.ignore ?? []), ...test.events.map((e) => String(e.type))]) eventName(t);
  const ignore = new Set(test.ignore ?? []);
  const actual = events.filter((e) => !ignore.has(e.type));
  test.events.forEach((expected, i) => {
    const got = actual[i];
    expect(got, `event #${i} (${String(expected.type)}) missing; got ${actual.map((e) => e.type).join(', ')}`).toBeDefined();
    expect(got!.type, `event #${i}`).toBe(expected.type);
    const { type: _type, ...fields } = expected;
    assertMatches(got!.payload, fields, `event #${i} ${got!.type}`);
  });
}

const files = findSpecFiles('connection-monitoring-and-pooling', 'cmap-format');

describe('CMAP spec (cmap-format)', () => {
  // A specs directory without this suite is valid input: say so visibly, do not fail.
  if (files.length === 0) it.skip('no spec files under connection-monitoring-and-pooling/cmap-format/ in $MONGO_SPECS_DIR', () => {});
  for (const file of files) {
    const test = file.json as CmapTest;
    const reason = skipReason(SKIPS, file.name, test.description);
    const title = `${file.name}: ${test.description}${test.failPoint ? ' (emulated fail point)' : ''}`;
    if (reason) it.skip(`${title} [skipped: ${reason}]`, () => {});
    else it(title, () => runTest(test));
  }
});
