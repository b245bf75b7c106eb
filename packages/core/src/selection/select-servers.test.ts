import { describe, expect, it } from 'vitest';
import { MongoCompatibilityError, MongoInvalidArgumentError } from '../errors.js';
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import { TopologyType } from '../sdam/topology-description.js';
import { ReadPreference, type TagSet } from './read-preference.js';
import { findSuitableServers, pickServer, selectServers } from './select-servers.js';
import { latencyWindowSelector, stalenessMS, tagSetMatches, tagSetsSelector } from './selectors.js';
import { makeServerDescription as sd, makeTopologyDescription as topo } from '../../test/support/selection-fixtures.js';

const addrs = (servers: readonly ServerDescription[]): string[] => servers.map((s) => s.address).sort();
const read = (readPreference?: ReadPreference, deprioritized?: string[]) => ({ operation: 'read' as const, readPreference, deprioritized });
const write = (deprioritized?: string[]) => ({ operation: 'write' as const, deprioritized });

const primary = sd({ address: 'a:27017', type: ServerType.RSPrimary, roundTripTime: 5, tags: { dc: 'ny' } });
const secNy = sd({ address: 'b:27017', type: ServerType.RSSecondary, roundTripTime: 5, tags: { dc: 'ny', rack: '1' } });
const secSf = sd({ address: 'c:27017', type: ServerType.RSSecondary, roundTripTime: 5, tags: { dc: 'sf' } });
const secLa = sd({ address: 'd:27017', type: ServerType.RSSecondary, roundTripTime: 5, tags: { dc: 'la' } });
const rs = topo(TopologyType.ReplicaSetWithPrimary, [primary, secNy, secSf, secLa]);

describe('tag sets', () => {
  it('subset matching', () => {
    expect(tagSetMatches({}, {})).toBe(true);
    expect(tagSetMatches({ dc: 'ny' }, { dc: 'ny', rack: '1' })).toBe(true);
    expect(tagSetMatches({ dc: 'ny', rack: '2' }, { dc: 'ny', rack: '1' })).toBe(false);
    expect(tagSetMatches({ dc: 'ny' }, {})).toBe(false);
  });

  it.each<{ tags: TagSet[]; expected: string[] }>([
    { tags: [{ dc: 'ny' }, { dc: 'sf' }], expected: ['b:27017'] },
    { tags: [{ dc: 'tokyo' }, { dc: 'sf' }, { dc: 'ny' }], expected: ['c:27017'] },
    { tags: [{ dc: 'tokyo' }, { dc: 'paris' }], expected: [] },
    { tags: [{ dc: 'tokyo' }, {}], expected: ['b:27017', 'c:27017', 'd:27017'] },
    { tags: [{ dc: 'ny', rack: '1' }, { dc: 'la' }], expected: ['b:27017'] },
    { tags: [{ dc: 'ny', rack: '2' }, { dc: 'la' }], expected: ['d:27017'] },
  ])('secondary with $tags tries the sets in order', ({ tags, expected }) => {
    expect(addrs(selectServers(rs, read(new ReadPreference('secondary', tags))))).toEqual(expected);
  });

  it('an empty list keeps every candidate', () => {
    expect(tagSetsSelector([])(rs, [secNy, secSf])).toHaveLength(2);
    expect(tagSetsSelector(undefined)(rs, [secNy, secSf])).toHaveLength(2);
  });

  it('secondaryPreferred falls back to the primary when no tag set matches', () => {
    const rp = new ReadPreference('secondaryPreferred', [{ dc: 'tokyo' }]);
    expect(addrs(selectServers(rs, read(rp)))).toEqual(['a:27017']);
  });

  it('nearest considers the primary for tags too', () => {
    const rp = new ReadPreference('nearest', [{ dc: 'ny' }]);
    expect(addrs(selectServers(rs, read(rp)))).toEqual(['a:27017', 'b:27017']);
  });
});

