/**
 * The client authenticator against the sim's server library, in memory: a fake connection
 * routes saslStart / saslContinue / authenticate to a SaslServerSession, through a BSON
 * round trip each way, exactly as the wire would.
 */
import { BSON } from 'bson';
import { describe, expect, it } from 'vitest';
import {
  MongoAuthError,
  MongoError,
  MongoInvalidArgumentError,
  MongoMissingCredentialsError,
  MongoServerError,
  type Document,
} from '../../errors.js';
import { createUserDocument, SaslServerSession, type SimUserDocument } from '../../../../sim/src/auth/index.js';
import type { Authenticator } from '../auth-hook.js';
import type { Connection, MongoCredentials } from '../types.js';
import { defaultAuthenticator, describeCredentials, type AuthenticatorOptions } from './authenticator.js';
import type { AuthCrypto } from './crypto.js';
import { ScramKeyCache } from './key-cache.js';

const roundTrip = (doc: Document): Document => BSON.deserialize(BSON.serialize(doc)) as Document;

interface SimOptions {
  mechanisms?: string[];
  clientCertificateSubject?: string;
  /** Pretend to be a server older than 4.4: ignore skipEmptyExchange. */
  ignoreSkipEmptyExchange?: boolean;
  /** Rewrite a reply before the client sees it. */
  tamper?: (name: string, reply: Document) => Document;
}

function sim(users: SimUserDocument[], options: SimOptions = {}) {
  const session = new SaslServerSession({
    lookupUser: (db, user) => users.find((u) => u.db === db && u.user === user),
    ...(options.mechanisms ? { mechanisms: options.mechanisms } : {}),
    ...(options.clientCertificateSubject ? { clientCertificateSubject: options.clientCertificateSubject } : {}),
  });
  const calls: { db: string; name: string; cmd: Document }[] = [];
  const connection = {
    async command(db: string, cmd: Document): Promise<Document> {
      const wire = roundTrip(cmd);
      const name = Object.keys(wire)[0]!;
      calls.push({ db, name, cmd: wire });
      if (options.ignoreSkipEmptyExchange) delete wire.options;
      let reply: Document;
      switch (name) {
        case 'saslStart':
          reply = session.saslStart(db, wire);
          break;
        case 'saslContinue':
          reply = session.saslContinue(db, wire);
          break;
        case 'authenticate':
          reply = session.authenticate(db, wire);
          break;
        default:
          reply = { ok: 0, code: 59, codeName: 'CommandNotFound', errmsg: `no such command: '${name}'` };
      }
      if (options.tamper) reply = options.tamper(name, reply);
      reply = roundTrip(reply);
      if (reply.ok !== 1) throw new MongoServerError(reply);
      return reply;
    },
  };
  return {
    session,
    calls,
    connection: connection as unknown as Connection,
    hello(cmd: Document): Document {
      const wire = roundTrip(cmd);
      if (options.ignoreSkipEmptyExchange) {
        const spec = wire.speculativeAuthenticate as Document | undefined;
        if (spec) delete spec.options;
      }
      return roundTrip({ isWritablePrimary: true, maxWireVersion: 21, ...session.helloFields(wire), ok: 1 });
    },
  };
}

type Sim = ReturnType<typeof sim>;

