/**
 * The browser bundle needs nothing from Node:
 * 1. its text has no `require(`, `process.`, `__dirname`, `setImmediate` or `node:`
 *    import, and no `Buffer` at all (its BSON codec is bson-lite, which uses only
 *    Uint8Array/DataView/TextEncoder; the npm `bson` package, with its Buffer feature
 *    check, is not bundled);
 * 2. it runs: a child process loads dist/index.js as an ES module in a node:vm context
 *    that has only web-standard globals (TextEncoder/TextDecoder, crypto, URL,
 *    numeric-id timers, queueMicrotask, AbortController, a WHATWG-shaped WebSocket
 *    adapted from `ws`; no process, Buffer, require, global or setImmediate), and
 *    pings, inserts and finds through a real bridge in front of the sim, closes and
 *    reconnects, leaving no timers behind.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type BridgeHandle } from '@mongo-edge/bridge';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { BUNDLE, ROOT, WEB_DIR, buildBundle } from './helpers.js';

/** `Buffer` used as an identifier (not ArrayBuffer/SharedArrayBuffer, not inside a word). */
const BUFFER_USE = /(?<![\w$])Buffer(?=\s*[.(]|\s*\)|\s*==)|typeof Buffer/g;

describe('the bundle without Node globals', () => {
  let text: string;

  beforeAll(async () => {
    text = await buildBundle();
  });

  it('has no require, process, __dirname, setImmediate or node: imports', () => {
    for (const needle of ['require(', 'process.', '__dirname', '__filename', 'setImmediate', 'from"node:', "from'node:", 'import("node:']) {
      expect(text.includes(needle), `bundle contains ${needle}`).toBe(false);
    }
  });

  it('uses no Buffer at all (bson-lite, not the npm bson package)', () => {
    expect(text.match(BUFFER_USE) ?? [], 'the bundle must not touch Buffer').toEqual([]);
    expect(text.includes('_isBuffer'), "npm bson's Buffer feature check is bundled").toBe(false);
  });

  describe('running in a vm context through the bridge', () => {
    const token = 'web-client-vm-token-0123456789';
    let sim: SimHandle;
    let bridge: BridgeHandle;

    beforeAll(async () => {
      sim = await startSim({ port: 0, quiet: true });
      bridge = await startBridge({ port: 0, host: '127.0.0.1', allow: [sim.address], tokens: [token], log: () => undefined });
    });

    afterAll(async () => {
      await bridge?.close();
      await sim?.close();
    });

    it('connects, pings, inserts, finds, closes and reconnects', async () => {
      const runner = path.join(WEB_DIR, 'test/fixtures/vm-runner.mjs');
      const uri = `mongodb://${sim.address}/?serverSelectionTimeoutMS=10000`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--experimental-vm-modules', '--no-warnings', runner, BUNDLE, bridge.url, token, uri],
        { cwd: ROOT, timeout: 45_000, env: { PATH: process.env.PATH ?? '' } },
      ).catch((e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`vm runner failed: ${e.stdout ?? ''} ${e.stderr ?? e.message}`);
      });
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(result.error).toBeUndefined();
      // A self-contained ES module: it imports nothing (as parsed by V8).
      expect(result.bundleImports).toEqual([]);
      expect(result.globals).toEqual({
        process: 'undefined',
        Buffer: 'undefined',
        require: 'undefined',
        module: 'undefined',
        global: 'undefined',
        setImmediate: 'undefined',
      });
      expect(result.exports).toEqual(expect.arrayContaining(['MongoClient', 'ReadPreference', 'MongoError', 'MongoNetworkError', 'MongoBridgeError', 'ObjectId', 'WebSocketTransport']));
      expect(result.withoutBridge).toBe('MongoInvalidArgumentError');
      expect(result.ping).toEqual({ ok: 1 });
      expect(result.insert.acknowledged).toBe(true);
      expect(result.found).toEqual({ sameId: true, n: 1, at: '1970-01-01T00:00:00.000Z', big: '9007199254740993' });
      expect(result.rich).toEqual({
        dec: '-1.10E+5',
        uuid: '01234567-89ab-cdef-0123-456789abcdef',
        uuidIsUUID: true,
        bin: [0x80, [1, 2, 3]],
        ts: [5, 6],
        big: ['Long', '1152921504606846976'],
        neg0: true,
        re: '/a+b/i',
        arr: [1, 'two', [3], null],
        when: 1234,
        text: 'héllo 😀',
      });
      expect(result.bsonRoundTrip).toBe('-5');
      expect(result.address).toBe(sim.address);
      expect(result.topologyType).toBe('Single');
      expect(result.bridgeErrorIsNetworkError).toBe(true);
      expect(result.pingAfterReconnect).toEqual({ ok: 1 });
      expect(result.pendingTimers).toBe(0);
    });
  });
});
