// The coordinator owns every loop and timer: closing the sim ends and awaits all of them.
import { afterAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../src/index.js';
import { ReplicaSetRole } from '../../src/repl/coordinator.js';
import { until } from '../until.js';

describe('ReplicaSetRole.stop()', () => {
  let sim: SimHandle | undefined;
  afterAll(async () => {
    await sim?.close();
  });

  it('a primary runs its loops in the TaskGroup; close() leaves none running', async () => {
    sim = await startSim({ port: 0, replSet: 'life' });
    const role = sim.node.role as ReplicaSetRole;
    expect(role).toBeInstanceOf(ReplicaSetRole);
    await role.initiate(undefined);
    await until(async () => role.isPrimary(), 10000, 'primary');
    // the oplog fetcher, liveness and periodic no-op at least
    expect(role.backgroundTasks).toBeGreaterThanOrEqual(3);
    await sim.close();
    expect(role.backgroundTasks).toBe(0);
  });
});