describe('latency window', () => {
  const mongoses = [20, 35, 40].map((rtt, i) => sd({ address: `m${i}:27017`, type: ServerType.Mongos, roundTripTime: rtt }));
  it.each([
    { localThresholdMS: 15, expected: ['m0:27017', 'm1:27017'] },
    { localThresholdMS: 30, expected: ['m0:27017', 'm1:27017', 'm2:27017'] },
    { localThresholdMS: 0, expected: ['m0:27017'] },
  ])('mongoses at 20/35/40 ms with localThresholdMS $localThresholdMS', ({ localThresholdMS, expected }) => {
    const td = topo(TopologyType.Sharded, mongoses, { localThresholdMS });
    expect(addrs(selectServers(td, read(ReadPreference.nearest)))).toEqual(expected);
    expect(addrs(selectServers(td, write()))).toEqual(expected);
  });

  it('nearest replica-set members at 20/35/40 ms', () => {
    const members = [
      sd({ address: 'p:1', type: ServerType.RSPrimary, roundTripTime: 40 }),
      sd({ address: 's:1', type: ServerType.RSSecondary, roundTripTime: 20 }),
      sd({ address: 's:2', type: ServerType.RSSecondary, roundTripTime: 35 }),
    ];
    expect(addrs(selectServers(topo(TopologyType.ReplicaSetWithPrimary, members), read(ReadPreference.nearest)))).toEqual(['s:1', 's:2']);
    expect(addrs(selectServers(topo(TopologyType.ReplicaSetWithPrimary, members, { localThresholdMS: 30 }), read(ReadPreference.nearest))))
      .toEqual(['p:1', 's:1', 's:2']);
  });

  it('an explicit threshold overrides the topology one', () => {
    const td = topo(TopologyType.Sharded, mongoses, { localThresholdMS: 15 });
    expect(latencyWindowSelector(30)(td, mongoses)).toHaveLength(3);
  });
});

describe('topology types and operations', () => {
  it('Unknown: nothing', () => {
    const td = topo(TopologyType.Unknown, [sd({ address: 'a:1', type: ServerType.RSGhost })]);
    expect(selectServers(td, read())).toEqual([]);
    expect(selectServers(td, write())).toEqual([]);
  });

  it('Single: the server whatever its type, if available', () => {
    const sec = sd({ address: 'a:1', type: ServerType.RSSecondary, tags: { dc: 'x' } });
    const td = topo(TopologyType.Single, [sec]);
    expect(selectServers(td, read(new ReadPreference('secondary', [{ dc: 'nope' }])))).toEqual([sec]);
    expect(selectServers(td, write())).toEqual([sec]);
    expect(selectServers(topo(TopologyType.Single, [sd({ address: 'a:1', type: ServerType.Unknown })]), read())).toEqual([]);
  });

  it('LoadBalanced: the load balancer', () => {
    const lb = sd({ address: 'lb:1', type: ServerType.LoadBalancer, roundTripTime: null });
    const td = topo(TopologyType.LoadBalanced, [lb]);
    expect(selectServers(td, read(ReadPreference.secondary))).toEqual([lb]);
    expect(selectServers(td, write())).toEqual([lb]);
  });

  it('Sharded: mongoses only, read preference ignored', () => {
    const m = sd({ address: 'm:1', type: ServerType.Mongos, roundTripTime: 5 });
    const u = sd({ address: 'u:1', type: ServerType.Unknown });
    const td = topo(TopologyType.Sharded, [m, u]);
    expect(selectServers(td, read(new ReadPreference('secondary', [{ dc: 'nope' }])))).toEqual([m]);
  });

  it('replica set writes go to the primary; none without one', () => {
    expect(addrs(selectServers(rs, write()))).toEqual(['a:27017']);
    const noPrimary = topo(TopologyType.ReplicaSetNoPrimary, [secNy, secSf]);
    expect(selectServers(noPrimary, write())).toEqual([]);
  });

  it.each([
    { mode: 'primary', withPrimary: ['a:27017'], noPrimary: [] },
    { mode: 'primaryPreferred', withPrimary: ['a:27017'], noPrimary: ['b:27017', 'c:27017'] },
    { mode: 'secondary', withPrimary: ['b:27017', 'c:27017', 'd:27017'], noPrimary: ['b:27017', 'c:27017'] },
    { mode: 'secondaryPreferred', withPrimary: ['b:27017', 'c:27017', 'd:27017'], noPrimary: ['b:27017', 'c:27017'] },
    { mode: 'nearest', withPrimary: ['a:27017', 'b:27017', 'c:27017', 'd:27017'], noPrimary: ['b:27017', 'c:27017'] },
  ] as const)('replica set read, mode $mode', ({ mode, withPrimary, noPrimary }) => {
    expect(addrs(selectServers(rs, read(ReadPreference.from(mode))))).toEqual(withPrimary);
    expect(addrs(selectServers(topo(TopologyType.ReplicaSetNoPrimary, [secNy, secSf]), read(ReadPreference.from(mode))))).toEqual(noPrimary);
  });

  it('read without a read preference means primary', () => {
    expect(addrs(selectServers(rs, read()))).toEqual(['a:27017']);
  });

  it('arbiters, ghosts, others and possible primaries are never candidates', () => {
    const td = topo(TopologyType.ReplicaSetNoPrimary, [
      sd({ address: 'x:1', type: ServerType.RSArbiter }),
      sd({ address: 'x:2', type: ServerType.RSGhost }),
      sd({ address: 'x:3', type: ServerType.RSOther }),
      sd({ address: 'x:4', type: ServerType.PossiblePrimary }),
    ]);
    expect(selectServers(td, read(ReadPreference.nearest))).toEqual([]);
  });
});

