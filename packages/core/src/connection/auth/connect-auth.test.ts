/**
 * The default authenticator plugged into the real connect(): OP_MSG over a MemoryNetwork to
 * a fake mongod whose authentication is the sim's SaslServerSession (one per socket).
 */
import { describe, expect, it } from 'vitest';
import { MongoServerError, type Document } from '../../errors.js';
import { MemoryNetwork, type MemoryServerSocket } from '../../runtime/memory/transport.js';
import { createUserDocument, SaslServerSession } from '../../../../sim/src/auth/index.js';
import { connect } from '../connect.js';
import { DEFAULT_HELLO_REPLY, serveFake } from '../../../test/support/fake-server.js';
import type { MongoCredentials } from '../types.js';
import { defaultAuthenticator } from './authenticator.js';
import { ScramKeyCache } from './key-cache.js';

const ADDR = 'db1:27017';
const users = [createUserDocument({ user: 'alice', db: 'admin', password: 'wonderland', iterationCount: { 'SCRAM-SHA-1': 4096, 'SCRAM-SHA-256': 4096 } })];

function setup() {
  const net = new MemoryNetwork();
  const sessions = new Map<MemoryServerSocket, SaslServerSession>();
  const server = serveFake(net, ADDR, (req, ctx) => {
    let session = sessions.get(ctx.socket);
    if (!session) {
      session = new SaslServerSession({ lookupUser: (db, u) => users.find((x) => x.db === db && x.user === u) });
      sessions.set(ctx.socket, session);
    }
    const db = String(req.body.$db);
    switch (req.name) {
      case 'hello':
        return { ...DEFAULT_HELLO_REPLY, ...session.helloFields(req.body) };
      case 'saslStart':
        return session.saslStart(db, req.body);
      case 'saslContinue':
        return session.saslContinue(db, req.body);
      case 'ping':
        return session.authenticatedUsers.length > 0
          ? { ok: 1 }
          : { ok: 0, code: 13, codeName: 'Unauthorized', errmsg: 'command ping requires authentication' };
      default:
        return undefined;
    }
  });
  return { net, server, transport: net.transport(), sessions };
}

const creds = (password: string, mechanism?: string): MongoCredentials => ({
  username: 'alice',
  password,
  source: 'admin',
  ...(mechanism ? { mechanism } : {}),
});

describe('connect() with the default authenticator', () => {
  it('negotiates and speculates: hello + one saslContinue', async () => {
    const { server, transport } = setup();
    const conn = await connect({ transport, address: ADDR, credentials: creds('wonderland'), authenticator: defaultAuthenticator({ keyCache: new ScramKeyCache() }) });
    expect(server.requests.map((r) => r.name)).toEqual(['hello', 'saslContinue']);
    const hello = server.requests[0]!.body as Document;
    expect(hello.saslSupportedMechs).toBe('admin.alice');
    expect(hello.speculativeAuthenticate).toMatchObject({ saslStart: 1, mechanism: 'SCRAM-SHA-256', db: 'admin' });
    await expect(conn.command('admin', { ping: 1 })).resolves.toMatchObject({ ok: 1 });
    conn.close();
  });

  it.each(['SCRAM-SHA-1', 'SCRAM-SHA-256'])('explicit %s', async (mechanism) => {
    const { server, transport } = setup();
    const conn = await connect({ transport, address: ADDR, credentials: creds('wonderland', mechanism), authenticator: defaultAuthenticator() });
    expect(server.requests.map((r) => r.name)).toEqual(['hello', 'saslContinue']);
    conn.close();
  });

  it('a wrong password fails the connect with AuthenticationFailed and closes the socket', async () => {
    const { net, transport } = setup();
    const e = await connect({ transport, address: ADDR, credentials: creds('nope'), authenticator: defaultAuthenticator() }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MongoServerError);
    expect((e as MongoServerError).code).toBe(18);
    expect(net.openSockets).toBe(0);
  });
});