/** What connect() does: speculate, hello (with saslSupportedMechs when negotiating), authenticate. */
async function handshake(auth: Authenticator, credentials: MongoCredentials, server: Sim, speculate = true): Promise<Document> {
  const speculative = speculate ? await auth.speculativeAuthenticate?.(credentials, { address: 'sim:27017' }) : undefined;
  const hello: Document = { hello: 1, helloOk: true };
  if (credentials.mechanism === undefined) hello.saslSupportedMechs = `${credentials.source}.${credentials.username}`;
  if (speculative) hello.speculativeAuthenticate = speculative.document;
  const reply = server.hello(hello);
  await auth.authenticate(server.connection, credentials, reply, speculative);
  return reply;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const ITER = { 'SCRAM-SHA-1': 4096, 'SCRAM-SHA-256': 4096 };
const alice = createUserDocument({ user: 'alice', db: 'admin', password: 'wonderland', iterationCount: ITER, roles: ['root'] });
const sha1Only = createUserDocument({ user: 'sha1', db: 'admin', password: 'sha1', mechanisms: ['SCRAM-SHA-1'], iterationCount: ITER });
const sha256Only = createUserDocument({ user: 'sha256', db: 'admin', password: 'sha256', mechanisms: ['SCRAM-SHA-256'], iterationCount: ITER });
const users = [alice, sha1Only, sha256Only];
const creds = (username: string, password: string | undefined, mechanism?: string, source = 'admin'): MongoCredentials => ({
  username,
  password,
  source,
  ...(mechanism !== undefined ? { mechanism } : {}),
});
const fresh = (options: AuthenticatorOptions = {}) => defaultAuthenticator({ keyCache: new ScramKeyCache(), ...options });

describe('SCRAM against the sim', () => {
  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-1'])('%s succeeds (no speculation: saslStart + saslContinue)', async (mechanism) => {
    const server = sim(users);
    await handshake(fresh(), creds('alice', 'wonderland', mechanism), server, false);
    expect(server.calls.map((c) => `${c.db}:${c.name}`)).toEqual(['admin:saslStart', 'admin:saslContinue']);
    expect(server.calls[0]!.cmd).toMatchObject({ mechanism, autoAuthorize: 1, options: { skipEmptyExchange: true } });
    expect(server.session.authenticatedUsers).toEqual([{ user: 'alice', db: 'admin', mechanism }]);
  });

  it.each([
    ['alice', 'SCRAM-SHA-256'],
    ['sha1', 'SCRAM-SHA-1'],
    ['sha256', 'SCRAM-SHA-256'],
  ])('negotiates for %s -> %s (no speculation)', async (user, expected) => {
    const server = sim(users);
    await handshake(fresh(), creds(user, user === 'alice' ? 'wonderland' : user), server, false);
    expect(server.calls[0]!.cmd.mechanism).toBe(expected);
    expect(server.session.authenticatedUsers[0]?.mechanism).toBe(expected);
  });

  it('speculative authentication saves the saslStart round trip', async () => {
    const server = sim(users);
    const reply = await handshake(fresh(), creds('alice', 'wonderland'), server);
    expect(reply.speculativeAuthenticate).toMatchObject({ conversationId: 1, done: false });
    expect(server.calls.map((c) => c.name)).toEqual(['saslContinue']);
    expect(server.session.authenticatedUsers[0]).toMatchObject({ user: 'alice', mechanism: 'SCRAM-SHA-256' });
  });

  it('speculates with an explicit SCRAM-SHA-1 too', async () => {
    const server = sim(users);
    await handshake(fresh(), creds('sha1', 'sha1', 'SCRAM-SHA-1'), server);
    expect(server.calls.map((c) => c.name)).toEqual(['saslContinue']);
  });

  it('falls back to negotiation when the SCRAM-SHA-256 speculation is refused (SHA-1-only user)', async () => {
    const server = sim(users);
    const reply = await handshake(fresh(), creds('sha1', 'sha1'), server);
    expect(reply.speculativeAuthenticate).toBeUndefined();
    expect(reply.saslSupportedMechs).toEqual(['SCRAM-SHA-1']);
    expect(server.calls.map((c) => `${c.name}:${String(c.cmd.mechanism ?? '')}`)).toEqual(['saslStart:SCRAM-SHA-1', 'saslContinue:']);
  });

  it('finishes the longer conversation of servers that ignore skipEmptyExchange', async () => {
    const server = sim(users, { ignoreSkipEmptyExchange: true });
    await handshake(fresh(), creds('alice', 'wonderland', 'SCRAM-SHA-256'), server, false);
    expect(server.calls.map((c) => c.name)).toEqual(['saslStart', 'saslContinue', 'saslContinue']);
    expect(server.calls[2]!.cmd.conversationId).toBe(1);
    const speculating = sim(users, { ignoreSkipEmptyExchange: true });
    await handshake(fresh(), creds('alice', 'wonderland'), speculating);
    expect(speculating.calls.map((c) => c.name)).toEqual(['saslContinue', 'saslContinue']);
  });

  it('wrong password -> AuthenticationFailed (18) from the server', async () => {
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-1', undefined]) {
      const e = await caught(handshake(fresh(), creds('alice', 'not-it', mechanism), sim(users)));
      expect(e).toBeInstanceOf(MongoServerError);
      expect(e).toMatchObject({ code: 18, codeName: 'AuthenticationFailed', message: 'Authentication failed.' });
    }
  });

  it('unknown user -> AuthenticationFailed (18), also when negotiating', async () => {
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-1', undefined]) {
      const server = sim(users);
      const e = await caught(handshake(fresh(), creds('nobody', 'x', mechanism), server));
      expect(e).toBeInstanceOf(MongoServerError);
      expect((e as MongoServerError).code).toBe(18);
    }
  });

  it('a mechanism the user lacks -> 18', async () => {
    const e = await caught(handshake(fresh(), creds('sha1', 'sha1', 'SCRAM-SHA-256'), sim(users)));
    expect((e as MongoServerError).code).toBe(18);
  });

  it('unknown and unsupported mechanisms -> MongoAuthError before any command', async () => {
    for (const mechanism of ['FOO', 'GSSAPI', 'MONGODB-AWS', 'MONGODB-CR']) {
      const server = sim(users);
      const e = await caught(handshake(fresh(), creds('alice', 'wonderland', mechanism), server));
      expect(e).toBeInstanceOf(MongoAuthError);
      expect(server.calls).toEqual([]);
    }
  });

  it('missing username or password -> MongoMissingCredentialsError', async () => {
    expect(await caught(handshake(fresh(), creds('alice', undefined, 'SCRAM-SHA-256'), sim(users)))).toBeInstanceOf(
      MongoMissingCredentialsError,
    );
    expect(await caught(handshake(fresh(), creds('', 'pw'), sim(users)))).toBeInstanceOf(MongoMissingCredentialsError);
    expect(await caught(handshake(fresh(), creds('u', 'pw', 'PLAIN', '$external'), sim(users), false))).toBeInstanceOf(MongoServerError);
    expect(await caught(handshake(fresh(), creds('u', undefined, 'PLAIN', '$external'), sim(users)))).toBeInstanceOf(
      MongoMissingCredentialsError,
    );
  });

  it('a forged server signature is a MongoAuthError', async () => {
    const forge = (name: string, reply: Document): Document => {
      if (name !== 'saslContinue' || reply.ok !== 1) return reply;
      const p = reply.payload as { buffer: Uint8Array; position: number };
      const text = new TextDecoder().decode(p.buffer.subarray(0, p.position));
      if (!text.startsWith('v=')) return reply;
      return { ...reply, payload: new TextEncoder().encode(`v=${'A'.repeat(text.length - 3)}=`) };
    };
    const e = await caught(handshake(fresh(), creds('alice', 'wonderland', 'SCRAM-SHA-256'), sim(users, { tamper: forge }), false));
    expect(e).toBeInstanceOf(MongoAuthError);
    expect((e as Error).message).toMatch(/signature/);
  });

  it('rejects a server that lowers the iteration count below 4096', async () => {
    const weak = createUserDocument({ user: 'weak', db: 'admin', password: 'pw', mechanisms: ['SCRAM-SHA-256'] });
    const lowered = {
      ...weak,
      credentials: { 'SCRAM-SHA-256': { ...weak.credentials['SCRAM-SHA-256']!, iterationCount: 1000 } },
    } as SimUserDocument;
    const e = await caught(handshake(fresh(), creds('weak', 'pw', 'SCRAM-SHA-256'), sim([lowered]), false));
    expect(e).toBeInstanceOf(MongoAuthError);
    expect((e as Error).message).toMatch(/iteration count 1000/);
  });

  it("user names with ',' and '=' and non-ASCII passwords", async () => {
    const odd = [
      createUserDocument({ user: 'a,b=c', db: 'test', password: 'pässwörd ☃', iterationCount: ITER }),
      createUserDocument({ user: 'ünï,cødé=', db: 'test', password: '密码', iterationCount: ITER }),
    ];
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-1', undefined]) {
      await handshake(fresh(), creds('a,b=c', 'pässwörd ☃', mechanism, 'test'), sim(odd));
      await handshake(fresh(), creds('ünï,cødé=', '密码', mechanism, 'test'), sim(odd));
    }
    const server = sim(odd);
    await handshake(fresh(), creds('a,b=c', 'pässwörd ☃', 'SCRAM-SHA-256', 'test'), server, false);
    const first = server.calls[0]!.cmd.payload as { buffer: Uint8Array; position: number };
    expect(new TextDecoder().decode(first.buffer.subarray(0, first.position))).toMatch(/^n,,n=a=2Cb=3Dc,r=/);
  });

  it('SASLprep: the auth spec users IX and \\u2168 with normalized and non-normalized passwords', async () => {
    const prepUsers = [
      createUserDocument({ user: 'IX', db: 'admin', password: 'IX', mechanisms: ['SCRAM-SHA-256'], iterationCount: ITER }),
      createUserDocument({ user: '\u2168', db: 'admin', password: '\u2163', mechanisms: ['SCRAM-SHA-256'], iterationCount: ITER }),
    ];
    for (const speculate of [true, false]) {
      for (const [user, password] of [
        ['IX', 'IX'],
        ['IX', 'I\u00ADX'],
        ['\u2168', 'IV'],
        ['\u2168', 'I\u00ADV'],
      ] as const) {
        const server = sim(prepUsers);
        await handshake(fresh(), creds(user, password), server, speculate);
        expect(server.session.authenticatedUsers[0]).toMatchObject({ user, mechanism: 'SCRAM-SHA-256' });
      }
    }
  });

  it('the key cache lets later connections skip PBKDF2', async () => {
    let derives = 0;
    const c = globalThis.crypto as unknown as AuthCrypto;
    const counting: AuthCrypto = {
      getRandomValues: (a) => c.getRandomValues(a),
      subtle: {
        importKey: c.subtle.importKey.bind(c.subtle) as AuthCrypto['subtle']['importKey'],
        sign: c.subtle.sign.bind(c.subtle),
        digest: c.subtle.digest.bind(c.subtle),
        deriveBits: (...args: Parameters<SubtleCrypto['deriveBits']>) => {
          derives++;
          return c.subtle.deriveBits(...args);
        },
      },
    };
    const cache = new ScramKeyCache();
    const auth = defaultAuthenticator({ crypto: counting, keyCache: cache });
    await handshake(auth, creds('alice', 'wonderland'), sim(users));
    expect(derives).toBe(1);
    await handshake(auth, creds('alice', 'wonderland'), sim(users)); // new connection, same user doc (salt)
    await handshake(defaultAuthenticator({ crypto: counting, keyCache: cache }), creds('alice', 'wonderland', 'SCRAM-SHA-256'), sim(users), false);
    expect(derives).toBe(1);
    await handshake(auth, creds('alice', 'wonderland', 'SCRAM-SHA-1'), sim(users)); // other mechanism: other salt
    expect(derives).toBe(2);
    await handshake(defaultAuthenticator({ crypto: counting, keyCache: null }), creds('alice', 'wonderland'), sim(users));
    expect(derives).toBe(3);
    // A wrong password must not hit the right password's entry.
    expect(await caught(handshake(auth, creds('alice', 'wrong'), sim(users)))).toBeInstanceOf(MongoServerError);
    expect(derives).toBe(4);
  });

  it('one authenticator serves concurrent connections (speculation state is per connection)', async () => {
    const auth = fresh();
    const servers = Array.from({ length: 5 }, () => sim(users));
    await Promise.all(servers.map((s) => handshake(auth, creds('alice', 'wonderland'), s)));
    for (const s of servers) expect(s.calls.map((c) => c.name)).toEqual(['saslContinue']);
  });
});

