import { describe, expect, it } from 'vitest';
import { ServerType } from '../sdam/server-description.js';
import { TopologyType } from '../sdam/topology-description.js';
import { ReadPreference } from './read-preference.js';
import { readPreferenceForCommand, secondaryOkForQuery } from './read-preference-for-command.js';

const tagged = new ReadPreference('secondary', [{ dc: 'ny' }], { maxStalenessSeconds: 120 });
const rpf = (topology: TopologyType, server: ServerType, rp: ReadPreference | undefined) =>
  readPreferenceForCommand({ type: topology }, { type: server }, rp);

describe('readPreferenceForCommand', () => {
  it.each([TopologyType.Sharded, TopologyType.LoadBalanced])('%s: none for primary, the document otherwise', (t) => {
    const server = t === TopologyType.Sharded ? ServerType.Mongos : ServerType.LoadBalancer;
    expect(rpf(t, server, undefined)).toBeUndefined();
    expect(rpf(t, server, ReadPreference.primary)).toBeUndefined();
    expect(rpf(t, server, ReadPreference.secondaryPreferred)).toEqual({ mode: 'secondaryPreferred' });
    expect(rpf(t, server, ReadPreference.nearest)).toEqual({ mode: 'nearest' });
    expect(rpf(t, server, tagged)).toEqual({ mode: 'secondary', tags: [{ dc: 'ny' }], maxStalenessSeconds: 120 });
  });

  it.each([TopologyType.ReplicaSetWithPrimary, TopologyType.ReplicaSetNoPrimary])('%s: set for non-primary modes', (t) => {
    expect(rpf(t, ServerType.RSPrimary, undefined)).toBeUndefined();
    expect(rpf(t, ServerType.RSPrimary, ReadPreference.primary)).toBeUndefined();
    expect(rpf(t, ServerType.RSPrimary, ReadPreference.primaryPreferred)).toEqual({ mode: 'primaryPreferred' });
    expect(rpf(t, ServerType.RSSecondary, tagged)).toEqual(tagged.toJSON());
  });

  it('Single standalone: never', () => {
    expect(rpf(TopologyType.Single, ServerType.Standalone, undefined)).toBeUndefined();
    expect(rpf(TopologyType.Single, ServerType.Standalone, tagged)).toBeUndefined();
  });

  it('Single mongos: the mongos rules', () => {
    expect(rpf(TopologyType.Single, ServerType.Mongos, ReadPreference.primary)).toBeUndefined();
    expect(rpf(TopologyType.Single, ServerType.Mongos, tagged)).toEqual(tagged.toJSON());
  });

  it.each([ServerType.RSSecondary, ServerType.RSPrimary, ServerType.RSArbiter, ServerType.RSOther, ServerType.RSGhost])(
    'Single %s: primaryPreferred for unset/primary so the server accepts it',
    (server) => {
      expect(rpf(TopologyType.Single, server, undefined)).toEqual({ mode: 'primaryPreferred' });
      expect(rpf(TopologyType.Single, server, ReadPreference.primary)).toEqual({ mode: 'primaryPreferred' });
      expect(rpf(TopologyType.Single, server, ReadPreference.nearest)).toEqual({ mode: 'nearest' });
    },
  );

  it('Unknown topology: by server type, no direct-connection upgrade', () => {
    expect(rpf(TopologyType.Unknown, ServerType.Mongos, ReadPreference.secondary)).toEqual({ mode: 'secondary' });
    expect(rpf(TopologyType.Unknown, ServerType.Standalone, ReadPreference.secondary)).toBeUndefined();
    expect(rpf(TopologyType.Unknown, ServerType.RSSecondary, undefined)).toBeUndefined();
  });
});

describe('secondaryOkForQuery', () => {
  it('follows the OP_QUERY rules', () => {
    const q = (t: TopologyType, s: ServerType, rp?: ReadPreference) => secondaryOkForQuery({ type: t }, { type: s }, rp);
    expect(q(TopologyType.Sharded, ServerType.Mongos, ReadPreference.primary)).toBe(false);
    expect(q(TopologyType.Sharded, ServerType.Mongos, ReadPreference.secondaryPreferred)).toBe(true);
    expect(q(TopologyType.Single, ServerType.RSSecondary)).toBe(true);
    expect(q(TopologyType.Single, ServerType.Standalone)).toBe(false);
    expect(q(TopologyType.Single, ServerType.Mongos)).toBe(false);
    expect(q(TopologyType.ReplicaSetWithPrimary, ServerType.RSSecondary, ReadPreference.nearest)).toBe(true);
    expect(q(TopologyType.ReplicaSetWithPrimary, ServerType.RSPrimary)).toBe(false);
  });
});
