import { describe, expect, it } from 'vitest';
import { MongoInvalidArgumentError } from '../../errors.js';
import { base64Decode, base64Encode } from './base64.js';
import { md5Hex, toHex, md5 } from './md5.js';
import { saslprep, saslprepTables } from './saslprep.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('base64 (RFC 4648 §10 vectors)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  it.each(vectors)('%j <-> %j', (plain, encoded) => {
    expect(base64Encode(utf8(plain))).toBe(encoded);
    expect(new TextDecoder().decode(base64Decode(encoded))).toBe(plain);
  });

  it('round-trips every byte value and every length up to 70', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64Decode(base64Encode(all))).toEqual(all);
    for (let n = 0; n <= 70; n++) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      expect(base64Decode(base64Encode(bytes))).toEqual(bytes);
    }
  });

  it('uses the standard alphabet (+ and /)', () => {
    expect(base64Encode(Uint8Array.of(0xfb, 0xff))).toBe('+/8=');
  });

  it.each(['Zg=', 'Zg', 'Z===', 'Zm9v!A==', 'Zm=v', '=Zm9', 'Zg==Zg==', 'Zm9vYmFy\n', 'Zm9\u00e9'])('rejects %j', (bad) => {
    expect(() => base64Decode(bad)).toThrow(MongoInvalidArgumentError);
  });
});

describe('md5 (RFC 1321 §A.5 test suite)', () => {
  const vectors: [string, string][] = [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ];
  it.each(vectors)('MD5(%j) = %s', (input, hex) => {
    expect(md5Hex(input)).toBe(hex);
  });

  it('matches the auth spec MONGODB-CR example (user "user", password "pencil")', () => {
    const passwordDigest = md5Hex('user:mongo:pencil');
    expect(md5Hex('2375531c32080ae8' + 'user' + passwordDigest)).toBe('21742f26431831d5cfca035a08c5bdf6');
  });

  it('hashes a million "a"s (RFC 1321 era extended vector, many blocks)', () => {
    expect(toHex(md5(new Uint8Array(1_000_000).fill(0x61)))).toBe('7707d6ae4e027c70eea2a935c2296f21');
  });
});

describe('saslprep (RFC 4013 §3 examples and RFC 3454 tables)', () => {
  it.each([
    ['I\u00ADX', 'IX'], // SOFT HYPHEN mapped to nothing
    ['user', 'user'],
    ['USER', 'USER'], // no case folding
    ['\u00AA', 'a'], // NFKC
    ['\u2168', 'IX'], // NFKC
    ['a\u00A0b\u3000c', 'a b c'], // non-ASCII spaces -> SPACE
    ['x\u200By', 'x y'], // U+200B is in C.1.2 and B.1; RFC 4013 §2.1 maps C.1.2 to SPACE
    ['x\u200Dy', 'xy'], // ZERO WIDTH JOINER: B.1, mapped to nothing
    ['\u0627\u0628', '\u0627\u0628'], // all RandALCat
    ['\u0627 1 \u0628', '\u0627 1 \u0628'], // RandAL first and last, neutrals between
    ['pässwörd', 'pässwörd'],
    ['', ''],
  ])('%j -> %j', (input, output) => {
    expect(saslprep(input)).toBe(output);
  });

  it.each([
    ['\u0007', 'prohibited'], // C.2.1
    ['a\u0085', 'prohibited'], // C.2.2
    ['\uE000', 'prohibited'], // C.3 private use
    ['\uFDD0', 'prohibited'], // C.4 non-character
    ['\uD800', 'prohibited'], // C.5 lone surrogate
    ['\uFFFD', 'prohibited'], // C.6
    ['\u2FF0', 'prohibited'], // C.7
    ['\u200E', 'prohibited'], // C.8
    ['\u{E0001}', 'prohibited'], // C.9
    ['\u0627\u0031', 'right-to-left'], // RFC 4013 example: must end with RandALCat
    ['\u0627a\u0628', 'mixes'], // LCat with RandALCat
    ['\u0221', 'unassigned'], // assigned in Unicode 4.0, unassigned in 3.2
    ['\u{1F600}', 'unassigned'],
  ])('rejects %j (%s)', (input, reason) => {
    let error: unknown;
    try {
      saslprep(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MongoInvalidArgumentError);
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain(input);
  });

  it('allows unassigned code points for queries', () => {
    expect(saslprep('\u{1F600}', { allowUnassigned: true })).toBe('\u{1F600}');
  });

  it('decodes the RFC 3454 tables at known boundaries', () => {
    const t = saslprepTables;
    expect([t.isMappedToNothing(0x00ad), t.isMappedToNothing(0xfe0f), t.isMappedToNothing(0xfe10)]).toEqual([true, true, false]);
    expect([t.isNonAsciiSpace(0x00a0), t.isNonAsciiSpace(0x2000), t.isNonAsciiSpace(0x200b), t.isNonAsciiSpace(0x200c)]).toEqual([
      true, true, true, false,
    ]);
    expect([t.isProhibited(0x1f), t.isProhibited(0x20), t.isProhibited(0x7f), t.isProhibited(0x10fffd), t.isProhibited(0x10ffff)]).toEqual([
      true, false, true, true, true,
    ]);
    expect([t.isRandALCat(0x05be), t.isRandALCat(0x05bf), t.isRandALCat(0xfefc), t.isRandALCat(0xfefd)]).toEqual([true, false, true, false]);
    expect([t.isLCat(0x41), t.isLCat(0x5a), t.isLCat(0x5b), t.isLCat(0x10fffd)]).toEqual([true, true, false, true]);
    expect([t.isUnassigned(0x0221), t.isUnassigned(0x0222), t.isUnassigned(0xe0080), t.isUnassigned(0xefffd)]).toEqual([
      true, false, true, true,
    ]);
  });
});
