import { describe, expect, it } from 'vitest';
import { MongoAuthError } from '../../errors.js';
import { base64Decode } from './base64.js';
import type { AuthCrypto } from './crypto.js';
import { ScramKeyCache } from './key-cache.js';
import {
  ScramMechanism,
  computeClientFinal,
  createClientFirst,
  deriveScramKeys,
  escapeSaslName,
  parseServerFirst,
  saslStartCommand,
  scramPassword,
  verifyServerFinal,
} from './scram.js';

const webCrypto = globalThis.crypto as unknown as AuthCrypto;

interface Vector {
  name: string;
  mechanism: ScramMechanism;
  username: string;
  /** The password SCRAM's Hi() is keyed with (already digested/prepared). */
  keyPassword: string;
  clientNonce: string;
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}

const vectors: Vector[] = [
  {
    name: 'RFC 5802 §5 (SCRAM-SHA-1, password "pencil")',
    mechanism: ScramMechanism.ScramSha1,
    username: 'user',
    keyPassword: 'pencil',
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    name: 'RFC 7677 §3 (SCRAM-SHA-256, password "pencil")',
    mechanism: ScramMechanism.ScramSha256,
    username: 'user',
    keyPassword: 'pencil',
    clientNonce: 'rOprNGfwEbeRWgbNEkqO',
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
  {
    name: 'auth spec SCRAM-SHA-1 conversation (MongoDB password digest of user/pencil)',
    mechanism: ScramMechanism.ScramSha1,
    username: 'user',
    keyPassword: scramPassword(ScramMechanism.ScramSha1, 'user', 'pencil'),
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY=',
    serverFinal: 'v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=',
  },
];

describe('SCRAM math against published conversations', () => {
  it.each(vectors)('$name', async (v) => {
    const first = createClientFirst(v.mechanism, v.username, v.clientNonce);
    const start = saslStartCommand(first);
    const payload = start.payload as { buffer: Uint8Array; position: number };
    expect(new TextDecoder().decode(payload.buffer.subarray(0, payload.position))).toBe(v.clientFirst);
    expect(start).toMatchObject({ saslStart: 1, mechanism: v.mechanism, autoAuthorize: 1, options: { skipEmptyExchange: true } });

    const serverFirst = parseServerFirst(v.serverFirst, v.clientNonce);
    const keys = await deriveScramKeys(v.mechanism, v.keyPassword, serverFirst.salt, serverFirst.iterations, { crypto: webCrypto });
    const final = await computeClientFinal(webCrypto, v.mechanism, keys, first, serverFirst);
    expect(final.message).toBe(v.clientFinal);
    expect(() => verifyServerFinal(v.serverFinal, final.expectedServerSignature)).not.toThrow();
  });

  it('the SCRAM-SHA-1 password is hex(md5(user:mongo:password)), not SASLprepped', () => {
    expect(scramPassword(ScramMechanism.ScramSha1, 'user', 'pencil')).toBe('1c33006ec1ffd90f9cadcbcc0e118200');
    expect(scramPassword(ScramMechanism.ScramSha1, 'u', 'I\u00ADX')).not.toBe(scramPassword(ScramMechanism.ScramSha1, 'u', 'IX'));
    expect(scramPassword(ScramMechanism.ScramSha256, 'u', 'I\u00ADX')).toBe('IX');
  });
});

describe('SCRAM message rules', () => {
  it('escapes = and , in user names (and nothing else; no SASLprep)', () => {
    expect(escapeSaslName('a=b,c')).toBe('a=3Db=2Cc');
    expect(escapeSaslName('=,=')).toBe('=3D=2C=3D');
    expect(escapeSaslName('\u2168')).toBe('\u2168');
    expect(createClientFirst(ScramMechanism.ScramSha256, 'x,y', 'N').bare).toBe('n=x=2Cy,r=N');
  });

  const nonce = 'clientnonce';
  it.each([
    ['r=othernonceXYZ,s=c2FsdA==,i=4096', 'nonce'],
    ['r=clientnonce,s=c2FsdA==,i=4096', 'nonce'], // must add server bytes
    ['r=clientnonceXYZ,s=c2FsdA==,i=4095', 'minimum'],
    ['r=clientnonceXYZ,s=c2FsdA==,i=1e4', 'iteration'],
    ['r=clientnonceXYZ,s=c2FsdA==', 'missing'],
    ['r=clientnonceXYZ,s=###,i=4096', 'salt'],
    ['m=ext,r=clientnonceXYZ,s=c2FsdA==,i=4096', 'extension'],
    ['garbage', 'malformed'],
    ['', 'malformed'],
    ['e=other-error', 'other-error'],
  ])('rejects server-first %j', (message, reason) => {
    expect(() => parseServerFirst(message, nonce)).toThrow(MongoAuthError);
    expect(() => parseServerFirst(message, nonce)).toThrow(reason);
  });

  it('accepts 4096 iterations and values containing "="', () => {
    const sf = parseServerFirst('r=clientnonceXYZ=,s=c2FsdA==,i=4096', nonce);
    expect(sf).toMatchObject({ nonce: 'clientnonceXYZ=', iterations: 4096 });
    expect(sf.salt).toEqual(base64Decode('c2FsdA=='));
  });

  it('rejects a wrong, missing or malformed server signature, and server errors', () => {
    const expected = base64Decode('rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    expect(() => verifyServerFinal('v=AAAApqV8S7suAoZWja4dJRkFsKQ=', expected)).toThrow('signature is invalid');
    expect(() => verifyServerFinal('v=', expected)).toThrow(MongoAuthError);
    expect(() => verifyServerFinal('x=1', expected)).toThrow('missing v');
    expect(() => verifyServerFinal('v=@@@@', expected)).toThrow('malformed');
    expect(() => verifyServerFinal('e=invalid-proof', expected)).toThrow('invalid-proof');
  });
});

describe('ScramKeyCache', () => {
  it('caches per (mechanism, password, salt, iterations) and evicts the least recently used', async () => {
    let derives = 0;
    const counting: AuthCrypto = {
      getRandomValues: (a) => webCrypto.getRandomValues(a),
      subtle: {
        importKey: webCrypto.subtle.importKey.bind(webCrypto.subtle) as AuthCrypto['subtle']['importKey'],
        sign: webCrypto.subtle.sign.bind(webCrypto.subtle),
        digest: webCrypto.subtle.digest.bind(webCrypto.subtle),
        deriveBits: (...args: Parameters<SubtleCrypto['deriveBits']>) => {
          derives++;
          return webCrypto.subtle.deriveBits(...args);
        },
      },
    };
    const cache = new ScramKeyCache(2);
    const salt = Uint8Array.of(1, 2, 3, 4);
    const opts = { crypto: counting, cache };
    const a = await deriveScramKeys(ScramMechanism.ScramSha256, 'pw', salt, 4096, opts);
    expect(await deriveScramKeys(ScramMechanism.ScramSha256, 'pw', salt, 4096, opts)).toBe(a);
    expect(derives).toBe(1);
    await deriveScramKeys(ScramMechanism.ScramSha1, 'pw', salt, 4096, opts); // other mechanism
    await deriveScramKeys(ScramMechanism.ScramSha256, 'pw', salt, 4097, opts); // other count; evicts SHA-1 entry
    await deriveScramKeys(ScramMechanism.ScramSha256, 'pw', Uint8Array.of(9), 4096, opts); // other salt; evicts a
    expect(derives).toBe(4);
    expect(cache.size).toBe(2);
    await deriveScramKeys(ScramMechanism.ScramSha256, 'pw', salt, 4096, opts);
    expect(derives).toBe(5);
  });
});
