/**
 * Sections 1, 4 and 5 need the MongoClient wired to the transports and the sim; until
 * then they are registered and report "not run" with the reason, so they never vanish
 * from the results. bench/lib/delay-proxy.ts is ready for the cold-start section.
 */
import { NotRunError, type Section } from '../lib/harness.js';

const NEEDS_CLIENT = 'needs the MongoClient integration';

export const operationsSection: Section = {
  name: 'operations',
  title: 'Operations vs the official driver',
  description:
    "The driver benchmark spec's single- and multi-document tasks (run command, find one by _id, insertOne small/large, " +
    'find many, bulk insert) against the sim, ours (direct TCP and through the bridge) vs the official `mongodb` driver.',
  async run() {
    throw new NotRunError(NEEDS_CLIENT);
  },
};

export const failoverSection: Section = {
  name: 'failover',
  title: 'Failover recovery',
  description:
    'Time from a primary stepping down (or being killed) in a sim replica set until the next write succeeds, ours vs the official driver.',
  async run() {
    throw new NotRunError(NEEDS_CLIENT);
  },
};

export const coldStartSection: Section = {
  name: 'cold_start',
  title: 'Cold start with injected latency',
  description:
    'Time from creating a client to the first command result with 20 ms of delay added each way (bench/lib/delay-proxy.ts), ' +
    'direct TCP vs through the bridge vs the official driver.',
  async run() {
    throw new NotRunError(NEEDS_CLIENT);
  },
};