describe('deprioritized servers', () => {
  it('are avoided when something else is suitable', () => {
    const td = topo(TopologyType.Sharded, [
      sd({ address: 'g:1', type: ServerType.Mongos, roundTripTime: 5 }),
      sd({ address: 'h:1', type: ServerType.Mongos, roundTripTime: 50 }),
    ]);
    expect(addrs(selectServers(td, write(['g:1'])))).toEqual(['h:1']);
    expect(addrs(selectServers(td, read(ReadPreference.primary, ['G:1'])))).toEqual(['h:1']);
  });

  it('are used when nothing else is suitable', () => {
    const td = topo(TopologyType.Sharded, [sd({ address: 'g:1', type: ServerType.Mongos, roundTripTime: 5 })]);
    expect(addrs(selectServers(td, write(['g:1'])))).toEqual(['g:1']);
    expect(addrs(selectServers(rs, write(['a:27017'])))).toEqual(['a:27017']);
  });

  it('a deprioritized primary sends primaryPreferred to the secondaries', () => {
    expect(addrs(selectServers(rs, read(ReadPreference.primaryPreferred, ['a:27017'])))).toEqual(['b:27017', 'c:27017', 'd:27017']);
  });

  it('deprioritized secondaries send secondaryPreferred to the primary', () => {
    expect(addrs(selectServers(rs, read(ReadPreference.secondaryPreferred, ['b:27017', 'c:27017', 'd:27017'])))).toEqual(['a:27017']);
  });

  it('everything deprioritized: selection as if nothing were', () => {
    const all = [...rs.servers.keys()];
    expect(addrs(selectServers(rs, read(ReadPreference.secondaryPreferred, all)))).toEqual(['b:27017', 'c:27017', 'd:27017']);
  });

  it('tag sets are applied to the non-deprioritized servers first', () => {
    const rp = new ReadPreference('secondary', [{ dc: 'ny' }, { dc: 'sf' }]);
    expect(addrs(selectServers(rs, read(rp, ['b:27017'])))).toEqual(['c:27017']);
  });
});

