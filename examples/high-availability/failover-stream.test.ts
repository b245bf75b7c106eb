/**
 * Failover semantics: a stream of retryable writes and reads during five primary
 * kills. Every acknowledged write is applied exactly once (counted with $inc, which
 * a double-applied retry would over-count), every acknowledged insert is present,
 * and reads never fail while a suitable member exists.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MongoClient } from '@mongo-edge/core/node';
import { startCluster, type Cluster } from '@mongo-edge/sim';

let cluster: Cluster;
let client: MongoClient;

beforeAll(async () => {
  cluster = await startCluster({ members: 3, replSet: 'stream' });
  client = new MongoClient(cluster.uri);
  await client.connect();
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
}, 60_000);

it('no acknowledged write is lost or applied twice across five primary kills; reads never fail', async () => {
  const coll = client.db('stream').collection<{ _id: string | number; n?: number }>('c');
  await coll.insertOne({ _id: 'counter', n: 0 });
  let stop = false;
  let acknowledgedIncrements = 0;
  const acknowledgedInserts: number[] = [];
  const writeErrors: string[] = [];
  let reads = 0;
  const readErrors: string[] = [];

  const writer = async (): Promise<void> => {
    for (let i = 0; !stop; i++) {
      try {
        await coll.updateOne({ _id: 'counter' }, { $inc: { n: 1 } });
        acknowledgedIncrements += 1;
        await coll.insertOne({ _id: i });
        acknowledgedInserts.push(i);
      } catch (e) {
        // Allowed: an error is not an acknowledgement; it is recorded, not counted.
        writeErrors.push(String(e));
      }
    }
  };
  const reader = async (): Promise<void> => {
    const secondaryOk = coll.withOptions({ readPreference: 'primaryPreferred' });
    while (!stop) {
      try {
        await secondaryOk.findOne({ _id: 'counter' });
        reads += 1;
      } catch (e) {
        readErrors.push(String(e));
      }
    }
  };

  const loops = [writer(), reader()];
  for (let kill = 0; kill < 5; kill++) {
    const primary = await cluster.primary();
    await cluster.kill(primary.index, 'SIGKILL');
    await cluster.waitForPrimary({ exclude: primary.index });
    await cluster.restart(primary.index);
    await cluster.waitForSecondaries();
  }
  stop = true;
  await Promise.all(loops);

  const counter = await coll.findOne({ _id: 'counter' });
  expect(counter?.n).toBe(acknowledgedIncrements);
  const present = await coll.find({ _id: { $in: acknowledgedInserts } }).toArray();
  expect(present).toHaveLength(acknowledgedInserts.length);
  expect(acknowledgedInserts.length).toBeGreaterThan(0);
  expect(reads).toBeGreaterThan(0);
  expect(readErrors).toEqual([]);
  // With retryable writes on, a single failover should not surface as an error either.
  expect(writeErrors).toEqual([]);
}, 240_000);
