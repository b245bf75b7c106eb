import { ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import {
  MongoAuthError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoPoolClearedError,
  MongoServerError,
} from '../errors.js';
import { applyServerDescription } from './apply.js';
import { ApplicationErrorOutcome, handleApplicationError, handleCheckFailure } from './application-errors.js';
import { ServerType, newServerDescription } from './server-description.js';
import { TopologyType, newTopologyDescription, type TopologyDescription } from './topology-description.js';

const processId = new ObjectId('000000000000000000000001');

function primaryTopology(maxWireVersion = 21): TopologyDescription {
  const td = newTopologyDescription({ seeds: ['a'], setName: 'rs', heartbeatFrequencyMS: 10_000, localThresholdMS: 15 });
  return applyServerDescription(
    td,
    newServerDescription('a', {
      ok: 1,
      isWritablePrimary: true,
      setName: 'rs',
      hosts: ['a:27017'],
      maxWireVersion,
      topologyVersion: { processId, counter: 1 },
    }, { now: 0 }),
  ).topologyDescription;
}

const ctx = { address: 'a:27017', generation: 0, poolGeneration: 0 };
const serverError = (code: number, counter?: number) =>
  new MongoServerError({ ok: 0, code, errmsg: 'x', ...(counter === undefined ? {} : { topologyVersion: { processId, counter } }) });

describe('handleApplicationError', () => {
  it.each<[string, unknown, { beforeHandshake?: boolean; maxWireVersion?: number }, ApplicationErrorOutcome, boolean, boolean, ServerType]>([
    ['NotWritablePrimary, 4.2+', serverError(10107), {}, ApplicationErrorOutcome.StateChange, false, true, ServerType.Unknown],
    ['NotWritablePrimary, 4.0', serverError(10107), { maxWireVersion: 7 }, ApplicationErrorOutcome.StateChange, true, true, ServerType.Unknown],
    ['ShutdownInProgress, 4.2+', serverError(91), {}, ApplicationErrorOutcome.StateChange, true, true, ServerType.Unknown],
    ['InterruptedAtShutdown, newer topologyVersion', serverError(11600, 2), {}, ApplicationErrorOutcome.StateChange, true, true, ServerType.Unknown],
    ['state change with equal topologyVersion', serverError(10107, 1), {}, ApplicationErrorOutcome.StaleTopologyVersion, false, false, ServerType.RSPrimary],
    ['legacy "not master" message without code', new MongoServerError({ ok: 0, errmsg: 'not master' }), {}, ApplicationErrorOutcome.StateChange, false, true, ServerType.Unknown],
    ['code wins over message', new MongoServerError({ ok: 0, code: 1, errmsg: 'not master' }), {}, ApplicationErrorOutcome.NoEffect, false, false, ServerType.RSPrimary],
    ['network error', new MongoNetworkError('reset'), {}, ApplicationErrorOutcome.NetworkError, true, false, ServerType.Unknown],
    ['timeout after handshake', new MongoNetworkTimeoutError('slow'), {}, ApplicationErrorOutcome.IgnoredTimeout, false, false, ServerType.RSPrimary],
    ['timeout before handshake, unlabelled', new MongoNetworkTimeoutError('slow', { beforeHandshake: true }), {}, ApplicationErrorOutcome.NetworkError, true, false, ServerType.Unknown],
    [
      'timeout before handshake, SystemOverloadedError',
      new MongoNetworkTimeoutError('slow', { beforeHandshake: true, labels: [MongoErrorLabel.SystemOverloadedError] }),
      {},
      ApplicationErrorOutcome.IgnoredOverloaded,
      false,
      false,
      ServerType.RSPrimary,
    ],
    ['auth error before handshake', new MongoAuthError('bad password'), { beforeHandshake: true }, ApplicationErrorOutcome.NetworkError, true, false, ServerType.Unknown],
    ['pool cleared error', new MongoPoolClearedError('cleared'), {}, ApplicationErrorOutcome.NoEffect, false, false, ServerType.RSPrimary],
    ['plain command error', serverError(2), {}, ApplicationErrorOutcome.NoEffect, false, false, ServerType.RSPrimary],
  ])('%s', (_name, error, extra, outcome, clearPool, requestImmediateCheck, type) => {
    const td = primaryTopology();
    const r = handleApplicationError(td, { ...ctx, error, ...extra });
    expect(r.outcome).toBe(outcome);
    expect(r.clearPool).toBe(clearPool);
    expect(r.requestImmediateCheck).toBe(requestImmediateCheck);
    expect(r.interruptInUseConnections).toBe(false);
    expect(r.topologyDescription.servers.get('a:27017')?.type).toBe(type);
    if (type === ServerType.RSPrimary) expect(r.topologyDescription).toBe(td);
    else expect(r.topologyDescription.type).toBe(TopologyType.ReplicaSetNoPrimary);
  });

  it('stores the error topologyVersion on the Unknown description', () => {
    const r = handleApplicationError(primaryTopology(), { ...ctx, error: serverError(11602, 5) });
    const sd = r.topologyDescription.servers.get('a:27017')!;
    expect(sd.topologyVersion?.counter).toBe(5n);
    expect(sd.error?.message).toBe('x');
  });

  it('ignores an error from an older connection generation', () => {
    const td = primaryTopology();
    const r = handleApplicationError(td, { ...ctx, generation: 0, poolGeneration: 1, error: new MongoNetworkError('x') });
    expect(r.outcome).toBe(ApplicationErrorOutcome.StaleGeneration);
    expect(r.topologyDescription).toBe(td);
  });

  it('ignores errors for servers not in the topology', () => {
    const td = primaryTopology();
    expect(handleApplicationError(td, { ...ctx, address: 'z', error: new MongoNetworkError('x') }).outcome).toBe(
      ApplicationErrorOutcome.NotInTopology,
    );
  });

  it('keeps a load balancer as is but still clears the pool', () => {
    let td = newTopologyDescription({ seeds: ['lb'], loadBalanced: true, heartbeatFrequencyMS: 10_000, localThresholdMS: 15 });
    td = applyServerDescription(td, newServerDescription('lb', null, { now: 0, loadBalancer: true })).topologyDescription;
    const r = handleApplicationError(td, { ...ctx, address: 'lb', error: new MongoNetworkError('x') });
    expect(r.clearPool).toBe(true);
    expect(r.topologyDescription).toBe(td);
    const s = handleApplicationError(td, { ...ctx, address: 'lb', error: serverError(91) });
    expect(s.clearPool).toBe(true);
    expect(s.topologyDescription).toBe(td);
  });
});

describe('handleCheckFailure', () => {
  it('marks Unknown and clears; a timeout also interrupts connections in use', () => {
    const network = handleCheckFailure(primaryTopology(), { address: 'a', error: new MongoNetworkError('x') });
    expect(network.topologyDescription.servers.get('a:27017')?.type).toBe(ServerType.Unknown);
    expect(network.clearPool).toBe(true);
    expect(network.interruptInUseConnections).toBe(false);
    const timeout = handleCheckFailure(primaryTopology(), { address: 'a', error: new MongoNetworkTimeoutError('x') });
    expect(timeout.interruptInUseConnections).toBe(true);
  });
});