describe('max staleness', () => {
  const hb = 10_000;
  const p = sd({ address: 'p:1', type: ServerType.RSPrimary, lastUpdateTime: 0, lastWriteDate: 200_000, roundTripTime: 5 });
  const fresh = sd({ address: 's:1', type: ServerType.RSSecondary, lastUpdateTime: 0, lastWriteDate: 199_000, roundTripTime: 5 });
  const stale = sd({ address: 's:2', type: ServerType.RSSecondary, lastUpdateTime: 0, lastWriteDate: 50_000, roundTripTime: 5 });

  it('estimates staleness with a primary', () => {
    const td = topo(TopologyType.ReplicaSetWithPrimary, [p, fresh, stale], { heartbeatFrequencyMS: hb });
    expect(stalenessMS(td, fresh)).toBe(1_000 + hb);
    expect(stalenessMS(td, stale)).toBe(150_000 + hb);
    expect(stalenessMS(td, p)).toBe(0);
    const rp = new ReadPreference('secondary', undefined, { maxStalenessSeconds: 90 });
    expect(addrs(selectServers(td, read(rp)))).toEqual(['s:1']);
  });

  it('estimates staleness without a primary against the freshest secondary', () => {
    const td = topo(TopologyType.ReplicaSetNoPrimary, [fresh, stale], { heartbeatFrequencyMS: hb });
    expect(stalenessMS(td, fresh)).toBe(hb);
    expect(stalenessMS(td, stale)).toBe(149_000 + hb);
    const rp = new ReadPreference('nearest', undefined, { maxStalenessSeconds: 158 });
    expect(addrs(selectServers(td, read(rp)))).toEqual(['s:1']);
    const rp2 = new ReadPreference('nearest', undefined, { maxStalenessSeconds: 159 });
    expect(addrs(selectServers(td, read(rp2)))).toEqual(['s:1', 's:2']);
  });

  it('rejects maxStalenessSeconds below 90 on a replica set', () => {
    const td = topo(TopologyType.ReplicaSetWithPrimary, [p, fresh], { heartbeatFrequencyMS: 500 });
    const rp = new ReadPreference('secondary', undefined, { maxStalenessSeconds: 89 });
    expect(() => selectServers(td, read(rp))).toThrow(MongoInvalidArgumentError);
    expect(() => selectServers(td, read(rp))).toThrow(/at least 90 seconds/);
    const zero = new ReadPreference('secondary', undefined, { maxStalenessSeconds: 0 });
    expect(() => selectServers(td, read(zero))).toThrow(MongoInvalidArgumentError);
  });

  it('rejects maxStalenessSeconds below heartbeatFrequencyMS + idleWritePeriodMS', () => {
    const td = topo(TopologyType.ReplicaSetNoPrimary, [fresh], { heartbeatFrequencyMS: 100_000 });
    const rp = new ReadPreference('secondary', undefined, { maxStalenessSeconds: 100 });
    expect(() => selectServers(td, read(rp))).toThrow(MongoInvalidArgumentError);
    expect(() => selectServers(td, read(rp))).toThrow(/110 seconds/);
    const ok = new ReadPreference('secondary', undefined, { maxStalenessSeconds: 110 });
    expect(addrs(selectServers(td, read(ok)))).toEqual(['s:1']);
  });

  it('does not validate for Sharded and Single, nor for writes', () => {
    const rp = new ReadPreference('nearest', undefined, { maxStalenessSeconds: 1 });
    const m = sd({ address: 'm:1', type: ServerType.Mongos });
    expect(selectServers(topo(TopologyType.Sharded, [m]), read(rp))).toEqual([m]);
    expect(selectServers(topo(TopologyType.Single, [m]), read(rp))).toEqual([m]);
    const td = topo(TopologyType.ReplicaSetWithPrimary, [p, fresh]);
    expect(selectServers(td, { operation: 'write', readPreference: rp })).toEqual([p]);
  });

  it('requires wire version 5 on every available server', () => {
    const old = sd({ address: 'o:1', type: ServerType.RSSecondary, maxWireVersion: 4 });
    const td = topo(TopologyType.ReplicaSetWithPrimary, [p, old]);
    const rp = new ReadPreference('secondary', undefined, { maxStalenessSeconds: 120 });
    expect(() => selectServers(td, read(rp))).toThrow(MongoCompatibilityError);
    expect(addrs(selectServers(td, read(ReadPreference.secondary)))).toEqual(['o:1']);
  });

  it('an incompatible topology raises MongoCompatibilityError', () => {
    const td = { ...rs, compatible: false, compatibilityError: 'server too old' };
    expect(() => selectServers(td, read())).toThrow(MongoCompatibilityError);
  });
});

describe('pickServer', () => {
  const s = ['a:1', 'b:1', 'c:1'].map((address) => sd({ address, type: ServerType.Mongos }));
  const counts: Record<string, number> = { 'a:1': 5, 'b:1': 1, 'c:1': 9 };
  const inFlight = (addr: string): number => counts[addr] ?? 0;
  const seq = (...values: number[]) => { let i = 0; return () => values[i++ % values.length]!; };

  it('returns undefined for no candidates and the only one for one', () => {
    expect(pickServer([], inFlight, Math.random)).toBeUndefined();
    expect(pickServer([s[0]!], inFlight, () => { throw new Error('no random needed'); })).toBe(s[0]);
  });

  it('takes the less busy of two distinct random choices', () => {
    // i = floor(0*3) = 0 (a), j = floor(0.99*2) = 1 -> skips i -> 2 (c): a has fewer in flight.
    expect(pickServer(s, inFlight, seq(0, 0.99))?.address).toBe('a:1');
    // i = 2 (c), j = 0 (a) -> a.
    expect(pickServer(s, inFlight, seq(0.9, 0))?.address).toBe('a:1');
    // i = 0 (a), j = 0 -> skips to 1 (b): b has fewer.
    expect(pickServer(s, inFlight, seq(0, 0))?.address).toBe('b:1');
  });

  it('never picks the busiest of three', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let k = 0; k < 500; k++) expect(pickServer(s, inFlight, rnd)?.address).not.toBe('c:1');
  });

  it('stays in range even if random returns 1', () => {
    expect(pickServer(s, inFlight, () => 1)).toBeDefined();
  });
});

describe('findSuitableServers', () => {
  it('returns suitable servers before the latency window', () => {
    const td = topo(TopologyType.Sharded, [
      sd({ address: 'g:1', type: ServerType.Mongos, roundTripTime: 5 }),
      sd({ address: 'h:1', type: ServerType.Mongos, roundTripTime: 500 }),
    ]);
    expect(addrs(findSuitableServers(td, write()))).toEqual(['g:1', 'h:1']);
    expect(addrs(selectServers(td, write()))).toEqual(['g:1']);
  });
});
