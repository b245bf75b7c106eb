import { createHash } from 'node:crypto';
import { Binary } from 'bson';
import { describe, expect, it } from 'vitest';
import { md5 } from '../../../core/src/connection/auth/md5.js';
import {
  AUTHENTICATION_FAILED,
  createScramCredentials,
  createUserDocument,
  SaslServerSession,
  ScramServerConversation,
  ScramServerError,
  saslprepMapping,
  type SimUserDocument,
} from './index.js';

const b64 = (s: string) => Buffer.from(s, 'base64');
const bin = (s: string) => new Binary(Buffer.from(s, 'utf8'));
const text = (v: unknown) => {
  const b = v as Binary;
  return Buffer.from(b.buffer.subarray(0, b.position)).toString('utf8');
};

function userWith(user: string, db: string, credentials: SimUserDocument['credentials']): SimUserDocument {
  return { ...createUserDocument({ user, db, password: 'unused', mechanisms: ['SCRAM-SHA-256'] }), credentials };
}

describe('createScramCredentials / createUserDocument', () => {
  it('reproduces the RFC 7677 keys (SCRAM-SHA-256, pencil, given salt)', () => {
    const c = createScramCredentials('pencil', 'SCRAM-SHA-256', 4096, { salt: b64('W22ZaJ0SNY7soEsUEjb6gQ==') });
    expect(c.iterationCount).toBe(4096);
    expect(c.salt).toBe('W22ZaJ0SNY7soEsUEjb6gQ==');
    expect(b64(c.storedKey)).toHaveLength(32);
    expect(b64(c.serverKey)).toHaveLength(32);
  });

  it('SCRAM-SHA-1 needs the user name and keys on md5(user:mongo:password)', () => {
    expect(() => createScramCredentials('pencil', 'SCRAM-SHA-1')).toThrow(/username/);
    const salt = b64('rQ9ZY3MntBeuP3E1TDVC4w==');
    const a = createScramCredentials('pencil', 'SCRAM-SHA-1', 10_000, { username: 'user', salt });
    const b = createScramCredentials('pencil', 'SCRAM-SHA-1', 10_000, { username: 'other', salt });
    expect(a.storedKey).not.toBe(b.storedKey);
    expect(b64(a.storedKey)).toHaveLength(20);
  });

  it('rejects fewer than 4096 iterations', () => {
    expect(() => createScramCredentials('x', 'SCRAM-SHA-256', 4095)).toThrow(RangeError);
  });

  it('builds system.users documents like mongod (defaults: both mechanisms, 10000 / 15000 iterations)', () => {
    const doc = createUserDocument({ user: 'alice', db: 'admin', password: 'pw', roles: ['root', { role: 'read', db: 'x' }] });
    expect(doc._id).toBe('admin.alice');
    expect(doc).toMatchObject({ user: 'alice', db: 'admin', roles: [{ role: 'root', db: 'admin' }, { role: 'read', db: 'x' }] });
    expect(Object.keys(doc.credentials)).toEqual(['SCRAM-SHA-1', 'SCRAM-SHA-256']);
    expect(doc.credentials['SCRAM-SHA-1']!.iterationCount).toBe(10_000);
    expect(doc.credentials['SCRAM-SHA-256']!.iterationCount).toBe(15_000);
    expect(b64(doc.credentials['SCRAM-SHA-1']!.salt)).toHaveLength(16);
    expect(b64(doc.credentials['SCRAM-SHA-256']!.salt)).toHaveLength(28);
    expect(doc.userId.toHexString()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps SCRAM-SHA-256 passwords as SASLprep does', () => {
    expect(saslprepMapping('I\u00ADX')).toBe('IX');
    expect(saslprepMapping('\u2163')).toBe('IV');
    expect(saslprepMapping('a\u00A0b')).toBe('a b');
  });
});

describe('ScramServerConversation reproduces published conversations', () => {
  it('RFC 7677 / auth spec SCRAM-SHA-256 (user/pencil)', () => {
    const credential = createScramCredentials('pencil', 'SCRAM-SHA-256', 4096, { salt: b64('W22ZaJ0SNY7soEsUEjb6gQ==') });
    const conv = new ScramServerConversation({
      mechanism: 'SCRAM-SHA-256',
      db: 'admin',
      lookupUser: (db, u) => (db === 'admin' && u === 'user' ? userWith('user', 'admin', { 'SCRAM-SHA-256': credential }) : undefined),
      skipEmptyExchange: true,
      serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    });
    const s1 = conv.step(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(Buffer.from(s1.payload).toString()).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(s1.done).toBe(false);
    const s2 = conv.step(
      Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(Buffer.from(s2.payload).toString()).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(s2.done).toBe(true);
    expect(conv.user?.user).toBe('user');
  });

  it('auth spec SCRAM-SHA-1 (user/pencil, long conversation without skipEmptyExchange)', () => {
    const credential = createScramCredentials('pencil', 'SCRAM-SHA-1', 10_000, { username: 'user', salt: b64('rQ9ZY3MntBeuP3E1TDVC4w==') });
    const conv = new ScramServerConversation({
      mechanism: 'SCRAM-SHA-1',
      db: 'admin',
      lookupUser: () => userWith('user', 'admin', { 'SCRAM-SHA-1': credential }),
      serverNonce: () => 'Ho+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE',
    });
    expect(Buffer.from(conv.step(Buffer.from('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL')).payload).toString()).toBe(
      'r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000',
    );
    const s2 = conv.step(Buffer.from('c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY='));
    expect(Buffer.from(s2.payload).toString()).toBe('v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=');
    expect(s2.done).toBe(false);
    expect(conv.user).toBeUndefined();
    expect(conv.step(new Uint8Array(0))).toEqual({ payload: new Uint8Array(0), done: true });
    expect(conv.user?.user).toBe('user');
  });

  it.each([
    ['p=tls-unique,,n=user,r=abc', 'channel binding'],
    ['n,,m=ext,n=user,r=abc', 'extension'],
    ['n,,n=us=5Fer,r=abc', 'escape'],
    ['n,,r=abc', 'malformed'],
    ['n,a=other,n=user,r=abc', 'authzid'],
    ['nonsense', 'malformed'],
  ])('rejects client-first %j', (message, reason) => {
    const conv = new ScramServerConversation({
      mechanism: 'SCRAM-SHA-256',
      db: 'admin',
      lookupUser: () => createUserDocument({ user: 'user', db: 'admin', password: 'pw', iterationCount: { 'SCRAM-SHA-256': 4096, 'SCRAM-SHA-1': 4096 } }),
    });
    let error: unknown;
    try {
      conv.step(Buffer.from(message));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScramServerError);
    expect((error as Error).message).toContain(reason);
    expect(conv.state).toBe('failed');
  });

  it('rejects a client-final with a wrong nonce, channel binding or proof', () => {
    const user = createUserDocument({ user: 'user', db: 'admin', password: 'pw', iterationCount: { 'SCRAM-SHA-256': 4096, 'SCRAM-SHA-1': 4096 } });
    const start = () => {
      const conv = new ScramServerConversation({ mechanism: 'SCRAM-SHA-256', db: 'admin', lookupUser: () => user, serverNonce: () => 'SRV' });
      conv.step(Buffer.from('n,,n=user,r=CLI'));
      return conv;
    };
    const proof = Buffer.alloc(32).toString('base64');
    for (const final of [`c=biws,r=CLIXXX,p=${proof}`, `c=eSws,r=CLISRV,p=${proof}`, `c=biws,r=CLISRV,p=${proof}`, 'c=biws,r=CLISRV', `c=biws,r=CLISRV,p=AAAA`]) {
      expect(() => start().step(Buffer.from(final))).toThrow(ScramServerError);
    }
  });
});

describe('SaslServerSession', () => {
  const alice = createUserDocument({ user: 'alice', db: 'admin', password: 'pw', iterationCount: { 'SCRAM-SHA-1': 4096, 'SCRAM-SHA-256': 4096 } });
  const session = () => new SaslServerSession({ lookupUser: (db, u) => (db === 'admin' && u === 'alice' ? alice : undefined) });

  it('fails unknown users with AuthenticationFailed, exactly as mongod words it', () => {
    const reply = session().saslStart('admin', { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: bin('n,,n=bob,r=abc') });
    expect(reply).toEqual({ ok: 0, errmsg: 'Authentication failed.', code: 18, codeName: 'AuthenticationFailed' });
    expect(reply).toEqual(AUTHENTICATION_FAILED);
  });

  it('answers saslStart with conversationId, done and a BinData payload; counts conversation ids', () => {
    const s = session();
    const r1 = s.saslStart('admin', { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: bin('n,,n=alice,r=abc') });
    expect(r1).toMatchObject({ conversationId: 1, done: false, ok: 1 });
    expect(r1.payload).toBeInstanceOf(Binary);
    expect(text(r1.payload)).toMatch(/^r=abc[A-Za-z0-9+/]{32},s=[A-Za-z0-9+/=]+,i=4096$/);
    const r2 = s.saslStart('admin', { saslStart: 1, mechanism: 'SCRAM-SHA-1', payload: bin('n,,n=alice,r=abc') });
    expect(r2.conversationId).toBe(2);
  });

  it('rejects mechanisms that are not enabled, bad payloads and stray saslContinue', () => {
    const s = session();
    expect(s.saslStart('admin', { saslStart: 1, mechanism: 'PLAIN', payload: bin('\0a\0b') })).toMatchObject({ ok: 0, code: 334 });
    expect(s.saslStart('admin', { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: 5 })).toMatchObject({ ok: 0, code: 14 });
    expect(s.saslContinue('admin', { saslContinue: 1, conversationId: 1, payload: bin('') })).toMatchObject({ ok: 0, code: 17 });
    s.saslStart('admin', { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: bin('n,,n=alice,r=abc') });
    expect(s.saslContinue('admin', { saslContinue: 1, conversationId: 99, payload: bin('') })).toMatchObject({ ok: 0, code: 17 });
  });

  it('helloFields: saslSupportedMechs for known users only; failed speculation is omitted', () => {
    const s = session();
    expect(s.helloFields({ hello: 1, saslSupportedMechs: 'admin.alice' })).toEqual({ saslSupportedMechs: ['SCRAM-SHA-1', 'SCRAM-SHA-256'] });
    expect(s.helloFields({ hello: 1, saslSupportedMechs: 'admin.bob' })).toEqual({});
    expect(s.helloFields({ hello: 1, saslSupportedMechs: 'nodot' })).toEqual({});
    const spec = { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: bin('n,,n=bob,r=abc'), db: 'admin' };
    expect(s.helloFields({ hello: 1, speculativeAuthenticate: spec })).toEqual({});
    const ok = s.helloFields({ hello: 1, speculativeAuthenticate: { ...spec, payload: bin('n,,n=alice,r=abc') } });
    expect(ok.speculativeAuthenticate).toMatchObject({ conversationId: 2, done: false });
    expect((ok.speculativeAuthenticate as Record<string, unknown>).ok).toBeUndefined();
  });
});

describe("core's MD5 agrees with node:crypto", () => {
  it('on every length 0..300 (padding boundaries at 55/56/64)', () => {
    for (let n = 0; n <= 300; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
      expect(Buffer.from(md5(bytes)).toString('hex')).toBe(createHash('md5').update(bytes).digest('hex'));
    }
  });
});
