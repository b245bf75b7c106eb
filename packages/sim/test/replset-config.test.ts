// Replica set configs: arbiters, hidden and delayed members in hello; replSetReconfig removing and re-adding a member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { until } from './until.js';


let c: Cluster;

beforeAll(async () => {
  c = await startCluster({
    members: 5,
    replSet: 'cfg',
    memberOptions: [{ priority: 2 }, {}, { arbiterOnly: true }, { hidden: true, priority: 0 }, { priority: 0, secondaryDelaySecs: 2 }],
  });
  await until(async () => (await c.primary()).index === 0, 20000, 'member 0 to be primary');
}, 60000);

afterAll(async () => {
  await c?.stop();
});

describe('member kinds', () => {
  it('hello lists hosts, passives and arbiters; hidden members only see themselves', async () => {
    const h = await c.command(0, { hello: 1 });
    expect(h.hosts.sort()).toEqual([c.members[0]!.host, c.members[1]!.host].sort());
    expect(h.passives).toEqual([c.members[4]!.host]);
    expect(h.arbiters).toEqual([c.members[2]!.host]);
    const arb = await c.command(2, { hello: 1 });
    expect(arb).toMatchObject({ arbiterOnly: true, secondary: false, isWritablePrimary: false, setName: 'cfg' });
    const hidden = await c.command(3, { hello: 1 });
    expect(hidden).toMatchObject({ hidden: true, passive: true, secondary: true, me: c.members[3]!.host });
    const delayed = await c.command(4, { hello: 1 });
    expect(delayed).toMatchObject({ passive: true, secondary: true });
    expect(Number(delayed.secondaryDelaySecs)).toBe(2);
    // Right after a priority takeover member 0's view of the old primary lags one
    // heartbeat (as mongod's does): wait for the states to settle.
    let st: { members: { stateStr: string }[] } = { members: [] };
    await until(
      async () => {
        st = (await c.command(0, { replSetGetStatus: 1 })) as typeof st;
        return st.members.map((m) => m.stateStr).join() === 'PRIMARY,SECONDARY,ARBITER,SECONDARY,SECONDARY';
      },
      10000,
      'member 0 to see every member in its final state',
    );
    expect(st.members.map((m) => m.stateStr)).toEqual(['PRIMARY', 'SECONDARY', 'ARBITER', 'SECONDARY', 'SECONDARY']);
    expect(st).toMatchObject({ majorityVoteCount: 3, writeMajorityCount: 3, votingMembersCount: 5, writableVotingMembersCount: 4 });
  });

  it('a delayed member applies entries secondaryDelaySecs late', async () => {
    await c.command(0, { insert: 'd', $db: 't', documents: [{ _id: 1 }], writeConcern: { w: 1 } });
    const count = async (i: number): Promise<number> => (await c.command(i, { find: 'd', $db: 't', $readPreference: { mode: 'secondary' } })).cursor.firstBatch.length;
    await until(async () => (await count(1)) === 1, 10000, 'the normal secondary');
    expect(await count(4)).toBe(0);
    await until(async () => (await count(4)) === 1, 10000, 'the delayed secondary');
  });
});

describe('replSetReconfig', () => {
  it('removes a member (it reports REMOVED) and adds it back (it rejoins)', async () => {
    const cfg = (await c.command(0, { replSetGetConfig: 1 })).config;
    const without = { ...cfg, version: cfg.version + 1, members: cfg.members.filter((m: { _id: number }) => m._id !== 3) };
    await c.command(0, { replSetReconfig: without });
    await until(async () => (await c.command(3, { hello: 1 })).info === 'Does not have a valid replica set config', 10000, 'member 3 removed');
    expect((await c.command(0, { hello: 1 })).setVersion).toBe(cfg.version + 1);
    await expect(c.command(0, { replSetReconfig: { ...without, version: 1 } })).rejects.toMatchObject({ reply: { code: 103 } });
    await expect(c.command(1, { replSetReconfig: { ...without, version: 9 } })).rejects.toMatchObject({ reply: { code: 10107 } });
    const back = { ...without, version: without.version + 1, members: [...without.members, cfg.members.find((m: { _id: number }) => m._id === 3)] };
    await c.command(0, { replSetReconfig: back });
    await until(async () => {
      const h = await c.command(3, { hello: 1 });
      return h.secondary === true && h.setVersion === back.version;
    }, 15000, 'member 3 back as a secondary');
    for (const i of [1, 2, 4]) await until(async () => (await c.command(i, { replSetGetConfig: 1 })).config.version === back.version, 10000, `member ${i} to learn the config`);
  });
});
