/**
 * Test support: a mongod-sim (standalone, or a one-member replica set that has elected
 * itself) with an admin client that sets `failCommand` fail points, and clients with command
 * monitoring whose started commands are recorded. `close()` turns the fail point off and
 * closes every client it made, then the sim. Used by the CSOT tests against a sim.
 */
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { MongoClient, TcpTransport } from '../../src/runtime/node/index.js';

type Doc = Record<string, unknown>;

export interface StartedCommand {
  readonly commandName: string;
  readonly command: Doc;
}

export interface MonitoredClient {
  readonly client: MongoClient;
  /** What `record` kept of each started command, in order. */
  readonly started: Doc[];
  /** The client's connectionClosed events. */
  readonly closed: unknown[];
}

export interface FailPointSim {
  readonly sim: SimHandle;
  /** The sim's URI, with `directConnection=true` for a replica set. */
  readonly uri: string;
  readonly admin: MongoClient;
  /**
   * A client of the sim (`query` appended to the URI, or joined with `&` after the
   * replica set's `?directConnection=true`). `record` picks what `started` keeps of each
   * command (undefined: nothing); by default the command document.
   */
  newClient(query?: string, options?: Doc, record?: (e: StartedCommand) => Doc | undefined): MonitoredClient;
  /** `failCommand` on for `times` commands with `data`. */
  failPoint(data: Doc, times?: number): Promise<void>;
  failPointOff(): Promise<void>;
  close(): Promise<void>;
}

export async function startFailPointSim(options: { replSet?: string } = {}): Promise<FailPointSim> {
  const sim = await startSim({ port: 0, bindIp: '127.0.0.1', ...(options.replSet ? { replSet: options.replSet } : {}) });
  const uri = options.replSet ? `${sim.uri}?directConnection=true` : sim.uri;
  const withQuery = (query: string) => (query === '' ? uri : options.replSet ? `${uri}&${query.replace(/^\?/, '')}` : `${uri}${query}`);
  const admin = new MongoClient(uri, { transport: new TcpTransport() });
  const clients: MongoClient[] = [];
  if (options.replSet) {
    await admin.db('admin').command({ replSetInitiate: 1 });
    // waits for the one member to elect itself (writes are refused until then)
    for (let attempt = 0; (await admin.db('admin').command({ hello: 1 })).isWritablePrimary !== true; attempt++) {
      if (attempt > 200) throw new Error('the one-member set elected no primary');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const failPointOff = async () => {
    await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  };
  return {
    sim,
    uri,
    admin,
    newClient(query = '', clientOptions: Doc = {}, record = (e: StartedCommand): Doc | undefined => e.command) {
      const client = new MongoClient(withQuery(query), { transport: new TcpTransport(), monitorCommands: true, ...clientOptions });
      const started: Doc[] = [];
      const closed: unknown[] = [];
      client.on('commandStarted', (e: StartedCommand) => {
        const kept = record(e);
        if (kept !== undefined) started.push(kept);
      });
      client.on('connectionClosed', (e: unknown) => closed.push(e));
      clients.push(client);
      return { client, started, closed };
    },
    async failPoint(data: Doc, times = 1) {
      await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: { times }, data });
    },
    failPointOff,
    async close() {
      await failPointOff().catch(() => undefined);
      for (const c of clients) await c.close();
      await admin.close();
      await sim.close();
    },
  };
}
