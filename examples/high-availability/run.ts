/** Runs every step of the walkthrough on fresh sim deployments, printing as it goes. */
import { SeedReplicaSet, startRouters, startTaggedSet } from './deployment.js';
import {
  closeAll,
  connectEachWay,
  failover,
  initiate,
  insertAndRead,
  localThreshold,
  mongosLoadBalancing,
  newCtx,
  restartOldPrimary,
  secondaryReads,
  tagSets,
  type ClientFactory,
  type Print,
} from './walkthrough.js';

export async function runWalkthrough(makeClient: ClientFactory, print: Print): Promise<void> {
  const ctx = newCtx(makeClient, print);
  let stepStarted = Date.now();
  let stepTitle = '';
  const step = (title: string): void => {
    if (stepTitle) print(`   (${stepTitle.split('.')[0]}. took ${Date.now() - stepStarted} ms)`);
    stepStarted = Date.now();
    stepTitle = title;
    print(`\n== ${title}`);
  };
  step('1. Start three members with --replSet foo');
  const rs = await SeedReplicaSet.start();
  const cleanups: (() => Promise<void>)[] = [() => rs.stop()];
  try {
    for (const m of rs.members) print(`$ mongod-sim --port ${m.port} ${m.args.join(' ')}`);
    step('2. Initiate the set from one member');
    const { primary } = await initiate(ctx, rs);
    step('3. Connect to the replica set (one seed + replicaSet, another seed, host and port, several seeds)');
    await connectEachWay(ctx, rs);
    step('4. Insert a document and read it back');
    const { client: watcher } = await insertAndRead(ctx, rs);
    step('5. Failover: kill -9 the primary');
    const f = await failover(ctx, rs, primary);
    step('6. Bring the old primary back: it rejoins as a secondary');
    await restartOldPrimary(ctx, rs, f.oldPrimary, watcher);
    step('7. Secondary reads and read preference inheritance');
    await secondaryReads(ctx, rs);

    step('8. Tag sets (a second set: members tagged {dc: "ny"} and {dc: "sf"})');
    const tagged = await startTaggedSet();
    cleanups.push(() => tagged.stop());
    await tagSets(ctx, tagged);
    step('9. localThresholdMS (the sf secondary answers 40 ms later)');
    await localThreshold(ctx, tagged);

    step('10. mongos load balancing (three routers at 20, 35 and 40 ms)');
    const configdb = `${rs.replSet}/${rs.members.map((m) => m.address).join(',')}`;
    const routers = await startRouters(configdb);
    cleanups.push(async () => {
      await Promise.all(routers.map((r) => r.stop()));
    });
    await mongosLoadBalancing(ctx, routers);
    step('');
  } finally {
    await closeAll(ctx);
    for (const c of cleanups.reverse()) await c();
  }
}
