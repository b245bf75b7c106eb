/** Runs every step of the walkthrough on fresh sim deployments, printing as it goes. */
import { parseConnectionString } from '@mongo-edge/core';
import { SeedReplicaSet, startRouters, startTaggedSet } from './deployment.js';
import {
  closeAll,
  connectEachWay,
  failover,
  initiate,
  insertAndRead,
  killDisruption,
  localThreshold,
  mongosLoadBalancing,
  newCtx,
  restartOldPrimary,
  secondaryReads,
  stepDownDisruption,
  tagSets,
  waitForTopology,
  type WalkthroughSet,
  type ClientFactory,
  type Print,
} from './walkthrough.js';

/** Told the addresses of each deployment as soon as it runs (the bridge run allows exactly those). */
export type OnStarted = (addresses: readonly string[]) => Promise<void> | void;

export async function runWalkthrough(makeClient: ClientFactory, print: Print, onStarted: OnStarted = () => undefined): Promise<void> {
  const ctx = newCtx(makeClient, print);
  let stepStarted = Date.now();
  let stepTitle = '';
  const endStep = (): void => {
    if (stepTitle) print(`   (${stepTitle.split('.')[0]}. took ${Date.now() - stepStarted} ms)`);
  };
  const step = (title: string): void => {
    endStep();
    stepStarted = Date.now();
    stepTitle = title;
    print(`\n== ${title}`);
  };
  step('1. Start three members with --replSet foo');
  const rs = await SeedReplicaSet.start();
  const cleanups: (() => Promise<void>)[] = [() => rs.stop()];
  try {
    await onStarted(rs.members.map((m) => m.address));
    for (const m of rs.members) print(`$ mongod-sim --port ${m.port} ${m.args.join(' ')}`);
    step('2. Initiate the set from one member');
    const { primary } = await initiate(ctx, rs);
    step('3. Connect to the replica set (one seed + replicaSet, another seed, host and port, several seeds)');
    await connectEachWay(ctx, rs);
    step('4. Insert a document and read it back');
    await insertAndRead(ctx, rs);
    step('5. Failover: kill -9 the primary');
    const f = await failover(ctx, rs, primary, killDisruption(rs));
    step('6. Bring the old primary back: it rejoins as a secondary');
    await restartOldPrimary(ctx, rs, f.oldPrimary);
    step('7. Secondary reads and read preference inheritance');
    await secondaryReads(ctx, rs);

    step('8. Tag sets (a second set: members tagged {dc: "ny"} and {dc: "sf"})');
    const tagged = await startTaggedSet();
    cleanups.push(() => tagged.stop());
    await onStarted(tagged.members.map((m) => m.host));
    await tagSets(ctx, tagged);
    step('9. localThresholdMS (the sf secondary answers 40 ms later)');
    await localThreshold(ctx, tagged);

    step('10. mongos load balancing (three routers at 20, 35 and 40 ms)');
    const configdb = `${rs.replSet}/${rs.members.map((m) => m.address).join(',')}`;
    const routers = await startRouters(configdb);
    cleanups.push(async () => {
      await Promise.all(routers.map((r) => r.stop()));
    });
    await onStarted(routers.map((r) => r.address));
    await mongosLoadBalancing(ctx, routers);
    endStep();
  } finally {
    await closeAll(ctx);
    for (const c of cleanups.reverse()) await c();
  }
}

/**
 * The walkthrough on a deployment we did not start (MONGODB_SEEDS: a connection string
 * of an initiated replica set; MONGODB_MONGOS: optional, of mongos routers). Steps 1,
 * 2 and 6 need processes we own and are skipped; step 5 steps the primary down
 * instead of killing it; steps 8 and 9 use the tags and latencies the members have.
 */
export async function runExternalWalkthrough(makeClient: ClientFactory, print: Print, seeds: string, mongos?: string): Promise<void> {
  const ctx = newCtx(makeClient, print);
  const step = (title: string): void => print(`\n== ${title}`);
  try {
    step(`1-2. Using your deployment: ${seeds.replace(/\/\/[^@/]*@/, '//<credentials>@')}`);
    const probe = makeClient(seeds);
    ctx.clients.push(probe);
    await probe.connect();
    const td = await waitForTopology(probe, (t) => t.type === 'ReplicaSetWithPrimary');
    const replSet = td.setName ?? '';
    const members = [...td.servers.values()].map((sd) => {
      const i = sd.address.lastIndexOf(':');
      return { address: sd.address, host: sd.address.slice(0, i), port: Number(sd.address.slice(i + 1)) };
    });
    if (members.length < 3) throw new Error(`the walkthrough needs a replica set of 3+ members; ${seeds} has ${members.length}`);
    const rs: WalkthroughSet = { replSet, members };
    print(`(replica set '${replSet}': ${members.map((m) => m.address).join(', ')})`);
    step('3. Connect to the replica set');
    await connectEachWay(ctx, rs);
    step('4. Insert a document and read it back');
    const { client: c } = await insertAndRead(ctx, rs);
    step('5. Failover: step the primary down (a deployment we did not start is not killed)');
    await failover(ctx, rs, c.address ?? members[0]!.address, stepDownDisruption(ctx));
    step('6. (skipped: the stepped-down primary stays up as a secondary)');
    step('7. Secondary reads and read preference inheritance');
    await secondaryReads(ctx, rs);
    step('8-9. (skipped: tag sets and latency steps need members with known tags and latencies; run the demo on mongod-sim)');
    if (mongos) {
      step('10. mongos load balancing');
      const routers = parseConnectionString(mongos).hosts.map((h) => ({ host: h.host, port: h.port }));
      await mongosLoadBalancing(ctx, routers);
    } else {
      step('10. (skipped: set MONGODB_MONGOS to a connection string of your mongos routers)');
    }
  } finally {
    await closeAll(ctx);
  }
}
