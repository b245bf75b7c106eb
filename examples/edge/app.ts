/**
 * One HTTP app, served by a Cloudflare Worker (worker.ts), Deno (deno-server.ts) and Bun
 * (bun-server.ts), each with ONE client made on the first request and kept for every
 * later one (a global-scope client). Routes:
 *   GET /crud?id=N            insert {_id: N}, read it back, update it, read it again
 *   GET /loop?from=F&count=C  insert F..F+C-1 one after the other; returns the acknowledged ids
 *   GET /count                number of documents
 * Errors answer 500 with the error's class name and whether it is a MongoError, so a
 * test can check that nothing but typed driver errors ever reach the application.
 */
import type { MongoClient as CoreMongoClient } from '@mongo-edge/core';
import { MongoError } from '@mongo-edge/core';

export interface AppOptions {
  /** Makes the one client (called on the first request). */
  makeClient(): CoreMongoClient;
  /** Database name (default "edge"). */
  db?: string;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function describeError(e: unknown): { error: string; message: string; mongoError: boolean; stack?: string | undefined } {
  const name = e instanceof Error ? e.name : typeof e;
  return { error: name, message: e instanceof Error ? e.message : String(e), mongoError: e instanceof MongoError, stack: (e as Error)?.stack };
}

export function createApp(options: AppOptions): (request: Request) => Promise<Response> {
  let client: CoreMongoClient | undefined;
  return async (request) => {
    client ??= options.makeClient();
    const url = new URL(request.url);
    const items = client.db(options.db ?? 'edge').collection<{ _id: number; v?: number; updated?: boolean }>('items');
    try {
      switch (url.pathname) {
        case '/crud': {
          const id = Number(url.searchParams.get('id'));
          await items.insertOne({ _id: id, v: id });
          const read = await items.findOne({ _id: id });
          const updated = await items.updateOne({ _id: id }, { $set: { updated: true } });
          const after = await items.findOne({ _id: id });
          return json({ id, read, modified: updated.modifiedCount, after, address: client.address });
        }
        case '/loop': {
          const from = Number(url.searchParams.get('from'));
          const count = Number(url.searchParams.get('count'));
          const acked: number[] = [];
          for (let id = from; id < from + count; id++) {
            try {
              await items.insertOne({ _id: id, v: id });
              acked.push(id);
            } catch (e) {
              return json({ acked, ...describeError(e) });
            }
          }
          return json({ acked });
        }
        case '/count':
          return json({ count: await items.countDocuments({}) });
        default:
          return json({ error: 'not found' }, 404);
      }
    } catch (e) {
      return json(describeError(e), 500);
    }
  };
}
