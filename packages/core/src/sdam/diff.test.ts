import { describe, expect, it } from 'vitest';
import { applyServerDescription } from './apply.js';
import { SdamEventType, diffTopologyDescriptions, emptyTopologyDescription } from './diff.js';
import { newServerDescription } from './server-description.js';
import { newTopologyDescription } from './topology-description.js';

const settings = { heartbeatFrequencyMS: 10_000, localThresholdMS: 15 };
const hello = { ok: 1, setName: 'rs', maxWireVersion: 21 };

describe('diffTopologyDescriptions', () => {
  it('announces a new topology: description changed, then one opening per seed', () => {
    const td = newTopologyDescription({ seeds: ['a', 'b'], ...settings });
    const diff = diffTopologyDescriptions(emptyTopologyDescription(td), td);
    expect(diff.added).toEqual(['a:27017', 'b:27017']);
    expect(diff.events.map((e) => e.type)).toEqual([
      SdamEventType.topologyDescriptionChanged,
      SdamEventType.serverOpening,
      SdamEventType.serverOpening,
    ]);
  });

  it('orders changed, closed, topology changed, opened', () => {
    const td = newTopologyDescription({ seeds: ['a', 'b'], setName: 'rs', ...settings });
    const next = applyServerDescription(
      td,
      newServerDescription('a', { ...hello, isWritablePrimary: true, hosts: ['a:27017', 'c:27017'] }, { now: 1 }),
    ).topologyDescription;
    const diff = diffTopologyDescriptions(td, next);
    expect(diff.changed.map((c) => c.address)).toEqual(['a:27017']);
    expect(diff.removed).toEqual(['b:27017']);
    expect(diff.added).toEqual(['c:27017']);
    expect(diff.events.map((e) => e.type)).toEqual([
      SdamEventType.serverDescriptionChanged,
      SdamEventType.serverClosed,
      SdamEventType.topologyDescriptionChanged,
      SdamEventType.serverOpening,
    ]);
  });

  it('reports nothing for an equal description (only RTT changed)', () => {
    const td = newTopologyDescription({ seeds: ['a'], directConnection: true, ...settings });
    const standalone = { ok: 1, isWritablePrimary: true, maxWireVersion: 21 };
    const one = applyServerDescription(td, newServerDescription('a', standalone, { now: 1, roundTripTime: 1 })).topologyDescription;
    const two = applyServerDescription(one, newServerDescription('a', standalone, { now: 2, roundTripTime: 9 })).topologyDescription;
    expect(two).not.toBe(one);
    const diff = diffTopologyDescriptions(one, two);
    expect(diff.topologyChanged).toBe(false);
    expect(diff.events).toEqual([]);
  });

  it('does not report Unknown -> PossiblePrimary as a server change', () => {
    const td = newTopologyDescription({ seeds: ['a', 'b'], ...settings });
    const next = applyServerDescription(
      td,
      newServerDescription('a', { ...hello, secondary: true, hosts: ['a:27017', 'b:27017'], primary: 'b:27017' }, { now: 1 }),
    ).topologyDescription;
    const diff = diffTopologyDescriptions(td, next);
    expect(diff.changed.map((c) => c.address)).toEqual(['a:27017']);
    expect(diff.topologyChanged).toBe(true);
  });
});