describe('PLAIN and MONGODB-X509 against the sim', () => {
  it('PLAIN sends \\0user\\0password on the credential source in one step', async () => {
    const ldap = createUserDocument({ user: 'ldapuser', db: '$external', password: 'ldap-pw', iterationCount: ITER });
    const server = sim([ldap], { mechanisms: ['PLAIN'] });
    await handshake(fresh(), creds('ldapuser', 'ldap-pw', 'PLAIN', '$external'), server);
    expect(server.calls.map((c) => `${c.db}:${c.name}`)).toEqual(['$external:saslStart']);
    const p = server.calls[0]!.cmd.payload as { buffer: Uint8Array; position: number };
    expect(new TextDecoder().decode(p.buffer.subarray(0, p.position))).toBe('\u0000ldapuser\u0000ldap-pw');
    const e = await caught(handshake(fresh(), creds('ldapuser', 'nope', 'PLAIN', '$external'), sim([ldap], { mechanisms: ['PLAIN'] })));
    expect((e as MongoServerError).code).toBe(18);
  });

  const subject = 'C=IS,ST=Reykjavik,L=Reykjavik,O=MongoDB,OU=Drivers,CN=client';
  it('X.509 speculates in the hello and needs no further command', async () => {
    const server = sim([], { clientCertificateSubject: subject });
    const reply = await handshake(fresh(), { username: '', source: '$external', mechanism: 'MONGODB-X509' }, server);
    expect(reply.speculativeAuthenticate).toEqual({ dbname: '$external', user: subject });
    expect(server.calls).toEqual([]);
    expect(server.session.authenticatedUsers[0]).toMatchObject({ user: subject, mechanism: 'MONGODB-X509' });
  });

  it('X.509 without speculation sends authenticate to $external (user only when given)', async () => {
    const server = sim([], { clientCertificateSubject: subject });
    await handshake(fresh(), { username: '', source: '$external', mechanism: 'MONGODB-X509' }, server, false);
    expect(server.calls).toEqual([{ db: '$external', name: 'authenticate', cmd: { authenticate: 1, mechanism: 'MONGODB-X509' } }]);
    const named = sim([], { clientCertificateSubject: subject });
    await handshake(fresh(), { username: subject, source: '$external', mechanism: 'MONGODB-X509' }, named, false);
    expect(named.calls[0]!.cmd.user).toBe(subject);
    const wrong = await caught(handshake(fresh(), { username: 'CN=other', source: '$external', mechanism: 'MONGODB-X509' }, sim([], { clientCertificateSubject: subject }), false));
    expect((wrong as MongoServerError).code).toBe(18);
    const pw = await caught(handshake(fresh(), { username: '', password: 'x', source: '$external', mechanism: 'MONGODB-X509' }, sim([]), false));
    expect(pw).toBeInstanceOf(MongoInvalidArgumentError);
  });
});

