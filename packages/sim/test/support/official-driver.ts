// One in-process sim and one official `mongodb` client for a test file: the hooks every
// conformance file needs, and the check that a call failed with a server error.
import { afterAll, beforeAll, expect } from 'vitest';
import { MongoClient, MongoServerError } from 'mongodb';
import { startCluster, startSim, type Cluster, type SimHandle } from '../../src/index.js';

export interface OfficialDriverOnSim {
  readonly sim: SimHandle;
  readonly client: MongoClient;
}

/** Registers beforeAll/afterAll: a sim on a free port and a connected official client. */
export function officialDriverOnSim(): OfficialDriverOnSim {
  const env = {} as { sim: SimHandle; client: MongoClient };
  beforeAll(async () => {
    env.sim = await startSim({ port: 0 });
    env.client = new MongoClient(env.sim.uri, { serverSelectionTimeoutMS: 5000 });
    await env.client.connect();
  });
  afterAll(async () => {
    await env.client?.close();
    await env.sim?.close();
  });
  return env;
}

export interface OfficialDriverOnCluster {
  readonly cluster: Cluster;
  readonly client: MongoClient;
}

/**
 * Registers beforeAll/afterAll: a three-member sim set named `replSet` (separate
 * processes, so members can be killed with kill -9) and a connected official client that
 * waits up to `serverSelectionTimeoutMS` through failovers.
 */
export function officialDriverOnCluster(replSet: string, serverSelectionTimeoutMS: number): OfficialDriverOnCluster {
  const env = {} as { cluster: Cluster; client: MongoClient };
  beforeAll(async () => {
    env.cluster = await startCluster({ members: 3, replSet });
    env.client = new MongoClient(env.cluster.uri, { serverSelectionTimeoutMS, heartbeatFrequencyMS: 500 });
    await env.client.connect();
  }, 60_000);
  afterAll(async () => {
    await env.client?.close();
    await env.cluster?.stop();
  });
  return env;
}

/** The MongoServerError `p` rejects with (fails the test if it resolves or throws anything else). */
export async function serverFailure(p: Promise<unknown>): Promise<MongoServerError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MongoServerError);
  return e as MongoServerError;
}
