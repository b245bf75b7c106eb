/**
 * `client.bulkWrite` on every runtime: it loads client/client-bulk-write.ts with the cold
 * chunk on first use, so a client from the platform-neutral barrel (what the browser,
 * Workers and Deno entries build on) has it too; it used to throw "client.bulkWrite() is not
 * loaded" there. This file imports nothing that loads that module statically (not the Node
 * entry, not the sim, which imports it), and its models are refused before any server is
 * contacted, by the loaded code.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoInvalidArgumentError } from '../index.js';

describe('client.bulkWrite from the platform-neutral entry', () => {
  const client = new MongoClient('mongodb://127.0.0.1:9/', { serverSelectionTimeoutMS: 1 });
  afterAll(() => client.close());

  it('runs the client bulk write code, which checks the models first', async () => {
    await expect(client.bulkWrite([])).rejects.toThrow(MongoInvalidArgumentError);
    await expect(client.bulkWrite([])).rejects.toThrow(/at least one model/);
    await expect(client.bulkWrite([{ name: 'insertOne', namespace: 'nodot', document: { a: 1 } }])).rejects.toThrow(/namespace "db.collection"/);
  });
});