describe('the password never leaks', () => {
  const password = 'S3cr3t-p@ssw0rd-\u00e9';
  const leaks = (e: unknown): string[] => {
    const texts: string[] = [];
    for (let x: unknown = e; x; x = (x as { cause?: unknown }).cause) {
      texts.push(String(x), (x as Error).message ?? '', (x as Error).stack ?? '');
      try {
        texts.push(JSON.stringify(x));
      } catch {
        // circular: ignore
      }
    }
    return texts.filter((t) => t.includes(password) || t.includes('S3cr3t'));
  };

  it('in no error message, cause, stack or JSON, across every failure', async () => {
    const scenarios: [MongoCredentials, SimOptions, boolean][] = [
      [creds('alice', password), {}, true], // wrong password (negotiated)
      [creds('alice', password, 'SCRAM-SHA-1'), {}, false],
      [creds('nobody', password), {}, true],
      [creds('alice', password, 'NOPE'), {}, false],
      [creds('alice', password, 'GSSAPI'), {}, false],
      [creds('alice', `${password}\u0007`), {}, true], // SASLprep: prohibited character
      [creds('alice', `\u0627${password}`), {}, true], // SASLprep: bidi
      [{ username: '', password, source: '$external', mechanism: 'MONGODB-X509' }, {}, false],
      [creds('u', password, 'PLAIN', '$external'), {}, false],
      [
        creds('alice', password, 'SCRAM-SHA-256'),
        { tamper: (n, r) => (n === 'saslStart' ? { ...r, payload: new TextEncoder().encode('r=bogus,s=!,i=1') } : r) },
        false,
      ],
    ];
    let failures = 0;
    for (const [c, options, speculate] of scenarios) {
      const e = await caught(handshake(fresh(), c, sim(users, options), speculate));
      expect(e).toBeInstanceOf(MongoError);
      expect(leaks(e)).toEqual([]);
      failures++;
    }
    expect(failures).toBe(scenarios.length);
  });

  it('in describeCredentials()', () => {
    const c = creds('alice', password, 'SCRAM-SHA-256');
    expect(describeCredentials(c)).toBe('MongoCredentials(username="alice", source="admin", mechanism=SCRAM-SHA-256, password=<redacted>)');
    expect(describeCredentials(creds('alice', undefined))).toContain('password=none');
  });
});
