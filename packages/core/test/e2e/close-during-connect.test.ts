import { createServer, type Server } from 'node:net';
import { expect, it } from 'vitest';
import { MongoClient, MongoTopologyClosedError } from '@mongo-edge/core/node';

it('close() during a connect() that waits for an unreachable set ends the wait at once', async () => {
  // A port that accepts nothing: grab a free port, then close the listener.
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));

  const client = new MongoClient(`mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=60000`);
  const connecting = client.connect().then(
    () => 'connected',
    (e: unknown) => e,
  );
  await new Promise((r) => setTimeout(r, 200));
  await client.close();
  // The connect would otherwise wait 60 s; the test's own 10 s limit proves it did not.
  expect(await connecting).toBeInstanceOf(MongoTopologyClosedError);
}, 10_000);
