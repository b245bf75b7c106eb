import { describe, expect, it } from 'vitest';
import { ServerType } from '../sdam/server-description.js';
import { TopologyType } from '../sdam/topology-description.js';
import { explainNoSuitableServer, formatTags, formatTagSets } from './explain.js';
import { ReadPreference } from './read-preference.js';
import { makeServerDescription as sd, makeTopologyDescription as topo } from '../../test/support/selection-fixtures.js';

const primary = sd({ address: 'a:27017', type: ServerType.RSPrimary, roundTripTime: 5, tags: { dc: 'ny' } });
const sec = sd({ address: 'b:27017', type: ServerType.RSSecondary, roundTripTime: 12.34, tags: { dc: 'ny' } });
const down = sd({ address: 'c:27017', type: ServerType.Unknown, error: new Error('connection refused') });
const rs = topo(TopologyType.ReplicaSetWithPrimary, [primary, sec, down], { setName: 'rs0' });
const members = "members: a:27017 RSPrimary {dc:'ny'} 5ms, b:27017 RSSecondary {dc:'ny'} 12.3ms, c:27017 Unknown (connection refused)";

describe('format helpers', () => {
  it('formats tags and tag sets compactly', () => {
    expect(formatTags({})).toBe('{}');
    expect(formatTags({ dc: 'ny', rack: '2' })).toBe("{dc:'ny',rack:'2'}");
    expect(formatTags({ 'data-center': "o'hare" })).toBe("{'data-center':'o\\'hare'}");
    expect(formatTagSets([{ dc: 'ny' }, { dc: 'sf' }, {}])).toBe("[{dc:'ny'},{dc:'sf'},{}]");
  });
});

describe('explainNoSuitableServer', () => {
  it('names the tag sets no secondary matches', () => {
    const rp = new ReadPreference('secondary', [{ dc: 'sf' }, { dc: 'la' }]);
    expect(explainNoSuitableServer(rs, { operation: 'read', readPreference: rp }))
      .toBe(`no secondary matches tag sets [{dc:'sf'},{dc:'la'}]; ${members}`);
  });

  it('nearest says primary or secondary', () => {
    const rp = new ReadPreference('nearest', [{ dc: 'sf' }]);
    expect(explainNoSuitableServer(rs, { operation: 'read', readPreference: rp }))
      .toMatch(/^no primary or secondary matches tag sets \[\{dc:'sf'\}\]; members: /);
  });

  it('primary reads and writes without a primary', () => {
    const noPrimary = topo(TopologyType.ReplicaSetNoPrimary, [sec, down], { setName: 'rs0' });
    expect(explainNoSuitableServer(noPrimary, { operation: 'read' }))
      .toMatch(/^read preference primary needs a primary, but replica set 'rs0' has no primary; members: b:27017/);
    expect(explainNoSuitableServer(noPrimary, { operation: 'write' }))
      .toMatch(/^a write needs a primary, but replica set 'rs0' has no primary; /);
  });

  it('primaryPreferred and secondaryPreferred name both halves', () => {
    const noPrimary = topo(TopologyType.ReplicaSetNoPrimary, [sec], { setName: 'rs0' });
    expect(explainNoSuitableServer(noPrimary, { operation: 'read', readPreference: new ReadPreference('primaryPreferred', [{ dc: 'x' }]) }))
      .toMatch(/^replica set 'rs0' has no primary, and no secondary matches tag sets \[\{dc:'x'\}\]; /);
    expect(explainNoSuitableServer(noPrimary, { operation: 'read', readPreference: new ReadPreference('secondaryPreferred', [{ dc: 'x' }]) }))
      .toMatch(/^no secondary matches tag sets \[\{dc:'x'\}\], and replica set 'rs0' has no primary; /);
  });

  it('no secondary at all', () => {
    const onlyPrimary = topo(TopologyType.ReplicaSetWithPrimary, [primary, down]);
    expect(explainNoSuitableServer(onlyPrimary, { operation: 'read', readPreference: ReadPreference.secondary }))
      .toMatch(/^no secondary is available; members: /);
  });

  it('max staleness, with the estimates', () => {
    const p = sd({ address: 'p:1', type: ServerType.RSPrimary, lastWriteDate: 500_000 });
    const s = sd({ address: 's:1', type: ServerType.RSSecondary, lastWriteDate: 100_000 });
    const td = topo(TopologyType.ReplicaSetWithPrimary, [p, s]);
    const rp = new ReadPreference('secondary', undefined, { maxStalenessSeconds: 120 });
    expect(explainNoSuitableServer(td, { operation: 'read', readPreference: rp }))
      .toMatch(/^no secondary is within maxStalenessSeconds=120 \(estimated staleness: s:1 410s\); /);
  });

  it('invalid criteria explain the validation error', () => {
    const rp = new ReadPreference('secondary', undefined, { maxStalenessSeconds: 30 });
    expect(explainNoSuitableServer(rs, { operation: 'read', readPreference: rp })).toMatch(/maxStalenessSeconds must be at least/);
  });

  it('other topology types', () => {
    expect(explainNoSuitableServer(topo(TopologyType.Unknown, [sd({ address: 'g:1', type: ServerType.RSGhost })]), { operation: 'read' }))
      .toBe('topology type is Unknown: no server is suitable until the deployment type is discovered; members: g:1 RSGhost 0ms');
    expect(explainNoSuitableServer(topo(TopologyType.Single, [down]), { operation: 'write' }))
      .toMatch(/^the single server c:27017 is not available \(Unknown: connection refused\); /);
    expect(explainNoSuitableServer(topo(TopologyType.Sharded, [down]), { operation: 'write' })).toMatch(/^no mongos is available for a write; /);
    expect(explainNoSuitableServer(topo(TopologyType.LoadBalanced, []), { operation: 'read' })).toBe('no load balancer is available; no servers known');
  });

  it('says so when servers are suitable after all', () => {
    expect(explainNoSuitableServer(rs, { operation: 'write' })).toMatch(/^1 suitable server\(s\): a:27017; /);
  });
});
