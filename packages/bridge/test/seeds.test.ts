import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoBridgeError } from '@mongo-edge/core/internal';
import { Allowlist, isValidTargetPattern, parseHostPort } from '../src/allowlist.js';
import { parseSeeds } from '../src/seeds.js';
import { startBridge, type BridgeHandle } from '../src/index.js';
import { openCommandSocket, startFakeMongod, wsTransport, type FakeMongod } from './helpers.js';

describe('allowlist patterns', () => {
  it.each([
    ['db.internal:27017', 'db.internal', 27017, true],
    ['db.internal:27017', 'DB.Internal', 27017, true],
    ['db.internal:27017', 'db.internal', 27018, false],
    ['*.db.internal:27017', 'a.db.internal', 27017, true],
    ['*.db.internal:27017', 'db.internal', 27017, false],
    ['*.db.internal:27017', 'evil.com:1@a.db.internal', 27017, false],
    ['10.0.0.*:*', '10.0.0.7', 27019, true],
    ['10.0.0.*:*', '10.0.1.7', 27019, false],
    ['[::1]:27017', '::1', 27017, true],
    ['shard-*-a.example.net:27017', 'shard-01-a.example.net', 27017, true],
    ['db.internal:27017', 'db.internalx', 27017, false],
  ])('%s vs %s:%d -> %s', (pattern, host, port, expected) => {
    expect(new Allowlist([pattern]).allows(host, port)).toBe(expected);
  });

  it('validates patterns and parses host:port', () => {
    expect(isValidTargetPattern('db:27017')).toBe(true);
    expect(isValidTargetPattern('db')).toBe(false);
    expect(isValidTargetPattern('db:99999')).toBe(false);
    expect(isValidTargetPattern('db:27017/x')).toBe(false);
    expect(parseHostPort('[::1]:27018')).toEqual({ host: '::1', port: 27018 });
    expect(parseHostPort('Example.com')).toEqual({ host: 'example.com', port: 27017 });
    expect(parseSeeds('mongodb://u:p@a:1,b:2/db?replicaSet=rs&tls=true')).toEqual({
      hosts: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }],
      tls: true,
      allowInvalidCertificates: false,
    });
  });
});

describe('--seeds discovery', () => {
  let member: FakeMongod;
  let stranger: FakeMongod;
  let bridge: BridgeHandle;

  beforeAll(async () => {
    member = await startFakeMongod({ setName: 'rs0' });
    stranger = await startFakeMongod();
  });

  afterAll(async () => {
    await bridge?.close();
    await member?.close();
    await stranger?.close();
  });

  it('allows the seeds and the members they report, nothing else', async () => {
    // The seed reports `member` as a passive in its hello.
    const reporting = await startFakeMongod({ setName: 'rs0', hosts: [], passives: [`127.0.0.1:${member.port}`] });
    try {
      bridge = await startBridge({
        port: 0,
        seeds: `mongodb://127.0.0.1:${reporting.port}/?replicaSet=rs0`,
        seedsRefreshMs: 60_000,
        noAuth: true,
        log: () => undefined,
      });
      expect([...bridge.seedHosts()].sort()).toEqual([`127.0.0.1:${member.port}`, `127.0.0.1:${reporting.port}`].sort());
      const t = wsTransport(bridge.url);
      try {
        const viaSeed = await openCommandSocket(t, `127.0.0.1:${member.port}`);
        expect((await viaSeed.command({ ping: 1 })).ok).toBe(1);
        const err = await t.connect({ host: '127.0.0.1', port: stranger.port, connectTimeoutMS: 5000 }).catch((e: unknown) => e);
        expect((err as MongoBridgeError).reason).toBe('target-refused');
        // A refresh while the seed is down keeps the last known members.
        await reporting.close();
        await bridge.refreshSeeds();
        expect(bridge.seedHosts()).toContain(`127.0.0.1:${member.port}`);
        expect(bridge.metrics().seedHosts).toBe(2);
      } finally {
        await t.close();
      }
    } finally {
      await reporting.close();
    }
  });
});
