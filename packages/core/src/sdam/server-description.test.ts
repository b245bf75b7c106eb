import { Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { MongoInvalidArgumentError, MongoNetworkError } from '../errors.js';
import {
  DEFAULT_MAX_BSON_OBJECT_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE_BYTES,
  DEFAULT_MAX_WRITE_BATCH_SIZE,
  ServerType,
  compareTopologyVersion,
  newServerDescription,
  normalizeAddress,
  serverDescriptionEquals,
  serverTypeOf,
  unknownServerDescription,
} from './server-description.js';

describe('normalizeAddress', () => {
  it.each([
    ['a', 'a:27017'],
    ['A:27018', 'a:27018'],
    ['Host.Example.COM', 'host.example.com:27017'],
    ['[::1]', '[::1]:27017'],
    ['[::1]:27018', '[::1]:27018'],
    ['[FE80::1]', '[fe80::1]:27017'],
    ['[FE80::ABCD]:1234', '[fe80::abcd]:1234'],
    ['FE80::1', '[fe80::1]:27017'],
    ['10.0.0.1:5', '10.0.0.1:5'],
  ])('%s -> %s', (input, output) => {
    expect(normalizeAddress(input)).toBe(output);
  });

  it.each(['', 'a:b', 'a:0', 'a:70000', '[::1', '[::1]x'])('rejects %j', (bad) => {
    expect(() => normalizeAddress(bad)).toThrow(MongoInvalidArgumentError);
  });
});

describe('serverTypeOf', () => {
  it.each<[string, Record<string, unknown>, ServerType]>([
    ['ok: 0', { ok: 0, isWritablePrimary: true }, ServerType.Unknown],
    ['no ok', { isWritablePrimary: true }, ServerType.Unknown],
    ['standalone', { ok: 1, isWritablePrimary: true }, ServerType.Standalone],
    ['mongos', { ok: 1, isWritablePrimary: true, msg: 'isdbgrid' }, ServerType.Mongos],
    ['ghost', { ok: 1, isreplicaset: true, isWritablePrimary: false }, ServerType.RSGhost],
    ['ghost wins over setName', { ok: 1, isreplicaset: true, setName: 'rs' }, ServerType.RSGhost],
    ['primary', { ok: 1, setName: 'rs', isWritablePrimary: true }, ServerType.RSPrimary],
    ['legacy ismaster primary', { ok: 1, setName: 'rs', ismaster: true }, ServerType.RSPrimary],
    ['isWritablePrimary wins over ismaster', { ok: 1, setName: 'rs', isWritablePrimary: false, ismaster: true, secondary: true }, ServerType.RSSecondary],
    ['secondary', { ok: 1, setName: 'rs', secondary: true }, ServerType.RSSecondary],
    ['arbiter only', { ok: 1, setName: 'rs', arbiterOnly: true }, ServerType.RSArbiter],
    ['hidden secondary', { ok: 1, setName: 'rs', secondary: true, hidden: true }, ServerType.RSOther],
    ['hidden primary flag', { ok: 1, setName: 'rs', isWritablePrimary: true, hidden: true }, ServerType.RSOther],
    ['recovering member', { ok: 1, setName: 'rs', isWritablePrimary: false, secondary: false }, ServerType.RSOther],
    ['ok as double 1.0', { ok: 1.0, isWritablePrimary: true }, ServerType.Standalone],
  ])('%s', (_name, hello, type) => {
    expect(serverTypeOf(hello)).toBe(type);
  });
});

describe('newServerDescription', () => {
  const now = 1234;

  it('lower-cases the address and every host list, IPv6 included', () => {
    const sd = newServerDescription('[FE80::1]:27017', {
      ok: 1,
      setName: 'rs',
      secondary: true,
      me: '[FE80::1]:27017',
      primary: 'A:27017',
      hosts: ['A:27017', '[FE80::1]:27017'],
      passives: ['B:27017'],
      arbiters: ['C:27017'],
    }, { now });
    expect(sd.address).toBe('[fe80::1]:27017');
    expect(sd.me).toBe('[fe80::1]:27017');
    expect(sd.primary).toBe('a:27017');
    expect(sd.hosts).toEqual(['a:27017', '[fe80::1]:27017']);
    expect(sd.passives).toEqual(['b:27017']);
    expect(sd.arbiters).toEqual(['c:27017']);
  });

  it('parses the replica set fields, lastWrite and topologyVersion', () => {
    const electionId = new ObjectId('7fffffff0000000000000001');
    const processId = new ObjectId('000000000000000000000042');
    const date = new Date('2024-01-02T03:04:05.678Z');
    const sd = newServerDescription('a', {
      ok: 1,
      isWritablePrimary: true,
      setName: 'rs',
      setVersion: 3,
      electionId,
      hosts: ['a:27017'],
      tags: { dc: 'east', n: 1 },
      lastWrite: { lastWriteDate: date, opTime: { ts: 1, t: 2 } },
      topologyVersion: { processId, counter: Long.fromNumber(7) },
      logicalSessionTimeoutMinutes: 30,
      minWireVersion: 0,
      maxWireVersion: 21,
      maxBsonObjectSize: 1000,
      helloOk: true,
    }, { now, roundTripTime: 5, minRoundTripTime: 2 });
    expect(sd.type).toBe(ServerType.RSPrimary);
    expect(sd.setVersion).toBe(3);
    expect(sd.electionId?.toHexString()).toBe(electionId.toHexString());
    expect(sd.tags).toEqual({ dc: 'east' });
    expect(sd.lastWriteDate).toBe(date.getTime());
    expect(sd.opTime).toEqual({ ts: 1, t: 2 });
    expect(sd.topologyVersion?.processId.toHexString()).toBe(processId.toHexString());
    expect(sd.topologyVersion?.counter).toBe(7n);
    expect(sd.logicalSessionTimeoutMinutes).toBe(30);
    expect(sd.maxWireVersion).toBe(21);
    expect(sd.maxBsonObjectSize).toBe(1000);
    expect(sd.maxMessageSizeBytes).toBe(DEFAULT_MAX_MESSAGE_SIZE_BYTES);
    expect(sd.maxWriteBatchSize).toBe(DEFAULT_MAX_WRITE_BATCH_SIZE);
    expect(sd.roundTripTime).toBe(5);
    expect(sd.minRoundTripTime).toBe(2);
    expect(sd.lastUpdateTime).toBe(now);
    expect(sd.helloOk).toBe(true);
    expect(Object.isFrozen(sd)).toBe(true);
  });

  it('gives Unknown without RTT for a failed check or ok: 0', () => {
    const err = new MongoNetworkError('boom');
    const failed = newServerDescription('a', null, { now, error: err, roundTripTime: 5 });
    expect(failed.type).toBe(ServerType.Unknown);
    expect(failed.error).toBe(err);
    expect(failed.roundTripTime).toBeNull();
    const notOk = newServerDescription('a', { ok: 0, errmsg: 'x' }, { now, roundTripTime: 5 });
    expect(notOk.type).toBe(ServerType.Unknown);
    expect(notOk.roundTripTime).toBeNull();
  });

  it('builds a LoadBalancer description in load-balanced mode', () => {
    const sd = newServerDescription('a', null, { now, loadBalancer: true });
    expect(sd.type).toBe(ServerType.LoadBalancer);
    expect(sd.setName).toBeNull();
    expect(sd.maxBsonObjectSize).toBe(DEFAULT_MAX_BSON_OBJECT_SIZE);
  });
});

describe('serverDescriptionEquals', () => {
  const hello = { ok: 1, setName: 'rs', secondary: true, hosts: ['a:27017', 'b:27017'], maxWireVersion: 21 };

  it('ignores RTT, lastUpdateTime, lastWriteDate and host order', () => {
    const a = newServerDescription('a', hello, { now: 1, roundTripTime: 1 });
    const b = newServerDescription('a', { ...hello, hosts: ['b:27017', 'a:27017'], lastWrite: { lastWriteDate: new Date() } }, {
      now: 2,
      roundTripTime: 99,
    });
    expect(serverDescriptionEquals(a, b)).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['type', { secondary: false, arbiterOnly: true }],
    ['hosts', { hosts: ['a:27017'] }],
    ['setVersion', { setVersion: 2 }],
    ['tags', { tags: { dc: 'x' } }],
    ['maxWireVersion', { maxWireVersion: 17 }],
    ['electionId', { electionId: new ObjectId() }],
    ['topologyVersion', { topologyVersion: { processId: new ObjectId(), counter: 1 } }],
  ])('notices a different %s', (_field, change) => {
    const a = newServerDescription('a', hello, { now: 1 });
    const b = newServerDescription('a', { ...hello, ...change }, { now: 1 });
    expect(serverDescriptionEquals(a, b)).toBe(false);
  });

  it('compares errors by name and message', () => {
    const a = unknownServerDescription('a', new MongoNetworkError('x'));
    expect(serverDescriptionEquals(a, unknownServerDescription('a', new MongoNetworkError('x')))).toBe(true);
    expect(serverDescriptionEquals(a, unknownServerDescription('a', new MongoNetworkError('y')))).toBe(false);
    expect(serverDescriptionEquals(a, unknownServerDescription('a'))).toBe(false);
  });
});

describe('compareTopologyVersion', () => {
  const p1 = new ObjectId('000000000000000000000001');
  const p2 = new ObjectId('000000000000000000000002');
  it.each([
    ['null current', null, { processId: p1, counter: 1n }, -1],
    ['null new', { processId: p1, counter: 1n }, null, -1],
    ['other process', { processId: p1, counter: 5n }, { processId: p2, counter: 1n }, -1],
    ['older', { processId: p1, counter: 1n }, { processId: p1, counter: 2n }, -1],
    ['equal', { processId: p1, counter: 2n }, { processId: p1, counter: 2n }, 0],
    ['newer', { processId: p1, counter: 3n }, { processId: p1, counter: 2n }, 1],
  ] as const)('%s', (_name, a, b, expected) => {
    expect(compareTopologyVersion(a, b)).toBe(expected);
  });
});
