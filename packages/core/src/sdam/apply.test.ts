import { ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import { IgnoredReason, applyServerDescription, logicalSessionTimeoutMinutes } from './apply.js';
import { ServerType, newServerDescription, unknownServerDescription } from './server-description.js';
import {
  MAX_SUPPORTED_WIRE_VERSION,
  MIN_SUPPORTED_WIRE_VERSION,
  TopologyType,
  newTopologyDescription,
  type NewTopologyDescriptionOptions,
  type TopologyDescription,
} from './topology-description.js';

const base = { heartbeatFrequencyMS: 10_000, localThresholdMS: 15 };
const td0 = (o: Partial<NewTopologyDescriptionOptions> & { seeds: string[] }): TopologyDescription =>
  newTopologyDescription({ ...base, ...o });
const apply = (td: TopologyDescription, address: string, hello: Document) =>
  applyServerDescription(td, newServerDescription(address, hello, { now: 1, roundTripTime: 1 }));

const rs = (extra: Document): Document => ({ ok: 1, setName: 'rs', minWireVersion: 0, maxWireVersion: 21, ...extra });

describe('newTopologyDescription', () => {
  it.each<[string, Partial<NewTopologyDescriptionOptions> & { seeds: string[] }, TopologyType]>([
    ['one seed', { seeds: ['a'] }, TopologyType.Unknown],
    ['many seeds', { seeds: ['a', 'b'] }, TopologyType.Unknown],
    ['directConnection', { seeds: ['a'], directConnection: true }, TopologyType.Single],
    ['directConnection + replicaSet', { seeds: ['a'], directConnection: true, setName: 'rs' }, TopologyType.Single],
    ['replicaSet', { seeds: ['a', 'b'], setName: 'rs' }, TopologyType.ReplicaSetNoPrimary],
    ['loadBalanced', { seeds: ['a'], loadBalanced: true }, TopologyType.LoadBalanced],
  ])('%s', (_name, options, type) => {
    const td = td0(options);
    expect(td.type).toBe(type);
    expect([...td.servers.values()].every((s) => s.type === ServerType.Unknown)).toBe(true);
    expect(td.compatible).toBe(true);
  });

  it('normalizes and de-duplicates seeds', () => {
    const td = td0({ seeds: ['A', 'a:27017', '[::1]'] });
    expect([...td.servers.keys()]).toEqual(['a:27017', '[::1]:27017']);
  });

  it.each<[string, Partial<NewTopologyDescriptionOptions> & { seeds: string[] }]>([
    ['directConnection with two seeds', { seeds: ['a', 'b'], directConnection: true }],
    ['loadBalanced with replicaSet', { seeds: ['a'], loadBalanced: true, setName: 'rs' }],
    ['loadBalanced with directConnection', { seeds: ['a'], loadBalanced: true, directConnection: true }],
    ['loadBalanced with two seeds', { seeds: ['a', 'b'], loadBalanced: true }],
  ])('rejects %s', (_name, options) => {
    expect(() => td0(options)).toThrow(MongoInvalidArgumentError);
  });
});

describe('applyServerDescription', () => {
  it('returns the same snapshot for a server not in the topology', () => {
    const td = td0({ seeds: ['a'], setName: 'rs' });
    const r = apply(td, 'z', rs({ secondary: true, hosts: ['z:27017'] }));
    expect(r.ignored).toBe(IgnoredReason.NotInTopology);
    expect(r.topologyDescription).toBe(td);
  });

  it('ignores a reply with an older topologyVersion', () => {
    const processId = new ObjectId();
    let td = td0({ seeds: ['a'], setName: 'rs' });
    td = apply(td, 'a', rs({ isWritablePrimary: true, hosts: ['a:27017'], topologyVersion: { processId, counter: 5 } })).topologyDescription;
    const r = apply(td, 'a', rs({ secondary: true, hosts: ['a:27017'], topologyVersion: { processId, counter: 4 } }));
    expect(r.ignored).toBe(IgnoredReason.StaleTopologyVersion);
    expect(r.topologyDescription).toBe(td);
  });

  it('never modifies its input', () => {
    const td = td0({ seeds: ['a', 'b'], setName: 'rs' });
    const before = new Map(td.servers);
    const r = apply(td, 'a', rs({ isWritablePrimary: true, hosts: ['a:27017', 'c:27017'] }));
    expect(td.servers).toEqual(before);
    expect(td.type).toBe(TopologyType.ReplicaSetNoPrimary);
    expect(r.topologyDescription).not.toBe(td);
    expect(Object.isFrozen(r.topologyDescription)).toBe(true);
  });

  it('discovers a hidden seed as RSOther, then drops it when the primary does not list it', () => {
    let td = td0({ seeds: ['h'] });
    td = apply(td, 'h', rs({ hidden: true, secondary: true, hosts: ['a:27017'], primary: 'a:27017' })).topologyDescription;
    expect(td.type).toBe(TopologyType.ReplicaSetNoPrimary);
    expect(td.servers.get('h:27017')?.type).toBe(ServerType.RSOther);
    expect(td.servers.get('a:27017')?.type).toBe(ServerType.PossiblePrimary);
    td = apply(td, 'a', rs({ isWritablePrimary: true, hosts: ['a:27017'] })).topologyDescription;
    expect(td.type).toBe(TopologyType.ReplicaSetWithPrimary);
    expect([...td.servers.keys()]).toEqual(['a:27017']);
  });

  it('keeps an arbiter and monitors the arbiters a primary reports', () => {
    let td = td0({ seeds: ['a'], setName: 'rs' });
    td = apply(td, 'a', rs({ isWritablePrimary: true, hosts: ['a:27017'], arbiters: ['ARB:27017'] })).topologyDescription;
    expect(td.servers.get('arb:27017')?.type).toBe(ServerType.Unknown);
    td = apply(td, 'arb', rs({ arbiterOnly: true, hosts: ['a:27017'], arbiters: ['arb:27017'] })).topologyDescription;
    expect(td.servers.get('arb:27017')?.type).toBe(ServerType.RSArbiter);
    expect(td.type).toBe(TopologyType.ReplicaSetWithPrimary);
    // An arbiter is not data-bearing: it does not make the session timeout null.
    expect(td.logicalSessionTimeoutMinutes).toBeNull();
  });

  it('handles IPv6 members case-insensitively', () => {
    let td = td0({ seeds: ['[FE80::1]:27017'], setName: 'rs' });
    td = apply(td, '[fe80::1]', rs({ isWritablePrimary: true, me: '[FE80::1]:27017', hosts: ['[FE80::1]:27017', '[FE80::2]:27017'] }))
      .topologyDescription;
    expect([...td.servers.keys()]).toEqual(['[fe80::1]:27017', '[fe80::2]:27017']);
    expect(td.type).toBe(TopologyType.ReplicaSetWithPrimary);
  });

  it('invalidates an old primary and asks to clear its pool only if it is older than 4.2', () => {
    const cases = [
      { oldWire: 7, clearPool: true },
      { oldWire: 8, clearPool: false },
    ];
    for (const { oldWire, clearPool } of cases) {
      let td = td0({ seeds: ['a', 'b'], setName: 'rs' });
      td = apply(td, 'a', rs({ isWritablePrimary: true, hosts: ['a:27017', 'b:27017'], maxWireVersion: oldWire })).topologyDescription;
      const r = apply(td, 'b', rs({ isWritablePrimary: true, hosts: ['a:27017', 'b:27017'], maxWireVersion: oldWire }));
      expect(r.invalidatedPrimaries).toEqual([{ address: 'a:27017', clearPool }]);
      expect(r.topologyDescription.servers.get('a:27017')?.type).toBe(ServerType.Unknown);
      expect(r.topologyDescription.servers.get('a:27017')?.error?.message).toContain('primary marked stale');
    }
  });

  it('in Single mode with a replicaSet, replaces a member of another set by Unknown', () => {
    const td = td0({ seeds: ['a'], directConnection: true, setName: 'rs' });
    const r = apply(td, 'a', { ...rs({ isWritablePrimary: true, hosts: ['a:27017'] }), setName: 'other' });
    expect(r.topologyDescription.type).toBe(TopologyType.Single);
    expect(r.topologyDescription.servers.get('a:27017')?.type).toBe(ServerType.Unknown);
    expect(r.topologyDescription.servers.get('a:27017')?.error).not.toBeNull();
  });

  it('removes a standalone among several seeds, keeps the topology Unknown', () => {
    const td = td0({ seeds: ['a', 'b'] });
    const r = apply(td, 'a', { ok: 1, isWritablePrimary: true, maxWireVersion: 21 });
    expect(r.topologyDescription.type).toBe(TopologyType.Unknown);
    expect([...r.topologyDescription.servers.keys()]).toEqual(['b:27017']);
  });

  it('flags an incompatible server with the spec message', () => {
    const td = td0({ seeds: ['a'], directConnection: true });
    const tooNew = apply(td, 'a', { ok: 1, isWritablePrimary: true, minWireVersion: MAX_SUPPORTED_WIRE_VERSION + 1, maxWireVersion: 99 });
    expect(tooNew.topologyDescription.compatible).toBe(false);
    expect(tooNew.topologyDescription.compatibilityError).toMatch(/a:27017 requires wire version/);
    const tooOld = apply(td, 'a', { ok: 1, isWritablePrimary: true, maxWireVersion: MIN_SUPPORTED_WIRE_VERSION - 1 });
    expect(tooOld.topologyDescription.compatibilityError).toMatch(/reports wire version 5, but .* requires at least 6/);
  });
});

describe('logicalSessionTimeoutMinutes', () => {
  const sd = (address: string, hello: Document) => newServerDescription(address, hello, { now: 0 });
  it('is the minimum over data-bearing servers, null if any has none', () => {
    const servers = new Map([
      ['a:27017', sd('a', rs({ isWritablePrimary: true, logicalSessionTimeoutMinutes: 30 }))],
      ['b:27017', sd('b', rs({ secondary: true, logicalSessionTimeoutMinutes: 10 }))],
      ['c:27017', sd('c', rs({ arbiterOnly: true }))],
      ['d:27017', unknownServerDescription('d')],
    ]);
    expect(logicalSessionTimeoutMinutes(servers)).toBe(10);
    servers.set('e:27017', sd('e', rs({ secondary: true })));
    expect(logicalSessionTimeoutMinutes(servers)).toBeNull();
    expect(logicalSessionTimeoutMinutes(new Map())).toBeNull();
  });
});
