import { describe, expect, it } from 'vitest';
import { MongoInvalidArgumentError } from '../errors.js';
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import { TopologyType } from '../sdam/topology-description.js';
import { descriptionIndex, readPreferenceKey } from './description-index.js';
import { ReadPreference, type ReadPreferenceMode, type TagSet } from './read-preference.js';
import { findSuitableServers, selectServers } from './select-servers.js';
import { latencyWindowSelector } from './selectors.js';
import { makeServerDescription as sd, makeTopologyDescription as topo } from '../../test/support/selection-fixtures.js';

const addrs = (servers: readonly ServerDescription[]): string[] => servers.map((s) => s.address);
const read = (readPreference: ReadPreference) => ({ operation: 'read' as const, readPreference });

const primary = sd({ address: 'a:27017', type: ServerType.RSPrimary, roundTripTime: 5, tags: { dc: 'ny' } });
const secNy = sd({ address: 'b:27017', type: ServerType.RSSecondary, roundTripTime: 8, tags: { dc: 'ny' } });
const secSf = sd({ address: 'c:27017', type: ServerType.RSSecondary, roundTripTime: 30, tags: { dc: 'sf' } });
const rs = topo(TopologyType.ReplicaSetWithPrimary, [primary, secNy, secSf]);

describe('description index', () => {
  const modes: ReadPreferenceMode[] = ['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'];
  it.each(modes)('the memoized selection (%s) equals the step-by-step one, on every call', (mode) => {
    const tagLists: Array<TagSet[] | undefined> = mode === 'primary' ? [undefined] : [undefined, [{ dc: 'sf' }], [{ dc: 'tokyo' }, {}]];
    for (const tags of tagLists) {
      const criteria = read(new ReadPreference(mode, tags));
      const stepByStep = addrs(latencyWindowSelector()(rs, findSuitableServers(rs, criteria)));
      expect(addrs(selectServers(rs, criteria))).toEqual(stepByStep);
      expect(addrs(selectServers(rs, criteria))).toEqual(stepByStep);
    }
  });

  it('a new description object gets its own answer', () => {
    const criteria = read(ReadPreference.secondary);
    expect(addrs(selectServers(rs, criteria))).toEqual(['b:27017']);
    const secNyGone = topo(TopologyType.ReplicaSetWithPrimary, [primary, sd({ address: 'b:27017', type: ServerType.Unknown }), secSf]);
    expect(addrs(selectServers(secNyGone, criteria))).toEqual(['c:27017']);
    expect(descriptionIndex(secNyGone)).not.toBe(descriptionIndex(rs));
    expect(descriptionIndex(rs)).toBe(descriptionIndex(rs));
  });

  it('a caller changing the returned array does not change the next answer', () => {
    const criteria = read(ReadPreference.nearest);
    const first = selectServers(rs, criteria);
    first.length = 0;
    expect(addrs(selectServers(rs, criteria))).toEqual(['a:27017', 'b:27017']);
  });

  it('invalid criteria throw on every call, not only the first', () => {
    const criteria = read(new ReadPreference('secondary', undefined, { maxStalenessSeconds: 30 }));
    expect(() => selectServers(rs, criteria)).toThrow(MongoInvalidArgumentError);
    expect(() => selectServers(rs, criteria)).toThrow(MongoInvalidArgumentError);
  });

  it('read preferences that select alike share a key; different ones do not', () => {
    expect(readPreferenceKey(new ReadPreference('secondary', [{ dc: 'ny' }]))).toBe(readPreferenceKey(new ReadPreference('secondary', [{ dc: 'ny' }])));
    const keys = [
      new ReadPreference('secondary', [{ dc: 'ny' }, { dc: 'sf' }]),
      new ReadPreference('secondary', [{ dc: 'sf' }, { dc: 'ny' }]),
      new ReadPreference('secondary', [{ dc: 'ny' }]),
      new ReadPreference('secondary', [{}]),
      new ReadPreference('secondary'),
      new ReadPreference('nearest'),
      new ReadPreference('secondary', undefined, { maxStalenessSeconds: 120 }),
    ].map(readPreferenceKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('finds the primary only in ReplicaSetWithPrimary, and the newest secondary write', () => {
    expect(descriptionIndex(rs).primary).toBe(primary);
    const noPrimary = topo(TopologyType.ReplicaSetNoPrimary, [
      sd({ address: 'b:27017', type: ServerType.RSSecondary, lastWriteDate: 1000 }),
      sd({ address: 'c:27017', type: ServerType.RSSecondary, lastWriteDate: 3000 }),
    ]);
    expect(descriptionIndex(noPrimary).primary).toBeUndefined();
    expect(descriptionIndex(noPrimary).maxSecondaryLastWriteDate).toBe(3000);
  });
});
